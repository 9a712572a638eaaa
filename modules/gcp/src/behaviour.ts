import {
  AlarmCondition, AlarmSignal, DatabaseBehaviour, EventRuleBehaviour, FunctionBehaviour, GatewayBehaviour, QueueBehaviour,
  ResourceMap, ServiceBehaviour, atLeast, byComponent, componentOf, durationSeconds, refOf, scheduledEventText,
} from "@polycloud/core";
import { poolerCount } from "./limits";

/** Pub/Sub keeps unacknowledged messages 7 days unless the subscription says otherwise. */
const PUBSUB_DEFAULT_RETENTION = 7 * 86400;

/** Cloud Functions memory strings: `256M`, `1Gi`, `512Mi`. */
function memoryMb(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(M|Mi|G|Gi)$/.exec(v);
  if (!m) throw new Error(`memory ${v}`);
  return Math.round(Number(m[1]) * (m[2].startsWith("G") ? 1024 : 1));
}

/**
 * Reads what a GCP stack will do from its synthesized Terraform JSON (Cloud Functions gen2,
 * Pub/Sub push subscriptions, HTTPS load balancer + Cloud Armor, Cloud SQL managed pooling,
 * Monitoring alert policies, Billing budget).
 */
export function readGcpBehaviour(json: { resource: ResourceMap }): ServiceBehaviour {
  const R = json.resource;
  const get = (ref: ReturnType<typeof refOf>) => (ref ? R[ref.type]?.[ref.address] : undefined);

  const functions: Record<string, FunctionBehaviour> = {};
  for (const [key, items] of byComponent(R, "google_cloudfunctions2_function")) {
    const sc = items[0][1].service_config ?? {};
    functions[key.slice("function:".length)] = {
      maxConcurrency: (sc.max_instance_count ?? 100) * (sc.max_instance_request_concurrency ?? 1),
      memoryMb: memoryMb(sc.available_memory ?? "256M"),
      timeoutSeconds: sc.timeout_seconds ?? 60,
      warmInstances: sc.min_instance_count ?? 0,
    };
  }
  const fnOfEndpoint = (endpoint: unknown) => componentOf(refOf(endpoint)?.address ?? "")?.id;

  /** One push subscription: attempts, spacing, retention, and whether a path loses messages. */
  const delivery = (sub: any) => {
    const dlqTopicRef = refOf(sub.dead_letter_policy?.dead_letter_topic);
    const dlqSubs = Object.values(R.google_pubsub_subscription ?? {}).filter((s: any) => dlqTopicRef && refOf(s.topic)?.address === dlqTopicRef.address) as any[];
    const dlqRetention = dlqSubs.length ? Math.max(...dlqSubs.map((s) => durationSeconds(s.message_retention_duration ?? `${PUBSUB_DEFAULT_RETENTION}s`))) : 0;
    const expires = sub.expiration_policy?.ttl !== "";
    const consumer = fnOfEndpoint(sub.push_config?.push_endpoint);
    // Pub/Sub dead-letters only after the last attempt and drops what expires first: a retry
    // schedule (each push up to the ack deadline, each wait up to the maximum backoff) longer than
    // the retention loses the message instead (issue 28.5).
    const attempts = sub.dead_letter_policy?.max_delivery_attempts ?? Infinity;
    const schedule = attempts * ((sub.ack_deadline_seconds ?? 10) + durationSeconds(sub.retry_policy?.maximum_backoff ?? "600s"));
    const expiresFirst = schedule > durationSeconds(sub.message_retention_duration ?? `${PUBSUB_DEFAULT_RETENTION}s`);
    return {
      expiresFirst,
      attempts: sub.dead_letter_policy?.max_delivery_attempts ?? Infinity,
      spacing: sub.retry_policy ? durationSeconds(sub.retry_policy.minimum_backoff ?? "10s") : 0,
      retention: durationSeconds(sub.message_retention_duration ?? `${PUBSUB_DEFAULT_RETENTION}s`),
      dlqRetention,
      // No DLQ topic, a DLQ topic nobody subscribes to, or a subscription that expires: messages vanish.
      drops: !dlqTopicRef || dlqSubs.length === 0 || expires,
      consumer,
    };
  };

  const queues: Record<string, QueueBehaviour> = {};
  for (const [key, items] of byComponent(R, "google_pubsub_subscription")) {
    if (!key.startsWith("queue:")) continue;
    const sub = items.find(([, s]) => s.push_config)?.[1];
    if (!sub) continue;
    const d = delivery(sub);
    queues[key.slice("queue:".length)] = {
      deliveryAttempts: d.attempts,
      retrySpacingSeconds: d.spacing,
      maxConsumerConcurrency: d.consumer ? functions[d.consumer]?.maxConcurrency ?? null : null,
      retentionSeconds: d.retention,
      dlqRetentionSeconds: d.dlqRetention,
      expiredMessages: "dropped",
      dropsWithoutDeadLetter: d.drops,
    };
  }

  const rules: Record<string, EventRuleBehaviour> = {};
  for (const [key, items] of byComponent(R, "google_pubsub_subscription")) {
    if (!key.startsWith("bus:")) continue;
    for (const [address, sub] of items) {
      if (!sub.push_config) continue;
      const ruleId = componentOf(address)!.rest.find((p) => p.startsWith("rule-"))!.slice("rule-".length);
      const d = delivery(sub);
      // The target label names the spec's target: a rule into a queue pushes to the queue's consumer.
      const target = String(sub.labels?.target ?? `function-${d.consumer}`).replace(/^(function|queue)-/, "$1:");
      // A scheduled rule is fed by a Cloud Scheduler job naming the rule in its attributes.
      const job = (byComponent(R, "google_cloud_scheduler_job").get(key) ?? []).map(([, j]) => j.pubsub_target)
        .find((t: any) => t?.attributes?.polycloud_schedule === ruleId);
      const delivers = job ? scheduledEventText(job.attributes.source, job.attributes.type, JSON.parse(Buffer.from(String(job.data ?? ""), "base64").toString("utf8") || "null")) : null;
      rules[`${key.slice("bus:".length)}/${ruleId}`] = {
        target, attempts: d.attempts, maxEventAgeSeconds: d.retention,
        // Into a queue the subscription is the queue's path, with the queue's retention (as SQS's).
        undeliverable: d.drops || (d.expiresFirst && target.startsWith("function:")) ? "dropped" : "dead-lettered", survivesOutageSeconds: d.retention, delivers,
      };
    }
  }

  const gateways: Record<string, GatewayBehaviour> = {};
  for (const [key, items] of byComponent(R, "google_compute_url_map")) {
    // The routing map (an HTTP listener may have a redirect-only map beside it).
    const map = (items.find(([, m]) => m.path_matcher) ?? items[0])[1];
    const routes: string[] = [];
    const backendFn = (ref: unknown) => {
      const backend = get(refOf(ref));
      const neg = get(refOf(backend?.backend?.[0]?.group));
      return componentOf(refOf(neg?.cloud_run?.service ?? neg?.cloud_function?.function)?.address ?? "")?.id;
    };
    // Methods are enforced by the function (PLATFORM_ROUTES); the URL map routes paths.
    const fnRoutes = new Map<string, string[]>();
    for (const [, fn] of Object.entries(R.google_cloudfunctions2_function ?? {})) {
      const spec = fn.service_config?.environment_variables?.PLATFORM_ROUTES;
      if (spec) fnRoutes.set(componentOf(Object.keys(R.google_cloudfunctions2_function).find((a) => R.google_cloudfunctions2_function[a] === fn)!)!.id, JSON.parse(spec));
    }
    for (const matcher of map.path_matcher ?? []) {
      for (const rule of matcher.route_rules ?? matcher.path_rule ?? []) {
        const fn = backendFn(rule.service);
        for (const r of (fnRoutes.get(fn ?? "") ?? []) as any[]) {
          const line = `${r.method} ${r.path} -> ${fn}`;
          if (!routes.includes(line)) routes.push(line);
        }
      }
    }
    const armor = (byComponent(R, "google_compute_security_policy").get(key) ?? [])[0]?.[1];
    const throttle = (armor?.rule ?? []).find((r: any) => r.action === "throttle" || r.action === "rate_based_ban")?.rate_limit_options?.rate_limit_threshold;
    // Fixed windows: every interval admits `count` afresh, so 60 s admit 60 / interval of them.
    const perMinute = throttle ? Math.round((throttle.count * 60) / throttle.interval_sec) : Infinity;
    // With API Gateway behind the load balancer, its OpenAPI document is what routes and authenticates.
    const edge: string[] = [];
    const config = (byComponent(R, "google_api_gateway_api_config").get(key) ?? [])[0]?.[1];
    if (config) {
      routes.length = 0;
      for (const doc of config.openapi_documents ?? []) {
        const spec = openApiOf(doc.document?.contents);
        for (const [p, ops] of Object.entries<any>(spec?.paths ?? {})) {
          for (const [method, op] of Object.entries<any>(ops)) {
            if (String(op.operationId ?? "").startsWith("cors-")) continue; // preflight, not a route
            const line = `${method.toUpperCase()} ${p} -> ${componentOf(refOf(op["x-google-backend"]?.address)?.address ?? "")?.id}`;
            routes.push(line);
            if ((op.security ?? []).length > 0 && spec.securityDefinitions) edge.push(line);
          }
        }
      }
    }
    gateways[key.slice("gateway:".length)] = {
      routes: routes.sort(), edgeAuthenticated: edge.sort(), cors: null,
      requestsPerMinute: perMinute, burst: throttle ? throttle.count : Infinity,
    };
  }

  const databases: Record<string, DatabaseBehaviour> = {};
  for (const [key, items] of byComponent(R, "google_sql_database_instance")) {
    const inst = items[0][1];
    const s = inst.settings ?? {};
    const flag = (list: any[] | undefined, name: string) => list?.find((f) => f.name === name)?.value;
    const maxConnections = Number(flag(s.database_flags, "max_connections") ?? 100);
    const pool = (s.connection_pool_config ?? [])[0];
    const pooled = pool?.connection_pooling_enabled === true;
    // Managed pooling runs one pooler per 4 vCPU (at least one); each keeps one pool per (database, user).
    const poolers = poolerCount(s.tier ?? "");
    const dbs = (byComponent(R, "google_sql_database").get(key) ?? []).length;
    const users = (byComponent(R, "google_sql_user").get(key) ?? []).length;
    const pairs = Math.max(1, dbs) * Math.max(1, users);
    const maxPool = Number(flag(pool?.flags, "max_pool_size") ?? 0);
    const poolServerConnections = pooled ? maxPool * poolers * pairs : maxConnections;
    const ip = s.ip_configuration ?? {};
    const backup = s.backup_configuration ?? {};
    databases[key.slice("database:".length)] = {
      pooled,
      poolServerConnections,
      maxConnections,
      poolPercent: Math.round((100 * poolServerConnections) / maxConnections),
      idleFloorConnections: pooled ? Number(flag(pool?.flags, "min_pool_size") ?? 0) * poolers * pairs : 0,
      borrowTimeoutSeconds: pooled ? Number(flag(pool?.flags, "query_wait_timeout") ?? 120) : null,
      tls: ip.ssl_mode === "ENCRYPTED_ONLY" || ip.ssl_mode === "TRUSTED_CLIENT_CERTIFICATE_REQUIRED",
      identityAuth: flag(s.database_flags, "cloudsql.iam_authentication") === "on",
      pointInTimeRecoveryDays: backup.point_in_time_recovery_enabled ? backup.transaction_log_retention_days ?? 7 : 0,
    };
  }

  const alarms: Record<string, Partial<Record<AlarmSignal, AlarmCondition>>> = {};
  for (const [address, policy] of Object.entries(R.google_monitoring_alert_policy ?? {}) as [string, any][]) {
    const comp = componentOf(address);
    const cond = policy.conditions?.[0]?.condition_threshold;
    const signal: AlarmSignal | undefined = cond ? gcpSignal(cond.filter, comp?.kind, address) : undefined;
    if (!comp || !signal) continue;
    const rule = comp.rest.find((p) => p.startsWith("rule-"));
    const key = comp.kind === "bus" ? `rule:${comp.id}/${rule?.slice("rule-".length)}` : `${comp.kind}:${comp.id}`;
    const op = cond.comparison === "COMPARISON_GT" ? "gt" : cond.comparison === "COMPARISON_GE" ? "ge" : undefined;
    if (!op) throw new Error(`${address}: comparison ${cond.comparison} is not an upper bound`);
    const agg = cond.aggregations?.[0] ?? {};
    const window = durationSeconds(agg.alignment_period ?? "60s") + durationSeconds(cond.duration ?? "0s");
    let threshold = cond.threshold_value ?? 0;
    // Connection saturation is a share of max_connections elsewhere: express it the same way.
    if (signal === "proxy.connectionSaturation") {
      const db = databases[comp.id];
      threshold = db ? Math.round((100 * threshold) / db.maxConnections) : threshold;
    }
    // Cloud SQL utilisation metrics are fractions; the other clouds alert on percentages.
    if (signal === "database.cpu" || signal === "database.storage") threshold = Math.round(threshold * 10000) / 100;
    (alarms[key] ??= {})[signal] = { atLeast: atLeast(signal, op, threshold), windowSeconds: window, perSeries: !agg.cross_series_reducer };
  }

  const budget = Object.values(R.google_billing_budget ?? {})[0] as any;
  const channels = R.google_monitoring_notification_channel ?? {};
  const rulesOf = (basis: string) => (budget?.threshold_rules ?? []).filter((r: any) => (r.spend_basis ?? "CURRENT_SPEND") === basis).map((r: any) => Math.round(r.threshold_percent * 100)).sort((x: number, y: number) => x - y);
  return {
    functions, queues, rules, gateways, databases, alarms,
    budget: budget
      ? {
          scope: budget.budget_filter?.projects ? "project" : "billing-account",
          actualPercent: rulesOf("CURRENT_SPEND"),
          forecastPercent: rulesOf("FORECASTED_SPEND"),
          recipients: (budget.all_updates_rule?.monitoring_notification_channels ?? []).map((c: string) => channels[refOf(c)!.address]?.labels?.email_address).sort(),
        }
      : null,
  };
}

