import { AlarmSignal } from "./interfaces";

/**
 * What a rendered service will actually do, as plain data. Each cloud module reads its own
 * synthesized Terraform JSON (never the spec) into this record, so the three clouds can be
 * compared field by field. Durations are seconds, memory MiB; `null` means "no limit".
 */
export interface FunctionBehaviour {
  /** Concurrent executions the platform allows at most. */
  readonly maxConcurrency: number | null;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly warmInstances: number;
}

export interface QueueBehaviour {
  /** Deliveries of one message before it is dead-lettered. */
  readonly deliveryAttempts: number;
  /** Least time between two attempts of one message. */
  readonly retrySpacingSeconds: number;
  /** Concurrent consumer invocations at most. */
  readonly maxConsumerConcurrency: number | null;
  readonly retentionSeconds: number;
  /** How long the DLQ keeps a message; null: until it is read. */
  readonly dlqRetentionSeconds: number | null;
  /** What happens to a message whose retention runs out before it was processed. */
  readonly expiredMessages: "dead-lettered" | "dropped";
  /** A path that discards a message before its retention without dead-lettering it. */
  readonly dropsWithoutDeadLetter: boolean;
}

export interface EventRuleBehaviour {
  /** `function:<id>` or `queue:<id>`. */
  readonly target: string;
  /** Attempts to deliver into the target. */
  readonly attempts: number;
  /** How old an event may get while the rule retries delivery into the target. */
  readonly maxEventAgeSeconds: number;
  readonly undeliverable: "dead-lettered" | "dropped";
  /** How long an event survives an outage of the consumer (into a queue: the queue's retention). */
  readonly survivesOutageSeconds: number;
  /**
   * What a handler receives from a scheduled rule, as `<source> | <type> | <data as JSON>`
   * (`scheduledEventText`); null for a rule with a filter.
   */
  readonly delivers: string | null;
}

export interface GatewayBehaviour {
  /** `METHOD /path -> function`, sorted. */
  readonly routes: readonly string[];
  /** Routes whose JWT is checked by the gateway itself (never by function code), sorted. */
  readonly edgeAuthenticated: readonly string[];
  /** CORS answered by the gateway, canonical JSON; null when the gateway does not answer CORS. */
  readonly cors: string | null;
  /** Requests admitted in any 60 s. */
  readonly requestsPerMinute: number;
  /** Requests admitted at one instant. */
  readonly burst: number;
}

export interface DatabaseBehaviour {
  readonly pooled: boolean;
  /** Server connections the pool can open in all (every pooler, every database+user pool). */
  readonly poolServerConnections: number;
  readonly maxConnections: number;
  /** poolServerConnections as a whole percentage of max_connections. */
  readonly poolPercent: number;
  /** Server connections the pool keeps open even when idle (a floor). */
  readonly idleFloorConnections: number;
  /** Seconds a client waits for a pooled connection; null: unbounded or not pooled. */
  readonly borrowTimeoutSeconds: number | null;
  readonly tls: boolean;
  readonly identityAuth: boolean;
  readonly pointInTimeRecoveryDays: number;
}

/** "value ≥ atLeast over windowSeconds", over the sum of every series of the signal. */
export interface AlarmCondition {
  readonly atLeast: number;
  readonly windowSeconds: number;
  /** The condition is judged on each series alone (e.g. per response code), not on their sum. */
  readonly perSeries: boolean;
}

export interface BudgetBehaviour {
  /** What spend is counted, e.g. `tag:environment`, `project`, `resource-group`. */
  readonly scope: string;
  readonly actualPercent: readonly number[];
  readonly forecastPercent: readonly number[];
  readonly recipients: readonly string[];
}

export interface ServiceBehaviour {
  readonly functions: Readonly<Record<string, FunctionBehaviour>>;
  readonly queues: Readonly<Record<string, QueueBehaviour>>;
  /** Keyed `<bus>/<rule>`. */
  readonly rules: Readonly<Record<string, EventRuleBehaviour>>;
  readonly gateways: Readonly<Record<string, GatewayBehaviour>>;
  readonly databases: Readonly<Record<string, DatabaseBehaviour>>;
  /** Keyed by component (`function:api`, `queue:orders`, `rule:events/order-created`, …), then signal. */
  readonly alarms: Readonly<Record<string, Partial<Record<AlarmSignal, AlarmCondition>>>>;
  readonly budget: BudgetBehaviour | null;
}

