import { CapabilityMap, ConformanceContext, NAME_RULES, Namer, SHARED_DATABASE_ID, onSharedServer, platformName, REQUIRED_TAG_KEYS, DEFAULTS, resolveFunction, resolvePool, resolveQueue, resourcesOfType, fails, block, queueCappedConsumers, shortestCallerTimeout, pubsubQueuePush } from "@polycloud/core";
import { GCF_RUNTIMES, CLOUD_SQL_SIZES, poolerCount } from "./limits";
import { throttleThreshold } from "./gateway";

/* Conformance checks over a synthesized GCP stack of a service: the GCP column of the parity table. */

type R = Record<string, any>;
const all = resourcesOfType;
const namer = (c: ConformanceContext) => new Namer(c.service.name, c.env.name);
const byName = (c: ConformanceContext, type: string, name: string): R | undefined => all(c, type).find((r) => r.name === name);
const svc = (r: R | undefined): R => r?.service_config?.[0] ?? r?.service_config ?? {};
const one = block;
const secs = (d: string | undefined) => (d ? Number(String(d).replace(/s$/, "")) : NaN);

function perFunction(c: ConformanceContext, check: (id: string, fn: R | undefined, spec: ReturnType<typeof resolveFunction>) => string[]): string[] {
  return Object.entries(c.service.functions).flatMap(([id, f]) =>
    check(id, byName(c, "google_cloudfunctions2_function", namer(c).name(NAME_RULES.gcp.function, id)), resolveFunction(f)).map((m) => `function ${id}: ${m}`),
  );
}

/** The Pub/Sub service agent's member as the stack writes it: read from its google_project_service_identity. */
function pubsubAgent(c: ConformanceContext): string[] {
  return Object.entries(c.json.resource?.google_project_service_identity ?? {})
    .filter(([, r]) => (r as R).service === "pubsub.googleapis.com")
    .map(([name]) => `\${google_project_service_identity.${name}.member}`);
}

/** Every push delivery path (queues and bus rules) with its subscription and DLQ pieces. */
function deliveries(c: ConformanceContext) {
  const n = namer(c);
  const paths: { label: string; parts: string[]; maxAttempts?: number; dlqRetention: number; filter: boolean }[] = [];
  for (const [id, q] of Object.entries(c.service.queues ?? {})) {
    const consumer = c.service.functions[q.consumer];
    const r = resolveQueue(q, consumer ? resolveFunction(consumer).timeoutSeconds : 30);
    // Attempts sized from the consumer's cap and timeout (a push refused at the cap counts as one).
    const attempts = consumer ? pubsubQueuePush(c.service, id).attempts : r.maxDeliveryAttempts;
    paths.push({ label: `queue ${id}`, parts: [id], maxAttempts: attempts, dlqRetention: r.dlqRetentionSeconds, filter: false });
  }
  for (const [busId, bus] of Object.entries(c.service.buses ?? {})) {
    for (const [ruleId, rule] of Object.entries(bus.rules)) {
      // A rule into a queue delivers with the queue's attempts (the queue's path to its consumer).
      const q = "queue" in rule.target ? c.service.queues?.[rule.target.queue] : undefined;
      const attempts = q ? (c.service.functions[q.consumer] ? pubsubQueuePush(c.service, (rule.target as { queue: string }).queue).attempts : q.maxDeliveryAttempts ?? DEFAULTS.maxDeliveryAttempts) : rule.retry?.maxAttempts;
      paths.push({ label: `rule ${busId}/${ruleId}`, parts: [busId, ruleId], maxAttempts: attempts, dlqRetention: 14 * 86400, filter: true });
    }
  }
  return paths.map((p) => {
    const name = n.name(NAME_RULES.gcp.pubsub, ...p.parts);
    const dlqName = n.name(NAME_RULES.gcp.pubsub, ...p.parts, "dlq");
    const subscription = all(c, "google_pubsub_subscription").find((s) => s.name === name);
    const dlqTopic = byName(c, "google_pubsub_topic", dlqName);
    const dlqSubscription = all(c, "google_pubsub_subscription").find((s) => s.name === dlqName);
    return { ...p, name, dlqName, subscription, dlqTopic, dlqSubscription };
  });
}

