import { randomUUID } from "node:crypto";
import { EmulationHost, HttpAnswer, HttpExchange, componentKeyOf, durationSeconds, jsonAnswer } from "@polycloud/core";
import { AzurePrincipal, Entra } from "./entra";
import { AzureValues } from "./values";

export interface SbMessage {
  readonly messageId: string;
  readonly body: Buffer;
  readonly contentType?: string;
  readonly properties: Record<string, unknown>;
  readonly correlationId?: string;
  readonly subject?: string;
  readonly sequenceNumber: number;
  readonly enqueuedAt: number;
  readonly visibleAt: number;
  readonly expiresAt: number;
  deliveryCount: number;
  lockedUntil: number;
  deadLetterReason?: string;
}

export class SbQueue {
  readonly active: SbMessage[] = [];
  readonly deadLetter: SbMessage[] = [];
  readonly listeners: (() => void)[] = [];
  constructor(readonly address: string, readonly namespace: string, readonly name: string, readonly id: string, readonly config: any) {}
  get lockMs(): number { return durationSeconds(this.config.lock_duration ?? "PT1M") * 1000; }
  get maxDeliveryCount(): number { return Number(this.config.max_delivery_count ?? 10); }
  get ttlMs(): number { return this.config.default_message_ttl ? durationSeconds(this.config.default_message_ttl) * 1000 : 14 * 86400_000; }
}

const STANDARD_HEADERS = new Set(["authorization", "content-type", "content-length", "host", "brokerproperties", "connection", "accept", "accept-encoding", "accept-language", "user-agent", "sec-fetch-mode", "transfer-encoding", "expect"]);

/**
 * Service Bus queues as the JSON configures them: peek-lock delivery with the lock duration, the
 * delivery count, dead-lettering into the queue's `$DeadLetterQueue` after max_delivery_count
 * (and on expiry when dead_lettering_on_message_expiration), scheduled messages, and the REST
 * send API (BrokerProperties, custom properties as headers) with an Entra token of a sender.
 */
export class ServiceBus {
  readonly queues = new Map<string, SbQueue>();
  private seq = 1;

  constructor(private readonly host: EmulationHost, values: AzureValues, private readonly entra: Entra) {
    for (const [address, raw] of values.resources("azurerm_servicebus_queue")) {
      const ns = values.refOf(raw.namespace_id);
      const nsName = ns ? String(values.resolve(values.resource(ns.type, ns.name).name)) : "";
      this.queues.set(address, new SbQueue(address, `${nsName}.servicebus.windows.net`, String(values.resolve(raw.name)), String(values.value("azurerm_servicebus_queue", address, raw, ["id"])), values.resolve(raw)));
    }
  }

  byName(namespace: string, name: string): SbQueue | undefined {
    return [...this.queues.values()].find((q) => q.namespace.toLowerCase() === namespace.toLowerCase() && q.name.toLowerCase() === name.toLowerCase());
  }
  byId(id: string): SbQueue | undefined {
    return [...this.queues.values()].find((q) => q.id.toLowerCase() === id.toLowerCase());
  }
  key(q: SbQueue): string { return componentKeyOf(q.address) ?? q.address; }

  send(q: SbQueue, m: { body: Buffer; contentType?: string; properties?: Record<string, unknown>; messageId?: string; correlationId?: string; subject?: string; scheduledAt?: number; ttlMs?: number }): SbMessage {
    const now = this.host.clock.now();
    const visibleAt = Math.max(now, m.scheduledAt ?? now);
    const msg: SbMessage = {
      messageId: m.messageId ?? randomUUID().replace(/-/g, ""), body: m.body, contentType: m.contentType, properties: m.properties ?? {}, correlationId: m.correlationId, subject: m.subject,
      sequenceNumber: this.seq++, enqueuedAt: visibleAt, visibleAt, expiresAt: visibleAt + Math.min(m.ttlMs ?? q.ttlMs, q.ttlMs), deliveryCount: 0, lockedUntil: 0,
    };
    q.active.push(msg);
    this.host.clock.after(msg.expiresAt - now, () => this.expire(q, msg), `service bus ttl ${q.name}`);
    this.wake(q, visibleAt - now);
    return msg;
  }

