import {
  AlarmCondition, AlarmStatistic, BusBehaviour, DatabaseBehaviour, EventRuleBehaviour, FilterClause, FiringTimes, FunctionBehaviour,
  GatewayBehaviour, ObservedSignal, QueueBehaviour, ResourceMap, ServiceBehaviour, allOf, atLeast, byComponent, canonicalClauses,
  alignedRate, canonicalCors, canonicalSchedule, componentNames, componentOf, durationSeconds, jwtText, namesComponent, refOf, routeMethods, scheduledEventText,
  ATTEMPT_FAILED_EVENT, SHARED_SERVER_COMPONENT, spreadSharedServer,
} from "@polycloud/core";
import { AZURE_RESERVED_CONNECTIONS, POSTGRES_SIZES } from "./limits";

/**
 * Where each behaviour field is read from in an Azure stack (resource type and attribute), for
 * docs/parity.md. `fact:` marks a field no attribute can change (a property of the service).
 */
export const AZURE_BEHAVIOUR_SOURCES: Readonly<Record<string, readonly string[]>> = {
  "function.maxConcurrency": ["azurerm_function_app_flex_consumption.maximum_instance_count", "azurerm_function_app_flex_consumption.http_concurrency", "azurerm_function_app_flex_consumption.app_settings (AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls)"],
  "function.memoryMb": ["azurerm_function_app_flex_consumption.instance_memory_in_mb"],
  "function.timeoutSeconds": ["azurerm_function_app_flex_consumption.app_settings (AzureFunctionsJobHost__functionTimeout)"],
  "function.warmInstances": ["azurerm_function_app_flex_consumption.always_ready.instance_count"],
  "function.invokers": ["azurerm_api_management_backend.resource_id", "azurerm_api_management_api_operation_policy.xml_content (set-backend-service)", "azurerm_eventgrid_event_subscription.azure_function_endpoint.function_id", "azurerm_function_app_flex_consumption.app_settings (QUEUE_<ID>__fullyQualifiedNamespace, QUEUE_<ID>_NAME)", "azurerm_role_assignment (Azure Service Bus Data Receiver)"],
  "queue.consumer": ["azurerm_function_app_flex_consumption.app_settings (QUEUE_<ID>__fullyQualifiedNamespace, QUEUE_<ID>_NAME)"],
  "queue.deliveryAttempts": ["azurerm_servicebus_queue.max_delivery_count"],
  "queue.retrySpacingSeconds": ["azurerm_function_app_flex_consumption.app_settings (PLATFORM_QUEUE_<ID>_RETRY_DELAY_SECONDS, _MAX_DELIVERIES)", "azurerm_function_app_flex_consumption.runtime_name", "azurerm_role_assignment (Azure Service Bus Data Sender of the consumer)", "azurerm_function_app_flex_consumption.depends_on"],
  "queue.visibilitySeconds": ["azurerm_servicebus_queue.lock_duration"],
  "queue.maxConsumerConcurrency": ["azurerm_function_app_flex_consumption (the consumer's maximum_instance_count and maxConcurrentCalls)"],
  "queue.burstWithoutDeadLetter": ["fact: the Service Bus trigger locks only the messages its calls can take (maxConcurrentCalls per instance); the rest waits in the queue"],
  "queue.retentionSeconds": ["azurerm_servicebus_queue.default_message_ttl"],
  "queue.dlqRetentionSeconds": ["azurerm_servicebus_queue.forward_dead_lettered_messages_to", "fact: the $DeadLetterQueue sub-queue has no time-to-live"],
  "queue.expiredMessages": ["azurerm_servicebus_queue.dead_lettering_on_message_expiration"],
  "queue.dropsWithoutDeadLetter": ["azurerm_servicebus_queue.auto_delete_on_idle", "azurerm_servicebus_queue.forward_dead_lettered_messages_to"],
  "queue.senders": ["azurerm_role_assignment (Azure Service Bus Data Sender on the queue)", "azurerm_eventgrid_event_subscription.service_bus_queue_endpoint_id", "azurerm_eventgrid_event_subscription.delivery_identity"],
  "bus.publishers": ["azurerm_role_assignment (EventGrid Data Sender on the topic, function and workflow identities)", "azurerm_logic_app_action_custom.body (a schedule's ticks posted to the bus topic)", "azurerm_logic_app_action_custom.logic_app_id"],
  "bus.archiveDays": ["azurerm_eventgrid_event_subscription.storage_queue_endpoint.queue_message_time_to_live_in_seconds"],
  "rule.target": ["azurerm_eventgrid_event_subscription.service_bus_queue_endpoint_id", "azurerm_eventgrid_event_subscription.azure_function_endpoint.function_id"],
  "rule.filter": ["azurerm_eventgrid_event_subscription.included_event_types", "azurerm_eventgrid_event_subscription.advanced_filter"],
  "rule.schedule": ["azurerm_logic_app_trigger_recurrence.frequency", "azurerm_logic_app_trigger_recurrence.interval", "azurerm_logic_app_trigger_recurrence.schedule", "azurerm_logic_app_trigger_recurrence.time_zone", "azurerm_logic_app_trigger_recurrence.start_time", "azurerm_logic_app_action_custom.body"],
  "rule.attempts": ["azurerm_eventgrid_event_subscription.retry_policy.max_delivery_attempts", "azurerm_servicebus_queue.max_delivery_count (into a queue)"],
  "rule.maxEventAgeSeconds": ["azurerm_eventgrid_event_subscription.retry_policy.event_time_to_live", "azurerm_servicebus_queue.default_message_ttl (into a queue)"],
  "rule.undeliverable": ["azurerm_eventgrid_event_subscription.storage_blob_dead_letter_destination"],
  "rule.survivesOutageSeconds": ["azurerm_eventgrid_event_subscription.retry_policy.event_time_to_live", "azurerm_servicebus_queue.default_message_ttl (into a queue)"],
  "rule.delivers": ["azurerm_logic_app_action_custom.body (inputs.body)"],
  "gateway.routes": ["azurerm_api_management_api_operation.method", "azurerm_api_management_api_operation.url_template", "azurerm_api_management_api_operation_policy.xml_content (set-backend-service)", "azurerm_api_management_backend.resource_id"],
  "gateway.edgeAuthenticated": ["azurerm_api_management_api_operation_policy.xml_content (validate-jwt)"],
  "gateway.jwt": ["azurerm_api_management_api_operation_policy.xml_content (validate-jwt issuers, audiences)"],
  "gateway.jwtKeys": ["azurerm_api_management_api_operation_policy.xml_content (validate-jwt openid-config url)"],
  "gateway.cors": ["azurerm_api_management_api_policy.xml_content (cors)"],
  "gateway.requestsPerMinute": ["azurerm_api_management_api_policy.xml_content (rate-limit-by-key calls, renewal-period)"],
  "gateway.burst": ["azurerm_api_management_api_policy.xml_content (rate-limit-by-key calls)"],
  "gateway.routeTimeoutSeconds": ["azurerm_api_management_api_operation_policy.xml_content (forward-request timeout)", "fact: the Functions front end cuts HTTP requests at 230 s", "azurerm_function_app_flex_consumption.app_settings (AzureFunctionsJobHost__functionTimeout)"],
  "database.pooled": ["azurerm_postgresql_flexible_server_configuration (pgbouncer.enabled)"],
  "database.poolPercent": ["fact: Flexible Server keeps 15 of max_connections for replication, monitoring and its superuser", "azurerm_postgresql_flexible_server_configuration (pgbouncer.default_pool_size, max_connections)", "azurerm_postgresql_flexible_server.sku_name", "azurerm_postgresql_flexible_server_database", "azurerm_postgresql_flexible_server_active_directory_administrator"],
  "database.idleFloorConnections": ["azurerm_postgresql_flexible_server_configuration (pgbouncer.min_pool_size)"],
  "database.borrowTimeoutSeconds": ["azurerm_postgresql_flexible_server_configuration (pgbouncer.query_wait_timeout)"],
  "database.tls": ["azurerm_postgresql_flexible_server_configuration (require_secure_transport)"],
  "database.identityAuth": ["azurerm_postgresql_flexible_server.authentication"],
  "database.pointInTimeRecoveryDays": ["azurerm_postgresql_flexible_server.backup_retention_days"],
  "database.clients": ["azurerm_function_app_flex_consumption.app_settings (DB_<ID>_HOST)", "azurerm_function_app_flex_consumption.virtual_network_subnet_id"],
  "alarm.*": ["azurerm_monitor_metric_alert.criteria", "azurerm_monitor_metric_alert.window_size", "azurerm_monitor_metric_alert.auto_mitigate", "azurerm_monitor_metric_alert.scopes", "azurerm_monitor_metric_alert.action", "azurerm_monitor_scheduled_query_rules_alert_v2.criteria (query: what is counted, for which app; time_aggregation_method, operator, threshold, failing_periods)", "azurerm_monitor_scheduled_query_rules_alert_v2.window_duration", "azurerm_monitor_scheduled_query_rules_alert_v2.scopes", "azurerm_monitor_scheduled_query_rules_alert_v2.auto_mitigation_enabled", "azurerm_monitor_scheduled_query_rules_alert_v2.action"],
  "alarms.recipients": ["azurerm_monitor_action_group.email_receiver.email_address"],
  "budget.*": ["azurerm_consumption_budget_resource_group.amount", "azurerm_consumption_budget_resource_group.notification", "fact: the amount is in the billing account's currency"],
};

