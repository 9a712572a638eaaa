/**
 * Synth warnings the sample environments acknowledge (`accept`): counted in the synth's summary,
 * not printed. Ids are the ones the synth prints in [brackets]; docs/validation.md explains them.
 */

/**
 * What the clouds cannot do the way the spec says, whatever the environment: documented
 * deviations (docs/parity.md) every sample environment accepts.
 */
export const CLOUD_LIMITS: readonly string[] = [
  // GCP: Cloud Armor's fixed windows, CORS answered by the runtime, Pub/Sub push (one message per
  // request, no per-subscription cap), pools per (database, user), the budget counts the project.
  // API Gateway's own *.gateway.dev hostname skips Cloud Armor; a push refused at the consumer's cap
  // counts as a delivery attempt (docs/parity.md, "Settings a cloud cannot honour").
  "gcp:gateway.cors", "gcp:gateway.burst", "gcp:gateway.requestsPerMinute", "gcp:gateway.throttle",
  "gcp:queue.batchSize", "gcp:queue.batchWindowSeconds", "gcp:queue.maxConcurrency", "gcp:queue.pushRejections",
  "gcp:database.poolPercent", "gcp:budget.scope",
  // Azure: Flex Consumption sizes, Service Bus dead-lettering and backlog alarms, API Management's
  // fixed window, PgBouncer pools, the budget counts the resource group.
  // The Service Bus trigger hands over one message per invocation.
  "azure:function.memoryMb", "azure:queue.batchSize", "azure:queue.dlqRetentionSeconds", "azure:queue.expiredMessages", "azure:alarm.queue.oldestMessageAge",
  "azure:gateway.burst", "azure:database.poolPercent", "azure:budget.scope",
];

/**
 * What dev chooses to save money (docs/cost.md): databases without pooling (Aurora without RDS
 * Proxy, Cloud SQL Enterprise, a Burstable Flexible Server), a day of backups (Azure keeps 7), an
 * HTTP-only load balancer on GCP and API Management Consumption, which has no rate limit.
 */
export const DEV_CHOICES: readonly string[] = [
  "aws:database.pooled", "gcp:database.pooled", "azure:database.pooled", "azure:database.pointInTimeRecoveryDays",
  "gcp:environment.gatewayDomains", "azure:gateway.throttle", "azure:gateway.requestsPerMinute",
];
