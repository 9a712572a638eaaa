import { Cloud, CloudEvent, HttpRequest, HttpResponse, QueueMessage, RequestAuth } from "./types";


function parseMaybeJson(text: string): unknown {
  try { return text === "" ? undefined : JSON.parse(text); } catch { return text; }
}

function lowerHeaders(h: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(",") : String(v);
  return out;
}

export function makeRequest(cloud: Cloud, method: string, path: string, query: Record<string, string>, headers: Record<string, string>, body: string, auth?: RequestAuth): HttpRequest {
  return {
    method: method.toUpperCase(), path: path || "/", query, headers, body, cloud, auth,
    json: <T>() => (body === "" ? undefined : JSON.parse(body)) as T,
  };
}

/**
 * Query parameters from the raw query string, the same on every cloud and in the Python twin:
 * decoded (`+` is a space), a parameter without `=` is "", and a repeated parameter's values are
 * joined with `,` in order, which is what API Gateway's `queryStringParameters` holds.
 */
export function parseQuery(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(raw)) out[k] = Object.prototype.hasOwnProperty.call(out, k) ? `${out[k]},${v}` : v;
  return out;
}

/** The verified claims as the handler sees them. */
export function authOf(claims: Record<string, unknown> | undefined): RequestAuth | undefined {
  if (!claims) return undefined;
  return { subject: typeof claims.sub === "string" ? claims.sub : undefined, claims };
}

/** Body text and headers of a handler response (objects become JSON). */
export function responseBody(res: HttpResponse): { body: string; headers: Record<string, string> } {
  const headers = lowerHeaders(res.headers);
  if (res.body === undefined || res.body === null) return { body: "", headers };
  if (typeof res.body === "string") return { body: res.body, headers };
  if (!headers["content-type"]) headers["content-type"] = "application/json";
  return { body: JSON.stringify(res.body), headers };
}

/**
 * EventBridge assigns its own id to every PutEvents entry and has no field for the publisher's, so
 * the AWS client carries it as a resource `polycloud:event-id/<id>` (resources are free strings);
 * the event's id is read back from there. The same event then has the same id, and the same
 * idempotency key, on every cloud (Pub/Sub carries it as the `id` attribute, Event Grid as the
 * CloudEvent id).
 */
export const EVENT_ID_RESOURCE = "polycloud:event-id/";

/** An event without an id is refused: every such event would share one idempotency key. */
export class EventIdError extends Error {}

function eventId(v: unknown, what: string): string {
  if (typeof v === "string" && v !== "") return v;
  throw new EventIdError(`@polycloud/runtime: ${what} has no id; refused (events without an id would share one idempotency key)`);
}

/** Recognises a bus event carried in a queue message: EventBridge, CloudEvents or Event Grid schema. Throws EventIdError for an event without an id. */
export function eventFromJson(v: any): CloudEvent | undefined {
  if (!v || typeof v !== "object") return undefined;
  if (v.specversion === "1.0" && typeof v.type === "string" && typeof v.source === "string") {
    return { specversion: "1.0", id: eventId(v.id, "CloudEvent"), source: v.source, type: v.type, time: v.time, subject: v.subject, data: v.data ?? (v.data_base64 !== undefined ? Buffer.from(v.data_base64, "base64").toString("utf8") : undefined) };
  }
  if (typeof v["detail-type"] === "string" && typeof v.source === "string" && "detail" in v) {
    const resources: unknown[] = Array.isArray(v.resources) ? v.resources : [];
    const carried = resources.find((r): r is string => typeof r === "string" && r.startsWith(EVENT_ID_RESOURCE));
    const subject = resources.find((r) => !(typeof r === "string" && r.startsWith(EVENT_ID_RESOURCE)));
    return { specversion: "1.0", id: eventId(carried ? carried.slice(EVENT_ID_RESOURCE.length) : v.id, "EventBridge event"), source: v.source, type: v["detail-type"], time: v.time, subject: subject === undefined ? undefined : String(subject), data: v.detail };
  }
  if (typeof v.eventType === "string" && typeof v.dataVersion === "string") {
    return { specversion: "1.0", id: eventId(v.id, "Event Grid event"), source: String(v.topic ?? ""), type: v.eventType, time: v.eventTime, subject: v.subject, data: v.data };
  }
  return undefined;
}

// ---------------------------------------------------------------- AWS

