import { CloudLimits, DatabaseSize, Runtime } from "@polycloud/core";

/** Azure quotas that bound the cloud-neutral spec. */
export const AZURE_LIMITS: CloudLimits = {
  functionService: "Azure Functions (Flex Consumption)",
  functionMemoryMb: { min: 128, max: 4096 },
  // Service Bus locks last at most 5 minutes; HTTP triggers are cut at 230 s by the front end.
  functionTimeoutSeconds: { min: 1, max: 3600 },
  queueService: "Azure Service Bus",
  queueMaxDeliveryAttempts: { min: 1, max: 2000 },
  queueBatchSize: { min: 1, max: 1000 },
  queueBatchWindowSeconds: { min: 0, max: 300 },
  queueRetentionSeconds: { min: 60, max: 1209600 },
  queueVisibilitySeconds: { min: 5, max: 300 },
  // The lock only has to cover one invocation; the runtime settles the message when it returns.
  queueVisibilityFactor: 1,
  busService: "Event Grid",
  busRetryAttempts: { min: 1, max: 30 },
  busMaxEventAgeSeconds: { min: 60, max: 86400 },
  gatewayRateLimit: { min: 1, max: 100000 },
  gatewayBurstLimit: { min: 1, max: 100000 },
};

/** Flex Consumption instance sizes (learn.microsoft.com/azure/azure-functions/flex-consumption-plan#instance-memory). */
export const FLEX_MEMORY_MB = [512, 2048, 4096] as const;
/** Service Bus lock duration ceiling (PT5M). */
export const MAX_LOCK_SECONDS = 300;
/** Budgets accept at most five notifications. */
export const MAX_BUDGET_NOTIFICATIONS = 5;
/**
 * Connections Flexible Server keeps out of max_connections for itself (replication, monitoring,
 * superuser): B_Standard_B1ms's 50 leave 35 for clients (learn.microsoft.com/azure/postgresql/
 * flexible-server/concepts-limits, "Maximum connections").
 */
export const AZURE_RESERVED_CONNECTIONS = 15;
/** Built-in PgBouncer listens here, on the server's host name. */
export const PGBOUNCER_PORT = 6432;
/** APIM rate-limit-by-key renews at most every 300 s. */
export const RATE_LIMIT_PERIOD_SECONDS = 60;

export const FLEX_RUNTIMES: Record<Runtime, { name: string; version: string }> = {
  nodejs20: { name: "node", version: "20" },
  nodejs22: { name: "node", version: "22" },
  "python3.12": { name: "python", version: "3.12" },
  "python3.13": { name: "python", version: "3.13" },
};

/** General Purpose SKUs (PgBouncer needs GP or MO) and their max_connections. */
export const POSTGRES_SIZES: Record<DatabaseSize, { sku: string; maxConnections: number }> = {
  small: { sku: "GP_Standard_D2ds_v5", maxConnections: 859 },
  medium: { sku: "GP_Standard_D4ds_v5", maxConnections: 1719 },
  large: { sku: "GP_Standard_D8ds_v5", maxConnections: 3438 },
};

/** Workspace-based Application Insights accepts only these retentions. */
export const APP_INSIGHTS_RETENTION = [30, 60, 90, 120, 180, 270, 365, 550, 730] as const;

/** Smallest allowed App Insights / Log Analytics retention that is at least `days`. */
export function insightsRetention(days: number): number {
  return APP_INSIGHTS_RETENTION.find((d) => d >= days) ?? 730;
}

/**
 * The azurerm provider the stacks run with, pinned in `required_providers`. The TypeScript
 * bindings stay those of 4.55 (@cdktf/provider-azurerm 14.23.1, the last prebuilt release); a test
 * compares both versions' schemas for every resource type the stacks use.
 */
export const AZURERM_PROVIDER_VERSION = "4.73.0";
/** The provider version the prebuilt bindings were generated from. */
export const AZURERM_BINDINGS_VERSION = "4.55.0";
/** Flex Consumption `maximum_instance_count` range (azurerm 4.58+; 4.55 accepted 40–1000). */
export const FLEX_MAX_INSTANCES = { min: 1, max: 1000 } as const;
/** Flex Consumption's own default instance cap, used when the spec sets no concurrency cap. */
export const FLEX_DEFAULT_INSTANCES = 100;
/** Resource providers azurerm does not register on its own that these stacks need (Flex VNet integration). */
export const EXTRA_RESOURCE_PROVIDERS = ["Microsoft.App"] as const;
