/** Typed per-environment configuration shared by every cloud. */

export const CLOUDS = ["aws", "gcp", "azure"] as const;
export type Cloud = (typeof CLOUDS)[number];

export const ENVIRONMENT_NAMES = ["dev", "staging", "prod"] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

/** Alarm thresholds. Every field has a default, so an environment overrides only what differs. */
export interface AlarmThresholds {
  /** Function errors per 5 minutes before alarming. @default 1 */
  readonly functionErrors?: number;
  /** Throttled invocations per 5 minutes. @default 1 */
  readonly functionThrottles?: number;
  /** p99 duration as a percentage of the function timeout. @default 80 */
  readonly functionDurationP99PercentOfTimeout?: number;
  /** Gateway 5xx responses per 5 minutes. @default 5 */
  readonly gateway5xx?: number;
  /** Gateway p99 latency in milliseconds. @default 2000 */
  readonly gatewayLatencyP99Ms?: number;
  /** Age of the oldest queued message in seconds. @default 300 */
  readonly queueOldestMessageAgeSeconds?: number;
  /** Event bus failed invocations per 5 minutes. @default 1 */
  readonly busFailedInvocations?: number;
  /** Sessions pinned in the proxy (pooling disabled for them). @default 10 */
  readonly proxyPinnedConnections?: number;
  /** Proxy connections to the database as a percentage of the allowed maximum. @default 80 */
  readonly proxyConnectionSaturationPercent?: number;
}

export interface AlarmSpec {
  /** E-mail addresses that receive alarms. At least one. */
  readonly recipients: readonly string[];
  readonly thresholds?: AlarmThresholds;
}

export interface BudgetSpec {
  /** Monthly limit, > 0. */
  readonly monthlyAmount: number;
  /** ISO 4217 code. @default "USD" */
  readonly currency?: string;
  /** Percentages of the limit at which actual spend notifies. */
  readonly actualThresholdsPercent: readonly number[];
  /** Percentages of the limit at which forecast spend notifies. */
  readonly forecastThresholdsPercent: readonly number[];
  readonly recipients: readonly string[];
  /**
   * What `monthlyAmount` covers. Required, so no reader has to guess:
   * - `"per-cloud"`: each cloud's stack gets the full amount (the environment may spend amount × clouds);
   * - `"split"`: the amount is the environment's total, divided across its clouds by `shares`.
   */
  readonly scope: BudgetScope;
  /** With scope `"split"`: percent of `monthlyAmount` per enabled cloud, each > 0, summing to 100. */
  readonly shares?: Readonly<Partial<Record<Cloud, number>>>;
  /**
   * Clouds whose idle baseline (`npm run cost`) may exceed their budget, each with the reason.
   * Without it `npm run check` fails when a stack's idle baseline is above 100% of its budget.
   */
  readonly acceptIdleOverBudget?: Readonly<Partial<Record<Cloud, string>>>;
}

export const BUDGET_SCOPES = ["per-cloud", "split"] as const;
export type BudgetScope = (typeof BUDGET_SCOPES)[number];

export interface RetentionSpec {
  /** Function and access logs. */
  readonly logDays: number;
  /** Event bus archive. */
  readonly archiveDays: number;
  /** Database automated backups. */
  readonly backupDays: number;
}

export interface SizingSpec {
  readonly functionMemoryMb: number;
  readonly databaseSize: "small" | "medium" | "large";
  /** Warm instances for latency-sensitive functions. */
  readonly warmInstances: number;
}

export interface S3BackendSpec {
  readonly bucket: string;
  /** @default "<env>/<cloud>/terraform.tfstate" */
  readonly key?: string;
  /** @default the environment's region */
  readonly region?: string;
  readonly kmsKeyId?: string;
  /** Assumed by Terraform to reach the state bucket. */
  readonly roleArn?: string;
}

export interface AwsNetworkSpec {
  readonly vpcId: string;
  /** Private subnets in at least two availability zones. */
  readonly privateSubnetIds: readonly string[];
}

/**
 * Aurora path choices. The default is Aurora Serverless v2 behind RDS Proxy. `proxy: false` lets
 * functions connect to the cluster directly (TLS + IAM token), without pooling; with
 * `autoPauseSeconds` the cluster scales to 0 ACU and pauses when idle (RDS Proxy keeps
 * connections open and bills an 8-ACU floor, so a paused cluster needs the direct path).
 */