/** API Gateway HTTP API payload format 2.0. */
export function awsHttpRequest(e: any): HttpRequest {
  const raw = e.body === undefined || e.body === null ? "" : e.isBase64Encoded ? Buffer.from(e.body, "base64").toString("utf8") : String(e.body);
  const headers = lowerHeaders(e.headers);
  if (Array.isArray(e.cookies) && e.cookies.length && !headers.cookie) headers.cookie = e.cookies.join("; ");
  const query: Record<string, string> = typeof e.rawQueryString === "string" ? parseQuery(e.rawQueryString) : { ...(e.queryStringParameters ?? {}) };
  // The JWT authorizer's claims: API Gateway verified the token (the function accepts no other caller).
  const claims = e.requestContext?.authorizer?.jwt?.claims;
  return makeRequest("aws", e.requestContext?.http?.method ?? String(e.routeKey ?? "GET").split(" ")[0], e.rawPath ?? e.requestContext?.http?.path ?? "/", query, headers, raw,
    claims && typeof claims === "object" ? authOf(claims) : undefined);
}

export function awsHttpResponse(res: HttpResponse): { statusCode: number; headers: Record<string, string>; body: string; isBase64Encoded: false } {
  const { body, headers } = responseBody(res);
  return { statusCode: res.status, headers, body, isBase64Encoded: false };
}

/** One SQS record of a Lambda event source mapping batch. */
export function awsQueueMessage(r: any): QueueMessage {
  const text = String(r.body ?? "");
  const body = parseMaybeJson(text);
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries<any>(r.messageAttributes ?? {})) if (v?.stringValue !== undefined) attributes[k] = String(v.stringValue);
  const count = Number(r.attributes?.ApproximateReceiveCount);
  return { id: String(r.messageId), body, text, attributes, deliveryCount: Number.isFinite(count) ? count : undefined, event: eventFromJson(body), cloud: "aws" };
}

/**
 * A bus rule's event delivered straight to a queue() handler (issue 24.2: a rule that targets the
 * function rather than its queue) as the one message of the invocation; `id` is the event's.
 */
export function ruleMessage(cloud: Cloud, event: CloudEvent, raw: unknown): QueueMessage {
  const text = JSON.stringify(raw);
  return { id: String(event.id), body: raw, text, attributes: {}, deliveryCount: undefined, event, cloud };
}

/** An EventBridge event (what a rule sends a Lambda target), as opposed to an SQS batch. */
export const isEventBridgeEvent = (e: any): boolean => !!e && typeof e === "object" && !Array.isArray(e.Records) && typeof e["detail-type"] === "string" && typeof e.source === "string";

export function awsEvent(e: any): CloudEvent {
  const ev = eventFromJson(e);
  if (!ev) throw new Error("@polycloud/runtime: not an EventBridge event (no detail-type/source/detail)");
  return ev;
}

// ---------------------------------------------------------------- GCP (Functions Framework, Express req/res)

export function gcpHttpRequest(req: any): HttpRequest {
  const raw = req.rawBody !== undefined ? Buffer.from(req.rawBody).toString("utf8")
    : typeof req.body === "string" ? req.body : req.body === undefined || (typeof req.body === "object" && Object.keys(req.body).length === 0 && !req.headers?.["content-length"]) ? "" : JSON.stringify(req.body);
  const url = String(req.originalUrl ?? req.url ?? "/");
  const query = parseQuery(url.includes("?") ? url.slice(url.indexOf("?") + 1) : "");
  const headers = lowerHeaders(req.headers);
  // On Cloud Run `authorization` is the platform's: the invoker's Google ID token, which IAM checked
  // (behind API Gateway, the gateway's own, from x-google-backend's jwt_audience). The client's
  // header arrives as `x-forwarded-authorization`. Handlers get the client's, or none: never a
  // platform token.
  const forwarded = headers["x-forwarded-authorization"];
  delete headers["x-forwarded-authorization"];
  if (forwarded) headers.authorization = forwarded;
  else delete headers.authorization;
  return makeRequest("gcp", req.method ?? "GET", req.path ?? url.split("?")[0], query, headers, raw);
}

export function gcpSend(res: any, out: HttpResponse): void {
  const { body, headers } = responseBody(out);
  res.status(out.status);
  for (const [k, v] of Object.entries(headers)) res.set(k, v);
  res.send(body);
}

