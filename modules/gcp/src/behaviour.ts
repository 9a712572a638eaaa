import {
  spreadSharedServer, AlarmCondition, AlarmStatistic, BusBehaviour, DatabaseBehaviour, EventRuleBehaviour, FilterClause, FunctionBehaviour, GatewayBehaviour,
  MissingData, ObservedSignal, QueueBehaviour, ResourceMap, ServiceBehaviour, atLeast, byComponent, canonicalClauses, canonicalCors,
  canonicalSchedule, componentNames, componentOf, durationSeconds, jwtText, namesComponent, parseSchedule, refOf, routeMethods, scheduleTimes, scheduledEventText,
} from "@polycloud/core";
import { poolerCount } from "./limits";

/**
 * Where each behaviour field is read from in a GCP stack (resource type and attribute), for
 * docs/parity.md. `fact:` marks a field no attribute can change (a property of the service).
 */
export const GCP_BEHAVIOUR_SOURCES: Readonly<Record<string, readonly string[]>> = {
  "function.maxConcurrency": ["google_cloudfunctions2_function.service_config.max_instance_count", "google_cloudfunctions2_function.service_config.max_instance_request_concurrency"],
  "function.memoryMb": ["google_cloudfunctions2_function.service_config.available_memory"],
  "function.timeoutSeconds": ["google_cloudfunctions2_function.service_config.timeout_seconds"],
  "function.warmInstances": ["google_cloudfunctions2_function.service_config.min_instance_count"],
  "function.invokers": ["google_cloud_run_v2_service_iam_member.member (roles/run.invoker)", "google_pubsub_subscription.push_config.oidc_token.service_account_email", "google_api_gateway_api_config.gateway_config.backend_config.google_service_account"],
  "queue.consumer": ["google_pubsub_subscription.push_config.push_endpoint"],
  "queue.deliveryAttempts": ["google_pubsub_subscription.dead_letter_policy.max_delivery_attempts"],
  "queue.retrySpacingSeconds": ["google_pubsub_subscription.retry_policy.minimum_backoff"],
  "queue.visibilitySeconds": ["google_pubsub_subscription.ack_deadline_seconds"],
  "queue.maxConsumerConcurrency": ["google_cloudfunctions2_function.service_config (the push endpoint's function)"],
  "queue.burstWithoutDeadLetter": ["google_pubsub_subscription.dead_letter_policy.max_delivery_attempts", "google_pubsub_subscription.retry_policy.minimum_backoff", "google_cloudfunctions2_function.service_config (the push endpoint's function: max_instance_count, max_instance_request_concurrency, timeout_seconds)"],
  "queue.retentionSeconds": ["google_pubsub_subscription.message_retention_duration"],
  "queue.dlqRetentionSeconds": ["google_pubsub_subscription.dead_letter_policy.dead_letter_topic", "google_pubsub_subscription.message_retention_duration (the DLQ topic's subscription)"],
  "queue.expiredMessages": ["fact: Pub/Sub deletes a message whose retention ran out"],
  "queue.dropsWithoutDeadLetter": ["google_pubsub_subscription.dead_letter_policy.dead_letter_topic", "google_pubsub_subscription.expiration_policy.ttl", "google_pubsub_subscription (a subscription on the DLQ topic)"],
  "queue.senders": ["google_pubsub_topic_iam_member.member (roles/pubsub.publisher on the queue topic)", "google_pubsub_subscription (rule subscriptions delivering as the queue)"],
  "bus.publishers": ["google_pubsub_topic_iam_member.member (roles/pubsub.publisher on the bus topic)", "google_cloud_scheduler_job.pubsub_target.topic_name (ticks published to the bus topic)", "google_pubsub_subscription.dead_letter_policy.dead_letter_topic (which topics are not the bus)"],
  "bus.archiveDays": ["google_pubsub_subscription.cloud_storage_config.bucket", "google_storage_bucket.lifecycle_rule.condition.age"],
  "rule.target": ["google_pubsub_subscription.push_config.push_endpoint", "google_pubsub_subscription (delivery settings equal to a queue's subscription)"],
  "rule.filter": ["google_pubsub_subscription.filter"],
  "rule.schedule": ["google_cloud_scheduler_job.schedule", "google_cloud_scheduler_job.time_zone", "google_cloud_scheduler_job.pubsub_target.topic_name", "google_cloud_scheduler_job.pubsub_target.attributes", "google_pubsub_subscription.topic"],
  "rule.attempts": ["google_pubsub_subscription.dead_letter_policy.max_delivery_attempts"],
  "rule.maxEventAgeSeconds": ["google_pubsub_subscription.message_retention_duration"],
  "rule.undeliverable": ["google_pubsub_subscription.dead_letter_policy.dead_letter_topic", "google_pubsub_subscription.expiration_policy.ttl", "google_pubsub_subscription.dead_letter_policy.max_delivery_attempts (× the retry schedule)", "google_pubsub_subscription.ack_deadline_seconds (× the retry schedule)", "google_pubsub_subscription.retry_policy.maximum_backoff (× the retry schedule)", "google_pubsub_subscription.message_retention_duration (against the retry schedule)"],
  "rule.survivesOutageSeconds": ["google_pubsub_subscription.message_retention_duration"],
  "rule.delivers": ["google_cloud_scheduler_job.pubsub_target.attributes", "google_cloud_scheduler_job.pubsub_target.data"],
  "gateway.routes": ["google_api_gateway_api_config.openapi_documents.document.contents (paths, x-google-backend.address)"],
  "gateway.edgeAuthenticated": ["google_api_gateway_api_config.openapi_documents.document.contents (security)"],
  "gateway.jwt": ["google_api_gateway_api_config.openapi_documents.document.contents (x-google-issuer, x-google-audiences)"],
  "gateway.jwtKeys": ["google_api_gateway_api_config.openapi_documents.document.contents (x-google-jwks_uri)"],
  "gateway.cors": ["google_api_gateway_api_config.openapi_documents.document.contents (unauthenticated options operations)", "google_cloudfunctions2_function.service_config.environment_variables.PLATFORM_CORS (what the function answers them with)"],
  "gateway.requestsPerMinute": ["google_compute_security_policy.rule.rate_limit_options.rate_limit_threshold"],
  "gateway.burst": ["google_compute_security_policy.rule.rate_limit_options.rate_limit_threshold.count"],
  "gateway.routeTimeoutSeconds": ["google_api_gateway_api_config.openapi_documents.document.contents (x-google-backend.deadline)", "google_cloudfunctions2_function.service_config.timeout_seconds"],
  "database.pooled": ["google_sql_database_instance.settings.connection_pool_config.connection_pooling_enabled"],
  "database.poolPercent": ["google_sql_database_instance.settings.connection_pool_config.flags (max_pool_size)", "google_sql_database_instance.settings.database_flags (max_connections)", "google_sql_database_instance.settings.tier", "google_sql_user", "google_sql_database"],
  "database.idleFloorConnections": ["google_sql_database_instance.settings.connection_pool_config.flags (min_pool_size)"],
  "database.borrowTimeoutSeconds": ["google_sql_database_instance.settings.connection_pool_config.flags (query_wait_timeout)"],
  "database.tls": ["google_sql_database_instance.settings.ip_configuration.ssl_mode"],
  "database.identityAuth": ["google_sql_database_instance.settings.database_flags (cloudsql.iam_authentication)"],
  "database.pointInTimeRecoveryDays": ["google_sql_database_instance.settings.backup_configuration.point_in_time_recovery_enabled", "google_sql_database_instance.settings.backup_configuration.transaction_log_retention_days"],
  "database.clients": ["google_sql_user (CLOUD_IAM_SERVICE_ACCOUNT of a function)", "google_cloudfunctions2_function.service_config.vpc_connector"],
  "alarm.*": ["google_monitoring_alert_policy.conditions.condition_threshold.filter", "google_monitoring_alert_policy.conditions.condition_threshold.comparison", "google_monitoring_alert_policy.conditions.condition_threshold.threshold_value", "google_monitoring_alert_policy.conditions.condition_threshold.duration", "google_monitoring_alert_policy.conditions.condition_threshold.aggregations", "google_monitoring_alert_policy.conditions.condition_threshold.evaluation_missing_data", "google_monitoring_alert_policy.notification_channels", "google_cloudfunctions2_function.name (a function an aggregated condition watches: one of its one_of names)", "google_pubsub_subscription.name (likewise, a subscription)", "google_compute_url_map.name (likewise, a load balancer)", "google_sql_database_instance.name (likewise, an instance)", "google_logging_metric.filter (what a log-based metric counts: Cloud Scheduler AttemptFinished at ERROR)", "google_cloud_scheduler_job.name"],
  "alarms.recipients": ["google_monitoring_notification_channel.labels.email_address"],
  "budget.*": ["google_billing_budget.budget_filter", "google_billing_budget.amount.specified_amount", "google_billing_budget.threshold_rules", "google_billing_budget.all_updates_rule.monitoring_notification_channels"],
};