/** Flex Consumption's default HTTP concurrency per instance, by instance memory. */
const FLEX_HTTP_CONCURRENCY: Record<number, number> = { 512: 4, 2048: 16, 4096: 32 };
/** Service Bus trigger default maxConcurrentCalls per instance (extension 5.x). */
const SERVICE_BUS_DEFAULT_CALLS = 16;
const SB_CALLS_SETTING = "AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls";
/** The Functions front end ends an HTTP request after 230 s; API Management's forward-request waits 300 s by default. */
const HTTP_FRONT_END_SECONDS = 230;
const APIM_FORWARD_TIMEOUT = 300;
/** Service Bus's default for auto_delete_on_idle: never. */
const NEVER = "P10675199DT2H48M5.4775807S";
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

const uniq = (xs: Iterable<string>) => [...new Set(xs)].sort();
/** `hh:mm:ss` → seconds. */
const hms = (v: string) => v.split(":").reduce((n, p) => n * 60 + Number(p), 0);
const xmlText = (s: string) => s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&#64;/g, "@")
  .replace(/&#36;/g, "$").replace(/&#37;/g, "%").replace(/&#10;/g, "\n").replace(/&#13;/g, "\r").replace(/&#9;/g, "\t").replace(/&amp;/g, "&");

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
  const fnOf = (expr: unknown) => {
    const c = componentOf(refOf(expr)?.address ?? "");
    return c?.kind === "function" ? c.id : undefined;
  };
  const roles = Object.values<any>(R.azurerm_role_assignment ?? {});
  const holders = (role: string, scopeAddress: string) => roles.filter((r) => r.role_definition_name === role && refOf(r.scope)?.address === scopeAddress && refOf(r.scope)?.attr === "id");
  const subscriptions = Object.entries<any>(R.azurerm_eventgrid_event_subscription ?? {});
  const ruleKeyOf = (address: string) => {
    const c = componentOf(address);
    const rule = c?.rest.join("_") ?? "";
    return c && rule.startsWith("rule-") ? `${c.id}/${rule.slice("rule-".length)}` : undefined;
  };
  /** The trigger connection of an app to a queue: QUEUE_<X>__fullyQualifiedNamespace next to QUEUE_<X>_NAME naming it. */
  const triggers = (app: any, queueAddress: string) => Object.entries<string>(app.app_settings ?? {}).some(([k, v]) =>
    refOf(v)?.address === queueAddress && /_NAME$/.test(k) && `${k.slice(0, -"_NAME".length)}__fullyQualifiedNamespace` in (app.app_settings ?? {}));

  const invokers = new Map<string, string[]>();
  const addInvoker = (fn: string | undefined, who: string) => { if (fn) invokers.set(fn, [...(invokers.get(fn) ?? []), who]); };

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
      invokers: [],
    };
  }

  const queues: Record<string, QueueBehaviour> = {};
  /** Consumers whose runtime retries a failed Service Bus attempt by a scheduled copy (the invocation then succeeds). */
  const retriesByCopy = new Set<string>();
  for (const [key, items] of byComponent(R, "azurerm_servicebus_queue")) {
    const [address, q] = items[0];
    const id = key.slice("queue:".length);
    // The consumer holds the trigger connection and may receive from this queue; producers only hold the name.
    const consumerEntry = [...apps].find(([, [[, app]]]) => triggers(app, address)
      && holders("Azure Service Bus Data Receiver", address).some((r) => refOf(r.principal_id)?.address === refOf(app.identity?.identity_ids?.[0])?.address));
    const consumer = consumerEntry?.[0].slice("function:".length);
    addInvoker(consumer, `queue:${id}`);
    const forward = q.forward_dead_lettered_messages_to;
    // Senders: functions holding Data Sender on the queue, and rules whose Event Grid topic identity does and delivers here.
    const senders = holders("Azure Service Bus Data Sender", address).flatMap((r) => {
      const fn = fnOf(r.principal_id);
      if (fn) return [`function:${fn}`];
      const topic = refOf(r.principal_id);
      if (topic?.type !== "azurerm_eventgrid_topic") return [];
      return subscriptions.filter(([, s]) => refOf(s.scope)?.address === topic.address && refOf(s.service_bus_queue_endpoint_id)?.address === address && s.delivery_identity?.type === "SystemAssigned")
        .map(([a]) => ruleKeyOf(a)).filter((k): k is string => !!k).map((k) => `rule:${k}`);
    });
    const spacing = consumerEntry ? retrySpacing(R, address, q, consumerEntry[1][0]) : 0;
    if (consumer && spacing > 0) retriesByCopy.add(consumer);
    queues[id] = {
      consumer: consumer ? `function:${consumer}` : null,
      deliveryAttempts: q.max_delivery_count ?? 10,
      retrySpacingSeconds: spacing,
      visibilitySeconds: durationSeconds(q.lock_duration ?? "PT1M"),
      maxConsumerConcurrency: consumer ? functions[consumer].maxConcurrency : null,
      // Service Bus holds what the trigger has not locked; without a consumer nothing drains it.
      burstWithoutDeadLetter: consumer ? null : 0,
      retentionSeconds: durationSeconds(q.default_message_ttl ?? "P14D"),
      dlqRetentionSeconds: forward ? durationSeconds(R.azurerm_servicebus_queue?.[refOf(forward)?.address ?? ""]?.default_message_ttl ?? "P14D") : null,
      expiredMessages: q.dead_lettering_on_message_expiration ? "dead-lettered" : "dropped",
      // A queue deleted when idle takes its messages with it.
      dropsWithoutDeadLetter: (q.auto_delete_on_idle ?? NEVER) !== NEVER,
      senders: uniq(senders),
    };
  }

  const rules: Record<string, EventRuleBehaviour> = {};
  /** The rules (`<bus>/<rule>`) each Logic App workflow's posted ticks reach. */
  const workflowFeeds = new Map<string, string[]>();
  const logicActions = Object.values<any>(R.azurerm_logic_app_action_custom ?? {});
  const recurrences = Object.values<any>(R.azurerm_logic_app_trigger_recurrence ?? {});
  for (const [address, sub] of subscriptions) {
    const key = ruleKeyOf(address);
    if (!key) continue;
    const queueRef = refOf(sub.service_bus_queue_endpoint_id);
    const fn = fnOf(sub.azure_function_endpoint?.function_id);
    if (fn) addInvoker(fn, `rule:${key}`);
    const attempts = sub.retry_policy?.max_delivery_attempts ?? 30;
    const age = (sub.retry_policy?.event_time_to_live ?? 1440) * 60;
    const dead = sub.storage_blob_dead_letter_destination ? "dead-lettered" : "dropped";
    const queueId = queueRef ? componentOf(queueRef.address)?.id : undefined;
    const q = queueId ? queues[queueId] : undefined;
    const clauses = filterClauses(sub);
    // A scheduled rule is fed by a Logic App action posting a CloudEvent its filter matches.
    const posted = logicActions.map((a) => { try { return { a, body: JSON.parse(a.body).inputs?.body }; } catch { return undefined; } })
      .find((x) => x?.body && refOf(JSON.parse(x.a.body).inputs?.uri)?.address === refOf(sub.scope)?.address && clauses && matches(clauses, x.body));
    const recurrence = posted ? recurrences.find((r) => refOf(r.logic_app_id)?.address === refOf(posted.a.logic_app_id)?.address) : undefined;
    const workflow = posted ? refOf(posted.a.logic_app_id)?.address : undefined;
    if (workflow) workflowFeeds.set(workflow, [...(workflowFeeds.get(workflow) ?? []), key].sort());
    const common = {
      filter: posted ? null : clauses ? canonicalClauses(clauses) : "unreadable filter",
      schedule: posted ? (recurrence ? scheduleOf(recurrence) : "no recurrence") : null,
      delivers: posted ? scheduledEventText(posted.body.source, posted.body.type, posted.body.data) : null,
    };
    // Into a queue: Event Grid retries into the queue and dead-letters what it cannot deliver; once
    // there, the queue's attempts and retention apply.
    rules[key] = q
      ? { target: `queue:${queueId}`, ...common, attempts: q.deliveryAttempts, maxEventAgeSeconds: q.retentionSeconds, undeliverable: q.dropsWithoutDeadLetter || dead === "dropped" ? "dropped" : "dead-lettered", survivesOutageSeconds: q.retentionSeconds }
      : { target: `function:${fn}`, ...common, attempts, maxEventAgeSeconds: age, undeliverable: dead, survivesOutageSeconds: age };
  }

  const buses: Record<string, BusBehaviour> = {};
  /** Logic App workflows whose action posts to a topic, and may (EventGrid Data Sender on it). */
  const postersTo = (topic: string) => logicActions.filter((a) => { try { return refOf(JSON.parse(a.body).inputs?.uri)?.address === topic; } catch { return false; } })
    .map((a) => refOf(a.logic_app_id)).filter((w): w is NonNullable<typeof w> => !!w && holders("EventGrid Data Sender", topic).some((r) => refOf(r.principal_id)?.address === w.address));
  const functionSenders = (topic: string) => holders("EventGrid Data Sender", topic).map((r) => fnOf(r.principal_id)).filter((f): f is string => !!f);
  const archiveOf = (topic: string) => subscriptions.find(([, s]) => refOf(s.scope)?.address === topic && s.storage_queue_endpoint)?.[1];
  /** Each bus's own topic; the others in a bus are scheduled rules' tick topics. */
  const busTopics = new Set<string>();
  for (const [key, items] of byComponent(R, "azurerm_eventgrid_topic")) {
    const topics = items.map(([a]) => a);
    // The topic functions may send to or the archive reads, else one no workflow posts to.
    const address = topics.find((t) => archiveOf(t) || functionSenders(t).length) ?? topics.find((t) => !postersTo(t).length) ?? topics[0];
    busTopics.add(address);
    const archive = archiveOf(address);
    const ttl = archive?.storage_queue_endpoint?.queue_message_time_to_live_in_seconds;
    buses[key.slice("bus:".length)] = {
      // Functions that may send, and schedules whose ticks land on the bus topic (its archive and
      // every rule filtering on source or type would see them).
      publishers: uniq([...functionSenders(address).map((f) => `function:${f}`), ...postersTo(address).map((w) => (workflowFeeds.has(w.address) ? `rule:${workflowFeeds.get(w.address)![0]}` : `schedule:${w.address}`))]),
      // A storage queue message lives 7 days unless told otherwise; -1 is forever.
      archiveDays: archive ? (ttl === -1 ? Infinity : (ttl ?? 604800) / 86400) : null,
    };
  }

  const gateways: Record<string, GatewayBehaviour> = {};
  for (const [key, items] of byComponent(R, "azurerm_api_management_api_policy")) {
    const xml: string = items[0][1].xml_content;
    const backends = new Map((byComponent(R, "azurerm_api_management_backend").get(key) ?? []).map(([, b]) => [b.name, fnOf(b.resource_id)]));
    const cors = corsOf(xml);
    const routes: string[] = [];
    const edge: string[] = [];
    const jwt: string[] = [];
    const keys: string[] = [];
    const timeouts: Record<string, number> = {};
    const policies = byComponent(R, "azurerm_api_management_api_operation_policy").get(key) ?? [];
    for (const [opAddress, op] of byComponent(R, "azurerm_api_management_api_operation").get(key) ?? []) {
      const policy = policies.find(([, p]) => refOf(p.operation_id)?.address === opAddress)?.[1]?.xml_content ?? "";
      const backend = /set-backend-service backend-id="([^"]+)"/.exec(policy)?.[1];
      const fn = backends.get(xmlText(backend ?? ""));
      if (fn) addInvoker(fn, key);
      const validate = /<validate-jwt[\s\S]*?<\/validate-jwt>/.exec(policy)?.[0];
      if (validate) {
        const all = (tag: string) => [...validate.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, "g"))].map((m) => xmlText(m[1]));
        const issuers = all("issuer");
        jwt.push(jwtText(issuers.join(","), all("audience")));
        const url = /<openid-config url="([^"]*)"/.exec(validate)?.[1];
        keys.push(url ? `openid ${xmlText(url)}` : "none");
      }
      const forward = Number(/<forward-request[^>]*timeout="(\d+)"/.exec(policy)?.[1] ?? APIM_FORWARD_TIMEOUT);
      const path = String(op.url_template).replace(/\{\*([A-Za-z0-9_]+)\}/g, "{$1+}");
      for (const m of routeMethods(op.method, cors !== null)) {
        const line = `${m} ${path} -> ${fn}`;
        routes.push(line);
        if (validate) edge.push(line);
        timeouts[`${m} ${path}`] = Math.min(forward, HTTP_FRONT_END_SECONDS, fn ? functions[fn]?.timeoutSeconds ?? 1800 : 0);
      }
    }
    const limit = /<rate-limit-by-key calls="(\d+)" renewal-period="(\d+)"/.exec(xml);
    gateways[key.slice("gateway:".length)] = {
      routes: uniq(routes), edgeAuthenticated: uniq(edge),
      jwt: jwt.length ? uniq(jwt).join(" | ") : null,
      jwtKeys: keys.length ? uniq(keys).join(" | ") : null,
      cors,
      requestsPerMinute: limit ? Math.round((Number(limit[1]) * 60) / Number(limit[2])) : Infinity,
      burst: limit ? Number(limit[1]) : Infinity,
      routeTimeoutSeconds: Object.fromEntries(Object.entries(timeouts).sort(([a], [b]) => (a < b ? -1 : 1))),
    };
  }
  for (const [id, f] of Object.entries(functions)) functions[id] = { ...f, invokers: uniq(invokers.get(id) ?? []) };

  const databases: Record<string, DatabaseBehaviour> = {};
  for (const [key, items] of byComponent(R, "azurerm_postgresql_flexible_server")) {
    const [address, server] = items[0];
    const config = new Map((byComponent(R, "azurerm_postgresql_flexible_server_configuration").get(key) ?? []).map(([, c]) => [c.name, c.value]));
    const sku: string = server.sku_name;
    const maxConnections = Number(config.get("max_connections") ?? (sku.startsWith("B_") ? 50 : Object.values(POSTGRES_SIZES).find((s) => s.sku === sku)?.maxConnections ?? 100));
    const pooled = config.get("pgbouncer.enabled") === "true";
    // The server's Entra administrators, by the identity they name (the migration step's).
    const admins = Object.values<any>(R.azurerm_postgresql_flexible_server_active_directory_administrator ?? {}).filter((a) => refOf(a.server_name)?.address === address);
    const adminIdentities = new Set(admins.map((a) => refOf(a.object_id)?.address));
    const isAdmin = (app: any) => (app.identity?.identity_ids ?? []).some((i: string) => adminIdentities.has(refOf(i)?.address));
    // Functions configured with this server's address (DB_<ID>_HOST) and a path into the VNet, the administrator left out.
    const clients = [...apps].filter(([, [[, app]]]) => !isAdmin(app) && Object.entries<string>(app.app_settings ?? {}).some(([k, v]) => /^DB_.*_HOST$/.test(k) && refOf(v)?.address === address) && !!app.virtual_network_subnet_id)
      .map(([k]) => k);
    // PgBouncer keeps one pool per (user, database): every function logging in with its identity, and the Entra administrators.
    const users = [...apps].filter(([, [[, app]]]) => !isAdmin(app) && Object.values(app.app_settings ?? {}).some((v) => refOf(v)?.address === address)).length
      + admins.length;
    const dbs = (byComponent(R, "azurerm_postgresql_flexible_server_database").get(key) ?? []).length;
    // On the environment's shared server each login reaches its own service's database only: one pool each.
    const pairs = key === `database:${SHARED_SERVER_COMPONENT}` ? Math.max(1, users) : Math.max(1, users) * Math.max(1, dbs);
    // Flexible Server keeps AZURE_RESERVED_CONNECTIONS of max_connections for itself: clients can open the rest.
    const userConnections = maxConnections - AZURE_RESERVED_CONNECTIONS;
    const poolServerConnections = pooled ? Number(config.get("pgbouncer.default_pool_size") ?? 50) * pairs : userConnections;
    databases[key.slice("database:".length)] = {
      pooled,
      poolServerConnections,
      maxConnections,
      userConnections,
      pools: pooled ? pairs : 0,
      poolPercent: Math.round((100 * poolServerConnections) / userConnections),
      idleFloorConnections: pooled ? Number(config.get("pgbouncer.min_pool_size") ?? 0) * pairs : 0,
      borrowTimeoutSeconds: pooled ? Number(config.get("pgbouncer.query_wait_timeout") ?? 120) : null,
      tls: config.get("require_secure_transport") === "ON",
      identityAuth: server.authentication?.active_directory_auth_enabled === true && server.authentication?.password_auth_enabled === false,
      pointInTimeRecoveryDays: server.backup_retention_days ?? 7,
      clients: uniq(clients),
    };
  }

  const groups = R.azurerm_monitor_action_group ?? {};
  const emails = (actions: unknown) => (Array.isArray(actions) ? actions : []).flatMap((a: any) => {
    const g = groups[refOf(a.action_group_id)?.address ?? ""];
    return g?.enabled === false ? [] : (g?.email_receiver ?? []).map((e: any) => e.email_address as string);
  });
  const notified = new Set<string>();
  const alarms: Record<string, Partial<Record<ObservedSignal, AlarmCondition>>> = {};
  const names = componentNames(R);
  /**
   * The component an alert stands for: an alert on a scheduled rule's tick topic or on its Logic App
   * workflow is that rule's; one on the bus topic stands for the whole bus (every rule filtering it).
   */
  const alarmKey = (comp: { kind: string; id: string }, scopes: unknown[]) => {
    if (comp.kind === "bus") {
      for (const sc of scopes) {
        const ref = refOf(sc);
        const fed = ref?.type === "azurerm_logic_app_workflow" ? workflowFeeds.get(ref.address) ?? []
          : ref?.type === "azurerm_eventgrid_topic" && !busTopics.has(ref.address)
            ? subscriptions.filter(([a, sub]) => refOf(sub.scope)?.address === ref.address && ruleKeyOf(a)).map(([a]) => ruleKeyOf(a)!) : [];
        if (fed.length === 1) return `rule:${fed[0]}`;
      }
    }
    return `${comp.kind}:${comp.id}`;
  };
  for (const [address, alert] of Object.entries(R.azurerm_monitor_metric_alert ?? {}) as [string, any][]) {
    const comp = componentOf(address);
    const c = alert.criteria?.[0];
    const signal: ObservedSignal | undefined = c ? azureSignal(c) : undefined;
    // An alert counts for its component when it is scoped to that component's resource, or filters
    // a shared resource (Application Insights, the Service Bus namespace) by that component's name.
    const component = comp ? `${comp.kind}:${comp.id}` : "";
    const watches = (alert.scopes ?? []).some((sc: unknown) => namesComponent(sc, component, names))
      || (c?.dimension ?? []).some((d: any) => (d.values ?? []).some((v: unknown) => namesComponent(v, component, names)));
    if (!comp || !signal || alert.enabled === false || !watches) continue;
    const op = c.operator === "GreaterThan" ? "gt" : c.operator === "GreaterThanOrEqual" ? "ge" : undefined;
    if (!op) throw new Error(`${address}: operator ${c.operator} is not an upper bound`);
    let threshold = c.threshold;
    // A share of the connections clients can open: Flexible Server keeps AZURE_RESERVED_CONNECTIONS of max_connections.
    if (signal === "proxy.connectionSaturation") threshold = Math.round((100 * threshold) / databases[comp.id].userConnections);
    // A Service Bus consumer whose runtime retries failed attempts by a scheduled copy finishes those
    // invocations successfully: failed requests then count only last attempts, not every failed one.
    if (signal === "function.errors" && retriesByCopy.has(comp.id)) continue;
    const to = emails(alert.action);
    to.forEach((e: string) => notified.add(e));
    (alarms[alarmKey(comp, alert.scopes ?? [])] ??= {})[signal] = {
      atLeast: atLeast(signal, op, threshold),
      windowSeconds: durationSeconds(alert.window_size ?? "PT5M"),
      perSeries: false,
      statistic: ({ Total: "total", Count: "total", Maximum: "peak", Minimum: "low", Average: "mean" } as Record<string, AlarmStatistic>)[c.aggregation] ?? c.aggregation,
      // Metric alerts have no missing-data setting: a window without data does not breach; auto_mitigate resolves.
      missingData: alert.auto_mitigate === false ? "keep" : "ok",
      notifies: to.length > 0,
    };
  }

  // Log search alerts: what the query counts (failed requests of an app, and the runtime's line for
  // every Service Bus attempt it retries by a scheduled copy) decides the signal.
  for (const [address, alert] of Object.entries(R.azurerm_monitor_scheduled_query_rules_alert_v2 ?? {}) as [string, any][]) {
    const comp = componentOf(address);
    const c = alert.criteria?.[0];
    const counts = c ? logQueryCounts(String(c.query ?? "")) : undefined;
    const onInsights = (alert.scopes ?? []).length > 0 && (alert.scopes ?? []).every((sc: unknown) => refOf(sc)?.type === "azurerm_application_insights");
    if (!comp || comp.kind !== "function" || !counts || !onInsights || alert.enabled === false || !namesComponent(counts.app, `function:${comp.id}`, names)) continue;
    // Every failed attempt: failed requests, plus the retried attempts where the runtime retries by a scheduled copy.
    if (!counts.failedRequests || (retriesByCopy.has(comp.id) && !counts.retriedAttempts)) continue;
    const op = c.operator === "GreaterThan" ? "gt" : c.operator === "GreaterThanOrEqual" ? "ge" : undefined;
    if (!op) throw new Error(`${address}: operator ${c.operator} is not an upper bound`);
    const to = emails((alert.action?.[0]?.action_groups ?? alert.action?.action_groups ?? []).map((id: string) => ({ action_group_id: id })));
    to.forEach((e: string) => notified.add(e));
    const periods = c.failing_periods?.[0] ?? c.failing_periods ?? {};
    (alarms[`function:${comp.id}`] ??= {})["function.errors"] = {
      atLeast: atLeast("function.errors", op, c.threshold),
      windowSeconds: durationSeconds(alert.window_duration ?? "PT5M") * (periods.minimum_failing_periods_to_trigger_alert ?? 1),
      perSeries: false,
      statistic: ({ Count: "total", Total: "total", Maximum: "peak", Minimum: "low", Average: "mean" } as Record<string, AlarmStatistic>)[c.time_aggregation_method] ?? c.time_aggregation_method,
      // A window without rows counts 0 (not breaching); auto mitigation resolves the alert.
      missingData: alert.auto_mitigation_enabled === false ? "keep" : "ok",
      notifies: to.length > 0,
    };
  }

  const budget = Object.values(R.azurerm_consumption_budget_resource_group ?? {})[0] as any;
  const notes = ((budget?.notification ?? []) as any[]).filter((n) => n.enabled !== false);
  return spreadSharedServer({
    functions, queues, buses, rules, gateways, databases, alarms,
    alarmRecipients: uniq(notified),
    budget: budget
      ? {
          scope: "resource-group",
          amount: budget.amount,
          currency: "billing account currency",
          actualPercent: notes.filter((n) => (n.threshold_type ?? "Actual") === "Actual").map((n) => n.threshold).sort((x, y) => x - y),
          forecastPercent: notes.filter((n) => n.threshold_type === "Forecasted").map((n) => n.threshold).sort((x, y) => x - y),
          recipients: uniq(notes.flatMap((n) => n.contact_emails ?? [])),
        }
      : null,
  });
}

