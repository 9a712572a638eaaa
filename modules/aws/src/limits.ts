import { CloudLimits, Runtime } from "@polycloud/core";

/** AWS service quotas that bound the cloud-neutral spec. */
export const AWS_LIMITS: CloudLimits = {
  functionService: "AWS Lambda",
  functionMemoryMb: { min: 128, max: 10240 },
  functionTimeoutSeconds: { min: 1, max: 900 },
  queueService: "Amazon SQS",
  queueMaxDeliveryAttempts: { min: 1, max: 1000 },
  queueBatchSize: { min: 1, max: 10000 },
  queueBatchWindowSeconds: { min: 0, max: 300 },
  queueRetentionSeconds: { min: 60, max: 1209600 },
  queueVisibilitySeconds: { min: 0, max: 43200 },
  busService: "Amazon EventBridge",
  // Attempts in all: EventBridge takes 0..185 retries after the first attempt.
  busRetryAttempts: { min: 1, max: 186 },
  busMaxEventAgeSeconds: { min: 60, max: 86400 },
  gatewayRateLimit: { min: 1, max: 10000 },
  gatewayBurstLimit: { min: 1, max: 5000 },
};

/** The only retention values CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** Smallest allowed CloudWatch retention that is at least `days`. */
export function logRetention(days: number): number {
  return LOG_RETENTION_DAYS.find((d) => d >= days) ?? 3653;
}

export const LAMBDA_RUNTIMES: Record<Runtime, string> = {
  nodejs20: "nodejs20.x",
  nodejs22: "nodejs22.x",
  "python3.12": "python3.12",
  "python3.13": "python3.13",
};

/** Aurora Serverless v2 capacity (ACU) for each cloud-neutral size. */
export const AURORA_CAPACITY: Record<string, { min: number; max: number }> = {
  small: { min: 0.5, max: 2 },
  medium: { min: 1, max: 8 },
  large: { min: 2, max: 32 },
};

/**
 * The hashicorp/aws versions the modules support, written into every stack's `required_providers`
 * so a consuming team may run any of them (an exact pin would forbid every other version). The
 * lower bound is the first release with every argument the modules set: 6.15.0 added
 * `aws_db_proxy.default_auth_scheme` (hashicorp/terraform-provider-aws#44309), which 6.14 lacks. A
 * test checks every argument of every synthesized AWS stack against 6.15.0's schema
 * (`__tests__/terraform/fixtures/aws-provider-lower-bound.json`, from its prebuilt bindings).
 */
export const AWS_PROVIDER_LOWER_BOUND = "6.15.0";
export const AWS_PROVIDER_RANGE = `>= ${AWS_PROVIDER_LOWER_BOUND}, < 7.0.0`;
/** The prebuilt bindings generated from AWS_PROVIDER_LOWER_BOUND: the oldest `@cdktf/provider-aws` the package peers. */
export const AWS_BINDINGS_LOWER_BOUND = "21.12.0";
