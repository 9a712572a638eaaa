import { EmulationHost, HttpAnswer, HttpExchange, componentKeyOf, durationSeconds, jsonAnswer } from "@polycloud/core";
import { CloudFunctions } from "./cloud-functions";
import { GcpIdentity } from "./identity";
import { matchesPubSubFilter } from "./pubsub-filter";
import { GcpValues } from "./values";

export interface PubSubMessage {
  readonly messageId: string;
  readonly data: string;
  readonly attributes: Record<string, string>;
  readonly publishTime: string;
  deliveryAttempt: number;
  /** Not delivered before (virtual ms): the retry backoff. */
  notBefore?: number;
}

export interface Subscription {
  readonly address: string;
  readonly name: string;
  readonly id: string;
  readonly topic: string;
  readonly config: any;
  /** Messages not yet acknowledged, in order. */
  readonly backlog: PubSubMessage[];
  busy: boolean;
  /** Messages this subscription forwarded to its dead-letter topic. */
  deadLettered: number;
}

/**
 * Pub/Sub: topics, and per subscription its filter (evaluated when a message is published; a
 * message that does not match is acknowledged for that subscription), push delivery with an
 * OIDC token of the push service account (to a function's URL, through Cloud Run's checks),
 * acknowledgement by 102/200/201/202/204, the ack deadline, retry backoff (minimum × 2^n up to
 * the maximum; immediate without a retry policy), dead-lettering after max_delivery_attempts
 * (the Pub/Sub service agent must be allowed to publish to the dead-letter topic), retention,
 * pull subscriptions that keep what arrives, and the REST publish API the runtime calls.
 */
export class PubSub {
  readonly subscriptions = new Map<string, Subscription>();

  constructor(private readonly host: EmulationHost, private readonly values: GcpValues, private readonly identity: GcpIdentity, private readonly functions: CloudFunctions) {
    for (const [address, raw] of values.resources("google_pubsub_subscription")) {
      const config = values.resolve(raw);
      this.subscriptions.set(address, { address, name: String(config.name), id: `projects/${values.project}/subscriptions/${config.name}`, topic: String(config.topic), config, backlog: [], busy: false, deadLettered: 0 });
    }
  }

  topicIds(): string[] {
    return this.values.resources("google_pubsub_topic").map(([a, r]) => String(this.values.value("google_pubsub_topic", a, r, ["id"])));
  }

  /** Publishes to a topic; returns the message id. */
  publish(topic: string, data: Buffer, attributes: Record<string, string> = {}): string {
    const messageId = String(Date.now()) + String(Math.floor(Math.random() * 1e6)).padStart(6, "0");
    const publishTime = new Date(this.host.clock.now()).toISOString();
    for (const sub of this.subscriptions.values()) {
      if (sub.topic !== topic) continue;
      if (sub.config.cloud_storage_config || sub.config.bigquery_config) continue; // export subscriptions: not emulated
      if (!matchesPubSubFilter(sub.config.filter, attributes)) continue;
      const m: PubSubMessage = { messageId, data: data.toString("base64"), attributes, publishTime, deliveryAttempt: 0 };
      sub.backlog.push(m);
      const retention = durationSeconds(sub.config.message_retention_duration ?? "604800s") * 1000;
      this.host.clock.after(retention, () => { const i = sub.backlog.indexOf(m); if (i >= 0) sub.backlog.splice(i, 1); }, `pubsub retention ${sub.name}`);
      this.pump(sub);
    }
    return messageId;
  }

  private pump(sub: Subscription): void {
    if (!sub.config.push_config || sub.busy) return;
    const now = this.host.clock.now();
    const next = sub.backlog.find((m) => (m.notBefore ?? 0) <= now);
    if (!next) return;
    sub.busy = true;
    void this.host.clock.track(this.push(sub, next).finally(() => { sub.busy = false; this.pump(sub); }));
  }

