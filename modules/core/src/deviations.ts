import { AlarmCondition, ServiceBehaviour } from "./behaviour";
import { INTENDED_DEFAULTS, intendedBehaviour } from "./behaviour-intent";
import { alignedRate } from "./behaviour-canonical";
import { Cloud, EnvironmentConfig } from "./environment";
import { queueCappedConsumers } from "./resolve";
import { migrationStepId } from "./migration-step";
import { parseSchedule } from "./schedule";
import { ServiceSpec, jwksUriOf } from "./specs";

/**
 * The values a deviating cloud may show instead of the spec's intent: one exact value (which may
 * be `undefined`: the alarm or attribute is absent), or a closed numeric range with both ends.
 * There is no open end and no "anything": every bound is computed from the spec and environment.
 */
export type Bound = { readonly exactly: unknown } | { readonly min: number; readonly max: number };

/** What a deviation's bound is computed from. */
export interface DeviationContext {
  readonly service: ServiceSpec;
  readonly env: EnvironmentConfig;
  readonly cloud: Cloud;
  /** The component the entry applies to (`function:api`, `rule:events/x`, `budget:env`, …). */
  readonly component: string;
  /** The intended value of the field for this component (undefined where the spec asks for nothing). */
  readonly intent: unknown;
  /** The cloud's own record, for bounds that depend on that cloud's server (pool count, max_connections). */
  readonly record: ServiceBehaviour;
}

/**
 * The one table of behaviour differences between clouds that a cloud's limits force. Every other
 * field of every cloud's record must equal the spec's intent (`intendedBehaviour`), and therefore
 * the other clouds' records. Each entry warns at synth time for every component it applies to.
 */
export interface Deviation {
  /** `kind.field` of the behaviour record (`function.memoryMb`), or `alarm.<signal>` for a whole alarm. */
  readonly field: string;
  readonly clouds: readonly Cloud[];
  /** The deviating value, in words. */
  readonly bound: string;
  readonly reason: string;
  /** Components (`function:api`, …) of this service the entry applies to on that cloud. */
  appliesTo(service: ServiceSpec, env: EnvironmentConfig, cloud: Cloud): string[];
  /** The values allowed instead of the intent (both ends, or exactly one value). */
  allowed(ctx: DeviationContext): Bound;
}

const D = INTENDED_DEFAULTS;
const ids = (kind: string, m: Readonly<Record<string, unknown>> | undefined, pred: (v: any, id: string) => boolean = () => true) =>
  Object.entries(m ?? {}).filter(([id, v]) => pred(v, id)).map(([id]) => `${kind}:${id}`);
/** The service's functions and each database's migration step (a function the deploy invokes). */
const functionIds = (s: ServiceSpec) => [...ids("function", s.functions), ...Object.keys(s.databases ?? {}).map((db) => `function:${migrationStepId(db)}`)];
const idOf = (component: string) => component.slice(component.indexOf(":") + 1);
const rulesOf = (s: ServiceSpec) => Object.entries(s.buses ?? {}).flatMap(([bus, b]) => Object.entries(b.rules ?? {}).map(([id, r]) => ({ component: `rule:${bus}/${id}`, bus, r })));
const noPooling = (cloud: Cloud) => (s: ServiceSpec, env: EnvironmentConfig) => {
  const db = env.clouds[cloud]?.database as Record<string, unknown> | undefined;
  const off = cloud === "aws" ? db?.proxy === false
    : cloud === "gcp" ? db?.edition === "ENTERPRISE" : String(db?.skuName ?? "").startsWith("B_");
  return off ? ids("database", s.databases) : [];
};
const timeoutOf = (s: ServiceSpec, fnId: string) => s.functions?.[fnId]?.timeoutSeconds ?? D.timeoutSeconds;
const visibilityOf = (s: ServiceSpec, qId: string) => {
  const q = s.queues![qId];
  return q.visibilityTimeoutSeconds ?? timeoutOf(s, q.consumer) * D.visibilityFactor;
};
/** Flex Consumption instance sizes (MiB). */
const FLEX_SIZES = [512, 2048, 4096];
/** Cloud Functions and Flex Consumption: instances when the spec sets no cap, and the most instances. */
const DEFAULT_INSTANCES = 100;
const MAX_INSTANCES = 1000;
/** Pub/Sub push waits at most this long for an acknowledgement; retries wait at most this long. */
const PUBSUB_MAX_SECONDS = 600;
/** Pub/Sub delivers a message at most 100 times before dead-lettering it. */
const PUBSUB_MAX_ATTEMPTS = 100;
/** Service Bus locks last at most five minutes. */
const SERVICE_BUS_MAX_LOCK = 300;
const GCP_DEADLINE = 60;
const AWS_INTEGRATION_TIMEOUT = 30;
/** Azure Monitor metric alert windows (seconds). */
const AZURE_WINDOWS = [60, 300, 900, 1800, 3600, 21600, 43200, 86400];
const isConsumption = (env: EnvironmentConfig) => (env.clouds.azure?.apiManagementSku ?? "Consumption_0").startsWith("Consumption");
/** A function's effective cap where the spec sets none: default instances × requests per instance. */
const uncappedCap = (s: ServiceSpec, fnId: string) => DEFAULT_INSTANCES * Math.max(1, Math.min(s.functions?.[fnId]?.concurrency?.perInstance ?? 1, MAX_INSTANCES));
/** The cap GCP and Azure give a function: the queue's when it is capped by its only queue, else its own, else the default. */
const renderedCap = (s: ServiceSpec, fnId: string) => queueCappedConsumers(s)[fnId]?.cap ?? s.functions?.[fnId]?.concurrency?.max ?? uncappedCap(s, fnId);
const exactly = (value: unknown): Bound => ({ exactly: value });
/** The fixed start of every Logic App recurrence the Azure module writes (modules/azure/src/schedule.ts). */
const LOGIC_APP_RECURRENCE_START = "2025-01-01T00:00:00Z";
/** A rate rule's firing times counted from a fixed start (`alignedRate`); null for another schedule. */
const rateFrom = (service: ServiceSpec, component: string, start: string) => {
  const p = parseSchedule(rulesOf(service).find((x) => x.component === component)!.r.schedule);
  return typeof p === "object" && p.kind === "rate" ? alignedRate(p.value * { minutes: 60, hours: 3600, days: 86400 }[p.unit], start) : null;
};
const alarmAs = (intent: unknown, change: Partial<AlarmCondition>): Bound => exactly({ ...(intent as AlarmCondition), ...change });
const alarm = (atLeast: number, windowSeconds: number, statistic: AlarmCondition["statistic"], missingData: AlarmCondition["missingData"] = "ok"): AlarmCondition =>
  ({ atLeast, windowSeconds, perSeries: false, statistic, missingData, notifies: true });
