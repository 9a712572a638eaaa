import { createHash } from "node:crypto";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { Signer } from "@aws-sdk/rds-signer";
import { InvocationContext } from "@azure/functions";
import { QueueMessage, adapters, buses, queue, queues, useCloudImplementation } from "@polycloud/runtime";
import { rdsAuthToken } from "../../modules/runtime/src/cloud-aws";

/**
 * Clients addressed by service-description ids, each cloud's real implementation talking to a
 * loopback server that records what it receives: the SDK's wire requests on AWS, Pub/Sub REST
 * with a metadata-server token on GCP, Service Bus / Event Grid REST with a managed-identity
 * token on Azure.
 */
interface Seen { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }
let server: http.Server;
let base: string;
const seen: Seen[] = [];
let reply: (s: Seen) => { status?: number; json: unknown } = () => ({ json: {} });
const saved = { ...process.env };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      seen.push(s);
      const r = reply(s);
      // A metadata server marks its answers; gcp-metadata checks it.
      res.writeHead(r.status ?? 200, { "content-type": "application/json", ...(s.url.startsWith("/computeMetadata/") ? { "metadata-flavor": "Google" } : {}) });
      res.end(JSON.stringify(r.json));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  // The SDK clients keep their sockets alive; close them so the worker can exit.
  server.closeAllConnections();
  server.close();
});
beforeEach(() => { seen.length = 0; useCloudImplementation(undefined); process.env = { ...saved }; });
afterEach(() => { useCloudImplementation(undefined); process.env = saved; });

test("ids that are not bound fail with the id and the variable", async () => {
  process.env.POLYCLOUD_CLOUD = "aws";
  await expect(queues.audit.send({})).rejects.toThrow("queue 'audit' is not bound to this function (POLYCLOUD_QUEUE_AUDIT is not set)");
  await expect(buses.events.publish({ source: "", type: "x", data: 1 })).rejects.toThrow(/needs source and type/);
});

test("AWS: SQS SendMessage and EventBridge PutEvents through the pinned SDK clients", async () => {
  Object.assign(process.env, {
    POLYCLOUD_CLOUD: "aws", POLYCLOUD_QUEUE_ORDERS: `http://${base}/123456789012/orders`, POLYCLOUD_BUS_EVENTS: "orders-events",
    AWS_ENDPOINT_URL: `http://${base}`, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret",
  });
  reply = (s) => /SendMessage/.test(String(s.headers["x-amz-target"]))
    ? { json: { MessageId: "m-1", MD5OfMessageBody: createHash("md5").update(JSON.parse(s.body).MessageBody).digest("hex") } }
    : { json: { FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] } };
  await queues.orders.send({ id: "o-1" });
  await buses.events.publish({ source: "orders.api", type: "OrderCreated", subject: "o-1", data: { id: "o-1" }, id: "evt-1" });
  const [send, put] = seen;
  expect(send.headers["x-amz-target"]).toBe("AmazonSQS.SendMessage");
  expect(JSON.parse(send.body)).toMatchObject({ QueueUrl: `http://${base}/123456789012/orders`, MessageBody: '{"id":"o-1"}' });
  expect(send.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d+\/us-east-1\/sqs\/aws4_request/);
  expect(put.headers["x-amz-target"]).toBe("AWSEvents.PutEvents");
  const [entry] = JSON.parse(put.body).Entries;
  expect(entry).toEqual(expect.objectContaining({ EventBusName: "orders-events", Source: "orders.api", DetailType: "OrderCreated", Detail: '{"id":"o-1"}', Resources: ["o-1", "polycloud:event-id/evt-1"] }));
  // Issue 24.6: EventBridge delivers the entry under an id of its own; the consumer still sees the
  // publisher's id (the same on GCP and Azure below), and so the same idempotency key.
  const delivered = { version: "0", id: "6f9a0c3e-eventbridge-own-id", "detail-type": entry.DetailType, source: entry.Source, account: "123456789012", time: "2026-11-28T12:00:00Z", region: "us-east-1", resources: entry.Resources, detail: JSON.parse(entry.Detail) };
  expect(adapters.eventFromJson(delivered)).toMatchObject({ id: "evt-1", subject: "o-1", data: { id: "o-1" } });
});

