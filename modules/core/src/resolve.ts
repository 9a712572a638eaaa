import { AlarmThresholds } from "./environment";
import { DEFAULTS } from "./limits";
import { DatabaseProxySpec, FunctionSpec, QueueSpec, PoolSpec, EventRetrySpec, CorsSpec, GatewaySpec, HTTP_METHODS, HttpMethod, ServiceSpec } from "./specs";

/** The methods an `ANY` route stands for in CORS answers (OPTIONS is the preflight itself). */
export const ANY_METHODS: readonly HttpMethod[] = HTTP_METHODS.filter((m) => m !== "ANY" && m !== "OPTIONS");

/** Spec values with every default filled in, so cloud modules never re-derive a default. */
export function resolveFunction(spec: FunctionSpec) {
  return {
    ...spec,
    memoryMb: spec.memoryMb ?? DEFAULTS.memoryMb,
    timeoutSeconds: spec.timeoutSeconds ?? DEFAULTS.timeoutSeconds,
    environment: spec.environment ?? {},
    secrets: spec.secrets ?? {},
    minWarmInstances: spec.minWarmInstances ?? 0,
    perInstanceConcurrency: spec.concurrency?.perInstance ?? 1,
    maxConcurrency: spec.concurrency?.max,
  };
}
export type ResolvedFunction = ReturnType<typeof resolveFunction>;

export function resolveQueue(spec: QueueSpec, consumerTimeoutSeconds: number) {
  return {
    ...spec,
    producers: spec.producers ?? [],
    maxDeliveryAttempts: spec.maxDeliveryAttempts ?? DEFAULTS.maxDeliveryAttempts,
    batchSize: spec.batchSize ?? DEFAULTS.batchSize,
    batchWindowSeconds: spec.batchWindowSeconds ?? DEFAULTS.batchWindowSeconds,
    retentionSeconds: spec.retentionSeconds ?? DEFAULTS.queueRetentionSeconds,
    dlqRetentionSeconds: spec.dlqRetentionSeconds ?? DEFAULTS.dlqRetentionSeconds,
    visibilityTimeoutSeconds:
      spec.visibilityTimeoutSeconds ?? consumerTimeoutSeconds * DEFAULTS.visibilityTimeoutFactor,
  };
}
export type ResolvedQueue = ReturnType<typeof resolveQueue>;

/**
 * Pool settings with defaults. The borrow-timeout default stays below the shortest timeout of the
 * functions that use the pool (half of it, at most 120 s), so an exhausted pool fails fast with an
 * error the function can report instead of a function timeout or a gateway 503.
 */
export function resolvePool(spec: PoolSpec | undefined, shortestCallerTimeoutSeconds?: number) {
  const fallback = shortestCallerTimeoutSeconds === undefined
    ? DEFAULTS.poolBorrowTimeoutSeconds
    : Math.min(DEFAULTS.poolBorrowTimeoutSeconds, Math.floor(shortestCallerTimeoutSeconds / 2));
  return {
    maxConnectionsPercent: spec?.maxConnectionsPercent ?? DEFAULTS.poolMaxConnectionsPercent,
    maxIdleConnectionsPercent: spec?.maxIdleConnectionsPercent ?? DEFAULTS.poolMaxIdleConnectionsPercent,
    borrowTimeoutSeconds: spec?.borrowTimeoutSeconds ?? fallback,
  };
}

/** The shortest timeout among a database's allowed functions (undefined when none is declared). */
export function shortestCallerTimeout(db: DatabaseProxySpec, functions: Readonly<Record<string, FunctionSpec>>): { seconds: number; functionId: string } | undefined {
  let best: { seconds: number; functionId: string } | undefined;
  for (const id of db.allowedFunctions ?? []) {
    const fn = functions[id];
    if (!fn) continue;
    const seconds = resolveFunction(fn).timeoutSeconds;
    if (typeof seconds === "number" && (!best || seconds < best.seconds)) best = { seconds, functionId: id };
  }
  return best;
}

export function resolveRetry(spec: EventRetrySpec | undefined) {
  return {
    maxAttempts: spec?.maxAttempts ?? DEFAULTS.eventRetryAttempts,
    maxEventAgeSeconds: spec?.maxEventAgeSeconds ?? DEFAULTS.eventMaxAgeSeconds,
  };
}

/**
 * CORS as every gateway applies it. Without `allowMethods`, the routes' methods, with `ANY` spelt
 * out: browsers do not honour `Access-Control-Allow-Methods: *` on credentialed requests (Fetch
 * standard, CORS-safelisted wildcard), so `*` would make every non-simple credentialed call fail.
 */