const thresholds = (env: EnvironmentConfig) => ({ ...D.thresholds, ...(env.alarms?.thresholds ?? {}) });

/**
 * The longest a rule into a function takes to use up its Pub/Sub attempts when the spec's event age
 * cannot hold them (`pubsubScheduleExceedsAge`), or undefined when the age holds them. Pub/Sub
 * dead-letters only after the last attempt and drops whatever expires first, so GCP keeps such a
 * rule's events for the whole retry schedule: at most 100 attempts, each push waiting up to the
 * target's timeout (at most 600 s, the ack deadline's ceiling) and each wait before the next at
 * least that timeout (the minimum backoff). Where the age holds the attempts, the maximum backoff
 * is fitted into it and the age is kept.
 */
export function pubsubScheduleExceedsAge(s: ServiceSpec, rule: { target: { function?: string; queue?: string }; retry?: { maxAttempts?: number; maxEventAgeSeconds?: number } }): number | undefined {
  if (rule.target.function === undefined) return undefined;
  const attempts = Math.min(rule.retry?.maxAttempts ?? D.eventRetryAttempts, PUBSUB_MAX_ATTEMPTS);
  const age = rule.retry?.maxEventAgeSeconds ?? D.eventMaxAgeSeconds;
  const push = Math.min(PUBSUB_MAX_SECONDS, timeoutOf(s, rule.target.function));
  const schedule = attempts * (push + push);
  return schedule > age ? schedule : undefined;
}

/**
 * A queue's Pub/Sub push attempts and spacing (issue 28.6): a push rejected at the consumer's cap
 * counts as an attempt, so GCP fits as many attempts as it can, one consumer timeout apart, into
 * the time SQS takes to dead-letter a failing message (declared receives × visibility), between
 * the declared receives and 100, and no more than the retention holds (each attempt up to the ack
 * deadline plus the spacing). A burst of attempts × the consumer's cap is delivered without dead letters.
 */
export function pubsubQueuePush(s: ServiceSpec, qId: string): { attempts: number; spacing: number } {
  const q = s.queues![qId];
  const declared = q.maxDeliveryAttempts ?? D.maxDeliveryAttempts;
  const timeout = Math.min(PUBSUB_MAX_SECONDS, timeoutOf(s, q.consumer));
  const visibility = visibilityOf(s, qId);
  const ack = Math.max(timeoutOf(s, q.consumer), Math.min(visibility, PUBSUB_MAX_SECONDS));
  const window = declared * visibility;
  const within = (n: number) => Math.max(declared, Math.min(PUBSUB_MAX_ATTEMPTS, n));
  const most = within(Math.floor(window / timeout));
  const spacing = Math.min(PUBSUB_MAX_SECONDS, Math.max(timeout, Math.floor(window / most)));
  const retention = q.retentionSeconds ?? D.queueRetentionSeconds;
  return { attempts: within(Math.min(most, Math.floor(retention / (ack + spacing)))), spacing };
}
/** The lowest and highest cap GCP may render for a function (below 1000 × ⌊cap / 1000⌋ only without an exact split). */
const gcpCapRange = (s: ServiceSpec, fnId: string) => {
  const cap = renderedCap(s, fnId);
  return { low: cap > MAX_INSTANCES ? MAX_INSTANCES * Math.floor(cap / MAX_INSTANCES) : cap, high: cap };
};

