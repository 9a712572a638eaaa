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

/** What one cloud's budget API accepts; undefined means no documented cap. */
export interface BudgetLimits {
  readonly service: string;
  /** Notifications (threshold rules) per budget: actual plus forecast thresholds. */
  readonly maxNotifications?: number;
  /** E-mail recipients the budget can notify (per notification where the API counts them that way). */
  readonly maxRecipients?: number;
  /** What the recipient cap counts, for the message. */
  readonly recipientsCounted?: string;
}

/**
 * Budget caps per cloud, checked for every cloud an environment enables (validateEnvironment), so a
 * budget that would fail at apply fails at synth.
 * - AWS Budgets: 5 notifications per budget, 10 e-mail subscribers per notification.
 * - GCP Cloud Billing budgets: 5 monitoring notification channels per budget (one channel per
 *   recipient); threshold rules have no documented cap.
 * - Azure consumption budgets: 5 notifications per budget; contactEmails holds at most 50 addresses.
 */
export const BUDGET_LIMITS = {
  aws: { service: "AWS Budgets", maxNotifications: 5, maxRecipients: 10, recipientsCounted: "e-mail subscribers per notification" },
  gcp: { service: "Cloud Billing budgets", maxRecipients: 5, recipientsCounted: "monitoring notification channels per budget (one per recipient)" },
  azure: { service: "Azure consumption budgets", maxNotifications: 5, maxRecipients: 50, recipientsCounted: "contact e-mails per notification" },
} as const satisfies Record<string, BudgetLimits>;
