import { RefreshTable, SynthConfig } from "./types";

/**
 * azurerm 4.73 (hashicorp/terraform-provider-azurerm at v4.73.0, internal/services/…): every Read
 * GETs its resource (`*\/read` covers those, as in the built-in Reader role). Listed here are the
 * POSTs a Read makes on top, which Reader lacks, and whether a failure of one is fatal to the
 * refresh (when the provider tolerates a 403, the permission is not granted: a key that is not
 * needed is not read). Data actions (storage data plane, `storage_use_azuread = true`) are scoped
 * by a role-assignment condition to the containers the stacks' blobs live in.
 */
const READ = "*/read";
const svc = (path: string) => `internal/services/${path}.go`;
const reads = (source: string, note?: string) => ({ calls: ["GET"], permissions: [READ], source, ...(note ? { note } : {}) });

/** APIM's portal secrets are read only for the classic tiers (api_management_resource.go: not Consumption, not a v2 SKU). */
function apimPermissions(config: SynthConfig): string[] {
  const sku = String(config.sku_name ?? "");
  const classic = !/^Consumption/.test(sku) && !/V2/.test(sku);
  return classic ? [READ, "Microsoft.ApiManagement/service/portalsettings/listSecrets/action", "Microsoft.ApiManagement/service/tenant/listSecrets/action"] : [READ];
}

