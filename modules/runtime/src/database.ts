import type * as pg from "pg";
import { cloudImplementation } from "./cloud";
import { boundDatabases, currentCloud, currentFunction, databaseEndpoint, DatabaseEndpoint, envVarPart } from "./env";


/** pg is loaded on the first connect, not at module init (cold starts that never query skip it). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pgModule = (): typeof import("pg") => require("pg");

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** TLS settings from the endpoint's sslmode; plain TCP only to a loopback pooler (local tests). */
export function tlsFor(ep: DatabaseEndpoint): pg.PoolConfig["ssl"] {
  switch (ep.sslmode) {
    case "verify-full": return { rejectUnauthorized: true, servername: ep.host };
    case "require": return { rejectUnauthorized: false };
    case "disable":
      if (LOOPBACK.has(ep.host)) return false;
      throw new Error(`@polycloud/runtime: sslmode disable is refused for ${ep.host}; only a loopback pooler may be reached without TLS`);
    default: throw new Error(`@polycloud/runtime: sslmode '${ep.sslmode}' is not supported (verify-full, require)`);
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

const tables = new WeakMap<pg.Pool, Promise<void>>();
const TABLE = /^[a-z_][a-z0-9_]{0,62}$/;

async function ensureTable(pool: pg.Pool, table: string): Promise<void> {
  let ready = tables.get(pool);
  if (!ready) {
    ready = pool.query(`CREATE TABLE IF NOT EXISTS ${table} (key text PRIMARY KEY, result jsonb, created_at timestamptz NOT NULL DEFAULT now())`)
      .then(() => undefined)
      // Two instances creating it at once: one wins, the other sees a duplicate catalog row.
      .catch((err) => { if (err?.code !== "23505" && err?.code !== "42P07") { tables.delete(pool); throw err; } });
    tables.set(pool, ready);
  }
  return ready;
}

export interface IdempotentOptions {
  /** Database id (default: the only database bound to the function). */
  database?: string;
  pool?: pg.Pool;
  /** Table name (default polycloud_idempotency). */
  table?: string;
}

/**
 * Runs `fn` once per `key` of this function: the key is stored as `<POLYCLOUD_FUNCTION>/<key>`, so
 * two functions handling the same event (two rules, two queues) each run once, and the key is the
 * same on every cloud. The key is claimed by inserting it in the same transaction in which
 * `fn` runs: a concurrent duplicate blocks on that row until the first commits, then returns the
 * stored result without running `fn`; if the first fails, the claim is rolled back and a
 * redelivery runs `fn` again. Writes made through the `tx` client commit atomically with the key.
 */
export async function idempotent<T>(key: string, fn: (tx: pg.PoolClient) => Promise<T> | T, options: IdempotentOptions = {}): Promise<T> {
  if (typeof key !== "string" || key === "") throw new Error("@polycloud/runtime: idempotent() needs a non-empty string key");
  const scoped = `${currentFunction()}/${key}`;
  const table = options.table ?? "polycloud_idempotency";
  if (!TABLE.test(table)) throw new Error(`@polycloud/runtime: idempotency table '${table}' is not a plain lower-case identifier`);
  let pool = options.pool;
  if (!pool) {
    const ids = boundDatabases();
    const id = options.database ?? (ids.length === 1 ? ids[0].toLowerCase() : undefined);
    if (!id) throw new Error(`@polycloud/runtime: idempotent() needs options.database: ${ids.length} databases are bound`);
    pool = databases[id].connect();
  }
  await ensureTable(pool, table);
  const c = await pool.connect();
  try {
    await c.query("BEGIN");
    const claim = await c.query(`INSERT INTO ${table} (key) VALUES ($1) ON CONFLICT (key) DO NOTHING`, [scoped]);
    if (claim.rowCount === 0) {
      await c.query("ROLLBACK");
      const done = await c.query(`SELECT result FROM ${table} WHERE key = $1`, [scoped]);
      return (done.rows[0]?.result ?? undefined) as T;
    }
    const result = await fn(c);
    await c.query(`UPDATE ${table} SET result = $2::jsonb WHERE key = $1`, [scoped, JSON.stringify(result ?? null)]);
    await c.query("COMMIT");
    return result;
  } catch (err) {
    await c.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}
