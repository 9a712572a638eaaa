import { AlarmThresholds } from "./environment";
import { DEFAULTS } from "./limits";
import { DatabaseProxySpec, FunctionSpec, QueueSpec, PoolSpec, EventRetrySpec, CorsSpec, GatewaySpec } from "./specs";

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

export function resolveCors(cors: CorsSpec, gateway: GatewaySpec) {
  const routeMethods = [...new Set(gateway.routes.map((r) => r.method))];
  return {
    allowOrigins: [...cors.allowOrigins],
    allowMethods: [...(cors.allowMethods ?? (routeMethods.includes("ANY") ? ["*"] : routeMethods))],
    allowHeaders: [...(cors.allowHeaders ?? DEFAULTS.corsAllowHeaders)],
    exposeHeaders: [...(cors.exposeHeaders ?? [])],
    maxAgeSeconds: cors.maxAgeSeconds ?? DEFAULTS.corsMaxAgeSeconds,
    allowCredentials: cors.allowCredentials ?? false,
  };
}

export function resolveThresholds(t: AlarmThresholds | undefined): Required<AlarmThresholds> {
  return { ...DEFAULTS.alarmThresholds, ...(t ?? {}) };
}