export function resolveCors(cors: CorsSpec, gateway: GatewaySpec) {
  const routeMethods = [...new Set(gateway.routes.flatMap((r) => (r.method === "ANY" ? ANY_METHODS : [r.method])))];
  return {
    allowOrigins: [...cors.allowOrigins],
    allowMethods: [...(cors.allowMethods ?? routeMethods)],
    allowHeaders: [...(cors.allowHeaders ?? DEFAULTS.corsAllowHeaders)],
    exposeHeaders: [...(cors.exposeHeaders ?? [])],
    maxAgeSeconds: cors.maxAgeSeconds ?? DEFAULTS.corsMaxAgeSeconds,
    allowCredentials: cors.allowCredentials ?? false,
  };
}

export function resolveThresholds(t: AlarmThresholds | undefined): Required<AlarmThresholds> {
  return { ...DEFAULTS.alarmThresholds, ...(t ?? {}) };
}

/** How a concurrency cap is realised as instances × requests per instance. */
export interface InstanceSplit {
  readonly instances: number;
  readonly perInstance: number;
  /** instances × perInstance: the spec's cap when it has one. */
  readonly total: number;
}

/**
 * Instances × per-instance concurrency for a cap. The per-instance concurrency is the largest value
 * up to the spec's that divides the cap within `maxInstances`, so the product equals the cap exactly
 * (a cap of 7 with 2 per instance becomes 7 × 1; a cap beyond `maxInstances` raises the per-instance
 * share instead). A large prime above `maxInstances` gets the closest product below the cap.
 * Without a cap, `defaultInstances` of the requested per-instance concurrency.
 */
export function splitConcurrency(maxConcurrency: number | undefined, perInstance: number, maxInstances: number, defaultInstances: number): InstanceSplit {
  const per = Math.max(1, Math.min(perInstance, maxInstances));
  if (maxConcurrency === undefined) return { instances: defaultInstances, perInstance: per, total: defaultInstances * per };
  for (let p = Math.min(per, maxConcurrency); p >= 1; p--) {
    if (maxConcurrency % p === 0 && maxConcurrency / p <= maxInstances) return { instances: maxConcurrency / p, perInstance: p, total: maxConcurrency };
  }
  for (let p = per + 1; p <= maxInstances; p++) {
    if (maxConcurrency % p === 0 && maxConcurrency / p <= maxInstances) return { instances: maxConcurrency / p, perInstance: p, total: maxConcurrency };
  }
  const p = Math.max(1, Math.floor(maxConcurrency / maxInstances));
  return { instances: maxInstances, perInstance: p, total: maxInstances * p };
}

/**
 * Consumers whose only trigger is one queue with a tighter `maxConcurrency` than their own cap:
 * function id → { queue, cap }. Where a cloud cannot cap a queue's deliveries on their own (Pub/Sub
 * push, the Service Bus trigger), capping such a function at the queue's limit gives the same
 * behaviour as the queue-level cap of an SQS event source mapping, because nothing else invokes it.
 * Functions that also serve routes, rules or other queues keep their own cap.
 */
export function queueCappedConsumers(service: ServiceSpec): Record<string, { queue: string; cap: number }> {
  const out: Record<string, { queue: string; cap: number }> = {};
  const routed = new Set(Object.values(service.gateways ?? {}).flatMap((g) => (g.routes ?? []).map((r) => r.function)));
  const ruleTargets = new Set(Object.values(service.buses ?? {}).flatMap((b) => Object.values(b.rules ?? {}).flatMap((r) => (r.target && "function" in r.target ? [r.target.function] : []))));
  const consumed = new Map<string, string[]>();
  for (const [qId, q] of Object.entries(service.queues ?? {})) consumed.set(q.consumer, [...(consumed.get(q.consumer) ?? []), qId]);
  for (const [fnId, qIds] of consumed) {
    const fn = service.functions?.[fnId];
    const q = service.queues?.[qIds[0]];
    if (!fn || !q || qIds.length !== 1 || routed.has(fnId) || ruleTargets.has(fnId) || typeof q.maxConcurrency !== "number") continue;
    const own = fn.concurrency?.max;
    // Warm instances must still fit under the cap at any split of it into instances.
    const warmFits = (fn.minWarmInstances ?? 0) <= Math.floor(q.maxConcurrency / Math.max(1, fn.concurrency?.perInstance ?? 1));
    if ((own === undefined || q.maxConcurrency < own) && warmFits) out[fnId] = { queue: qIds[0], cap: q.maxConcurrency };
  }
  return out;
}
