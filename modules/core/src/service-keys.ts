import { Problems } from "./validation";

/**
 * The keys a service description may hold, per object. TypeScript rejects unknown keys in object
 * literals, but descriptions built by scripts, spread, cast or loaded from JSON reach synth
 * unchecked: a misspelt optional key (`timeoutSecond`) would silently fall back to a default.
 * `"*"` maps ids (functions, queues, ...) to their shape; a leaf is `true`.
 * Add a key here when you add it to the spec interfaces in specs.ts.
 */
type Keys = { readonly [key: string]: Keys | true };

const FUNCTION: Keys = {
  source: true, runtime: true, handler: true, memoryMb: true, timeoutSeconds: true, environment: true, secrets: true,
  concurrency: { max: true, perInstance: true }, minWarmInstances: true,
};
const ROUTE: Keys = { method: true, path: true, function: true, authorized: true };
const GATEWAY: Keys = {
  routes: { "[]": ROUTE },
  cors: { allowOrigins: true, allowMethods: true, allowHeaders: true, exposeHeaders: true, maxAgeSeconds: true, allowCredentials: true },
  throttle: { rateLimit: true, burstLimit: true },
  auth: { issuer: true, audiences: true, jwksUri: true },
  accessLogs: { retentionDays: true },
};
const QUEUE: Keys = {
  consumer: true, producers: true, maxDeliveryAttempts: true, batchSize: true, batchWindowSeconds: true, retentionSeconds: true,
  dlqRetentionSeconds: true, visibilityTimeoutSeconds: true, maxConcurrency: true,
};
const BUS: Keys = {
  rules: { "*": { filter: { source: true, type: true, attributes: true, prefix: { source: true, type: true, attributes: true } }, schedule: true, target: { function: true, queue: true }, retry: { maxAttempts: true, maxEventAgeSeconds: true } } },
  publishers: true, archiveRetentionDays: true,
};
const DATABASE: Keys = {
  postgresVersion: true, server: true, size: true, databaseName: true, requireTls: true, iamAuth: true, allowedFunctions: true, migrations: true,
  pool: { maxConnectionsPercent: true, maxIdleConnectionsPercent: true, borrowTimeoutSeconds: true },
};

export const SERVICE_KEYS: Keys = {
  name: true, clouds: true,
  functions: { "*": FUNCTION }, gateways: { "*": GATEWAY }, queues: { "*": QUEUE }, buses: { "*": BUS },
  databases: { "*": DATABASE }, secrets: { "*": { description: true } },
};

/** Records every key of `value` that `keys` does not know, with its path and the known keys. */
export function rejectUnknownKeys(value: unknown, keys: Keys, p: Problems, at = ""): void {
  if (!value || typeof value !== "object") return;
  if (Array.isArray(value)) {
    const each = keys["[]"];
    if (each && each !== true) value.forEach((v, i) => rejectUnknownKeys(v, each, p, `${at}[${i}]`));
    return;
  }
  const each = keys["*"];
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const path = at ? `${at}.${key}` : key;
    if (each) {
      if (each !== true) rejectUnknownKeys(child, each, p, path);
      continue;
    }
    const known = keys[key];
    if (known === undefined) p.add(path, child, `no such key (known keys: ${Object.keys(keys).join(", ")})`);
    else if (known !== true) rejectUnknownKeys(child, known, p, path);
  }
}
