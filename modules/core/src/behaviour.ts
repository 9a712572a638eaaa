import { AlarmSignal } from "./interfaces";

/**
 * What a rendered service will actually do, as plain data. Each cloud module reads its own
 * synthesized Terraform JSON (never the spec, never a label or variable the generator copied from
 * the spec) into this record, so the three clouds can be compared field by field with each other
 * and with the spec's intent (`intendedBehaviour`). Durations are seconds, memory MiB; `null`
 * means "no limit" unless a field says otherwise. Component references are `function:<id>`,
 * `queue:<id>`, `gateway:<id>`, `rule:<bus>/<rule>`; lists of them are sorted.
 */
export interface FunctionBehaviour {
  /** Concurrent executions the platform allows at most. */
  readonly maxConcurrency: number | null;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly warmInstances: number;
  /** Components whose identity may invoke the function (gateway, queue consumer, rule), sorted. */
  readonly invokers: readonly string[];
}

export interface QueueBehaviour {
  /** The function messages are delivered to. */
  readonly consumer: string | null;
  /** Deliveries of one message before it is dead-lettered. */
  readonly deliveryAttempts: number;
  /** Least time between two attempts of one message. */
  readonly retrySpacingSeconds: number;
  /** How long a delivered message stays hidden from other consumers (SQS visibility, Pub/Sub ack deadline, Service Bus lock). */
  readonly visibilitySeconds: number;
  /** Concurrent consumer invocations at most. */
  readonly maxConsumerConcurrency: number | null;
  /**
   * Messages that may arrive at once with none dead-lettered before it ran: null when the queue
   * holds what its consumer has no room for (SQS, Service Bus); on Pub/Sub push, where a push
   * rejected at the consumer's cap counts as a delivery attempt, attempts × the consumer's cap.
   */
  readonly burstWithoutDeadLetter: number | null;
  readonly retentionSeconds: number;
  /** How long the DLQ keeps a message; null: until it is read. */
  readonly dlqRetentionSeconds: number | null;
  /** What happens to a message whose retention runs out before it was processed. */
  readonly expiredMessages: "dead-lettered" | "dropped";
  /** A path that discards a message before its retention without dead-lettering it. */
  readonly dropsWithoutDeadLetter: boolean;
  /** Components allowed to put messages into the queue (functions, rules), sorted. */
  readonly senders: readonly string[];
}

export interface BusBehaviour {
  /** Components allowed to publish onto the bus, sorted: functions, and `rule:<bus>/<rule>` when a schedule publishes its ticks there. */
  readonly publishers: readonly string[];
  /** Days the archive keeps every event; null: no archive. */
  readonly archiveDays: number | null;
}

export interface EventRuleBehaviour {
  /** `function:<id>` or `queue:<id>`. */
  readonly target: string;
  /** The events the rule matches, canonical (`canonicalFilter`); null for a scheduled rule. */
  readonly filter: string | null;
  /** When a scheduled rule fires, canonical (`canonicalSchedule`); null for a filtered rule. */
  readonly schedule: string | null;
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
  /** Tokens accepted: `issuer <url> audiences <a,b>` (canonical); null without JWT auth. */
  readonly jwt: string | null;
  /** Where the signing keys come from: `discovery <issuer>` (OpenID configuration) or `jwks <url>`; null without JWT auth. */
  readonly jwtKeys: string | null;
  /** CORS answered to browsers, canonical JSON; null when nothing answers CORS. */
  readonly cors: string | null;
  /** Requests admitted in any 60 s. */
  readonly requestsPerMinute: number;
  /** Requests admitted at one instant. */
  readonly burst: number;
  /** Per route (`METHOD /path`), seconds a caller waits at most: the function's timeout or the gateway's, whichever is shorter. */
  readonly routeTimeoutSeconds: Readonly<Record<string, number>>;
}