const sqlInstances = (c: ConformanceContext) => all(c, "google_sql_database_instance");
const settings = (r: R) => one(r.settings);
const reEscape = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const lbBackends = (c: ConformanceContext) => all(c, "google_compute_backend_service");
const alertTypes = (c: ConformanceContext) => all(c, "google_monitoring_alert_policy").map((a) => String(one(one(a.conditions).condition_threshold).filter ?? ""));
const hasAlert = (c: ConformanceContext, metric: string, subject: string) => alertTypes(c).some((f) => f.includes(metric) && f.includes(subject));

export const GCP_CAPABILITIES: CapabilityMap = {
  "function.runtime": {
    mode: "native", realisedBy: "google_cloudfunctions2_function build_config runtime/entry_point, built by a dedicated build service account",
    check: (c) => perFunction(c, (_id, f, s) => fails(
      [!!f, "no google_cloudfunctions2_function"],
      [one(f?.build_config).runtime === GCF_RUNTIMES[s.runtime], `runtime ${one(f?.build_config).runtime}`],
      [one(f?.build_config).entry_point === s.handler.split(".").pop(), `entry_point ${one(f?.build_config).entry_point}`],
      [!!one(f?.build_config).service_account, "no dedicated build service account"],
    )),
  },
  "function.memory": {
    mode: "native", realisedBy: "service_config.available_memory (+ available_cpu sized for it)",
    check: (c) => perFunction(c, (_id, f, s) => fails([svc(f).available_memory === `${s.memoryMb}Mi`, `available_memory ${svc(f).available_memory}`])),
  },
  "function.timeout": {
    mode: "native", realisedBy: "service_config.timeout_seconds",
    check: (c) => perFunction(c, (_id, f, s) => fails([svc(f).timeout_seconds === s.timeoutSeconds, `timeout ${svc(f).timeout_seconds}`])),
  },
  "function.identity": {
    mode: "native", realisedBy: "google_service_account per function (runtime + build); grants on single resources (topic, secret, run service, conditioned Cloud SQL roles)",
    check: (c) => {
      const members = all(c, "google_project_iam_member");
      // The build identity's objectAdmin is allowed only conditioned on the gen2 sources bucket.
      const gcfSources = (m: R) => m.role === "roles/storage.objectAdmin" && /^resource\.name\.startsWith\("projects\/_\/buckets\/gcf-v2-sources-[^"/]+"\)$/.test(one(m.condition).expression ?? "");
      const broad = members.filter((m) => /roles\/(owner|editor|viewer)$|admin$/i.test(m.role) && !gcfSources(m));
      const unconditionedSql = members.filter((m) => /cloudsql\.(client|instanceUser)/.test(m.role) && !one(m.condition).expression);
      return [
        ...perFunction(c, (_id, f) => fails([/^\$\{google_service_account\./.test(svc(f).service_account_email ?? ""), "runtime service account is not its own"])),
        ...broad.map((m) => `broad project role ${m.role}`),
        ...unconditionedSql.map((m) => `${m.role} not conditioned on the instance`),
      ];
    },
  },
  "function.logRetention": {
    mode: "different", realisedBy: "google_logging_project_bucket_config retention_days + google_logging_project_sink (when the environment differs from _Default's 30 days)",
    note: "Cloud Run logs go to the project's _Default bucket (30 days); other retention routes the service's logs to its own bucket",
    check: (c) => {
      const days = c.env.retention.logDays;
      if (days === 30) return [];
      const bucket = all(c, "google_logging_project_bucket_config")[0];
      const sink = all(c, "google_logging_project_sink")[0];
      return fails([bucket?.retention_days === days, `log bucket retention ${bucket?.retention_days} != ${days}`], [/cloud_run_revision/.test(sink?.filter ?? ""), "no sink for function logs"]);
    },
  },
  "function.tracing": {
    mode: "different", realisedBy: "Cloud Trace: gen2 samples requests automatically; runtime identity holds roles/cloudtrace.agent",
    note: "no per-function switch; tracing is always on and the identity may write spans",
    check: (c) => perFunction(c, (id) => fails([all(c, "google_project_iam_member").some((m) => m.role === "roles/cloudtrace.agent" && String(m.member).includes(`_fn-${id}_runtime-sa_`)), "no cloudtrace.agent grant"])),
  },
  "function.secrets": {
    mode: "native", realisedBy: "service_config.secret_environment_variables (version latest) + google_secret_manager_secret_iam_member secretAccessor per secret",
    check: (c) => perFunction(c, (_id, f, s) => Object.keys(s.secrets).flatMap((name) => fails(
      [(svc(f).secret_environment_variables ?? []).some((e: R) => e.key === name), `no secret env ${name}`],
      [!(name in (svc(f).environment_variables ?? {})), `${name} as a plain variable`],
    )).concat(fails([all(c, "google_secret_manager_secret_iam_member").length >= Object.keys(s.secrets).length, "secret access not granted"]))),
  },
  "function.concurrency": {
    mode: "different", realisedBy: "service_config.max_instance_count × max_instance_request_concurrency = the cap exactly",
    note: "the cap is instances × requests per instance",
    check: (c) => perFunction(c, (id, f, s) => {
      // A consumer that only its queue invokes takes the queue's maxConcurrency (queueCappedConsumers).
      const cap = queueCappedConsumers(c.service)[id]?.cap ?? s.maxConcurrency;
      return cap === undefined ? [] : fails(
        // Exactly the cap (the per-instance share shrinks to a divisor of it).
        [svc(f).max_instance_count * svc(f).max_instance_request_concurrency === cap, `cap ${svc(f).max_instance_count}×${svc(f).max_instance_request_concurrency} vs ${cap}`],
      );
    }),
  },
  "function.warmInstances": {
    mode: "native", realisedBy: "service_config.min_instance_count",
    check: (c) => perFunction(c, (_id, f, s) => fails([(svc(f).min_instance_count ?? 0) === s.minWarmInstances, `min_instance_count ${svc(f).min_instance_count}`])),
  },
  "function.asyncFailure": {
    mode: "different", realisedBy: "asynchronous work reaches functions only through Pub/Sub push subscriptions, each with a dead-letter topic and kept DLQ subscription",
    note: "GCP has no async-invoke DLQ; every async path is a subscription with its own DLQ",
    check: (c) => deliveries(c).flatMap((d) => fails([!!one(d.subscription?.dead_letter_policy).dead_letter_topic, `${d.label}: no dead_letter_policy`])),
  },
  "gateway.routes": {
    mode: "native", realisedBy: "API Gateway (google-beta) OpenAPI 2.0 config: one operation per method × path with an x-google-backend to its function; load balancer → serverless NEG (apigateway.googleapis.com) → gateway",
    note: "greedy {name+} paths are rejected on GCP",
    check: (c) => Object.values(c.service.gateways ?? {}).flatMap((g) => {
      const doc = String(one(one(all(c, "google_api_gateway_api_config")[0]?.openapi_documents).document).contents ?? "");
      const negs = all(c, "google_compute_region_network_endpoint_group").filter((n) => one(n.serverless_deployment).platform === "apigateway.googleapis.com");
      return fails([negs.length === 1, "no serverless NEG to the API Gateway"]).concat(g.routes.flatMap((r) => {
        const methods = r.method === "ANY" ? ["get", "post", "put", "patch", "delete", "head", "options"] : [r.method.toLowerCase()];
        return methods.flatMap((m) => fails([
          new RegExp(`${reEscape(JSON.stringify(r.path))} = \\{[^]*?"${m}" = \\{"operationId" = "[^"]+", (?:"parameters" = \\[[^\\]]*\\], )?"x-google-backend" = \\{"address" = google_cloudfunctions2_function\\.[A-Za-z0-9_-]*_fn-${reEscape(r.function)}_fn_`).test(doc),
          `route ${r.method} ${r.path} has no operation`,
        ]));
      }));
    }),
  },
  "gateway.throttle": {
    mode: "different", realisedBy: "google_compute_security_policy throttle rule (count = burst + rate × 10 per 10 s, the shortest Cloud Armor interval; deny(429)) on every backend service",
    note: "Cloud Armor counts per 10 s window instead of a token bucket: a whole window's B + 10·R may arrive in one second",
    check: (c) => Object.values(c.service.gateways ?? {}).flatMap((g) => {
      const policy = all(c, "google_compute_security_policy")[0];
      const rule = (policy?.rule ?? []).find((r: R) => r.action === "throttle");
      const t = one(one(rule?.rate_limit_options).rate_limit_threshold);
      return fails(
        [t.count === throttleThreshold(g.throttle.rateLimit, g.throttle.burstLimit).count && t.interval_sec === throttleThreshold(g.throttle.rateLimit, g.throttle.burstLimit).intervalSec, `threshold ${JSON.stringify(t)}`],
        [lbBackends(c).length > 0 && lbBackends(c).every((b) => !!b.security_policy), "backend without security policy"],
      );
    }),
  },
  "gateway.cors": {
    mode: "different", realisedBy: "unauthenticated OPTIONS operations in the API Gateway config to the path's function, which answers the preflight from PLATFORM_CORS",
    note: "API Gateway does not answer preflights itself; the function does",
    check: (c) => perFunction(c, (id, f) => Object.values(c.service.gateways ?? {}).some((g) => g.cors && g.routes.some((r) => r.function === id))
      ? fails([JSON.parse(svc(f).environment_variables?.PLATFORM_CORS ?? "{}").allowOrigins?.length > 0, "no PLATFORM_CORS"]) : []),
  },
  "gateway.jwt": {
    mode: "native", realisedBy: "API Gateway securityDefinitions (x-google-issuer, x-google-jwks_uri, x-google-audiences) required on every authorized operation: checked before any function runs",
    check: (c) => Object.values(c.service.gateways ?? {}).flatMap((g) => {
      if (!g.auth) return [];
      const doc = String(one(one(all(c, "google_api_gateway_api_config")[0]?.openapi_documents).document).contents ?? "");
      const protectedOps = (doc.match(/"security" = \[\{"jwt" = \[\]\}\]/g) ?? []).length;
      const expected = g.routes.filter((r) => r.authorized !== false).reduce((n, r) => n + (r.method === "ANY" ? 7 : 1), 0);
      return fails(
        [doc.includes(`"x-google-issuer" = ${JSON.stringify(g.auth.issuer)}`), "issuer not in the API config"],
        [doc.includes(`"x-google-audiences" = ${JSON.stringify(g.auth.audiences.join(","))}`), "audiences not in the API config"],
        [protectedOps === expected, `${protectedOps} operations require the JWT, expected ${expected}`],
      );
    }),
  },
  "gateway.accessLogs": {
    mode: "native", realisedBy: "google_compute_backend_service log_config (sample_rate 1), routed to the service log bucket",
    check: (c) => lbBackends(c).flatMap((b) => fails([one(b.log_config).enable === true && one(b.log_config).sample_rate === 1, `${b.name}: logging off`])),
  },
  "gateway.invokeScope": {
    mode: "different", realisedBy: "roles/run.invoker for the API Gateway backend service account only on routed functions (ingress ALLOW_ALL: API Gateway is not internal traffic), ALLOW_INTERNAL_ONLY elsewhere",
    note: "IAM, not the network, is the boundary of routed functions; no allUsers invoker",
    check: (c) => {
      const routed = new Set(Object.values(c.service.gateways ?? {}).flatMap((g) => g.routes.map((r) => r.function)));
      const publicInvokers = all(c, "google_cloud_run_v2_service_iam_member").filter((m) => m.member === "allUsers" || m.member === "allAuthenticatedUsers").length;
      return perFunction(c, (id, f) => fails([svc(f).ingress_settings === (routed.has(id) ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"), `ingress ${svc(f).ingress_settings}`]))
        .concat(fails([publicInvokers === 0, "public invoker on a function"]));
    },
  },
  "queue.dlq": {
    mode: "native", realisedBy: "dead_letter_policy (max_delivery_attempts, sized from the consumer's cap and timeout: a push refused at the cap counts as an attempt) to a dead-letter topic; Pub/Sub agent publisher on it and subscriber on the source",
    check: (c) => deliveries(c).filter((d) => d.label.startsWith("queue")).flatMap((d) => fails(
      [one(d.subscription?.dead_letter_policy).max_delivery_attempts === d.maxAttempts, `${d.label}: max_delivery_attempts`],
      [!!d.dlqTopic, `${d.label}: no DLQ topic`],
    )).concat(fails([
      all(c, "google_pubsub_topic_iam_member").filter((m) => m.role === "roles/pubsub.publisher" && pubsubAgent(c).includes(m.member)).length >= deliveries(c).length,
      "Pub/Sub agent cannot publish to every dead-letter topic",
    ], [
      all(c, "google_pubsub_subscription_iam_member").filter((m) => m.role === "roles/pubsub.subscriber" && pubsubAgent(c).includes(m.member)).length >= deliveries(c).length,
      "Pub/Sub agent cannot acknowledge every source subscription",
    ])),
  },
  "queue.dlqRetention": {
    mode: "native", realisedBy: "DLQ topic message_retention_duration + its own pull subscription (never expires) keeping dead letters ≥ 14 days",
    check: (c) => deliveries(c).flatMap((d) => fails(
      [secs(d.dlqSubscription?.message_retention_duration) >= 14 * 86400, `${d.label}: DLQ subscription keeps ${d.dlqSubscription?.message_retention_duration}`],
      [one(d.dlqSubscription?.expiration_policy).ttl === "", `${d.label}: DLQ subscription can expire`],
    )),
  },
  "queue.visibility": {
    mode: "native", realisedBy: "ack_deadline_seconds ≥ the consumer's timeout (≤ 600)",
    check: (c) => Object.entries(c.service.queues ?? {}).flatMap(([id, q]) => {
      const d = deliveries(c).find((x) => x.label === `queue ${id}`);
      const timeout = resolveFunction(c.service.functions[q.consumer]).timeoutSeconds;
      return fails([d?.subscription?.ack_deadline_seconds >= timeout, `queue ${id}: ack deadline ${d?.subscription?.ack_deadline_seconds} < ${timeout}`]);
    }),
  },
  "queue.encryption": {
    mode: "native", realisedBy: "google_pubsub_topic kms_key_name (CMEK) on queue, bus and DLQ topics",
    check: (c) => all(c, "google_pubsub_topic").flatMap((t) => fails([!!t.kms_key_name, `${t.name}: no CMEK`])),
  },
  "queue.consumer": {
    mode: "different", realisedBy: "push_config to the consumer URL with an OIDC token from a dedicated invoker (run.invoker on that function only)",
    note: "push delivers one message per request; batch settings warn at synth",
    check: (c) => deliveries(c).flatMap((d) => fails([!!one(one(d.subscription?.push_config).oidc_token).service_account_email, `${d.label}: push without OIDC`])),
  },
  "bus.rules": {
    mode: "different", realisedBy: "one filtered google_pubsub_subscription per rule on the bus topic (attributes source/type/…; covered prefixes dropped, split filters disjoint); a scheduled rule's on its own tick topic; queue targets push to the queue's consumer",
    note: "Pub/Sub cannot forward topic to topic, so a queue target is a filtered subscription delivering to the queue's consumer",
    check: (c) => deliveries(c).filter((d) => d.filter).flatMap((d) => fails([!!d.subscription?.filter, `${d.label}: no filter`])),
  },
  "bus.retry": {
    mode: "native", realisedBy: "retry_policy (minimum backoff = the target's timeout, maximum fitted to the event age) + dead_letter_policy.max_delivery_attempts; message_retention_duration = max event age, raised to the whole retry schedule when shorter (so undelivered events are dead-lettered, not expired)",
    check: (c) => deliveries(c).filter((d) => d.filter).flatMap((d) => fails(
      [!!one(d.subscription?.retry_policy).maximum_backoff, `${d.label}: no retry policy`],
      [d.maxAttempts === undefined || one(d.subscription?.dead_letter_policy).max_delivery_attempts === d.maxAttempts, `${d.label}: attempts`],
    )),
  },
  "bus.dlq": {
    mode: "native", realisedBy: "per-rule dead-letter topic with its own pull subscription",
    check: (c) => deliveries(c).filter((d) => d.filter).flatMap((d) => fails([!!d.dlqTopic && !!d.dlqSubscription, `${d.label}: no DLQ`])),
  },
  "bus.archive": {
    mode: "different", realisedBy: "Cloud Storage subscription (cloud_storage_config) to a CMEK bucket deleting objects after the archive retention",
    note: "topic retention stops at 31 days, so the archive is a bucket",
    check: (c) => Object.keys(c.service.buses ?? {}).flatMap((busId) => {
      const days = c.service.buses![busId].archiveRetentionDays ?? c.env.retention.archiveDays;
      if (!days) return [];
      const bucket = all(c, "google_storage_bucket").find((b) => String(b.name).includes(`${busId}-archive`));
      const age = bucket?.lifecycle_rule?.[0]?.condition?.[0]?.age ?? one(one(bucket?.lifecycle_rule).condition).age;
      return fails([all(c, "google_pubsub_subscription").some((s) => s.cloud_storage_config), `bus ${busId}: no archive subscription`], [age === days, `bus ${busId}: archive keeps ${age} days`]);
    }),
  },
  "proxy.pool": {
    mode: "native", realisedBy: "settings.connection_pool_config (Managed Connection Pooling, Enterprise Plus): max_pool_size = the spec's share of max_connections / (poolers × (database, user) pairs, the migration user included), no min_pool_size floor, query_wait_timeout",
    check: (c) => Object.values(c.service.databases ?? {}).flatMap((d) => {
      const s = settings(sqlInstances(c)[0] ?? {});
      if (c.env.clouds.gcp?.database?.acceptNoPooling && s.edition !== "ENTERPRISE_PLUS") return [];
      const flags = Object.fromEntries((one(s.connection_pool_config).flags ?? []).map((f: R) => [f.name, f.value]));
      const pool = resolvePool(d.pool, shortestCallerTimeout(d, c.service.functions)?.seconds);
      const max = CLOUD_SQL_SIZES[d.size].maxConnections;
      return fails(
        [one(s.connection_pool_config).connection_pooling_enabled === true, "pooling off"],
        // The spec's share of max_connections, split over poolers (vCPU / 4) × (database, user) pools.
        [flags.max_pool_size === String(Math.max(1, Math.floor((max * pool.maxConnectionsPercent) / 100 / (poolerCount(s.tier) * (d.allowedFunctions.length + 1))))), `max_pool_size ${flags.max_pool_size}`],
        [flags.min_pool_size === undefined, "min_pool_size keeps a floor of open connections"],
        [flags.query_wait_timeout === String(pool.borrowTimeoutSeconds), "borrow timeout"],
      );
    }),
  },
  "proxy.tls": {
    mode: "native", realisedBy: "ip_configuration.ssl_mode ENCRYPTED_ONLY",
    check: (c) => sqlInstances(c).flatMap((i) => fails([one(settings(i).ip_configuration).ssl_mode === "ENCRYPTED_ONLY", `${i.name}: ssl_mode`])),
  },
  "proxy.iamAuth": {
    mode: "native", realisedBy: "cloudsql.iam_authentication flag + google_sql_user CLOUD_IAM_SERVICE_ACCOUNT per granted function + conditioned cloudsql.client",
    check: (c) => sqlInstances(c).flatMap((i) => fails(
      [(settings(i).database_flags ?? []).some((f: R) => f.name === "cloudsql.iam_authentication" && f.value === "on"), "IAM auth flag off"],
      [all(c, "google_sql_user").every((u) => u.type === "CLOUD_IAM_SERVICE_ACCOUNT") && all(c, "google_sql_user").length > 0, "non-IAM users"],
    )),
  },
  "proxy.private": {
    mode: "native", realisedBy: "ipv4_enabled false + private_network (private services access); functions reach it through a VPC connector",
    check: (c) => sqlInstances(c).flatMap((i) => fails(
      [one(settings(i).ip_configuration).ipv4_enabled === false, "public IP"],
      [!!one(settings(i).ip_configuration).private_network, "no private network"],
    )),
  },
  "proxy.backups": {
    mode: "native", realisedBy: "encryption_key_name (CMEK) + backup_configuration with point-in-time recovery and the environment's retained backups",
    check: (c) => sqlInstances(c).flatMap((i) => {
      const b = one(settings(i).backup_configuration);
      return fails([!!i.encryption_key_name, "no CMEK"], [b.enabled && b.point_in_time_recovery_enabled, "no PITR"], [b.transaction_log_retention_days === c.env.retention.backupDays, "point-in-time window"],
        // One backup more than log days: Cloud SQL requires retained backups > transaction log days.
        [one(b.backup_retention_settings).retained_backups === c.env.retention.backupDays + 1, "retention"]);
    }),
  },
  "proxy.deletionProtection": {
    mode: "native", realisedBy: "deletion_protection + settings.deletion_protection_enabled + lifecycle.prevent_destroy in prod",
    check: (c) => sqlInstances(c).flatMap((i) => fails(
      [i.deletion_protection === c.env.deletionProtection, `deletion_protection ${i.deletion_protection}`],
      [settings(i).deletion_protection_enabled === c.env.deletionProtection, "API deletion protection"],
    )),
  },
  "alarms.channel": {
    mode: "native", realisedBy: "google_monitoring_notification_channel (email) per recipient, on every alert policy",
    check: (c) => {
      const emails = all(c, "google_monitoring_notification_channel").map((ch) => ch.labels?.email_address);
      return c.env.alarms.recipients.flatMap((r) => fails([emails.includes(r), `no channel for ${r}`]))
        .concat(all(c, "google_monitoring_alert_policy").flatMap((a) => fails([(a.notification_channels ?? []).length > 0, `${a.display_name}: no channel`])));
    },
  },
  "alarms.components": {
    mode: "native", realisedBy: "google_monitoring_alert_policy: run 5xx/429/p99, LB 5xx/p99, oldest unacked age, dead-letter count and DLQ backlog, num_backends/CPU/disk",
    check: (c) => {
      const n = namer(c);
      return [
        ...Object.keys(c.service.functions).flatMap((id) => fails([hasAlert(c, "run.googleapis.com/request_count", n.name(NAME_RULES.gcp.function, id)), `function ${id}: no alert`])),
        ...Object.keys(c.service.gateways ?? {}).flatMap((id) => fails([hasAlert(c, "https/request_count", n.name(NAME_RULES.gcp.compute, id)), `gateway ${id}: no alert`])),
        ...deliveries(c).flatMap((d) => fails([hasAlert(c, "dead_letter_message_count", d.name), `${d.label}: no dead-letter alert`], [hasAlert(c, "num_undelivered_messages", d.dlqName), `${d.label}: no DLQ backlog alert`])),
        // A database on the shared tier's instance is watched by the instance's alerts (named after the platform).
        ...Object.entries(c.service.databases ?? {}).flatMap(([id, d]) => fails([hasAlert(c, "num_backends", onSharedServer(d)
          ? new Namer(platformName(c.env), c.env.name).name(NAME_RULES.gcp.sqlInstance, SHARED_DATABASE_ID) : n.name(NAME_RULES.gcp.sqlInstance, id)), `database ${id}: no alert`])),
      ];
    },
  },
  "budget.notifications": {
    mode: "native", realisedBy: "google_billing_budget on the project: CURRENT_SPEND and FORECASTED_SPEND threshold rules to monitoring channels",
    check: (c) => {
      const b = all(c, "google_billing_budget")[0];
      const rules = b?.threshold_rules ?? [];
      return fails(
        [!!b, "no budget"],
        [rules.filter((r: R) => r.spend_basis === "CURRENT_SPEND").length === c.env.budget.actualThresholdsPercent.length, "actual thresholds"],
        [rules.filter((r: R) => r.spend_basis === "FORECASTED_SPEND").length === c.env.budget.forecastThresholdsPercent.length, "forecast thresholds"],
        [(one(b?.all_updates_rule).monitoring_notification_channels ?? []).length > 0, "no channels"],
      );
    },
  },
  "tags.required": {
    mode: "different", realisedBy: "provider default_labels + explicit labels where defaults do not reach (Cloud SQL user_labels, alert policies and channels user_labels)",
    note: "labels, not tags; resources without labels (IAM, LB pieces) carry none on GCP",
    check: (c) => {
      const defaults = c.json.provider?.google?.[0]?.default_labels ?? {};
      // A service's own labels name it, over the platform name a multi-service stack's defaults carry.
      const ok = (k: string, v: string | undefined) => v === defaults[k] || (k === "service" && v === c.service.name);
      return [
        ...REQUIRED_TAG_KEYS.flatMap((k) => fails([/^[a-z0-9_-]{1,63}$/.test(defaults[k] ?? ""), `default label ${k} missing`])),
        ...sqlInstances(c).flatMap((i) => REQUIRED_TAG_KEYS.flatMap((k) => fails([ok(k, settings(i).user_labels?.[k]), `${i.name}: user_labels.${k}`]))),
        ...all(c, "google_monitoring_alert_policy").flatMap((a) => REQUIRED_TAG_KEYS.flatMap((k) => fails([ok(k, a.user_labels?.[k]), `${a.display_name}: user_labels.${k}`]))),
      ];
    },
  },
};