export const AZURE_REFRESH: RefreshTable = {
  azurerm_api_management: { calls: ["GET", "POST portalsettings/delegation/listSecrets (classic tiers)", "POST tenant/access/listSecrets (classic tiers)"], permissions: apimPermissions, source: svc("apimanagement/api_management_resource") },
  azurerm_api_management_api: reads(svc("apimanagement/api_management_api_resource")),
  azurerm_api_management_api_diagnostic: reads(svc("apimanagement/api_management_api_diagnostic_resource")),
  azurerm_api_management_api_operation: reads(svc("apimanagement/api_management_api_operation_resource")),
  azurerm_api_management_api_operation_policy: reads(svc("apimanagement/api_management_api_operation_policy_resource")),
  azurerm_api_management_api_policy: reads(svc("apimanagement/api_management_api_policy_resource")),
  azurerm_api_management_backend: reads(svc("apimanagement/api_management_backend_resource")),
  azurerm_api_management_logger: reads(svc("apimanagement/api_management_logger_resource")),
  azurerm_api_management_named_value: reads(svc("apimanagement/api_management_named_value_resource"), "A secret named value's value is not returned by GET and not listed."),
  azurerm_application_insights: reads(svc("applicationinsights/application_insights_resource")),
  azurerm_consumption_budget_resource_group: reads(svc("consumption/consumption_budget_resource_group_resource")),
  azurerm_eventgrid_event_subscription: {
    calls: ["GET", "POST getFullUrl"], permissions: [READ, "Microsoft.EventGrid/eventSubscriptions/getFullUrl/action"], source: svc("eventgrid/eventgrid_event_subscription_resource"),
    note: "The Read tolerates only a 400 (non-webhook destination) from getFullUrl; a 403 fails the refresh.",
  },
  azurerm_eventgrid_topic: {
    calls: ["GET", "POST listKeys"], permissions: [READ, "Microsoft.EventGrid/topics/listKeys/action"], source: svc("eventgrid/eventgrid_topic_resource"),
    note: "The Read fails without the topic's access keys (stored in state as primary/secondary_access_key).",
  },
  azurerm_function_app_flex_consumption: {
    calls: ["GET", "POST config/appsettings/list", "POST config/connectionstrings/list", "POST config/publishingcredentials/list", "POST config/authsettings/list", "GET config/web"],
    permissions: [READ, "Microsoft.Web/sites/config/list/action"], source: svc("appservice/function_app_flex_consumption_resource"),
    note: "One action covers app settings, connection strings, publishing and auth settings; every one of them fails the refresh with 403.",
  },
  azurerm_key_vault: reads(svc("keyvault/key_vault_resource"), "The certificate-contacts data-plane call tolerates a 403."),
  azurerm_log_analytics_workspace: reads(svc("loganalytics/log_analytics_workspace_resource"), "Shared keys: the Read logs a failure and goes on, so they are not granted."),
  // A scheduled rule's recurrence (coffee's morning schedule): the trigger and the action are read from the workflow's definition (one GET of the workflow).
  azurerm_logic_app_action_custom: reads(svc("logic/logic_app_action_custom_resource")),
  azurerm_logic_app_trigger_recurrence: reads(svc("logic/logic_app_trigger_recurrence_resource")),
  azurerm_logic_app_workflow: reads(svc("logic/logic_app_workflow_resource")),
  azurerm_management_lock: reads(svc("resource/management_lock_resource")),
  azurerm_monitor_action_group: reads(svc("monitor/monitor_action_group_resource")),
  azurerm_monitor_diagnostic_setting: reads(svc("monitor/monitor_diagnostic_setting_resource")),
  azurerm_monitor_metric_alert: reads(svc("monitor/monitor_metric_alert_resource")),
  azurerm_monitor_scheduled_query_rules_alert_v2: reads(svc("monitor/monitor_scheduled_query_rules_alert_v2_resource")),
  azurerm_postgresql_flexible_server: reads(svc("postgres/postgresql_flexible_server_resource")),
  azurerm_postgresql_flexible_server_active_directory_administrator: reads(svc("postgres/postgresql_flexible_server_aad_administrator_resource")),
  azurerm_postgresql_flexible_server_configuration: reads(svc("postgres/postgresql_flexible_server_configuration_resource")),
  azurerm_postgresql_flexible_server_database: reads(svc("postgres/postgresql_flexible_server_database_resource")),
  azurerm_private_dns_zone: reads(svc("privatedns/private_dns_zone_resource")),
  azurerm_private_dns_zone_virtual_network_link: reads(svc("privatedns/private_dns_zone_virtual_network_link_resource")),
  azurerm_private_endpoint: reads(svc("network/private_endpoint_resource")),
  azurerm_resource_group: reads(svc("resource/resource_group_resource")),
  azurerm_role_assignment: reads(svc("authorization/role_assignment_resource")),
  azurerm_service_plan: reads(svc("appservice/service_plan_resource")),
  azurerm_servicebus_namespace: reads(svc("servicebus/servicebus_namespace_resource"), "Default keys: the Read logs a failure of NamespacesListKeys and goes on, so they are not granted."),
  azurerm_servicebus_queue: reads(svc("servicebus/servicebus_queue_resource")),
  azurerm_storage_account: reads(svc("storage/storage_account_resource"), "ListKeys: a 403 is tolerated (shared keys are off anyway); blob, file and queue service properties are `*/read` actions."),
  azurerm_storage_blob: {
    calls: ["GET storage accounts (find account)", "HEAD blob (data plane)"],
    permissions: [READ, "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"], source: svc("storage/storage_blob_resource"),
    note: "A data action that would also read blob contents: the role assignment's condition limits it to the containers of the stacks' blobs (function packages built from this repository), not the dead-letter containers.",
  },
  azurerm_storage_container: reads(svc("storage/storage_container_resource"), "With storage_account_id the Read uses Resource Manager, not the data plane."),
  azurerm_storage_queue: reads(svc("storage/storage_queue_resource"), "With storage_account_id the Read uses Resource Manager, not the data plane."),
  azurerm_subnet: reads(svc("network/subnet_resource")),
  azurerm_user_assigned_identity: reads(svc("managedidentity/user_assigned_identity_resource")),
  azurerm_virtual_network: reads(svc("network/virtual_network_resource")),
  terraform_data: { calls: [], permissions: [], source: "terraform (built in): no API" },
  "data.azurerm_client_config": { calls: [], permissions: [], source: svc("authorization/client_config_data_source") + ": the token's claims, no call" },
  "data.azurerm_function_app_host_keys": {
    calls: ["GET site", "POST host/default/listkeys"], permissions: [READ, "Microsoft.Web/sites/host/listkeys/action"], source: svc("web/function_app_host_keys_data_source"),
    note: "The API Management named value holds the function key (docs/gitops.md, what reaches state); reading it is part of every plan.",
  },
};

/** Data actions (data plane) among the permissions above: granted only with the storage condition. */
export const AZURE_DATA_ACTIONS = new Set(["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]);