export interface DatabaseBehaviour {
  readonly pooled: boolean;
  /** Server connections the pool can open in all (every pooler, every database+user pool). */
  readonly poolServerConnections: number;
  readonly maxConnections: number;
  /**
   * The connections clients can open: max_connections less what the cloud keeps for itself
   * (Azure Flexible Server keeps 15 for replication, monitoring and its superuser).
   */
  readonly userConnections: number;
  /** Pools the server connections are divided into: (database, user) pairs × poolers; 1 for RDS Proxy, 0 without a pool. */
  readonly pools: number;
  /** poolServerConnections as a whole percentage of userConnections (what clients can open). */
  readonly poolPercent: number;
  /** Server connections the pool keeps open even when idle (a floor). */
  readonly idleFloorConnections: number;
  /** Seconds a client waits for a pooled connection; null: unbounded or not pooled. */
  readonly borrowTimeoutSeconds: number | null;
  readonly tls: boolean;
  readonly identityAuth: boolean;
  readonly pointInTimeRecoveryDays: number;
  /** Functions with a network path and a login, sorted. */
  readonly clients: readonly string[];
}

/** How an alarm aggregates a window: a count of events, the peak, the low, the mean, or the 99th percentile. */
export type AlarmStatistic = "total" | "peak" | "low" | "mean" | "p99";
/** A window without data: counts as not breaching (`ok`), keeps the last state (`keep`), or alarms (`alarm`). */
export type MissingData = "ok" | "keep" | "alarm";

/** "value ≥ atLeast over windowSeconds", over the sum of every series of the signal. */
export interface AlarmCondition {
  readonly atLeast: number;
  readonly windowSeconds: number;
  /** The condition is judged on each series alone (e.g. per response code), not on their sum. */
  readonly perSeries: boolean;
  readonly statistic: AlarmStatistic;
  readonly missingData: MissingData;
  /** The alarm reaches the environment's alarm channel (topic, notification channels, action group). */
  readonly notifies: boolean;
}

export interface BudgetBehaviour {
  /** What spend is counted, e.g. `tag:environment`, `project`, `resource-group`. */
  readonly scope: string;
  readonly amount: number;
  readonly currency: string;
  readonly actualPercent: readonly number[];
  readonly forecastPercent: readonly number[];
  readonly recipients: readonly string[];
}

/**
 * Signals an alarm can watch: the core's `AlarmSignal`s and `queue.sentToDlq` (messages moved to a
 * queue's DLQ, counted as they move), which only some clouds alarm on.
 */
export type ObservedSignal = AlarmSignal | "queue.sentToDlq";

export interface ServiceBehaviour {
  readonly functions: Readonly<Record<string, FunctionBehaviour>>;
  readonly queues: Readonly<Record<string, QueueBehaviour>>;
  readonly buses: Readonly<Record<string, BusBehaviour>>;
  /** Keyed `<bus>/<rule>`. */
  readonly rules: Readonly<Record<string, EventRuleBehaviour>>;
  readonly gateways: Readonly<Record<string, GatewayBehaviour>>;
  readonly databases: Readonly<Record<string, DatabaseBehaviour>>;
  /** Keyed by component (`function:api`, `queue:orders`, `rule:events/order-created`, …), then signal. */
  readonly alarms: Readonly<Record<string, Partial<Record<ObservedSignal, AlarmCondition>>>>;
  /** E-mail addresses the alarm channel notifies, sorted. */
  readonly alarmRecipients: readonly string[];
  readonly budget: BudgetBehaviour | null;
}

/**
 * Every field of the behaviour record with what it means to a caller, a message or an operator:
 * the rows of the attribute table in docs/parity.md, where each cloud's reader lists the attributes
 * it reads for the field (`<CLOUD>_BEHAVIOUR_SOURCES`). `alarm.*` stands for every alarm signal,
 * `budget.*` for every budget field.
 */