/** The signal an alert watches, from its metric namespace, metric and dimension filter. */
function azureSignal(c: any): ObservedSignal | undefined {
  const table: Record<string, ObservedSignal> = {
    "microsoft.insights/components/requests/failed": "function.errors", "Microsoft.Web/sites/Http429": "function.throttles", "microsoft.insights/components/requests/duration": "function.durationP99",
    "Microsoft.ApiManagement/service/Duration": "gateway.latencyP99",
    "Microsoft.ServiceBus/namespaces/ActiveMessages": "queue.oldestMessageAge", "Microsoft.ServiceBus/namespaces/DeadletteredMessages": "queue.dlqDepth",
    "Microsoft.EventGrid/topics/DeliveryAttemptFailCount": "bus.failedInvocations", "Microsoft.EventGrid/topics/DeadLetteredCount": "bus.sentToDlq",
    "Microsoft.Logic/workflows/RunsFailed": "schedule.failedRuns",
    "Microsoft.DBforPostgreSQL/flexibleServers/active_connections": "proxy.connectionSaturation", "Microsoft.DBforPostgreSQL/flexibleServers/client_connections_waiting": "proxy.pinnedConnections",
    "Microsoft.DBforPostgreSQL/flexibleServers/cpu_percent": "database.cpu", "Microsoft.DBforPostgreSQL/flexibleServers/storage_percent": "database.storage",
  };
  const metric = `${c.metric_namespace}/${c.metric_name}`;
  // API Management's Requests count every response: only the 5XX category is the 5xx signal.
  if (metric === "Microsoft.ApiManagement/service/Requests") {
    const category = (c.dimension ?? []).find((d: any) => d.name === "GatewayResponseCodeCategory");
    return category?.operator === "Include" && category.values?.length === 1 && category.values[0] === "5XX" ? "gateway.5xx" : undefined;
  }
  return table[metric];
}

