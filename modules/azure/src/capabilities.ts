import { CapabilityMap, ConformanceContext, NAME_RULES, Namer, REQUIRED_TAG_KEYS, resolveFunction, resolvePool, resolveQueue, envVarPart, resourcesOfType, fails, block, queueCappedConsumers, shortestCallerTimeout } from "@polycloud/core";
import { FLEX_RUNTIMES, RATE_LIMIT_PERIOD_SECONDS } from "./limits";
import { FLEX_PACKAGE_BLOB, REMOVE_INJECTED_STORAGE_COMMAND, flexMemory, hhmmss } from "./function";
import { urlTemplate } from "./gateway";
import { globalName } from "./names";
import { SERVICE_BUS_HOST_SETTINGS, parseServiceBusDuration } from "./queue";

/* Conformance checks over a synthesized Azure stack of a service: the Azure column of the parity table. */

type R = Record<string, any>;
const all = resourcesOfType;
const namer = (c: ConformanceContext) => new Namer(c.service.name, c.env.name);
const one = block;
const apps = (c: ConformanceContext) => all(c, "azurerm_function_app_flex_consumption");
const app = (c: ConformanceContext, id: string) => apps(c).find((a) => a.name === globalName(namer(c), c.env.clouds.azure?.subscriptionId ?? "", NAME_RULES.azure.functionApp, id));
const roles = (c: ConformanceContext, role: string) => all(c, "azurerm_role_assignment").filter((r) => r.role_definition_name === role);
const consumption = (c: ConformanceContext) => (c.env.clouds.azure?.apiManagementSku ?? "Consumption_0").startsWith("Consumption");
const alertMetrics = (c: ConformanceContext) => all(c, "azurerm_monitor_metric_alert").map((a) => `${one(a.criteria).metric_name}|${JSON.stringify(one(a.criteria).dimension ?? [])}|${a.scopes}`);

function perFunction(c: ConformanceContext, check: (id: string, a: R | undefined, spec: ReturnType<typeof resolveFunction>) => string[]): string[] {
  return Object.entries(c.service.functions).flatMap(([id, f]) => check(id, app(c, id), resolveFunction(f)).map((m) => `function ${id}: ${m}`));
}
/** The app has the post-apply step that deletes the provider-injected AzureWebJobsStorage, re-run whenever the app changes. */
function hostStorageFixed(c: ConformanceContext, a: R | undefined): boolean {
  if (!a) return false;
  const address = Object.entries(c.json.resource?.azurerm_function_app_flex_consumption ?? {}).find(([, r]) => r === a)?.[0];
  return all(c, "terraform_data").some((d) => (d.lifecycle?.replace_triggered_by ?? []).includes(`azurerm_function_app_flex_consumption.${address}`)
    && (d.provisioner ?? []).some((p: R) => p["local-exec"]?.command === REMOVE_INJECTED_STORAGE_COMMAND));
}
const policies = (c: ConformanceContext) => [...all(c, "azurerm_api_management_api_policy"), ...all(c, "azurerm_api_management_api_operation_policy")].map((p) => String(p.xml_content));

