/** Numeric limits a cloud imposes on the cloud-neutral spec. Each cloud module exports its own table. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

export interface CloudLimits {
  /** Name used in messages, e.g. "AWS Lambda". */
  readonly functionService: string;
  readonly functionMemoryMb: Range;
  readonly functionTimeoutSeconds: Range;
  readonly queueService: string;
  readonly queueMaxDeliveryAttempts: Range;
  readonly queueBatchSize: Range;
  readonly queueBatchWindowSeconds: Range;
  readonly queueRetentionSeconds: Range;
  readonly queueVisibilitySeconds: Range;
  /** Minimum visibility / ack window as a multiple of the consumer's timeout. @default 6 (SQS → Lambda guidance) */
  readonly queueVisibilityFactor?: number;
  readonly busService: string;
  readonly busRetryAttempts: Range;
  readonly busMaxEventAgeSeconds: Range;
  readonly gatewayRateLimit: Range;
  readonly gatewayBurstLimit: Range;
}

/** A DLQ must keep messages at least this long (14 days), whatever the cloud. */
export const MIN_DLQ_RETENTION_SECONDS = 14 * 24 * 3600;

export const DEFAULTS = {
  memoryMb: 256,
  timeoutSeconds: 30,
  maxDeliveryAttempts: 5,
  batchSize: 10,
  batchWindowSeconds: 0,
  queueRetentionSeconds: 4 * 24 * 3600,
  dlqRetentionSeconds: MIN_DLQ_RETENTION_SECONDS,
  /** Visibility / ack window as a multiple of the consumer timeout (AWS guidance for SQS → Lambda). */
  visibilityTimeoutFactor: 6,
  eventRetryAttempts: 185,
  eventMaxAgeSeconds: 86400,
  poolMaxConnectionsPercent: 90,
  poolMaxIdleConnectionsPercent: 50,
  poolBorrowTimeoutSeconds: 120,
  databaseName: "app",
  corsMaxAgeSeconds: 600,
  corsAllowHeaders: ["content-type", "authorization"],
  alarmThresholds: {
    functionErrors: 1,
    functionThrottles: 1,
    functionDurationP99PercentOfTimeout: 80,
    gateway5xx: 5,
    gatewayLatencyP99Ms: 2000,
    queueOldestMessageAgeSeconds: 300,
    busFailedInvocations: 1,
    proxyPinnedConnections: 10,
    proxyConnectionSaturationPercent: 80,
  },
} as const;
