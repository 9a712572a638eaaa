import { azurePostgresRoots } from "@polycloud/azure";
import { Problems, Schedule, estimateStack, parseSchedule } from "@polycloud/core";
import fc from "fast-check";
import { INERT_SERVICE_BUS_HOST_SETTINGS, SERVICE_BUS_HOST_SETTINGS, parseServiceBusDuration, serviceBusDuration, toEventGridFilter, toLogicAppRecurrence } from "@polycloud/azure";
import { find, only, resources } from "../helpers/synth";
import { azureProblems, dev, globalNameOf, prod, staging, synthAzure, warnings } from "./shared";

const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

const roles = (json: any, role: string) => (Object.values(resources(json, "azurerm_role_assignment")) as any[]).filter((r) => r.role_definition_name === role);

describe("AzureQueue", () => {
  test("namespace: local auth off, TLS 1.2, Premium in prod", () => {
    expect(only(prod.json, "azurerm_servicebus_namespace")).toMatchObject({ sku: "Premium", local_auth_enabled: false, minimum_tls_version: "1.2", public_network_access_enabled: false });
    expect(only(dev.json, "azurerm_servicebus_namespace")).toMatchObject({ sku: "Standard", local_auth_enabled: false, public_network_access_enabled: true });
  });

  test("a Premium namespace is private: endpoint in the endpoint subnet, privatelink zone, trusted services for Event Grid, VNet-integrated consumer", () => {
    // "Allow": azurerm refuses "Deny" without IP or network rules once the namespace exists; public access is off anyway.
    expect(only(prod.json, "azurerm_servicebus_namespace").network_rule_set).toEqual({ default_action: "Allow", public_network_access_enabled: false, trusted_services_allowed: true });
    const pe = only(prod.json, "azurerm_private_endpoint");
    expect(pe).toMatchObject({
      subnet_id: expect.stringMatching(/azurerm_subnet\.foundation_network_endpoint-subnet/),
      private_service_connection: { is_manual_connection: false, subresource_names: ["namespace"], private_connection_resource_id: expect.stringMatching(/servicebus_namespace/) },
      private_dns_zone_group: { private_dns_zone_ids: [expect.stringMatching(/foundation_network_servicebus-zone/)] },
    });
    const worker = find(prod.json, "azurerm_function_app_flex_consumption", (a) => a.name === globalNameOf("prod", "worker"));
    expect(worker.virtual_network_subnet_id).toMatch(/fn-subnet/);
    // Standard cannot close its public endpoint: no endpoint, no zone, no rule set.
    expect(resources(dev.json, "azurerm_private_endpoint")).toEqual({});
    expect(only(dev.json, "azurerm_servicebus_namespace").network_rule_set).toBeUndefined();
  });

  test("producers of a private namespace are VNet-integrated too; a Standard namespace needs no VNet", () => {
    // No database and no secrets: only the private namespace can put a producer in the VNet (a
    // function reading secrets is there anyway: the Key Vault admits only that subnet).
    const noDb = (s: any) => { delete s.databases; s.functions.api.secrets = {}; s.queues.orders.producers = ["api"]; };
    const api = (json: any, env: string) => find(json, "azurerm_function_app_flex_consumption", (a) => a.name === globalNameOf(env as "dev" | "prod", "api"));
    expect(api(synthAzure("prod", () => {}, noDb).json, "prod").virtual_network_subnet_id).toMatch(/fn-subnet/);
    expect(api(synthAzure("dev", () => {}, noDb).json, "dev").virtual_network_subnet_id).toBeUndefined();
  });

  test("an existing network must name the endpoint subnet and zone for a Premium namespace, and they are used", () => {
    const sub = (name: string) => `/subscriptions/00000000-0000-4000-8000-000000000003/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/${name}`;
    const zone = (name: string) => `/subscriptions/00000000-0000-4000-8000-000000000003/resourceGroups/net/providers/Microsoft.Network/privateDnsZones/${name}`;
    const network = { databaseSubnetId: sub("db"), functionSubnetId: sub("fn"), privateDnsZoneId: zone("orders.private.postgres.database.azure.com") };
    expect(azureProblems("prod", (e) => { e.clouds.azure.network = network; })).toEqual(expect.arrayContaining([
      expect.stringMatching(/property 'clouds\.azure\.network\.endpointSubnetId' has value <missing>; allowed: a subnet for private endpoints/),
      expect.stringMatching(/property 'clouds\.azure\.network\.serviceBusDnsZoneId' has value <missing>; allowed: the privatelink\.servicebus\.windows\.net zone id/),
    ]));
    expect(azureProblems("prod", (e) => { e.clouds.azure.network = { ...network, endpointSubnetId: sub("pe"), serviceBusDnsZoneId: zone("servicebus.windows.net") }; })).toContainEqual(
      expect.stringMatching(/property 'clouds\.azure\.network\.serviceBusDnsZoneId' has value ".*"; allowed: the id of a private DNS zone privatelink\.servicebus\.windows\.net/),
    );
    const existing = { ...network, endpointSubnetId: sub("pe"), serviceBusDnsZoneId: zone("privatelink.servicebus.windows.net") };
    expect(azureProblems("prod", (e) => { e.clouds.azure.network = existing; })).toEqual([]);
    const json = synthAzure("prod", (e: any) => { e.clouds.azure.network = existing; }).json;
    expect(resources(json, "azurerm_virtual_network")).toEqual({});
    expect(only(json, "azurerm_private_endpoint")).toMatchObject({ subnet_id: sub("pe"), private_dns_zone_group: { private_dns_zone_ids: [zone("privatelink.servicebus.windows.net")] } });
  });

  test("queue: max deliveries from the spec, expiry dead-lettered, lock covering the consumer timeout", () => {
    // The canonical forms Service Bus returns (60 s, 4 days), so plans stay clean.
    expect(only(prod.json, "azurerm_servicebus_queue")).toMatchObject({ max_delivery_count: 5, lock_duration: "PT1M", dead_lettering_on_message_expiration: true, default_message_ttl: "P4D" });
  });

  test("a consumer whose timeout exceeds the 5-minute lock is rejected", () => {
    expect(azureProblems("dev", () => {}, (s) => { s.functions.worker.timeoutSeconds = 600; })).toContainEqual(
      expect.stringMatching(/AzureService: property 'functions\.worker\.timeoutSeconds' has value 600; allowed: at most 300 seconds for the consumer of queue orders/),
    );
  });

  test("the consumer receives with its identity on this queue only, through identity-based settings", () => {
    const receiver = roles(prod.json, "Azure Service Bus Data Receiver");
    expect(receiver).toHaveLength(1);
    expect(receiver[0].scope).toMatch(/^\$\{azurerm_servicebus_queue\./);
    const worker = find(prod.json, "azurerm_function_app_flex_consumption", (a) => a.name === globalNameOf("prod", "worker")).app_settings;
    expect(worker).toMatchObject({ QUEUE_ORDERS__fullyQualifiedNamespace: expect.stringMatching(/servicebus\.windows\.net$/), QUEUE_ORDERS__credential: "managedidentity", QUEUE_ORDERS__clientId: expect.stringMatching(/client_id/) });
    expect(JSON.stringify(worker)).not.toMatch(/SharedAccessKey|Endpoint=sb:/);
  });

  test("alerts: backlog and dead-lettered messages per queue", () => {
    const alerts = (Object.values(resources(prod.json, "azurerm_monitor_metric_alert")) as any[]).filter((a) => a.criteria[0].metric_namespace === "Microsoft.ServiceBus/namespaces");
    expect(alerts.map((a) => a.criteria[0].metric_name).sort()).toEqual(["ActiveMessages", "DeadletteredMessages"]);
    expect(alerts.find((a) => a.criteria[0].metric_name === "DeadletteredMessages").criteria[0]).toMatchObject({ operator: "GreaterThanOrEqual", threshold: 1, dimension: [{ name: "EntityName", operator: "Include", values: ["orders-prod-orders"] }] });
  });

  test("the backlog alert carries the environment's message-age threshold as its window (no age metric in Service Bus)", () => {
    const backlog = (json: any) => (Object.values(resources(json, "azurerm_monitor_metric_alert")) as any[]).find((a) => a.criteria[0].metric_name === "ActiveMessages");
    // dev: 900 s → PT15M; prod: 120 s → PT5M (windows round up). A backlog that never drops below one batch for that long.
    expect(backlog(dev.json)).toMatchObject({ window_size: "PT15M", frequency: "PT1M", criteria: [{ aggregation: "Minimum", operator: "GreaterThan", threshold: 10 }] });
    expect(backlog(prod.json)).toMatchObject({ window_size: "PT5M", criteria: [{ aggregation: "Minimum", threshold: 10 }] });
    const slow = synthAzure("dev", (e) => { e.alarms.thresholds.queueOldestMessageAgeSeconds = 7200; }).json;
    expect(backlog(slow)).toMatchObject({ window_size: "PT6H", frequency: "PT5M" });
  });
});

describe("AzureEventBus", () => {
  const sub = find(prod.json, "azurerm_eventgrid_event_subscription", (s) => s.name === "orders-prod-events-order-created");

  test("topic: CloudEvents schema, local auth off, system identity", () => {
    expect(only(prod.json, "azurerm_eventgrid_topic")).toMatchObject({ input_schema: "CloudEventSchemaV1_0", local_auth_enabled: false, identity: { type: "SystemAssigned" } });
  });

  test("rule subscription: translated filter, Service Bus endpoint with the topic's identity, retry policy", () => {
    expect(sub.included_event_types).toEqual(["OrderCreated"]);
    expect(sub.advanced_filter).toEqual({ string_in: [{ key: "source", values: ["orders.api"] }] });
    expect(sub.service_bus_queue_endpoint_id).toMatch(/servicebus_queue/);
    expect(sub.delivery_identity).toEqual({ type: "SystemAssigned" });
    expect(sub.retry_policy).toEqual({ max_delivery_attempts: 10, event_time_to_live: 60 });
    expect(roles(prod.json, "Azure Service Bus Data Sender").map((r) => r.principal_id)).toContainEqual(expect.stringMatching(/eventgrid_topic.*identity/));
  });

  test("dead letters go to a storage container written with the topic's identity", () => {
    expect(sub.storage_blob_dead_letter_destination).toEqual({ storage_account_id: expect.stringMatching(/storage_account/), storage_blob_container_name: expect.stringMatching(/storage_container.*dead-letters/) });
    expect(sub.dead_letter_identity).toEqual({ type: "SystemAssigned" });
    const writer = roles(prod.json, "Storage Blob Data Contributor").filter((r) => /eventgrid_topic/.test(r.principal_id));
    expect(writer).toHaveLength(1);
    expect(writer[0].scope).toMatch(/storage_container\.orders_bus-events_dead-letters/);
  });

  test("archive: every event to a storage queue kept for the archive retention", () => {
    const archive = find(prod.json, "azurerm_eventgrid_event_subscription", (s) => s.name === "orders-prod-events-archive");
    expect(archive.storage_queue_endpoint.queue_message_time_to_live_in_seconds).toBe(365 * 86400);
    expect(archive.advanced_filter).toBeUndefined();
  });

  test("filters that Event Grid cannot express are rejected by clause", () => {
    const p = new Problems("AzureEventBus(events)");
    expect(toEventGridFilter({ type: [], attributes: { "a-b": ["x"], many: Array.from({ length: 26 }, (_, i) => `v${i}`) } }, p, "rules.r")).toEqual({ includedEventTypes: undefined, advancedFilter: undefined });
    expect(p.messages()).toEqual([
      expect.stringMatching(/property 'rules\.r\.filter\.attributes\.a-b' has value "a-b"; allowed: an attribute key/),
      expect.stringMatching(/property 'rules\.r\.filter\.attributes\.many' has value 26; allowed: at most 25 values/),
      expect.stringMatching(/property 'rules\.r\.filter\.type' has value \[\]; allowed: at least one value/),
    ]);
    expect(azureProblems("dev", () => {}, (s) => { s.buses.events.rules["order-created"].filter.attributes = { "x.y": ["1"] }; })).toContainEqual(expect.stringMatching(/AzureEventBus\(events\): property 'rules\.order-created\.filter\.attributes\.x\.y'/));
    // The 25-value limit counts every advanced filter of a subscription together; values are at most 512 characters.
    const q = new Problems("AzureEventBus(events)");
    const values = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`);
    toEventGridFilter({ type: values(25), source: values(20), attributes: { tenant: values(6), long: ["x".repeat(513)] } }, q, "rules.r");
    expect(q.messages()).toEqual([
      expect.stringMatching(/property 'rules\.r\.filter\.attributes\.long' has value "x{40}…"; allowed: values of at most 512 characters/),
      expect.stringMatching(/property 'rules\.r\.filter' has value 26; allowed: at most 25 source, attribute and prefix values in all/),
    ]);
  });
});

test("prefix clauses become StringBeginsWith advanced filters on the CloudEvents attribute or data.<key>, counted in the 25-value limit", () => {
  const { json } = synthAzure("dev", () => {}, (s) => { s.buses.events.rules["order-created"].filter = { source: ["orders.api"], prefix: { type: ["Order"], attributes: { sku: ["A-", "B-"] } } }; });
  const sub = find(json, "azurerm_eventgrid_event_subscription", (x) => x.name === "orders-dev-events-order-created");
  expect(sub.included_event_types).toBeUndefined();
  expect(sub.advanced_filter).toEqual({ string_in: [{ key: "source", values: ["orders.api"] }], string_begins_with: [{ key: "type", values: ["Order"] }, { key: "data.sku", values: ["A-", "B-"] }] });
  const p = new Problems("AzureEventBus(events)");
  toEventGridFilter({ source: Array.from({ length: 24 }, (_, i) => `s${i}`), prefix: { type: ["a", "b"] } }, p, "rules.r");
  expect(p.messages()).toEqual([expect.stringMatching(/property 'rules\.r\.filter' has value 26; allowed: at most 25 source, attribute and prefix values/)]);
});

describe("scheduled rules", () => {
  test("a Logic App (UTC recurrence) posts a CloudEvent to the bus with its own identity, sender on that topic only; the rule's subscription filters on it and keeps retries and dead letters", () => {
    const { json } = synthAzure("dev", () => {}, (s) => { s.buses.events.rules.nightly = { schedule: "cron(30 3,15 * * MON-FRI)", target: { queue: "orders" }, retry: { maxAttempts: 7 } }; });
    const workflow = only(json, "azurerm_logic_app_workflow");
    expect(workflow).toMatchObject({ name: "orders-dev-events-nightly-schedule", identity: { type: "SystemAssigned" }, tags: expect.objectContaining({ environment: "dev" }) });
    expect(workflow.access_control).toBeUndefined();
    const trigger = only(json, "azurerm_logic_app_trigger_recurrence");
    expect(trigger).toMatchObject({ frequency: "Week", interval: 1, time_zone: "UTC", start_time: "2025-01-01T00:00:00Z", schedule: { at_these_hours: [3, 15], at_these_minutes: [30], on_these_days: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"] } });
    expect(trigger.logic_app_id).toMatch(/azurerm_logic_app_workflow\.[^.]+\.id/);
    const action = only(json, "azurerm_logic_app_action_custom");
    const body = JSON.parse(action.body);
    expect(body).toMatchObject({
      type: "Http",
      inputs: {
        method: "POST", uri: expect.stringMatching(/azurerm_eventgrid_topic\.[^.]+\.endpoint/),
        headers: { "Content-Type": "application/cloudevents+json; charset=utf-8" },
        authentication: { type: "ManagedServiceIdentity", audience: "https://eventgrid.azure.net" },
        body: { specversion: "1.0", source: "polycloud.schedule", type: "Scheduled Event", data: { polycloud_schedule: "nightly" } },
      },
    });
    // The sender grant: the workflow's identity, EventGrid Data Sender, scoped to the bus topic only; the action waits for it.
    const grants = Object.entries(resources(json, "azurerm_role_assignment")).filter(([, r]) => String(r.principal_id).includes("azurerm_logic_app_workflow"));
    expect(grants.map(([, r]) => [r.role_definition_name, r.scope])).toEqual([["EventGrid Data Sender", expect.stringMatching(/^\$\{azurerm_eventgrid_topic\.[^.]+\.id\}$/)]]);
    expect(action.depends_on).toEqual([expect.stringContaining(`azurerm_role_assignment.${grants[0][0]}`)]);
    const sub = find(json, "azurerm_eventgrid_event_subscription", (x) => x.name === "orders-dev-events-nightly");
    expect(sub.advanced_filter).toEqual({ string_in: [{ key: "source", values: ["polycloud.schedule"] }, { key: "data.polycloud_schedule", values: ["nightly"] }] });
    expect(sub).toMatchObject({ retry_policy: { max_delivery_attempts: 7 }, storage_blob_dead_letter_destination: expect.anything(), service_bus_queue_endpoint_id: expect.stringMatching(/servicebus_queue/) });
    // Not free at idle: every run bills the trigger and the action (2 slots × 5 days a week).
    const lines = estimateStack("dev-azure", json as never, { now: new Date("2026-11-28T00:00:00Z") }).lines.filter((l) => l.resourceType === "azurerm_logic_app_trigger_recurrence");
    expect(lines).toEqual([expect.objectContaining({ component: "execution", quantity: round6((2 * 5 * 730) / (24 * 7) * 2), unitPrice: 0.000025 })]);
  });

  test("rates and crons become Logic App recurrences; what the recurrence trigger cannot express fails synth by name", () => {
    const t = (text: string) => toLogicAppRecurrence(parseSchedule(text) as Schedule);
    // Rates count from the same fixed past start as crons: a save or update never fires a run (issue 28.18).
    expect(t("rate(15 minutes)")).toEqual({ recurrence: { frequency: "Minute", interval: 15, startTime: "2025-01-01T00:00:00Z" } });
    expect(t("rate(1 hour)")).toEqual({ recurrence: { frequency: "Hour", interval: 1, startTime: "2025-01-01T00:00:00Z" } });
    expect(t("rate(3 days)")).toEqual({ recurrence: { frequency: "Day", interval: 3, startTime: "2025-01-01T00:00:00Z" } });
    expect(t("cron(* * * * *)")).toEqual({ recurrence: { frequency: "Minute", interval: 1, startTime: "2025-01-01T00:00:00Z" } });
    expect(t("cron(*/20 8-10 * * *)").recurrence).toMatchObject({ frequency: "Day", schedule: { atTheseMinutes: [0, 20, 40], atTheseHours: [8, 9, 10] } });
    expect(t("cron(0 0 * * 0,7,SAT)").recurrence?.schedule?.onTheseDays).toEqual(["Sunday", "Saturday"]);
    expect(t("rate(501 days)").error).toMatch(/at most 500 days/);
    expect(azureProblems("dev", () => {}, (s) => { s.buses.events.rules.monthly = { schedule: "cron(0 3 1 * *)", target: { queue: "orders" } }; })).toContainEqual(
      expect.stringMatching(/AzureEventBus\(events\): property 'rules\.monthly\.schedule' has value "cron\(0 3 1 \* \*\)"; allowed: a schedule a Logic App recurrence can express: day-of-month and month must be \*/),
    );
  });
});

describe("AzureDatabaseProxy", () => {
  const server = only(prod.json, "azurerm_postgresql_flexible_server");

  test("private, Entra-only, geo-redundant backups and zone redundancy in prod", () => {
    expect(server).toMatchObject({
      public_network_access_enabled: false, delegated_subnet_id: expect.stringMatching(/subnet/), private_dns_zone_id: expect.stringMatching(/private_dns_zone/),
      authentication: { active_directory_auth_enabled: true, password_auth_enabled: false }, geo_redundant_backup_enabled: true, backup_retention_days: 35,
      high_availability: { mode: "ZoneRedundant" }, sku_name: "GP_Standard_D8ds_v5", version: "16",
    });
    expect(server.administrator_password).toBeUndefined();
    expect(server.administrator_login).toBeUndefined();
  });

  test("PgBouncer configuration is chained in order, each waiting for the previous one", () => {
    const configs = Object.entries(resources(prod.json, "azurerm_postgresql_flexible_server_configuration")) as [string, any][];
    // Walk the depends_on chain from the one configuration that waits for nothing.
    const order: [string, any][] = [configs.find(([, c]) => !c.depends_on)!];
    for (;;) {
      const prev = `azurerm_postgresql_flexible_server_configuration.${order[order.length - 1][0]}`;
      const next = configs.find(([, c]) => JSON.stringify(c.depends_on) === JSON.stringify([prev]));
      if (!next) break;
      order.push(next);
    }
    expect(order.map(([, c]) => c.name)).toEqual(["require_secure_transport", "pgbouncer.enabled", "pgbouncer.pool_mode", "pgbouncer.default_pool_size", "pgbouncer.min_pool_size", "pgbouncer.query_wait_timeout", "metrics.pgbouncer_diagnostics"]);
    const byName = Object.fromEntries(configs.map(([, c]) => [c.name, c.value]));
    // 90 % of the 3423 user connections (3438 less the 15 Azure keeps) over 3 (user, database) pools (api, worker, the Entra administrator); no idle floor.
    expect(byName).toMatchObject({ require_secure_transport: "ON", "pgbouncer.enabled": "true", "pgbouncer.pool_mode": "TRANSACTION", "pgbouncer.default_pool_size": "1026", "pgbouncer.min_pool_size": "0", "pgbouncer.query_wait_timeout": "5", "metrics.pgbouncer_diagnostics": "on" });
  });

  test("pool sizes follow the SKU actually deployed: staging's skuName D2ds_v5 (max_connections 859), not its medium size's D4ds_v5 (1719)", () => {
    expect(only(staging.json, "azurerm_postgresql_flexible_server").sku_name).toBe("GP_Standard_D2ds_v5");
    const byName = Object.fromEntries((Object.values(resources(staging.json, "azurerm_postgresql_flexible_server_configuration")) as any[]).map((c) => [c.name, c.value]));
    // (859 − 15 Azure keeps) × 90% over 3 (database, user) pools (two functions and the Entra administrator); no idle floor.
    expect(byName).toMatchObject({ "pgbouncer.default_pool_size": "253", "pgbouncer.min_pool_size": "0" });
  });

  test("functions connect to port 6432 (the migration step to 5432) over TLS verified against Azure's documented roots", () => {
    const settings = (Object.values(resources(prod.json, "azurerm_function_app_flex_consumption")) as any[]).map((a) => a.app_settings).filter((s) => s.DB_MAIN_HOST);
    expect(settings).toHaveLength(3);
    for (const s of settings) expect(s).toMatchObject({ DB_MAIN_PORT: s.POLYCLOUD_MIGRATE_DATABASE ? "5432" : "6432", DB_MAIN_SSLMODE: "verify-full", DB_MAIN_SSLROOTCERT: azurePostgresRoots(), DB_MAIN_HOST: expect.stringMatching(/fqdn/) });
    expect(azurePostgresRoots().match(/BEGIN CERTIFICATE/g)).toHaveLength(3);
    for (const a of Object.values(resources(prod.json, "azurerm_function_app_flex_consumption")) as any[]) expect(a.virtual_network_subnet_id).toMatch(/subnet/);
  });

  test("prod has a CanNotDelete lock and prevent_destroy; dev can be torn down", () => {
    expect(only(prod.json, "azurerm_management_lock")).toMatchObject({ lock_level: "CanNotDelete", scope: expect.stringMatching(/postgresql_flexible_server/) });
    expect(server.lifecycle).toEqual({ prevent_destroy: true, ignore_changes: ["zone", "high_availability[0].standby_availability_zone"] });
    expect(resources(dev.json, "azurerm_management_lock")).toEqual({});
    expect(only(dev.json, "azurerm_postgresql_flexible_server").lifecycle).toEqual({ ignore_changes: ["zone", "high_availability[0].standby_availability_zone"] });
  });

  test("Burstable is rejected unless the environment accepts no pooling, then warns and skips PgBouncer", () => {
    expect(azureProblems("dev", (e) => { delete e.clouds.azure.database.acceptNoPooling; })).toContainEqual(
      expect.stringMatching(/AzureDatabaseProxy\(main\): property 'environments\/dev\.clouds\.azure\.database\.skuName' has value "B_Standard_B1ms"; allowed: a General Purpose or Memory Optimized SKU/),
    );
    expect(warnings(dev.stack)).toContainEqual(expect.stringMatching(/Burstable, which cannot run PgBouncer/));
    expect((Object.values(resources(dev.json, "azurerm_postgresql_flexible_server_configuration")) as any[]).map((c) => c.name)).toEqual(["require_secure_transport"]);
  });
});

describe("Service Bus durations, redelivery spacing and Event Grid delivery (issue 13)", () => {
  test("durations in the canonical form Service Bus returns", () => {
    const cases: [number, string][] = [[0, "PT0S"], [30, "PT30S"], [60, "PT1M"], [90, "PT1M30S"], [300, "PT5M"], [3600, "PT1H"], [3661, "PT1H1M1S"], [86400, "P1D"], [90061, "P1DT1H1M1S"], [345600, "P4D"], [1209600, "P14D"], [86460, "P1DT1M"]];
    expect(cases.map(([s]) => serviceBusDuration(s))).toEqual(cases.map(([, iso]) => iso));
    expect(() => serviceBusDuration(1.5)).toThrow(/not a whole number of seconds/);
    // Round trip, and never a non-canonical spelling (no zero parts, no seconds ≥ 60 and so on).
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 * 365 * 86400 }), (s) => {
      const iso = serviceBusDuration(s);
      return parseServiceBusDuration(iso) === s && !/(^|[^0-9])0[DHMS]/.test(iso.replace(/^PT0S$/, "")) && !/(\d{2,}H)/.test(iso.replace(/([2-9]\d|1\d|\d)H/, "")) && /^P(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$/.test(iso);
    }));
    expect(parseServiceBusDuration("P1M")).toBeNaN();
    for (const f of [dev, staging, prod]) {
      const q = only(f.json, "azurerm_servicebus_queue");
      expect(serviceBusDuration(parseServiceBusDuration(q.lock_duration))).toBe(q.lock_duration);
      expect(serviceBusDuration(parseServiceBusDuration(q.default_message_ttl))).toBe(q.default_message_ttl);
    }
  });

  test("the consumer's Service Bus trigger settings and retry spacing are explicit app settings; it may re-send to its own queue only, granted before the app starts", () => {
    const workerEntry = Object.entries<any>(resources(prod.json, "azurerm_function_app_flex_consumption")).find(([, a]) => a.name === globalNameOf("prod", "worker"))!;
    const [workerAddress, workerApp] = workerEntry;
    const worker = workerApp.app_settings;
    const queue = only(prod.json, "azurerm_servicebus_queue");
    const queueAddress = Object.keys(resources(prod.json, "azurerm_servicebus_queue"))[0];
    expect(worker).toMatchObject({
      [SERVICE_BUS_HOST_SETTINGS.maxConcurrentCalls]: "1",
      [SERVICE_BUS_HOST_SETTINGS.prefetchCount]: "0",
      // What the runtime needs to re-send a failed message: namespace, queue, delay, attempts.
      QUEUE_ORDERS__fullyQualifiedNamespace: expect.stringMatching(/\.servicebus\.windows\.net$/),
      QUEUE_ORDERS_NAME: `\${azurerm_servicebus_queue.${queueAddress}.name}`,
      // What SQS waits on AWS: the resolved visibility timeout (the 60 s consumer timeout × 6).
      PLATFORM_QUEUE_ORDERS_RETRY_DELAY_SECONDS: "360",
      PLATFORM_QUEUE_ORDERS_MAX_DELIVERIES: String(queue.max_delivery_count),
    });
    // The trigger takes one message per invocation (cardinality "one"): batch and session settings
    // would do nothing, so none are written, and the spec's batch of 10 warns (issue 28.17).
    for (const inert of INERT_SERVICE_BUS_HOST_SETTINGS) expect(Object.keys(worker)).not.toContain(inert);
    expect(warnings(prod.stack)).toContainEqual(expect.stringMatching(/AzureQueue\(orders\): property 'batchSize' = 10 \(batchWindowSeconds 1\) cannot be honoured on Azure: the Service Bus trigger hands the handler one message per invocation/));
    // Data Sender for the worker's identity on exactly its own queue (not the namespace), and the app waits for it.
    const identity = /azurerm_user_assigned_identity\.([^.]+)\.id/.exec(workerApp.identity.identity_ids[0])![1];
    const senders = Object.entries<any>(resources(prod.json, "azurerm_role_assignment"))
      .filter(([, r]) => r.role_definition_name === "Azure Service Bus Data Sender" && r.principal_id === `\${azurerm_user_assigned_identity.${identity}.principal_id}`);
    expect(senders.map(([, r]) => r.scope)).toEqual([`\${azurerm_servicebus_queue.${queueAddress}.id}`]);
    expect(workerApp.depends_on).toContain(`azurerm_role_assignment.${senders[0][0]}`);
    expect(workerAddress).toMatch(/fn-worker/);
    expect(warnings(prod.stack).filter((w) => /visibilityTimeoutSeconds|redelivered at once|retrySpacingSeconds/.test(w) && !/^behaviour of service orders, queue:orders: queue\.visibilitySeconds on azure is the lock/.test(w))).toEqual([]);
    // A per-queue cap below the consumer's is not enforceable by the trigger: warned, not dropped.
    // A Python consumer has no delayed re-send: warned, and no Data Sender it would not use.
    // (The worker also serves a route here: a consumer that only its queue invokes is capped at the queue's limit instead.)
    const capped = synthAzure("dev", () => {}, (sv) => {
      sv.queues.orders.maxConcurrency = 2; sv.functions.worker.runtime = "python3.12";
      sv.gateways.public.routes.push({ method: "GET", path: "/work", function: "worker", authorized: false });
    });
    const queueOnly = synthAzure("dev", () => {}, (sv) => { sv.queues.orders.maxConcurrency = 2; });
    const onlyWorker = find(queueOnly.json, "azurerm_function_app_flex_consumption", (x) => /worker/.test(x.name));
    expect(onlyWorker.maximum_instance_count * Number(onlyWorker.app_settings.AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls)).toBe(2);
    expect(warnings(queueOnly.stack).filter((w) => /AzureQueue\(orders\): property 'maxConcurrency'/.test(w))).toEqual([]);
    expect(warnings(capped.stack)).toContainEqual(expect.stringMatching(/AzureQueue\(orders\): property 'maxConcurrency' = 2 is not enforced per queue on Azure.*Set the consumer's concurrency\.max to 2/));
    expect(warnings(capped.stack)).toContainEqual(expect.stringMatching(/AzureQueue\(orders\): consumer 'worker' runs python3\.12; the Python runtime does not schedule delayed retries, so a failed message is redelivered at once .* not \d+ s later/));
    expect(warnings(capped.stack)).toContainEqual(expect.stringMatching(/^behaviour of service orders, queue:orders: queue\.retrySpacingSeconds on azure is 0 \(immediate redelivery\) when the consumer runs Python/));
    expect(roles(capped.json, "Azure Service Bus Data Sender").filter((r) => /fn-worker/.test(r.principal_id))).toEqual([]);
    expect(warnings(dev.stack).filter((w) => /maxConcurrency' =|also consumes|Python runtime/.test(w))).toEqual([]);
    // Two queues, the second also produced by its consumer: one Data Sender per queue, each on its own queue.
    const twoQueues = synthAzure("dev", () => {}, (sv) => { sv.queues.refunds = { ...sv.queues.orders, producers: ["worker"] }; });
    expect(warnings(twoQueues.stack)).toContainEqual(expect.stringMatching(/AzureQueue\(refunds\): consumer 'worker' also consumes orders; maxConcurrentCalls applies to each Service Bus trigger, so its concurrency can reach 2 × 5/));
    const workerSenders = roles(twoQueues.json, "Azure Service Bus Data Sender").filter((r) => /fn-worker/.test(r.principal_id)).map((r) => /azurerm_servicebus_queue\.[^_]+_queue-([a-z]+)_/.exec(r.scope)?.[1]);
    expect(workerSenders.sort()).toEqual(["orders", "refunds"]);
    // A Python consumer that also produces to its own queue still gets Data Sender (for its sends, not re-sends).
    const pySelf = synthAzure("dev", () => {}, (sv) => { sv.functions.worker.runtime = "python3.12"; sv.queues.orders.producers = [...(sv.queues.orders.producers ?? []), "worker"]; });
    expect(roles(pySelf.json, "Azure Service Bus Data Sender").filter((r) => /fn-worker/.test(r.principal_id)).map((r) => /azurerm_servicebus_queue\.[^_]+_queue-([a-z]+)_/.exec(r.scope)?.[1])).toEqual(["orders"]);
  });

  test("Event Grid reaches the private namespace the documented way: the topic's identity delivers, holds Data Sender on the queue, and trusted services pass the firewall", () => {
    const ns = only(prod.json, "azurerm_servicebus_namespace");
    expect(ns).toMatchObject({ public_network_access_enabled: false, network_rule_set: { trusted_services_allowed: true, public_network_access_enabled: false } });
    const toQueue = (Object.values(resources(prod.json, "azurerm_eventgrid_event_subscription")) as any[]).filter((s) => s.service_bus_queue_endpoint_id);
    expect(toQueue.length).toBeGreaterThan(0);
    for (const s of toQueue) expect(s.delivery_identity).toEqual({ type: "SystemAssigned" });
    expect(roles(prod.json, "Azure Service Bus Data Sender").filter((r) => /eventgrid_topic.*identity\.0\.principal_id|identity\[0\]\.principal_id/.test(r.principal_id) || /eventgrid_topic/.test(r.principal_id))).not.toHaveLength(0);
  });
});

test("a database asking for the shared server gets a database on the environment's shared PostgreSQL server, no server of its own and no warning", () => {
  const { stack, json } = synthAzure("dev", () => {}, (s) => { s.databases.main.server = "shared"; });
  expect(Object.keys(json.resource.azurerm_postgresql_flexible_server)).toEqual([expect.stringMatching(/^shared-tier_db_server_/)]);
  expect(Object.values<any>(json.resource.azurerm_postgresql_flexible_server_database)).toEqual([expect.objectContaining({ name: "orders_app", server_id: expect.stringMatching(/shared-tier_db_server_/) })]);
  expect(warnings(stack).filter((w) => /property 'server'/.test(w))).toEqual([]);
  expect(Object.keys(synthAzure("dev", () => {}, (s) => { s.databases.main.server = "own"; }).json.resource.azurerm_postgresql_flexible_server)).toEqual([expect.stringMatching(/^orders_db-main_/)]);
});