export const AZURE_CAPABILITIES: CapabilityMap = {
  "function.runtime": {
    mode: "native", realisedBy: "azurerm_function_app_flex_consumption runtime_name/runtime_version on an FC1 Linux plan; the package as released-package.zip in the app's deployment container",
    check: (c) => perFunction(c, (_id, a, s) => fails(
      [!!a, "no Flex Consumption app"],
      [a?.runtime_name === FLEX_RUNTIMES[s.runtime].name && a?.runtime_version === FLEX_RUNTIMES[s.runtime].version, `runtime ${a?.runtime_name} ${a?.runtime_version}`],
      [!s.source || all(c, "azurerm_storage_blob").some((b) => b.name === FLEX_PACKAGE_BLOB && String(a?.storage_container_endpoint ?? "").endsWith(String(b.storage_container_name))), "no package in the deployment container"],
    )),
  },
  "function.memory": {
    mode: "different", realisedBy: "instance_memory_in_mb (512, 2048 or 4096)", note: "Flex has three instance sizes; the spec's memory is rounded up with a warning",
    check: (c) => perFunction(c, (_id, a, s) => fails([a?.instance_memory_in_mb === flexMemory(s.memoryMb), `instance_memory_in_mb ${a?.instance_memory_in_mb}`])),
  },
  "function.timeout": {
    mode: "different", realisedBy: "app setting AzureFunctionsJobHost__functionTimeout (overrides host.json); validated against the 5-minute Service Bus lock and the 230 s HTTP limit",
    note: "the Flex resource has no timeout argument; an app setting overrides host.json",
    check: (c) => perFunction(c, (_id, a, s) => fails([a?.app_settings?.AzureFunctionsJobHost__functionTimeout === hhmmss(s.timeoutSeconds), `functionTimeout ${a?.app_settings?.AzureFunctionsJobHost__functionTimeout}`])),
  },
  "function.identity": {
    mode: "native", realisedBy: "azurerm_user_assigned_identity per function, also for host storage (its own account; the provider-injected AzureWebJobsStorage removed after every apply that changes the app) and telemetry; role assignments scoped to one queue, topic, vault, container or account",
    check: (c) => perFunction(c, (_id, a) => fails(
      [one(a?.identity).type === "UserAssigned", "no user-assigned identity"],
      [a?.app_settings?.AzureWebJobsStorage__credential === "managedidentity" && a?.app_settings?.AzureWebJobsStorage === undefined, "host storage not identity-based"],
      [hostStorageFixed(c, a), "no post-apply removal of the injected AzureWebJobsStorage"],
    ))
      .concat(all(c, "azurerm_role_assignment").filter((r) => /^(Owner|Contributor)$/.test(r.role_definition_name) || /^\/subscriptions\/[^/]+$/.test(String(r.scope))).map((r) => `broad role ${r.role_definition_name} on ${r.scope}`)),
  },
  "function.logRetention": {
    mode: "different", realisedBy: "Log Analytics workspace + workspace-based Application Insights retention_in_days (at least 30)",
    note: "Log Analytics keeps at least 30 days; shorter environment retention is raised",
    check: (c) => fails([all(c, "azurerm_log_analytics_workspace").every((w) => w.retention_in_days >= Math.min(Math.max(30, c.env.retention.logDays), 730)), "workspace retention"], [all(c, "azurerm_application_insights").every((a) => !!a.workspace_id), "App Insights not workspace-based"]),
  },
  "function.tracing": {
    mode: "different", realisedBy: "site_config.application_insights_connection_string (distributed tracing through Application Insights)",
    note: "tracing is the Application Insights integration",
    check: (c) => perFunction(c, (_id, a) => fails([!!one(a?.site_config).application_insights_connection_string, "no App Insights"])),
  },
  "function.secrets": {
    mode: "different", realisedBy: "Key Vault (RBAC) + Key Vault Secrets User on that vault; the function reads <NAME>_SECRET_NAME with its identity (AZURE_CLIENT_ID)",
    note: "the Flex resource cannot resolve Key Vault references with a user-assigned identity, so the function reads secrets through the SDK",
    check: (c) => perFunction(c, (_id, a, s) => Object.keys(s.secrets).flatMap((name) => fails(
      [!!a?.app_settings?.[`${name}_SECRET_NAME`], `no ${name}_SECRET_NAME`], [!(name in (a?.app_settings ?? {})), `${name} as a plain setting`],
    ))).concat(fails([Object.values(c.service.functions).every((f) => !Object.keys(f.secrets ?? {}).length) || roles(c, "Key Vault Secrets User").length > 0, "no Key Vault Secrets User"])),
  },
  "function.concurrency": {
    mode: "different", realisedBy: "maximum_instance_count × http_concurrency (and the Service Bus trigger's maxConcurrentCalls)", note: "the cap is instances × per-instance concurrency",
    // A consumer that only its queue invokes takes the queue's maxConcurrency (queueCappedConsumers).
    check: (c) => perFunction(c, (id, a, s) => (queueCappedConsumers(c.service)[id]?.cap ?? s.maxConcurrency) === undefined ? [] : fails(
      [a?.maximum_instance_count * a?.http_concurrency === (queueCappedConsumers(c.service)[id]?.cap ?? s.maxConcurrency), `maximum_instance_count ${a?.maximum_instance_count} × http_concurrency ${a?.http_concurrency}`],
      [a?.app_settings?.[SERVICE_BUS_HOST_SETTINGS.maxConcurrentCalls] === undefined || Number(a.app_settings[SERVICE_BUS_HOST_SETTINGS.maxConcurrentCalls]) === a.http_concurrency, `maxConcurrentCalls ${a?.app_settings?.[SERVICE_BUS_HOST_SETTINGS.maxConcurrentCalls]}`],
    )),
  },
  "function.warmInstances": {
    mode: "native", realisedBy: "always_ready instance_count",
    check: (c) => perFunction(c, (_id, a, s) => fails([(one(a?.always_ready).instance_count ?? 0) === s.minWarmInstances, `always_ready ${JSON.stringify(a?.always_ready)}`])),
  },
  "function.asyncFailure": {
    mode: "different", realisedBy: "async work arrives through Service Bus (native dead-letter subqueue) or Event Grid (storage dead-letter container)",
    note: "Azure Functions has no async-invoke DLQ; every async path dead-letters at its source",
    check: (c) => fails([all(c, "azurerm_servicebus_queue").every((q) => q.dead_lettering_on_message_expiration === true), "queue without expiry dead-lettering"], [all(c, "azurerm_eventgrid_event_subscription").every((s) => !!one(s.storage_blob_dead_letter_destination).storage_blob_container_name), "subscription without dead-letter container"]),
  },
  "gateway.routes": {
    mode: "native", realisedBy: "azurerm_api_management_api_operation per route + operation policy set-backend-service",
    check: (c) => Object.values(c.service.gateways ?? {}).flatMap((g) => g.routes.flatMap((r) => fails([all(c, "azurerm_api_management_api_operation").some((o) => o.url_template === urlTemplate(r.path) && o.method === (r.method === "ANY" ? "*" : r.method)), `route ${r.method} ${r.path} missing`]))),
  },
  "gateway.throttle": {
    mode: "different", realisedBy: "API policy rate-limit-by-key (calls = burst + rate × 60 per 60 s); Consumption tier: warned, not enforced",
    note: "APIM counts per window; the Consumption tier has no rate-limit-by-key",
    check: (c) => consumption(c) ? [] : Object.values(c.service.gateways ?? {}).flatMap((g) => fails([policies(c).some((p) => p.includes(`<rate-limit-by-key calls="${g.throttle.burstLimit + g.throttle.rateLimit * RATE_LIMIT_PERIOD_SECONDS}" renewal-period="${RATE_LIMIT_PERIOD_SECONDS}"`)), "no rate-limit-by-key"])),
  },
  "gateway.cors": {
    mode: "native", realisedBy: "API policy <cors> with escaped origins, methods and headers",
    check: (c) => Object.values(c.service.gateways ?? {}).flatMap((g) => !g.cors ? [] : g.cors.allowOrigins.flatMap((o) => fails([policies(c).some((p) => p.includes("<cors") && p.includes(`<origin>${o.replace(/&/g, "&amp;")}</origin>`)), `origin ${o} missing`]))),
  },
  "gateway.jwt": {
    mode: "native", realisedBy: "operation policy <validate-jwt> with openid-config, audiences and issuer on authorized routes",
    check: (c) => Object.values(c.service.gateways ?? {}).flatMap((g) => {
      if (!g.auth) return [];
      const ops = all(c, "azurerm_api_management_api_operation_policy").map((p) => String(p.xml_content));
      const authorized = g.routes.filter((r) => r.authorized !== false).length;
      return fails([ops.filter((x) => x.includes("<validate-jwt") && g.auth!.audiences.every((a) => x.includes(`<audience>${a}</audience>`))).length === authorized, "validate-jwt not on every authorized route"]);
    }),
  },
  "gateway.accessLogs": {
    mode: "native", realisedBy: "azurerm_api_management_api_diagnostic (App Insights logger) + diagnostic setting GatewayLogs to Log Analytics",
    check: (c) => all(c, "azurerm_api_management").length === 0 ? [] : fails([all(c, "azurerm_api_management_api_diagnostic").length > 0, "no API diagnostic"], [all(c, "azurerm_monitor_diagnostic_setting").some((d) => JSON.stringify(d.enabled_log ?? []).includes("GatewayLogs")), "no GatewayLogs"]),
  },
  "gateway.invokeScope": {
    mode: "different", realisedBy: "App Service authentication (auth_settings_v2) on every routed app: Entra tokens for the app's identity only, from the API Management identity only (allowed_identities), 401 otherwise; APIM sends its managed-identity token (authentication-managed-identity) and the client's Authorization as X-Forwarded-Authorization; no function key in state",
    note: "the function host is reachable, but its authentication layer answers 401 to any caller but the gateway's identity",
    check: (c) => {
      const apim = all(c, "azurerm_api_management");
      if (apim.length === 0) return [];
      const routed = new Set(Object.values(c.service.gateways ?? {}).flatMap((g) => g.routes.map((r) => r.function)));
      // A database's migration step admits the deploying identity only (checked below), not the gateway.
      const step = (a: any) => typeof a.app_settings?.POLYCLOUD_MIGRATE_DATABASE === "string";
      const apps = all(c, "azurerm_function_app_flex_consumption").filter((a) => a.auth_settings_v2 !== undefined && !step(a));
      const steps = all(c, "azurerm_function_app_flex_consumption").filter(step);
      const guarded = (a: any) => {
        const auth = a.auth_settings_v2 ?? {};
        const ad = auth.active_directory_v2 ?? {};
        return auth.auth_enabled === true && auth.require_authentication === true && auth.unauthenticated_action === "Return401"
          && (ad.allowed_identities ?? []).length > 0 && (ad.allowed_identities ?? []).every((i: string) => /^\$\{azurerm_api_management\.[^.]+\.identity/.test(i));
      };
      return fails(
        [apps.length === routed.size && apps.every(guarded), "a routed function app admits callers other than the gateway's identity"],
        [all(c, "azurerm_api_management_api_operation_policy").every((p) => /<authentication-managed-identity resource="\{\{[^}]+-audience\}\}" \/>/.test(p.xml_content)), "an operation does not authenticate to its function with the gateway's identity"],
        [!JSON.stringify(c.json.data ?? {}).includes("azurerm_function_app_host_keys"), "a host-keys data source reads the function's keys into state"],
        [steps.every((a) => a.auth_settings_v2?.require_authentication === true && JSON.stringify(a.auth_settings_v2?.active_directory_v2?.allowed_identities) === JSON.stringify([`\${data.azurerm_client_config.${Object.keys(c.json.data?.azurerm_client_config ?? {})[0]}.object_id}`])), "a migration step admits callers other than the deploying identity"],
      );
    },
  },
  "queue.dlq": {
    mode: "native", realisedBy: "azurerm_servicebus_queue max_delivery_count → native $DeadLetterQueue",
    check: (c) => Object.entries(c.service.queues ?? {}).flatMap(([id, q]) => {
      const r = resolveQueue(q, 30);
      const queue = all(c, "azurerm_servicebus_queue").find((x) => x.name === namer(c).name(NAME_RULES.azure.generic, id));
      return fails([queue?.max_delivery_count === r.maxDeliveryAttempts, `queue ${id}: max_delivery_count ${queue?.max_delivery_count}`]);
    }),
  },
  "queue.dlqRetention": {
    mode: "different", realisedBy: "$DeadLetterQueue keeps messages until read (no TTL applies there); Event Grid dead letters are blobs",
    note: "no retention to configure: dead letters never expire",
    check: (c) => fails([all(c, "azurerm_servicebus_queue").every((q) => q.dead_lettering_on_message_expiration === true), "expiry not dead-lettered"]),
  },
  "queue.visibility": {
    mode: "different", realisedBy: "lock_duration ≥ the consumer timeout, at most PT5M (longer consumers are rejected)",
    note: "Service Bus locks last at most five minutes",
    check: (c) => Object.entries(c.service.queues ?? {}).flatMap(([id, q]) => {
      const timeout = resolveFunction(c.service.functions[q.consumer]).timeoutSeconds;
      const queue = all(c, "azurerm_servicebus_queue").find((x) => x.name === namer(c).name(NAME_RULES.azure.generic, id));
      const lock = parseServiceBusDuration(String(queue?.lock_duration ?? ""));
      return fails([lock >= Math.min(timeout, 300) && lock <= 300, `queue ${id}: lock ${queue?.lock_duration}`]);
    }),
  },
  "queue.encryption": {
    mode: "native", realisedBy: "Service Bus encrypts at rest (service-managed keys); local auth off, TLS 1.2",
    check: (c) => all(c, "azurerm_servicebus_namespace").flatMap((n) => fails([n.local_auth_enabled === false, "local auth on"], [n.minimum_tls_version === "1.2", "TLS"])),
  },
  "queue.consumer": {
    mode: "different", realisedBy: "identity-based trigger settings (QUEUE_<ID>__fullyQualifiedNamespace/credential/clientId) + Data Receiver on the queue; a private (Premium) namespace through its private endpoint and the consumer's VNet integration",
    note: "the trigger binding itself lives in the function code",
    check: (c) => Object.entries(c.service.queues ?? {}).flatMap(([id, q]) => {
      const a = app(c, q.consumer);
      const key = envVarPart(id);
      const closed = all(c, "azurerm_servicebus_namespace").some((n) => n.public_network_access_enabled === false);
      const endpoint = all(c, "azurerm_private_endpoint").some((e) => /azurerm_servicebus_namespace\./.test(String(one(e.private_service_connection).private_connection_resource_id)));
      return fails(
        [!!a?.app_settings?.[`QUEUE_${key}__fullyQualifiedNamespace`], `queue ${id}: no identity connection`],
        [roles(c, "Azure Service Bus Data Receiver").length > 0, "no receiver role"],
        [!closed || (endpoint && !!a?.virtual_network_subnet_id), `queue ${id}: private namespace unreachable (endpoint ${endpoint}, consumer VNet ${!!a?.virtual_network_subnet_id})`],
      );
    }),
  },
  "bus.rules": {
    mode: "native", realisedBy: "azurerm_eventgrid_event_subscription per rule: included_event_types + advanced StringIn filters; Service Bus or function endpoint",
    check: (c) => Object.entries(c.service.buses ?? {}).flatMap(([busId, bus]) => Object.keys(bus.rules).flatMap((ruleId) => {
      const s = all(c, "azurerm_eventgrid_event_subscription").find((x) => x.name === namer(c).name(NAME_RULES.azure.generic, busId, ruleId).slice(0, 64));
      return fails([!!s, `rule ${ruleId}: no subscription`], [!!(s?.included_event_types || s?.advanced_filter), `rule ${ruleId}: no filter`]);
    })),
  },
  "bus.retry": {
    mode: "native", realisedBy: "retry_policy max_delivery_attempts + event_time_to_live",
    check: (c) => all(c, "azurerm_eventgrid_event_subscription").flatMap((s) => fails([one(s.retry_policy).max_delivery_attempts > 0 && one(s.retry_policy).event_time_to_live > 0, `${s.name}: no retry policy`])),
  },
  "bus.dlq": {
    mode: "different", realisedBy: "storage_blob_dead_letter_destination container + dead_letter_identity (topic identity with Blob Data Contributor on the container)",
    note: "Event Grid dead-letters into a blob container, not a queue",
    check: (c) => all(c, "azurerm_eventgrid_event_subscription").flatMap((s) => fails([!!one(s.storage_blob_dead_letter_destination).storage_blob_container_name, `${s.name}: no dead-letter container`], [one(s.dead_letter_identity).type === "SystemAssigned", `${s.name}: no dead-letter identity`])),
  },
  "bus.archive": {
    mode: "different", realisedBy: "an unfiltered subscription to a storage queue whose messages live for the archive retention",
    note: "Event Grid has no archive; a storage queue keeps every event",
    check: (c) => Object.entries(c.service.buses ?? {}).flatMap(([busId, bus]) => {
      const days = bus.archiveRetentionDays ?? c.env.retention.archiveDays;
      if (!days) return [];
      const s = all(c, "azurerm_eventgrid_event_subscription").find((x) => x.name === namer(c).name(NAME_RULES.azure.generic, busId, "archive"));
      return fails([one(s?.storage_queue_endpoint).queue_message_time_to_live_in_seconds === days * 86400, `bus ${busId}: archive keeps ${one(s?.storage_queue_endpoint).queue_message_time_to_live_in_seconds}s`]);
    }),
  },
  "proxy.pool": {
    mode: "native", realisedBy: "built-in PgBouncer: pgbouncer.enabled, pool_mode TRANSACTION, default_pool_size = the spec's share of max_connections / (database, user) pairs (the Entra administrator included), min_pool_size 0 (no floor), query_wait_timeout from the spec (chained configurations)",
    check: (c) => {
      if (c.env.clouds.azure?.database?.acceptNoPooling) return [];
      const conf = Object.fromEntries(all(c, "azurerm_postgresql_flexible_server_configuration").map((x) => [x.name, x.value]));
      return Object.values(c.service.databases ?? {}).flatMap((d) => fails([conf["pgbouncer.enabled"] === "true", "pgbouncer off"], [conf["pgbouncer.query_wait_timeout"] === String(resolvePool(d.pool, shortestCallerTimeout(d, c.service.functions)?.seconds).borrowTimeoutSeconds), "query_wait_timeout"], [!!conf["pgbouncer.default_pool_size"], "no pool size"], [(conf["pgbouncer.min_pool_size"] ?? "0") === "0", "min_pool_size keeps a floor of open connections"]));
    },
  },
  "proxy.tls": {
    mode: "native", realisedBy: "require_secure_transport = ON",
    check: (c) => all(c, "azurerm_postgresql_flexible_server").length === 0 ? [] : fails([all(c, "azurerm_postgresql_flexible_server_configuration").some((x) => x.name === "require_secure_transport" && x.value === "ON"), "TLS not required"]),
  },
  "proxy.iamAuth": {
    mode: "native", realisedBy: "authentication: Entra ID on, password auth off; Entra administrator; functions log in as their identity",
    check: (c) => all(c, "azurerm_postgresql_flexible_server").flatMap((s) => fails([one(s.authentication).active_directory_auth_enabled === true && one(s.authentication).password_auth_enabled === false, "password auth on"])),
  },
  "proxy.private": {
    mode: "native", realisedBy: "delegated subnet + private DNS zone, public_network_access_enabled false",
    check: (c) => all(c, "azurerm_postgresql_flexible_server").flatMap((s) => fails([s.public_network_access_enabled === false && !!s.delegated_subnet_id, "public"])),
  },
  "proxy.backups": {
    mode: "native", realisedBy: "backup_retention_days (≥ 7), geo-redundant in prod; storage encrypted by the service",
    check: (c) => all(c, "azurerm_postgresql_flexible_server").flatMap((s) => fails([s.backup_retention_days >= Math.max(7, c.env.retention.backupDays), "retention"], [s.geo_redundant_backup_enabled === c.env.deletionProtection, "geo-redundancy"])),
  },
  "proxy.deletionProtection": {
    mode: "different", realisedBy: "azurerm_management_lock CanNotDelete on the server + lifecycle.prevent_destroy in prod",
    note: "Flexible Server has no deletion-protection flag; a resource lock does it",
    check: (c) => {
      const locked = all(c, "azurerm_management_lock").some((l) => l.lock_level === "CanNotDelete" && /postgresql_flexible_server/.test(l.scope));
      return all(c, "azurerm_postgresql_flexible_server").length === 0 ? [] : fails([locked === c.env.deletionProtection, `lock ${locked}`]);
    },
  },
  "alarms.channel": {
    mode: "native", realisedBy: "azurerm_monitor_action_group (short name ≤ 12) with an e-mail receiver per recipient, on every alert",
    check: (c) => {
      const groups = all(c, "azurerm_monitor_action_group");
      const emails = groups.flatMap((g) => (g.email_receiver ?? []).map((e: R) => e.email_address));
      return c.env.alarms.recipients.flatMap((r) => fails([emails.includes(r), `no receiver ${r}`]))
        .concat(groups.flatMap((g) => fails([String(g.short_name).length <= 12, "short name too long"])))
        .concat(all(c, "azurerm_monitor_metric_alert").flatMap((a) => fails([(a.action ?? []).length > 0, `${a.name}: no action`])));
    },
  },
  "alarms.components": {
    mode: "native", realisedBy: "azurerm_monitor_metric_alert: App Insights failures (a log search alert over failed requests and retried attempts for Node Service Bus consumers)/duration, Http429 (HTTP-triggered functions), APIM Requests 5XX/Duration, ActiveMessages, DeadletteredMessages, DeadLetteredCount, DeliveryAttemptFailCount, active_connections, cpu_percent, client_connections_waiting",
    check: (c) => {
      const m = alertMetrics(c);
      const has = (metric: string) => m.some((x) => x.startsWith(`${metric}|`));
      return fails(
        [Object.keys(c.service.functions).every((id) => {
          const app = globalName(namer(c), c.env.clouds.azure?.subscriptionId ?? "", NAME_RULES.azure.functionApp, id);
          // A Node Service Bus consumer's failure alert is a log search over failed requests and retried attempts.
          return m.some((x) => x.startsWith("requests/failed|") && x.includes(app))
            || all(c, "azurerm_monitor_scheduled_query_rules_alert_v2").some((a) => JSON.stringify(a.criteria ?? []).includes(`cloud_RoleName == \\"${app}\\" and success == false`));
        }), "function without failure alert"],
        [!Object.keys(c.service.gateways ?? {}).length || has("Requests"), "no gateway alert"],
        [!Object.keys(c.service.queues ?? {}).length || has("DeadletteredMessages"), "no dead-letter alert"],
        [!Object.keys(c.service.buses ?? {}).length || has("DeadLetteredCount"), "no Event Grid dead-letter alert"],
        [!Object.keys(c.service.databases ?? {}).length || has("active_connections"), "no database alert"],
      );
    },
  },
  "budget.notifications": {
    mode: "native", realisedBy: "azurerm_consumption_budget_resource_group, Actual and Forecasted notifications to the action group and e-mails, fixed start date",
    check: (c) => {
      const b = all(c, "azurerm_consumption_budget_resource_group")[0];
      const n = b?.notification ?? [];
      return fails([!!b, "no budget"], [n.filter((x: R) => x.threshold_type === "Actual").length === c.env.budget.actualThresholdsPercent.length, "actual"], [n.filter((x: R) => x.threshold_type === "Forecasted").length === c.env.budget.forecastThresholdsPercent.length, "forecast"], [one(b?.time_period).start_date === `${c.env.clouds.azure?.budgetStartDate}T00:00:00Z`, "start date"]);
    },
  },
  "tags.required": {
    mode: "different", realisedBy: "an Aspect merges the tag contract into every azurerm resource with tags (resource-level tags win)",
    note: "azurerm has no provider default tags",
    check: (c) => Object.entries(c.json.resource ?? {}).flatMap(([type, byName]) => Object.entries(byName).flatMap(([name, r]) =>
      r.tags === undefined ? [] : REQUIRED_TAG_KEYS.filter((k) => !/^[a-z0-9_-]{1,63}$/.test(r.tags[k] ?? "")).map((k) => `${type}.${name}: missing ${k}`)))
      .concat(fails([all(c, "azurerm_resource_group").every((g) => g.tags?.environment === c.env.name), "resource group not tagged"])),
  },
};