export interface AwsDatabaseSpec {
  /** @default true */
  readonly proxy?: boolean;
  /** Pause after this many idle seconds (300..86400); minimum capacity becomes 0 ACU. Needs `proxy: false`. */
  readonly autoPauseSeconds?: number;
  /** Must be true with `proxy: false`: no connection pooling; synth then warns instead of failing. */
  readonly acceptNoPooling?: boolean;
}

export interface AwsEnvironmentSpec {
  /** 12-digit account id. */
  readonly accountId: string;
  readonly region: string;
  /** Remote state. Without it the stack uses a local backend. */
  readonly backend?: S3BackendSpec;
  /** Existing network. Without it a minimal VPC is created. */
  readonly network?: AwsNetworkSpec;
  /** CIDR of the VPC created when `network` is not given. @default "10.40.0.0/16" */
  readonly vpcCidr?: string;
  readonly database?: AwsDatabaseSpec;
}

export interface GcsBackendSpec {
  readonly bucket: string;
  /** @default "<env>/<cloud>" */
  readonly prefix?: string;
  /** Cloud KMS key that encrypts state objects. */
  readonly kmsEncryptionKey?: string;
  /** Service account Terraform impersonates to reach the bucket. */
  readonly impersonateServiceAccount?: string;
}

export interface GcpNetworkSpec {
  /** Existing VPC id, `projects/<p>/global/networks/<n>`, with private services access already set up. */
  readonly networkId: string;
  /** Existing /28 subnet for the Serverless VPC Access connector, `projects/<p>/regions/<r>/subnetworks/<s>`. */
  readonly subnetId: string;
}

/** Cloud SQL choices. Managed connection pooling needs the ENTERPRISE_PLUS edition. */
export interface GcpDatabaseSpec {
  /** @default "ENTERPRISE_PLUS" */
  readonly edition?: "ENTERPRISE" | "ENTERPRISE_PLUS";
  /** Machine tier. @default from sizing.databaseSize (db-perf-optimized-N-2/4/8) */
  readonly tier?: string;
  /** Must be true to accept an edition without managed pooling; synth then warns instead of failing. */
  readonly acceptNoPooling?: boolean;
}

export interface GcpEnvironmentSpec {
  /** Project id, 6–30 characters. */
  readonly projectId: string;
  readonly region: string;
  /** Billing account id `XXXXXX-XXXXXX-XXXXXX`, used by the budget. */
  readonly billingAccount: string;
  readonly backend?: GcsBackendSpec;
  /** Existing network. Without it a VPC with private services access is created. */
  readonly network?: GcpNetworkSpec;
  /** /28 range of the connector subnet created when `network` is not given. @default "10.60.0.0/28" */
  readonly connectorCidr?: string;
  readonly database?: GcpDatabaseSpec;
  /** Gateway certificate domains. Without them the load balancer serves HTTP only, which only dev accepts. */
  readonly gatewayDomains?: readonly string[];
}

export interface AzurermBackendSpec {
  readonly resourceGroupName: string;
  readonly storageAccountName: string;
  readonly containerName: string;
  /** @default "<env>/<cloud>.tfstate" */
  readonly key?: string;
}

export interface AzureNetworkSpec {
  /** Subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers. */
  readonly databaseSubnetId: string;
  /**
   * Subnet delegated to Microsoft.App/environments for Flex Consumption VNet integration, with the
   * `Microsoft.KeyVault` service endpoint (the Key Vault's firewall admits this subnet only).
   */
  readonly functionSubnetId: string;
  /** Private DNS zone `<name>.postgres.database.azure.com`, linked to the VNet. */
  readonly privateDnsZoneId: string;
  /** Subnet for private endpoints. Required with `serviceBusSku: "Premium"` (the namespace is private). */
  readonly endpointSubnetId?: string;
  /** Private DNS zone `privatelink.servicebus.windows.net`, linked to the VNet. Required with `serviceBusSku: "Premium"`. */
  readonly serviceBusDnsZoneId?: string;
}

