import * as a from "./adapters";
import { cloudImplementation } from "./cloud";
import { checkRequest, edgeConfig } from "./edge";
import { EventHandler, HandlerMarker, HttpHandler, HttpRequest, HttpResponse, QueueHandler } from "./types";


/**
 * A platform entry point: AWS Lambda calls it with (event, context), the Functions Framework with
 * (req, res), Azure Functions v4 with (request | message | event, InvocationContext).
 */
export type PlatformHandler = ((event: any, second?: any) => Promise<any>) & { readonly polycloud: HandlerMarker };

const isExpressResponse = (r: any) => !!r && typeof r.status === "function" && typeof r.send === "function";
const isAzureContext = (c: any) => !!c && typeof c.invocationId === "string" && ("triggerMetadata" in c || typeof c.log === "function");
const isAzureRequest = (r: any) => !!r && typeof r.text === "function" && !!r.headers && typeof r.headers.get === "function" && typeof r.url === "string";

function mark<T extends (...args: any[]) => any>(fn: T, kind: HandlerMarker["kind"]): T & { polycloud: HandlerMarker } {
  return Object.assign(fn, { polycloud: Object.freeze({ kind }) });
}

/**
 * Logged for every failed Service Bus attempt that is retried by a scheduled copy: Azure's errors
 * alert counts it (the same string as core's ATTEMPT_FAILED_EVENT; a contract test compares them).
 */
export const ATTEMPT_FAILED_EVENT = "polycloud-attempt-failed";

function log(level: "error" | "warn", msg: string, err: unknown, extra: Record<string, unknown> = {}) {
  console[level](JSON.stringify({ level, msg, error: err instanceof Error ? err.message : String(err), ...extra }));
}

const failure = (err: unknown): HttpResponse => {
  log("error", "handler failed", err);
  return { status: 500, body: { error: "internal error" } };
};

/**
 * The handler behind the checks its gateway left to the function (edge.ts), when the gateway
 * construct put its routes in the environment: an answer from the checks is sent as it is,
 * otherwise the handler runs with the verified claims as `auth` and the CORS headers are added to
 * whatever it answers (a failure's 500 included).
 */
async function run(handler: HttpHandler, req: HttpRequest): Promise<HttpResponse> {
  let config;
  try { config = edgeConfig(); } catch (err) { return failure(err); }
  if (!config) return Promise.resolve().then(() => handler(req)).catch(failure);
  const outcome = await checkRequest(req, config).catch((err): { response: HttpResponse } => ({ response: failure(err) }));
  if (outcome.response) return outcome.response;
  const out = await Promise.resolve().then(() => handler({ ...req, auth: a.authOf(outcome.claims) })).catch(failure);
  return { ...out, headers: { ...outcome.headers, ...out.headers } };
}

/** One request/response handler for API Gateway v2, the Functions Framework and Azure HttpRequest. */
export function http(handler: HttpHandler): PlatformHandler {
  return mark(async (event: any, second?: any) => {
    if (isExpressResponse(second)) {
      a.gcpSend(second, await run(handler, a.gcpHttpRequest(event)));
      return undefined;
    }
    if (isAzureRequest(event)) {
      return a.azureHttpResponse(await run(handler, await a.azureHttpRequest(event)));
    }
    return a.awsHttpResponse(await run(handler, a.awsHttpRequest(event)));
  }, "http");
}

/**
 * One message handler. A thrown error fails that message only:
 * - AWS: its id goes into `batchItemFailures` (SQS partial batch response), the rest are deleted;
 * - GCP: the push request answers 500, so Pub/Sub redelivers it (a malformed envelope answers 400);
 * - Azure: see `azureQueueInvocation`: a copy is scheduled one retry delay later and the message
 *   completed; the last attempt's failure is left to Service Bus's max delivery count (dead-letter).
 * A bus rule may also target the function itself (an EventBridge event on AWS, an Event Grid
 * trigger on Azure, a push of the bus topic on GCP): the event is one message, and a failure is
 * left to the rule's retries and dead letters.
 */