/** Pub/Sub push envelope: { message: { data (base64), attributes, messageId, publishTime }, subscription, deliveryAttempt }. */
export function gcpPushMessage(body: any): QueueMessage {
  const m = body?.message;
  if (!m || typeof m !== "object" || (m.messageId ?? m.message_id) === undefined) throw new PushEnvelopeError("not a Pub/Sub push envelope (no message.messageId)");
  const text = m.data === undefined ? "" : Buffer.from(String(m.data), "base64").toString("utf8");
  const parsed = parseMaybeJson(text);
  const attributes: Record<string, string> = { ...(m.attributes ?? {}) };
  const attempt = Number(body.deliveryAttempt);
  // The event-bus client publishes the event data with source/type/id as attributes.
  const event: CloudEvent | undefined = attributes.type && attributes.source
    ? { specversion: "1.0", id: attributes.id || String(m.messageId ?? m.message_id), source: attributes.source, type: attributes.type, time: m.publishTime ?? m.publish_time, subject: attributes.subject, data: parsed }
    : eventFromJson(parsed);
  return { id: String(m.messageId ?? m.message_id), body: parsed, text, attributes, deliveryCount: Number.isFinite(attempt) ? attempt : undefined, event, cloud: "gcp" };
}

class PushEnvelopeError extends Error {}

/** An event over HTTP on GCP: a Pub/Sub push of the bus topic, or a binary-mode CloudEvent (Eventarc). */
export function gcpEvent(req: any): CloudEvent {
  const h = lowerHeaders(req.headers);
  if (h["ce-id"] && h["ce-type"] && h["ce-source"]) {
    const r = gcpHttpRequest(req);
    return { specversion: "1.0", id: h["ce-id"], source: h["ce-source"], type: h["ce-type"], time: h["ce-time"], subject: h["ce-subject"], data: parseMaybeJson(r.body) };
  }
  const m = gcpPushMessage(req.body);
  if (!m.event) throw new PushEnvelopeError("Pub/Sub message carries no event (no source/type attributes)");
  return m.event;
}

// ---------------------------------------------------------------- Azure Functions v4

export async function azureHttpRequest(req: any): Promise<HttpRequest> {
  const url = new URL(req.url);
  const headers: Record<string, string> = {};
  req.headers.forEach((v: string, k: string) => { headers[k.toLowerCase()] = v; });
  // Behind API Management the app admits only the gateway's managed identity (App Service
  // authentication, which then sets x-ms-client-principal-id and strips any a client sent), so
  // `authorization` is the gateway's token; the client's arrives as `x-forwarded-authorization`.
  // Handlers get the client's, or none: never the gateway's (as on GCP).
  const forwarded = headers["x-forwarded-authorization"];
  delete headers["x-forwarded-authorization"];
  if (forwarded) headers.authorization = forwarded;
  else if (headers["x-ms-client-principal-id"] !== undefined) delete headers.authorization;
  const query = parseQuery(url.search.slice(1));
  const text = req.body ? await req.text() : "";
  // Registered with route "{*path}": the path below the host's route prefix, as the service declares it.
  const below = req.params?.path;
  return makeRequest("azure", req.method, typeof below === "string" ? `/${below}` : url.pathname, query, headers, text);
}

export function azureHttpResponse(res: HttpResponse): { status: number; headers: Record<string, string>; body: string } {
  const { body, headers } = responseBody(res);
  return { status: res.status, headers, body };
}

/** A Service Bus queue trigger message (cardinality one) with its InvocationContext. */
export function azureQueueMessage(message: unknown, context: any): QueueMessage {
  const meta = context?.triggerMetadata ?? {};
  const text = typeof message === "string" ? message : Buffer.isBuffer(message) ? message.toString("utf8") : JSON.stringify(message);
  const body = typeof message === "string" ? parseMaybeJson(message) : Buffer.isBuffer(message) ? parseMaybeJson(text) : message;
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries<any>(meta.applicationProperties ?? {})) if (!isAttempts(k)) attributes[k] = String(v);
  const count = Number(meta.deliveryCount);
  // Attempts made on earlier copies (see azureRetry) count like SQS's ApproximateReceiveCount.
  const deliveryCount = Number.isFinite(count) ? priorAttempts(meta) + count : undefined;
  return { id: String(meta.messageId ?? context?.invocationId ?? ""), body, text, attributes, deliveryCount, event: eventFromJson(body), cloud: "azure" };
}

/**
 * Application property of a re-sent copy: how many attempts failed before the copy was sent.
 * Lower case with a hyphen: it travels as an HTTP header on the REST API (no underscores, which
 * some front ends drop), and header names may arrive lower-cased.
 */
export const ATTEMPTS_PROPERTY = "polycloud-attempts";
const isAttempts = (k: string) => k.toLowerCase() === ATTEMPTS_PROPERTY;

