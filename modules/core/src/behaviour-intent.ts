import {
  AlarmCondition, BudgetBehaviour, BusBehaviour, DatabaseBehaviour, EventRuleBehaviour, FunctionBehaviour, GatewayBehaviour,
  ObservedSignal, QueueBehaviour, ServiceBehaviour,
} from "./behaviour";
import { canonicalFilter, canonicalSchedule, scheduleTimes } from "./behaviour-canonical";
import { Cloud, EnvironmentConfig } from "./environment";
import { SCHEDULED_EVENT, parseSchedule, scheduledEventData, scheduledEventText } from "./schedule";
import { MIGRATION_STEP_FUNCTION, migrationStepId } from "./migration-step";
import { FunctionSpec, GatewaySpec, ServiceSpec } from "./specs";

/**
 * What the spec asks for, as a behaviour record: the yardstick every cloud's record is compared
 * with (`compareWithIntent`), so a defect the three clouds share is caught too.
 *
 * Deliberately independent of the code that renders the spec: the defaults below are the ones the
 * spec's documentation promises (`@default` in specs.ts and environment.ts), written out here
 * again instead of taken from `DEFAULTS` or the `resolve*` helpers. A change to a default must be
 * made in both places, on purpose; a slip in one of them is a difference the tests report.
 */
export const INTENDED_DEFAULTS = {
  memoryMb: 256,
  timeoutSeconds: 30,
  maxDeliveryAttempts: 5,
  visibilityFactor: 6,
  queueRetentionSeconds: 345600,
  dlqRetentionSeconds: 1209600,
  batchSize: 10,
  eventRetryAttempts: 185,
  eventMaxAgeSeconds: 86400,
  poolMaxConnectionsPercent: 90,
  poolBorrowTimeoutSeconds: 120,
  corsMaxAgeSeconds: 600,
  corsAllowHeaders: ["content-type", "authorization"],
  thresholds: {
    functionErrors: 1, functionThrottles: 1, functionDurationP99PercentOfTimeout: 80, gateway5xx: 5, gatewayLatencyP99Ms: 2000,
    queueOldestMessageAgeSeconds: 300, busFailedInvocations: 1, proxyPinnedConnections: 10, proxyConnectionSaturationPercent: 80,
  },
  /** Database CPU: average above 80 % over 15 minutes (no environment threshold). */
  databaseCpu: { percent: 80, windowSeconds: 900 },
  /** Database storage: above 85 % used (no environment threshold). */
  databaseStorage: { percent: 85, windowSeconds: 300 },
  /** Failed schedule runs: the first one alarms (no environment threshold). */
  scheduleFailedRuns: 1,
  /** Alarm look-back: 5 minutes, except DLQ depth and connection alarms (1 minute). */
  windowSeconds: 300,
  shortWindowSeconds: 60,
} as const;

const D = INTENDED_DEFAULTS;
const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();
const timeoutOf = (fn: FunctionSpec | undefined) => fn?.timeoutSeconds ?? D.timeoutSeconds;
/** A route's concrete methods: ANY is every method; with CORS, OPTIONS belongs to the preflight (`cors`), not to a route. */
export const ROUTE_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;
export function routeMethods(method: string, cors: boolean): string[] {
  const all = method === "ANY" || method === "*" ? [...ROUTE_METHODS] : [method.toUpperCase()];
  return cors ? all.filter((m) => m !== "OPTIONS") : all;
}

/** The CORS answer as every reader writes it: arrays sorted, so order never counts. */
export function canonicalCors(c: { origins: readonly string[]; methods: readonly string[]; headers: readonly string[]; expose: readonly string[]; maxAge: number; credentials: boolean }): string {
  const s = (xs: readonly string[]) => [...xs].map(String).sort();
  return JSON.stringify({ origins: s(c.origins), methods: s(c.methods.map((m) => m.toUpperCase())), headers: s(c.headers.map((h) => h.toLowerCase())), expose: s(c.expose.map((h) => h.toLowerCase())), maxAge: c.maxAge, credentials: c.credentials });
}

