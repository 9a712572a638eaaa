import type { Cloud } from "./environment";
/**
 * Cloud-neutral descriptions of the five components. A platform team writes these once;
 * every cloud module renders the same spec. Relationships ("who may call what") are declared
 * on the resource that is being accessed, so every binding becomes one least-privilege grant.
 */

/** Runtimes every cloud module knows how to map to its own runtime identifier. */
export const RUNTIMES = ["nodejs20", "nodejs22", "python3.12", "python3.13"] as const;
export type Runtime = (typeof RUNTIMES)[number];

export interface FunctionConcurrency {
  /** Hard cap on concurrent executions (AWS reserved concurrency, GCP/Azure max instances × per-instance). @default no cap */
  readonly max?: number;
  /** Requests one instance serves at once. AWS Lambda always serves 1; other values warn there. @default 1 */
  readonly perInstance?: number;
}

export interface FunctionSpec {
  /** Folder holding the function code, relative to the repository root. Packaged by content hash. */
  readonly source: string;
  readonly runtime: Runtime;
  /** Entry point, e.g. `index.handler`. */
  readonly handler: string;
  /** @default 256 */
  readonly memoryMb?: number;
  /** @default 30 */
  readonly timeoutSeconds?: number;
  /** Plain, non-secret configuration. Secret-looking names with literal values are rejected. */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Secrets the function reads at run time: environment variable stem → id of a secret declared
   * in `ServiceSpec.secrets`. The value never appears in configuration; the function receives a
   * reference (`<NAME>_SECRET_ARN` on AWS) and the right to read that one secret.
   */
  readonly secrets?: Readonly<Record<string, string>>;
  readonly concurrency?: FunctionConcurrency;
  /** Instances kept warm (AWS provisioned concurrency, GCP min instances, Azure always-ready). @default 0 */
  readonly minWarmInstances?: number;
}

export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface RouteSpec {
  readonly method: HttpMethod;
  /** Path starting with `/`; `{param}` segments and a trailing `{proxy+}` are allowed. */
  readonly path: string;
  /** Id of a function in `ServiceSpec.functions`. */
  readonly function: string;
  /** Set to false to leave one route unauthenticated when the gateway has JWT auth. @default true */
  readonly authorized?: boolean;
}

export interface CorsSpec {
  readonly allowOrigins: readonly string[];
  /** @default the methods used by the routes */
  readonly allowMethods?: readonly string[];
  /** @default ["content-type", "authorization"] */
  readonly allowHeaders?: readonly string[];
  readonly exposeHeaders?: readonly string[];
  /** @default 600 */
  readonly maxAgeSeconds?: number;
  /** @default false */
  readonly allowCredentials?: boolean;
}

export interface ThrottleSpec {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  /** Requests allowed in a burst; must be at least the rate. */
  readonly burstLimit: number;
}

export interface JwtAuthSpec {
  /** Token issuer URL (https). */
  readonly issuer: string;
  /** Accepted `aud` values; at least one. */
  readonly audiences: readonly string[];
  /**
   * The issuer's signing keys (JWKS, https). GCP's API Gateway cannot discover them and needs the
   * URL at deploy time; AWS and Azure discover them from the issuer's OpenID configuration.
   * @default `<issuer>/.well-known/jwks.json` on GCP (Auth0 and Cognito serve keys there; Google,
   * Okta and Entra ID do not), with a synth warning
   */
  readonly jwksUri?: string;
}

/** The JWKS URL GCP's API Gateway is given: the declared one, or the usual location under the issuer. */
export function jwksUriOf(auth: JwtAuthSpec): string {
  return auth.jwksUri ?? `${auth.issuer.replace(/\/$/, "")}/.well-known/jwks.json`;
}

export interface AccessLogSpec {
  /** Access logs cannot be switched off: a gateway without them is a policy finding. Retention defaults to the environment's log retention. */
  readonly retentionDays?: number;
}

export interface GatewaySpec {
  readonly routes: readonly RouteSpec[];
  readonly cors?: CorsSpec;
  readonly throttle: ThrottleSpec;
  readonly auth?: JwtAuthSpec;
  /** @default logs kept for the environment's log retention */
  readonly accessLogs?: AccessLogSpec;
}

export interface QueueSpec {
  /** Id of the function that consumes this queue. */
  readonly consumer: string;
  /** Functions allowed to send messages. @default [] */
  readonly producers?: readonly string[];
  /** Deliveries before a message moves to the DLQ. @default 5 */
  readonly maxDeliveryAttempts?: number;
  /** @default 10 */
  readonly batchSize?: number;
  /** Seconds to gather a batch. @default 0 */
  readonly batchWindowSeconds?: number;
  /** How long the source queue keeps a message. @default 345600 (4 days) */
  readonly retentionSeconds?: number;
  /** How long the DLQ keeps a message; must exceed the source retention. @default 1209600 (14 days) */
  readonly dlqRetentionSeconds?: number;
  /** Visibility/ack window. @default 6 × the consumer's timeout */
  readonly visibilityTimeoutSeconds?: number;
  /** Concurrent consumer invocations for this queue. @default no cap beyond the function's */
  readonly maxConcurrency?: number;
}

/** Prefix clauses: the field starts with one of the strings (ORed within a clause). */
export interface EventPrefixFilterSpec {
  readonly source?: readonly string[];
  readonly type?: readonly string[];
  readonly attributes?: Readonly<Record<string, readonly string[]>>;
}

