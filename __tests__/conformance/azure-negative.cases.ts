import { ConformanceContext } from "@polycloud/core";
import { AZURE_CAPABILITIES, SERVICE_BUS_HOST_SETTINGS, subscriptionSuffix } from "@polycloud/azure";
import { referenceService } from "../../stacks/reference-service";
import { envByName } from "../helpers/synth";
import { allStacks } from "../helpers/all-stacks";

/** Each Azure conformance check is shown to fire on a doctored prod stack. */
const env = envByName("prod");
const service = referenceService(env);
const prod: ConformanceContext = { json: allStacks()["prod-azure"], service, env };
// The first resource of a type that renders a spec function (not a database's migration step).
const first = (json: any, type: string) => Object.entries(json.resource[type]).find(([k]) => !/_db-[a-z0-9-]+-migrate_/.test(k))![1] as any;
// Globally unique names carry the subscription suffix.
const suffix = subscriptionSuffix(env.clouds.azure!.subscriptionId);
const named = (json: any, type: string, name: string) => Object.values(json.resource[type]).find((r: any) => r.name === name || r.name === `${name}-${suffix}`) as any;

const cases: [string, (json: any) => void][] = [
  ["function.runtime", (j) => (first(j, "azurerm_function_app_flex_consumption").runtime_version = "18")],
  ["function.runtime", (j) => (j.resource.azurerm_storage_blob = {})],
  ["function.memory", (j) => (first(j, "azurerm_function_app_flex_consumption").instance_memory_in_mb = 4096)],
  ["function.timeout", (j) => (first(j, "azurerm_function_app_flex_consumption").app_settings.AzureFunctionsJobHost__functionTimeout = "01:00:00")],
  ["function.identity", (j) => (first(j, "azurerm_role_assignment").role_definition_name = "Owner")],
  ["function.identity", (j) => (first(j, "azurerm_function_app_flex_consumption").app_settings.AzureWebJobsStorage = "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=")],
  ["function.logRetention", (j) => (first(j, "azurerm_log_analytics_workspace").retention_in_days = 30)],
  ["function.tracing", (j) => delete first(j, "azurerm_function_app_flex_consumption").site_config.application_insights_connection_string],
  ["function.secrets", (j) => delete named(j, "azurerm_function_app_flex_consumption", "orders-prod-api").app_settings.PAYMENT_API_KEY_SECRET_NAME],
  ["function.concurrency", (j) => (named(j, "azurerm_function_app_flex_consumption", "orders-prod-api").maximum_instance_count = 1000)],
  ["function.concurrency", (j) => (named(j, "azurerm_function_app_flex_consumption", "orders-prod-worker").http_concurrency = 16)],
  ["function.concurrency", (j) => (named(j, "azurerm_function_app_flex_consumption", "orders-prod-worker").app_settings[SERVICE_BUS_HOST_SETTINGS.maxConcurrentCalls] = "16")],
  ["function.identity", (j) => delete j.resource.terraform_data],
  ["function.warmInstances", (j) => delete named(j, "azurerm_function_app_flex_consumption", "orders-prod-api").always_ready],
  ["function.asyncFailure", (j) => (first(j, "azurerm_servicebus_queue").dead_lettering_on_message_expiration = false)],
  ["gateway.routes", (j) => (first(j, "azurerm_api_management_api_operation").url_template = "/other")],
  ["gateway.throttle", (j) => (first(j, "azurerm_api_management_api_policy").xml_content = "<policies/>")],
  ["gateway.cors", (j) => (first(j, "azurerm_api_management_api_policy").xml_content = "<policies/>")],
  ["gateway.jwt", (j) => (first(j, "azurerm_api_management_api_operation_policy").xml_content = "<policies/>")],
  ["gateway.accessLogs", (j) => (j.resource.azurerm_api_management_api_diagnostic = {})],
  ["gateway.invokeScope", (j) => { delete Object.values<any>(j.resource.azurerm_function_app_flex_consumption).find((a) => a.auth_settings_v2).auth_settings_v2.active_directory_v2.allowed_identities; }],
  ["queue.dlq", (j) => (first(j, "azurerm_servicebus_queue").max_delivery_count = 50)],
  ["queue.dlqRetention", (j) => (first(j, "azurerm_servicebus_queue").dead_lettering_on_message_expiration = false)],
  ["queue.visibility", (j) => (first(j, "azurerm_servicebus_queue").lock_duration = "PT10S")],
  ["queue.encryption", (j) => (first(j, "azurerm_servicebus_namespace").local_auth_enabled = true)],
  ["queue.consumer", (j) => delete named(j, "azurerm_function_app_flex_consumption", "orders-prod-worker").app_settings.QUEUE_ORDERS__fullyQualifiedNamespace],
  ["queue.consumer", (j) => (j.resource.azurerm_private_endpoint = {})],
  ["queue.consumer", (j) => delete named(j, "azurerm_function_app_flex_consumption", "orders-prod-worker").virtual_network_subnet_id],
  ["bus.rules", (j) => { const s = named(j, "azurerm_eventgrid_event_subscription", "orders-prod-events-order-created"); delete s.included_event_types; delete s.advanced_filter; }],
  ["bus.retry", (j) => delete first(j, "azurerm_eventgrid_event_subscription").retry_policy],
  ["bus.dlq", (j) => delete first(j, "azurerm_eventgrid_event_subscription").storage_blob_dead_letter_destination],
  ["bus.archive", (j) => (named(j, "azurerm_eventgrid_event_subscription", "orders-prod-events-archive").storage_queue_endpoint.queue_message_time_to_live_in_seconds = 60)],
  ["proxy.pool", (j) => Object.values(j.resource.azurerm_postgresql_flexible_server_configuration).forEach((c: any) => c.name === "pgbouncer.enabled" && (c.value = "false"))],
  ["proxy.tls", (j) => Object.values(j.resource.azurerm_postgresql_flexible_server_configuration).forEach((c: any) => c.name === "require_secure_transport" && (c.value = "OFF"))],
  ["proxy.iamAuth", (j) => (first(j, "azurerm_postgresql_flexible_server").authentication.password_auth_enabled = true)],
  ["proxy.private", (j) => (first(j, "azurerm_postgresql_flexible_server").public_network_access_enabled = true)],
  ["proxy.backups", (j) => (first(j, "azurerm_postgresql_flexible_server").geo_redundant_backup_enabled = false)],
  ["proxy.deletionProtection", (j) => (j.resource.azurerm_management_lock = {})],
  ["alarms.channel", (j) => (first(j, "azurerm_monitor_metric_alert").action = [])],
  ["alarms.components", (j) => (j.resource.azurerm_monitor_metric_alert = {})],
  ["budget.notifications", (j) => (first(j, "azurerm_consumption_budget_resource_group").time_period.start_date = "2026-11-01T00:00:00Z")],
  ["tags.required", (j) => delete first(j, "azurerm_key_vault").tags.owner],
];

test("every capability has a negative control", () => {
  expect([...new Set(cases.map(([id]) => id))].sort()).toEqual(Object.keys(AZURE_CAPABILITIES).sort());
});

test.each(cases)("%s fires", (id, mutate) => {
  const json = JSON.parse(JSON.stringify(prod.json));
  mutate(json);
  expect((AZURE_CAPABILITIES as any)[id].check({ ...prod, json }).length).toBeGreaterThan(0);
});

