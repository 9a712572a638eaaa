import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { App, Testing } from "cdktf";
import { CLOUDS, TerraformJson } from "@polycloud/core";
import { OutgoingEvent, useCloudImplementation } from "@polycloud/runtime";
import { buildStacks } from "@polycloud/stacks";
import { dev } from "../fixtures/sample/environments";
import { FOUR_SERVICES, fourServices } from "../fixtures/ported/four-services";
// @ts-expect-error: plain ESM stand-in code without type declarations
import { handler as orderManager } from "../fixtures/ported/coffee-ordering/orderManager.mjs";
// @ts-expect-error: plain ESM stand-in code without type declarations
import { handler as validator } from "../fixtures/ported/coffee-ordering/validator.mjs";

/**
 * The three public apps ported next to the reference service (issue 26): their stand-in code runs
 * on the runtime's handler shapes, and the four services render side by side on every cloud.
 */
const python = spawnSync("python3", ["--version"]).status === 0 ? "python3" : undefined;
const runtimePy = path.resolve(__dirname, "../../modules/runtime/python");
const fixtures = path.resolve(__dirname, "../fixtures/ported");

/** Runs `script` with the function's folder and polycloud_runtime importable (standard library only otherwise). */
function py(folder: string, script: string): unknown {
  const r = spawnSync(python!, ["-I", "-B", "-c", `import sys, json; sys.path[:0] = [${JSON.stringify(runtimePy)}, ${JSON.stringify(path.join(fixtures, folder))}]\n${script}`], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

/** An API Gateway HTTP API (payload 2.0) request with the JWT authorizer's claims. */
const httpEvent = (method: string, rawPath: string, body?: unknown, sub?: string) => JSON.stringify({
  version: "2.0", routeKey: `${method} ${rawPath}`, rawPath, rawQueryString: "", headers: { "content-type": "application/json" },
  requestContext: { http: { method, path: rawPath }, ...(sub ? { authorizer: { jwt: { claims: { sub }, scopes: null } } } : {}) },
  body: body === undefined ? "" : JSON.stringify(body), isBase64Encoded: false,
});
const sqsEvent = (...bodies: unknown[]) => JSON.stringify({ Records: bodies.map((b, i) => ({ messageId: `m-${i + 1}`, body: JSON.stringify(b), attributes: { ApproximateReceiveCount: "1" } })) });

(python ? describe : describe.skip)("Python stand-ins (shopping cart, job ingestion) on polycloud_runtime", () => {
  test("the cart adds, totals and checks out the caller's own cart; anonymous callers get 401; products are public", () => {
    const out = py("shopping-cart/cart", `
from cart import handler
calls = [handler(json.loads(e)) for e in ${JSON.stringify([
    httpEvent("POST", "/cart", { productId: "p-001", quantity: 2 }, "alice"),
    httpEvent("PUT", "/cart/p-002", { quantity: 3 }, "alice"),
    httpEvent("GET", "/cart/p-002/total", undefined, "alice"),
    httpEvent("GET", "/cart", undefined, "bob"),
    httpEvent("POST", "/cart/checkout", undefined, "alice"),
    httpEvent("POST", "/cart/checkout", undefined, "alice"),
    httpEvent("POST", "/cart", { productId: "nope" }, "alice"),
    httpEvent("GET", "/cart"),
  ])}]
print(json.dumps([[c["statusCode"], json.loads(c["body"])] for c in calls]))`) as [number, any][];
    expect(out.map(([s]) => s)).toEqual([200, 200, 200, 200, 202, 409, 400, 401]);
    expect(out[1][1]).toEqual({ items: [{ productId: "p-001", quantity: 2, price: "25.00" }, { productId: "p-002", quantity: 3, price: "11.97" }], total: "36.97" });
    expect(out[2][1]).toEqual({ productId: "p-002", quantity: 3, total: "11.97" });
    expect(out[3][1]).toEqual({ items: [], total: "0" });
    expect(out[4][1]).toMatchObject({ checkedOut: true, total: "36.97" });
    const products = py("shopping-cart/products", `
from products import handler
print(json.dumps([json.loads(handler(json.loads(e))["body"]) for e in ${JSON.stringify([httpEvent("GET", "/product"), httpEvent("GET", "/product/p-003")])}]))`) as any[];
    expect(products[0].products).toHaveLength(3);
    expect(products[1]).toEqual({ productId: "p-003", name: "Hand grinder", price: "149.00" });
  });

  test("queue consumers fail only the malformed message of a batch (it is retried, then dead-lettered)", () => {
    const cleanup = py("shopping-cart/cleanup", `from cleanup import handler\nprint(json.dumps(handler(json.loads(${JSON.stringify(sqsEvent({ cartId: "c-1" }, { nothing: true }))}))))`);
    expect(cleanup).toEqual({ batchItemFailures: [{ itemIdentifier: "m-2" }] });
    const processor = py("job-ingestion/processor", `from processor import handler\nprint(json.dumps(handler(json.loads(${JSON.stringify(sqsEvent({ jobId: "j-1", kind: "report" }, { jobId: "j-2", kind: "mine-bitcoin" }))}))))`);
    expect(processor).toEqual({ batchItemFailures: [{ itemIdentifier: "m-2" }] });
  });

  test("job ingestion: a submitted job gets an id; its status is readable; bad kinds and anonymous callers are refused", () => {
    const out = py("job-ingestion/submit", `
from submit import handler
print(json.dumps([[r["statusCode"], json.loads(r["body"])] for r in (handler(json.loads(e)) for e in ${JSON.stringify([
    httpEvent("POST", "/jobs", { kind: "export" }, "alice"), httpEvent("POST", "/jobs", { kind: "other" }, "alice"), httpEvent("POST", "/jobs", { kind: "export" }),
  ])})]))`) as [number, any][];
    expect(out.map(([s]) => s)).toEqual([202, 400, 401]);
    expect(out[0][1].jobId).toMatch(/^[0-9a-f-]{36}$/);
    const status = py("job-ingestion/status", `from status import handler\nprint(json.dumps(handler(json.loads(${JSON.stringify(httpEvent("GET", `/jobs/${out[0][1].jobId}`, undefined, "alice"))}))["statusCode"]))`);
    expect(status).toBe(200);
  });
});

describe("Node stand-ins (coffee ordering) on @polycloud/runtime", () => {
  const published: OutgoingEvent[] = [];
  const saved = { ...process.env };
  beforeEach(() => {
    process.env = { ...saved, POLYCLOUD_CLOUD: "aws", POLYCLOUD_BUS_COFFEE: "coffee-bus" };
    useCloudImplementation({ cloud: "aws", sendToQueue: async () => undefined, publishEvent: async (_address, event) => { published.push(event); }, databaseToken: async () => "unused" });
  });
  afterEach(() => { useCloudImplementation(undefined); process.env = saved; published.length = 0; });

  test("the order manager publishes OrderManager.* events the prefix rules route; the validator refuses an event without an order id", async () => {
    const res = await orderManager(JSON.parse(httpEvent("POST", "/coffee/orders", { drink: "latte" }, "carol")));
    expect(res.statusCode).toBe(202);
    const { id } = JSON.parse(res.body);
    expect(published).toEqual([expect.objectContaining({ id, source: "coffee.order-manager", type: "OrderManager.OrderPlaced", data: { id, customer: "carol", drink: "latte" } })]);
    expect((await orderManager(JSON.parse(httpEvent("POST", "/coffee/orders", { drink: "tea" }, "carol")))).statusCode).toBe(400);
    const event = (data: unknown) => ({ version: "0", id: "e-1", "detail-type": "OrderManager.OrderPlaced", source: "coffee.order-manager", time: "2026-11-28T12:00:00Z", resources: [], detail: data });
    const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
    const err = jest.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      await expect(validator(event({ id, drink: "latte" }))).resolves.not.toThrow();
      await expect(validator(event({ drink: "latte" }))).rejects.toThrow(/has no order id/);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  });
});

test("the four services render side by side on every cloud of an environment, each with its own resources", () => {
  const app = Testing.app() as App;
  const stacks = buildStacks(app, fourServices([dev]));
  expect(stacks.map((s) => s.node.id)).toEqual(CLOUDS.map((c) => `dev-${c}`));
  for (const stack of stacks) {
    const json = JSON.parse(Testing.synth(stack)) as TerraformJson;
    const names = Object.values(json.resource ?? {}).flatMap((byName) => Object.keys(byName));
    const names_ = FOUR_SERVICES.map((s) => s(dev).name);
    expect({ stack: stack.node.id, services: stack.services.map((s) => s.node.id) }).toEqual({ stack: stack.node.id, services: names_ });
    for (const svc of names_) expect({ stack: stack.node.id, svc, resources: names.filter((n) => n.startsWith(`${svc}_`)).length > 10 }).toEqual({ stack: stack.node.id, svc, resources: true });
  }
});