  private expire(q: SbQueue, m: SbMessage): void {
    const i = q.active.indexOf(m);
    if (i < 0) return;
    q.active.splice(i, 1);
    if (q.config.dead_lettering_on_message_expiration) { m.deadLetterReason = "TTLExpiredException"; q.deadLetter.push(m); }
  }

  wake(q: SbQueue, inMs = 0): void {
    const notify = () => q.listeners.forEach((l) => l());
    if (inMs <= 0) queueMicrotask(notify);
    else this.host.clock.after(inMs, notify, `service bus visible ${q.name}`);
  }

  /** Peek-lock: the next available message, locked for the queue's lock duration. */
  receive(q: SbQueue): SbMessage | undefined {
    const now = this.host.clock.now();
    const m = q.active.find((x) => x.visibleAt <= now && x.lockedUntil <= now && x.expiresAt > now);
    if (!m) return undefined;
    m.deliveryCount++;
    m.lockedUntil = now + q.lockMs;
    this.wake(q, q.lockMs);
    return m;
  }

  complete(q: SbQueue, m: SbMessage): void {
    const i = q.active.indexOf(m);
    if (i >= 0) q.active.splice(i, 1);
  }

  /** Abandon: the lock is released at once; past max_delivery_count the message is dead-lettered. */
  abandon(q: SbQueue, m: SbMessage): void {
    if (m.deliveryCount >= q.maxDeliveryCount) {
      this.complete(q, m);
      m.deadLetterReason = "MaxDeliveryCountExceeded";
      q.deadLetter.push(m);
      return;
    }
    m.lockedUntil = 0;
    this.wake(q);
  }

  /** REST: `POST https://<namespace>/<queue>/messages` with a bearer Entra token (Azure Service Bus Data Sender). */
  async api(req: HttpExchange): Promise<HttpAnswer> {
    const m = /^\/([^/]+)\/messages\/?$/.exec(new URL(req.url, "https://sb").pathname);
    if (!m || req.method !== "POST") return jsonAnswer(404, { error: { code: "NotFound", message: "only sending to a queue is emulated" } });
    const q = this.byName(req.hostname, decodeURIComponent(m[1]));
    if (!q) return jsonAnswer(404, { error: { code: "EntityNotFound", message: `${m[1]} does not exist in ${req.hostname}` } });
    const principal: AzurePrincipal | undefined = this.entra.who(req.headers.authorization, "https://servicebus.azure.net");
    if (!principal) return jsonAnswer(401, { error: { code: "Unauthorized", message: "a valid Entra token for https://servicebus.azure.net is required (local auth is disabled)" } });
    if (!this.entra.hasRole(principal, "Azure Service Bus Data Sender", q.id)) return jsonAnswer(401, { error: { code: "Unauthorized", message: `principal ${principal.principalId} may not send to ${q.name}` } });
    let broker: Record<string, unknown> = {};
    try { broker = JSON.parse(req.headers.brokerproperties ?? "{}"); } catch { return jsonAnswer(400, { error: { code: "BadRequest", message: "BrokerProperties is not JSON" } }); }
    const properties: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (STANDARD_HEADERS.has(k) || k.startsWith("x-ms-")) continue;
      try { properties[k] = JSON.parse(v); } catch { properties[k] = v; }
    }
    this.send(q, {
      body: req.body, contentType: req.headers["content-type"], properties,
      messageId: broker.MessageId !== undefined ? String(broker.MessageId) : undefined, correlationId: broker.CorrelationId as string | undefined, subject: broker.Label as string | undefined,
      scheduledAt: broker.ScheduledEnqueueTimeUtc ? Date.parse(String(broker.ScheduledEnqueueTimeUtc)) : undefined,
      ttlMs: broker.TimeToLive !== undefined ? Number(broker.TimeToLive) * 1000 : undefined,
    });
    return { status: 201, body: "" };
  }
}