export const BEHAVIOUR_FIELDS: Readonly<Record<string, string>> = {
  "function.maxConcurrency": "concurrent executions at most",
  "function.memoryMb": "memory of one execution",
  "function.timeoutSeconds": "how long one execution may run",
  "function.warmInstances": "instances kept warm",
  "function.invokers": "who may invoke the function (gateway, queue, rule)",
  "queue.consumer": "the function messages are delivered to",
  "queue.deliveryAttempts": "deliveries of a message before it is dead-lettered",
  "queue.retrySpacingSeconds": "least time between two attempts of a message",
  "queue.visibilitySeconds": "how long a delivered message stays hidden (visibility, ack deadline, lock)",
  "queue.maxConsumerConcurrency": "concurrent consumer invocations at most",
  "queue.burstWithoutDeadLetter": "messages arriving at once that none is dead-lettered unrun (null: the queue holds them)",
  "queue.retentionSeconds": "how long an unprocessed message is kept",
  "queue.dlqRetentionSeconds": "how long a dead letter is kept",
  "queue.expiredMessages": "what happens to a message whose retention ran out",
  "queue.dropsWithoutDeadLetter": "a path that loses messages without dead-lettering them",
  "queue.senders": "who may put messages into the queue (functions, rules)",
  "bus.publishers": "who may publish events onto the bus (functions; a schedule whose ticks land there)",
  "bus.archiveDays": "days the archive keeps every event",
  "rule.target": "where matched events go (function or queue)",
  "rule.filter": "which events the rule matches",
  "rule.schedule": "when a scheduled rule fires",
  "rule.attempts": "attempts to deliver an event",
  "rule.maxEventAgeSeconds": "how old an event may get while delivery is retried",
  "rule.undeliverable": "what happens to an event that cannot be delivered",
  "rule.survivesOutageSeconds": "how long an event survives an outage of its consumer",
  "rule.delivers": "the event a scheduled rule's handler receives",
  "gateway.routes": "method and path to function",
  "gateway.edgeAuthenticated": "routes whose JWT the gateway checks",
  "gateway.jwt": "the issuer and audiences of accepted tokens",
  "gateway.jwtKeys": "where the token signing keys come from",
  "gateway.cors": "the CORS answer browsers get",
  "gateway.requestsPerMinute": "requests admitted in any minute",
  "gateway.burst": "requests admitted at one instant",
  "gateway.routeTimeoutSeconds": "how long a caller waits at most, per route",
  "database.pooled": "whether connections go through a pool",
  "database.poolPercent": "the pool's share of the connections clients can open (max_connections less what the cloud keeps)",
  "database.idleFloorConnections": "server connections kept open while idle",
  "database.borrowTimeoutSeconds": "how long a client waits for a pooled connection",
  "database.tls": "TLS required",
  "database.identityAuth": "identity-based login (no passwords)",
  "database.pointInTimeRecoveryDays": "days of point-in-time recovery",
  "database.clients": "functions with a network path and a login",
  "alarm.*": "per component and signal: presence, metric, statistic, threshold, window, missing-data handling, notification",
  "alarms.recipients": "who the alarm channel notifies",
  "budget.*": "what spend is counted, the amount and currency, actual and forecast thresholds, recipients",
};

/** Signals that count events: "> N" means "≥ N + 1" for them. Other signals are continuous. */
export const COUNT_SIGNALS: ReadonlySet<AlarmSignal> = new Set<AlarmSignal>([
  "function.errors", "function.throttles", "gateway.5xx", "queue.dlqDepth", "bus.failedInvocations",
  "bus.sentToDlq", "bus.dlqDepth", "schedule.failedRuns", "proxy.pinnedConnections",
]);
/** `COUNT_SIGNALS` among the observed signals (with `queue.sentToDlq`). */
const OBSERVED_COUNTS: ReadonlySet<string> = new Set<string>([...COUNT_SIGNALS, "queue.sentToDlq"]);

/**
 * Normalises a threshold comparison into "value ≥ N". For counts "> N" is "≥ N + 1"; for continuous
 * values "> N" and "≥ N" differ only at N itself, so both read as "≥ N".
 */
