/**
 * Synth warnings the sample environments acknowledge (`accept`): counted in the synth's summary,
 * not printed. Ids are the ones the synth prints in [brackets]; docs/validation.md explains them.
 */

/**
 * What the clouds cannot do the way the spec says, whatever the environment: documented
 * deviations (docs/parity.md) every sample environment accepts.
 */
export const CLOUD_LIMITS: readonly string[] = [
  // GCP: Cloud Armor's fixed windows, Pub/Sub push (one message per request, no per-subscription
  // cap), pools per (database, user), the budget counts the project. (CORS, answered by the runtime
  // in the function, equals the other clouds' and is no deviation.)
  // API Gateway's own *.gateway.dev hostname skips Cloud Armor; a push refused at the consumer's cap
  // counts as a delivery attempt (docs/parity.md, "Settings a cloud cannot honour").
  "gcp:gateway.burst", "gcp:gateway.requestsPerMinute", "gcp:gateway.throttle",
  "gcp:queue.batchSize", "gcp:queue.batchWindowSeconds", "gcp:queue.pushRejections",
  // Pub/Sub push attempts sized from the consumer's cap: more attempts, one consumer timeout apart,
  // and a burst bound of attempts × cap (docs/parity.md, "Push rejections at the consumer's cap").
  "gcp:queue.deliveryAttempts", "gcp:queue.retrySpacingSeconds", "gcp:queue.burstWithoutDeadLetter", "gcp:rule.attempts",
  "gcp:database.poolPercent", "gcp:budget.scope",
  // Azure: Flex Consumption sizes, Service Bus dead-lettering and backlog alarms, API Management's
  // fixed window, PgBouncer pools, the budget counts the resource group.
  // The Service Bus trigger hands over one message per invocation.
  "azure:queue.batchSize", "azure:queue.dlqRetentionSeconds", "azure:queue.expiredMessages", "azure:alarm.queue.oldestMessageAge",
  "azure:gateway.burst", "azure:database.poolPercent", "azure:budget.scope",
  // The behaviour model's other documented deviations (docs/parity.md, Behaviour): instance caps
  // where the spec sets none, GCP's JWKS URL (no OpenID discovery), Service Bus locks and the
  // runtime's re-send, alarms each cloud words differently or cannot raise (Azure's maxima instead
  // of percentiles, missing-data handling, Event Grid's per-topic alerts; no pinned-session metric
  // on Cloud SQL; Aurora's self-growing storage; Lambda's async-invocation DLQ; EventBridge runs a
  // schedule without a separate publish), and what each budget counts.
  "aws:alarm.database.storage", "aws:budget.scope",
  "gcp:gateway.jwtKeys", "gcp:alarm.queue.oldestMessageAge", "gcp:alarm.queue.sentToDlq", "gcp:alarm.proxy.pinnedConnections",
  "azure:queue.senders", "azure:queue.visibilitySeconds", "azure:alarm.function.durationP99", "azure:alarm.function.throttles",
  "azure:alarm.gateway.latencyP99", "azure:alarm.queue.dlqDepth", "azure:alarm.bus.dlqDepth", "azure:alarm.bus.failedInvocations", "azure:alarm.bus.sentToDlq", "azure:budget.currency",
];

/**
 * What dev chooses to save money (docs/cost.md): databases without pooling (Aurora without RDS
 * Proxy, Cloud SQL Enterprise, a Burstable Flexible Server), a day of backups (Azure keeps 7), an
 * HTTP-only load balancer on GCP and API Management Consumption, which has no rate limit.
 */
export const DEV_CHOICES: readonly string[] = [
  "aws:database.pooled", "gcp:database.pooled", "azure:database.pooled", "azure:database.pointInTimeRecoveryDays",
  "gcp:environment.gatewayDomains", "azure:gateway.throttle", "azure:gateway.requestsPerMinute",
  // What running without a pool means in the behaviour record: no pool share, borrow timeout or pinned-session alarm.
  "aws:database.poolPercent", "aws:database.borrowTimeoutSeconds", "aws:alarm.proxy.pinnedConnections",
  "gcp:database.borrowTimeoutSeconds", "azure:database.borrowTimeoutSeconds", "azure:alarm.proxy.pinnedConnections",
];

/**
 * Deviations only some sample environments raise, because of their sizes: Flex Consumption's
 * instance sizes (dev's and prod's function memory is not one of them) and the instance cap GCP and
 * Azure always set (prod leaves a function uncapped). Listed where raised, so that a stale entry
 * is reported.
 */
export const FLEX_MEMORY_SIZES: readonly string[] = ["azure:function.memoryMb"];
export const UNCAPPED_FUNCTIONS: readonly string[] = ["gcp:function.maxConcurrency", "azure:function.maxConcurrency"];
