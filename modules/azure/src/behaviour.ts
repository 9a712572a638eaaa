import {
  AlarmCondition, AlarmSignal, DatabaseBehaviour, EventRuleBehaviour, FunctionBehaviour, GatewayBehaviour, QueueBehaviour,
  ResourceMap, ServiceBehaviour, atLeast, byComponent, componentOf, durationSeconds, refOf, scheduledEventText,
} from "@polycloud/core";
import { AZURE_RESERVED_CONNECTIONS, POSTGRES_SIZES } from "./limits";

/** Flex Consumption's default HTTP concurrency per instance, by instance memory. */
const FLEX_HTTP_CONCURRENCY: Record<number, number> = { 512: 4, 2048: 16, 4096: 32 };
/** Service Bus trigger default maxConcurrentCalls per instance (extension 5.x). */
const SERVICE_BUS_DEFAULT_CALLS = 16;
const SB_CALLS_SETTING = "AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls";

/** `hh:mm:ss` → seconds. */
const hms = (v: string) => v.split(":").reduce((n, p) => n * 60 + Number(p), 0);

/**
 * Seconds between a failed delivery and the next one. Service Bus and the Functions host add none
 * (an abandoned message is redelivered at once); @polycloud/runtime on a Node.js consumer sends a
 * copy scheduled PLATFORM_QUEUE_<ID>_RETRY_DELAY_SECONDS later, which takes: that setting and
 * _MAX_DELIVERIES equal to the queue's max_delivery_count on the consumer (next to the trigger's
 * QUEUE_<ID>_NAME for this queue), a node runtime, and Data Sender on this queue for the
 * consumer's identity, which the app waits for (depends_on).
 */
function retrySpacing(R: ResourceMap, queueAddress: string, q: any, [, app]: [string, any]): number {
  const settings: Record<string, string> = app.app_settings ?? {};
  const nameKey = Object.keys(settings).find((k) => /^QUEUE_[A-Z0-9_]+_NAME$/.test(k) && refOf(settings[k])?.address === queueAddress
    && `${k.slice(0, -"_NAME".length)}__fullyQualifiedNamespace` in settings);
  if (!nameKey || app.runtime_name !== "node") return 0;
  const id = nameKey.slice("QUEUE_".length, -"_NAME".length);
  const delay = Number(settings[`PLATFORM_QUEUE_${id}_RETRY_DELAY_SECONDS`]);
  if (!Number.isInteger(delay) || delay <= 0 || Number(settings[`PLATFORM_QUEUE_${id}_MAX_DELIVERIES`]) !== (q.max_delivery_count ?? 10)) return 0;
  const identity = refOf(app.identity?.identity_ids?.[0])?.address;
  const sender = Object.entries<any>(R.azurerm_role_assignment ?? {}).find(([, r]) => r.role_definition_name === "Azure Service Bus Data Sender"
    && refOf(r.scope)?.address === queueAddress && refOf(r.scope)?.attr === "id" && identity !== undefined && refOf(r.principal_id)?.address === identity);
  if (!sender || !(app.depends_on ?? []).includes(`azurerm_role_assignment.${sender[0]}`)) return 0;
  return delay;
}

/**
 * Reads what an Azure stack will do from its synthesized Terraform JSON (Flex Consumption apps,
 * Service Bus queues, Event Grid subscriptions, API Management, Flexible Server with PgBouncer,
 * metric alerts, consumption budget).
 */