export function atLeast(signal: ObservedSignal, comparison: "gt" | "ge", threshold: number): number {
  return comparison === "gt" && OBSERVED_COUNTS.has(signal) ? threshold + 1 : threshold;
}

/** The id under which a reader records the shared tier's database server (no service database id can be this). */
export const SHARED_SERVER_COMPONENT = "(shared-server)";

/**
 * A reader's record with the shared server's database record and alarms given to each service
 * database on it: the databases whose migration step (`<id>-migrate`) is in the stack but whose
 * server is not (a server of its own is recorded under the database's own id). What a caller of
 * the service database observes is the shared server's pooling, TLS, identity and alarms.
 */
export function spreadSharedServer(record: ServiceBehaviour): ServiceBehaviour {
  const shared = record.databases[SHARED_SERVER_COMPONENT];
  const sharedAlarms = record.alarms[`database:${SHARED_SERVER_COMPONENT}`];
  const members = Object.keys(record.functions).filter((f) => f.endsWith("-migrate")).map((f) => f.slice(0, -"-migrate".length))
    .filter((id) => !record.databases[id]);
  const databases = { ...record.databases };
  const alarms = { ...record.alarms };
  delete databases[SHARED_SERVER_COMPONENT];
  delete alarms[`database:${SHARED_SERVER_COMPONENT}`];
  for (const id of members) {
    // Clients are the functions with a network path and a login to the server (a record is one
    // service's: the role each logs in as reaches only its own service's database).
    if (shared) databases[id] = shared;
    if (sharedAlarms) alarms[`database:${id}`] = sharedAlarms;
  }
  return { ...record, databases, alarms };
}

const KINDS: Record<string, string> = { fn: "function", queue: "queue", bus: "bus", db: "database", gateway: "gateway" };

/** The component a Terraform address belongs to, from the construct path: `orders_fn-api_…` → `function:api`. */
export function componentOf(address: string): { kind: string; id: string; rest: string[] } | undefined {
  const parts = address.split("_");
  // The environment's shared database server (`shared-tier_db_…`): the component SHARED_SERVER_COMPONENT,
  // spread onto the service databases it holds by spreadSharedServer.
  if (parts[0] === "shared-tier" && parts[1] === "db") return { kind: "database", id: SHARED_SERVER_COMPONENT, rest: parts.slice(2, -1) };
  for (let i = 0; i < parts.length; i++) {
    // A database's migration step (`db-<id>-migrate`) is the function `<id>-migrate`, an id that
    // validation reserves for it (and no database id may end in `-migrate`).
    const step = /^db-(.+)-migrate$/.exec(parts[i]);
    if (step) return { kind: "function", id: `${step[1]}-migrate`, rest: parts.slice(i + 1, -1) };
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

/**
 * Names of each component's resources (`name`, `function_name`, `cluster_identifier`, …), by
 * component key, so a reader can tell whether an alarm watches its own component's resource.
 */
export function componentNames(resources: ResourceMap): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const items of Object.values(resources)) {
    for (const [address, config] of Object.entries(items ?? {})) {
      const c = componentOf(address);
      if (!c || !config) continue;
      const key = `${c.kind}:${c.id}`;
      const set = out.get(key) ?? new Set<string>();
      for (const attr of ["name", "function_name", "cluster_identifier", "identifier"]) if (typeof config[attr] === "string") set.add(config[attr]);
      out.set(key, set);
    }
  }
  return out;
}

/** True when an expression is a reference to a resource of the component, or a literal name of one. */
export function namesComponent(value: unknown, component: string, names: Map<string, Set<string>>): boolean {
  const ref = refOf(value);
  if (ref) {
    const c = componentOf(ref.address);
    return !!c && `${c.kind}:${c.id}` === component;
  }
  return typeof value === "string" && (names.get(component)?.has(value) ?? false);
}
