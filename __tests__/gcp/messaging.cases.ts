import { Problems } from "@polycloud/core";
import { PUBSUB_FILTER_MAX_BYTES, toPubsubFilter, toPubsubFilters } from "@polycloud/gcp";
import { find, only, resources } from "../helpers/synth";
import { dev, gcpProblems, prod, synthGcp, warnings, watching } from "./shared";

const sub = (json: any, name: string) => find(json, "google_pubsub_subscription", (s) => s.name === name);
const topic = (json: any, name: string) => find(json, "google_pubsub_topic", (t) => t.name === name);
/** The Pub/Sub agent's member, read from its created identity. */
const AGENT = /^\$\{google_project_service_identity\.foundation_agent-pubsub_[^.]+\.member\}$/;

describe("GcpQueue", () => {
  test("push subscription to the consumer with an OIDC token, ack deadline >= timeout, never expiring", () => {
    const s = sub(prod.json, "orders-prod-orders");
    // The run.app URI: Cloud Run counts Pub/Sub push as internal (worker ingress) only there.
    const uri = expect.stringMatching(/^\$\{google_cloudfunctions2_function\.orders_fn-worker_fn_[^.]+\.service_config\[0\]\.uri\}$/);
    expect(s.push_config).toMatchObject({ push_endpoint: uri, oidc_token: { audience: uri } });
    expect(s.push_config.oidc_token.service_account_email).toMatch(/orders_queue-orders_delivery_invoker_/);
    expect(s.ack_deadline_seconds).toBe(360);
    expect(s.ack_deadline_seconds).toBeGreaterThanOrEqual(60);
    expect(s.expiration_policy).toEqual({ ttl: "" });
    // A push refused at the consumer's cap counts as an attempt: attempts one consumer timeout (60 s)
    // apart fill the 5 × 360 s SQS takes to dead-letter a failing message (issue 28.6, push-sizing.ts).
    expect(s.retry_policy).toEqual({ minimum_backoff: "60s", maximum_backoff: "60s" });
    expect(s.dead_letter_policy).toEqual({ dead_letter_topic: expect.stringMatching(/dlq-topic/), max_delivery_attempts: 30 });
    expect(s.message_retention_duration).toBe("345600s");
  });

  test("dead letters are kept: the DLQ topic has its own pull subscription for 14 days", () => {
    const dlq = sub(prod.json, "orders-prod-orders-dlq");
    expect(dlq.push_config).toBeUndefined();
    expect(dlq.message_retention_duration).toBe("1209600s");
    expect(dlq.expiration_policy).toEqual({ ttl: "" });
    expect(topic(prod.json, "orders-prod-orders-dlq")).toMatchObject({ kms_key_name: expect.stringMatching(/kms_crypto_key/), message_retention_duration: "1209600s" });
  });

  test("the Pub/Sub service agent publishes to the DLQ topic and acknowledges the source subscription", () => {
    const topicGrants = Object.values(resources(prod.json, "google_pubsub_topic_iam_member")).filter((m: any) => AGENT.test(m.member)) as any[];
    expect(topicGrants.map((g) => [g.role, g.topic])).toContainEqual(["roles/pubsub.publisher", expect.stringMatching(/orders_queue-orders_delivery_dlq-topic_/)]);
    const subGrants = Object.values(resources(prod.json, "google_pubsub_subscription_iam_member")) as any[];
    expect(subGrants).toContainEqual(expect.objectContaining({ role: "roles/pubsub.subscriber", member: expect.stringMatching(AGENT), subscription: expect.stringMatching(/orders_queue-orders_delivery_subscription_/) }));
    const mint = Object.values(resources(prod.json, "google_service_account_iam_member")) as any[];
    expect(mint).toContainEqual(expect.objectContaining({ role: "roles/iam.serviceAccountTokenCreator", member: expect.stringMatching(AGENT) }));
  });

  test("the push identity may invoke the consumer only", () => {
    const invokers = Object.values(resources(prod.json, "google_cloud_run_v2_service_iam_member")).filter((m: any) => /invoker/.test(m.member)) as any[];
    expect(invokers.length).toBeGreaterThanOrEqual(2);
    for (const i of invokers) expect(i.name).toMatch(/orders_fn-worker_fn_/);
  });

  test("max delivery attempts outside 5..100 are rejected", () => {
    for (const bad of [3, 101]) {
      expect(gcpProblems("dev", () => {}, (s) => { s.queues.orders.maxDeliveryAttempts = bad; })).toContainEqual(
        expect.stringMatching(new RegExp(`queues\\.orders\\.maxDeliveryAttempts' has value ${bad}; allowed: 5\\.\\.100 \\(Pub/Sub\\)`)),
      );
    }
  });

  test("a push consumer whose timeout exceeds the 600 s ack deadline is rejected", () => {
    expect(gcpProblems("dev", () => {}, (s) => { s.functions.worker.timeoutSeconds = 900; s.queues.orders.visibilityTimeoutSeconds = 900; })).toContainEqual(
      expect.stringMatching(/GcpService: property 'functions\.worker\.timeoutSeconds' has value 900; allowed: at most 600 seconds/),
    );
  });

  test("batching settings push cannot honour warn loudly", () => {
    const w = warnings(dev.stack);
    for (const prop of ["batchSize", "batchWindowSeconds"]) {
      expect(w).toContainEqual(expect.stringMatching(new RegExp(`GcpQueue\\(orders\\): property '${prop}'`)));
    }
  });

  test("a queue's maxConcurrency caps a consumer only that queue invokes; a consumer with a route too keeps its cap, with a warning", () => {
    // prod: worker cap 50, queue cap 5, nothing else invokes the worker.
    expect(find(prod.json, "google_cloudfunctions2_function", (f) => f.name === "orders-prod-worker").service_config).toMatchObject({ max_instance_count: 5, max_instance_request_concurrency: 1 });
    expect(warnings(prod.stack).filter((w) => /GcpQueue\(orders\): property 'maxConcurrency'/.test(w))).toEqual([]);
    const routed = synthGcp("prod", () => {}, (s) => { s.gateways.public.routes.push({ method: "GET", path: "/work", function: "worker", authorized: false }); });
    expect(find(routed.json, "google_cloudfunctions2_function", (f) => f.name === "orders-prod-worker").service_config).toMatchObject({ max_instance_count: 50 });
    expect(warnings(routed.stack)).toContainEqual(expect.stringMatching(/GcpQueue\(orders\): property 'maxConcurrency' = 5 cannot be honoured/));
  });

  test("producers may publish to the queue topic only", () => {
    const { json } = synthGcp("dev", () => {}, (s) => { s.queues.orders.producers = ["api"]; });
    const grant = Object.values(resources(json, "google_pubsub_topic_iam_member")).find((m: any) => /fn-api/.test(m.member) && /queue-orders/.test(m.topic)) as any;
    expect(grant).toBeDefined();
    expect(grant.topic).toMatch(/orders_queue-orders_topic_/);
    expect(find(json, "google_cloudfunctions2_function", (f) => f.name === "orders-dev-api").service_config.environment_variables.QUEUE_ORDERS_TOPIC).toMatch(/pubsub_topic/);
  });
});

