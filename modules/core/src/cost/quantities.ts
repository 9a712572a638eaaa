/**
 * One small function per resource type: reads the synthesized JSON and returns what the resource
 * bills at idle (zero traffic), as usage lines to be priced. Resource types that bill only by use
 * (requests, bytes, executions) or not at all are listed in USAGE_ONLY; any other type is unknown
 * and stops the estimate, so a new cost driver cannot be counted as zero unnoticed.
 */
import { Cloud } from "../environment";
import { HOURS_PER_MONTH, PriceUnit, SECONDS_PER_MONTH } from "./prices";

/** Parsed cdk.tf.json of one stack (only what the estimator reads). */
export interface StackJson {
  readonly provider?: Record<string, readonly Record<string, any>[]>;
  readonly resource?: Record<string, Record<string, any>>;
}

export interface Usage {
  readonly resourceType: string;
  readonly address: string;
  readonly component: string;
  readonly quantity: number;
  readonly unit: PriceUnit;
  /** Attribute values the price entry must match. */
  readonly match?: Record<string, string | number | boolean>;
  /** How the quantity was worked out, for the report. */
  readonly detail: string;
  /** Billed once for the whole stack (the first five forwarding rules), whichever resource it is written against. */
  readonly shared?: boolean;
}

export interface QuantityContext {
  readonly json: StackJson;
  readonly cloud: Cloud;
}

export type QuantityFn = (resources: readonly [string, any][], ctx: QuantityContext) => Usage[];

