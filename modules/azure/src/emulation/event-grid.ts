import { EmulationHost, HttpAnswer, HttpExchange, componentKeyOf, jsonAnswer } from "@polycloud/core";
import { Entra } from "./entra";
import { matchesEventGridFilter } from "./event-grid-filter";
import { FunctionApps } from "./function-app";
import { ServiceBus } from "./service-bus";
import { AzureValues } from "./values";

/** Event Grid's documented retry schedule (then every 12 hours), bounded by attempts and time to live. */
const RETRY_SECONDS = [10, 30, 60, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600];

export interface EgTopic { readonly address: string; readonly key: string; readonly name: string; readonly id: string; readonly hostname: string; readonly config: any }
export interface EgSubscription { readonly address: string; readonly key: string; readonly name: string; readonly topic: EgTopic; readonly config: any; readonly deadLetters: unknown[] }

type Outcome = { ok: true } | { ok: false; status: number; reason: string };

/**
 * Event Grid custom topics (CloudEvents 1.0 input, Entra auth with EventGrid Data Sender when
 * local auth is off) and their event subscriptions: filters (`matchesEventGridFilter`), delivery
 * to a Service Bus queue (with the subscription's delivery identity, which needs Azure Service
 * Bus Data Sender), to a function (which must be registered as an Event Grid trigger of that
 * name), to a storage queue or a webhook; the retry schedule bounded by max_delivery_attempts and
 * event_time_to_live; dead-lettering into the storage container with the dead-letter identity
 * (Storage Blob Data Contributor), immediately for 400 and 413 answers.
 */
export class EventGrid {
  readonly topics = new Map<string, EgTopic>();
  readonly subscriptions: EgSubscription[] = [];
  readonly deadLettered = new Map<string, number>();
  readonly failedAttempts = new Map<string, number>();

  constructor(private readonly host: EmulationHost, private readonly values: AzureValues, private readonly entra: Entra, private readonly bus: ServiceBus, private readonly apps: FunctionApps) {
    for (const [address, raw] of values.resources("azurerm_eventgrid_topic")) {
      const endpoint = String(values.value("azurerm_eventgrid_topic", address, raw, ["endpoint"]));
      this.topics.set(address, { address, key: componentKeyOf(address) ?? address, name: String(values.resolve(raw.name)), id: String(values.value("azurerm_eventgrid_topic", address, raw, ["id"])), hostname: new URL(endpoint).hostname, config: values.resolve(raw) });
    }
    for (const [address, raw] of values.resources("azurerm_eventgrid_event_subscription")) {
      const scope = values.refOf(raw.scope);
      const topic = scope ? this.topics.get(scope.name) : undefined;
      if (!topic) continue;
      const key = componentKeyOf(address) ?? address;
      const rule = address.split("_").find((p) => p.startsWith("rule-"));
      this.subscriptions.push({ address, key: rule ? key.replace(/\/bus:(.+)$/, `/rule:$1/${rule.slice("rule-".length)}`) : key, name: String(values.resolve(raw.name)), topic, config: values.resolve(raw), deadLetters: [] });
    }
  }

  /** Publishes events to a topic as Event Grid received them; each matching subscription delivers. */
  publish(topic: EgTopic, events: Record<string, unknown>[]): void {
    for (const event of events) {
      for (const sub of this.subscriptions) {
        if (sub.topic !== topic || !matchesEventGridFilter(sub.config, event)) continue;
        void this.host.clock.track(this.attempt(sub, event, 1, this.host.clock.now()));
      }
    }
  }

  private async deliver(sub: EgSubscription, event: Record<string, unknown>, attempt: number): Promise<Outcome> {
    const c = sub.config;
    if (c.service_bus_queue_endpoint_id) {
      const q = this.bus.byId(String(c.service_bus_queue_endpoint_id));
      if (!q) return { ok: false, status: 404, reason: `queue ${c.service_bus_queue_endpoint_id} not found` };
      if (c.delivery_identity) {
        const principal = this.entra.systemAssigned("azurerm_eventgrid_topic", sub.topic.address);
        if (!this.entra.hasRole(principal, "Azure Service Bus Data Sender", q.id)) return { ok: false, status: 401, reason: `the topic's identity may not send to ${q.name}` };
      }
      this.bus.send(q, { body: Buffer.from(JSON.stringify(event)), contentType: "application/json", properties: { "aeg-subscription-name": sub.name.toUpperCase(), "aeg-delivery-count": attempt - 1, "aeg-metadata-version": "1", "aeg-event-type": "Notification" } });
      return { ok: true };
    }
    if (c.azure_function_endpoint) {
      const [appId, fnName] = String(c.azure_function_endpoint.function_id).split("/functions/");
      const app = this.apps.byId(appId);
      if (!app) return { ok: false, status: 404, reason: `function app ${appId} not found` };
      const r = await this.apps.invokeEventGrid(app, fnName, event, sub.key);
      return r.ok ? { ok: true } : { ok: false, status: r.delivered ? 500 : 404, reason: r.detail ?? "failed" };
    }
    if (c.storage_queue_endpoint) return { ok: true };
    if (c.webhook_endpoint) {
      const res = await this.host.network.fetch(String(c.webhook_endpoint.url), { method: "POST", headers: { "content-type": "application/cloudevents+json; charset=utf-8" }, body: JSON.stringify(event) }).catch((err) => ({ status: 503, text: () => String(err) }));
      return res.status >= 200 && res.status < 300 ? { ok: true } : { ok: false, status: res.status, reason: res.text().slice(0, 200) };
    }
    return { ok: false, status: 400, reason: "no endpoint the runner emulates" };
  }

