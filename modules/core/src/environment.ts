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
}

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
}

export interface EnvironmentConfig {
  readonly name: EnvironmentName;
  /** Per-cloud settings. Only clouds listed here get stacks. */
  readonly clouds: { readonly aws?: AwsEnvironmentSpec } & Readonly<Record<string, unknown>>;
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
}