const first = (v: unknown): any => (Array.isArray(v) ? v[0] : v);
const list = (v: unknown): any[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
/** `${aws_rds_cluster.name.id}` → `name`, for `type`. */
export function referencedName(value: unknown, type: string): string | undefined {
  const m = typeof value === "string" ? new RegExp(`\\$\\{${type}\\.([^.}]+)\\.`).exec(value) : null;
  return m?.[1];
}
const of = (ctx: QuantityContext, type: string): Record<string, any> => ctx.json.resource?.[type] ?? {};
const round = (n: number) => Math.round(n * 1e6) / 1e6;

/** Bytes in a Cloud Functions/Cloud Run memory string: `256M` (10^6), `1Gi` (2^30), `512Mi`. */
export function memoryBytes(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(k|Ki|M|Mi|G|Gi)?$/.exec(value.trim());
  if (!m) throw new Error(`cost: memory value ${JSON.stringify(value)} is not a number with an optional k, Ki, M, Mi, G or Gi suffix`);
  const factor: Record<string, number> = { "": 1, k: 1e3, Ki: 2 ** 10, M: 1e6, Mi: 2 ** 20, G: 1e9, Gi: 2 ** 30 };
  return Number(m[1]) * factor[m[2] ?? ""];
}

/**
 * Data cache of the Enterprise Plus N2 machine types, GiB: fixed by the tier ("Machine series
 * overview", Cloud SQL for PostgreSQL, https://cloud.google.com/sql/docs/postgres/machine-series-overview,
 * read 2026-12-07). Tiers not listed stop the estimate when their cache is on.
 */
export const DATA_CACHE_GIB: Readonly<Record<string, number>> = {
  "db-perf-optimized-N-2": 375, "db-perf-optimized-N-4": 375, "db-perf-optimized-N-8": 375, "db-perf-optimized-N-16": 750,
  "db-perf-optimized-N-32": 1500, "db-perf-optimized-N-48": 3000, "db-perf-optimized-N-64": 6000, "db-perf-optimized-N-80": 6000,
};

/** vCPUs and memory (GB) of a Cloud SQL tier; undefined for shared-core tiers (priced per instance). */
export function cloudSqlShape(tier: string): { vcpu: number; memoryGb: number } | undefined {
  let m = /^db-custom-(\d+)-(\d+)$/.exec(tier);
  if (m) return { vcpu: Number(m[1]), memoryGb: Number(m[2]) / 1024 };
  m = /^db-perf-optimized-N-(\d+)$/.exec(tier);
  if (m) return { vcpu: Number(m[1]), memoryGb: Number(m[1]) * 8 };
  return undefined;
}

const AWS: Record<string, QuantityFn> = {
  /** Serverless v2 instances bill their cluster's minimum ACU around the clock; 0 ACU pauses. */
  aws_rds_cluster_instance: (rs, ctx) => rs.flatMap(([address, r]): Usage[] => {
    if (r.instance_class !== "db.serverless") {
      return [{ resourceType: "aws_rds_cluster_instance", address, component: "instance", quantity: HOURS_PER_MONTH, unit: "hour" as const, match: { instance_class: String(r.instance_class) }, detail: `${r.instance_class} × 730 h` }];
    }
    const cluster = of(ctx, "aws_rds_cluster")[referencedName(r.cluster_identifier, "aws_rds_cluster") ?? ""];
    const min = first(cluster?.serverlessv2_scaling_configuration)?.min_capacity;
    if (typeof min !== "number") throw new Error(`cost: aws_rds_cluster_instance.${address} is db.serverless but its cluster has no serverlessv2_scaling_configuration.min_capacity`);
    return [{ resourceType: "aws_rds_cluster_instance", address, component: "serverless-v2-acu", quantity: round(min * HOURS_PER_MONTH), unit: "ACU-hour" as const, detail: `min ${min} ACU × 730 h` }];
  }),
  aws_rds_cluster: (rs) => rs.filter(([, r]) => r.manage_master_user_password === true).map(([address]) => (
    { resourceType: "aws_rds_cluster", address, component: "managed-master-secret", quantity: 1, unit: "month" as const, detail: "RDS-managed master user secret" })),
  /** The proxy bills the target cluster's ACUs (every instance's minimum), with a floor in the price entry. */
  aws_db_proxy: (rs, ctx) => rs.map(([address]) => {
    const targets = Object.values(of(ctx, "aws_db_proxy_target")).filter((t) => referencedName(t.db_proxy_name, "aws_db_proxy") === address);
    const clusters = new Set(targets.map((t) => referencedName(t.db_cluster_identifier, "aws_rds_cluster")).filter(Boolean));
    let acu = 0;
    for (const inst of Object.values(of(ctx, "aws_rds_cluster_instance"))) {
      const name = referencedName(inst.cluster_identifier, "aws_rds_cluster");
      if (!name || !clusters.has(name)) continue;
      acu += first(of(ctx, "aws_rds_cluster")[name]?.serverlessv2_scaling_configuration)?.min_capacity ?? 0;
    }
    return { resourceType: "aws_db_proxy", address, component: "serverless-v2-acu", quantity: round(acu * HOURS_PER_MONTH), unit: "ACU-hour" as const, detail: `target min ${acu} ACU × 730 h` };
  }),
  aws_vpc_endpoint: (rs) => rs.filter(([, r]) => r.vpc_endpoint_type === "Interface").map(([address, r]) => {
    const azs = list(r.subnet_ids).length;
    return { resourceType: "aws_vpc_endpoint", address, component: "interface-endpoint-az", quantity: azs * HOURS_PER_MONTH, unit: "hour" as const, detail: `${String(r.service_name).split(".").pop()}: ${azs} AZ × 730 h` };
  }),
  aws_lambda_provisioned_concurrency_config: (rs, ctx) => rs.map(([address, r]) => {
    const fn = of(ctx, "aws_lambda_function")[referencedName(r.function_name, "aws_lambda_function") ?? ""];
    if (!fn) throw new Error(`cost: aws_lambda_provisioned_concurrency_config.${address} refers to no aws_lambda_function of this stack`);
    const mem = (fn.memory_size ?? 128) / 1024;
    const arch = list(fn.architectures)[0] ?? "x86_64";
    const n = r.provisioned_concurrent_executions;
    return { resourceType: "aws_lambda_provisioned_concurrency_config", address, component: "provisioned-gb-second", quantity: round(n * mem * SECONDS_PER_MONTH), unit: "GB-second" as const, match: { architecture: arch }, detail: `${n} × ${mem} GB ${arch} × 730 h` };
  }),
  aws_kms_key: (rs) => rs.map(([address]) => ({ resourceType: "aws_kms_key", address, component: "key", quantity: 1, unit: "month" as const, detail: "customer managed key" })),
  aws_secretsmanager_secret: (rs) => rs.map(([address]) => ({ resourceType: "aws_secretsmanager_secret", address, component: "secret", quantity: 1, unit: "month" as const, detail: "secret" })),
  /** Each metric an alarm reads is billed; a metric-math alarm reads each `metric` of its queries. */
  aws_cloudwatch_metric_alarm: (rs) => rs.map(([address, r]) => {
    const queries = list(r.metric_query);
    const metrics = queries.length ? queries.filter((q) => q.metric !== undefined && q.metric !== null).length : 1;
    return { resourceType: "aws_cloudwatch_metric_alarm", address, component: "alarm-metric", quantity: metrics, unit: "metric-month" as const, detail: `${metrics} metric(s)` };
  }),
};

const GCP: Record<string, QuantityFn> = {
  /** Cloud Scheduler bills each job per month, idle or not. */
  google_cloud_scheduler_job: (rs) => rs.map(([address]) => ({ resourceType: "google_cloud_scheduler_job", address, component: "job", quantity: 1, unit: "month" as const, detail: "1 job" })),
  /** Edition × tier (vCPU + memory, or a shared-core instance) × HA, plus disk; HA doubles both. */
  google_sql_database_instance: (rs) => rs.flatMap(([address, r]) => {
    const s = first(r.settings) ?? {};
    const tier = String(s.tier);
    const edition = String(s.edition ?? "ENTERPRISE");
    const ha = s.availability_type === "REGIONAL" ? 2 : 1;
    const disk = s.disk_size ?? 10;
    const diskType = s.disk_type ?? "PD_SSD";
    const haText = ha === 2 ? " × 2 (REGIONAL)" : "";
    const shape = cloudSqlShape(tier);
    const out: Usage[] = shape
      ? [
        { resourceType: "google_sql_database_instance", address, component: "vcpu", quantity: round(shape.vcpu * HOURS_PER_MONTH * ha), unit: "vCPU-hour", match: { edition }, detail: `${tier}: ${shape.vcpu} vCPU × 730 h${haText}` },
        { resourceType: "google_sql_database_instance", address, component: "memory", quantity: round(shape.memoryGb * HOURS_PER_MONTH * ha), unit: "GB-hour", match: { edition }, detail: `${tier}: ${shape.memoryGb} GB × 730 h${haText}` },
      ]
      : [{ resourceType: "google_sql_database_instance", address, component: "instance", quantity: HOURS_PER_MONTH * ha, unit: "hour", match: { tier }, detail: `${tier} × 730 h${haText}` }];
    out.push({ resourceType: "google_sql_database_instance", address, component: "storage", quantity: disk * ha, unit: "GB-month", match: { disk_type: diskType }, detail: `${disk} GB ${diskType}${haText}` });
    // Enterprise Plus turns the data cache on by default (the provider leaves data_cache_config to the
    // API when unset: Optional + Computed in google 6.50): its tier-fixed local SSD bills by the GiB-month.
    const cache = list(s.data_cache_config)[0];
    if (edition === "ENTERPRISE_PLUS" && cache?.data_cache_enabled !== false) {
      const gib = DATA_CACHE_GIB[tier];
      if (gib === undefined) {
        throw new Error(`cost: google_sql_database_instance.${address} is Enterprise Plus with the data cache on (${cache ? "data_cache_enabled = true" : "data_cache_config unset: on by default"}), but the data cache size of tier ${tier} is not known; add it to DATA_CACHE_GIB or set data_cache_config.data_cache_enabled`);
      }
      out.push({ resourceType: "google_sql_database_instance", address, component: "data-cache", quantity: gib * ha, unit: "GB-month", detail: `${tier}: ${gib} GiB data cache${cache ? "" : " (on by default)"}${haText}` });
    }
    if (list(s.connection_pool_config).some((c) => c.connection_pooling_enabled === true)) {
      out.push({ resourceType: "google_sql_database_instance", address, component: "managed-pooling", quantity: 1, unit: "month", detail: "managed connection pooling" });
    }
    return out;
  }),
  /** One hourly charge covers the first five rules of a project; each further rule has its own. */
  google_compute_global_forwarding_rule: (rs) => {
    if (!rs.length) return [];
    const out: Usage[] = [{ resourceType: "google_compute_global_forwarding_rule", address: rs[0][0], component: "first-5-rules", quantity: HOURS_PER_MONTH, unit: "hour", detail: `${Math.min(rs.length, 5)} rule(s) × 730 h`, shared: true }];
    rs.slice(5).forEach(([address]) => out.push({ resourceType: "google_compute_global_forwarding_rule", address, component: "additional-rule", quantity: HOURS_PER_MONTH, unit: "hour", detail: "rule beyond the fifth × 730 h" }));
    return out;
  },
  google_compute_security_policy: (rs) => rs.flatMap(([address, r]) => {
    const rules = list(r.rule).length;
    return [
      { resourceType: "google_compute_security_policy", address, component: "policy", quantity: 1, unit: "month" as const, detail: `${r.type ?? "CLOUD_ARMOR"} policy` },
      { resourceType: "google_compute_security_policy", address, component: "rule", quantity: rules, unit: "month" as const, detail: `${rules} rule(s)` },
    ];
  }),
  /** Connector VMs run from `min_instances` (provider default 2) around the clock. */
  google_vpc_access_connector: (rs) => rs.map(([address, r]) => {
    const n = r.min_instances ?? 2;
    const machine = r.machine_type ?? "e2-micro";
    return { resourceType: "google_vpc_access_connector", address, component: "instance", quantity: n * HOURS_PER_MONTH, unit: "hour" as const, match: { machine_type: machine }, detail: `${n} × ${machine} × 730 h` };
  }),
  /** Minimum instances bill idle vCPU and memory seconds. */
  google_cloudfunctions2_function: (rs) => rs.flatMap(([address, r]) => {
    const sc = first(r.service_config) ?? {};
    const n = sc.min_instance_count ?? 0;
    if (!n) return [];
    if (sc.available_cpu === undefined || sc.available_memory === undefined) {
      throw new Error(`cost: google_cloudfunctions2_function.${address} keeps ${n} instance(s) warm but sets no available_cpu/available_memory; set both so the idle charge can be worked out`);
    }
    const cpu = Number(sc.available_cpu);
    const gib = memoryBytes(String(sc.available_memory)) / 2 ** 30;
    return [
      { resourceType: "google_cloudfunctions2_function", address, component: "idle-vcpu", quantity: round(n * cpu * SECONDS_PER_MONTH), unit: "vCPU-second" as const, detail: `${n} × ${cpu} vCPU × 730 h` },
      { resourceType: "google_cloudfunctions2_function", address, component: "idle-memory", quantity: round(n * gib * SECONDS_PER_MONTH), unit: "GiB-second" as const, detail: `${n} × ${sc.available_memory} (${round(gib)} GiB) × 730 h` },
    ];
  }),
  google_monitoring_alert_policy: (rs) => rs.map(([address, r]) => {
    const n = list(r.conditions).length;
    return { resourceType: "google_monitoring_alert_policy", address, component: "condition", quantity: n, unit: "condition-month" as const, detail: `${n} condition(s)` };
  }),
  google_kms_crypto_key: (rs) => rs.map(([address]) => ({ resourceType: "google_kms_crypto_key", address, component: "key-version", quantity: 1, unit: "month" as const, detail: "one active key version" })),
  /** An active version bills once per replica location of its secret (automatic replication: one). */
  google_secret_manager_secret_version: (rs, ctx) => rs.map(([address, r]) => {
    const secret = of(ctx, "google_secret_manager_secret")[referencedName(r.secret, "google_secret_manager_secret") ?? ""];
    const replicas = list(first(first(secret?.replication)?.user_managed)?.replicas).length || 1;
    return { resourceType: "google_secret_manager_secret_version", address, component: "active-version", quantity: replicas, unit: "month" as const, detail: `1 version × ${replicas} location(s)` };
  }),
};

const AZURE: Record<string, QuantityFn> = {
  /** Burstable SKUs are priced per server-hour, General Purpose per vCore-hour; HA doubles compute and storage. */
  azurerm_postgresql_flexible_server: (rs) => rs.flatMap(([address, r]) => {
    const sku = String(r.sku_name);
    const ha = first(r.high_availability)?.mode ? 2 : 1;
    const haText = ha === 2 ? ` × 2 (${first(r.high_availability).mode} HA)` : "";
    const gb = (r.storage_mb ?? 32768) / 1024;
    const m = /^(GP|MO)_Standard_[DE](\d+)(ds|ads)_(v\d)$/.exec(sku);
    const compute: Usage = m
      ? { resourceType: "azurerm_postgresql_flexible_server", address, component: "vcore", quantity: Number(m[2]) * HOURS_PER_MONTH * ha, unit: "vCPU-hour", match: { family: `${sku.split("_")[2][0]}${m[3]}${m[4]}` }, detail: `${sku}: ${m[2]} vCores × 730 h${haText}` }
      : { resourceType: "azurerm_postgresql_flexible_server", address, component: "compute", quantity: HOURS_PER_MONTH * ha, unit: "hour", match: { sku_name: sku }, detail: `${sku} × 730 h${haText}` };
    return [compute, { resourceType: "azurerm_postgresql_flexible_server", address, component: "storage", quantity: gb * ha, unit: "GB-month" as const, detail: `${gb} GiB${haText}` }];
  }),
  azurerm_api_management: (rs) => rs.map(([address, r]) => {
    const [tier, units] = String(r.sku_name).split("_");
    if (tier === "Consumption") return { resourceType: "azurerm_api_management", address, component: "base", quantity: 1, unit: "month" as const, match: { tier }, detail: "Consumption: calls only" };
    return { resourceType: "azurerm_api_management", address, component: "unit", quantity: Number(units) * HOURS_PER_MONTH, unit: "hour" as const, match: { tier }, detail: `${tier} × ${units} unit(s) × 730 h` };
  }),
  azurerm_servicebus_namespace: (rs) => rs.flatMap(([address, r]) => {
    if (r.sku === "Basic") return [];
    if (r.sku === "Premium") return [{ resourceType: "azurerm_servicebus_namespace", address, component: "messaging-unit", quantity: r.capacity ?? 1, unit: "month" as const, match: { sku: "Premium" }, detail: `${r.capacity ?? 1} messaging unit(s)` }];
    return [{ resourceType: "azurerm_servicebus_namespace", address, component: "base", quantity: 1, unit: "month" as const, match: { sku: String(r.sku) }, detail: `${r.sku} base charge` }];
  }),
  azurerm_function_app_flex_consumption: (rs) => rs.flatMap(([address, r]) => {
    const ready = list(r.always_ready).reduce((n, a) => n + (a.instance_count ?? 0), 0);
    if (!ready) return [];
    const gb = (r.instance_memory_in_mb ?? 2048) / 1024;
    return [{ resourceType: "azurerm_function_app_flex_consumption", address, component: "always-ready-baseline", quantity: round(ready * gb * SECONDS_PER_MONTH), unit: "GB-second" as const, detail: `${ready} always-ready × ${gb} GB × 730 h` }];
  }),
  /**
   * A Consumption Logic App bills every trigger and action execution, so a recurrence costs money
   * while the service is idle: runs a month × 2 (the trigger and the workflow's one HTTP action).
   */
  azurerm_logic_app_trigger_recurrence: (rs) => rs.map(([address, r]) => {
    const interval = Number(r.interval ?? 1);
    const sched = first(r.schedule) ?? {};
    const slots = (list(sched.at_these_hours).length || 24) * (list(sched.at_these_minutes).length || 1);
    const perMonth: Record<string, number> = {
      Second: SECONDS_PER_MONTH / interval, Minute: (HOURS_PER_MONTH * 60) / interval, Hour: HOURS_PER_MONTH / interval,
      Day: r.schedule ? (slots * HOURS_PER_MONTH) / (24 * interval) : HOURS_PER_MONTH / (24 * interval),
      Week: r.schedule ? (slots * (list(sched.on_these_days).length || 7) * HOURS_PER_MONTH) / (24 * 7 * interval) : HOURS_PER_MONTH / (24 * 7 * interval),
      Month: 1 / interval,
    };
    const runs = perMonth[String(r.frequency)] ?? 0;
    return { resourceType: "azurerm_logic_app_trigger_recurrence", address, component: "execution", quantity: round(runs * 2), unit: "execution" as const, detail: `${round(runs)} runs a month × (trigger + 1 action)` };
  }),
  azurerm_private_endpoint: (rs) => rs.map(([address]) => ({ resourceType: "azurerm_private_endpoint", address, component: "endpoint", quantity: HOURS_PER_MONTH, unit: "hour" as const, detail: "730 h" })),
  azurerm_private_dns_zone: (rs) => rs.map(([address]) => ({ resourceType: "azurerm_private_dns_zone", address, component: "zone", quantity: 1, unit: "month" as const, detail: "hosted zone" })),
  azurerm_monitor_scheduled_query_rules_alert_v2: (rs) => rs.map(([address]) => ({ resourceType: "azurerm_monitor_scheduled_query_rules_alert_v2", address, component: "log-rule", quantity: 1, unit: "month" as const, detail: "1 log search rule" })),
  azurerm_monitor_metric_alert: (rs) => rs.map(([address, r]) => {
    const n = list(r.criteria).length + list(r.dynamic_criteria).length;
    return { resourceType: "azurerm_monitor_metric_alert", address, component: "time-series", quantity: n, unit: "series-month" as const, detail: `${n} criterion/criteria, one series each` };
  }),
};

export const QUANTITY_FUNCTIONS: Readonly<Record<string, QuantityFn>> = { ...AWS, ...GCP, ...AZURE };

/**
 * Types that cost nothing at zero traffic: billed per request, message, byte, execution or stored
 * GB (≈0 in a new stack), or free. Anything else without a quantity function is an unknown driver.
 */
export const USAGE_ONLY: ReadonlySet<string> = new Set([
  // AWS: requests, invocations, messages, events, stored bytes; or free configuration
  "aws_apigatewayv2_api", "aws_apigatewayv2_authorizer", "aws_apigatewayv2_integration", "aws_apigatewayv2_route", "aws_apigatewayv2_stage",
  "aws_budgets_budget", "aws_cloudwatch_event_archive", "aws_cloudwatch_event_bus", "aws_cloudwatch_event_rule", "aws_cloudwatch_event_target",
  "aws_cloudwatch_log_group", "aws_db_proxy_default_target_group", "aws_db_proxy_target", "aws_db_subnet_group", "aws_default_security_group",
  "aws_iam_role", "aws_iam_role_policy", "aws_kms_alias", "aws_lambda_alias", "aws_lambda_event_source_mapping", "aws_lambda_function",
  "aws_lambda_function_event_invoke_config", "aws_lambda_permission",
  // A migration step's invocation (one Lambda run per change, billed as any invocation) and the CA layer (storage in the free code quota).
  "aws_lambda_invocation", "aws_lambda_layer_version", "aws_rds_cluster_parameter_group", "aws_security_group", "aws_sns_topic",
  "aws_sns_topic_policy", "aws_sns_topic_subscription", "aws_sqs_queue", "aws_sqs_queue_policy", "aws_sqs_queue_redrive_allow_policy",
  "aws_sqs_queue_redrive_policy", "aws_subnet", "aws_vpc", "aws_vpc_security_group_egress_rule", "aws_vpc_security_group_ingress_rule",
  // GCP
  // API Gateway bills per call (first 2 M a month free), nothing while idle.
  "google_api_gateway_api", "google_api_gateway_api_config", "google_api_gateway_gateway",
  // The migration step's runner job bills per vCPU/GiB-second while an execution runs (once per change); custom roles are free.
  "google_cloud_run_v2_job", "google_project_iam_custom_role",
  "google_billing_budget", "google_cloud_run_v2_service_iam_member", "google_compute_backend_service", "google_compute_global_address",
  "google_compute_managed_ssl_certificate", "google_compute_network", "google_compute_region_network_endpoint_group", "google_compute_ssl_policy",
  "google_compute_subnetwork", "google_compute_target_http_proxy", "google_logging_project_exclusion", "google_project_service_identity", "google_compute_target_https_proxy", "google_compute_url_map",
  // A log-based metric bills by the metric data it writes (a failed schedule run is one point).
  "google_kms_crypto_key_iam_member", "google_kms_key_ring", "google_logging_metric", "google_logging_project_bucket_config", "google_logging_project_sink",
  "google_monitoring_notification_channel", "google_project_iam_member", "google_project_service", "google_pubsub_subscription",
  "google_pubsub_subscription_iam_member", "google_pubsub_topic", "google_pubsub_topic_iam_member", "google_secret_manager_secret",
  "google_secret_manager_secret_iam_member", "google_service_account", "google_service_account_iam_member", "google_service_networking_connection",
  "google_sql_database", "google_sql_user", "google_storage_bucket", "google_storage_bucket_iam_member", "google_storage_bucket_object",
  // Azure
  "azurerm_api_management_api", "azurerm_api_management_api_diagnostic", "azurerm_api_management_api_operation", "azurerm_api_management_api_operation_policy",
  "azurerm_api_management_api_policy", "azurerm_api_management_backend", "azurerm_api_management_logger", "azurerm_api_management_named_value",
  "azurerm_application_insights", "azurerm_consumption_budget_resource_group", "azurerm_consumption_budget_subscription", "azurerm_eventgrid_event_subscription",
  "azurerm_eventgrid_topic", "azurerm_key_vault",
  // The workflow and its action cost nothing themselves; its recurrence trigger carries the executions (priced).
  "azurerm_logic_app_workflow", "azurerm_logic_app_action_custom", "azurerm_log_analytics_workspace", "azurerm_management_lock", "azurerm_monitor_action_group",
  "azurerm_monitor_diagnostic_setting", "azurerm_postgresql_flexible_server_active_directory_administrator", "azurerm_postgresql_flexible_server_configuration",
  "azurerm_postgresql_flexible_server_database", "azurerm_private_dns_zone_virtual_network_link", "azurerm_resource_group", "azurerm_role_assignment",
  "azurerm_service_plan", "azurerm_servicebus_queue", "azurerm_storage_account", "azurerm_storage_blob", "azurerm_storage_container",
  "azurerm_storage_queue", "azurerm_subnet", "azurerm_user_assigned_identity", "azurerm_virtual_network",
  // Provider-neutral helpers
  "time_sleep", "time_static", "time_offset", "time_rotating", "null_resource", "terraform_data", "random_id", "random_password", "random_string",
]);