export interface AzureDatabaseSpec {
  /** Flexible Server SKU. @default from sizing.databaseSize (GP_Standard_D2ds_v5 / D4ds / D8ds) */
  readonly skuName?: string;
  /** Must be true to accept a Burstable SKU, which has no PgBouncer; synth then warns instead of failing. */
  readonly acceptNoPooling?: boolean;
}

export interface AzureEnvironmentSpec {
  readonly subscriptionId: string;
  /** Entra tenant for Key Vault and database authentication. */
  readonly tenantId: string;
  readonly location: string;
  readonly backend?: AzurermBackendSpec;
  /** Existing network. Without it a VNet with both delegated subnets and the DNS zone is created. */
  readonly network?: AzureNetworkSpec;
  /** Address space of the VNet created when `network` is not given. @default "10.80.0.0/16" */
  readonly vnetCidr?: string;
  /** API Management SKU. @default "Consumption_0" */
  readonly apiManagementSku?: "Consumption_0" | "BasicV2_1" | "StandardV2_1" | "PremiumV2_1";
  /**
   * Public IPv4 addresses or ranges (CIDR) allowed through the Key Vault's firewall, for the people
   * or pipeline that set secret values. The vault otherwise admits only the functions' subnet (an
   * existing `network.functionSubnetId` needs the `Microsoft.KeyVault` service endpoint) and
   * trusted Azure services. @default none
   */
  readonly keyVaultAllowedIpRanges?: readonly string[];
  /** Service Bus tier. Premium namespaces are private (private endpoint, trusted services only). @default "Standard" */
  readonly serviceBusSku?: "Standard" | "Premium";
  readonly database?: AzureDatabaseSpec;
  /**
   * First day of the month the budget starts, `YYYY-MM-01`. Never computed from the clock. Azure
   * accepts no month before the current one when it creates the budget and refuses to change the
   * date afterwards: set the month of the first deploy and keep it.
   */
  readonly budgetStartDate: string;
}

export interface EnvironmentConfig {
  readonly name: EnvironmentName;
  /** Per-cloud settings. Only clouds listed here get stacks. */
  readonly clouds: {
    readonly aws?: AwsEnvironmentSpec;
    readonly gcp?: GcpEnvironmentSpec;
    readonly azure?: AzureEnvironmentSpec;
  } & Readonly<Record<string, unknown>>;
  /** Tag values shared by every resource (environment and managed_by are added). */
  readonly tags: {
    readonly owner: string;
    readonly cost_center: string;
  } & Readonly<Record<string, string>>;
  readonly alarms: AlarmSpec;
  readonly budget: BudgetSpec;
  readonly retention: RetentionSpec;
  readonly sizing: SizingSpec;
  /** Protect stateful resources from deletion and keep final snapshots. Only prod should set it. */
  readonly deletionProtection: boolean;
  /**
   * `environment` (default): one stack and state per environment × cloud. `service`: a shared
   * foundation stack per environment × cloud (`<env>-<cloud>-shared`: network, alarm channel,
   * budget) plus one stack per service (`<env>-<cloud>-<service>`), each with its own state.
   */
  readonly partitioning?: "environment" | "service";
  /**
   * Names and tags (`service=<platform>`) the shared per-environment resources: network, keys,
   * alarm channel, log workspace, storage, budget, and the state of the shared stack. Never taken
   * from a service, so adding, removing or reordering services renames nothing.
   * Lowercase letters, digits and `-`, 2–20 characters, not the name of a service. @default "shared"
   */
  readonly platform?: string;
  /**
   * Warnings this environment acknowledges, by the id the synth prints in [brackets] (e.g.
   * `"gcp:gateway.burst"`): counted in the synth's summary, no longer printed. Each id must be a
   * known warning (modules/core/src/warnings.ts) of a cloud the environment enables.
   */
  readonly accept?: readonly string[];
}

/** The default name of an environment's shared resources. */
export const DEFAULT_PLATFORM_NAME = "shared";

/** What names the shared per-environment resources: `env.platform`, or `shared`. */
export function platformName(env: Pick<EnvironmentConfig, "platform">): string {
  return env.platform ?? DEFAULT_PLATFORM_NAME;
}