/**
 * What a log search query counts, for the form the modules write: one table, or a `union` of
 * parenthesised ones, each `<table> | where cloud_RoleName == "<app>" and <condition>`. Failed
 * requests are `requests` with `success == false`; retried attempts are `traces` whose message has
 * the runtime's ATTEMPT_FAILED_EVENT. Any other form, or branches naming different apps, is unread.
 */
export function logQueryCounts(query: string): { app: string; failedRequests: boolean; retriedAttempts: boolean } | undefined {
  const branch = /(requests|traces)\s*\|\s*where\s+cloud_RoleName\s*==\s*"((?:[^"\\]|\\.)*)"\s+and\s+((?:success\s*==\s*false)|(?:message\s+has\s+"(?:[^"\\]|\\.)*"))/g;
  const found = [...query.matchAll(branch)];
  const rest = query.replace(branch, "").replace(/\bunion\b|[(),\s]/g, "");
  if (!found.length || rest !== "" || (found.length > 1 && !/^\s*union\b/.test(query))) return undefined;
  const apps = new Set(found.map((m) => JSON.parse(`"${m[2]}"`) as string));
  if (apps.size !== 1) return undefined;
  const has = (table: string, condition: string) => found.some((m) => m[1] === table && m[3].replace(/\s+/g, " ") === condition);
  return {
    app: [...apps][0],
    failedRequests: has("requests", "success == false"),
    retriedAttempts: has("traces", `message has ${JSON.stringify(ATTEMPT_FAILED_EVENT)}`),
  };
}

