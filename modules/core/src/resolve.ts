import { AlarmThresholds } from "./environment";
import { DEFAULTS } from "./limits";
import { DatabaseProxySpec, FunctionSpec, QueueSpec, PoolSpec, EventRetrySpec, CorsSpec, GatewaySpec, HTTP_METHODS, HttpMethod } from "./specs";

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
