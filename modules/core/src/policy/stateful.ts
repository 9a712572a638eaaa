import { IConstruct } from "constructs";

/**
 * Terraform resource types whose destruction or replacement loses data or breaks clients:
 * databases, queues and their DLQs, buses and archives, secrets, keys and storage. One list for
 * all clouds, shared by the policy rules, the address snapshot, the plan summary and guard, and
 * the aspect that protects them where the environment asks for deletion protection.
 */
export type StatefulKind = "database" | "queue" | "dead-letter queue" | "event bus" | "secret" | "key" | "storage";

type Provider = "aws" | "google" | "azurerm";

/** `<provider>_<resource>` — the prefix keeps the list from drifting to another provider's names. */
type TypeName<P extends Provider> = `${P}_${string}`;

interface StatefulTypes {
  readonly aws: Readonly<Record<TypeName<"aws">, StatefulKind>>;
  readonly google: Readonly<Record<TypeName<"google">, StatefulKind>>;
  readonly azurerm: Readonly<Record<TypeName<"azurerm">, StatefulKind>>;
}

export const STATEFUL_KINDS: StatefulTypes = {
  aws: {
    aws_db_instance: "database",
    aws_rds_cluster: "database",
    aws_rds_cluster_instance: "database",
    aws_rds_global_cluster: "database",
    aws_dynamodb_table: "database",
    aws_docdb_cluster: "database",
    aws_neptune_cluster: "database",
    aws_redshift_cluster: "database",
    aws_elasticache_cluster: "database",
    aws_elasticache_replication_group: "database",
    aws_elasticache_serverless_cache: "database",
    aws_memorydb_cluster: "database",
    aws_sqs_queue: "queue",
    aws_mq_broker: "queue",
    aws_sns_topic: "queue",
    aws_kinesis_stream: "event bus",
    aws_cloudwatch_event_bus: "event bus",
    aws_cloudwatch_event_archive: "event bus",
    aws_secretsmanager_secret: "secret",
    aws_secretsmanager_secret_version: "secret",
    aws_ssm_parameter: "secret",
    aws_kms_key: "key",
    aws_kms_replica_key: "key",
    aws_s3_bucket: "storage",
    aws_efs_file_system: "storage",
    aws_backup_vault: "storage",
  },
  google: {
    google_sql_database_instance: "database",
    google_sql_database: "database",
    google_alloydb_cluster: "database",
    google_alloydb_instance: "database",
    google_spanner_instance: "database",
    google_spanner_database: "database",
    google_bigtable_instance: "database",
    google_bigtable_table: "database",
    google_firestore_database: "database",
    google_redis_instance: "database",
    google_bigquery_dataset: "database",
    google_bigquery_table: "database",
    google_pubsub_topic: "queue",
    google_pubsub_subscription: "queue",
    google_cloud_tasks_queue: "queue",
    google_eventarc_message_bus: "event bus",
    google_eventarc_channel: "event bus",
    google_secret_manager_secret: "secret",
    google_secret_manager_secret_version: "secret",
    google_kms_key_ring: "key",
    google_kms_crypto_key: "key",
    google_storage_bucket: "storage",
    google_filestore_instance: "storage",
  },
  azurerm: {
    azurerm_postgresql_flexible_server: "database",
    azurerm_postgresql_flexible_server_database: "database",
    azurerm_postgresql_server: "database",
    azurerm_postgresql_database: "database",
    azurerm_mysql_flexible_server: "database",
    azurerm_mysql_flexible_database: "database",
    azurerm_mssql_server: "database",
    azurerm_mssql_database: "database",
    azurerm_cosmosdb_account: "database",
    azurerm_cosmosdb_sql_database: "database",
    azurerm_redis_cache: "database",
    azurerm_servicebus_namespace: "queue",
    azurerm_servicebus_queue: "queue",
    azurerm_servicebus_topic: "queue",
    azurerm_servicebus_subscription: "queue",
    azurerm_storage_queue: "queue",
    azurerm_eventgrid_topic: "event bus",
    azurerm_eventgrid_domain: "event bus",
    azurerm_eventgrid_namespace: "event bus",
    azurerm_eventhub_namespace: "event bus",
    azurerm_eventhub: "event bus",
    azurerm_key_vault: "secret",
    azurerm_key_vault_secret: "secret",
    azurerm_key_vault_key: "key",
    azurerm_storage_account: "storage",
    azurerm_storage_container: "storage",
    azurerm_storage_share: "storage",
  },
};

const BY_TYPE: ReadonlyMap<string, StatefulKind> = new Map(
  Object.values(STATEFUL_KINDS).flatMap((types: Readonly<Record<string, StatefulKind>>) => Object.entries(types)),
);

/** Names that mark a queue (or the container an Event Grid dead-letters into) as a dead-letter destination. */
const DEAD_LETTER = /(?:^|[^a-z])(?:dlq|dlx|dead[-_ ]?letter(?:s)?|deadletter)(?:$|[^a-z])/i;

/**
 * The stateful kind of a resource, or undefined. Queues and storage containers whose address or
 * name says "dlq"/"dead-letter" are dead-letter queues: losing one loses the failed messages.
 */
export function statefulKind(type: string, address = "", name = ""): StatefulKind | undefined {
  const kind = BY_TYPE.get(type);
  if ((kind === "queue" || type === "azurerm_storage_container") && (DEAD_LETTER.test(address) || DEAD_LETTER.test(name))) return "dead-letter queue";
  return kind;
}

export function isStateful(type: string): boolean {
  return BY_TYPE.has(type);
}

/** Every stateful Terraform type, all providers. */
export const STATEFUL_TYPES: ReadonlySet<string> = new Set(BY_TYPE.keys());

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