/** Pub/Sub keeps unacknowledged messages 7 days unless the subscription says otherwise. */
const PUBSUB_DEFAULT_RETENTION = 7 * 86400;
/** API Gateway waits 15 s for a backend unless `x-google-backend.deadline` says otherwise. */
const DEFAULT_BACKEND_DEADLINE = 15;

const uniq = (xs: Iterable<string>) => [...new Set(xs)].sort();
const unescape = (s: string) => s.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");

/** Cloud Functions memory strings: `256M`, `1Gi`, `512Mi`. */
function memoryMb(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(M|Mi|G|Gi)$/.exec(v);
  if (!m) throw new Error(`memory ${v}`);
  return Math.round(Number(m[1]) * (m[2].startsWith("G") ? 1024 : 1));
}

/**
 * A Pub/Sub subscription filter of the form the modules write (`attributes.k = "v"`,
 * `hasPrefix(attributes.k, "p")`, ORed within parentheses, ANDed) as clauses; undefined when the
 * text has another form.
 */
export function parsePubsubFilter(text: string): FilterClause[] | undefined {
  const src = unescape(text);
  const clauses: FilterClause[] = [];
  let i = 0;
  const ws = () => { while (src[i] === " ") i++; };
  const literal = (): string | undefined => {
    ws();
    if (src[i] !== '"') return undefined;
    let out = "";
    for (i++; i < src.length && src[i] !== '"'; i++) out += src[i] === "\\" ? src[++i] : src[i];
    i++;
    return out;
  };
  const term = (): { field: string; prefix: boolean; value: string } | undefined => {
    ws();
    const pre = /^hasPrefix\(\s*attributes\.([A-Za-z_][A-Za-z0-9_]*)\s*,/.exec(src.slice(i));
    if (pre) {
      i += pre[0].length;
      const value = literal();
      ws();
      if (value === undefined || src[i] !== ")") return undefined;
      i++;
      return { field: pre[1], prefix: true, value };
    }
    const eq = /^attributes\.([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(src.slice(i));
    if (!eq) return undefined;
    i += eq[0].length;
    const value = literal();
    return value === undefined ? undefined : { field: eq[1], prefix: false, value };
  };
  for (;;) {
    ws();
    const group = src[i] === "(";
    if (group) i++;
    const terms = [term()];
    while (group) {
      ws();
      if (src.startsWith("OR", i)) { i += 2; terms.push(term()); continue; }
      if (src[i] !== ")") return undefined;
      i++;
      break;
    }
    if (terms.some((t) => !t) || new Set(terms.map((t) => `${t!.field}${t!.prefix}`)).size !== 1) return undefined;
    const f = terms[0]!.field;
    clauses.push({ field: f === "source" || f === "type" ? f : `attributes.${f}`, prefix: terms[0]!.prefix, values: terms.map((t) => t!.value) });
    ws();
    if (i >= src.length) return clauses;
    if (!src.startsWith("AND", i)) return undefined;
    i += 3;
  }
}

/** Whether a message with these attributes passes the clauses. */
const matches = (clauses: readonly FilterClause[], attributes: Record<string, string>) => clauses.every((c) => {
  const v = attributes[c.field.replace(/^attributes\./, "")];
  return typeof v === "string" && c.values.some((x) => (c.prefix ? v.startsWith(x) : v === x));
});

/**
 * Reads what a GCP stack will do from its synthesized Terraform JSON (Cloud Functions gen2,
 * Pub/Sub push subscriptions, API Gateway behind the HTTPS load balancer + Cloud Armor, Cloud SQL
 * managed pooling, Monitoring alert policies, Billing budget).
 */
export function readGcpBehaviour(json: { resource: ResourceMap }): ServiceBehaviour {
  const R = json.resource;
  const get = (ref: ReturnType<typeof refOf>) => (ref ? R[ref.type]?.[ref.address] : undefined);
  const comp = (expr: unknown) => componentOf(refOf(expr)?.address ?? "");
  /** The function an expression names (its URI, service, or runtime service account). */
  const fnOf = (expr: unknown) => {
    const c = comp(expr);
    return c?.kind === "function" ? c.id : undefined;
  };
  const subs = Object.entries<any>(R.google_pubsub_subscription ?? {});
  const functionResource = (id: string) => Object.entries<any>(R.google_cloudfunctions2_function ?? {}).find(([a]) => componentOf(a)?.id === id)?.[1];
  const serviceAccountOf = (member: unknown) => /^serviceAccount:/.test(String(member ?? "")) ? refOf(member)?.address : undefined;

  /** One push subscription: attempts, spacing, retention, and whether a path loses messages. */
  const delivery = (sub: any) => {
    const dlqTopicRef = refOf(sub.dead_letter_policy?.dead_letter_topic);
    const dlqSubs = subs.map(([, s]) => s).filter((s) => dlqTopicRef && refOf(s.topic)?.address === dlqTopicRef.address);
    const dlqRetention = dlqSubs.length ? Math.max(...dlqSubs.map((s) => durationSeconds(s.message_retention_duration ?? `${PUBSUB_DEFAULT_RETENTION}s`))) : null;
    const expires = sub.expiration_policy?.ttl !== "";
    // Pub/Sub dead-letters only after the last attempt and drops what expires first: a retry
    // schedule (each push up to the ack deadline, each wait up to the maximum backoff) longer than
    // the retention loses the message instead (issue 28.5).
    const attempts = sub.dead_letter_policy?.max_delivery_attempts ?? Infinity;
    // Without a retry policy Pub/Sub redelivers as soon as the ack deadline has passed.
    const schedule = attempts * ((sub.ack_deadline_seconds ?? 10) + (sub.retry_policy ? durationSeconds(sub.retry_policy.maximum_backoff ?? "600s") : 0));
    const expiresFirst = schedule > durationSeconds(sub.message_retention_duration ?? `${PUBSUB_DEFAULT_RETENTION}s`);
    return {
      expiresFirst,
      attempts: sub.dead_letter_policy?.max_delivery_attempts ?? Infinity,
      spacing: sub.retry_policy ? durationSeconds(sub.retry_policy.minimum_backoff ?? "10s") : 0,
      ack: sub.ack_deadline_seconds ?? 10,
      retention: durationSeconds(sub.message_retention_duration ?? `${PUBSUB_DEFAULT_RETENTION}s`),
      dlqRetention,
      // No DLQ topic, a DLQ topic nobody subscribes to, or a subscription that expires: messages vanish.
      drops: !dlqTopicRef || dlqSubs.length === 0 || expires,
      consumer: fnOf(sub.push_config?.push_endpoint),
      invoker: refOf(sub.push_config?.oidc_token?.service_account_email)?.address,
    };
  };
  const sameDelivery = (a: ReturnType<typeof delivery>, b: ReturnType<typeof delivery>) =>
    a.consumer === b.consumer && a.attempts === b.attempts && a.spacing === b.spacing && a.ack === b.ack && a.retention === b.retention && a.drops === b.drops;

  // Queue subscriptions, then rule subscriptions: a rule into a queue is a subscription on the bus
  // that delivers exactly as the queue's own subscription does (same consumer, attempts, backoff,
  // ack deadline, retention).
  const queueSubs = new Map<string, ReturnType<typeof delivery>>();
  for (const [key, items] of byComponent(R, "google_pubsub_subscription")) {
    if (!key.startsWith("queue:")) continue;
    const sub = items.find(([, s]) => s.push_config)?.[1];
    if (sub) queueSubs.set(key.slice("queue:".length), delivery(sub));
  }
  const jobs = Object.values<any>(R.google_cloud_scheduler_job ?? {});
  /** The Cloud Scheduler jobs whose ticks a subscription receives: they publish to its topic, and its filter passes their attributes. */
  const ticksOf = (sub: any, clauses: FilterClause[] | undefined) => jobs.filter((j) => refOf(j.pubsub_target?.topic_name)?.address === refOf(sub.topic)?.address
    && (sub.filter === undefined || (clauses !== undefined && matches(clauses, j.pubsub_target?.attributes ?? {}))));
  type RuleParts = { bus: string; id: string; subs: any[] };
  const ruleParts = new Map<string, RuleParts>();
  for (const [key, items] of byComponent(R, "google_pubsub_subscription")) {
    if (!key.startsWith("bus:")) continue;
    const bus = key.slice("bus:".length);
    const ids = items.filter(([, s]) => s.push_config).map(([address, s]) => [componentOf(address)!.rest.find((p) => p.startsWith("rule-"))!.slice("rule-".length), s] as const);
    for (const [rawId, s] of ids) {
      // A rule whose filter exceeds Pub/Sub's 256 bytes is split into `<rule>-p2`, `-p3`, … subscriptions.
      const base = /^(.*)-p\d+$/.exec(rawId)?.[1];
      const id = base && ids.some(([other]) => other === base) ? base : rawId;
      const k = `${bus}/${id}`;
      const parts = ruleParts.get(k) ?? { bus, id, subs: [] };
      parts.subs.push(s);
      ruleParts.set(k, parts);
    }
  }
  const rules: Record<string, EventRuleBehaviour> = {};
  const ruleTarget = new Map<string, string>();
  /** The rule (`<bus>/<rule>`) each Cloud Scheduler job's ticks reach. */
  const tickFeeds = new Map<any, string[]>();
  for (const [key, { subs: parts }] of ruleParts) {
    const d = delivery(parts[0]);
    const intoQueue = [...queueSubs].find(([, q]) => sameDelivery(q, d))?.[0];
    const target = intoQueue ? `queue:${intoQueue}` : `function:${d.consumer}`;
    ruleTarget.set(key, target);
    const parsed = parts.map((s) => (typeof s.filter === "string" ? parsePubsubFilter(s.filter) : undefined));
    // A scheduled rule receives the ticks of a Cloud Scheduler job publishing to its topic that its
    // filter passes (a rule that also passes the bus's events, or another rule's ticks, reads as the
    // schedule it fires on, so either shows).
    const job = parts.flatMap((s, i) => ticksOf(s, parsed[i]))[0];
    for (const j of parts.flatMap((s, i) => ticksOf(s, parsed[i]))) tickFeeds.set(j, [...(tickFeeds.get(j) ?? []), key].sort());
    const filter = job ? null : parsed.some((p) => !p) ? `unreadable filter: ${parts.map((s) => s.filter).join(" | ")}` : canonicalClauses(parsed.flat() as FilterClause[]);
    const schedule = job ? scheduleOf(job) : null;
    const delivers = job ? scheduledEventText(job.pubsub_target.attributes.source, job.pubsub_target.attributes.type, JSON.parse(Buffer.from(String(job.pubsub_target.data ?? ""), "base64").toString("utf8") || "null")) : null;
    rules[key] = {
      target, filter, schedule,
      attempts: d.attempts, maxEventAgeSeconds: d.retention,
      // Into a function, an event whose retry schedule outlasts its retention expires undelivered;
      // into a queue the subscription keeps the queue's retention, which drops at expiry as SQS does.
      undeliverable: parts.some((s) => delivery(s).drops || (!intoQueue && delivery(s).expiresFirst)) ? "dropped" : "dead-lettered",
      survivesOutageSeconds: d.retention, delivers,
    };
  }

  // run.invoker grants whose identity really calls the function: a push subscription's OIDC
  // identity (to that function's endpoint) or the API Gateway's backend identity.
  const gatewayIdentity = new Map<string, string>();
  for (const [key, items] of byComponent(R, "google_api_gateway_api_config")) {
    const sa = refOf(items[0][1].gateway_config?.backend_config?.google_service_account)?.address;
    if (sa) gatewayIdentity.set(sa, key);
  }
  const invokers = new Map<string, string[]>();
  for (const m of Object.values<any>(R.google_cloud_run_v2_service_iam_member ?? {})) {
    if (m.role !== "roles/run.invoker") continue;
    const fn = fnOf(m.name);
    if (!fn) continue;
    const sa = serviceAccountOf(m.member);
    let who: string | undefined;
    if (!sa) who = String(m.member);
    else if (gatewayIdentity.has(sa)) who = gatewayIdentity.get(sa);
    else {
      const pushing = subs.find(([, s]) => s.push_config && refOf(s.push_config.oidc_token?.service_account_email)?.address === sa && fnOf(s.push_config.push_endpoint) === fn);
      const c = pushing ? componentOf(pushing[0]) : undefined;
      if (c?.kind === "queue") who = `queue:${c.id}`;
      else if (c?.kind === "bus") {
        const rule = c.rest.find((p) => p.startsWith("rule-"))!.slice("rule-".length);
        const k = ruleParts.has(`${c.id}/${rule}`) ? `${c.id}/${rule}` : `${c.id}/${rule.replace(/-p\d+$/, "")}`;
        // A rule into a queue delivers as that queue.
        const t = ruleTarget.get(k);
        who = t?.startsWith("queue:") ? t : `rule:${k}`;
      }
    }
    if (who) invokers.set(fn, [...(invokers.get(fn) ?? []), who]);
  }

  const functions: Record<string, FunctionBehaviour> = {};
  for (const [key, items] of byComponent(R, "google_cloudfunctions2_function")) {
    const sc = items[0][1].service_config ?? {};
    const id = key.slice("function:".length);
    functions[id] = {
      maxConcurrency: (sc.max_instance_count ?? 100) * (sc.max_instance_request_concurrency ?? 1),
      memoryMb: memoryMb(sc.available_memory ?? "256M"),
      timeoutSeconds: sc.timeout_seconds ?? 60,
      warmInstances: sc.min_instance_count ?? 0,
      invokers: uniq(invokers.get(id) ?? []),
    };
  }

  const publishersOf = (topicAddress: string | undefined) => uniq(Object.values<any>(R.google_pubsub_topic_iam_member ?? {})
    .filter((m) => m.role === "roles/pubsub.publisher" && refOf(m.topic)?.address === topicAddress)
    .map((m) => fnOf(m.member)).filter((f): f is string => !!f).map((f) => `function:${f}`));

  /**
   * Pub/Sub counts a push rejected at the consumer's cap as a delivery attempt. When two attempts
   * of a message are at least the consumer's timeout apart, the messages in flight at one rejection
   * have finished by the next, so `attempts` rejections meet `attempts × cap` other messages: a
   * burst up to that is delivered. A shorter backoff gives no such bound (a message can be
   * rejected by the same runs again and again): then only the cap itself is safe.
   */
  const burstBound = (d: ReturnType<typeof delivery>) => {
    const fn = d.consumer ? functions[d.consumer] : undefined;
    if (!fn?.maxConcurrency) return 0;
    return d.spacing >= fn.timeoutSeconds && Number.isFinite(d.attempts) ? d.attempts * fn.maxConcurrency : fn.maxConcurrency;
  };
  const queues: Record<string, QueueBehaviour> = {};
  for (const [id, d] of queueSubs) {
    // The queue's topic: the one its push subscription reads.
    const sourceTopic = subs.find(([a, s]) => componentOf(a)?.kind === "queue" && componentOf(a)?.id === id && s.push_config)?.[1]?.topic;
    queues[id] = {
      consumer: d.consumer ? `function:${d.consumer}` : null,
      deliveryAttempts: d.attempts,
      retrySpacingSeconds: d.spacing,
      visibilitySeconds: d.ack,
      maxConsumerConcurrency: d.consumer ? functions[d.consumer]?.maxConcurrency ?? null : null,
      burstWithoutDeadLetter: burstBound(d),
      retentionSeconds: d.retention,
      dlqRetentionSeconds: d.dlqRetention,
      expiredMessages: "dropped",
      dropsWithoutDeadLetter: d.drops,
      senders: uniq([...publishersOf(refOf(sourceTopic)?.address), ...[...ruleTarget].filter(([, t]) => t === `queue:${id}`).map(([k]) => `rule:${k}`)]),
    };
  }

  const buses: Record<string, BusBehaviour> = {};
  const dlqTopics = new Set(subs.map(([, s]) => refOf(s.dead_letter_policy?.dead_letter_topic)?.address).filter((a): a is string => !!a));
  for (const [key, items] of byComponent(R, "google_pubsub_topic")) {
    if (!key.startsWith("bus:")) continue;
    // The bus topic: not a rule's dead-letter topic; the one functions may publish to or the archive
    // reads, else one Cloud Scheduler does not publish to (a scheduled rule's tick topic).
    const archiveOf = (a: string) => subs.find(([, s]) => s.cloud_storage_config && refOf(s.topic)?.address === a)?.[1];
    const jobsOn = (a: string) => jobs.filter((j) => refOf(j.pubsub_target?.topic_name)?.address === a);
    const candidates = items.map(([a]) => a).filter((a) => !dlqTopics.has(a));
    const topic = candidates.find((a) => archiveOf(a) || publishersOf(a).length) ?? candidates.find((a) => !jobsOn(a).length) ?? candidates[0];
    const archive = topic ? archiveOf(topic) : undefined;
    const bucket = archive ? get(refOf(archive.cloud_storage_config.bucket)) : undefined;
    const deleteAfter = (bucket?.lifecycle_rule ?? []).filter((r: any) => r.action?.type === "Delete" && typeof r.condition?.age === "number").map((r: any) => r.condition.age);
    buses[key.slice("bus:".length)] = {
      // Functions granted the publisher role, and schedules whose ticks land on the bus (its archive
      // and every rule filtering on source or type would see them).
      publishers: uniq([...publishersOf(topic), ...(topic ? jobsOn(topic) : []).map((j) => (tickFeeds.has(j) ? `rule:${tickFeeds.get(j)![0]}` : `schedule:${j.name}`))]),
      archiveDays: archive ? (deleteAfter.length ? Math.min(...deleteAfter) : Infinity) : null,
    };
  }

  const gateways: Record<string, GatewayBehaviour> = {};
  for (const key of byComponent(R, "google_compute_url_map").keys()) {
    const armor = (byComponent(R, "google_compute_security_policy").get(key) ?? [])[0]?.[1];
    const throttle = (armor?.rule ?? []).find((r: any) => r.action === "throttle" || r.action === "rate_based_ban")?.rate_limit_options?.rate_limit_threshold;
    // Fixed windows: every interval admits `count` afresh, so 60 s admit 60 / interval of them.
    const perMinute = throttle ? Math.round((throttle.count * 60) / throttle.interval_sec) : Infinity;
    // The API Gateway behind the load balancer routes and authenticates from its OpenAPI document.
    const routes: string[] = [];
    const edge: string[] = [];
    const timeouts: Record<string, number> = {};
    const jwt: string[] = [];
    const keys: string[] = [];
    const corsAnswers: (string | null)[] = [];
    const config = (byComponent(R, "google_api_gateway_api_config").get(key) ?? [])[0]?.[1];
    const specs = (config?.openapi_documents ?? []).map((doc: any) => openApiOf(doc.document?.contents)).filter(Boolean);
    // An unauthenticated OPTIONS whose function answers CORS (PLATFORM_CORS) is a preflight, not a route.
    const corsOf_ = (op: any) => {
      const fn = fnOf(op?.["x-google-backend"]?.address);
      const answer = fn ? functionResource(fn)?.service_config?.environment_variables?.PLATFORM_CORS : undefined;
      return op && !(op.security ?? []).length && typeof answer === "string" ? corsOf(answer) : undefined;
    };
    const corsOn = specs.some((spec: any) => Object.values<any>(spec.paths ?? {}).some((ops) => corsOf_(ops.options) !== undefined));
    for (const spec of specs) {
      const sec = spec.securityDefinitions?.jwt;
      if (sec) {
        jwt.push(jwtText(sec["x-google-issuer"], String(sec["x-google-audiences"] ?? "").split(",").filter(Boolean)));
        keys.push(`jwks ${sec["x-google-jwks_uri"]}`);
      }
      for (const [p, ops] of Object.entries<any>(spec.paths ?? {})) {
        for (const [method, op] of Object.entries<any>(ops)) {
          const fn = fnOf(op["x-google-backend"]?.address);
          // With CORS on, every path's OPTIONS must be such a preflight: one that is not answers no CORS.
          if (method === "options" && corsOn) {
            corsAnswers.push(corsOf_(op) ?? null);
            continue;
          }
          for (const m of routeMethods(method, corsOn)) {
            const line = `${m} ${p} -> ${fn}`;
            routes.push(line);
            if ((op.security ?? []).length > 0 && sec) edge.push(line);
            timeouts[`${m} ${p}`] = Math.min(Number(op["x-google-backend"]?.deadline ?? DEFAULT_BACKEND_DEADLINE), fn ? functions[fn]?.timeoutSeconds ?? 60 : 0);
          }
        }
      }
    }
    const answers = uniq(corsAnswers.map((a) => a ?? "none"));
    gateways[key.slice("gateway:".length)] = {
      routes: uniq(routes), edgeAuthenticated: uniq(edge),
      jwt: jwt.length ? uniq(jwt).join(" | ") : null,
      jwtKeys: keys.length ? uniq(keys).join(" | ") : null,
      cors: corsAnswers.length === 0 ? null : answers.length === 1 && answers[0] !== "none" ? answers[0] : `inconsistent: ${answers.join(" | ")}`,
      requestsPerMinute: perMinute, burst: throttle ? throttle.count : Infinity,
      routeTimeoutSeconds: Object.fromEntries(Object.entries(timeouts).sort(([a], [b]) => (a < b ? -1 : 1))),
    };
  }

  const databases: Record<string, DatabaseBehaviour> = {};
  for (const [key, items] of byComponent(R, "google_sql_database_instance")) {
    const [instanceAddress, inst] = items[0];
    const s = inst.settings ?? {};
    const flag = (list: any[] | undefined, name: string) => list?.find((f) => f.name === name)?.value;
    const maxConnections = Number(flag(s.database_flags, "max_connections") ?? 100);
    const pool = (s.connection_pool_config ?? [])[0];
    const pooled = pool?.connection_pooling_enabled === true;
    // Managed pooling runs one pooler per 4 vCPU (at least one); each keeps one pool per (database, user).
    const poolers = poolerCount(s.tier ?? "");
    const dbs = Object.values<any>(R.google_sql_database ?? {}).filter((d) => refOf(d.instance)?.address === instanceAddress).length;
    const users = Object.entries<any>(R.google_sql_user ?? {}).filter(([, u]) => refOf(u.instance)?.address === instanceAddress);
    const pairs = Math.max(1, dbs) * Math.max(1, users.length);
    const maxPool = Number(flag(pool?.flags, "max_pool_size") ?? 0);
    const poolServerConnections = pooled ? maxPool * poolers * pairs : maxConnections;
    const ip = s.ip_configuration ?? {};
    const backup = s.backup_configuration ?? {};
    // A client: an IAM database user that is a function's runtime identity, with the VPC connector path.
    const clients = users.filter(([, u]) => u.type === "CLOUD_IAM_SERVICE_ACCOUNT").map(([, u]) => fnOf(u.name))
      .filter((f): f is string => !!f && !!functionResource(f)?.service_config?.vpc_connector);
    databases[key.slice("database:".length)] = {
      pooled,
      poolServerConnections,
      maxConnections,
      // Shares are taken of max_connections itself (the pool and alarm are sized from it here).
      userConnections: maxConnections,
      pools: pooled ? poolers * pairs : 0,
      poolPercent: Math.round((100 * poolServerConnections) / maxConnections),
      idleFloorConnections: pooled ? Number(flag(pool?.flags, "min_pool_size") ?? 0) * poolers * pairs : 0,
      borrowTimeoutSeconds: pooled ? Number(flag(pool?.flags, "query_wait_timeout") ?? 120) : null,
      tls: ip.ssl_mode === "ENCRYPTED_ONLY" || ip.ssl_mode === "TRUSTED_CLIENT_CERTIFICATE_REQUIRED",
      identityAuth: flag(s.database_flags, "cloudsql.iam_authentication") === "on",
      pointInTimeRecoveryDays: backup.point_in_time_recovery_enabled ? backup.transaction_log_retention_days ?? 7 : 0,
      clients: uniq(clients.map((f) => `function:${f}`)),
    };
  }

  const channels = R.google_monitoring_notification_channel ?? {};
  const email = (c: unknown) => {
    const ch = channels[refOf(c)?.address ?? ""];
    return ch?.type === "email" && ch.enabled !== false ? ch.labels?.email_address as string | undefined : undefined;
  };
  const notified = new Set<string>();
  const alarms: Record<string, Partial<Record<ObservedSignal, AlarmCondition>>> = {};
  const names = componentNames(R);
  // The resources an aggregated condition watches (`resource.labels.<label>=one_of(…)`, alert-conditions.ts), by label.
  const LABEL_TYPES: Record<string, string> = {
    service_name: "google_cloudfunctions2_function", subscription_id: "google_pubsub_subscription", url_map_name: "google_compute_url_map", database_id: "google_sql_database_instance",
  };
  const watchedBy = (label: string, value: string): string | undefined => {
    const type = LABEL_TYPES[label];
    // A Cloud SQL database_id is `<project>:<instance name>`.
    const name = label === "database_id" ? value.slice(value.indexOf(":") + 1) : value;
    return type ? Object.entries<any>(R[type] ?? {}).find(([, r]) => r?.name === name)?.[0] : undefined;
  };
  for (const [address, policy] of Object.entries(R.google_monitoring_alert_policy ?? {}) as [string, any][]) {
    const cond = policy.conditions?.[0]?.condition_threshold;
    const aggregated = /resource\.labels\.([a-z_]+)=one_of\(([^)]*)\)/.exec(String(cond?.filter ?? ""));
    if (aggregated) {
      // One condition for many resources, grouped by the label that names each: each resource is alarmed on its own series.
      const grouped = (cond.aggregations?.[0]?.group_by_fields ?? []).includes(`resource.label.${aggregated[1]}`);
      const values = [...aggregated[2].matchAll(/"([^"]*)"/g)].map((m) => m[1]);
      for (const value of grouped ? values : []) {
        const owner = watchedBy(aggregated[1], value);
        const c = owner ? componentOf(owner) : undefined;
        const signal = c && gcpSignal(cond.filter, c.kind);
        if (!c || !signal || policy.enabled === false) continue;
        const rule = c.rest.find((p) => p.startsWith("rule-"));
        addAlarm(address, policy, cond, signal, c, c.kind === "bus" ? `rule:${c.id}/${rule?.slice("rule-".length)}` : `${c.kind}:${c.id}`);
      }
      continue;
    }
    const c = componentOf(address);
    // A log-based metric counts the log entries its own filter selects: that filter says what is counted and for which resource.
    const logMetric = get(refOf(/metric\.type="logging\.googleapis\.com\/user\/([^"]*)"/.exec(String(cond?.filter ?? ""))?.[1]));
    const counted = logMetric ? String(logMetric.filter ?? "") : String(cond?.filter ?? "");
    const signal: ObservedSignal | undefined = !cond ? undefined : logMetric ? logSignal(counted) : gcpSignal(cond.filter, c?.kind);
    // An alert counts for its component only when the resource labels it filters on name that component's resources.
    const labels = [...counted.matchAll(/resource\.labels\.[a-z_]+="([^"]*)"/g)].map((m) => m[1].slice(m[1].lastIndexOf(":") + 1));
    if (!c || !signal || policy.enabled === false || !labels.length || !labels.every((v) => namesComponent(v, `${c.kind}:${c.id}`, names))) continue;
    const rule = c.rest.find((p) => p.startsWith("rule-"));
    // A schedule's failed runs belong to the rule its job's ticks reach.
    const job = signal === "schedule.failedRuns" ? jobs.find((j) => labels.includes(j.name)) : undefined;
    const key = job ? (tickFeeds.has(job) ? `rule:${tickFeeds.get(job)![0]}` : `schedule:${job.name}`) : c.kind === "bus" ? `rule:${c.id}/${rule?.slice("rule-".length)}` : `${c.kind}:${c.id}`;
    addAlarm(address, policy, cond, signal, c, key);
  }

  function addAlarm(address: string, policy: any, cond: any, signal: ObservedSignal, c: { kind: string; id: string }, key: string): void {
    const op = cond.comparison === "COMPARISON_GT" ? "gt" : cond.comparison === "COMPARISON_GE" ? "ge" : undefined;
    if (!op) throw new Error(`${address}: comparison ${cond.comparison} is not an upper bound`);
    const agg = cond.aggregations?.[0] ?? {};
    const window = durationSeconds(agg.alignment_period ?? "60s") + durationSeconds(cond.duration ?? "0s");
    let threshold = cond.threshold_value ?? 0;
    // Connection saturation is a share of max_connections elsewhere: express it the same way.
    if (signal === "proxy.connectionSaturation") {
      const db = databases[c.id];
      threshold = db ? Math.round((100 * threshold) / db.userConnections) : threshold;
    }
    // Cloud SQL utilisation metrics are fractions; the other clouds alert on percentages.
    if (signal === "database.cpu" || signal === "database.storage") threshold = Math.round(threshold * 10000) / 100;
    const recipients = (policy.notification_channels ?? []).map(email).filter((e: unknown): e is string => !!e);
    recipients.forEach((e: string) => notified.add(e));
    (alarms[key] ??= {})[signal] = {
      atLeast: atLeast(signal, op, threshold),
      windowSeconds: window,
      perSeries: !agg.cross_series_reducer,
      statistic: ({ ALIGN_SUM: "total", ALIGN_DELTA: "total", ALIGN_COUNT: "total", ALIGN_MAX: "peak", ALIGN_MIN: "low", ALIGN_MEAN: "mean", ALIGN_PERCENTILE_99: "p99" } as Record<string, AlarmStatistic>)[agg.per_series_aligner ?? ""] ?? agg.per_series_aligner,
      // Unset means EVALUATION_MISSING_DATA_NO_OP: the condition is not evaluated, an open incident stays open.
      missingData: ({ EVALUATION_MISSING_DATA_INACTIVE: "ok", EVALUATION_MISSING_DATA_ACTIVE: "alarm", EVALUATION_MISSING_DATA_NO_OP: "keep" } as Record<string, MissingData>)[cond.evaluation_missing_data ?? "EVALUATION_MISSING_DATA_NO_OP"] ?? "keep",
      notifies: recipients.length > 0,
    };
  }

  const budget = Object.values(R.google_billing_budget ?? {})[0] as any;
  const rulesOf = (basis: string) => (budget?.threshold_rules ?? []).filter((r: any) => (r.spend_basis ?? "CURRENT_SPEND") === basis).map((r: any) => Math.round(r.threshold_percent * 100)).sort((x: number, y: number) => x - y);
  const amount = budget?.amount?.specified_amount;
  return spreadSharedServer({
    functions, queues, buses, rules, gateways, databases, alarms,
    alarmRecipients: uniq(notified),
    budget: budget
      ? {
          scope: budget.budget_filter?.projects ? "project" : "billing-account",
          amount: Number(amount?.units ?? 0) + Number(amount?.nanos ?? 0) / 1e9,
          currency: amount?.currency_code ?? "billing account currency",
          actualPercent: rulesOf("CURRENT_SPEND"),
          forecastPercent: rulesOf("FORECASTED_SPEND"),
          recipients: uniq((budget.all_updates_rule?.monitoring_notification_channels ?? []).map(email).filter(Boolean)),
        }
      : null,
  });
}

/**
 * The signal a log-based metric counts: Cloud Scheduler's AttemptFinished entries at ERROR are a
 * schedule's failed runs (its publish failed); other log filters count no signal of the record.
 */
function logSignal(filter: string): ObservedSignal | undefined {
  const scheduler = /resource\.type="cloud_scheduler_job"/.test(filter)
    && /jsonPayload\."@type"="type\.googleapis\.com\/google\.cloud\.scheduler\.logging\.AttemptFinished"/.test(filter)
    && /severity\s*>=\s*ERROR\b/.test(filter);
  return scheduler ? "schedule.failedRuns" : undefined;
}

function gcpSignal(filter: string, kind: string | undefined): ObservedSignal | undefined {
  const metric = /metric\.type="([^"]+)"/.exec(filter)?.[1] ?? "";
  if (metric === "run.googleapis.com/request_count") {
    if (/metric\.labels\.response_code="429"/.test(filter)) return "function.throttles";
    return /metric\.labels\.response_code_class="5xx"/.test(filter) ? "function.errors" : undefined;
  }
  if (metric === "run.googleapis.com/request_latencies") return "function.durationP99";
  if (metric === "loadbalancing.googleapis.com/https/request_count") return /metric\.labels\.response_code_class=500\b/.test(filter) ? "gateway.5xx" : undefined;
  if (metric === "loadbalancing.googleapis.com/https/total_latencies") return "gateway.latencyP99";
  // A rule into a queue watches its subscription as the queue's.
  if (metric.endsWith("oldest_unacked_message_age")) return "queue.oldestMessageAge";
  if (metric.endsWith("push_request_count")) return /metric\.labels\.response_class!="ack"/.test(filter) ? "bus.failedInvocations" : undefined;
  if (metric.endsWith("dead_letter_message_count")) return kind === "bus" ? "bus.sentToDlq" : "queue.sentToDlq";
  if (metric.endsWith("num_undelivered_messages")) return kind === "bus" ? "bus.dlqDepth" : "queue.dlqDepth";
  if (metric.endsWith("num_backends")) return "proxy.connectionSaturation";
  if (metric.endsWith("cpu/utilization")) return "database.cpu";
  if (metric.endsWith("disk/utilization")) return "database.storage";
  return undefined;
}