function priorAttempts(meta: any): number {
  const entry = Object.entries<unknown>(meta?.applicationProperties ?? {}).find(([k]) => isAttempts(k));
  const n = Number(entry?.[1]);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** Where and when a failed Service Bus message is retried: the settings AzureQueue gives its consumer. */
export interface AzureRetrySettings {
  /** `<ID>` of `QUEUE_<ID>`, the trigger's connection. */
  readonly queueId: string;
  /** `<namespace>.servicebus.windows.net`. */
  readonly namespace: string;
  readonly queueName: string;
  readonly delaySeconds: number;
  readonly maxDeliveries: number;
}

/**
 * The retry settings of the queue this invocation was triggered by (the trigger's connection
 * `QUEUE_<ID>`, or the only Service Bus connection of the app), or undefined when any is missing:
 * then a failure is left to the host (abandon, immediate redelivery).
 */
export function azureRetrySettings(context: any, env: Record<string, string | undefined> = process.env): AzureRetrySettings | undefined {
  const connection = context?.options?.trigger?.connection;
  let id = typeof connection === "string" ? /^QUEUE_([A-Z0-9_]+)$/.exec(connection)?.[1] : undefined;
  if (!id) {
    const ids = Object.keys(env).flatMap((k) => /^QUEUE_([A-Z0-9_]+)__fullyQualifiedNamespace$/.exec(k)?.[1] ?? []);
    if (ids.length === 1) id = ids[0];
  }
  if (!id) return undefined;
  const namespace = env[`QUEUE_${id}__fullyQualifiedNamespace`];
  const queueName = env[`QUEUE_${id}_NAME`];
  const delaySeconds = Number(env[`PLATFORM_QUEUE_${id}_RETRY_DELAY_SECONDS`]);
  const maxDeliveries = Number(env[`PLATFORM_QUEUE_${id}_MAX_DELIVERIES`]);
  if (!namespace || !queueName || !Number.isInteger(delaySeconds) || delaySeconds < 0 || !Number.isInteger(maxDeliveries) || maxDeliveries < 1) return undefined;
  return { queueId: id, namespace, queueName, delaySeconds, maxDeliveries };
}

/** A copy of a failed message, to be sent to its queue for delivery at `scheduledEnqueueTimeUtc`. */
export interface ScheduledCopy {
  readonly body: string | Buffer;
  readonly contentType: string;
  /** Service Bus broker properties (REST `BrokerProperties` header). */
  readonly broker: Record<string, string | number>;
  /** Application properties, the attempt count included. */
  readonly properties: Record<string, unknown>;
  readonly scheduledEnqueueTimeUtc: Date;
}

const SERVICE_BUS_MAX_TTL_YEAR = 9000;

/**
 * The copy that carries a failed message's next attempt: same body, id, correlation id, subject,
 * content type and application properties, the failed attempts so far in `polycloud-attempts`,
 * scheduled `delaySeconds` after `now` (rounded up to the whole second the REST API carries), and
 * expiring when the original would have (at least one second after it appears, so an expired
 * copy is dead-lettered, never dropped).
 */
export function azureRetryCopy(message: unknown, context: any, attempt: number, delaySeconds: number, now: number): ScheduledCopy {
  const meta = context?.triggerMetadata ?? {};
  const body = Buffer.isBuffer(message) ? message : typeof message === "string" ? message : JSON.stringify(message);
  const due = Math.ceil((now + delaySeconds * 1000) / 1000) * 1000;
  const scheduledEnqueueTimeUtc = new Date(due);
  const broker: Record<string, string | number> = { ScheduledEnqueueTimeUtc: scheduledEnqueueTimeUtc.toUTCString() };
  if (meta.messageId !== undefined) broker.MessageId = String(meta.messageId);
  if (meta.correlationId) broker.CorrelationId = String(meta.correlationId);
  const label = meta.subject ?? meta.label;
  if (label) broker.Label = String(label);
  const expires = meta.expiresAtUtc !== undefined ? new Date(meta.expiresAtUtc as string).getTime() : NaN;
  if (Number.isFinite(expires) && new Date(expires).getUTCFullYear() < SERVICE_BUS_MAX_TTL_YEAR) {
    broker.TimeToLive = Math.max(1, Math.floor((expires - due) / 1000));
  }
  const properties: Record<string, unknown> = {};
  for (const [k, v] of Object.entries<unknown>(meta.applicationProperties ?? {})) if (!isAttempts(k)) properties[k] = v;
  properties[ATTEMPTS_PROPERTY] = attempt;
  const contentType = typeof meta.contentType === "string" && meta.contentType ? meta.contentType
    : typeof message === "string" && parseMaybeJson(message) === message ? "text/plain" : "application/json";
  return { body, contentType, broker, properties, scheduledEnqueueTimeUtc };
}

export function azureEvent(event: any): CloudEvent {
  const ev = eventFromJson(event);
  if (!ev) throw new Error("@polycloud/runtime: not an Event Grid event (neither CloudEvents nor Event Grid schema)");
  return ev;
}
