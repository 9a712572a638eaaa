import fc from "fast-check";
import { CLOUDS, Cloud, ServiceSpec, compareBehaviours } from "@polycloud/core";
import { envByName, synthPlatform } from "../helpers/synth";
import { useCoffeeWheels } from "../fixtures/coffee-service";
import { READERS } from "./read";
import { Reads, declaredPaths, newReads, recording, unread } from "./recorder";

/** Valid service specs within every cloud's limits, covering every component option. */
export const specArb = fc.record({
  env: fc.constantFrom("dev", "staging", "prod"),
  memoryMb: fc.constantFrom(256, 512, 1024, 2048, 4096),
  apiTimeout: fc.integer({ min: 5, max: 60 }),
  workerTimeout: fc.oneof(fc.integer({ min: 5, max: 45 }), fc.integer({ min: 46, max: 100 })),
  workerRuntime: fc.constantFrom("nodejs22", "python3.12"),
  apiMax: fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
  workerMax: fc.integer({ min: 2, max: 60 }),
  perInstance: fc.constantFrom(1, 2, 4),
  warm: fc.integer({ min: 0, max: 2 }),
  attempts: fc.integer({ min: 5, max: 20 }),
  retention: fc.constantFrom(3600, 86400, 345600),
  visibilityExtra: fc.option(fc.constantFrom(0, 30, 120), { nil: undefined }),
  queueMax: fc.option(fc.integer({ min: 2, max: 10 }), { nil: undefined }),
  ruleTarget: fc.constantFrom("queue", "function"),
  ruleKind: fc.constantFrom("exact", "prefix", "attributes", "rate", "cron"),
  ruleAttempts: fc.option(fc.integer({ min: 5, max: 30 }), { nil: undefined }),
  ruleAgeMinutes: fc.integer({ min: 10, max: 1439 }),
  ruleAgeSeconds: fc.constantFrom(0, 30),
  auth: fc.boolean(),
  cors: fc.boolean(),
  anyRoute: fc.boolean(),
  rate: fc.integer({ min: 1, max: 1000 }),
  burstExtra: fc.integer({ min: 0, max: 1000 }),
  size: fc.constantFrom("small", "medium", "large"),
  poolPct: fc.integer({ min: 10, max: 100 }),
  idlePct: fc.integer({ min: 1, max: 10 }),
  // Below the shortest caller timeout (validated).
  borrow: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
});
export type Generated = typeof specArb extends fc.Arbitrary<infer T> ? T : never;

const FILTERS: Record<string, object> = {
  exact: { filter: { type: ["OrderCreated", "OrderPaid"] } },
  prefix: { filter: { source: ["orders.api"], prefix: { type: ["Order"] } } },
  attributes: { filter: { attributes: { region: ["eu"] }, prefix: { attributes: { tier: ["gold"] } } } },
  rate: { schedule: "rate(15 minutes)" },
  cron: { schedule: "cron(30 6 * * MON-FRI)" },
};

export function specOf(g: Generated): ServiceSpec {
  // Explicit visibility: at least 6 × the consumer's timeout (SQS guidance), at most Service Bus's 300 s lock.
  const visibility = g.visibilityExtra === undefined || 6 * g.workerTimeout + g.visibilityExtra > 300 ? undefined : 6 * g.workerTimeout + g.visibilityExtra;
  return {
    name: "orders",
    functions: {
      api: { source: "stacks/reference/functions/api", runtime: "nodejs22", handler: "index.handler", memoryMb: g.memoryMb, timeoutSeconds: g.apiTimeout,
        concurrency: { max: g.apiMax, perInstance: g.perInstance }, minWarmInstances: Math.min(g.warm, g.apiMax ?? g.warm) },
      // A Python rule target on Azure must pin azure-functions>=1.25.0b4 (Event Grid delivers CloudEvents): roaster does.
      worker: g.workerRuntime === "python3.12"
        ? { source: "__tests__/fixtures/coffee/roaster", runtime: "python3.12", handler: "main.tick", timeoutSeconds: g.workerTimeout, concurrency: { max: g.workerMax } }
        : { source: "stacks/reference/functions/worker", runtime: "nodejs22", handler: "index.handler", timeoutSeconds: g.workerTimeout, concurrency: { max: g.workerMax } },
    },
    gateways: { public: {
      routes: [{ method: "POST", path: "/orders", function: "api" }, { method: g.anyRoute ? "ANY" : "GET", path: "/orders/{id}", function: "api", authorized: g.auth }, { method: "GET", path: "/health", function: "api", authorized: false }],
      throttle: { rateLimit: g.rate, burstLimit: g.rate + g.burstExtra },
      ...(g.auth ? { auth: { issuer: "https://auth.example.com/", audiences: ["orders-api"], jwksUri: "https://auth.example.com/keys" } } : {}),
      ...(g.cors ? { cors: { allowOrigins: ["https://shop.example.com"] } } : {}),
    } },
    queues: { orders: { consumer: "worker", producers: ["api"], maxDeliveryAttempts: g.attempts, retentionSeconds: g.retention, maxConcurrency: g.queueMax, visibilityTimeoutSeconds: visibility } },
    buses: { events: { publishers: ["api"], rules: { "order-created": {
      ...FILTERS[g.ruleKind], target: g.ruleTarget === "queue" ? { queue: "orders" } : { function: "worker" },
      retry: { maxAttempts: g.ruleAttempts, maxEventAgeSeconds: g.ruleAgeMinutes * 60 + g.ruleAgeSeconds } } } } },
    databases: { main: { postgresVersion: "16", size: g.size, pool: { maxConnectionsPercent: g.poolPct, maxIdleConnectionsPercent: Math.min(g.idlePct, g.poolPct), borrowTimeoutSeconds: g.borrow }, allowedFunctions: ["api", "worker"] } },
  } as ServiceSpec;
}