test("AWS: the RDS IAM token is byte for byte what @aws-sdk/rds-signer makes", async () => {
  const env = { AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", AWS_SESSION_TOKEN: "tok/en+=", AWS_REGION: "eu-west-1" };
  const ep = { host: "orders.proxy-abc.eu-west-1.rds.amazonaws.com", port: 5432, user: "orders_api" };
  const signer = new Signer({ hostname: ep.host, port: ep.port, username: ep.user, region: env.AWS_REGION, credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN } });
  // Both sign with the current second; retry if the clock ticked in between.
  for (let i = 0; ; i++) {
    const [ours, sdk] = await Promise.all([rdsAuthToken(ep, env), signer.getAuthToken()]);
    if (ours === sdk || i === 3) {
      expect(ours).toBe(sdk);
      expect(ours).toMatch(/^orders\.proxy-abc\.eu-west-1\.rds\.amazonaws\.com:5432\/\?Action=connect&DBUser=orders_api&X-Amz-Algorithm=AWS4-HMAC-SHA256&/);
      break;
    }
  }
});

test("GCP: Pub/Sub publish with the service account token from the metadata server; bus attributes for the rules", async () => {
  Object.assign(process.env, {
    POLYCLOUD_CLOUD: "gcp", POLYCLOUD_QUEUE_ORDERS: "projects/p/topics/orders", POLYCLOUD_BUS_EVENTS: "projects/p/topics/events",
    GCE_METADATA_HOST: base, PUBSUB_EMULATOR_HOST: base,
  });
  reply = (s) => (s.url.includes("/computeMetadata/") ? { json: { access_token: "ya29.test", expires_in: 3599, token_type: "Bearer" } } : { json: { messageIds: ["1"] } });
  await queues.orders.send({ id: "o-1" }, { attributes: { tenant: "t1" } });
  await buses.events.publish({ source: "orders.api", type: "OrderCreated", data: { id: "o-1" }, id: "evt-1" });
  const meta = seen.find((s) => s.url.includes("/computeMetadata/"))!;
  expect(meta.url).toBe("/computeMetadata/v1/instance/service-accounts/default/token");
  expect(meta.headers["metadata-flavor"]).toBe("Google");
  const publishes = seen.filter((s) => s.url.endsWith(":publish"));
  expect(publishes.map((p) => p.url)).toEqual(["/v1/projects/p/topics/orders:publish", "/v1/projects/p/topics/events:publish"]);
  expect(publishes.every((p) => p.headers.authorization === "Bearer ya29.test")).toBe(true);
  const [q, e] = publishes.map((p) => JSON.parse(p.body).messages[0]);
  expect({ ...q, data: Buffer.from(q.data, "base64").toString() }).toEqual({ data: '{"id":"o-1"}', attributes: { tenant: "t1" } });
  expect({ ...e, data: Buffer.from(e.data, "base64").toString() }).toEqual({ data: '{"id":"o-1"}', attributes: { source: "orders.api", type: "OrderCreated", id: "evt-1" } });
  expect(adapters.gcpPushMessage({ message: { ...e, messageId: "pubsub-own-id" }, subscription: "s" }).event).toMatchObject({ id: "evt-1" });
});

