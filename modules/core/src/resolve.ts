import { AlarmThresholds } from "./environment";
import { DEFAULTS } from "./limits";
import { FunctionSpec, QueueSpec, PoolSpec, EventRetrySpec, CorsSpec, GatewaySpec } from "./specs";

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

export function resolvePool(spec: PoolSpec | undefined) {
  return {
    maxConnectionsPercent: spec?.maxConnectionsPercent ?? DEFAULTS.poolMaxConnectionsPercent,
    maxIdleConnectionsPercent: spec?.maxIdleConnectionsPercent ?? DEFAULTS.poolMaxIdleConnectionsPercent,
    borrowTimeoutSeconds: spec?.borrowTimeoutSeconds ?? DEFAULTS.poolBorrowTimeoutSeconds,
  };
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
