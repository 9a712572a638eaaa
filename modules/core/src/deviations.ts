import { ServiceBehaviour, flattenBehaviour, fieldOf } from "./behaviour";
import { Cloud, EnvironmentConfig } from "./environment";
import { DEFAULTS } from "./limits";
import { ServiceSpec } from "./specs";

/**
 * The one table of behaviour differences between clouds that a cloud's limits force. Every
 * other field of the behaviour record must be equal on every cloud. Each entry warns at synth
 * time for every component it applies to.
 */
export interface Deviation {
  /** `kind.field` of the behaviour record, e.g. `function.memoryMb`. */
  readonly field: string;
  readonly clouds: readonly Cloud[];
  /** What the deviating value is, at most / at least. */
  readonly bound: string;
  readonly reason: string;
  /** Components (`function:api`, …) of this service the entry applies to on that cloud. */
  appliesTo(service: ServiceSpec, env: EnvironmentConfig, cloud: Cloud): string[];
  /** The deviating value stays within the bound, given the value the other clouds agree on. */
  within(value: unknown, agreed: unknown): boolean;
}

const ids = (kind: string, m: Readonly<Record<string, unknown>> | undefined, pred: (v: any) => boolean = () => true) =>
  Object.entries(m ?? {}).filter(([, v]) => pred(v)).map(([id]) => `${kind}:${id}`);
const noPooling = (cloud: Cloud) => (s: ServiceSpec, env: EnvironmentConfig) => {
  const db = env.clouds[cloud]?.database;
  const off = cloud === "aws" ? (db as any)?.proxy === false
    : cloud === "gcp" ? (db as any)?.edition === "ENTERPRISE" : String((db as any)?.skuName ?? "").startsWith("B_");
  return off ? ids("database", s.databases) : [];
};
const atLeastAgreed = (v: unknown, agreed: unknown) => agreed === null || (typeof v === "number" && typeof agreed === "number" && v >= agreed);

/**
 * Whether a rule into a function needs longer than its event age on Pub/Sub: its attempts (at most
 * 100), each push up to the function's timeout and each wait at least that timeout (modules/gcp:
 * the backoff is fitted to the age where it can be).
 */
function pubsubScheduleExceedsAge(rule: { retry?: { maxAttempts?: number; maxEventAgeSeconds?: number } }, timeoutSeconds: number): boolean {
  const attempts = Math.min(rule.retry?.maxAttempts ?? DEFAULTS.eventRetryAttempts, 100);
  const age = rule.retry?.maxEventAgeSeconds ?? DEFAULTS.eventMaxAgeSeconds;
  const push = Math.min(600, timeoutSeconds);
  return attempts * (push + push) > age;
}