/**
 * Event filter. Clauses are ANDed; values within a clause are ORed. `source`, `type` and
 * `attributes` match exactly; `prefix` holds prefix clauses on the same fields (EventBridge
 * `prefix`, Pub/Sub `hasPrefix`, Event Grid `StringBeginsWith`). A field has either an exact or a
 * prefix clause, not both.
 */
export interface EventFilterSpec {
  readonly source?: readonly string[];
  readonly type?: readonly string[];
  /** Matches top-level fields of the event detail / message attributes. */
  readonly attributes?: Readonly<Record<string, readonly string[]>>;
  readonly prefix?: EventPrefixFilterSpec;
}

export type EventTargetSpec = { readonly function: string } | { readonly queue: string };

export interface EventRetrySpec {
  /** @default 185 on AWS semantics, capped per cloud */
  readonly maxAttempts?: number;
  /** @default 86400 */
  readonly maxEventAgeSeconds?: number;
}

export interface EventRuleSpec {
  /** Events the rule matches. Exactly one of `filter` and `schedule`. */
  readonly filter?: EventFilterSpec;
  /**
   * Fire on a schedule instead of matching events: `rate(5 minutes)` or a five-field unix
   * `cron(0 8 * * MON-FRI)`, UTC. Same targets, retries and dead-letter queues as filtered rules.
   */
  readonly schedule?: string;
  readonly target: EventTargetSpec;
  readonly retry?: EventRetrySpec;
}

export interface EventBusSpec {
  readonly rules: Readonly<Record<string, EventRuleSpec>>;
  /** Functions allowed to publish events. @default [] */
  readonly publishers?: readonly string[];
  /** @default the environment's archive retention */
  readonly archiveRetentionDays?: number;
}

export const POSTGRES_VERSIONS = ["15", "16", "17"] as const;
export type PostgresVersion = (typeof POSTGRES_VERSIONS)[number];
export const DATABASE_SIZES = ["small", "medium", "large"] as const;
export type DatabaseSize = (typeof DATABASE_SIZES)[number];

export interface PoolSpec {
  /** Share of the database's max_connections the pool may open, 1–100. @default 90 */
  readonly maxConnectionsPercent?: number;
  /** Share kept idle, 0–maxConnectionsPercent. @default 50 */
  readonly maxIdleConnectionsPercent?: number;
  /** Seconds a client waits for a pooled connection, 0–3600. @default 120 */
  readonly borrowTimeoutSeconds?: number;
}

/** Where a database lives: on the environment's shared server (one per environment and cloud), or a server of its own. */
export const DATABASE_SERVERS = ["shared", "own"] as const;
export type DatabaseServer = (typeof DATABASE_SERVERS)[number];
/** A database that does not choose lives on the environment's shared server. */
export const DEFAULT_DATABASE_SERVER: DatabaseServer = "shared";

export interface DatabaseProxySpec {
  readonly postgresVersion: PostgresVersion;
  /**
   * `shared` (default): a database and roles of this service on the environment's one database
   * server (Aurora cluster + RDS Proxy on AWS, Cloud SQL instance on GCP), whose price is paid once
   * per environment and cloud; the service's roles can reach its own database only. Azure has no
   * shared server yet (the database gets its own; an explicit `shared` warns).
   * `own`: a server of its own, what every database had before the shared tier. A database
   * deployed before this release keeps its server (and its data) only with `server: "own"`:
   * docs/shared-tier.md, "Existing environments".
   * @default "shared"
   */
  readonly server?: DatabaseServer;
  readonly size: DatabaseSize;
  /** @default "app" */
  readonly databaseName?: string;
  readonly pool?: PoolSpec;
  /** Must stay true: a pooled endpoint without TLS is rejected. @default true */
  readonly requireTls?: boolean;
  /** Identity-based auth (IAM / service account / Entra). Must stay true: functions have no passwords. @default true */
  readonly iamAuth?: boolean;
  /** Ids of the functions allowed to connect. Nothing else gets a network path. */
  readonly allowedFunctions: readonly string[];
  /**
   * Folder of the database's schema migrations, relative to the repository root: files named
   * `<version>_<name>.sql` (at least 4 digits, e.g. `0001_create-orders.sql`), applied at deploy in
   * version order, each once and in a transaction of its own, by a migration step inside the
   * cloud's network with the database's admin identity. The functions' roles can read and write
   * data only. @default no migrations of the service's own (the step still creates the roles, and
   * the runtime's idempotency table when a function built on @polycloud/runtime connects)
   */
  readonly migrations?: string;
}

export interface SecretSpec {
  readonly description: string;
}

/** One serverless service, described once. Maps are keyed by ids the team chooses. */
export interface ServiceSpec {
  readonly name: string;
  /**
   * The clouds this service runs on, among the environment's. A service that cannot be ported
   * stays off one cloud without blocking that cloud for the rest of the environment, whose
   * foundation, alarms and budget cover the services present there. @default every cloud of the environment
   */
  readonly clouds?: readonly Cloud[];
  readonly functions: Readonly<Record<string, FunctionSpec>>;
  readonly gateways?: Readonly<Record<string, GatewaySpec>>;
  readonly queues?: Readonly<Record<string, QueueSpec>>;
  readonly buses?: Readonly<Record<string, EventBusSpec>>;
  readonly databases?: Readonly<Record<string, DatabaseProxySpec>>;
  readonly secrets?: Readonly<Record<string, SecretSpec>>;
}
