/**
 * Arguments that force replacement, beyond the name-like ones every type has (`name`, `*_name`,
 * `location`, `region`, `project`, ...), for the types the stacks render: ForceNew /
 * RequiresReplace arguments of terraform-provider-aws, -google and -azurerm as we know them.
 * Not guaranteed exhaustive: the rename test also requires the whole configuration of every
 * resource present in two runs to be equal, so a missing entry weakens the message, not the check.
 */
export const FORCE_NEW: Readonly<Record<string, readonly string[]>> = {
  aws_vpc: ["cidr_block"],
  aws_subnet: ["vpc_id", "cidr_block", "availability_zone"],
  aws_security_group: ["vpc_id", "description"],
  aws_default_security_group: ["vpc_id"],
  aws_vpc_endpoint: ["vpc_id", "service_name", "vpc_endpoint_type"],
  aws_vpc_security_group_ingress_rule: ["security_group_id"],
  aws_vpc_security_group_egress_rule: ["security_group_id"],
  aws_sqs_queue: ["fifo_queue"],
  aws_sns_topic: ["fifo_topic"],
  aws_sns_topic_subscription: ["topic_arn", "protocol", "endpoint"],
  aws_kms_key: ["customer_master_key_spec", "key_usage", "multi_region"],
  aws_rds_cluster: ["cluster_identifier", "engine", "engine_mode", "master_username", "kms_key_id", "storage_encrypted"],
  aws_rds_cluster_instance: ["identifier", "cluster_identifier", "engine"],
  aws_rds_cluster_parameter_group: ["family", "description"],
  aws_db_proxy: ["engine_family"],
  aws_db_proxy_target: ["db_cluster_identifier", "db_proxy_name", "target_group_name"],
  aws_lambda_function: ["function_name"],
  aws_lambda_alias: ["function_name"],
  aws_lambda_permission: ["statement_id", "function_name", "action", "principal", "source_arn", "qualifier"],
  aws_lambda_event_source_mapping: ["event_source_arn"],
  aws_iam_role_policy: ["role"],
  aws_cloudwatch_event_rule: ["event_bus_name"],
  aws_cloudwatch_event_archive: ["event_source_arn"],
  aws_cloudwatch_event_target: ["rule", "event_bus_name", "target_id"],
  aws_apigatewayv2_api: ["protocol_type"],
  aws_apigatewayv2_stage: ["api_id"],
  aws_apigatewayv2_route: ["api_id"],
  aws_apigatewayv2_integration: ["api_id", "integration_type"],
  aws_apigatewayv2_authorizer: ["api_id"],
  aws_secretsmanager_secret: ["kms_key_id"],
  google_kms_key_ring: [],
  google_kms_crypto_key: ["key_ring", "purpose"],
  google_kms_crypto_key_iam_member: ["crypto_key_id", "member", "role"],
  google_storage_bucket: [],
  google_compute_network: ["auto_create_subnetworks"],
  google_compute_subnetwork: ["network"],
  google_compute_global_address: ["address_type", "purpose", "prefix_length", "network"],
  google_vpc_access_connector: ["subnet", "machine_type"],
  google_service_networking_connection: ["network", "service"],
  google_sql_database_instance: ["encryption_key_name"],
  google_sql_database: ["instance"],
  google_sql_user: ["instance", "type"],
  google_pubsub_topic: [],
  google_pubsub_subscription: ["topic"],
  google_service_account: ["account_id"],
  google_secret_manager_secret: ["secret_id", "replication"],
  google_logging_project_bucket_config: ["bucket_id"],
  google_billing_budget: ["billing_account"],
  google_project_service: ["service"],
  google_project_iam_member: ["member", "role", "condition"],
  google_monitoring_notification_channel: ["type"],
  google_cloudfunctions2_function: [],
  azurerm_storage_account: ["account_tier"],
  azurerm_storage_container: ["storage_account_id"],
  azurerm_storage_queue: ["storage_account_id"],
  azurerm_servicebus_queue: ["namespace_id"],
  azurerm_postgresql_flexible_server: ["delegated_subnet_id", "private_dns_zone_id"],
  azurerm_postgresql_flexible_server_database: ["server_id"],
  azurerm_postgresql_flexible_server_configuration: ["server_id"],
  azurerm_role_assignment: ["scope", "role_definition_name", "principal_id", "principal_type"],
  azurerm_management_lock: ["scope", "lock_level"],
  azurerm_service_plan: ["os_type"],
  azurerm_eventgrid_topic: ["input_schema"],
  azurerm_eventgrid_event_subscription: ["scope"],
  azurerm_consumption_budget_resource_group: ["resource_group_id"],
  azurerm_private_endpoint: ["subnet_id"],
  azurerm_key_vault: [],
};

const NAME_LIKE = /^(name|name_prefix|location|region|project|account_id|secret_id|bucket_id|identifier|cluster_identifier|function_name)$|_name$/;

/** The arguments of a resource of `type` whose change replaces it. */
export function identityAttributes(type: string, config: Record<string, unknown>): string[] {
  const extra = new Set(FORCE_NEW[type] ?? []);
  return Object.keys(config).filter((k) => NAME_LIKE.test(k) || extra.has(k)).sort();
}