test("Azure: Service Bus and Event Grid (CloudEvents) over REST with the managed identity's Entra tokens", async () => {
  Object.assign(process.env, {
    POLYCLOUD_CLOUD: "azure", POLYCLOUD_QUEUE_ORDERS: "orders-q", POLYCLOUD_BUS_EVENTS: "https://events.westeurope-1.eventgrid.azure.net/api/events",
    SERVICE_BUS_NAMESPACE: "orders-ns.servicebus.windows.net", AZURE_CLIENT_ID: "11111111-2222-3333-4444-555555555555",
    IDENTITY_ENDPOINT: `http://${base}/msi/token`, IDENTITY_HEADER: "header-secret",
  });
  reply = (s) => (s.url.startsWith("/msi/") ? { json: { access_token: `tok-${new URL(s.url, "http://x").searchParams.get("resource")}`, expires_on: String(Math.floor(Date.now() / 1000) + 3600) } } : { status: 201, json: {} });
  // The service endpoints are https; send them to the loopback recorder, keeping the host in the path.
  const realFetch = globalThis.fetch;
  jest.spyOn(globalThis, "fetch").mockImplementation((input, init) => realFetch(String(input).replace(/^https:\/\//, `http://${base}/https/`), init));
  await queues.orders.send({ id: "o-1" }, { attributes: { tenant: "t1" } });
  await buses.events.publish({ source: "orders.api", type: "OrderCreated", data: { id: "o-1" }, id: "evt-1" });
  jest.restoreAllMocks();
  const tokenReqs = seen.filter((s) => s.url.startsWith("/msi/"));
  expect(tokenReqs.map((s) => Object.fromEntries(new URL(s.url, "http://x").searchParams))).toEqual([
    { "api-version": "2019-08-01", resource: "https://servicebus.azure.net", client_id: "11111111-2222-3333-4444-555555555555" },
    { "api-version": "2019-08-01", resource: "https://eventgrid.azure.net", client_id: "11111111-2222-3333-4444-555555555555" },
  ]);
  expect(tokenReqs.every((s) => s.headers["x-identity-header"] === "header-secret")).toBe(true);
  const sb = seen.find((s) => s.url.startsWith("/https/orders-ns"))!;
  expect(sb).toMatchObject({ method: "POST", url: "/https/orders-ns.servicebus.windows.net/orders-q/messages", body: '{"id":"o-1"}' });
  expect(sb.headers).toMatchObject({ authorization: "Bearer tok-https://servicebus.azure.net", tenant: '"t1"' });
  const eg = seen.find((s) => s.url.startsWith("/https/events"))!;
  expect(eg.headers["content-type"]).toBe("application/cloudevents-batch+json; charset=utf-8");
  expect(eg.headers.authorization).toBe("Bearer tok-https://eventgrid.azure.net");
  expect(JSON.parse(eg.body)).toEqual([expect.objectContaining({ specversion: "1.0", id: "evt-1", source: "orders.api", type: "OrderCreated", data: { id: "o-1" } })]);
  expect(adapters.azureEvent(JSON.parse(eg.body)[0])).toMatchObject({ id: "evt-1" });
});

/**
 * Retry spacing on Azure (issue 13 item 11): the Functions host abandons a message whose
 * invocation throws and Service Bus redelivers it at once, so a failed attempt sends a copy to the
 * same queue scheduled one retry delay later (Service Bus REST Send Message with
 * BrokerProperties.ScheduledEnqueueTimeUtc) and returns, and the host completes the original.
 */
describe("Azure: a failed Service Bus message is re-sent scheduled one retry delay later", () => {
  const NOW = Date.parse("2026-11-28T12:00:00.500Z");
  const seenByHandler: QueueMessage[] = [];
  let fail: Error | undefined;
  const handler = queue((m) => {
    seenByHandler.push(m);
    if (fail) throw fail; // a synchronous throw counts like a rejection
  });
  const context = (meta: Record<string, unknown>) => new InvocationContext({
    invocationId: "inv-1", functionName: "worker",
    triggerMetadata: { messageId: "m-1", deliveryCount: 1, contentType: "application/json", correlationId: "c-1", expiresAtUtc: "2026-12-02T12:00:00.000Z", applicationProperties: { tenant: "t1" }, ...meta },
    options: { trigger: { type: "serviceBusTrigger", name: "message", connection: "QUEUE_ORDERS", queueName: "%QUEUE_ORDERS_NAME%" } },
  });
  let sbStatus = 201;
  const sends = () => seen.filter((x) => x.url.startsWith("/https/orders-ns"));

  beforeEach(() => {
    Object.assign(process.env, {
      POLYCLOUD_CLOUD: "azure", AZURE_CLIENT_ID: "11111111-2222-3333-4444-555555555555",
      IDENTITY_ENDPOINT: `http://${base}/msi/token`, IDENTITY_HEADER: "header-secret",
      // What AzureQueue sets on its consumer.
      QUEUE_ORDERS__fullyQualifiedNamespace: "orders-ns.servicebus.windows.net", QUEUE_ORDERS_NAME: "orders-q",
      PLATFORM_QUEUE_ORDERS_RETRY_DELAY_SECONDS: "360", PLATFORM_QUEUE_ORDERS_MAX_DELIVERIES: "5",
    });
    seenByHandler.length = 0;
    fail = new Error("database unavailable");
    sbStatus = 201;
    reply = (x) => (x.url.startsWith("/msi/") ? { json: { access_token: "tok-sb", expires_on: String(Math.floor(Date.now() / 1000) + 3600) } } : { status: sbStatus, json: {} });
    const realFetch = globalThis.fetch;
    jest.spyOn(globalThis, "fetch").mockImplementation((input, init) => realFetch(String(input).replace(/^https:\/\//, `http://${base}/https/`), init));
    jest.spyOn(Date, "now").mockReturnValue(NOW);
    jest.spyOn(console, "error").mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  test("the first failure schedules a copy at now + delay with the attempt count, and the invocation succeeds (the host completes the original)", async () => {
    await expect(handler({ id: "o-1" }, context({}))).resolves.toBeUndefined();
    expect(seenByHandler.map((m) => [m.deliveryCount, m.attributes])).toEqual([[1, { tenant: "t1" }]]);
    const [copy] = sends();
    expect(sends()).toHaveLength(1);
    expect(copy).toMatchObject({ method: "POST", url: "/https/orders-ns.servicebus.windows.net/orders-q/messages", body: '{"id":"o-1"}' });
    expect(copy.headers).toMatchObject({ authorization: expect.stringMatching(/^Bearer tok-/), "content-type": "application/json", tenant: '"t1"', "polycloud-attempts": "1" });
    // 12:00:00.500 + 360 s, rounded up to the second the RFC 1123 date carries; same id and
    // correlation id; it expires when the original would have (2026-12-02T12:00:00Z).
    expect(JSON.parse(String(copy.headers.brokerproperties))).toEqual({
      ScheduledEnqueueTimeUtc: "Sat, 28 Nov 2026 12:06:01 GMT", MessageId: "m-1", CorrelationId: "c-1", TimeToLive: 4 * 86400 - 361,
    });
    expect(Date.parse(JSON.parse(String(copy.headers.brokerproperties)).ScheduledEnqueueTimeUtc) - NOW).toBeGreaterThanOrEqual(360_000);
    // The invocation succeeds, so no failed request records the attempt: its log line does, with the
    // marker the function's errors alert counts (issue 28.12).
    const logged = (console.error as jest.Mock).mock.calls.map(([line]) => JSON.parse(String(line)));
    expect(logged).toContainEqual(expect.objectContaining({ level: "error", event: "polycloud-attempt-failed", messageId: "m-1", attempt: 1, error: "database unavailable" }));
  });

  test("attempts are counted across copies: the handler sees prior attempts + Service Bus's delivery count, and the next copy carries them", async () => {
    fail = undefined;
    await handler({ id: "o-1" }, context({ deliveryCount: 1, applicationProperties: { tenant: "t1", "polycloud-attempts": 2 } }));
    expect(seenByHandler[0]).toMatchObject({ deliveryCount: 3, attributes: { tenant: "t1" } });
    expect(sends()).toEqual([]); // success: nothing re-sent
    fail = new Error("still failing");
    // A copy delivered a second time (its first failure's re-send had failed, so the host abandoned it), the property name in any case: 2 prior + 2 = attempt 4.
    await expect(handler({ id: "o-1" }, context({ deliveryCount: 2, applicationProperties: { tenant: "t1", "Polycloud-Attempts": 2 } }))).resolves.toBeUndefined();
    expect(seenByHandler[1].deliveryCount).toBe(4);
    expect(sends().map((x) => x.headers["polycloud-attempts"])).toEqual(["4"]);
  });

  test("the attempt that reaches the maximum throws without a copy; later deliveries of it throw without running the handler, until Service Bus dead-letters it", async () => {
    await expect(handler({ id: "o-1" }, context({ applicationProperties: { "polycloud-attempts": 4 } }))).rejects.toThrow("database unavailable");
    expect(seenByHandler.map((m) => m.deliveryCount)).toEqual([5]);
    // Service Bus redelivers the abandoned copy at once (delivery count 2..5 of max_delivery_count 5).
    for (const deliveryCount of [2, 3, 4, 5]) {
      await expect(handler({ id: "o-1" }, context({ deliveryCount, applicationProperties: { "polycloud-attempts": 4 } }))).rejects.toThrow(/already failed 5 attempts; failing it until Service Bus dead-letters it/);
    }
    expect(seenByHandler).toHaveLength(1);
    expect(sends()).toEqual([]);
  });

  test("nothing is lost when the copy cannot be sent: the invocation throws, so the host abandons the original", async () => {
    sbStatus = 403;
    await expect(handler({ id: "o-1" }, context({}))).rejects.toThrow("database unavailable");
    expect(sends()).toHaveLength(1);
    // Without the settings (an app AzureQueue did not configure) a failure is left to the host too.
    delete process.env.PLATFORM_QUEUE_ORDERS_RETRY_DELAY_SECONDS;
    sbStatus = 201;
    await expect(handler({ id: "o-1" }, context({}))).rejects.toThrow("database unavailable");
    expect(sends()).toHaveLength(1);
  });
});
