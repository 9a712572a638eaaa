import { HttpRequest as AzureHttpRequest, InvocationContext } from "@azure/functions";
import { CloudEvent, HttpRequest, QueueMessage, events, http, queue } from "@polycloud/runtime";
import * as fx from "./fixtures/events";

/**
 * The same handler behind each cloud's adapter, fed each cloud's documented event: the handler
 * sees the same input, and each platform gets its own kind of answer.
 */
const azureContext = (triggerMetadata: Record<string, unknown> = {}) => new InvocationContext({ invocationId: "inv-1", functionName: "fn", triggerMetadata });

/** A Functions Framework (Express) response double: status, headers, body. */
function expressRes() {
  const out = { status: 0, headers: {} as Record<string, string>, body: "" as string };
  const res = {
    status(c: number) { out.status = c; return res; },
    set(k: string, v: string) { out.headers[k] = v; return res; },
    send(b: string) { out.body = b; return res; },
  };
  return { res, out };
}
const expressReq = (r: { method: string; path: string; headers: Record<string, string>; body: string }) => {
  const [p, q] = r.path.split("?");
  return { method: r.method, path: p, url: r.path, query: Object.fromEntries(new URLSearchParams(q ?? "")), headers: r.headers, rawBody: Buffer.from(r.body), body: JSON.parse(r.body) };
};