export const jwtText = (issuer: string, audiences: readonly string[]) => `issuer ${issuer} audiences ${sorted(audiences).join(",")}`;
/** Keys discovered from the issuer's OpenID configuration (what API Gateway HTTP APIs and validate-jwt fetch). */
export const discoveryKeys = (issuer: string) => `openid ${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;

function gatewayIntent(g: GatewaySpec, functions: ServiceSpec["functions"]): GatewayBehaviour {
  const cors = g.cors !== undefined;
  const routes: string[] = [];
  const edge: string[] = [];
  const timeouts: Record<string, number> = {};
  for (const r of g.routes) {
    for (const m of routeMethods(r.method, cors)) {
      const line = `${m} ${r.path} -> ${r.function}`;
      routes.push(line);
      if (g.auth && r.authorized !== false) edge.push(line);
      timeouts[`${m} ${r.path}`] = timeoutOf(functions[r.function]);
    }
  }
  // The routes' methods, with ANY spelt out: browsers do not honour `*` on credentialed requests.
  const routeMethodsUsed = [...new Set(g.routes.flatMap((r) => (r.method === "ANY" ? ROUTE_METHODS.filter((m) => m !== "OPTIONS") : [r.method])))];
  return {
    routes: sorted(routes),
    edgeAuthenticated: sorted(edge),
    jwt: g.auth ? jwtText(g.auth.issuer, g.auth.audiences) : null,
    jwtKeys: g.auth ? discoveryKeys(g.auth.issuer) : null,
    cors: g.cors
      ? canonicalCors({
          origins: g.cors.allowOrigins,
          methods: g.cors.allowMethods ?? routeMethodsUsed,
          headers: g.cors.allowHeaders ?? D.corsAllowHeaders,
          expose: g.cors.exposeHeaders ?? [],
          maxAge: g.cors.maxAgeSeconds ?? D.corsMaxAgeSeconds,
          credentials: g.cors.allowCredentials ?? false,
        })
      : null,
    // A token bucket (rate R per second, burst B) admits at most B + 60·R in any minute.
    requestsPerMinute: g.throttle.burstLimit + 60 * g.throttle.rateLimit,
    burst: g.throttle.burstLimit,
    routeTimeoutSeconds: Object.fromEntries(Object.entries(timeouts).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}

const alarm = (atLeast: number, windowSeconds: number, statistic: AlarmCondition["statistic"], missingData: AlarmCondition["missingData"] = "ok"): AlarmCondition =>
  ({ atLeast, windowSeconds, perSeries: false, statistic, missingData, notifies: true });

/** The spec's intent for one service on one cloud's stack (the cloud only selects the budget share). */
export function intendedBehaviour(service: ServiceSpec, env: EnvironmentConfig, cloud: Cloud): ServiceBehaviour {
  const t = { ...D.thresholds, ...(env.alarms?.thresholds ?? {}) };
  const fns = service.functions ?? {};
  const rulesOf = Object.entries(service.buses ?? {}).flatMap(([bus, b]) => Object.entries(b.rules ?? {}).map(([id, r]) => ({ key: `${bus}/${id}`, r })));
  const alarms: Record<string, Partial<Record<ObservedSignal, AlarmCondition>>> = {};

  const functions: Record<string, FunctionBehaviour> = {};
  for (const [id, f] of Object.entries(fns)) {
    const timeout = timeoutOf(f);
    functions[id] = {
      maxConcurrency: f.concurrency?.max ?? null,
      memoryMb: f.memoryMb ?? D.memoryMb,
      timeoutSeconds: timeout,
      warmInstances: f.minWarmInstances ?? 0,
      invokers: sorted([
        ...Object.entries(service.gateways ?? {}).filter(([, g]) => g.routes.some((r) => r.function === id)).map(([g]) => `gateway:${g}`),
        ...Object.entries(service.queues ?? {}).filter(([, q]) => q.consumer === id).map(([q]) => `queue:${q}`),
        ...rulesOf.filter(({ r }) => "function" in r.target && r.target.function === id).map(({ key }) => `rule:${key}`),
      ]),
    };
    alarms[`function:${id}`] = {
      "function.errors": alarm(t.functionErrors, D.windowSeconds, "total"),
      "function.throttles": alarm(t.functionThrottles, D.windowSeconds, "total"),
      "function.durationP99": alarm(Math.round((timeout * 1000 * t.functionDurationP99PercentOfTimeout) / 100), D.windowSeconds, "p99"),
    };
  }

  // Each database's migration step: a function of its own that only the deploy invokes.
  for (const id of Object.keys(service.databases ?? {})) {
    const step = migrationStepId(id);
    const timeout = MIGRATION_STEP_FUNCTION.timeoutSeconds;
    functions[step] = { maxConcurrency: MIGRATION_STEP_FUNCTION.maxConcurrency, memoryMb: MIGRATION_STEP_FUNCTION.memoryMb, timeoutSeconds: timeout, warmInstances: 0, invokers: [] };
    alarms[`function:${step}`] = {
      "function.errors": alarm(t.functionErrors, D.windowSeconds, "total"),
      "function.throttles": alarm(t.functionThrottles, D.windowSeconds, "total"),
      "function.durationP99": alarm(Math.round((timeout * 1000 * t.functionDurationP99PercentOfTimeout) / 100), D.windowSeconds, "p99"),
    };
  }

  const queues: Record<string, QueueBehaviour> = {};
  for (const [id, q] of Object.entries(service.queues ?? {})) {
    const consumer = fns[q.consumer];
    const visibility = q.visibilityTimeoutSeconds ?? timeoutOf(consumer) * D.visibilityFactor;
    const caps = [q.maxConcurrency, consumer?.concurrency?.max].filter((n): n is number => typeof n === "number");
    queues[id] = {
      consumer: `function:${q.consumer}`,
      deliveryAttempts: q.maxDeliveryAttempts ?? D.maxDeliveryAttempts,
      // A failed message is retried once its visibility window has passed.
      retrySpacingSeconds: visibility,
      visibilitySeconds: visibility,
      maxConsumerConcurrency: caps.length ? Math.min(...caps) : null,
      // A message waits in the queue until the consumer has room: no burst is dead-lettered unrun.
      burstWithoutDeadLetter: null,
      retentionSeconds: q.retentionSeconds ?? D.queueRetentionSeconds,
      dlqRetentionSeconds: q.dlqRetentionSeconds ?? D.dlqRetentionSeconds,
      expiredMessages: "dropped",
      dropsWithoutDeadLetter: false,
      senders: sorted([
        ...(q.producers ?? []).map((p) => `function:${p}`),
        ...rulesOf.filter(({ r }) => "queue" in r.target && r.target.queue === id).map(({ key }) => `rule:${key}`),
      ]),
    };
    alarms[`queue:${id}`] = {
      "queue.oldestMessageAge": alarm(t.queueOldestMessageAgeSeconds, D.windowSeconds, "peak"),
      // Depth is a gauge: without data (an idle DLQ) the alarm keeps its state instead of clearing.
      "queue.dlqDepth": alarm(1, D.shortWindowSeconds, "peak", "keep"),
    };
  }

  const buses: Record<string, BusBehaviour> = {};
  for (const [id, b] of Object.entries(service.buses ?? {})) {
    const days = b.archiveRetentionDays ?? env.retention?.archiveDays ?? 0;
    buses[id] = { publishers: sorted((b.publishers ?? []).map((p) => `function:${p}`)), archiveDays: days > 0 ? days : null };
  }

  const rules: Record<string, EventRuleBehaviour> = {};
  for (const { key, r } of rulesOf) {
    const schedule = r.schedule !== undefined ? parseSchedule(r.schedule) : undefined;
    const queue = "queue" in r.target ? queues[r.target.queue] : undefined;
    const age = queue ? queue.retentionSeconds : r.retry?.maxEventAgeSeconds ?? D.eventMaxAgeSeconds;
    rules[key] = {
      target: "queue" in r.target ? `queue:${r.target.queue}` : `function:${r.target.function}`,
      filter: r.schedule === undefined ? canonicalFilter(r.filter ?? {}) : null,
      schedule: typeof schedule === "object" ? canonicalSchedule(scheduleTimes(schedule)) : null,
      // Into a queue the event lands at once; from then on the queue's attempts and retention apply.
      attempts: queue ? queue.deliveryAttempts : r.retry?.maxAttempts ?? D.eventRetryAttempts,
      maxEventAgeSeconds: age,
      undeliverable: "dead-lettered",
      survivesOutageSeconds: age,
      delivers: r.schedule !== undefined ? scheduledEventText(SCHEDULED_EVENT.source, SCHEDULED_EVENT.type, scheduledEventData(key.slice(key.indexOf("/") + 1))) : null,
    };
    alarms[`rule:${key}`] = {
      "bus.failedInvocations": alarm(t.busFailedInvocations, D.windowSeconds, "total"),
      "bus.sentToDlq": alarm(1, D.windowSeconds, "total"),
      "bus.dlqDepth": alarm(1, D.shortWindowSeconds, "peak", "keep"),
      // A schedule's run that fails to publish its tick: the target misses a run.
      ...(r.schedule !== undefined ? { "schedule.failedRuns": alarm(D.scheduleFailedRuns, D.windowSeconds, "total") } : {}),
    };
  }

  const gateways: Record<string, GatewayBehaviour> = {};
  for (const [id, g] of Object.entries(service.gateways ?? {})) {
    gateways[id] = gatewayIntent(g, fns);
    alarms[`gateway:${id}`] = {
      "gateway.5xx": alarm(t.gateway5xx, D.windowSeconds, "total"),
      "gateway.latencyP99": alarm(t.gatewayLatencyP99Ms, D.windowSeconds, "p99"),
    };
  }

  const databases: Record<string, DatabaseBehaviour> = {};
  for (const [id, db] of Object.entries(service.databases ?? {})) {
    const callers = (db.allowedFunctions ?? []).map((f) => timeoutOf(fns[f]));
    const borrowDefault = callers.length ? Math.min(D.poolBorrowTimeoutSeconds, Math.floor(Math.min(...callers) / 2)) : D.poolBorrowTimeoutSeconds;
    const percent = db.pool?.maxConnectionsPercent ?? D.poolMaxConnectionsPercent;
    databases[id] = {
      pooled: true,
      // Absolute connections depend on each cloud's server: compared only through poolPercent.
      poolServerConnections: NaN,
      maxConnections: NaN,
      userConnections: NaN,
      pools: NaN,
      poolPercent: percent,
      // The spec's idle share is a ceiling: nothing asks for connections kept open while idle.
      idleFloorConnections: 0,
      borrowTimeoutSeconds: db.pool?.borrowTimeoutSeconds ?? borrowDefault,
      tls: true,
      identityAuth: true,
      pointInTimeRecoveryDays: env.retention?.backupDays,
      clients: sorted((db.allowedFunctions ?? []).map((f) => `function:${f}`)),
    };
    alarms[`database:${id}`] = {
      "proxy.connectionSaturation": alarm(t.proxyConnectionSaturationPercent, D.shortWindowSeconds, "peak"),
      "proxy.pinnedConnections": alarm(t.proxyPinnedConnections, D.shortWindowSeconds, "peak"),
      "database.cpu": alarm(D.databaseCpu.percent, D.databaseCpu.windowSeconds, "mean"),
      "database.storage": alarm(D.databaseStorage.percent, D.databaseStorage.windowSeconds, "peak"),
    };
  }

  const b = env.budget;
  const share = b.scope === "split" ? b.shares?.[cloud] : undefined;
  const budget: BudgetBehaviour = {
    scope: "environment",
    amount: share === undefined ? b.monthlyAmount : Math.floor(b.monthlyAmount * share + 1e-6) / 100,
    currency: b.currency ?? "USD",
    actualPercent: [...b.actualThresholdsPercent].sort((x, y) => x - y),
    forecastPercent: [...b.forecastThresholdsPercent].sort((x, y) => x - y),
    recipients: sorted(b.recipients),
  };
  return { functions, queues, buses, rules, gateways, databases, alarms, alarmRecipients: sorted(env.alarms?.recipients ?? []), budget };
}