/** Event Grid filters as clauses: included event types, StringIn and StringBeginsWith on CloudEvents attributes and `data.<key>`. */
function filterClauses(sub: any): FilterClause[] | undefined {
  const clauses: FilterClause[] = [];
  if (sub.included_event_types) clauses.push({ field: "type", prefix: false, values: sub.included_event_types });
  const field = (key: string) => (key === "source" || key === "type" ? key : key.startsWith("data.") ? `attributes.${key.slice("data.".length)}` : `unknown ${key}`);
  const af = sub.advanced_filter ?? {};
  for (const [kind, entries] of Object.entries<any>(af)) {
    if (kind !== "string_in" && kind !== "string_begins_with") return undefined;
    for (const f of entries ?? []) clauses.push({ field: field(f.key), prefix: kind === "string_begins_with", values: f.values ?? [] });
  }
  return clauses;
}

/** Whether a posted CloudEvent passes the clauses (data keys as attributes). */
function matches(clauses: readonly FilterClause[], event: any): boolean {
  return clauses.every((c) => {
    const v = c.field.startsWith("attributes.") ? event.data?.[c.field.slice("attributes.".length)] : event[c.field];
    return typeof v === "string" && c.values.some((x) => (c.prefix ? v.startsWith(x) : v === x));
  });
}

