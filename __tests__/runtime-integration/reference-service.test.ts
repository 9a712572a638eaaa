import { InvocationContext } from "@azure/functions";
import * as pg from "pg";
import { databaseMigrations } from "@polycloud/core";
import { OutgoingEvent, adapters, applyMigrations, closeDatabases, useCloudImplementation } from "@polycloud/runtime";
import { referenceService } from "../../stacks/reference-service";
import { envByName } from "../helpers/synth";
import { LocalPostgres, describeWithPostgres, startPostgres } from "../helpers/postgres";
// @ts-expect-error: plain ESM reference code without type declarations
import { handler as api } from "../../stacks/reference/functions/api/index.mjs";
// @ts-expect-error: plain ESM reference code without type declarations
import { handler as worker } from "../../stacks/reference/functions/worker/index.mjs";

/**
 * Issue 33.2 against a real PostgreSQL: the reference API stores who asked and answers only them.
 * POST /orders makes the id and publishes OrderCreated with the caller's subject; the worker stores
 * (id, owner, body) once per event, whichever cloud's delivery carries it (the event id is the
 * same on all three: issue 24.6); GET /orders/{id} finds the caller's own orders only. Each function
 * connects as its own role with only the privileges it needs on `orders` (the table is created here
 * as the service's migration will create it).
 */
let server: LocalPostgres;
const saved = { ...process.env };
const published: OutgoingEvent[] = [];

/** Runs as one function: its id and its own database role. */
async function as(fn: "api" | "worker") {
  await closeDatabases();
  process.env = {
    ...saved, POLYCLOUD_CLOUD: "aws", POLYCLOUD_FUNCTION: fn, POLYCLOUD_BUS_EVENTS: "orders-events",
    DB_MAIN_HOST: "127.0.0.1", DB_MAIN_PORT: String(server.port), DB_MAIN_NAME: "app", DB_MAIN_USER: `fn_${fn}`, DB_MAIN_SSLMODE: "disable",
  };
}

const request = (method: string, path: string, sub?: string, body?: unknown) => ({
  version: "2.0", routeKey: `${method} ${path}`, rawPath: path, rawQueryString: "", headers: { "content-type": "application/json" },
  requestContext: { http: { method, path }, ...(sub ? { authorizer: { jwt: { claims: { sub, iss: "https://auth.example.com/" }, scopes: null } } } : {}) },
  body: body === undefined ? undefined : JSON.stringify(body), isBase64Encoded: false,
});

/** The event as each cloud delivers it to the worker's queue. */
function deliveries(e: OutgoingEvent) {
  const detail = JSON.parse(JSON.stringify(e.data));
  const eventBridge = { version: "0", id: "eventbridge-own-id", "detail-type": e.type, source: e.source, time: e.time, resources: [e.subject, `${adapters.EVENT_ID_RESOURCE}${e.id}`], detail };
  return {
    aws: { Records: [1, 2].map((n) => ({ messageId: `m-${n}`, body: JSON.stringify(eventBridge), attributes: { ApproximateReceiveCount: String(n) }, messageAttributes: {} })) },
    gcp: { message: { data: Buffer.from(JSON.stringify(detail)).toString("base64"), attributes: { source: e.source, type: e.type, id: e.id, subject: e.subject! }, messageId: "pubsub-own-id" }, subscription: "s", deliveryAttempt: 1 },
    azure: { specversion: "1.0", id: e.id, source: e.source, type: e.type, subject: e.subject, time: e.time, datacontenttype: "application/json", data: detail },
  };
}

async function deliverEverywhere(e: OutgoingEvent) {
  const d = deliveries(e);
  expect(await worker(d.aws)).toEqual({ batchItemFailures: [] });
  const out = { status: 0 };
  const res = { status(c: number) { out.status = c; return res; }, send() { return res; }, set() { return res; } };
  await worker({ method: "POST", headers: {}, body: d.gcp }, res);
  expect(out.status).toBe(204);
  await worker(d.azure, new InvocationContext({ invocationId: "i", triggerMetadata: { messageId: "sb-1", deliveryCount: 1 } }));
}