export const DEVIATIONS: readonly Deviation[] = [
  {
    field: "function.memoryMb", clouds: ["azure"], bound: "rounded up to 512, 2048 or 4096 MiB",
    reason: "Flex Consumption has three instance sizes",
    appliesTo: (s) => ids("function", s.functions, (f) => ![512, 2048, 4096].includes(f.memoryMb ?? DEFAULTS.memoryMb)),
    within: (v, agreed) => (v === 512 || v === 2048 || v === 4096) && atLeastAgreed(v, agreed),
  },
  {
    field: "function.maxConcurrency", clouds: ["gcp", "azure"], bound: "100 instances × concurrency.perInstance when the spec sets no cap",
    reason: "the cap is max instances × requests per instance, and an instance maximum is always set; Lambda leaves an uncapped function to the account's unreserved concurrency",
    appliesTo: (s) => ids("function", s.functions, (f) => f.concurrency?.max === undefined),
    within: atLeastAgreed,
  },
  {
    field: "queue.maxConsumerConcurrency", clouds: ["gcp", "azure"], bound: "the consumer function's cap, not the queue's maxConcurrency",
    reason: "Pub/Sub push has no per-subscription concurrency limit; the Service Bus trigger's maxConcurrentCalls is per app instance, not per queue",
    appliesTo: (s) => ids("queue", s.queues, (q) => q.maxConcurrency !== undefined && q.maxConcurrency < (s.functions[q.consumer]?.concurrency?.max ?? Infinity)),
    within: atLeastAgreed,
  },
  {
    field: "queue.retrySpacingSeconds", clouds: ["azure"], bound: "0 (immediate redelivery) when the consumer runs Python",
    reason: "the Functions host abandons a failed Service Bus message and Service Bus redelivers it at once; only the Node.js runtime re-sends a failed message scheduled one retry delay later",
    appliesTo: (s) => ids("queue", s.queues, (q) => String(s.functions[q.consumer]?.runtime ?? "").startsWith("python")),
    within: (v) => v === 0,
  },
  {
    field: "rule.attempts", clouds: ["gcp", "azure"], bound: "100 on GCP, 30 on Azure when the spec sets no retry.maxAttempts",
    reason: "the default of 185 attempts is above Pub/Sub's (100) and Event Grid's (30) maximum",
    appliesTo: (s) => Object.entries(s.buses ?? {}).flatMap(([bus, b]) => Object.entries(b.rules)
      .filter(([, r]) => "function" in r.target && r.retry?.maxAttempts === undefined).map(([rule]) => `rule:${bus}/${rule}`)),
    within: (v, agreed) => typeof v === "number" && typeof agreed === "number" && v <= agreed,
  },
  ...(["rule.maxEventAgeSeconds", "rule.survivesOutageSeconds"] as const).map((field): Deviation => ({
    field, clouds: ["gcp"], bound: "raised to attempts × 2 × the target's timeout (at least) when the spec's age cannot hold its attempts",
    reason: "Pub/Sub dead-letters only after the last attempt and drops what expires first, so a message lives as long as its whole retry schedule (issue 28.5)",
    appliesTo: (s) => Object.entries(s.buses ?? {}).flatMap(([bus, b]) => Object.entries(b.rules)
      .filter(([, r]) => "function" in r.target && pubsubScheduleExceedsAge(r, s.functions?.[r.target.function]?.timeoutSeconds ?? DEFAULTS.timeoutSeconds)).map(([rule]) => `rule:${bus}/${rule}`)),
    within: atLeastAgreed,
  })),
  {
    field: "queue.dlqRetentionSeconds", clouds: ["azure"], bound: "kept until read (no expiry)",
    reason: "the Service Bus dead-letter sub-queue has no time-to-live",
    appliesTo: (s) => ids("queue", s.queues),
    within: (v) => v === null,
  },
  {
    field: "queue.expiredMessages", clouds: ["azure"], bound: "dead-lettered instead of dropped",
    reason: "SQS and Pub/Sub delete expired messages; Service Bus can dead-letter them, which keeps more",
    appliesTo: (s) => ids("queue", s.queues),
    within: (v) => v === "dead-lettered",
  },
  {
    field: "gateway.cors", clouds: ["gcp"], bound: "answered by @polycloud/runtime in the function (Node and Python), not the gateway",
    reason: "neither the HTTPS load balancer nor API Gateway answers preflights: API Gateway forwards the unauthenticated OPTIONS operation to the function",
    appliesTo: (s) => ids("gateway", s.gateways, (g) => g.cors !== undefined),
    within: (v) => v === null,
  },
  {
    field: "gateway.burst", clouds: ["gcp"], bound: "up to burstLimit + 10 × rateLimit in one instant",
    reason: "Cloud Armor counts requests in fixed 10 s windows, not a token bucket",
    appliesTo: (s) => ids("gateway", s.gateways),
    within: (v, agreed) => atLeastAgreed(v, agreed),
  },
  {
    field: "gateway.requestsPerMinute", clouds: ["gcp"], bound: "up to 6 × burstLimit + 60 × rateLimit",
    reason: "each fixed 10 s Cloud Armor window admits the burst afresh (a token bucket refills only at the rate)",
    appliesTo: (s) => ids("gateway", s.gateways, (g) => g.throttle.burstLimit > 0),
    within: (v, agreed) => atLeastAgreed(v, agreed),
  },
  {
    field: "gateway.burst", clouds: ["azure"], bound: "up to burstLimit + 60 × rateLimit in one instant",
    reason: "API Management's rate-limit-by-key counts requests in a fixed 60 s window, not a token bucket",
    appliesTo: (s) => ids("gateway", s.gateways),
    within: (v, agreed) => atLeastAgreed(v, agreed),
  },
  {
    field: "database.poolPercent", clouds: ["gcp", "azure"], bound: "at most the spec's share: rounded down to whole connections per (database, user) pool",
    reason: "Managed pooling and PgBouncer size each (database, user) pool, not the total",
    appliesTo: (s) => ids("database", s.databases),
    within: (v, agreed) => typeof v === "number" && typeof agreed === "number" && v <= agreed,
  },
  {
    field: "database.pooled", clouds: ["aws", "gcp", "azure"], bound: "direct connections, no pool",
    reason: "the environment accepts running without pooling (acceptNoPooling: Aurora without RDS Proxy, which bills an 8-ACU floor and keeps Aurora from pausing; Cloud SQL Enterprise; Burstable Flexible Server)",
    appliesTo: (s, env, cloud) => noPooling(cloud)(s, env),
    within: (v) => v === false,
  },
  {
    field: "database.pointInTimeRecoveryDays", clouds: ["azure"], bound: "at least 7 days",
    reason: "Flexible Server keeps backups 7–35 days",
    appliesTo: (s, env) => (env.retention.backupDays < 7 ? ids("database", s.databases) : []),
    within: (v) => v === 7,
  },
  {
    field: "gateway.requestsPerMinute", clouds: ["azure"], bound: "no limit on the Consumption tier",
    reason: "API Management Consumption has no rate-limit-by-key policy",
    appliesTo: (s, env) => (env.clouds.azure?.apiManagementSku ?? "Consumption_0") === "Consumption_0" ? ids("gateway", s.gateways) : [],
    within: (v) => v === Infinity,
  },
  {
    field: "gateway.burst", clouds: ["azure"], bound: "no limit on the Consumption tier",
    reason: "API Management Consumption has no rate-limit-by-key policy",
    appliesTo: (s, env) => (env.clouds.azure?.apiManagementSku ?? "Consumption_0") === "Consumption_0" ? ids("gateway", s.gateways) : [],
    within: (v) => v === Infinity,
  },
  {
    field: "alarm.queue.oldestMessageAge", clouds: ["azure"], bound: "a backlog of more than one batch for the whole age window, not an age",
    reason: "Service Bus publishes no message-age metric",
    appliesTo: (s) => Object.keys(s.queues ?? {}).map((q) => `queue:${q}`),
    within: () => true,
  },
  {
    field: "budget.scope", clouds: ["gcp", "azure"], bound: "the project (GCP), the resource group (Azure)",
    reason: "AWS filters the account's cost by the environment tag; GCP budgets count a project, Azure budgets a resource group",
    appliesTo: () => ["budget:env"],
    within: () => true,
  },
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

/** Fields that follow `database.pooled`: without a pool they say nothing comparable. */
const POOL_FIELDS = ["database.poolPercent", "database.idleFloorConnections", "database.borrowTimeoutSeconds"];
/** Absolute numbers of each cloud's own server: reported, compared only through poolPercent. */
const INFORMATIONAL = new Set(["database.poolServerConnections", "database.maxConnections"]);

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Compares the records of the clouds. Returns one line per field that differs beyond the
 * deviation table (`pending` fields, `kind.field` per cloud, are skipped and returned apart).
 */
export function compareBehaviours(
  records: Partial<Record<Cloud, ServiceBehaviour>>, service: ServiceSpec, env: EnvironmentConfig,
  pending: readonly string[] = [],
): { problems: string[]; pendingDiffs: string[] } {
  const clouds = Object.keys(records) as Cloud[];
  const flat = Object.fromEntries(clouds.map((c) => [c, flattenBehaviour(records[c]!)])) as Record<Cloud, Map<string, unknown>>;
  const allowed = new Map<string, Deviation[]>();
  for (const c of clouds) {
    for (const { deviation, component } of deviationsFor(service, env, c)) {
      const key = `${c}|${component}|${deviation.field}`;
      allowed.set(key, [...(allowed.get(key) ?? []), deviation]);
      if (deviation.field === "database.pooled") for (const f of POOL_FIELDS) allowed.set(`${c}|${component}|${f}`, [{ ...deviation, field: f, within: () => true }]);
    }
  }
  const keys = new Set(clouds.flatMap((c) => [...flat[c].keys()]));
  const problems: string[] = [];
  const pendingDiffs: string[] = [];
  for (const key of [...keys].sort()) {
    const { field, component } = fieldOf(key);
    if (INFORMATIONAL.has(field)) continue;
    // An alarm signal is compared among the clouds that have it (Lambda's async DLQ exists on AWS only).
    const values = clouds.filter((c) => !field.startsWith("alarm.") || flat[c].has(key)).map((c) => ({ c, v: flat[c].get(key) }));
    const pend = values.filter(({ c }) => pending.includes(`${c}:${field}`));
    const deviating = values.filter(({ c }) => allowed.has(`${c}|${component}|${field}`));
    const rest = values.filter((x) => !deviating.includes(x) && !pend.includes(x));
    const agreed = rest[0]?.v;
    const describe = values.map(({ c, v }) => `${c}=${JSON.stringify(v)}`).join(" ");
    if (!rest.every(({ v }) => same(v, agreed))) problems.push(`${key}: ${describe}`);
    for (const { c, v } of deviating) {
      if (!same(v, agreed) && !allowed.get(`${c}|${component}|${field}`)!.some((d) => d.within(v, agreed))) {
        problems.push(`${key}: ${c} beyond its deviation bound: ${describe}`);
      }
    }
    for (const { c, v } of pend) if (!same(v, agreed)) pendingDiffs.push(`${c}:${field} (${key}: ${describe})`);
  }
  return { problems, pendingDiffs };
}

/** The deviation table as markdown, for the README's parity section. */
export function deviationTable(): string {
  const rows = DEVIATIONS.map((d) => `| \`${d.field}\` | ${d.clouds.join(", ")} | ${d.bound} | ${d.reason} |`);
  return ["| Field | Clouds | Bound | Reason |", "|---|---|---|---|", ...rows].join("\n");
}