export const DEVIATIONS: readonly Deviation[] = [
  {
    field: "function.memoryMb", clouds: ["azure"], bound: "rounded up to the next Flex Consumption instance size: 512, 2048 or 4096 MiB",
    reason: "Flex Consumption has three instance sizes",
    appliesTo: (s) => ids("function", s.functions, (f) => !FLEX_SIZES.includes(f.memoryMb ?? D.memoryMb)),
    allowed: ({ service, component }) => exactly(FLEX_SIZES.find((m) => m >= (service.functions[idOf(component)].memoryMb ?? D.memoryMb)) ?? FLEX_SIZES[FLEX_SIZES.length - 1]),
  },
  {
    field: "function.maxConcurrency", clouds: ["gcp", "azure"], bound: "exactly 100 instances × concurrency.perInstance when the spec sets no cap",
    reason: "the cap is max instances × requests per instance, and an instance maximum is always set; Lambda leaves an uncapped function to the account's unreserved concurrency",
    appliesTo: (s) => ids("function", s.functions, (f, id) => f.concurrency?.max === undefined && !queueCappedConsumers(s)[id]),
    allowed: ({ service, component }) => exactly(uncappedCap(service, idOf(component))),
  },
  {
    field: "function.maxConcurrency", clouds: ["gcp", "azure"], bound: "between 1000 × ⌊cap / 1000⌋ and the cap when no instances × per-instance split gives the cap exactly",
    reason: "at most 1000 instances: a cap above that with no divisor in reach becomes the nearest product below it (warned at synth)",
    appliesTo: (s) => ids("function", s.functions, (f) => typeof f.concurrency?.max === "number" && f.concurrency.max > MAX_INSTANCES
      && !Array.from({ length: MAX_INSTANCES }, (_, i) => i + 1).some((p) => f.concurrency.max % p === 0 && f.concurrency.max / p <= MAX_INSTANCES)),
    allowed: ({ service, component }) => {
      const cap = service.functions[idOf(component)].concurrency!.max!;
      return { min: MAX_INSTANCES * Math.floor(cap / MAX_INSTANCES), max: cap };
    },
  },
  {
    field: "function.maxConcurrency", clouds: ["gcp", "azure"], bound: "exactly its queue's maxConcurrency when that queue is the function's only trigger",
    reason: "Pub/Sub push and the Service Bus trigger cannot cap one queue's deliveries; capping a consumer that nothing else invokes gives the SQS event source mapping's queue-level cap",
    appliesTo: (s) => Object.keys(queueCappedConsumers(s)).map((f) => `function:${f}`),
    allowed: ({ service, component }) => exactly(queueCappedConsumers(service)[idOf(component)].cap),
  },
  {
    field: "queue.maxConsumerConcurrency", clouds: ["gcp", "azure"], bound: "exactly the consumer function's cap when the consumer also serves routes, rules or other queues",
    reason: "Pub/Sub push has no per-subscription concurrency limit; the Service Bus trigger's maxConcurrentCalls is per app instance, not per queue (warned at synth)",
    appliesTo: (s) => ids("queue", s.queues, (q) => q.maxConcurrency !== undefined && !queueCappedConsumers(s)[q.consumer]
      && q.maxConcurrency < (s.functions[q.consumer]?.concurrency?.max ?? Infinity)),
    allowed: ({ service, component }) => exactly(renderedCap(service, service.queues![idOf(component)].consumer)),
  },
  {
    field: "queue.retrySpacingSeconds", clouds: ["azure"], bound: "0 (immediate redelivery) when the consumer runs Python",
    reason: "the Functions host abandons a failed Service Bus message and Service Bus redelivers it at once; only the Node.js runtime re-sends a failed message scheduled one retry delay later",
    appliesTo: (s) => ids("queue", s.queues, (q) => String(s.functions[q.consumer]?.runtime ?? "").startsWith("python")),
    allowed: () => exactly(0),
  },
  {
    field: "queue.retrySpacingSeconds", clouds: ["gcp"], bound: "the declared attempts × the visibility window divided by the sized attempts (queue.deliveryAttempts), at least the consumer's timeout, at most 600 s",
    reason: "a push rejected at the consumer's cap counts as a Pub/Sub delivery attempt: attempts one consumer timeout apart (the cap has turned over) fill the time SQS takes to dead-letter a failing message; Pub/Sub backs off at most 600 s",
    appliesTo: (s) => ids("queue", s.queues, (_q, id) => pubsubQueuePush(s, id).spacing !== visibilityOf(s, id)),
    allowed: ({ service, component }) => exactly(pubsubQueuePush(service, idOf(component)).spacing),
  },
  {
    field: "queue.deliveryAttempts", clouds: ["gcp"], bound: "⌊declared attempts × visibility window / consumer timeout⌋, at most 100 and at most what the retention holds (retention / (ack deadline + spacing)), never below the declared attempts",
    reason: "Pub/Sub cannot tell a push rejected at the consumer's cap from a failure: more attempts let a burst of attempts × cap drain without dead letters, and a failing message still reaches the DLQ about when SQS would move it",
    appliesTo: (s) => ids("queue", s.queues, (q, id) => pubsubQueuePush(s, id).attempts !== (q.maxDeliveryAttempts ?? D.maxDeliveryAttempts)),
    allowed: ({ service, component }) => exactly(pubsubQueuePush(service, idOf(component)).attempts),
  },
  {
    field: "queue.burstWithoutDeadLetter", clouds: ["gcp"], bound: "the queue's Pub/Sub delivery attempts × its consumer's cap (instances × requests per instance)",
    reason: "Pub/Sub push counts a push rejected at the consumer's cap as a delivery attempt; each rejection of a message is one consumer timeout after the last, when the cap has turned over. SQS and Service Bus hold a message until the consumer has room (warned at synth when the senders could send more)",
    appliesTo: (s) => ids("queue", s.queues, (q) => s.functions?.[q.consumer] !== undefined),
    allowed: ({ service, component }) => {
      const id = idOf(component);
      const { attempts } = pubsubQueuePush(service, id);
      const { low, high } = gcpCapRange(service, service.queues![id].consumer);
      return { min: attempts * low, max: attempts * high };
    },
  },
  {
    field: "queue.visibilitySeconds", clouds: ["gcp"], bound: "the visibility window capped at 600 s, never below the consumer's timeout",
    reason: "a push subscription's ack deadline is at most 600 s",
    appliesTo: (s) => ids("queue", s.queues, (_q, id) => visibilityOf(s, id) > PUBSUB_MAX_SECONDS),
    allowed: ({ service, component }) => {
      const q = service.queues![idOf(component)];
      return exactly(Math.max(timeoutOf(service, q.consumer), Math.min(visibilityOf(service, idOf(component)), PUBSUB_MAX_SECONDS)));
    },
  },
  {
    field: "queue.visibilitySeconds", clouds: ["azure"], bound: "the lock: the consumer's timeout (or the spec's visibility window if longer), at most 300 s",
    reason: "a Service Bus lock lasts at most five minutes and the Functions host renews it while the consumer runs, so the lock covers one invocation instead of a batch window",
    appliesTo: (s) => ids("queue", s.queues, (q, id) => Math.min(SERVICE_BUS_MAX_LOCK, Math.max(timeoutOf(s, q.consumer), q.visibilityTimeoutSeconds ?? 0)) !== visibilityOf(s, id)),
    allowed: ({ service, component }) => {
      const q = service.queues![idOf(component)];
      return exactly(Math.min(SERVICE_BUS_MAX_LOCK, Math.max(timeoutOf(service, q.consumer), q.visibilityTimeoutSeconds ?? 0)));
    },
  },
  {
    field: "queue.senders", clouds: ["azure"], bound: "the spec's senders and the consumer itself when it runs Node.js",
    reason: "the Node.js runtime re-sends a failed message to its own queue, scheduled one retry delay later, which needs Data Sender on that queue",
    appliesTo: (s) => ids("queue", s.queues, (q) => String(s.functions[q.consumer]?.runtime ?? "").startsWith("nodejs") && !(q.producers ?? []).includes(q.consumer)),
    allowed: ({ service, component, intent }) => exactly([...(intent as string[]), `function:${service.queues![idOf(component)].consumer}`].sort()),
  },
  {
    field: "rule.attempts", clouds: ["gcp"], bound: "the target queue's Pub/Sub delivery attempts (queue.deliveryAttempts) for a rule into a queue",
    reason: "Pub/Sub cannot forward topic to topic: a rule into a queue is a subscription delivering to the queue's consumer exactly as the queue's own does, with the attempts sized from that consumer's cap",
    appliesTo: (s) => rulesOf(s).filter(({ r }) => "queue" in r.target && s.queues?.[r.target.queue] !== undefined
      && pubsubQueuePush(s, r.target.queue).attempts !== (s.queues[r.target.queue].maxDeliveryAttempts ?? D.maxDeliveryAttempts)).map(({ component }) => component),
    allowed: ({ service, component }) => exactly(pubsubQueuePush(service, (rulesOf(service).find((x) => x.component === component)!.r.target as { queue: string }).queue).attempts),
  },
  {
    field: "rule.attempts", clouds: ["gcp"], bound: "100 when the spec sets no retry.maxAttempts",
    reason: "the default of 185 attempts is above Pub/Sub's maximum of 100 delivery attempts",
    appliesTo: (s) => rulesOf(s).filter(({ r }) => "function" in r.target && r.retry?.maxAttempts === undefined).map(({ component }) => component),
    allowed: () => exactly(100),
  },
  {
    field: "rule.attempts", clouds: ["azure"], bound: "30 when the spec asks for more (185 by default)",
    reason: "Event Grid delivers at most 30 times",
    appliesTo: (s) => rulesOf(s).filter(({ r }) => "function" in r.target && (r.retry?.maxAttempts ?? D.eventRetryAttempts) > 30).map(({ component }) => component),
    allowed: () => exactly(30),
  },
  ...(["rule.maxEventAgeSeconds", "rule.survivesOutageSeconds"] as const).map((field): Deviation => ({
    field, clouds: ["azure"], bound: "the event age rounded up to whole minutes",
    reason: "Event Grid's event time-to-live is set in minutes",
    appliesTo: (s) => rulesOf(s).filter(({ r }) => "function" in r.target && (r.retry?.maxEventAgeSeconds ?? D.eventMaxAgeSeconds) % 60 !== 0).map(({ component }) => component),
    allowed: ({ intent }) => exactly(Math.ceil((intent as number) / 60) * 60),
  })),
  {
    field: "rule.schedule", clouds: ["gcp"], bound: "an evenly spaced cron from 00:00 UTC instead of a rate from the time the job is saved",
    reason: "Cloud Scheduler has no rate expressions: rate(n minutes|hours) becomes */n minutes or hours, rate(1 day) 00:00 daily",
    appliesTo: (s) => rulesOf(s).filter(({ r }) => /^rate\(/.test(r.schedule ?? "")).map(({ component }) => component),
    allowed: ({ service, component }) => exactly(rateFrom(service, component, "2000-01-01T00:00:00Z")),
  },
  {
    field: "rule.schedule", clouds: ["azure"], bound: "the rate counted from a fixed start, 2025-01-01 00:00 UTC (for a period dividing a day: the same times of day as GCP's cron), instead of from the time the workflow is saved",
    reason: "a Logic App recurrence without a start time runs when the workflow is created or saved; a fixed start in the past keeps a save or an update from firing a run or shifting the phase",
    appliesTo: (s) => rulesOf(s).filter(({ r }) => /^rate\(/.test(r.schedule ?? "")).map(({ component }) => component),
    allowed: ({ service, component }) => exactly(rateFrom(service, component, LOGIC_APP_RECURRENCE_START)),
  },
  ...(["rule.maxEventAgeSeconds", "rule.survivesOutageSeconds"] as const).map((field): Deviation => ({
    field, clouds: ["gcp"], bound: "the whole retry schedule, attempts (at most 100) × 2 × the target's timeout (at most 600 s), when the spec's event age cannot hold it (pubsubScheduleExceedsAge; warned at synth)",
    reason: "Pub/Sub dead-letters only after the last attempt and drops whatever expires first, so a rule's events are kept as long as its attempts can take (each push up to the target's timeout, each wait at least that long)",
    appliesTo: (s) => rulesOf(s).filter(({ r }) => pubsubScheduleExceedsAge(s, r) !== undefined).map(({ component }) => component),
    allowed: ({ service, component }) => exactly(pubsubScheduleExceedsAge(service, rulesOf(service).find((x) => x.component === component)!.r)),
  })),
  {
    field: "queue.dlqRetentionSeconds", clouds: ["azure"], bound: "kept until read (no expiry)",
    reason: "the Service Bus dead-letter sub-queue has no time-to-live",
    appliesTo: (s) => ids("queue", s.queues),
    allowed: () => exactly(null),
  },
  {
    field: "queue.expiredMessages", clouds: ["azure"], bound: "dead-lettered instead of dropped",
    reason: "SQS and Pub/Sub delete expired messages; Service Bus can dead-letter them, which keeps more",
    appliesTo: (s) => ids("queue", s.queues),
    allowed: () => exactly("dead-lettered"),
  },
  {
    field: "gateway.jwtKeys", clouds: ["gcp"], bound: "the declared JWKS URL (jwksUri), or <issuer>/.well-known/jwks.json (warned at synth when undeclared)",
    reason: "API Gateway has no OpenID discovery: it is given the JWKS URL at deploy time",
    appliesTo: (s) => ids("gateway", s.gateways, (g) => g.auth !== undefined),
    allowed: ({ service, component }) => exactly(`jwks ${jwksUriOf(service.gateways![idOf(component)].auth!)}`),
  },
  ...([["aws", AWS_INTEGRATION_TIMEOUT, "an HTTP API integration waits at most 30 s"], ["gcp", GCP_DEADLINE, "API Gateway waits at most its x-google-backend deadline (60 s here)"]] as const).map(([cloud, cap, reason]): Deviation => ({
    field: "gateway.routeTimeoutSeconds", clouds: [cloud], bound: `each route's function timeout capped at ${cap} s`,
    reason: `${reason}; the function runs on after the caller got 504 (warned at synth)`,
    appliesTo: (s) => ids("gateway", s.gateways, (g) => g.routes.some((r: { function: string }) => timeoutOf(s, r.function) > cap)),
    allowed: ({ intent }) => exactly(Object.fromEntries(Object.entries(intent as Record<string, number>).map(([k, v]) => [k, Math.min(v, cap)]))),
  })),
  {
    field: "gateway.burst", clouds: ["gcp"], bound: "burstLimit + 10 × rateLimit in one instant",
    reason: "Cloud Armor counts requests in fixed 10 s windows, not a token bucket",
    appliesTo: (s) => ids("gateway", s.gateways),
    allowed: ({ service, component }) => { const t = service.gateways![idOf(component)].throttle; return exactly(t.burstLimit + 10 * t.rateLimit); },
  },
  {
    field: "gateway.requestsPerMinute", clouds: ["gcp"], bound: "6 × (burstLimit + 10 × rateLimit)",
    reason: "each fixed 10 s Cloud Armor window admits its whole count afresh (a token bucket refills only at the rate)",
    appliesTo: (s) => ids("gateway", s.gateways),
    allowed: ({ service, component }) => { const t = service.gateways![idOf(component)].throttle; return exactly(6 * (t.burstLimit + 10 * t.rateLimit)); },
  },
  {
    field: "gateway.burst", clouds: ["azure"], bound: "burstLimit + 60 × rateLimit in one instant",
    reason: "API Management's rate-limit-by-key counts requests in a fixed 60 s window, not a token bucket",
    appliesTo: (s, env) => (isConsumption(env) ? [] : ids("gateway", s.gateways)),
    allowed: ({ service, component }) => { const t = service.gateways![idOf(component)].throttle; return exactly(t.burstLimit + 60 * t.rateLimit); },
  },
  ...(["gateway.requestsPerMinute", "gateway.burst"] as const).map((field): Deviation => ({
    field, clouds: ["azure"], bound: "no limit on the Consumption tier",
    reason: "API Management Consumption has no rate-limit-by-key policy (warned at synth)",
    appliesTo: (s, env) => (isConsumption(env) ? ids("gateway", s.gateways) : []),
    allowed: () => exactly(Infinity),
  })),
  {
    field: "database.poolPercent", clouds: ["gcp", "azure"], bound: "the spec's share, at most 100 × pools / user connections points lower",
    reason: "Managed pooling and PgBouncer size each (database, user) pool, not the total: the share is divided by the pools and rounded down to whole connections",
    appliesTo: (s) => ids("database", s.databases),
    allowed: ({ intent, record, component }) => {
      const db = record.databases[idOf(component)];
      const pct = intent as number;
      return db ? { min: Math.floor(pct - (100 * db.pools) / db.userConnections), max: pct } : exactly(pct);
    },
  },
  ...((): Deviation[] => {
    const reason = "the environment accepts running without pooling (acceptNoPooling: Aurora without RDS Proxy, which bills an 8-ACU floor and keeps Aurora from pausing; Cloud SQL Enterprise; Burstable Flexible Server)";
    const clouds = ["aws", "gcp", "azure"] as const;
    const appliesTo = (s: ServiceSpec, env: EnvironmentConfig, cloud: Cloud) => noPooling(cloud)(s, env);
    return [
      { field: "database.pooled", clouds, bound: "direct connections, no pool", reason, appliesTo, allowed: () => exactly(false) },
      { field: "database.poolPercent", clouds, bound: "100 (every connection the server allows) without a pool", reason, appliesTo, allowed: () => exactly(100) },
      { field: "database.borrowTimeoutSeconds", clouds, bound: "none without a pool", reason, appliesTo, allowed: () => exactly(null) },
      { field: "alarm.proxy.pinnedConnections", clouds, bound: "absent without a pool", reason, appliesTo, allowed: () => exactly(undefined) },
    ];
  })(),
  {
    field: "database.pointInTimeRecoveryDays", clouds: ["azure"], bound: "7 days when the environment keeps backups for fewer",
    reason: "Flexible Server keeps backups 7–35 days",
    appliesTo: (s, env) => (env.retention.backupDays < 7 ? ids("database", s.databases) : []),
    allowed: () => exactly(7),
  },
  {
    field: "alarm.queue.oldestMessageAge", clouds: ["azure"], bound: "a backlog of at least one batch (batchSize messages) for the whole age window, rounded up to an Azure Monitor window, not an age",
    reason: "Service Bus publishes no message-age metric",
    appliesTo: (s) => ids("queue", s.queues),
    allowed: ({ service, env, component }) => {
      const age = thresholds(env).queueOldestMessageAgeSeconds;
      return exactly(alarm(service.queues![idOf(component)].batchSize ?? D.batchSize, AZURE_WINDOWS.find((w) => w >= age) ?? 86400, "low"));
    },
  },
  {
    field: "alarm.function.throttles", clouds: ["azure"], bound: "absent for functions without an HTTP route",
    reason: "Flex Consumption reports throttling as HTTP 429 at the front end only; a queue or event consumer's saturation shows in its backlog alarm",
    appliesTo: (s) => functionIds(s).filter((c) => !Object.values(s.gateways ?? {}).some((g) => g.routes.some((r) => `function:${r.function}` === c))),
    allowed: () => exactly(undefined),
  },
  ...(["alarm.function.durationP99", "alarm.gateway.latencyP99"] as const).map((field): Deviation => ({
    field, clouds: ["azure"], bound: "the maximum instead of the 99th percentile, same threshold",
    reason: "Azure metric alerts have no percentiles; the maximum is stricter",
    appliesTo: (s) => (field === "alarm.function.durationP99" ? functionIds(s) : ids("gateway", s.gateways)),
    allowed: ({ intent }) => alarmAs(intent, { statistic: "peak" }),
  })),
  {
    field: "alarm.queue.dlqDepth", clouds: ["azure"], bound: "clears on a window without data (missing data: ok)",
    reason: "Azure metric alerts have no missing-data setting: a window without data does not breach, and auto-mitigation resolves the alert",
    appliesTo: (s) => ids("queue", s.queues),
    allowed: ({ intent }) => alarmAs(intent, { missingData: "ok" }),
  },
  {
    field: "alarm.queue.dlqDepth", clouds: ["aws"], bound: "present on every function a rule or schedule invokes (asynchronously): depth of its async-invocation DLQ (≥ 1 over 60 s, keeps its state without data)",
    reason: "Lambda keeps failed asynchronous invocations in an SQS DLQ of the function's own; GCP and Azure deliver asynchronous work only through subscriptions that dead-letter at their source. Functions invoked only by the HTTP API or a queue cannot fail asynchronously and have none",
    appliesTo: (s) => [...new Set(rulesOf(s).flatMap(({ r }) => ("function" in r.target ? [`function:${r.target.function}`] : [])))].sort(),
    allowed: () => exactly(alarm(1, D.shortWindowSeconds, "peak", "keep")),
  },
  {
    field: "alarm.queue.sentToDlq", clouds: ["gcp"], bound: "present on every queue: messages moved to the dead-letter topic (≥ 1 over 300 s)",
    reason: "Pub/Sub counts dead-letter forwards per subscription; alarming on them as well as on the DLQ backlog costs nothing",
    appliesTo: (s) => ids("queue", s.queues),
    allowed: () => exactly(alarm(1, D.windowSeconds, "total")),
  },
  {
    field: "alarm.queue.oldestMessageAge", clouds: ["gcp"], bound: "present on a rule into a queue: the queue's age alarm on the rule's subscription",
    reason: "Pub/Sub cannot forward topic to topic: a rule into a queue is its own subscription delivering to the queue's consumer, watched like the queue",
    appliesTo: (s) => rulesOf(s).filter(({ r }) => "queue" in r.target).map(({ component }) => component),
    allowed: ({ env }) => exactly(alarm(thresholds(env).queueOldestMessageAgeSeconds, D.windowSeconds, "peak")),
  },
  ...(["alarm.bus.failedInvocations", "alarm.bus.sentToDlq"] as const).flatMap((field): Deviation[] => [
    {
      field, clouds: ["azure"], bound: "absent per rule with a filter: one alert per bus topic instead",
      reason: "Event Grid publishes delivery failures and dead letters per topic; one alert on the bus topic covers every rule that filters its events (a scheduled rule's own tick topic has alerts of its own)",
      appliesTo: (s) => rulesOf(s).filter(({ r }) => r.schedule === undefined).map(({ component }) => component),
      allowed: () => exactly(undefined),
    },
    {
      field, clouds: ["azure"], bound: "present per bus topic, with a rule's condition, counting every delivery from the bus topic",
      reason: "Event Grid publishes delivery failures and dead letters per topic; one alert on the bus topic covers every rule that filters its events (and the archive)",
      appliesTo: (s) => ids("bus", s.buses),
      allowed: ({ env }) => exactly(field === "alarm.bus.failedInvocations" ? alarm(thresholds(env).busFailedInvocations, D.windowSeconds, "total") : alarm(1, D.windowSeconds, "total")),
    },
  ]),
  {
    field: "alarm.schedule.failedRuns", clouds: ["aws"], bound: "absent: a failed run is the rule's failed invocation (alarm.bus.failedInvocations)",
    reason: "EventBridge runs the schedule itself and invokes the target in the same step; there is no separate publish of a tick that could fail (Cloud Scheduler and Logic Apps publish the tick first, and alarm on a failed publish)",
    appliesTo: (s) => rulesOf(s).filter(({ r }) => r.schedule !== undefined).map(({ component }) => component),
    allowed: () => exactly(undefined),
  },
  {
    field: "alarm.bus.dlqDepth", clouds: ["azure"], bound: "absent",
    reason: "Event Grid dead-letters into blobs, which have no depth metric; the dead-lettered count alarms instead",
    appliesTo: (s) => rulesOf(s).map(({ component }) => component),
    allowed: () => exactly(undefined),
  },
  {
    field: "alarm.proxy.pinnedConnections", clouds: ["gcp"], bound: "absent",
    reason: "Cloud SQL managed connection pooling publishes no waiting-client or pinned-session metric",
    appliesTo: (s, env) => (noPooling("gcp")(s, env).length ? [] : ids("database", s.databases)),
    allowed: () => exactly(undefined),
  },
  {
    field: "alarm.database.storage", clouds: ["aws"], bound: "absent",
    reason: "Aurora storage has no provisioned size: it grows by itself up to 128 TiB, so there is no used share to alarm on",
    appliesTo: (s) => ids("database", s.databases),
    allowed: () => exactly(undefined),
  },
  {
    field: "budget.currency", clouds: ["azure"], bound: "the billing account's currency",
    reason: "an Azure consumption budget has no currency: its amount counts in the billing account's currency (set the environment's budget in it)",
    appliesTo: () => ["budget:env"],
    allowed: () => exactly("billing account currency"),
  },
  ...([["aws", (env: EnvironmentConfig) => `TagKeyValue:user:environment$${env.name}`, "the account's cost filtered by the environment tag"],
    ["gcp", () => "project", "the project's cost"], ["azure", () => "resource-group", "the resource group's cost"]] as const).map(([cloud, scope, what]): Deviation => ({
    field: "budget.scope", clouds: [cloud], bound: what,
    reason: "each cloud's budget counts what its billing can attribute to the environment: AWS filters by the environment tag, GCP budgets a project, Azure a resource group",
    appliesTo: () => ["budget:env"],
    allowed: ({ env }) => exactly(scope(env)),
  })),
];

/** Deviation entries (with components) that apply to one service on one cloud. */
export function deviationsFor(service: ServiceSpec, env: EnvironmentConfig, cloud: Cloud): { deviation: Deviation; component: string }[] {
  const out: { deviation: Deviation; component: string }[] = [];
  for (const d of DEVIATIONS) {
    if (!d.clouds.includes(cloud)) continue;
    for (const component of d.appliesTo(service, env, cloud)) out.push({ deviation: d, component });
  }
  return out;
}

/** Synth warnings for a service on a cloud: one per deviation entry and component. */
export function deviationWarnings(service: ServiceSpec, env: EnvironmentConfig, cloud: Cloud): string[] {
  return deviationsFor(service, env, cloud).map(({ deviation: d, component }) =>
    `behaviour of service ${service.name}, ${component}: ${d.field} on ${cloud} is ${d.bound} (${d.reason}).`);
}

/** The `behaviourEntries` key of a component's field (`function:api` + `function.memoryMb` → `function:api.memoryMb`). */
function entryKey(component: string, field: string): string {
  return field.startsWith("alarm.") ? `alarm:${component}.${field.slice("alarm.".length)}` : `${component}.${field.slice(field.indexOf(".") + 1)}`;
}

/** True when the value is inside the bound. */
export function withinBound(value: unknown, bound: Bound): boolean {
  if ("exactly" in bound) return same(value, bound.exactly);
  return typeof value === "number" && value >= bound.min && value <= bound.max;
}

/** A bound in words, for problem lines. */
export function describeBound(bound: Bound): string {
  return "exactly" in bound ? `exactly ${show(bound.exactly)}` : `${bound.min}..${bound.max}`;
}

/** Absolute numbers of each cloud's own server: reported, compared only through poolPercent. */
const INFORMATIONAL = new Set(["database.poolServerConnections", "database.maxConnections", "database.userConnections", "database.pools"]);

const show = (v: unknown) => (v === undefined ? "absent" : typeof v === "number" && !Number.isFinite(v) ? String(v) : JSON.stringify(v));
const same = (a: unknown, b: unknown) => show(a) === show(b);

/** One flattened field: `function:api.memoryMb` → component `function:api`, field `function.memoryMb`. */
export interface BehaviourEntry {
  readonly component: string;
  readonly field: string;
  readonly value: unknown;
}

/**
 * A record as entries keyed `<component>.<field>` (`function:api.memoryMb`), with alarms keyed
 * `alarm:<component>.<signal>` (the whole condition) and environment-wide fields under
 * `alarms:env` and `budget:env`.
 */
export function behaviourEntries(b: ServiceBehaviour): Map<string, BehaviourEntry> {
  const out = new Map<string, BehaviourEntry>();
  const put = (kind: string, items: Readonly<Record<string, object>>) => {
    for (const [id, rec] of Object.entries(items)) {
      for (const [field, value] of Object.entries(rec)) out.set(`${kind}:${id}.${field}`, { component: `${kind}:${id}`, field: `${kind}.${field}`, value });
    }
  };
  put("function", b.functions);
  put("queue", b.queues);
  put("bus", b.buses);
  put("rule", b.rules);
  put("gateway", b.gateways);
  put("database", b.databases);
  for (const [component, signals] of Object.entries(b.alarms)) {
    for (const [signal, cond] of Object.entries(signals)) out.set(`alarm:${component}.${signal}`, { component, field: `alarm.${signal}`, value: cond });
  }
  out.set("alarms:env.recipients", { component: "alarms:env", field: "alarms.recipients", value: b.alarmRecipients });
  if (b.budget) for (const [field, value] of Object.entries(b.budget)) out.set(`budget:env.${field}`, { component: "budget:env", field: `budget.${field}`, value });
  return out;
}

/**
 * Compares one cloud's record with the spec's intent. Every field equals the intent, or, where a
 * deviation entry applies to that cloud and component, lies within that entry's bound (and only
 * there: an entry that applies describes what the cloud does); a field or alarm present on one side
 * only is a difference like any other. Returns one line per difference.
 */
export function compareWithIntent(record: ServiceBehaviour, service: ServiceSpec, env: EnvironmentConfig, cloud: Cloud, pending: readonly string[] = []): { problems: string[]; pendingDiffs: string[] } {
  const intent = behaviourEntries(intendedBehaviour(service, env, cloud));
  const actual = behaviourEntries(record);
  const allowed = new Map<string, Deviation[]>();
  for (const { deviation, component } of deviationsFor(service, env, cloud)) {
    const key = `${component}|${deviation.field}`;
    allowed.set(key, [...(allowed.get(key) ?? []), deviation]);
  }
  const problems: string[] = [];
  const pendingDiffs: string[] = [];
  // Every field an applicable entry speaks of is checked, even where neither side has it (an alarm
  // the entry says is present must be there).
  const deviated = new Map([...allowed.keys()].map((k) => {
    const [component, field] = k.split("|");
    return [entryKey(component, field), { component, field }] as const;
  }));
  for (const key of [...new Set([...intent.keys(), ...actual.keys(), ...deviated.keys()])].sort()) {
    const { component, field } = intent.get(key) ?? actual.get(key) ?? deviated.get(key)!;
    if (INFORMATIONAL.has(field)) continue;
    const want = intent.get(key)?.value;
    const got = actual.get(key)?.value;
    const devs = allowed.get(`${component}|${field}`) ?? [];
    // Where an entry applies, it must describe what the cloud does: its synth warning says so, so
    // even the intent's value is a difference then (the entry, or the module, is wrong).
    if (!devs.length && same(got, want)) continue;
    const ctx: DeviationContext = { service, env, cloud, component, intent: want, record };
    const ok = devs.find((d) => withinBound(got, d.allowed(ctx)));
    if (ok) continue;
    const line = devs.length
      ? `${key}: ${cloud}=${show(got)} beyond its deviation bound (${devs.map((d) => describeBound(d.allowed(ctx))).join(" or ")}), intent=${show(want)}`
      : `${key}: ${cloud}=${show(got)} intent=${show(want)}`;
    if (pending.includes(`${cloud}:${field}`)) pendingDiffs.push(line);
    else problems.push(line);
  }
  return { problems, pendingDiffs };
}

/**
 * Compares the clouds' records with the spec's intent and with each other. Each cloud's field must
 * equal the intent or stay within a deviation bound; on top, every field that no deviation covers
 * on any cloud must be equal on all clouds (a cross-check that also covers fields the intent does
 * not model). `pending` fields (`<cloud>:<kind.field>`) are reported apart.
 */
export function compareBehaviours(
  records: Partial<Record<Cloud, ServiceBehaviour>>, service: ServiceSpec, env: EnvironmentConfig,
  pending: readonly string[] = [],
): { problems: string[]; pendingDiffs: string[] } {
  const clouds = Object.keys(records) as Cloud[];
  const problems: string[] = [];
  const pendingDiffs: string[] = [];
  const deviating = new Set<string>();
  for (const c of clouds) {
    const r = compareWithIntent(records[c]!, service, env, c, pending);
    problems.push(...r.problems);
    pendingDiffs.push(...r.pendingDiffs);
    for (const { deviation, component } of deviationsFor(service, env, c)) deviating.add(`${component}|${deviation.field}`);
  }
  const flat = Object.fromEntries(clouds.map((c) => [c, behaviourEntries(records[c]!)])) as Record<Cloud, Map<string, BehaviourEntry>>;
  const keys = new Set(clouds.flatMap((c) => [...flat[c].keys()]));
  for (const key of [...keys].sort()) {
    const entry = clouds.map((c) => flat[c].get(key)).find(Boolean)!;
    if (INFORMATIONAL.has(entry.field) || deviating.has(`${entry.component}|${entry.field}`)) continue;
    const values = clouds.map((c) => ({ c, v: flat[c].get(key)?.value }));
    if (values.every(({ v }) => same(v, values[0].v))) continue;
    const line = `${key}: clouds differ: ${values.map(({ c, v }) => `${c}=${show(v)}`).join(" ")}`;
    if (!problems.some((p) => p.startsWith(`${key}:`))) problems.push(line);
  }
  return { problems, pendingDiffs };
}

/** The deviation table as markdown, for docs/parity.md. */
export function deviationTable(): string {
  const rows = DEVIATIONS.map((d) => `| \`${d.field}\` | ${d.clouds.join(", ")} | ${d.bound} | ${d.reason} |`);
  return ["| Field | Clouds | Bound | Reason |", "|---|---|---|---|", ...rows].join("\n");
}
