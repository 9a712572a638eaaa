import { Cloud } from "@polycloud/core";

export type Component = "function" | "gateway" | "queue" | "bus" | "database";

/**
 * One semantic change to one cloud's module source: something a slip in a review could leave in
 * and that would change what a caller, a message or an operator observes. `find` must occur
 * exactly once in `file`; the mutation test replaces it and checks the synthesized JSON changes.
 */
export interface Mutation {
  readonly id: string;
  readonly cloud: Cloud;
  readonly component: Component;
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

const m = (id: string, cloud: Cloud, component: Component, file: string, find: string, replace: string): Mutation =>
  ({ id, cloud, component, file: `modules/${cloud}/src/${file}`, find, replace });

/** The mutation list: spread over the five components and the three clouds. */
export const MUTATIONS: readonly Mutation[] = [
  // AWS: function
  m("aws-function-memory", "aws", "function", "function.ts", "memorySize: spec.memoryMb,", "memorySize: spec.memoryMb + 128,"),
  m("aws-function-timeout", "aws", "function", "function.ts", "timeout: spec.timeoutSeconds,", "timeout: spec.timeoutSeconds + 1,"),
  m("aws-function-reserved-concurrency", "aws", "function", "function.ts", "reservedConcurrentExecutions: spec.maxConcurrency,", "reservedConcurrentExecutions: spec.maxConcurrency === undefined ? undefined : spec.maxConcurrency * 2,"),
  m("aws-function-warm", "aws", "function", "function.ts", "provisionedConcurrentExecutions: spec.minWarmInstances,", "provisionedConcurrentExecutions: spec.minWarmInstances + 1,"),
  m("aws-function-errors-threshold", "aws", "function", "function.ts", 'threshold: t.functionErrors, metric: { namespace: "AWS/Lambda"', 'threshold: t.functionErrors + 1, metric: { namespace: "AWS/Lambda"'),
  m("aws-function-duration-statistic", "aws", "function", "function.ts", 'metricName: "Duration", dimensions: dims, extendedStatistic: "p99"', 'metricName: "Duration", dimensions: dims, extendedStatistic: "p90"'),
  // AWS: queue
  m("aws-queue-receive-count", "aws", "queue", "queue.ts", "maxReceiveCount: r.maxDeliveryAttempts", "maxReceiveCount: r.maxDeliveryAttempts + 1"),
  m("aws-queue-visibility", "aws", "queue", "queue.ts", "visibilityTimeoutSeconds: r.visibilityTimeoutSeconds,", "visibilityTimeoutSeconds: r.visibilityTimeoutSeconds * 2,"),
  m("aws-queue-retention", "aws", "queue", "queue.ts", "messageRetentionSeconds: r.retentionSeconds,", "messageRetentionSeconds: Math.floor(r.retentionSeconds / 2),"),
  m("aws-queue-dlq-retention", "aws", "queue", "queue.ts", "messageRetentionSeconds: r.dlqRetentionSeconds,", "messageRetentionSeconds: 345600,"),
  m("aws-queue-consumer-cap", "aws", "queue", "queue.ts", "{ maximumConcurrency: spec.maxConcurrency }", "{ maximumConcurrency: spec.maxConcurrency + 1 }"),
  m("aws-queue-dlq-alarm-missing-data", "aws", "queue", "alarm.ts", 'missingData: "ignore",', 'missingData: "notBreaching",'),
  // AWS: bus
  m("aws-bus-retries", "aws", "bus", "event-bus.ts", "maximumRetryAttempts: Math.max(0, retry.maxAttempts - 1)", "maximumRetryAttempts: Math.max(0, retry.maxAttempts)"),
  m("aws-bus-event-age", "aws", "bus", "event-bus.ts", "maximumEventAgeInSeconds: retry.maxEventAgeSeconds }", "maximumEventAgeInSeconds: Math.min(86400, retry.maxEventAgeSeconds * 2) }"),
  m("aws-bus-no-dead-letters", "aws", "bus", "event-bus.ts", "deadLetterConfig: { arn: dlq.arn },", ""),
  m("aws-bus-filter-type-field", "aws", "bus", "event-bus.ts", 'if (filter.type?.length) pattern["detail-type"] = [...filter.type];', 'if (filter.type?.length) pattern["detail-types"] = [...filter.type];'),
  m("aws-bus-archive", "aws", "bus", "event-bus.ts", "retentionDays: spec.archiveRetentionDays ?? ctx.env.retention?.archiveDays ?? 30,", "retentionDays: (spec.archiveRetentionDays ?? ctx.env.retention?.archiveDays ?? 30) * 2,"),
  m("aws-bus-queue-permission", "aws", "bus", "event-bus.ts", "queue!.addToQueuePolicy({", "void ({"),
  // Issue 28.2: a rule's target without an on-failure destination (Lambda drops what its own retries fail), one whose role cannot send there, and a queue-only consumer with async-failure plumbing that can never fire.
  m("aws-bus-no-async-destination", "aws", "bus", "event-bus.ts", "        fn.acceptAsyncInvocations();", "        void fn;"),
  m("aws-function-async-dlq-not-writable", "aws", "function", "function.ts", 'this.addToRolePolicy({ Sid: "AsyncFailures", Effect: "Allow", Action: "sqs:SendMessage", Resource: dlq.arn });', 'this.addToRolePolicy({ Sid: "AsyncFailures", Effect: "Allow", Action: "sqs:GetQueueUrl", Resource: dlq.arn });'),
  m("aws-queue-consumer-async-dlq", "aws", "queue", "queue.ts", '      new LambdaEventSourceMapping(this, "consumer", {', '      fn.acceptAsyncInvocations();\n      new LambdaEventSourceMapping(this, "consumer", {'),
  m("aws-bus-sent-to-dlq-threshold", "aws", "bus", "event-bus.ts", 'threshold: 0, comparison: "GreaterThanThreshold",\n          metric: { namespace: "AWS/Events", metricName: "InvocationsSentToDlq"', 'threshold: 5, comparison: "GreaterThanThreshold",\n          metric: { namespace: "AWS/Events", metricName: "InvocationsSentToDlq"'),
  // AWS: gateway
  m("aws-gateway-rate", "aws", "gateway", "gateway.ts", "throttlingRateLimit: spec.throttle?.rateLimit,", "throttlingRateLimit: spec.throttle?.rateLimit * 2,"),
  m("aws-gateway-burst", "aws", "gateway", "gateway.ts", "throttlingBurstLimit: spec.throttle?.burstLimit,", "throttlingBurstLimit: spec.throttle?.burstLimit + 1,"),
  m("aws-gateway-audience", "aws", "gateway", "gateway.ts", "audience: [...spec.auth.audiences]", 'audience: [...spec.auth.audiences, "any-audience"]'),
  m("aws-gateway-no-authorizer", "aws", "gateway", "gateway.ts", 'authorizationType: secured ? "JWT" : "NONE",', 'authorizationType: "NONE",'),
  m("aws-gateway-cors-max-age", "aws", "gateway", "gateway.ts", "maxAge: cors.maxAgeSeconds,", "maxAge: 0,"),
  m("aws-gateway-integration-timeout", "aws", "gateway", "gateway.ts", "timeoutMilliseconds: Math.min(30000, fn.spec.timeoutSeconds * 1000),", "timeoutMilliseconds: Math.min(30000, fn.spec.timeoutSeconds * 500),"),
  // AWS: database
  m("aws-database-pool-share", "aws", "database", "database-proxy.ts", "maxConnectionsPercent: pool.maxConnectionsPercent,", "maxConnectionsPercent: pool.maxConnectionsPercent - 10,"),
  m("aws-database-borrow-timeout", "aws", "database", "database-proxy.ts", "connectionBorrowTimeout: pool.borrowTimeoutSeconds,", "connectionBorrowTimeout: pool.borrowTimeoutSeconds + 1,"),
  m("aws-database-tls", "aws", "database", "database-proxy.ts", "requireTls: true,", "requireTls: false,"),
  m("aws-database-backups", "aws", "database", "database-proxy.ts", "backupRetentionPeriod: ctx.env.retention?.backupDays ?? 7,", "backupRetentionPeriod: (ctx.env.retention?.backupDays ?? 7) + 1,"),
  m("aws-database-client-port", "aws", "database", "database-proxy.ts", "ipProtocol: \"tcp\", fromPort: PORT, toPort: PORT, description: `Postgres from function ${fn.logicalId}`,", "ipProtocol: \"tcp\", fromPort: PORT + 1, toPort: PORT + 1, description: `Postgres from function ${fn.logicalId}`,"),
  m("aws-database-cpu-threshold", "aws", "database", "database-proxy.ts", "threshold: 80, comparison: \"GreaterThanThreshold\", periodSeconds: 900,", "threshold: 90, comparison: \"GreaterThanThreshold\", periodSeconds: 900,"),

  // GCP: function
  m("gcp-function-memory", "gcp", "function", "function.ts", "availableMemory: `${spec.memoryMb}Mi`,", "availableMemory: `${spec.memoryMb + 256}Mi`,"),
  m("gcp-function-timeout", "gcp", "function", "function.ts", "timeoutSeconds: spec.timeoutSeconds,", "timeoutSeconds: spec.timeoutSeconds + 1,"),
  m("gcp-function-warm", "gcp", "function", "function.ts", "minInstanceCount: spec.minWarmInstances,", "minInstanceCount: spec.minWarmInstances + 1,"),
  m("gcp-function-max-instances", "gcp", "function", "function.ts", "maxInstanceCount: scale.instances,", "maxInstanceCount: scale.instances + 1,"),
  m("gcp-function-errors-class", "gcp", "function", "function.ts", 'metric.labels.response_code_class="5xx"', 'metric.labels.response_code_class="4xx"'),
  // GCP: queue
  m("gcp-queue-attempts", "gcp", "queue", "dead-letter.ts", "maxDeliveryAttempts: props.maxDeliveryAttempts }", "maxDeliveryAttempts: props.maxDeliveryAttempts + 1 }"),
  m("gcp-queue-ack-deadline", "gcp", "queue", "push-sizing.ts", "Math.max(i.consumerTimeoutSeconds, Math.min(i.visibilitySeconds, PUBSUB_MAX_ACK_SECONDS))", "Math.max(i.consumerTimeoutSeconds, Math.min(i.visibilitySeconds, 300))"),
  m("gcp-queue-backoff", "gcp", "queue", "push-sizing.ts", "Math.min(PUBSUB_MAX_BACKOFF_SECONDS, Math.max(timeout, Math.floor(window / fitted)))", "Math.floor(Math.min(PUBSUB_MAX_BACKOFF_SECONDS, Math.max(timeout, Math.floor(window / fitted))) / 2)"),
  m("gcp-queue-sized-attempts", "gcp", "queue", "push-sizing.ts", "const fitted = clamp(Math.floor(window / timeout));", "const fitted = clamp(Math.floor(window / timeout) * 2);"),
  m("gcp-queue-declared-attempts", "gcp", "queue", "queue.ts", "maxDeliveryAttempts: this.push.attempts,", "maxDeliveryAttempts: this.resolved.maxDeliveryAttempts,"),
  m("gcp-queue-retention", "gcp", "queue", "queue.ts", "retentionSeconds: this.resolved.retentionSeconds,\n      dlqRetentionSeconds", "retentionSeconds: this.resolved.retentionSeconds * 2,\n      dlqRetentionSeconds"),
  m("gcp-queue-expiry", "gcp", "queue", "dead-letter.ts", '// Subscriptions expire after 31 idle days by default; an empty ttl means never.\n      expirationPolicy: { ttl: "" },', ""),
  m("gcp-queue-dlq-retention", "gcp", "queue", "dead-letter.ts", "messageRetentionDuration: seconds(props.dlqRetentionSeconds),\n      ackDeadlineSeconds: 60,", "messageRetentionDuration: seconds(props.retentionSeconds),\n      ackDeadlineSeconds: 60,"),
  // GCP: bus
  m("gcp-bus-prefix-as-exact", "gcp", "bus", "event-filter.ts", "(prefix ? `hasPrefix(attributes.${key}, ${literal(v)})` : `attributes.${key} = ${literal(v)}`)", "(!prefix ? `hasPrefix(attributes.${key}, ${literal(v)})` : `attributes.${key} = ${literal(v)}`)"),
  m("gcp-bus-default-attempts", "gcp", "bus", "event-bus.ts", "const DEFAULT_ATTEMPTS = 100;", "const DEFAULT_ATTEMPTS = 50;"),
  m("gcp-bus-event-age", "gcp", "bus", "event-bus.ts", "Math.min(PUBSUB_MAX_RETENTION_SECONDS, Math.max(retry.maxEventAgeSeconds, schedule));", "Math.min(PUBSUB_MAX_RETENTION_SECONDS, Math.max(retry.maxEventAgeSeconds * 2, schedule));"),
  // Issue 28.5: the subscription's backoff is no longer the one its retention was fitted to, so the retry schedule outlasts the retention (events expire undelivered).
  m("gcp-bus-backoff-unfitted", "gcp", "bus", "dead-letter.ts", "retryPolicy: { minimumBackoff: `${minBackoff}s`, maximumBackoff: `${maxBackoff}s` },", "retryPolicy: { minimumBackoff: `${minBackoff}s`, maximumBackoff: \"600s\" },"),
  // Issue 28.6: a rule's pushes retried after 10 s instead of the target's timeout (the fitted schedule, and so the raised retention, shrink).
  m("gcp-bus-rule-min-backoff", "gcp", "bus", "event-bus.ts", "const minBackoff = Math.min(600, queue?.push ? queue.push.backoffSeconds : consumer.spec.timeoutSeconds);", "const minBackoff = Math.min(600, queue?.push ? queue.push.backoffSeconds : 10);"),
  // Issue 28.8: a scheduled rule's subscription on the bus topic while its ticks go to the tick topic, and ticks published onto the bus.
  m("gcp-bus-schedule-subscription-on-bus", "gcp", "bus", "event-bus.ts", "topic: job?.topic ?? this.topic,", "topic: this.topic,"),
  m("gcp-bus-ticks-on-bus", "gcp", "bus", "event-bus.ts", "        topicName: topic.id,", "        topicName: this.topic.id,"),
  // Issue 28.8: failed schedule runs counted only at CRITICAL (Cloud Scheduler logs them at ERROR), and alarmed from the third.
  m("gcp-bus-schedule-failed-severity", "gcp", "bus", "event-bus.ts", "AttemptFinished\" AND severity>=ERROR`", "AttemptFinished\" AND severity>=CRITICAL`"),
  m("gcp-bus-schedule-failed-threshold", "gcp", "bus", "event-bus.ts", "signal: \"schedule.failedRuns\", name: `${jobName} failed runs`, threshold: 1,", "signal: \"schedule.failedRuns\", name: `${jobName} failed runs`, threshold: 3,"),
  m("gcp-bus-push-endpoint", "gcp", "bus", "event-bus.ts", "          endpoint: consumer.url,", "          endpoint: (props.functions[Object.keys(props.functions)[0]] ?? consumer).url,"),
  m("gcp-bus-schedule", "gcp", "bus", "event-bus.ts", 'schedule: cron?.cron ?? "",', 'schedule: cron?.cron?.replace(/^(\\S+) /, "5 ") ?? "",'),
  m("gcp-bus-publisher-role", "gcp", "bus", "event-bus.ts", 'new PubsubTopicIamMember(this, `publisher-${f.logicalId}`, { topic: this.topic.id, role: "roles/pubsub.publisher"', 'new PubsubTopicIamMember(this, `publisher-${f.logicalId}`, { topic: this.topic.id, role: "roles/pubsub.viewer"'),
  // GCP: gateway
  m("gcp-gateway-throttle", "gcp", "gateway", "gateway.ts", "return { count: burstLimit + rateLimit * intervalSec, intervalSec };", "return { count: burstLimit + rateLimit * intervalSec * 2, intervalSec };"),
  m("gcp-gateway-audiences", "gcp", "gateway", "gateway.ts", '"x-google-audiences": spec.auth.audiences.join(","),', '"x-google-audiences": [...spec.auth.audiences, "any-audience"].join(","),'),
  m("gcp-gateway-issuer", "gcp", "gateway", "gateway.ts", '"x-google-issuer": spec.auth.issuer,', '"x-google-issuer": spec.auth.issuer.replace(/\\/$/, ""),'),
  m("gcp-gateway-deadline", "gcp", "gateway", "gateway.ts", "export const GATEWAY_DEADLINE_SECONDS = 60;", "export const GATEWAY_DEADLINE_SECONDS = 5;"),
  m("gcp-gateway-no-security", "gcp", "gateway", "gateway.ts", "? { security: [{ jwt: [] }] } : {}", "? {} : {}"),
  m("gcp-gateway-no-cors-answer", "gcp", "gateway", "gateway.ts", "return gatewayRuntimeEnvironment(spec, fnId, { cors: true, jwt: true }, jwksUriOf);", "return gatewayRuntimeEnvironment(spec, fnId, { cors: false, jwt: true }, jwksUriOf);"),
  // GCP: database
  m("gcp-database-pool-size", "gcp", "database", "database-proxy.ts", '{ name: "max_pool_size", value: String(this.maxPoolSize) },', '{ name: "max_pool_size", value: String(this.maxPoolSize * 2) },'),
  m("gcp-database-wait-timeout", "gcp", "database", "database-proxy.ts", '{ name: "query_wait_timeout", value: String(pool.borrowTimeoutSeconds) },', '{ name: "query_wait_timeout", value: String(pool.borrowTimeoutSeconds + 1) },'),
  m("gcp-database-tls", "gcp", "database", "database-proxy.ts", 'sslMode: "ENCRYPTED_ONLY",', 'sslMode: "ALLOW_UNENCRYPTED_AND_ENCRYPTED",'),
  m("gcp-database-pitr", "gcp", "database", "database-proxy.ts", "transactionLogRetentionDays: backupDays,", "transactionLogRetentionDays: backupDays - 1,"),
  m("gcp-database-iam", "gcp", "database", "database-proxy.ts", '{ name: "cloudsql.iam_authentication", value: "on" },', '{ name: "cloudsql.iam_authentication", value: "off" },'),
  m("gcp-database-cpu-threshold", "gcp", "database", "database-proxy.ts", 'threshold: 0.8, aligner: "ALIGN_MEAN", periodSeconds: 900,', 'threshold: 0.9, aligner: "ALIGN_MEAN", periodSeconds: 900,'),

  // Azure: function
  m("azure-function-memory", "azure", "function", "function.ts", "instanceMemoryInMb: memory,", "instanceMemoryInMb: 4096,"),
  m("azure-function-timeout", "azure", "function", "function.ts", "AzureFunctionsJobHost__functionTimeout: hhmmss(spec.timeoutSeconds),", "AzureFunctionsJobHost__functionTimeout: hhmmss(spec.timeoutSeconds + 1),"),
  m("azure-function-max-instances", "azure", "function", "function.ts", "maximumInstanceCount: this.scale.instances,", "maximumInstanceCount: this.scale.instances + 1,"),
  m("azure-function-http-concurrency", "azure", "function", "function.ts", "httpConcurrency: this.scale.perInstance,", "httpConcurrency: this.scale.perInstance * 2,"),
  m("azure-function-warm", "azure", "function", "function.ts", "instanceCount: spec.minWarmInstances }]", "instanceCount: spec.minWarmInstances + 1 }]"),
  m("azure-function-errors-aggregation", "azure", "function", "function.ts", 'metric: "requests/failed", aggregation: "Count",', 'metric: "requests/failed", aggregation: "Average",'),
  // Issue 28.12: the Service Bus consumer's errors alarm without the runtime's retried attempts, or left a metric alert on failed requests.
  m("azure-function-log-alert-without-retried-attempts", "azure", "function", "function.ts", "        `(requests | where cloud_RoleName == ${app} and success == false),`,\n        `(traces | where cloud_RoleName == ${app} and message has ${JSON.stringify(ATTEMPT_FAILED_EVENT)})`,", "        `(requests | where cloud_RoleName == ${app} and success == false)`,"),
  m("azure-queue-errors-alarm-counts-requests-only", "azure", "queue", "queue.ts", "        consumer.countFailedAttempts();", "        void consumer;"),
  // Issue 28.14: Flex Consumption's 512 MB size forgotten (256 and 512 MB specs rounded up to 2048).
  m("azure-function-no-512", "azure", "function", "limits.ts", "export const FLEX_MEMORY_MB = [512, 2048, 4096] as const;", "export const FLEX_MEMORY_MB = [2048, 4096] as const;"),
  // Azure: queue
  m("azure-queue-delivery-count", "azure", "queue", "queue.ts", "maxDeliveryCount: this.resolved.maxDeliveryAttempts,", "maxDeliveryCount: this.resolved.maxDeliveryAttempts + 1,"),
  m("azure-queue-lock", "azure", "queue", "queue.ts", "lockDuration: serviceBusDuration(lock),", "lockDuration: serviceBusDuration(Math.min(lock, 30)),"),
  m("azure-queue-ttl", "azure", "queue", "queue.ts", "defaultMessageTtl: serviceBusDuration(this.resolved.retentionSeconds),", "defaultMessageTtl: serviceBusDuration(this.resolved.retentionSeconds * 2),"),
  m("azure-queue-expiry-drops", "azure", "queue", "queue.ts", "deadLetteringOnMessageExpiration: true,", "deadLetteringOnMessageExpiration: false,"),
  m("azure-queue-calls-per-instance", "azure", "queue", "queue.ts", "consumer.addSetting(SERVICE_BUS_HOST_SETTINGS.maxConcurrentCalls, String(consumer.scale.perInstance));", "consumer.addSetting(SERVICE_BUS_HOST_SETTINGS.maxConcurrentCalls, String(consumer.scale.perInstance * 2));"),
  m("azure-queue-retry-delay", "azure", "queue", "queue.ts", "String(this.retryDelaySeconds));", "String(Math.floor(this.retryDelaySeconds / 2)));"),
  m("azure-queue-trigger-setting", "azure", "queue", "queue.ts", "consumer.addSetting(`QUEUE_${prefix}__fullyQualifiedNamespace`,", "consumer.addSetting(`QUEUE_${prefix}__fullyQualifiedName`,"),
  // Azure: bus
  m("azure-bus-attempts", "azure", "bus", "event-bus.ts", "retryPolicy: { maxDeliveryAttempts: Math.min(rule.retry?.maxAttempts ?? 30, 30),", "retryPolicy: { maxDeliveryAttempts: Math.min(rule.retry?.maxAttempts ?? 30, 20),"),
  m("azure-bus-event-ttl", "azure", "bus", "event-bus.ts", "eventTimeToLive: Math.max(1, Math.ceil(retry.maxEventAgeSeconds / 60)) },", "eventTimeToLive: Math.max(1, Math.ceil(retry.maxEventAgeSeconds / 30)) },"),
  m("azure-bus-source-filter", "azure", "bus", "event-bus.ts", 'stringIn.push({ key: "source", values: [...filter.source] });', 'stringIn.push({ key: "subject", values: [...filter.source] });'),
  m("azure-bus-no-type-filter", "azure", "bus", "event-bus.ts", "includedEventTypes: filter.includedEventTypes,", "includedEventTypes: undefined,"),
  m("azure-bus-no-dead-letters", "azure", "bus", "event-bus.ts", "        storageBlobDeadLetterDestination: { storageAccountId: ctx.storage.id, storageBlobContainerName: this.deadLetters.name },\n        deadLetterIdentity: { type: \"SystemAssigned\" },\n        dependsOn: [ticks?.deadLetterWriter ?? dlWriter, ...(sender ? [sender] : [])],", "        dependsOn: [ticks?.deadLetterWriter ?? dlWriter, ...(sender ? [sender] : [])],"),
  // Issue 28.8: a scheduled rule subscribed on the bus topic while the Logic App posts to the tick topic.
  m("azure-bus-schedule-subscription-on-bus", "azure", "bus", "event-bus.ts", "const topic = ticks?.topic ?? this.topic;", "const topic = this.topic;"),
  // Issue 28.8: Logic App run failures alarmed only from the third.
  m("azure-bus-runs-failed-threshold", "azure", "bus", "event-bus.ts", "metric: \"RunsFailed\", aggregation: \"Total\", threshold: 1,", "metric: \"RunsFailed\", aggregation: \"Total\", threshold: 3,"),
  // Issue 28.18: a cron recurrence without its fixed start also runs whenever the workflow is saved.
  m("azure-bus-cron-start", "azure", "bus", "event-bus.ts", "startTime: r?.startTime ?? RECURRENCE_START,", "startTime: r?.schedule ? undefined : r?.startTime ?? RECURRENCE_START,"),
  m("azure-bus-recurrence-minutes", "azure", "bus", "schedule.ts", "atTheseMinutes: minutes,", "atTheseMinutes: minutes.map((x) => (x + 5) % 60),"),
  m("azure-bus-queue-sender-role", "azure", "bus", "event-bus.ts", 'new RoleAssignment(this, `send-${ruleId}`, { scope: queue.queue.id, roleDefinitionName: "Azure Service Bus Data Sender"', 'new RoleAssignment(this, `send-${ruleId}`, { scope: queue.queue.id, roleDefinitionName: "Azure Service Bus Data Receiver"'),
  // Azure: gateway
  m("azure-gateway-rate-window", "azure", "gateway", "policy-xml.ts", "const calls = spec.throttle.burstLimit + spec.throttle.rateLimit * RATE_LIMIT_PERIOD_SECONDS;", "const calls = spec.throttle.burstLimit + spec.throttle.rateLimit * 30;"),
  m("azure-gateway-audience", "azure", "gateway", "policy-xml.ts", "`<audiences>${spec.auth.audiences.map((a) => `<audience>${xml(a)}</audience>`).join(\"\")}</audiences>`,", "`<audiences>${[...spec.auth.audiences, \"any-audience\"].map((a) => `<audience>${xml(a)}</audience>`).join(\"\")}</audiences>`,"),
  m("azure-gateway-openid-url", "azure", "gateway", "policy-xml.ts", '/.well-known/openid-configuration`)}" />`,', '/.well-known/jwks.json`)}" />`,'),
  m("azure-gateway-cors-max-age", "azure", "gateway", "policy-xml.ts", '`<allowed-methods preflight-result-max-age="${c.maxAgeSeconds}">', '`<allowed-methods preflight-result-max-age="${c.maxAgeSeconds * 2}">'),
  m("azure-gateway-method", "azure", "gateway", "gateway.ts", 'method: route.method === "ANY" ? "*" : route.method,', 'method: route.method === "ANY" || route.method === "GET" ? "*" : route.method,'),
  m("azure-gateway-no-jwt-route", "azure", "gateway", "gateway.ts", "xmlContent: operationPolicyXml(spec, route.authorized !== false, backendOf(props.serviceName, route.function)),", "xmlContent: operationPolicyXml(spec, route.authorized !== false && route.method !== \"GET\", backendOf(props.serviceName, route.function)),"),
  // Azure: database
  m("azure-database-pool-size", "azure", "database", "database-proxy.ts", '["pgbouncer.default_pool_size", String(Math.max(1, Math.floor((this.userConnections * pool.maxConnectionsPercent) / 100 / clients)))],', '["pgbouncer.default_pool_size", String(2 * Math.max(1, Math.floor((this.userConnections * pool.maxConnectionsPercent) / 100 / clients)))],'),
  // Issue 28.13: the pool and the saturation alarm sized from max_connections, forgetting the connections Azure keeps.
  m("azure-database-pool-of-max-connections", "azure", "database", "database-proxy.ts", "String(Math.max(1, Math.floor((this.userConnections * pool.maxConnectionsPercent) / 100 / clients)))", "String(Math.max(1, Math.floor(((this.userConnections + AZURE_RESERVED_CONNECTIONS) * pool.maxConnectionsPercent) / 100 / clients)))"),
  m("azure-database-saturation-of-max-connections", "azure", "database", "database-proxy.ts", "threshold: Math.floor((this.userConnections * t.proxyConnectionSaturationPercent) / 100),", "threshold: Math.floor(((this.userConnections + AZURE_RESERVED_CONNECTIONS) * t.proxyConnectionSaturationPercent) / 100),"),
  m("azure-database-idle-floor", "azure", "database", "database-proxy.ts", '["pgbouncer.min_pool_size", "0"],', '["pgbouncer.min_pool_size", "2"],'),
  m("azure-database-wait-timeout", "azure", "database", "database-proxy.ts", '["pgbouncer.query_wait_timeout", String(pool.borrowTimeoutSeconds)],', '["pgbouncer.query_wait_timeout", String(pool.borrowTimeoutSeconds + 1)],'),
  m("azure-database-tls", "azure", "database", "database-proxy.ts", 'const settings: [string, string][] = [["require_secure_transport", "ON"]];', 'const settings: [string, string][] = [["require_secure_transport", "OFF"]];'),
  m("azure-database-backups", "azure", "database", "database-proxy.ts", "backupRetentionDays: Math.max(7, ctx.env.retention?.backupDays ?? 7),", "backupRetentionDays: Math.max(14, ctx.env.retention?.backupDays ?? 7),"),
  m("azure-database-cpu-metric", "azure", "database", "database-proxy.ts", 'metric: "cpu_percent",', 'metric: "cpu_percentage",'),
];