describeWithPostgres("the reference service stores the caller with the order and answers only them (real PostgreSQL)", () => {
  beforeAll(async () => {
    server = await startPostgres();
    // The schema and the two functions' roles come from the service's migrations, applied by the
    // migration step's library as the database's admin (issue 25): data access only, no DDL.
    server.psql("CREATE ROLE platform_admin LOGIN CREATEROLE; CREATE DATABASE app OWNER platform_admin;");
    const admin = new pg.Client({ host: server.host, port: server.port, user: "platform_admin", database: "app" });
    await admin.connect();
    await applyMigrations(admin, { migrations: databaseMigrations(referenceService(envByName("dev")), "main").files, roles: [{ name: "fn_api", create: "role" }, { name: "fn_worker", create: "role" }] });
    await admin.end();
    useCloudImplementation({ cloud: "aws", sendToQueue: async () => undefined, publishEvent: async (_a, e) => { published.push(e); }, databaseToken: async () => "unused-with-trust-auth" });
  });
  afterAll(async () => {
    await closeDatabases();
    useCloudImplementation(undefined);
    process.env = saved;
    server?.stop();
  });

  test("POST as alice → stored once with alice as owner from every cloud's delivery → GET by alice 200, by bob 404, without a token 401", async () => {
    await as("api");
    const posted = await api(request("POST", "/orders", "alice", { id: "chosen-by-client", items: ["espresso"] }));
    expect(posted.statusCode).toBe(202);
    const { id } = JSON.parse(posted.body);
    expect(id).not.toBe("chosen-by-client");
    expect(published.map((e) => [e.id, e.subject])).toEqual([[id, id]]);

    await as("worker");
    await deliverEverywhere(published[0]);
    await deliverEverywhere(published[0]);
    expect(server.psql("SELECT owner || ' ' || (body->>'id') || ' ' || (body->'items'->>0) FROM orders", { database: "app" })).toBe(`alice ${id} espresso`);
    expect(server.psql("SELECT key FROM polycloud_idempotency", { database: "app" })).toBe(`worker/order-created/${id}`);

    await as("api");
    const mine = await api(request("GET", `/orders/${id}`, "alice"));
    expect([mine.statusCode, JSON.parse(mine.body)]).toEqual([200, { id, items: ["espresso"] }]);
    const theirs = await api(request("GET", `/orders/${id}`, "bob"));
    expect([theirs.statusCode, JSON.parse(theirs.body)]).toEqual([404, { error: "no such order" }]);
    expect((await api(request("GET", `/orders/${id}`))).statusCode).toBe(401);
  });

  test("the same order posted twice is two orders; an OrderCreated for an id already stored fails instead of being dropped", async () => {
    published.length = 0;
    await as("api");
    const a = JSON.parse((await api(request("POST", "/orders", "carol", { items: ["tea"] }))).body).id;
    const b = JSON.parse((await api(request("POST", "/orders", "carol", { items: ["tea"] }))).body).id;
    expect(a).not.toBe(b);
    await as("worker");
    for (const e of [...published]) await deliverEverywhere(e);
    expect(server.psql("SELECT count(*) FROM orders WHERE owner = 'carol'", { database: "app" })).toBe("2");
    // Another event (another id) naming a stored order: the worker reports the failure (redelivery, then the DLQ).
    const error = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const clash = deliveries({ ...published[0], id: "another-event", data: { ...(published[0].data as object), owner: "mallory" } }).aws;
    expect(await worker(clash)).toEqual({ batchItemFailures: [{ itemIdentifier: "m-1" }, { itemIdentifier: "m-2" }] });
    error.mockRestore();
    expect(server.psql(`SELECT owner FROM orders WHERE id = '${a}'`, { database: "app" })).toBe("carol");
  });
});
