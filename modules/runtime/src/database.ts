import * as fs from "node:fs";
import * as net from "node:net";
import * as tls from "node:tls";
import type * as pg from "pg";
import { cloudImplementation } from "./cloud";
import { boundDatabases, currentCloud, currentFunction, databaseEndpoint, DatabaseEndpoint, envVarPart } from "./env";


/** pg is loaded on the first connect, not at module init (cold starts that never query skip it). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pgModule = (): typeof import("pg") => require("pg");

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** The CA certificates a PEM text or file holds (Node accepts the concatenated PEM as one `ca`). */
function caFrom(rootcert: string): string {
  if (rootcert.includes("-----BEGIN CERTIFICATE-----")) return rootcert;
  try {
    return fs.readFileSync(rootcert, "utf8");
  } catch (err) {
    throw new Error(`@polycloud/runtime: the database CA file ${rootcert} cannot be read (${(err as Error).message})`);
  }
}

/**
 * The server identity check: the certificate must name `expected`. A DNS name or IP address is
 * checked the standard way (subjectAltName); Cloud SQL's per-instance CA signs certificates whose
 * only name is the common name `<project>:<instance>`, which is what Google's Cloud SQL connectors
 * check for such instances, so a name with a colon is compared with the CN.
 */
export function serverIdentityCheck(expected: string): (host: string, cert: tls.PeerCertificate) => Error | undefined {
  return (_host, cert) => {
    if (expected.includes(":") && !net.isIP(expected)) {
      const dns = (cert.subjectaltname ?? "").split(/,\s*/).filter((n) => n.startsWith("DNS:")).map((n) => n.slice(4));
      if (cert.subject?.CN === expected || dns.includes(expected)) return undefined;
      return new Error(`database certificate names ${cert.subject?.CN ?? "nothing"}${dns.length ? ` (${dns.join(", ")})` : ""}, not ${expected}`);
    }
    return tls.checkServerIdentity(expected, cert);
  };
}

/**
 * TLS settings from the endpoint: `verify-full` checks the certificate chain against
 * DB_<ID>_SSLROOTCERT (or Node's store when unset) and the server's identity (the host, or
 * DB_<ID>_SSLSERVERNAME). `require` (encrypt without verifying) is refused: it would hand the
 * identity token to whoever answers. Plain TCP only to a loopback pooler (local tests).
 */
export function tlsFor(ep: DatabaseEndpoint): pg.PoolConfig["ssl"] {
  switch (ep.sslmode) {
    case "verify-full": {
      const name = ep.sslservername ?? ep.host;
      return {
        rejectUnauthorized: true,
        ...(ep.sslrootcert && ep.sslrootcert !== "system" ? { ca: caFrom(ep.sslrootcert) } : {}),
        // SNI carries DNS names only.
        ...(net.isIP(name) || name.includes(":") ? {} : { servername: name }),
        checkServerIdentity: serverIdentityCheck(name),
      };
    }
    case "disable":
      if (LOOPBACK.has(ep.host)) return false;
      throw new Error(`@polycloud/runtime: sslmode disable is refused for ${ep.host}; only a loopback pooler may be reached without TLS`);
    case "require":
      throw new Error(`@polycloud/runtime: sslmode 'require' encrypts without verifying the server, and is refused for ${ep.host}; use verify-full with DB_<ID>_SSLROOTCERT`);
    default: throw new Error(`@polycloud/runtime: sslmode '${ep.sslmode}' is not supported (verify-full)`);
  }
}

/**
 * Transaction pooling (RDS Proxy, PgBouncer) hands each transaction to any server connection, so
 * a named (protocol-level) prepared statement may not exist on the next one. pg's unnamed
 * parameterised queries are parsed and executed in one round trip and are safe. Named statements
 * are refused unless DB_<ID>_PREPARED_STATEMENTS=protocol says the pooler tracks them
 * (PgBouncer >= 1.21 with max_prepared_statements).
 */