/** Signals that count events: "> N" means "≥ N + 1" for them. Other signals are continuous. */
export const COUNT_SIGNALS: ReadonlySet<AlarmSignal> = new Set<AlarmSignal>([
  "function.errors", "function.throttles", "gateway.5xx", "queue.dlqDepth", "bus.failedInvocations",
  "bus.sentToDlq", "bus.dlqDepth", "schedule.failedRuns", "proxy.pinnedConnections",
]);

/**
 * Normalises a threshold comparison into "value ≥ N". For counts "> N" is "≥ N + 1"; for continuous
 * values "> N" and "≥ N" differ only at N itself, so both read as "≥ N".
 */
export function atLeast(signal: AlarmSignal, comparison: "gt" | "ge", threshold: number): number {
  return comparison === "gt" && COUNT_SIGNALS.has(signal) ? threshold + 1 : threshold;
}

/** Flattens a record into `kind.field` → `component` → value for comparison. */
export function flattenBehaviour(b: ServiceBehaviour): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const put = (kind: string, items: Readonly<Record<string, object>>) => {
    for (const [id, rec] of Object.entries(items)) {
      for (const [field, value] of Object.entries(rec)) out.set(`${kind}:${id}.${field}`, value);
    }
  };
  put("function", b.functions);
  put("queue", b.queues);
  put("rule", b.rules);
  put("gateway", b.gateways);
  put("database", b.databases);
  for (const [component, signals] of Object.entries(b.alarms)) {
    for (const [signal, cond] of Object.entries(signals)) out.set(`alarm:${component}.${signal}`, cond);
  }
  if (b.budget) for (const [field, value] of Object.entries(b.budget)) out.set(`budget:env.${field}`, value);
  return out;
}

/** The field name of a flattened key: `function:api.memoryMb` → `function.memoryMb`. */
export function fieldOf(key: string): { field: string; component: string } {
  const kind = key.slice(0, key.indexOf(":"));
  const rest = key.slice(key.indexOf(":") + 1);
  const dot = kind === "alarm" ? rest.lastIndexOf(".", rest.lastIndexOf(".") - 1) : rest.lastIndexOf(".");
  // alarm signals contain a dot themselves (function.errors)
  const component = rest.slice(0, dot);
  const tail = rest.slice(dot + 1);
  return { field: kind === "alarm" ? `alarm.${tail}` : `${kind}.${tail}`, component: kind === "alarm" ? component : `${kind}:${component}` };
}

const KINDS: Record<string, string> = { fn: "function", queue: "queue", bus: "bus", db: "database", gateway: "gateway" };

/** The component a Terraform address belongs to, from the construct path: `orders_fn-api_…` → `function:api`. */
export function componentOf(address: string): { kind: string; id: string; rest: string[] } | undefined {
  const parts = address.split("_");
  for (let i = 0; i < parts.length; i++) {
    const m = /^(fn|queue|bus|db|gateway)-(.+)$/.exec(parts[i]);
    if (m) return { kind: KINDS[m[1]], id: m[2], rest: parts.slice(i + 1, -1) };
  }
  return undefined;
}

/**
 * The first resource reference in a Terraform expression: `${type.address.attr}` or one inside a
 * function call (`${regex("…", type.address.attr[0].x)}`) → { type, address, attr }.
 */
export function refOf(expr: unknown): { type: string; address: string; attr: string } | undefined {
  const m = /(?<![\w.])((?:aws|google|azurerm)_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)/.exec(String(expr ?? ""));
  return m ? { type: m[1], address: m[2], attr: m[3] } : undefined;
}

/** Parses a Go/Terraform duration (`"600s"`, `"PT5M"`, `"PT345600S"`, `"1209600s"`) into seconds. */
export function durationSeconds(v: unknown): number {
  const s = String(v ?? "");
  const plain = /^(\d+(?:\.\d+)?)s$/.exec(s);
  if (plain) return Number(plain[1]);
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(s);
  if (iso) return (Number(iso[1] ?? 0) * 86400) + (Number(iso[2] ?? 0) * 3600) + (Number(iso[3] ?? 0) * 60) + Number(iso[4] ?? 0);
  throw new Error(`not a duration: ${s}`);
}

/** A synthesized stack's resources, by type then address. */
export type ResourceMap = Readonly<Record<string, Readonly<Record<string, any>>>>;

/** Resources of a type grouped by component key (`function:api`). */
export function byComponent(resources: ResourceMap, type: string): Map<string, [string, any][]> {
  const out = new Map<string, [string, any][]>();
  for (const [address, config] of Object.entries(resources[type] ?? {})) {
    const c = componentOf(address);
    if (!c) continue;
    const key = `${c.kind}:${c.id}`;
    out.set(key, [...(out.get(key) ?? []), [address, config]]);
  }
  return out;
}