describe("GcpEventBus", () => {
  test("one filtered subscription per rule with its own dead-letter topic and kept DLQ subscription", () => {
    const rule = sub(prod.json, "orders-prod-events-order-created");
    expect(rule.filter).toBe('attributes.source = "orders.api" AND attributes.type = "OrderCreated"');
    expect(sub(prod.json, "orders-prod-events-order-created-dlq").message_retention_duration).toBe("1209600s");
    // A queue target delivers to the queue's consumer with the queue's ack deadline, and with the
    // queue's attempts (30 sized from the declared 5, not the rule's 10), retention (4 days, not the rule's 1-hour event age)
    // and backoff: after a consumer outage longer than an hour events are still kept, then dead-lettered.
    expect(rule.push_config.push_endpoint).toMatch(/orders_fn-worker_fn_[^.]+\.service_config\[0\]\.uri\}$/);
    expect(rule.push_config.oidc_token.audience).toBe(rule.push_config.push_endpoint);
    expect(rule.ack_deadline_seconds).toBe(360);
    expect(rule.dead_letter_policy.max_delivery_attempts).toBe(30);
    expect(rule.message_retention_duration).toBe("345600s");
    expect(rule.retry_policy).toEqual({ minimum_backoff: "60s", maximum_backoff: "60s" });
    expect(rule.labels.target).toBe("queue-orders");
    // ... and the queue's age alarm on this path.
    const age = watching(prod.json, "orders-prod-events-order-created").find((p) => p.display_name.startsWith("Oldest unacknowledged message"));
    expect(age.conditions[0].condition_threshold).toMatchObject({ threshold_value: 120, filter: expect.stringMatching(/subscription_id=one_of\([^)]*"orders-prod-events-order-created"/) });
  });

  test("publishers may publish to the bus topic only and learn its id", () => {
    const api = find(prod.json, "google_cloudfunctions2_function", (f) => f.name === "orders-prod-api");
    expect(api.service_config.environment_variables.EVENT_BUS_EVENTS_TOPIC).toMatch(/orders_bus-events_topic_/);
  });

  test("archive: a Cloud Storage subscription into a CMEK bucket that deletes after the archive retention", () => {
    const archive = sub(prod.json, "orders-prod-events-archive");
    expect(archive.cloud_storage_config).toMatchObject({ bucket: expect.stringMatching(/storage_bucket/), avro_config: { write_metadata: true } });
    const bucket = find(prod.json, "google_storage_bucket", (b) => String(b.name).includes("events-archive"));
    expect(bucket.lifecycle_rule[0]).toEqual({ action: { type: "Delete" }, condition: { age: 365 } });
    expect(bucket).toMatchObject({ public_access_prevention: "enforced", uniform_bucket_level_access: true, force_destroy: false, lifecycle: { prevent_destroy: true } });
  });

  test("filters: values ORed, clauses ANDed, hostile strings quoted and escaped", () => {
    const p = new Problems("T");
    expect(toPubsubFilter({ source: ["a", "b"], attributes: { tier: ['gold" OR attributes.x = "1', "ü\\${x}<y>"] } }, p, "rules.r")).toBe(
      '(attributes.source = "a" OR attributes.source = "b") AND (attributes.tier = "gold\\" OR attributes.x = \\"1" OR attributes.tier = "ü\\\\$\${x}<y>")',
    );
    expect(p.messages()).toEqual([]);
  });

  test("untranslatable clauses are rejected by name, not dropped", () => {
    const p = new Problems("GcpEventBus(events)");
    expect(toPubsubFilter({ attributes: { "detail.amount": ["1"], ok: ["line\nbreak"], empty: [] } }, p, "rules.r")).toBeUndefined();
    expect(p.messages()).toEqual([
      expect.stringMatching(/property 'rules\.r\.filter\.attributes\.detail\.amount' has value "detail\.amount"; allowed: a Pub\/Sub attribute key/),
      expect.stringMatching(/property 'rules\.r\.filter\.attributes\.ok' has value "line\\nbreak"; allowed: strings without control characters/),
      expect.stringMatching(/property 'rules\.r\.filter\.attributes\.empty' has value \[\]; allowed: at least one value/),
    ]);
    const long = new Problems("T");
    expect(toPubsubFilters({ source: ["s"], type: ["x".repeat(300)] }, long, "rules.r")).toEqual([]);
    expect(long.messages()[0]).toMatch(/property 'rules\.r\.filter' has value .*; allowed: a filter whose every single-value combination fits in 256 bytes/);
  });

  test("a filter over 256 bytes is split into as many filters as needed: each fits, keeps the other clauses, and together they match exactly the rule's values", () => {
    const p = new Problems("T");
    const types = Array.from({ length: 20 }, (_, i) => `OrderEventType${i}`);
    const filters = toPubsubFilters({ source: ["orders.api"], type: [...types, types[0]] }, p, "rules.r");
    expect(p.messages()).toEqual([]);
    expect(filters.length).toBeGreaterThan(1);
    const seen: string[] = [];
    for (const f of filters) {
      expect(Buffer.byteLength(f, "utf8")).toBeLessThanOrEqual(PUBSUB_FILTER_MAX_BYTES);
      expect(f).toMatch(/^attributes\.source = "orders\.api" AND /);
      seen.push(...[...f.matchAll(/attributes\.type = "([^"]+)"/g)].map((m) => m[1]));
    }
    expect(seen.sort()).toEqual([...types].sort()); // disjoint (each value once, duplicate removed) and complete
    // Two wide clauses: the widest is divided first, then the other where a group still does not fit.
    const both = toPubsubFilters({ source: Array.from({ length: 8 }, (_, i) => `source-number-${i}`), type: types }, p, "rules.r");
    for (const f of both) expect(Buffer.byteLength(f, "utf8")).toBeLessThanOrEqual(PUBSUB_FILTER_MAX_BYTES);
    const pairs = new Set(both.flatMap((f) => [...f.matchAll(/source = "([^"]+)"/g)].flatMap((s) => [...f.matchAll(/type = "([^"]+)"/g)].map((t) => `${s[1]}|${t[1]}`))));
    expect(pairs.size).toBe(8 * 20);
    expect(both.reduce((n, f) => n + [...f.matchAll(/source = "([^"]+)"/g)].length * [...f.matchAll(/type = "([^"]+)"/g)].length, 0)).toBe(8 * 20);
  });

  test("a split rule becomes one dead-lettered, alarmed push subscription per filter", () => {
    const types = Array.from({ length: 20 }, (_, i) => `OrderEventType${i}`);
    const { json } = synthGcp("dev", () => {}, (s) => { s.buses.events.rules["order-created"].filter.type = types; });
    const parts = Object.values<any>(resources(json, "google_pubsub_subscription")).filter((x) => /^orders-dev-events-order-created(-p\d+)?$/.test(x.name));
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.map((x) => x.name)).toContain("orders-dev-events-order-created-p2");
    const dlqTopics = new Set(parts.map((x) => x.dead_letter_policy.dead_letter_topic));
    expect(dlqTopics.size).toBe(parts.length);
    for (const x of parts) {
      // Into a queue, each part is the queue's path to its consumer: the queue's attempts (30, sized from 5) apply.
      expect(x.dead_letter_policy.max_delivery_attempts).toBe(30);
      expect(x.push_config.oidc_token.service_account_email).toMatch(/google_service_account\./);
      expect(Buffer.byteLength(x.filter, "utf8")).toBeLessThanOrEqual(PUBSUB_FILTER_MAX_BYTES);
      const dlqSub = find(json, "google_pubsub_subscription", (d) => d.name === `${x.name}-dlq`);
      expect(dlqSub.expiration_policy).toEqual({ ttl: "" });
    }
    const alarmed = Object.values<any>(resources(json, "google_monitoring_alert_policy")).map((a) => JSON.stringify(a));
    for (const x of parts) expect(alarmed.some((a) => a.includes(`${x.name}-dlq`))).toBe(true);
  });

  test("prefix clauses become hasPrefix(attributes.k, \"p\") terms, ORed within the clause", () => {
    const p = new Problems("T");
    expect(toPubsubFilter({ source: ["orders.api"], prefix: { type: ["Order", 'Re"fund'], attributes: { tier: ["gold"] } } }, p, "rules.r")).toBe(
      'attributes.source = "orders.api" AND (hasPrefix(attributes.type, "Order") OR hasPrefix(attributes.type, "Re\\"fund")) AND hasPrefix(attributes.tier, "gold")',
    );
    expect(p.messages()).toEqual([]);
  });

  test("a bad filter fails synth through the stack's validation", () => {
    expect(gcpProblems("dev", () => {}, (s) => { s.buses.events.rules["order-created"].filter.attributes = { "a.b": ["x"] }; })).toContainEqual(
      expect.stringMatching(/GcpEventBus\(events\): property 'rules\.order-created\.filter\.attributes\.a\.b'/),
    );
  });

  test("a scheduled rule: Cloud Scheduler (UTC) publishes to the rule's own tick topic with the rule's attribute; the rule's subscription filters on it, dead-lettered as any rule", () => {
    const { json } = synthGcp("dev", () => {}, (s) => { s.buses.events.rules.nightly = { schedule: "rate(15 minutes)", target: { queue: "orders" }, retry: { maxAttempts: 7 } }; });
    const job = only(json, "google_cloud_scheduler_job");
    expect(job).toMatchObject({ schedule: "*/15 * * * *", time_zone: "Etc/UTC", region: "europe-west1", pubsub_target: { topic_name: expect.stringMatching(/google_pubsub_topic\.orders_bus-events_schedule-nightly-topic_/), attributes: { polycloud_schedule: "nightly", source: "polycloud.schedule", type: "Scheduled Event" }, data: Buffer.from(JSON.stringify({ polycloud_schedule: "nightly" })).toString("base64") } });
    const subscription = sub(json, "orders-dev-events-nightly");
    expect(subscription.filter).toBe('attributes.polycloud_schedule = "nightly"');
    // Pub/Sub keeps a message only for subscriptions that exist when it is published: the job starts after its subscription.
    const [subAddress] = Object.entries<any>(json.resource.google_pubsub_subscription).find(([, v]) => v.name === "orders-dev-events-nightly")!;
    expect(job.depends_on).toContain(`google_pubsub_subscription.${subAddress}`);
    expect(subscription.topic).toBe(job.pubsub_target.topic_name.replace(/\.id\}$/, ".id}"));
    // Into a queue the queue's attempts (30, sized from 5) apply to the push to its consumer; there is no hop for 7 to count.
    expect(subscription.dead_letter_policy.max_delivery_attempts).toBe(30);
    expect(sub(json, "orders-dev-events-nightly-dlq").expiration_policy).toEqual({ ttl: "" });
    expect(gcpProblems("dev", () => {}, (s) => { s.buses.events.rules.nightly = { schedule: "rate(7 minutes)", target: { queue: "orders" } }; })).toContainEqual(
      expect.stringMatching(/GcpEventBus\(events\): property 'rules\.nightly\.schedule' has value "rate\(7 minutes\)"; allowed: a rate Cloud Scheduler's cron can space evenly/),
    );
  });
});