function guardedClient(id: string, allowNamed: boolean): typeof pg.Client {
  const { Client } = pgModule();
  return class extends Client {
    query(...args: any[]): any {
      const first = args[0];
      if (!allowNamed && first && typeof first === "object" && typeof first.name === "string" && first.name !== "") {
        const err = new Error(`@polycloud/runtime: database '${id}' is reached through a transaction pooler; named prepared statements ('${first.name}') are refused (set DB_${envVarPart(id)}_PREPARED_STATEMENTS=protocol only if the pooler tracks them)`);
        const cb = args.find((x) => typeof x === "function") ?? (typeof first.callback === "function" ? first.callback : undefined);
        if (cb) { process.nextTick(() => cb(err)); return undefined; }
        return Promise.reject(err);
      }
      return (Client.prototype.query as any).apply(this, args);
    }
  } as unknown as typeof pg.Client;
}

export interface ConnectOptions {
  /** Connections per function instance (default DB_<ID>_POOL_MAX when the platform sets it, else 2: the pooler multiplexes). */
  max?: number;
  /** Overrides the identity token source (tests); never a configured password. */
  token?: (endpoint: DatabaseEndpoint) => Promise<string>;
}

const pools = new Map<string, pg.Pool>();

export interface DatabaseClient {
  /** A pg Pool through the environment's pooler, TLS on, an identity token as the password. Reused across invocations. */
  connect(options?: ConnectOptions): pg.Pool;
}

export function createPool(id: string, options: ConnectOptions = {}, env: Record<string, string | undefined> = process.env): pg.Pool {
  const ep = databaseEndpoint(id, env);
  const token = options.token ?? (async (e: DatabaseEndpoint) => (await cloudImplementation(currentCloud(env))).databaseToken(e));
  const pool = new (pgModule().Pool)({
    host: ep.host, port: ep.port, database: ep.database, user: ep.user,
    // Called for every new physical connection: tokens expire (RDS 15 min, Entra ~1 h).
    password: () => token(ep),
    ssl: tlsFor(ep),
    // The platform sizes it where every instance's connections count against the server (DB_<ID>_POOL_MAX).
    max: options.max ?? (Number(env[`DB_${envVarPart(id)}_POOL_MAX`]) > 0 ? Number(env[`DB_${envVarPart(id)}_POOL_MAX`]) : 2),
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    Client: guardedClient(id, env[`DB_${envVarPart(id)}_PREPARED_STATEMENTS`] === "protocol"),
  });
  pool.on("error", (err) => console.error(JSON.stringify({ level: "error", msg: "idle database connection failed", database: id, error: err.message })));
  return pool;
}

/** `databases.<id>.connect()`: one pool per database per instance, created on first use. */
export const databases: Readonly<Record<string, DatabaseClient>> = new Proxy({} as Record<string, DatabaseClient>, {
  get(_t, id) {
    if (typeof id !== "string" || id === "then") return undefined;
    return {
      connect(options?: ConnectOptions) {
        let pool = pools.get(id);
        if (!pool) { pool = createPool(id, options); pools.set(id, pool); }
        return pool;
      },
    };
  },
});

/** Ends every pool (tests, graceful shutdown). */
export async function closeDatabases(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.end()));
}

const TABLE = /^[a-z_][a-z0-9_]{0,62}$/;
/** How long a processed key is remembered unless `retentionDays` says otherwise. */
export const IDEMPOTENCY_RETENTION_DAYS = 30;
/** Expired keys are deleted at most this often per pool and table, this many at a time. */
const PURGE_EVERY_MS = 5 * 60_000;
const PURGE_BATCH = 500;
const purged = new WeakMap<pg.Pool, Map<string, number>>();

export interface IdempotentOptions {
  /** Database id (default: the only database bound to the function). */
  database?: string;
  pool?: pg.Pool;
  /**
   * Table name (default polycloud_idempotency, created by the runtime's migration). Another table
   * must come from the service's own migrations, with the same columns.
   */
  table?: string;
  /** Days a processed key is remembered; after that a delivery with the key runs again. @default 30 */
  retentionDays?: number;
}

