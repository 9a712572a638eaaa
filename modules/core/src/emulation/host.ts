/**
 * What the local runner (modules/runner) gives each cloud's emulation: a clock that can run ahead
 * of the wall clock, a private network with its own certificate authorities, function processes
 * loaded as each platform loads them, a real PostgreSQL, token tools and a log. Types only: the
 * runner implements them, `modules/<cloud>/src/emulation` uses them. No provider or cdktf imports.
 */

/** One HTTP request as a server on the runner's network receives it. */
export interface HttpExchange {
  readonly method: string;
  /** Path and query as sent (`/orders?x=1`). */
  readonly url: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The host name the caller asked for (Host header). */
  readonly hostname: string;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

export type HttpHandler = (request: HttpExchange) => Promise<HttpAnswer>;

/**
 * Virtual time: `now()` starts at the wall clock and only moves ahead of it when the runner
 * fast-forwards an idle system to its next timer (a visibility timeout, a retry backoff), so a
 * test can watch five 6-minute redeliveries in a second. In `npm run dev` it is the wall clock.
 */
export interface EmulatedClock {
  now(): number;
  /** Runs `fn` `ms` milliseconds of virtual time from now. */
  after(ms: number, fn: () => unknown, label?: string): { cancel(): void };
  /** Counts `work` as in flight until it settles: the runner fast-forwards only an idle system. */
  track<T>(work: Promise<T>): Promise<T>;
}

export interface CertificateAuthority {
  readonly name: string;
  readonly certificatePem: string;
  /** The CA certificate as a file (for NODE_EXTRA_CA_CERTS, sslrootcert, …). */
  readonly certificateFile: string;
  /**
   * A server certificate for these names (DNS names or IP addresses), signed by this authority.
   * Its subject CN is `commonName` when given (Cloud SQL's `<project>:<instance>`), else a host name.
   */
  issue(hostnames: readonly string[], options?: { readonly commonName?: string }): { readonly key: string; readonly cert: string };
}

export interface FetchAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  text(): string;
  json<T = any>(): T;
}

/**
 * The runner's private network. Function processes reach `hostname:port` pairs registered here
 * (their DNS and sockets are redirected); people and tests reach exposed entry points on loopback.
 */