export function readAzureBehaviour(json: { resource: ResourceMap }): ServiceBehaviour {
  const R = json.resource;
  const apps = byComponent(R, "azurerm_function_app_flex_consumption");

  const functions: Record<string, FunctionBehaviour> = {};
  for (const [key, items] of apps) {
    const app = items[0][1];
    const settings: Record<string, string> = app.app_settings ?? {};
    const memory = app.instance_memory_in_mb ?? 2048;
    const serviceBusTrigger = Object.keys(settings).some((k) => /^QUEUE_.*__fullyQualifiedNamespace$/.test(k));
    const perInstance = serviceBusTrigger
      ? Number(settings[SB_CALLS_SETTING] ?? SERVICE_BUS_DEFAULT_CALLS)
      : app.http_concurrency ?? FLEX_HTTP_CONCURRENCY[memory] ?? 16;
    functions[key.slice("function:".length)] = {
      maxConcurrency: (app.maximum_instance_count ?? 100) * perInstance,
      memoryMb: memory,
      timeoutSeconds: hms(settings.AzureFunctionsJobHost__functionTimeout ?? "00:30:00"),
      warmInstances: (app.always_ready ?? []).reduce((n: number, a: any) => n + a.instance_count, 0),
    };
  }

  const queues: Record<string, QueueBehaviour> = {};
  for (const [key, items] of byComponent(R, "azurerm_servicebus_queue")) {
    const [address, q] = items[0];
    // The consumer holds the trigger connection (QUEUE_<X>__fullyQualifiedNamespace) next to QUEUE_<X>_NAME
    // naming this queue; producers only hold the name.
    const consumerEntry = [...apps].find(([, [[, app]]]) => Object.entries<string>(app.app_settings ?? {}).some(([k, v]) =>
      refOf(v)?.address === address && /_NAME$/.test(k) && `${k.slice(0, -"_NAME".length)}__fullyQualifiedNamespace` in (app.app_settings ?? {})));
    const consumer = consumerEntry?.[0];
    queues[key.slice("queue:".length)] = {
      deliveryAttempts: q.max_delivery_count ?? 10,
      retrySpacingSeconds: consumerEntry ? retrySpacing(R, address, q, consumerEntry[1][0]) : 0,
      maxConsumerConcurrency: consumer ? functions[consumer.slice("function:".length)].maxConcurrency : null,
      retentionSeconds: durationSeconds(q.default_message_ttl ?? "P14D"),
      dlqRetentionSeconds: null,
      expiredMessages: q.dead_lettering_on_message_expiration ? "dead-lettered" : "dropped",
      dropsWithoutDeadLetter: false,
    };
  }

  const rules: Record<string, EventRuleBehaviour> = {};
  for (const [key, items] of byComponent(R, "azurerm_eventgrid_event_subscription")) {
    for (const [address, sub] of items) {
      const rule = componentOf(address)!.rest.join("_");
      if (!rule.startsWith("rule-")) continue;
      const queueRef = refOf(sub.service_bus_queue_endpoint_id);
      const fn = componentOf(refOf(sub.azure_function_endpoint?.function_id)?.address ?? "");
      const attempts = sub.retry_policy?.max_delivery_attempts ?? 30;
      const age = (sub.retry_policy?.event_time_to_live ?? 1440) * 60;
      const dead = sub.storage_blob_dead_letter_destination ? "dead-lettered" : "dropped";
      const q = queueRef ? queues[componentOf(queueRef.address)!.id] : undefined;
      const ruleId = rule.slice("rule-".length);
      // A scheduled rule is fed by a Logic App action posting a CloudEvent whose data names the rule.
      const posted = (byComponent(R, "azurerm_logic_app_action_custom").get(key) ?? [])
        .map(([, a]) => { try { return JSON.parse(a.body).inputs?.body; } catch { return undefined; } })
        .find((b: any) => b?.data?.polycloud_schedule === ruleId);
      const delivers = posted ? scheduledEventText(posted.source, posted.type, posted.data) : null;
      rules[`${key.slice("bus:".length)}/${ruleId}`] = q
        ? { target: `queue:${componentOf(queueRef!.address)!.id}`, attempts: q.deliveryAttempts, maxEventAgeSeconds: q.retentionSeconds, undeliverable: "dead-lettered", survivesOutageSeconds: q.retentionSeconds, delivers }
        : { target: `function:${fn?.id}`, attempts, maxEventAgeSeconds: age, undeliverable: dead, survivesOutageSeconds: age, delivers };
    }
  }

  const gateways: Record<string, GatewayBehaviour> = {};
  for (const [key, items] of byComponent(R, "azurerm_api_management_api_policy")) {
    const xml: string = items[0][1].xml_content;
    const backends = new Map((byComponent(R, "azurerm_api_management_backend").get(key) ?? []).map(([, b]) => [b.name, componentOf(refOf(b.resource_id)?.address ?? "")?.id]));
    const routes: string[] = [];
    const edge: string[] = [];
    const policies = byComponent(R, "azurerm_api_management_api_operation_policy").get(key) ?? [];
    for (const [opAddress, op] of byComponent(R, "azurerm_api_management_api_operation").get(key) ?? []) {
      const policy = policies.find(([, p]) => refOf(p.operation_id)?.address === opAddress)?.[1]?.xml_content ?? "";
      const backend = /set-backend-service backend-id="([^"]+)"/.exec(policy)?.[1];
      const line = `${op.method} ${op.url_template} -> ${backends.get(backend ?? "")}`;
      routes.push(line);
      if (policy.includes("<validate-jwt")) edge.push(line);
    }
    const limit = /<rate-limit-by-key calls="(\d+)" renewal-period="(\d+)"/.exec(xml);
    gateways[key.slice("gateway:".length)] = {
      routes: routes.sort(), edgeAuthenticated: edge.sort(), cors: corsOf(xml),
      requestsPerMinute: limit ? Math.round((Number(limit[1]) * 60) / Number(limit[2])) : Infinity,
      burst: limit ? Number(limit[1]) : Infinity,
    };
  }

  const databases: Record<string, DatabaseBehaviour> = {};
  for (const [key, items] of byComponent(R, "azurerm_postgresql_flexible_server")) {
    const [address, server] = items[0];
    const config = new Map((byComponent(R, "azurerm_postgresql_flexible_server_configuration").get(key) ?? []).map(([, c]) => [c.name, c.value]));
    const sku: string = server.sku_name;
    const maxConnections = Number(config.get("max_connections") ?? (sku.startsWith("B_") ? 50 : Object.values(POSTGRES_SIZES).find((s) => s.sku === sku)?.maxConnections ?? 100));
    const pooled = config.get("pgbouncer.enabled") === "true";
    // PgBouncer keeps one pool per (user, database): every function logging in with its identity, and the Entra administrator.
    const users = [...apps].filter(([, [[, app]]]) => Object.values(app.app_settings ?? {}).some((v) => refOf(v)?.address === address)).length
      + (byComponent(R, "azurerm_postgresql_flexible_server_active_directory_administrator").get(key) ?? []).length;
    const dbs = (byComponent(R, "azurerm_postgresql_flexible_server_database").get(key) ?? []).length;
    const pairs = Math.max(1, users) * Math.max(1, dbs);
    const poolServerConnections = pooled ? Number(config.get("pgbouncer.default_pool_size") ?? 50) * pairs : maxConnections;
    databases[key.slice("database:".length)] = {
      pooled,
      poolServerConnections,
      maxConnections,
      poolPercent: Math.round((100 * poolServerConnections) / maxConnections),
      idleFloorConnections: pooled ? Number(config.get("pgbouncer.min_pool_size") ?? 0) * pairs : 0,
      borrowTimeoutSeconds: pooled ? Number(config.get("pgbouncer.query_wait_timeout") ?? 120) : null,
      tls: config.get("require_secure_transport") === "ON",
      identityAuth: server.authentication?.active_directory_auth_enabled === true && server.authentication?.password_auth_enabled === false,
      pointInTimeRecoveryDays: server.backup_retention_days ?? 7,
    };
  }

  const alarms: Record<string, Partial<Record<AlarmSignal, AlarmCondition>>> = {};
  for (const [address, alert] of Object.entries(R.azurerm_monitor_metric_alert ?? {}) as [string, any][]) {
    const comp = componentOf(address);
    const c = alert.criteria?.[0];
    const signal: AlarmSignal | undefined = c ? azureSignal(c.metric_name) : undefined;
    if (!comp || !signal) continue;
    const op = c.operator === "GreaterThan" ? "gt" : c.operator === "GreaterThanOrEqual" ? "ge" : undefined;
    if (!op) throw new Error(`${address}: operator ${c.operator} is not an upper bound`);
    // Event Grid alerts are per topic: they stand for each rule of the bus.
    const keys = comp.kind === "bus" ? Object.keys(rules).filter((r) => r.startsWith(`${comp.id}/`)).map((r) => `rule:${r}`) : [`${comp.kind}:${comp.id}`];
    let threshold = c.threshold;
    // A share of the connections clients can open: Azure keeps AZURE_RESERVED_CONNECTIONS of max_connections (issue 28.13).
    if (signal === "proxy.connectionSaturation") threshold = Math.round((100 * threshold) / (databases[comp.id].maxConnections - AZURE_RESERVED_CONNECTIONS));
    for (const key of keys) (alarms[key] ??= {})[signal] = { atLeast: atLeast(signal, op, threshold), windowSeconds: durationSeconds(alert.window_size ?? "PT5M"), perSeries: false };
  }

  // Log search alerts (issue 28.12): a Service Bus consumer's errors alarm counts failed requests
  // and the attempts the runtime retries by a scheduled copy. Only that alarm is a log alert.
  for (const [address, alert] of Object.entries(R.azurerm_monitor_scheduled_query_rules_alert_v2 ?? {}) as [string, any][]) {
    const comp = componentOf(address);
    const c = alert.criteria?.[0];
    if (!comp || !c || !/_alarm-errors_/.test(address)) continue;
    const op = c.operator === "GreaterThan" ? "gt" : c.operator === "GreaterThanOrEqual" ? "ge" : undefined;
    if (!op) throw new Error(`${address}: operator ${c.operator} is not an upper bound`);
    (alarms[`${comp.kind}:${comp.id}`] ??= {})["function.errors"] = { atLeast: atLeast("function.errors", op, c.threshold), windowSeconds: durationSeconds(alert.window_duration ?? "PT5M"), perSeries: false };
  }

  const budget = Object.values(R.azurerm_consumption_budget_resource_group ?? {})[0] as any;
  const notes = (budget?.notification ?? []) as any[];
  return {
    functions, queues, rules, gateways, databases, alarms,
    budget: budget
      ? {
          scope: "resource-group",
          actualPercent: notes.filter((n) => n.threshold_type === "Actual").map((n) => n.threshold).sort((x, y) => x - y),
          forecastPercent: notes.filter((n) => n.threshold_type === "Forecasted").map((n) => n.threshold).sort((x, y) => x - y),
          recipients: [...new Set(notes.flatMap((n) => n.contact_emails ?? []))].sort() as string[],
        }
      : null,
  };
}