test("fixtures name the documentation page they follow", () => {
  for (const group of [fx.http, fx.queue, fx.events]) for (const cloud of ["aws", "gcp", "azure"] as const) {
    expect((group as unknown as Record<string, { doc: string }>)[cloud].doc).toMatch(/^https:\/\/(docs\.aws\.amazon\.com|cloud\.google\.com|learn\.microsoft\.com)\//);
  }
});

describe("http()", () => {
  const seen: HttpRequest[] = [];
  const handler = http(async (req) => {
    seen.push(req);
    return { status: 201, headers: { "X-Order": "o-1" }, body: { accepted: true } };
  });
  const inputOf = (r: HttpRequest) => ({ method: r.method, path: r.path, query: r.query, body: r.body, headers: Object.fromEntries(Object.entries(r.headers).filter(([k]) => k in fx.http.expected.headers)) });

  test("API Gateway v2, Functions Framework and Azure HttpRequest give the handler the same request", async () => {
    seen.length = 0;
    const aws = await handler(fx.http.aws.event);
    const { res, out: gcp } = expressRes();
    await handler(expressReq(fx.http.gcp.request), res);
    const azure = await handler(new AzureHttpRequest(fx.http.azure.init), azureContext());
    expect(seen.map((r) => r.cloud)).toEqual(["aws", "gcp", "azure"]);
    for (const r of seen) {
      expect(inputOf(r)).toEqual(fx.http.expected);
      expect(r.json()).toEqual({ id: "o-1", total: 42 });
    }
    // Each platform's response shape.
    expect(aws).toEqual({ statusCode: 201, headers: { "x-order": "o-1", "content-type": "application/json" }, body: '{"accepted":true}', isBase64Encoded: false });
    expect(gcp).toEqual({ status: 201, headers: { "x-order": "o-1", "content-type": "application/json" }, body: '{"accepted":true}' });
    expect(azure).toEqual({ status: 201, headers: { "x-order": "o-1", "content-type": "application/json" }, body: '{"accepted":true}' });
  });

  test("GCP: the handler sees the client's token (x-forwarded-authorization), never the platform's ID token in authorization (33.7)", async () => {
    seen.length = 0;
    const base = fx.http.gcp.request as any;
    const { res } = expressRes();
    await handler(expressReq({ ...base, headers: { ...base.headers, authorization: "Bearer gateway-id-token", "x-forwarded-authorization": "Bearer client-token" } }), res);
    expect(seen[0].headers.authorization).toBe("Bearer client-token");
    expect(seen[0].headers["x-forwarded-authorization"]).toBeUndefined();
    // The client sent no Authorization: the gateway's (or an internal invoker's) ID token is not shown as the caller's.
    seen.length = 0;
    const direct = expressRes();
    await handler(expressReq({ ...base, headers: { ...base.headers, authorization: "Bearer gateway-id-token" } }), direct.res);
    expect(seen[0].headers.authorization).toBeUndefined();
  });

  test("a repeated query parameter is the same on every cloud: values joined with ',' in order, as API Gateway gives them (33.7)", async () => {
    seen.length = 0;
    const raw = "tag=a&tag=b%2Cc&q=x+y&empty&z=";
    await handler({ ...fx.http.aws.event, rawQueryString: raw, queryStringParameters: { tag: "a,b,c", q: "x y", empty: "", z: "" } });
    const { res } = expressRes();
    // Express's own parser would give arrays (and objects for a[b]=1): the raw query string is used.
    await handler({ ...expressReq({ ...(fx.http.gcp.request as any), path: `/orders?${raw}` }), query: { tag: ["a", "b,c"], q: "x y" } }, res);
    await handler(new AzureHttpRequest({ ...fx.http.azure.init, url: `https://orders.azurewebsites.net/api/orders?${raw}` }), azureContext());
    expect(seen.map((r) => r.query)).toEqual(Array(3).fill({ tag: "a,b,c", q: "x y", empty: "", z: "" }));
  });

  test("AWS: the JWT authorizer's verified claims are the request's auth; no authorizer, no auth", async () => {
    seen.length = 0;
    await handler({ ...fx.http.aws.event, requestContext: { ...fx.http.aws.event.requestContext, authorizer: { jwt: { claims: { sub: "u-7", iss: "https://auth.example.com/" }, scopes: null } } } });
    await handler(fx.http.aws.event);
    expect(seen.map((r) => r.auth)).toEqual([{ subject: "u-7", claims: { sub: "u-7", iss: "https://auth.example.com/" } }, undefined]);
  });

  test("a throwing handler answers 500 without leaking the error on every cloud", async () => {
    const failing = http(async () => { throw new Error("secret detail"); });
    const spy = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const aws = await failing(fx.http.aws.event);
    const { res, out } = expressRes();
    await failing(expressReq(fx.http.gcp.request), res);
    const azure = await failing(new AzureHttpRequest(fx.http.azure.init), azureContext());
    spy.mockRestore();
    for (const r of [{ status: aws.statusCode, body: aws.body }, out, azure]) {
      expect(r.status).toBe(500);
      expect(r.body).not.toMatch(/secret/);
    }
  });
});

describe("queue()", () => {
  const seen: QueueMessage[] = [];
  const handler = queue(async (m) => {
    seen.push(m);
    if ((m.body as { fail?: boolean }).fail) throw new Error("poison");
  });
  const inputOf = (m: QueueMessage) => ({ id: m.id, body: m.body, text: m.text, attributes: m.attributes, deliveryCount: m.deliveryCount });
  const quiet = () => jest.spyOn(console, "error").mockImplementation(() => undefined);

  test("SQS: only the failed message is reported in batchItemFailures (partial batch response)", async () => {
    seen.length = 0;
    const spy = quiet();
    expect(await handler(fx.queue.aws.event)).toEqual({ batchItemFailures: [{ itemIdentifier: "m-2" }] });
    spy.mockRestore();
    expect(seen.map(inputOf)).toEqual(fx.queue.expected);
  });

  test("Pub/Sub push: 204 acknowledges, 500 asks for redelivery, a malformed envelope gets 400", async () => {
    seen.length = 0;
    const spy = quiet();
    const statuses = [];
    for (const body of fx.queue.gcp.envelopes) {
      const { res, out } = expressRes();
      await handler({ method: "POST", headers: { "content-type": "application/json" }, body }, res);
      statuses.push(out.status);
    }
    const { res, out } = expressRes();
    jest.spyOn(console, "warn").mockImplementationOnce(() => undefined);
    await handler({ method: "POST", headers: {}, body: { hello: "world" } }, res);
    spy.mockRestore();
    expect(statuses).toEqual([204, 500]);
    expect(out.status).toBe(400);
    expect(seen.map(inputOf)).toEqual(fx.queue.expected);
  });

  test("Service Bus: success completes, a failure throws so the message is abandoned and redelivered (dead-lettered after max deliveries)", async () => {
    seen.length = 0;
    const [ok, bad] = fx.queue.azure.deliveries;
    await expect(handler(ok.message, azureContext(ok.triggerMetadata))).resolves.toBeUndefined();
    await expect(handler(bad.message, azureContext(bad.triggerMetadata))).rejects.toThrow("poison");
    expect(seen.map(inputOf)).toEqual(fx.queue.expected);
  });
});

describe("events()", () => {
  const seen: CloudEvent[] = [];
  const handler = events(async (e) => { seen.push(e); });

  test("EventBridge, Pub/Sub and Event Grid (CloudEvents schema) give the handler the same CloudEvent", async () => {
    seen.length = 0;
    expect(await handler(fx.events.aws.event)).toBeUndefined();
    const { res, out } = expressRes();
    await handler({ method: "POST", headers: { "content-type": "application/json" }, body: fx.events.gcp.envelope }, res);
    expect(out.status).toBe(204);
    expect(await handler(fx.events.azure.event, azureContext())).toBeUndefined();
    expect(seen).toEqual([fx.events.expected, fx.events.expected, fx.events.expected]);
  });

  test("an event without an id is refused on every cloud, never handled under the id \"undefined\" (33.9)", async () => {
    const { id: _id, ...noId } = fx.events.azure.event as Record<string, unknown>;
    const { id: _ebId, ...noEbId } = fx.events.aws.event as Record<string, unknown>;
    seen.length = 0;
    await expect(handler(noId, azureContext())).rejects.toThrow(/CloudEvent has no id; refused/);
    await expect(handler(noEbId)).rejects.toThrow(/EventBridge event has no id/);
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    const error = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const { res, out } = expressRes();
    const data = Buffer.from(JSON.stringify(noId)).toString("base64");
    await handler({ method: "POST", headers: {}, body: { message: { data, messageId: "ps-1" }, subscription: "s" } }, res);
    expect(out.status).toBe(400);
    // As a queue message: that message fails (its retries end in the DLQ), the others are processed.
    const q = queue(async () => undefined);
    const batch = await q({ Records: [{ messageId: "m-1", body: JSON.stringify(noId), attributes: {} }, { messageId: "m-2", body: JSON.stringify(fx.events.azure.event), attributes: {} }] });
    warn.mockRestore();
    error.mockRestore();
    expect(batch).toEqual({ batchItemFailures: [{ itemIdentifier: "m-1" }] });
    expect(seen).toEqual([]);
  });

  test("a bus event routed into a queue is recognised as an event in the message", async () => {
    const seenMessages: QueueMessage[] = [];
    const q = queue(async (m) => { seenMessages.push(m); });
    await q({ Records: [{ messageId: "m-9", body: JSON.stringify(fx.events.aws.event), attributes: {} }] });
    await q(fx.events.azure.event, azureContext({ messageId: "m-9" }));
    const { res } = expressRes();
    await q({ body: fx.events.gcp.envelope }, res);
    expect(seenMessages.map((m) => m.event)).toEqual([fx.events.expected, fx.events.expected, fx.events.expected]);
  });
});