export function queue(handler: QueueHandler): PlatformHandler {
  return mark(async (event: any, second?: any) => {
    if (isExpressResponse(second)) {
      let msg;
      try { msg = a.gcpPushMessage(event.body); } catch (err) {
        log("warn", "rejected push request", err);
        second.status(400).send(err instanceof Error ? err.message : "bad request");
        return undefined;
      }
      try {
        await handler(msg);
        second.status(204).send("");
      } catch (err) {
        log("error", "message failed", err, { messageId: msg.id });
        second.status(500).send("");
      }
      return undefined;
    }
    if (isAzureContext(second)) {
      // A bus rule that targets this function delivers through an Event Grid trigger: one event;
      // a failure throws, so Event Grid retries it and dead-letters it by the rule's policy.
      if (second.options?.trigger?.type === "eventGridTrigger") {
        await handler(a.ruleMessage("azure", a.azureEvent(event), event));
        return undefined;
      }
      await azureQueueInvocation(handler, event, second);
      return undefined;
    }
    // A bus rule that targets this function invokes it asynchronously with one EventBridge event:
    // a failure throws, so Lambda retries it and sends it to the on-failure destination.
    if (a.isEventBridgeEvent(event)) {
      await handler(a.ruleMessage("aws", a.awsEvent(event), event));
      return undefined;
    }
    const batchItemFailures: { itemIdentifier: string }[] = [];
    for (const record of event?.Records ?? []) {
      try {
        await handler(a.awsQueueMessage(record));
      } catch (err) {
        log("error", "message failed", err, { messageId: record.messageId });
        batchItemFailures.push({ itemIdentifier: String(record.messageId) });
      }
    }
    return { batchItemFailures };
  }, "queue");
}

/** One CloudEvents-shaped event from EventBridge, Pub/Sub (push or Eventarc) and Event Grid. */
export function events(handler: EventHandler): PlatformHandler {
  return mark(async (event: any, second?: any) => {
    if (isExpressResponse(second)) {
      let ev;
      try { ev = a.gcpEvent(event); } catch (err) {
        log("warn", "rejected event request", err);
        second.status(400).send(err instanceof Error ? err.message : "bad request");
        return undefined;
      }
      try {
        await handler(ev);
        second.status(204).send("");
      } catch (err) {
        log("error", "event failed", err, { eventId: ev.id });
        second.status(500).send("");
      }
      return undefined;
    }
    if (isAzureContext(second)) {
      await handler(a.azureEvent(event));
      return undefined;
    }
    await handler(a.awsEvent(event));
    return undefined;
  }, "events");
}

/**
 * One Service Bus delivery on Azure. The Functions host abandons a message whose invocation
 * throws, and Service Bus redelivers it at once; to space attempts like SQS (one visibility
 * timeout) and Pub/Sub (minimum backoff), a failed attempt instead sends a copy of the message to
 * its own queue, scheduled `PLATFORM_QUEUE_<ID>_RETRY_DELAY_SECONDS` later and carrying the
 * attempts made so far, and returns, so the host completes the original. Nothing is lost: if the
 * copy cannot be sent, the invocation throws and the host abandons the original (immediate
 * redelivery, at least once). The attempt that reaches `PLATFORM_QUEUE_<ID>_MAX_DELIVERIES` throws;
 * later deliveries of that copy throw without calling the handler, until Service Bus dead-letters
 * it at the queue's max delivery count (the same number). Without these settings, a failure throws.
 */
async function azureQueueInvocation(handler: QueueHandler, event: unknown, context: any): Promise<void> {
  const msg = a.azureQueueMessage(event, context);
  const settings = a.azureRetrySettings(context);
  const attempt = msg.deliveryCount ?? 1;
  if (settings && attempt > settings.maxDeliveries) {
    throw new Error(`@polycloud/runtime: message ${msg.id} of queue ${settings.queueName} already failed ${settings.maxDeliveries} attempts; failing it until Service Bus dead-letters it`);
  }
  try {
    await handler(msg);
    return;
  } catch (err) {
    if (!settings || attempt >= settings.maxDeliveries) {
      log("error", "message failed", err, { messageId: msg.id, attempt, final: true });
      throw err;
    }
    const copy = a.azureRetryCopy(event, context, attempt, settings.delaySeconds, Date.now());
    try {
      const impl = await cloudImplementation("azure");
      if (!impl.scheduleCopy) throw new Error("the bound cloud implementation cannot schedule Service Bus messages");
      await impl.scheduleCopy(settings.namespace, settings.queueName, copy);
    } catch (sendErr) {
      log("error", "message failed and its delayed retry could not be scheduled; the host abandons it (immediate redelivery)", sendErr, { messageId: msg.id, attempt });
      throw err;
    }
    // The invocation succeeds (the host completes the original), so no failed request counts this
    // attempt: the event marker is what the function's errors alert counts (ATTEMPT_FAILED_EVENT).
    log("error", "message failed; retry scheduled", err, { event: ATTEMPT_FAILED_EVENT, messageId: msg.id, attempt, retryAt: copy.scheduledEnqueueTimeUtc.toISOString() });
  }
}