  private async push(sub: Subscription, m: PubSubMessage): Promise<void> {
    const pc = sub.config.push_config;
    const maxAttempts = sub.config.dead_letter_policy ? Number(sub.config.dead_letter_policy.max_delivery_attempts ?? 5) : undefined;
    m.deliveryAttempt++;
    const envelope = {
      message: { data: m.data, attributes: Object.keys(m.attributes).length ? m.attributes : undefined, messageId: m.messageId, message_id: m.messageId, publishTime: m.publishTime, publish_time: m.publishTime },
      subscription: sub.id,
      ...(maxAttempts !== undefined ? { deliveryAttempt: m.deliveryAttempt } : {}),
    };
    const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)" };
    if (pc.oidc_token) headers.authorization = `Bearer ${await this.identity.idToken(String(pc.oidc_token.service_account_email), String(pc.oidc_token.audience ?? pc.push_endpoint))}`;
    const endpoint = String(pc.push_endpoint);
    const fn = this.functions.byUrl(endpoint);
    const trigger = this.triggerOf(sub);
    const req: HttpExchange = { method: "POST", url: new URL(endpoint).pathname + new URL(endpoint).search, headers, body: Buffer.from(JSON.stringify(envelope)), hostname: new URL(endpoint).hostname };
    // A push answered after the ack deadline counts as a failure; the function's own timeout bounds it here.
    const answer: HttpAnswer = fn
      ? await this.functions.handle(fn, req, "internal", trigger)
      : await this.host.network.fetch(endpoint, { method: "POST", headers, body: req.body }).catch(() => ({ status: 503 }));
    if ([102, 200, 201, 202, 204].includes(answer.status)) {
      const i = sub.backlog.indexOf(m);
      if (i >= 0) sub.backlog.splice(i, 1);
      return;
    }
    if (maxAttempts !== undefined && m.deliveryAttempt >= maxAttempts && this.forwardToDeadLetter(sub, m)) return;
    const rp = sub.config.retry_policy;
    const delay = rp ? Math.min(durationSeconds(rp.maximum_backoff ?? "600s"), durationSeconds(rp.minimum_backoff ?? "10s") * 2 ** (m.deliveryAttempt - 1)) * 1000 : 0;
    m.notBefore = this.host.clock.now() + delay;
    this.host.clock.after(delay, () => this.pump(sub), `pubsub backoff ${sub.name}`);
  }

  /** Forwards to the dead-letter topic when the service agent may publish there; false leaves the message for redelivery. */
  private forwardToDeadLetter(sub: Subscription, m: PubSubMessage): boolean {
    const topic = String(sub.config.dead_letter_policy.dead_letter_topic);
    const agents = this.values.resources("google_project_service_identity").filter(([, r]) => String(r.service) === "pubsub.googleapis.com").map(([a, r]) => String(this.values.value("google_project_service_identity", a, r, ["member"])));
    const mayPublish = agents.some((agent) => this.identity.hasRole(agent, "roles/pubsub.publisher", ({ type, config }) => type.startsWith("google_pubsub_topic_iam") && String(config.topic) === topic));
    if (!mayPublish) {
      this.host.log("pubsub", `${sub.name}: message ${m.messageId} reached ${m.deliveryAttempt} attempts but the Pub/Sub service agent may not publish to ${topic}; it keeps being redelivered`);
      return false;
    }
    const i = sub.backlog.indexOf(m);
    if (i >= 0) sub.backlog.splice(i, 1);
    sub.deadLettered++;
    this.publish(topic, Buffer.from(m.data, "base64"), { ...m.attributes, CloudPubSubDeadLetterSourceDeliveryCount: String(m.deliveryAttempt), CloudPubSubDeadLetterSourceSubscription: sub.name, CloudPubSubDeadLetterSourceSubscriptionProject: this.values.project, CloudPubSubDeadLetterSourceTopicPublishTime: m.publishTime });
    return true;
  }

  /** `queue:<id>` for a queue's delivery subscription, `rule:<bus>/<rule>` for a rule's. */
  triggerOf(sub: Subscription): string {
    const key = componentKeyOf(sub.address) ?? sub.address;
    const rule = sub.address.split("_").find((p) => p.startsWith("rule-"));
    return rule ? key.replace(/\/bus:(.+)$/, `/rule:$1/${rule.slice("rule-".length)}`) : key;
  }

  /** REST: `POST /v1/projects/<p>/topics/<t>:publish` with a bearer access token of a publisher. */
  async api(req: HttpExchange): Promise<HttpAnswer> {
    const m = /^\/v1\/(projects\/[^/]+\/topics\/[^/:]+):publish$/.exec(new URL(req.url, "https://pubsub.googleapis.com").pathname);
    const error = (code: number, status: string, message: string) => jsonAnswer(code, { error: { code, message, status } });
    if (!m || req.method !== "POST") return error(404, "NOT_FOUND", "only topics.publish is emulated");
    const token = (req.headers.authorization ?? "").replace(/^Bearer\s+/i, "");
    const email = token ? this.identity.whoHas(token) : undefined;
    if (!email) return error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.");
    const topic = m[1];
    if (!this.topicIds().includes(topic)) return error(404, "NOT_FOUND", `Resource not found (resource=${topic}).`);
    if (!this.identity.hasRole(`serviceAccount:${email}`, "roles/pubsub.publisher", ({ type, config }) => type.startsWith("google_pubsub_topic_iam") && [topic, topic.split("/").pop()].includes(String(config.topic)))) {
      return error(403, "PERMISSION_DENIED", `User not authorized to perform this action. (${email} on ${topic})`);
    }
    const body = JSON.parse(req.body.toString("utf8") || "{}");
    const ids = (body.messages ?? []).map((msg: any) => this.publish(topic, Buffer.from(String(msg.data ?? ""), "base64"), msg.attributes ?? {}));
    return jsonAnswer(200, { messageIds: ids });
  }

  /** A push subscription's first delivery after start (messages published before it started). */
  start(): void {
    for (const sub of this.subscriptions.values()) this.pump(sub);
  }
}
