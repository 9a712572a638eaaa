import * as a from "./adapters";
import { EventHandler, HandlerMarker, HttpHandler, HttpResponse, QueueHandler } from "./types";


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

function log(level: "error" | "warn", msg: string, err: unknown, extra: Record<string, unknown> = {}) {
  console[level](JSON.stringify({ level, msg, error: err instanceof Error ? err.message : String(err), ...extra }));
}

const failure = (err: unknown): HttpResponse => {
  log("error", "handler failed", err);
  return { status: 500, body: { error: "internal error" } };
};

/** One request/response handler for API Gateway v2, the Functions Framework and Azure HttpRequest. */
export function http(handler: HttpHandler): PlatformHandler {
  return mark(async (event: any, second?: any) => {
    if (isExpressResponse(second)) {
      const out = await Promise.resolve().then(() => handler(a.gcpHttpRequest(event))).catch(failure);
      a.gcpSend(second, out);
      return undefined;
    }
    if (isAzureRequest(event)) {
      const req = await a.azureHttpRequest(event);
      return a.azureHttpResponse(await Promise.resolve().then(() => handler(req)).catch(failure));
    }
    return a.awsHttpResponse(await Promise.resolve().then(() => handler(a.awsHttpRequest(event))).catch(failure));
  }, "http");
}

/**
 * One message handler. A thrown error fails that message only:
 * - AWS: its id goes into `batchItemFailures` (SQS partial batch response), the rest are deleted;
 * - GCP: the push request answers 500, so Pub/Sub redelivers it (a malformed envelope answers 400);
 * - Azure: the invocation throws, so the Service Bus message is abandoned and redelivered, and
 *   dead-lettered after the queue's max delivery count.
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
      const msg = a.azureQueueMessage(event, second);
      await handler(msg); // throwing abandons the message
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