function gcpSignal(filter: string, kind: string | undefined, address: string): AlarmSignal | undefined {
  const metric = /metric\.type="([^"]+)"/.exec(filter)?.[1] ?? "";
  if (metric.endsWith("run.googleapis.com/request_count")) return /response_code="429"/.test(filter) ? "function.throttles" : "function.errors";
  if (metric.endsWith("request_latencies")) return "function.durationP99";
  if (metric === "loadbalancing.googleapis.com/https/request_count") return "gateway.5xx";
  if (metric === "loadbalancing.googleapis.com/https/total_latencies") return "gateway.latencyP99";
  if (metric.endsWith("oldest_unacked_message_age")) return kind === "queue" ? "queue.oldestMessageAge" : undefined;
  if (metric.endsWith("push_request_count")) return "bus.failedInvocations";
  if (metric.endsWith("dead_letter_message_count")) return kind === "bus" ? "bus.sentToDlq" : undefined;
  if (metric.endsWith("num_undelivered_messages")) return kind === "bus" ? "bus.dlqDepth" : "queue.dlqDepth";
  if (metric.endsWith("num_backends")) return "proxy.connectionSaturation";
  if (metric.endsWith("cpu/utilization")) return "database.cpu";
  if (metric.endsWith("disk/utilization")) return "database.storage";
  void address;
  return undefined;
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
      const word = /^[A-Za-z0-9_.\[\]-]+/.exec(src.slice(i))![0];
      out += ["true", "false", "null"].includes(word) ? word : JSON.stringify(word);
      i += word.length;
    } else {
      out += c;
      i++;
    }
  }
  return JSON.parse(out);
}