/** Every enumerated option of the generator: the fixed-seed runs must reach all of them. */
export const OPTIONS: Record<string, readonly unknown[]> = {
  env: ["dev", "staging", "prod"], memoryMb: [256, 512, 1024, 2048, 4096], perInstance: [1, 2, 4], ruleTarget: ["queue", "function"],
  ruleKind: ["exact", "prefix", "attributes", "rate", "cron"], workerRuntime: ["nodejs22", "python3.12"],
  auth: [true, false], cors: [true, false], anyRoute: [true, false], size: ["small", "medium", "large"], retention: [3600, 86400, 345600],
  apiMaxSet: [true, false], queueMaxSet: [true, false], ruleAttemptsSet: [true, false], visibilityExtraSet: [true, false], borrowSet: [true, false],
};

export interface PropertyRun {
  readonly result: fc.RunDetails<[Generated]>;
  /** What each cloud's reader read over all runs. */
  readonly reads: Record<Cloud, Reads>;
  /** Options reached, by generator field. */
  readonly seen: Record<string, Set<unknown>>;
}

/**
 * Synthesizes each generated spec on the three clouds (validations run), reads the records and
 * compares them with the intent and each other; `mutate` changes the stacks first (negative controls,
 * which stop at the first failure instead of shrinking it).
 */
export function runProperty(runs: number, seed: number, mutate?: (stacks: Record<Cloud, any>) => void): PropertyRun {
  useCoffeeWheels();
  const reads = Object.fromEntries(CLOUDS.map((c) => [c, newReads()])) as Record<Cloud, Reads>;
  const seen: Record<string, Set<unknown>> = Object.fromEntries(Object.keys(OPTIONS).map((k) => [k, new Set()]));
  const result = fc.check(fc.property(specArb, (g) => {
    for (const k of Object.keys(OPTIONS)) seen[k].add(k.endsWith("Set") ? (g as Record<string, unknown>)[k.slice(0, -"Set".length)] !== undefined : (g as Record<string, unknown>)[k]);
    const env = envByName(g.env);
    const service = specOf(g);
    const stacks = {} as Record<Cloud, any>;
    for (const cloud of CLOUDS) {
      const { stack, json } = synthPlatform(env, service, cloud);
      stack.runAllValidations();
      stacks[cloud] = json;
    }
    mutate?.(stacks);
    const records = Object.fromEntries(CLOUDS.map((c) => [c, READERS[c](recording(stacks[c], reads[c]))])) as Record<Cloud, any>;
    const { problems } = compareBehaviours(records, service, env);
    if (problems.length) throw new Error(`${JSON.stringify(g)}\n${problems.join("\n")}`);
  }), { seed, numRuns: runs, endOnFailure: mutate !== undefined });
  return { result, reads, seen };
}

/**
 * Coverage on the synthesized JSON: the share of the attributes the readers list that the runs
 * read, and the share of those that took at least two values (so the spec moved them).
 */
export function coverage(reads: Record<Cloud, Reads>): { cloud: Cloud; listed: number; read: number; varied: number; unread: string[]; constant: string[] }[] {
  return CLOUDS.map((cloud) => {
    const listed = declaredPaths(cloud);
    const missing = unread(cloud, reads[cloud]);
    const values = (p: string) => new Set([...reads[cloud].read].filter(([k]) => k === p || k.startsWith(`${p}.`)).flatMap(([, v]) => [...v]));
    const constant = listed.filter((p) => !missing.includes(p) && values(p).size < 2);
    return { cloud, listed: listed.length, read: listed.length - missing.length, varied: listed.length - missing.length - constant.length, unread: missing, constant };
  });
}
