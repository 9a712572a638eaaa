import { HttpRequest as AzureHttpRequest, InvocationContext } from "@azure/functions";
import { gatewayRuntimeEnvironment } from "@polycloud/core";
import { OutgoingEvent, useCloudImplementation } from "@polycloud/runtime";
import { edgeEnvironment } from "@polycloud/gcp";
// @ts-expect-error: plain ESM reference code without type declarations
import { handler as api } from "../../stacks/reference/functions/api/index.mjs";
import { JwksServer, jwksServer, rsaKey, token } from "../helpers/jwt";
import { envByName } from "../helpers/synth";
import { referenceService } from "../../stacks/reference-service";

/**
 * The reference API, one source with no cloud branch, through each cloud's adapter and the
 * runtime's own checks, with the environment each gateway construct synthesizes: the caller's
 * verified subject becomes the order's owner, the order id is made on the server and is the
 * event id. (Storing and reading orders against a real PostgreSQL: runtime-integration.)
 */
const spec = referenceService(envByName("dev")).gateways!.public;
const key = rsaKey("k1");
let jwks: JwksServer;
beforeAll(async () => { jwks = await jwksServer([key]); });
afterAll(() => jwks.close());

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
afterEach(() => { useCloudImplementation(undefined); process.env = saved; published.length = 0; });

const now = Math.floor(Date.now() / 1000);
const bearer = (sub: string) => `Bearer ${token({ iss: "https://auth.example.com/", aud: "orders-api", exp: now + 300, sub }, key)}`;
const order = JSON.stringify({ id: "client-chosen", total: 5 });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The answer's id is a server-made UUID; the published event carries it as its id, with the caller as owner. */
function expectAccepted(cloud: string, status: number, body: string, owner: string) {
  expect(status).toBe(202);
  const { id } = JSON.parse(body);
  expect(id).toMatch(UUID);
  expect(published).toEqual([{ cloud, address: `${cloud}-bus`, event: expect.objectContaining({ id, source: "orders.api", type: "OrderCreated", subject: id, data: { id, owner, order: { id, total: 5 } } }) }]);
}

test("AWS: the JWT authorizer's subject owns the order; without one, nothing is published", async () => {
  bind("aws");
  const event = (claims?: object) => ({
    version: "2.0", routeKey: "POST /orders", rawPath: "/orders", rawQueryString: "", headers: { "content-type": "application/json" },
    requestContext: { http: { method: "POST", path: "/orders" }, ...(claims ? { authorizer: { jwt: { claims, scopes: null } } } : {}) }, body: order, isBase64Encoded: false,
  });
  const out = await api(event({ sub: "alice", iss: "https://auth.example.com/" }));
  expectAccepted("aws", out.statusCode, out.body, "alice");
  published.length = 0;
  expect((await api(event())).statusCode).toBe(401);
  expect(published).toEqual([]);
});

describe("GCP: the runtime answers what API Gateway cannot, from GcpHttpGateway's environment", () => {
  const gcpEnv = () => ({ ...edgeEnvironment(spec, "api"), PLATFORM_JWT_JWKS_URI: `${jwks.url}/jwks.json` });
  const call = async (method: string, p: string, headers: Record<string, string> = {}, b?: string) => {
    const out = { status: 0, headers: {} as Record<string, string>, body: "" };
    const res = { status(c: number) { out.status = c; return res; }, set(k: string, v: string) { out.headers[k] = v; return res; }, send(x: string) { out.body = x; return res; } };
    await api({ method, path: p, url: p, headers: { "content-type": "application/json", ...headers }, rawBody: b === undefined ? undefined : Buffer.from(b) }, res);
    return out;
  };
  let warn: jest.SpyInstance;
  beforeEach(() => { warn = jest.spyOn(console, "warn").mockImplementation(() => undefined); bind("gcp", gcpEnv()); });
  afterEach(() => warn.mockRestore());

  test("the client's token (X-Forwarded-Authorization) owns the order; the CORS headers come with the answer", async () => {
    const out = await call("POST", "/orders", { authorization: "Bearer gateway-id-token", "x-forwarded-authorization": bearer("bob"), origin: "https://dev.shop.example.com" }, order);
    expectAccepted("gcp", out.status, out.body, "bob");
    expect(out.headers).toMatchObject({ "access-control-allow-origin": "https://dev.shop.example.com", "access-control-allow-credentials": "true" });
  });

  test("no client token (only the gateway's ID token): 401, nothing published; /health needs none; preflights answered", async () => {
    expect(await call("POST", "/orders", { authorization: "Bearer gateway-id-token" }, order)).toMatchObject({ status: 401, body: '{"error":"unauthorized"}' });
    expect(published).toEqual([]);
    expect(await call("GET", "/health")).toMatchObject({ status: 200, body: '{"ok":true}' });
    expect((await call("OPTIONS", "/orders/abc", { origin: "https://dev.shop.example.com", "access-control-request-method": "GET" })).status).toBe(204);
    expect((await call("DELETE", "/orders/abc", { "x-forwarded-authorization": bearer("bob") })).status).toBe(405);
  });
});

test("Azure: API Management's checks are made again by the runtime, which gives the handler the verified subject", async () => {
  bind("azure", { ...gatewayRuntimeEnvironment(spec, "api", { cors: false, jwt: true }), PLATFORM_JWT_JWKS_URI: `${jwks.url}/jwks.json` });
  const request = (headers: Record<string, string>) => new AzureHttpRequest({ method: "POST", url: "https://orders.azurewebsites.net/api/orders", params: { path: "orders" }, headers: { "content-type": "application/json", ...headers }, body: { string: order } });
  const out = await api(request({ authorization: bearer("carol") }), new InvocationContext({ invocationId: "i" }));
  expectAccepted("azure", out.status, out.body, "carol");
  published.length = 0;
  const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
  // A call that skips API Management gets no identity: refused before the handler.
  expect((await api(request({}), new InvocationContext({ invocationId: "j" }))).status).toBe(401);
  warn.mockRestore();
  expect(published).toEqual([]);
});