function missingTable(err: any, table: string): Error {
  if (err?.code !== "42P01") return err;
  return new Error(`@polycloud/runtime: table ${table} does not exist. It is created at deploy by the migration step: ${table === "polycloud_idempotency"
    ? "the runtime's own migration, added to every database a function built on @polycloud/runtime is allowed to connect to"
    : "add it to the database's migrations folder (same columns as polycloud_idempotency)"} (${err.message})`);
}

/** Deletes a batch of expired keys, at most once per PURGE_EVERY_MS per pool and table; never fails the caller. */
async function purgeExpired(pool: pg.Pool, table: string): Promise<void> {
  let byTable = purged.get(pool);
  if (!byTable) { byTable = new Map(); purged.set(pool, byTable); }
  const last = byTable.get(table) ?? 0;
  if (Date.now() - last < PURGE_EVERY_MS) return;
  byTable.set(table, Date.now());
  try {
    await pool.query(`DELETE FROM ${table} WHERE key IN (SELECT key FROM ${table} WHERE expires_at <= now() ORDER BY expires_at LIMIT ${PURGE_BATCH} FOR UPDATE SKIP LOCKED)`);
  } catch (err) {
    console.error(JSON.stringify({ level: "warn", msg: "expired idempotency keys not purged", table, error: (err as Error).message }));
  }
}

/**
 * Runs `fn` once per `key` of this function: the key is stored as `<POLYCLOUD_FUNCTION>/<key>`, so
 * two functions handling the same event (two rules, two queues) each run once, and the key is the
 * same on every cloud. The key is claimed by inserting it in the same transaction in which `fn`
 * runs: a concurrent duplicate blocks on that row until the first commits, then returns the
 * stored result without running `fn`; if the first fails, the claim is rolled back and a
 * redelivery runs `fn` again. Writes made through the `tx` client commit atomically with the key.
 * A key is remembered for `retentionDays` (30): an expired key is claimed again, and expired keys
 * are deleted as calls go by. The table comes from a migration; nothing here runs DDL.
 */
export async function idempotent<T>(key: string, fn: (tx: pg.PoolClient) => Promise<T> | T, options: IdempotentOptions = {}): Promise<T> {
  if (typeof key !== "string" || key === "") throw new Error("@polycloud/runtime: idempotent() needs a non-empty string key");
  const scoped = `${currentFunction()}/${key}`;
  const table = options.table ?? "polycloud_idempotency";
  if (!TABLE.test(table)) throw new Error(`@polycloud/runtime: idempotency table '${table}' is not a plain lower-case identifier`);
  const days = options.retentionDays ?? IDEMPOTENCY_RETENTION_DAYS;
  if (!(days > 0) || !Number.isFinite(days)) throw new Error(`@polycloud/runtime: retentionDays ${days} must be a positive number of days`);
  let pool = options.pool;
  if (!pool) {
    const ids = boundDatabases();
    const id = options.database ?? (ids.length === 1 ? ids[0].toLowerCase() : undefined);
    if (!id) throw new Error(`@polycloud/runtime: idempotent() needs options.database: ${ids.length} databases are bound`);
    pool = databases[id].connect();
  }
  const c = await pool.connect();
  let result: T;
  try {
    await c.query("BEGIN");
    // A new key, or one whose retention is over (then its old result is forgotten).
    const claim = await c.query(
      `INSERT INTO ${table} AS t (key, expires_at) VALUES ($1, now() + make_interval(secs => $2)) ON CONFLICT (key) DO UPDATE SET result = NULL, created_at = now(), expires_at = EXCLUDED.expires_at WHERE t.expires_at <= now()`,
      [scoped, days * 86400],
    );
    if (claim.rowCount === 0) {
      await c.query("ROLLBACK");
      const done = await c.query(`SELECT result FROM ${table} WHERE key = $1`, [scoped]);
      return (done.rows[0]?.result ?? undefined) as T;
    }
    result = await fn(c);
    await c.query(`UPDATE ${table} SET result = $2::jsonb WHERE key = $1`, [scoped, JSON.stringify(result ?? null)]);
    await c.query("COMMIT");
  } catch (err) {
    await c.query("ROLLBACK").catch(() => undefined);
    throw missingTable(err, table);
  } finally {
    c.release();
  }
  await purgeExpired(pool, table);
  return result;
}