/** A Logic App recurrence (UTC only) as canonical firing times. */
function scheduleOf(r: any): string {
  if ((r.time_zone ?? "UTC") !== "UTC" && r.time_zone !== "Coordinated Universal Time") return `time zone ${r.time_zone}`;
  const unit = ({ Second: 1, Minute: 60, Hour: 3600, Day: 86400, Week: 604800 } as Record<string, number>)[r.frequency];
  const s = r.schedule;
  // Without a start time a recurrence counts from whenever the workflow is saved (and runs then).
  const start = typeof r.start_time === "string" ? r.start_time : undefined;
  if (!s) {
    if (!unit) return `frequency ${r.frequency}`;
    const every = unit * (r.interval ?? 1);
    return start ? alignedRate(every, start) : canonicalSchedule({ everySeconds: every });
  }
  if ((r.interval ?? 1) !== 1 || !["Day", "Week", "Minute"].includes(r.frequency)) return `recurrence ${JSON.stringify(r)}`;
  const times: FiringTimes = {
    minutes: s.at_these_minutes ?? allOf("minutes"),
    hours: s.at_these_hours ?? allOf("hours"),
    daysOfMonth: allOf("daysOfMonth"),
    months: allOf("months"),
    daysOfWeek: r.frequency === "Week" && s.on_these_days ? s.on_these_days.map((d: string) => DAYS.indexOf(d)) : allOf("daysOfWeek"),
  };
  return start ? canonicalSchedule(times) : `${canonicalSchedule(times)}, and once whenever the workflow is saved`;
}

/** The `<cors>` policy as the same canonical JSON the other readers produce. */
function corsOf(xml: string): string | null {
  const cors = /<cors(?: allow-credentials="(true|false)")?>([\s\S]*?)<\/cors>/.exec(xml);
  if (!cors) return null;
  const all = (tag: string) => [...cors[2].matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, "g"))].map((m) => xmlText(m[1]));
  const expose = /<expose-headers>([\s\S]*?)<\/expose-headers>/.exec(cors[2])?.[1] ?? "";
  return canonicalCors({
    origins: all("origin"), methods: all("method"),
    headers: [...(/<allowed-headers>([\s\S]*?)<\/allowed-headers>/.exec(cors[2])?.[1] ?? "").matchAll(/<header>([^<]*)<\/header>/g)].map((m) => xmlText(m[1])),
    expose: [...expose.matchAll(/<header>([^<]*)<\/header>/g)].map((m) => xmlText(m[1])),
    maxAge: Number(/preflight-result-max-age="(\d+)"/.exec(cors[2])?.[1] ?? 0),
    credentials: cors[1] === "true",
  });
}