  private async attempt(sub: EgSubscription, event: Record<string, unknown>, attempt: number, firstAt: number): Promise<void> {
    const outcome = await this.deliver(sub, event, attempt);
    if (outcome.ok) return;
    this.failedAttempts.set(sub.topic.address, (this.failedAttempts.get(sub.topic.address) ?? 0) + 1);
    this.host.log("event grid", `${sub.name}: attempt ${attempt} for event ${event.id} failed (${outcome.status}): ${outcome.reason}`);
    const maxAttempts = Number(sub.config.retry_policy?.max_delivery_attempts ?? 30);
    const ttl = Number(sub.config.retry_policy?.event_time_to_live ?? 1440) * 60_000;
    const delay = (RETRY_SECONDS[attempt - 1] ?? 12 * 3600) * 1000;
    const permanent = outcome.status === 400 || outcome.status === 413;
    if (!permanent && attempt < maxAttempts && this.host.clock.now() + delay - firstAt <= ttl) {
      this.host.clock.after(delay, () => this.attempt(sub, event, attempt + 1, firstAt), `event grid retry ${sub.name}`);
      return;
    }
    this.deadLetter(sub, event, attempt, outcome, permanent ? "DeliveryFailed (not retried)" : attempt >= maxAttempts ? "MaxDeliveryAttemptsExceeded" : "TimeToLiveExceeded");
  }

  private deadLetter(sub: EgSubscription, event: Record<string, unknown>, attempts: number, outcome: Outcome, reason: string): void {
    const dest = sub.config.storage_blob_dead_letter_destination;
    const container = dest ? this.values.resources("azurerm_storage_container").find(([, c]) => String(this.values.resolve(c.name)) === String(dest.storage_blob_container_name)) : undefined;
    if (!dest || !container) { this.host.log("event grid", `${sub.name}: event ${event.id} dropped (no dead-letter destination)`); return; }
    const containerId = String(this.values.value("azurerm_storage_container", container[0], container[1], ["id"]));
    if (sub.config.dead_letter_identity && !this.entra.hasRole(this.entra.systemAssigned("azurerm_eventgrid_topic", sub.topic.address), "Storage Blob Data Contributor", containerId)) {
      this.host.log("event grid", `${sub.name}: event ${event.id} dropped (the dead-letter identity may not write ${dest.storage_blob_container_name})`);
      return;
    }
    sub.deadLetters.push({ ...event, deadLetterReason: reason, deliveryAttempts: attempts, lastDeliveryOutcome: outcome.ok ? "" : outcome.reason, lastHttpStatusCode: outcome.ok ? 200 : outcome.status, publishTime: new Date(this.host.clock.now()).toISOString() });
    this.deadLettered.set(sub.topic.address, (this.deadLettered.get(sub.topic.address) ?? 0) + 1);
  }

  /** `POST https://<topic>/api/events` with an Entra token of an EventGrid Data Sender (CloudEvents 1.0). */
  async api(req: HttpExchange): Promise<HttpAnswer> {
    const topic = [...this.topics.values()].find((t) => t.hostname === req.hostname);
    if (!topic || new URL(req.url, "https://x").pathname !== "/api/events" || req.method !== "POST") return jsonAnswer(404, { error: { code: "NotFound", message: "not a topic endpoint" } });
    if (req.headers["aeg-sas-key"] || req.headers["aeg-sas-token"]) {
      if (topic.config.local_auth_enabled === false) return jsonAnswer(401, { error: { code: "Unauthorized", message: "local authentication is disabled for this topic" } });
    }
    const principal = this.entra.who(req.headers.authorization, "https://eventgrid.azure.net");
    if (!principal) return jsonAnswer(401, { error: { code: "Unauthorized", message: "a valid Entra token for https://eventgrid.azure.net is required" } });
    if (!this.entra.hasRole(principal, "EventGrid Data Sender", topic.id)) return jsonAnswer(403, { error: { code: "Forbidden", message: `principal ${principal.principalId} may not send to ${topic.name}` } });
    let body: unknown;
    try { body = JSON.parse(req.body.toString("utf8")); } catch { return jsonAnswer(400, { error: { code: "BadRequest", message: "the body is not JSON" } }); }
    const events = (Array.isArray(body) ? body : [body]) as Record<string, unknown>[];
    for (const e of events) {
      if (e.specversion !== "1.0" || !e.id || !e.source || !e.type) return jsonAnswer(400, { error: { code: "BadRequest", message: "each event must be a CloudEvent 1.0 (specversion, id, source, type)" } });
    }
    this.publish(topic, events);
    return { status: 200, body: "" };
  }
}