/** PLATFORM_CORS (resolved CORS settings) as the canonical answer. */
function corsOf(text: string): string {
  try {
    const c = JSON.parse(text);
    return canonicalCors({ origins: c.allowOrigins ?? [], methods: c.allowMethods ?? [], headers: c.allowHeaders ?? [], expose: c.exposeHeaders ?? [], maxAge: c.maxAgeSeconds ?? 0, credentials: c.allowCredentials ?? false });
  } catch {
    return `unreadable PLATFORM_CORS: ${text}`;
  }
}

/** A Cloud Scheduler job's unix cron (UTC only) as canonical firing times. */
function scheduleOf(job: any): string {
  if (!["Etc/UTC", "UTC"].includes(job.time_zone ?? "Etc/UTC")) return `time zone ${job.time_zone}: ${job.schedule}`;
  const parsed = parseSchedule(`cron(${job.schedule})`);
  return typeof parsed === "object" ? canonicalSchedule(scheduleTimes(parsed)) : `unreadable schedule: ${job.schedule}`;
}

/**
 * The OpenAPI document of an API Gateway config, from `base64encode(jsonencode({...}))`: the HCL
 * object is turned into JSON (`=` to `:`, references to strings) without evaluating anything.
 */
export function openApiOf(contents: unknown): any {
  const m = /^\$\{base64encode\(jsonencode\(([\s\S]*)\)\)\}$/.exec(String(contents ?? ""));
  if (!m) return undefined;
  let out = "";
  const src = m[1];
  for (let i = 0; i < src.length;) {
    const c = src[i];
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === "\\" ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j + 1;
    } else if (c === "=") {
      out += ":";
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      const word = /^[A-Za-z0-9_.[\]-]+/.exec(src.slice(i))![0];
      out += ["true", "false", "null"].includes(word) ? word : JSON.stringify(word);
      i += word.length;
    } else {
      out += c;
      i++;
    }
  }
  return JSON.parse(out);
}