function azureSignal(metric: string): AlarmSignal | undefined {
  const table: Record<string, AlarmSignal> = {
    "requests/failed": "function.errors", Http429: "function.throttles", "requests/duration": "function.durationP99",
    Requests: "gateway.5xx", Duration: "gateway.latencyP99", ActiveMessages: "queue.oldestMessageAge", DeadletteredMessages: "queue.dlqDepth",
    DeliveryAttemptFailCount: "bus.failedInvocations", DeadLetteredCount: "bus.sentToDlq",
    active_connections: "proxy.connectionSaturation", client_connections_waiting: "proxy.pinnedConnections", cpu_percent: "database.cpu",
  };
  return table[metric];
}

/** The `<cors>` policy as the same canonical JSON the other readers produce. */
function corsOf(xml: string): string | null {
  const cors = /<cors(?: allow-credentials="(true|false)")?>([\s\S]*?)<\/cors>/.exec(xml);
  if (!cors) return null;
  const all = (tag: string) => [...cors[2].matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, "g"))].map((m) => m[1]);
  const expose = /<expose-headers>([\s\S]*?)<\/expose-headers>/.exec(cors[2])?.[1] ?? "";
  return JSON.stringify({
    origins: all("origin"), methods: all("method"),
    headers: [...(/<allowed-headers>([\s\S]*?)<\/allowed-headers>/.exec(cors[2])?.[1] ?? "").matchAll(/<header>([^<]*)<\/header>/g)].map((m) => m[1]),
    expose: [...expose.matchAll(/<header>([^<]*)<\/header>/g)].map((m) => m[1]),
    maxAge: Number(/preflight-result-max-age="(\d+)"/.exec(cors[2])?.[1] ?? 0),
    credentials: cors[1] === "true",
  });
}
