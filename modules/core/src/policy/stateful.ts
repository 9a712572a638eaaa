import { IConstruct } from "constructs";

/**
 * Terraform types whose destruction loses data: databases, queues and their DLQs, buses and
 * archives, secrets, keys and buckets. Shared by the policy rules, the address snapshot, the plan
 * guard and the aspect that protects them in environments with deletion protection.
 */
export const STATEFUL_TYPES: ReadonlySet<string> = new Set([
  "aws_rds_cluster", "aws_db_instance", "aws_sqs_queue", "aws_cloudwatch_event_bus", "aws_cloudwatch_event_archive",
  "aws_secretsmanager_secret", "aws_kms_key", "aws_s3_bucket", "aws_dynamodb_table",
  "google_sql_database_instance", "google_sql_database", "google_pubsub_topic", "google_pubsub_subscription",
  "google_secret_manager_secret", "google_kms_crypto_key", "google_kms_key_ring", "google_storage_bucket",
  "azurerm_postgresql_flexible_server", "azurerm_postgresql_flexible_server_database", "azurerm_servicebus_namespace",
  "azurerm_servicebus_queue", "azurerm_eventgrid_topic", "azurerm_key_vault", "azurerm_key_vault_secret", "azurerm_key_vault_key",
  "azurerm_storage_account", "azurerm_storage_container",
]);

export const isStateful = (type: string): boolean => STATEFUL_TYPES.has(type);

/**
 * A cdktf aspect (duck-typed, so core stays free of cdktf imports) that adds
 * `lifecycle.prevent_destroy` to every stateful resource when `enabled`. Add it to a stack with
 * `Aspects.of(stack).add(protectStatefulResources(env.deletionProtection))`.
 */
export function protectStatefulResources(enabled: boolean): { visit(node: IConstruct): void } {
  return {
    visit(node: IConstruct) {
      const r = node as unknown as { terraformResourceType?: string; addOverride?: (path: string, value: unknown) => void };
      if (enabled && r.terraformResourceType && isStateful(r.terraformResourceType) && typeof r.addOverride === "function") {
        r.addOverride("lifecycle.prevent_destroy", true);
      }
    },
  };
}