export interface EmulatedNetwork {
  /**
   * Serves `hostname` to every function and to `fetch`: `https` on 443 with a certificate from
   * `authority` (default: the public authority), or `http` on 80 (`port` overrides either).
   */
  serve(hostname: string, handler: HttpHandler, options?: { scheme?: "https" | "http"; port?: number; authority?: CertificateAuthority }): void;
  /** A TCP service (a database endpoint) reachable by functions as `hostname:port`. */
  tcp(hostname: string, port: number, target: { readonly host: string; readonly port: number }): void;
  /** A loopback URL (`http://127.0.0.1:<port>`) that reaches `handler` as the public internet would. */
  expose(name: string, handler: HttpHandler): Promise<string>;
  /** A loopback listener only the runner hands out (a function's own metadata server); returns its port. */
  listen(handler: HttpHandler): Promise<number>;
  /** The runner itself calling a URL on its network (JWKS, OpenID configuration, function URLs). */
  fetch(url: string, init?: { method?: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<FetchAnswer>;
  /** The authority that stands in for the public web PKI: trusted by every function like a public root. */
  readonly publicAuthority: CertificateAuthority;
  /** A private authority (a database's CA), trusted by nobody unless the cloud gives it to a function. */
  authority(name: string): CertificateAuthority;
  /**
   * `authority` stands in for the cloud's own CA certificates whose subject matches `subject` (the
   * Amazon RDS regional roots): where a function is given such a certificate (PEM text in its
   * environment, or a PEM file its environment names), it gets `authority`'s certificate instead.
   * The public authority stands in for every public root (Node's root store) this way.
   */
  standIn(subject: RegExp, authority: CertificateAuthority): void;
}

export type FunctionPlatform = "aws-lambda" | "gcp-functions" | "azure-functions";

export interface FunctionLaunch {
  /** The function's name on its cloud (logs, errors). */
  readonly name: string;
  /** The spec id (`api`), for logs and invocation records. */
  readonly id: string;
  readonly platform: FunctionPlatform;
  readonly language: "node" | "python";
  /** The package exactly as it is uploaded (a zip from the stack's assets). */
  readonly archive: string;
  /** AWS: the handler (`index.handler`, `main.handler`); GCP: the entry point. Azure needs none. */
  readonly entry?: string;
  /** The environment the platform gives the function: its configuration plus the platform's own variables. */
  readonly env: Readonly<Record<string, string>>;
  /** `host:port` → `127.0.0.1:<port>` seen by this function only (its metadata server, identity endpoint). */
  readonly network?: Readonly<Record<string, string>>;
  /** Platform files by the path the function is told (`/var/runtime/ca-cert.pem`) → local file. */
  readonly files?: Readonly<Record<string, string>>;
  /** Lambda layers: zip archives unpacked in order into the function's `/opt` (paths under /opt in its environment lead there). */
  readonly layers?: readonly string[];
  readonly timeoutSeconds: number;
  /**
   * Start the instance when it is deployed (Azure: the host loads the app to index its functions);
   * otherwise the first invocation or request starts it, a cold start as on Lambda and Cloud Run.
   */
  readonly startAtDeploy?: boolean;
}

/** What one invocation returned: the handler's value, or the error the platform reports. */
export interface InvocationResult {
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: { readonly type: string; readonly message: string };
}

/** A function the app registered while loading (Azure Functions v4 programming model, function_app.py). */
export interface FunctionRegistration {
  readonly name: string;
  /** The trigger binding (`httpTrigger`, `serviceBusTrigger`, `eventGridTrigger`) and its options. */
  readonly trigger: Readonly<Record<string, unknown>> & { readonly type: string };
}

export interface FunctionInstance {
  readonly id: string;
  /** AWS: `(event)`; Azure: `{ function, trigger }` in the host's invocation shape. */
  invoke(request: unknown): Promise<InvocationResult>;
  /** GCP: where the Functions Framework listens (http://127.0.0.1:<port>), starting the instance if needed. */
  url(): Promise<string | undefined>;
  /** Azure: the registrations made while the app loaded. */
  readonly registrations?: readonly FunctionRegistration[];
  /** Starts the instance now instead of at its first invocation (a function the deploy itself calls: its cold start overlaps the database's). */
  warm(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A program the platform runs to completion with the runner's Node.js (a Cloud Run job whose
 * image is a Node.js image): `node <args>` in the runner's network, with its environment and its
 * own host names (the job's metadata server).
 */
export interface NodeRun {
  readonly name: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly network?: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
}

/**
 * A command Terraform runs on the deploying machine (a `local-exec` provisioner): `interpreter`
 * (default `/bin/sh -c`) with the command, its environment, and the CLIs it calls answered by the
 * cloud's emulation (`tools`: `az` as the deploying identity). Other programs (curl) are the
 * machine's own, reaching the runner's network.
 */
export interface LocalExec {
  readonly name: string;
  readonly command: string;
  readonly interpreter?: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly tools?: Readonly<Record<string, (args: readonly string[]) => Promise<{ readonly code: number; readonly stdout?: string; readonly stderr?: string }>>>;
  readonly timeoutSeconds: number;
}

export interface ProcessOutcome {
  readonly code: number;
  /** stdout and stderr as written. */
  readonly output: string;
}

export interface FunctionLauncher {
  launch(spec: FunctionLaunch): Promise<FunctionInstance>;
  runNode(spec: NodeRun): Promise<ProcessOutcome>;
  localExec(spec: LocalExec): Promise<ProcessOutcome>;
}

/** Where functions connect to a database: host names and port as the JSON tells them. */
export interface DatabaseListener {
  readonly hostnames: readonly string[];
  readonly port: number;
  /** Through the cloud's pooler (`DatabaseLaunch.pool`), or straight to the server. */
  readonly pooled: boolean;
  /** The authority that signs the endpoint's certificate. */
  readonly authority: CertificateAuthority;
  /** The certificate's subject CN when not a host name (Cloud SQL: `<project>:<instance>`). */
  readonly commonName?: string;
  readonly requireTls: boolean;
}

export interface DatabaseLaunch {
  /** Key of the server resource (one PostgreSQL database per key). */
  readonly key: string;
  /** Database name as the functions are told (`DB_<ID>_NAME`). */
  readonly database: string;
  /** Other databases of the server a client may name (Flexible Server's `postgres`, where pgaadauth lives). */
  readonly otherDatabases?: readonly string[];
  /** The administrative role (the master user, the Entra administrator, Cloud SQL's `postgres`). */
  readonly admin: string;
  /** Groups the administrative role is a member of with ADMIN OPTION (rds_iam for the master user, cloudsqlsuperuser). */
  readonly adminGroups?: readonly string[];
  /** The database's owner as the cloud creates it. @default the administrative role */
  readonly owner?: string;
  /**
   * Roles that exist before any migration runs (the platform creates them: Cloud SQL IAM users, a
   * group such as rds_iam), and, while a stack has no migration step, the function roles that
   * today's roles SQL grants (`grantFunctionRoles`).
   */
  readonly roles: readonly { readonly name: string; readonly memberOf?: readonly string[]; readonly login?: boolean }[];
  /** Every user name a function or the migration step is told (`DB_<ID>_USER`), created yet or not: the pooler's user list. */
  readonly clients?: readonly string[];
  /** Grant the roles with today's roles SQL (CONNECT, USAGE, DML): stacks without a migration step. */
  readonly grantFunctionRoles?: boolean;
  /** What the managed server has built in, run as the superuser once per server (groups, functions such as pgaadauth). */
  readonly platformSql?: string;
  /** The cloud's pooler in front of the server (PgBouncer here), or undefined when the cloud does not pool. */
  readonly pool?: { readonly mode: "transaction" | "session"; readonly size: number };
  /** Where functions connect. */
  readonly endpoints: readonly DatabaseListener[];
  /** Checks a client's password (an identity token, or a built-in user's password) for `user`: undefined when accepted, else why not. */
  verify(user: string, password: string, database: string): Promise<string | undefined>;
}

export interface DatabaseInstance {
  /** SQL as the server's superuser (the cloud's control plane: Cloud SQL's users API) on the database, or on `database`. */
  query<T = any>(sql: string, params?: readonly unknown[], database?: string): Promise<{ rows: T[] }>;
}

export interface DatabaseLauncher {
  launch(spec: DatabaseLaunch): Promise<DatabaseInstance>;
}

export interface TokenTools {
  /**
   * Verifies a bearer JWT as a gateway does: the signature against the issuer's keys (`jwksUri`,
   * else the issuer's OpenID configuration, fetched over the runner's network), issuer, audience,
   * expiry. Returns the claims, or why it was refused.
   */
  verifyJwt(token: string, options: { issuer: string; audiences: readonly string[]; jwksUri?: string }): Promise<{ ok: true; claims: Record<string, unknown> } | { ok: false; reason: string }>;
  /** A JWT signed by a key the runner keeps for `signer` (e.g. Google's ID tokens). */
  sign(signer: string, claims: Record<string, unknown>): Promise<string>;
  /** The claims of a token `sign(signer, …)` made and that has not expired, or undefined. */
  verify(signer: string, token: string): Promise<Record<string, unknown> | undefined>;
}

/** One invocation of a function by a trigger, as the runner observed it. */
export interface InvocationRecord {
  readonly function: string;
  /** `http`, `queue:<id>`, `rule:<bus>/<rule>`, `invoke`. */
  readonly trigger: string;
  readonly ok: boolean;
  readonly at: number;
  readonly detail?: string;
}

export interface EmulationHost {
  readonly clock: EmulatedClock;
  readonly network: EmulatedNetwork;
  readonly functions: FunctionLauncher;
  readonly databases: DatabaseLauncher;
  readonly tokens: TokenTools;
  /** A line for the runner's log stream (`source` is a function or a component). */
  log(source: string, line: string): void;
  record(invocation: InvocationRecord): void;
}
