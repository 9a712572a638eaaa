import { HttpRequest as AzureHttpRequest, InvocationContext } from "@azure/functions";
import { OutgoingEvent, useCloudImplementation } from "@polycloud/runtime";
// @ts-expect-error: plain ESM reference code without type declarations
import { handler as api } from "../../stacks/reference/functions/api/index.mjs";

/**
 * The reference API, one source, through each cloud's adapter: it publishes OrderCreated to the
 * bus found by its id, and on GCP (behind a load balancer that cannot check JWTs) the edge checks
 * run first.
 */
const published: { cloud: string; address: string; event: OutgoingEvent }[] = [];
const saved = { ...process.env };
function bind(cloud: "aws" | "gcp" | "azure", extra: Record<string, string> = {}) {
  process.env = { ...saved, POLYCLOUD_CLOUD: cloud, POLYCLOUD_BUS_EVENTS: `${cloud}-bus`, ...extra };
  useCloudImplementation({
    cloud,
    sendToQueue: async () => undefined,
    publishEvent: async (address, event) => { published.push({ cloud, address, event }); },
    databaseToken: async () => "unused",
  });
}
afterEach(() => { useCloudImplementation(undefined); process.env = saved; });

const body = JSON.stringify({ id: "o-9", total: 5 });
const expectPublished = (cloud: string) => expect(published.pop()).toEqual({ cloud, address: `${cloud}-bus`, event: expect.objectContaining({ source: "orders.api", type: "OrderCreated", subject: "o-9", data: { id: "o-9", total: 5 } }) });

test("AWS: POST /orders from API Gateway v2 publishes and answers 202", async () => {
  bind("aws");
  const out = await api({ version: "2.0", routeKey: "POST /orders", rawPath: "/orders", headers: { "content-type": "application/json" }, requestContext: { http: { method: "POST", path: "/orders" } }, body, isBase64Encoded: false });
  expect(out).toMatchObject({ statusCode: 202, body: JSON.stringify({ accepted: true, id: "o-9" }) });
  expectPublished("aws");
});

test("Azure: POST /api/orders as an HttpRequest publishes and answers 202", async () => {
  bind("azure");
  const out = await api(new AzureHttpRequest({ method: "POST", url: "https://orders.azurewebsites.net/api/orders", params: { path: "orders" }, headers: { "content-type": "application/json" }, body: { string: body } }), new InvocationContext({ invocationId: "i" }));
  expect(out).toMatchObject({ status: 202 });
  expectPublished("azure");
});

test("GCP: the edge checks run first (no token: 401, nothing published); /health needs none", async () => {
  // What GcpHttpGateway sets for `api` (edge.test.ts checks that environment itself).
  bind("gcp", {
    PLATFORM_ROUTES: JSON.stringify([{ method: "POST", path: "/orders", authorized: true }, { method: "GET", path: "/orders/{id}", authorized: true }, { method: "GET", path: "/health", authorized: false }]),
    PLATFORM_JWT_ISSUER: "https://auth.example.com/", PLATFORM_JWT_AUDIENCES: '["orders-api"]', PLATFORM_JWT_JWKS_URI: "https://auth.example.com/.well-known/jwks.json",
  });
  const call = async (method: string, p: string, b?: string) => {
    const out = { status: 0, body: "" };
    const res = { status(c: number) { out.status = c; return res; }, set() { return res; }, send(x: string) { out.body = x; return res; } };
    await api({ method, path: p, headers: { "content-type": "application/json" }, rawBody: b === undefined ? undefined : Buffer.from(b), query: {} }, res);
    return out;
  };
  expect((await call("POST", "/orders", body)).status).toBe(401);
  expect(published).toEqual([]);
  expect(await call("GET", "/health")).toEqual({ status: 200, body: '{"ok":true}' });
});
