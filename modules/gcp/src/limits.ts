import { CloudLimits, DatabaseSize, Runtime } from "@polycloud/core";

/** GCP quotas that bound the cloud-neutral spec. */
export const GCP_LIMITS: CloudLimits = {
  functionService: "Cloud Functions (2nd gen)",
  functionMemoryMb: { min: 128, max: 32768 },
  // HTTP functions may run 60 min; queue consumers are further capped by the 600 s ack deadline.
  functionTimeoutSeconds: { min: 1, max: 3600 },
  queueService: "Pub/Sub",
  queueMaxDeliveryAttempts: { min: 5, max: 100 },
  queueBatchSize: { min: 1, max: 10000 },
  queueBatchWindowSeconds: { min: 0, max: 300 },
  queueRetentionSeconds: { min: 600, max: 2678400 },
  queueVisibilitySeconds: { min: 10, max: 600 },
  // Pub/Sub push only needs the ack deadline to cover one delivery (no batch to drain).
  queueVisibilityFactor: 1,
  busService: "Pub/Sub (bus topic with one filtered subscription per rule)",
  busRetryAttempts: { min: 5, max: 100 },
  busMaxEventAgeSeconds: { min: 600, max: 2678400 },
  gatewayRateLimit: { min: 1, max: 100000 },
  gatewayBurstLimit: { min: 1, max: 100000 },
};

/** Pub/Sub keeps messages (topic or subscription) at most 31 days. */
export const PUBSUB_MAX_RETENTION_SECONDS = 31 * 24 * 3600;
/** Pub/Sub push waits at most 600 s for an acknowledgement. */
export const PUBSUB_MAX_ACK_SECONDS = 600;

export const GCF_RUNTIMES: Record<Runtime, string> = {
  nodejs20: "nodejs20",
  nodejs22: "nodejs22",
  "python3.12": "python312",
  "python3.13": "python313",
};

/** Enterprise Plus tiers (managed pooling) and the max_connections we pin for each size. */
export const CLOUD_SQL_SIZES: Record<DatabaseSize, { tier: string; maxConnections: number }> = {
  small: { tier: "db-perf-optimized-N-2", maxConnections: 200 },
  medium: { tier: "db-perf-optimized-N-4", maxConnections: 400 },
  large: { tier: "db-perf-optimized-N-8", maxConnections: 800 },
};

/** Days of transaction logs (point-in-time recovery) Cloud SQL for PostgreSQL keeps, by edition. */
export const TRANSACTION_LOG_DAYS = { ENTERPRISE: { min: 1, max: 7 }, ENTERPRISE_PLUS: { min: 1, max: 35 } } as const;

/** Cloud Logging keeps `_Default` logs for 30 days; other retention needs a log bucket. */
export const DEFAULT_LOG_RETENTION_DAYS = 30;

/**
 * Cloud Armor accepts only these rate-limit intervals (rateLimitThreshold.intervalSec in the
 * Compute API; the provider passes the value through without validating it).
 */
export const ARMOR_INTERVALS = [10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600] as const;

/** Cloud Armor's largest throttle rate_limit_threshold count. */
export const ARMOR_MAX_THROTTLE_COUNT = 1_000_000;

/** Pooled connections to Cloud SQL managed connection pooling use this port. */
export const POOLED_PORT = 6432;

/** CPU a function needs for its memory (Cloud Run's minimums) or for serving concurrent requests. */
export function functionCpu(memoryMb: number, perInstance: number): string {
  if (memoryMb > 16384) return "8";
  if (memoryMb > 8192) return "4";
  if (memoryMb > 4096) return "2";
  if (memoryMb > 1024 || perInstance > 1) return "1";
  return memoryMb > 512 ? "0.583" : "0.333";
}

/** vCPUs of a Cloud SQL tier: `db-perf-optimized-N-8` → 8, `db-custom-2-7680` → 2. */
export function tierVcpus(tier: string): number {
  return Number(/-(\d+)(?:-\d+)?$/.exec(tier)?.[1] ?? 1);
}

/** Managed connection pooling runs one pooler per 4 vCPU, at least one. */
export function poolerCount(tier: string): number {
  return Math.max(1, Math.floor(tierVcpus(tier) / 4));
}

/** Cloud Run functions: max_instance_count up to 1000; 100 when the spec sets no cap. */
export const GCF_MAX_INSTANCES = 1000;
export const GCF_DEFAULT_INSTANCES = 100;

/** Wait after an IAM grant before its first use (IAM is eventually consistent, typically under a minute). */
export const BUILD_IAM_PROPAGATION = "60s";
