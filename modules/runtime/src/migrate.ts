import type * as pg from "pg";

/**
 * Applies a database's schema migrations and per-function roles, exactly once, as the database's
 * admin identity. This is what every cloud's migration step runs at deploy (inside the cloud's
 * network), what the tests run against a real PostgreSQL, and what a local runner can run.
 *
 * - A session advisory lock serialises concurrent runs (two deploys at once wait for each other).
 * - `polycloud.schema_migrations` records each applied file with its SHA-256. A recorded file is
 *   skipped; a recorded file whose checksum changed stops the run before anything is applied; a
 *   new file that sorts before an applied one of the same source is refused (give it a later
 *   version). The `polycloud` schema belongs to the admin and is granted to nobody.
 * - Each file runs in a transaction of its own together with its record: a failing statement rolls
 *   the whole file back and the error names the file, the line and the database's message.
 * - Roles: after the migrations, in one transaction, every function role is created when the
 *   step creates it, and granted CONNECT, USAGE on the schema (never CREATE), SELECT/INSERT/
 *   UPDATE/DELETE on its tables, USAGE/SELECT on its sequences, and the same by default on what the
 *   admin creates later. Roles the step granted before and that are no longer listed lose them.
 */

export interface Migration {
  /** `<source>/<file>`, unique. */
  readonly id: string;
  /** SHA-256 hex of the file's bytes. */
  readonly checksum: string;
  readonly sql: string;
}

/**
 * A function's database role. `create` says who makes the login role: the step itself
 * (`role`: CREATE ROLE, e.g. AWS with `memberOf: ["rds_iam"]`), the cloud (`existing`: Cloud SQL
 * creates IAM database users), or the step through the cloud's identity extension (`entra`:
 * Azure's pgaadauth with the identity's object id, done by `ensureRole`).
 */
export interface MigrationRole {
  readonly name: string;
  readonly create: "role" | "existing" | "entra";
  readonly objectId?: string;
  readonly memberOf?: readonly string[];
}

export interface ApplyMigrationsOptions {
  readonly migrations: readonly Migration[];
  readonly roles?: readonly MigrationRole[];
  /** Schema holding the application tables. @default "public" */
  readonly schema?: string;
  /** Creates a role whose `create` the library cannot do itself (`entra`). */
  readonly ensureRole?: (role: MigrationRole) => Promise<void>;
  readonly log?: (entry: Record<string, unknown>) => void;
}

export interface ApplyMigrationsResult {
  readonly applied: string[];
  readonly unchanged: string[];
  /** Applied before but no longer shipped (kept in the table; nothing is undone). */
  readonly missing: string[];
  readonly roles: string[];
  readonly revoked: string[];
}

/** A migration that cannot be applied; the message is what the deploy shows. */
export class MigrationError extends Error {
  constructor(message: string, readonly migration?: string, readonly code?: string) {
    super(message);
    this.name = "MigrationError";
  }
}

/** The session lock every migration run takes ("poly" "migr"), so two runs never interleave. */
export const MIGRATION_LOCK = 0x706f6c796d696772n;
const TABLE = "polycloud.schema_migrations";
const ROLES_TABLE = "polycloud.managed_roles";

/** `"name"` with embedded double quotes doubled; names with control characters or `$` are refused. */
export function ident(name: string): string {
  if (!name || Buffer.byteLength(name) > 63 || /[\u0000-\u001f\u007f$]/.test(name)) throw new MigrationError(`database identifier ${JSON.stringify(name)} is empty, longer than 63 bytes or contains a control character or $`);
  return `"${name.replace(/"/g, '""')}"`;
}

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** 1-based line of a character position (PostgreSQL's error `position`) in `sql`. */
function lineOf(sql: string, position: number | string | undefined): number | undefined {
  const p = Number(position);
  if (!Number.isFinite(p) || p < 1) return undefined;
  return sql.slice(0, p - 1).split("\n").length;
}

function describe(err: any): string {
  const parts = [String(err?.message ?? err)];
  if (err?.detail) parts.push(`detail: ${err.detail}`);
  if (err?.hint) parts.push(`hint: ${err.hint}`);
  if (err?.code) parts.push(`SQLSTATE ${err.code}`);
  return parts.join("; ");
}

/** The statements that give one role its privileges (run by the admin, inside a transaction). */
export function grantStatements(role: string, options: { database: string; schema: string; admin: string }): string[] {
  const r = ident(role);
  const s = ident(options.schema);
  const a = ident(options.admin);
  return [
    `GRANT CONNECT ON DATABASE ${ident(options.database)} TO ${r}`,
    `GRANT USAGE ON SCHEMA ${s} TO ${r}`,
    // Never CREATE: a function reads and writes data, the migration step owns the schema.
    `REVOKE CREATE ON SCHEMA ${s} FROM ${r}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${r}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${r}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${a} IN SCHEMA ${s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${r}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${a} IN SCHEMA ${s} GRANT USAGE, SELECT ON SEQUENCES TO ${r}`,
  ];
}

/** The statements that take back what `grantStatements` gave (a function no longer allowed). */
export function revokeStatements(role: string, options: { database: string; schema: string; admin: string }): string[] {
  const r = ident(role);
  const s = ident(options.schema);
  const a = ident(options.admin);
  return [
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${a} IN SCHEMA ${s} REVOKE ALL ON TABLES FROM ${r}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${a} IN SCHEMA ${s} REVOKE ALL ON SEQUENCES FROM ${r}`,
    `REVOKE ALL ON ALL TABLES IN SCHEMA ${s} FROM ${r}`,
    `REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${s} FROM ${r}`,
    `REVOKE ALL ON SCHEMA ${s} FROM ${r}`,
    `REVOKE ALL ON DATABASE ${ident(options.database)} FROM ${r}`,
  ];
}

/** CREATE ROLE for a role the step creates: login, no elevated attributes (spelled out). */
export function createRoleStatement(role: string): string {
  return `DO $polycloud$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${literal(role)}) THEN
    CREATE ROLE ${ident(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
  END IF;
END $polycloud$`;
}

/**
 * The whole role SQL for one database as a script, for inspection (`polycloud db roles`): what the
 * migration step runs after the migrations, minus the cloud's own principal creation.
 */
export function rolesScript(roles: readonly MigrationRole[], options: { database: string; schema?: string; admin: string }): string {
  const o = { ...options, schema: options.schema ?? "public" };
  const lines = ["-- Per-function roles as the migration step grants them (inspection only; the deploy runs this).", "BEGIN;"];
  for (const role of roles) {
    lines.push(`-- ${role.name} (${role.create === "role" ? "created by the step" : role.create === "entra" ? `Entra principal ${role.objectId ?? "?"}, created by the step with pgaadauth` : "created by the cloud"})`);
    if (role.create === "role") lines.push(`${createRoleStatement(role.name)};`);
    for (const parent of role.memberOf ?? []) lines.push(`GRANT ${ident(parent)} TO ${ident(role.name)};`);
    lines.push(...grantStatements(role.name, o).map((s) => `${s};`));
  }
  lines.push("COMMIT;");
  return `${lines.join("\n")}\n`;
}

async function inTransaction<T>(client: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    const out = await fn();
    await client.query("COMMIT");
    return out;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}

const sourceOf = (id: string) => id.split("/")[0];

/** Applies `migrations` (in the order given) and then the roles. See the module comment. */
export async function applyMigrations(client: pg.ClientBase, options: ApplyMigrationsOptions): Promise<ApplyMigrationsResult> {
  const log = options.log ?? (() => undefined);
  const schema = options.schema ?? "public";
  const seen = new Set<string>();
  for (const m of options.migrations) {
    if (seen.has(m.id)) throw new MigrationError(`migration ${m.id} is listed twice`, m.id);
    seen.add(m.id);
  }
  await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK.toString()]);
  try {
    const who = (await client.query("SELECT current_user AS admin, current_database() AS database")).rows[0] as { admin: string; database: string };
    await inTransaction(client, async () => {
      await client.query("CREATE SCHEMA IF NOT EXISTS polycloud");
      await client.query("REVOKE ALL ON SCHEMA polycloud FROM PUBLIC");
      await client.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (
        id text PRIMARY KEY,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        applied_by text NOT NULL DEFAULT current_user,
        execution_ms integer NOT NULL
      )`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${ROLES_TABLE} (name text PRIMARY KEY, created_by_step boolean NOT NULL)`);
    });
    const applied = new Map<string, string>(
      (await client.query(`SELECT id, checksum FROM ${TABLE}`)).rows.map((r: { id: string; checksum: string }) => [r.id, r.checksum]),
    );

    // Every check before anything runs: a refused run changes nothing.
    for (const m of options.migrations) {
      const recorded = applied.get(m.id);
      if (recorded !== undefined && recorded !== m.checksum) {
        throw new MigrationError(`migration ${m.id} was changed after it was applied (applied sha256 ${recorded.slice(0, 12)}…, file now ${m.checksum.slice(0, 12)}…): an applied migration is never edited; restore it and add a new migration with a later version`, m.id);
      }
    }
    const lastApplied = new Map<string, string>();
    for (const m of options.migrations) if (applied.has(m.id)) lastApplied.set(sourceOf(m.id), m.id);
    for (const m of options.migrations) {
      if (applied.has(m.id)) continue;
      const last = lastApplied.get(sourceOf(m.id));
      if (last && options.migrations.findIndex((x) => x.id === m.id) < options.migrations.findIndex((x) => x.id === last)) {
        throw new MigrationError(`migration ${m.id} is new but sorts before ${last}, which is already applied: give it a version after that one`, m.id);
      }
    }

    const result: ApplyMigrationsResult = { applied: [], unchanged: [], missing: [...applied.keys()].filter((id) => !seen.has(id)).sort(), roles: [], revoked: [] };
    for (const m of options.migrations) {
      if (applied.has(m.id)) { result.unchanged.push(m.id); continue; }
      const started = Date.now();
      await client.query("BEGIN");
      try {
        await client.query(m.sql);
        await client.query(`INSERT INTO ${TABLE} (id, checksum, execution_ms) VALUES ($1, $2, $3)`, [m.id, m.checksum, Date.now() - started]);
        await client.query("COMMIT");
      } catch (err: any) {
        await client.query("ROLLBACK").catch(() => undefined);
        const line = lineOf(m.sql, err?.position);
        throw new MigrationError(`migration ${m.id} failed${line ? ` at line ${line}` : ""} and was rolled back (nothing of it is applied): ${describe(err)}`, m.id, err?.code);
      }
      result.applied.push(m.id);
      log({ level: "info", msg: "migration applied", migration: m.id, ms: Date.now() - started });
    }

    const o = { database: who.database, schema, admin: who.admin };
    const roles = options.roles ?? [];
    const names = new Set(roles.map((r) => r.name));
    if (names.size !== roles.length) throw new MigrationError(`a database role is listed twice: ${roles.map((r) => r.name).join(", ")}`);
    for (const role of roles) if (role.create === "entra") await ensureEntra(options, role);
    await inTransaction(client, async () => {
      // Temporary objects are objects too: only the admin (the owner) keeps TEMPORARY. Where the
      // admin cannot revoke it (not the grantor), PostgreSQL warns and changes nothing.
      await client.query(`REVOKE TEMPORARY ON DATABASE ${ident(o.database)} FROM PUBLIC`);
      // Confinement: only the roles granted below (and the admin) may connect. PostgreSQL lets
      // PUBLIC connect to every database by default, so on a server shared by several services
      // each service's roles could otherwise reach the others' databases.
      await client.query(`REVOKE CONNECT ON DATABASE ${ident(o.database)} FROM PUBLIC`);
      const managed = new Map<string, boolean>((await client.query(`SELECT name, created_by_step FROM ${ROLES_TABLE}`)).rows.map((r: { name: string; created_by_step: boolean }) => [r.name, r.created_by_step]));
      for (const role of roles) {
        if (role.create === "role") await client.query(createRoleStatement(role.name));
        const exists = (await client.query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", [role.name])).rowCount === 1;
        if (!exists) {
          throw new MigrationError(role.create === "existing"
            ? `database role ${role.name} does not exist: the cloud creates it with the function's database user (on GCP the google_sql_user of its service account), which must be applied before the migration step`
            : `database role ${role.name} was not created`);
        }
        // A role the step took back earlier (NOLOGIN) and that is allowed again.
        if (role.create === "role") await client.query(`DO $polycloud$ BEGIN IF NOT (SELECT rolcanlogin FROM pg_catalog.pg_roles WHERE rolname = ${literal(role.name)}) THEN ALTER ROLE ${ident(role.name)} LOGIN; END IF; END $polycloud$`);
        for (const parent of role.memberOf ?? []) await client.query(`GRANT ${ident(parent)} TO ${ident(role.name)}`);
        for (const statement of grantStatements(role.name, o)) await client.query(statement);
        await client.query(`INSERT INTO ${ROLES_TABLE} (name, created_by_step) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET created_by_step = EXCLUDED.created_by_step`, [role.name, role.create !== "existing"]);
        result.roles.push(role.name);
      }
      for (const [name, createdByStep] of managed) {
        if (names.has(name)) continue;
        if ((await client.query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", [name])).rowCount === 1) {
          for (const statement of revokeStatements(name, o)) await client.query(statement);
          if (createdByStep) await client.query(`ALTER ROLE ${ident(name)} NOLOGIN`);
        }
        await client.query(`DELETE FROM ${ROLES_TABLE} WHERE name = $1`, [name]);
        result.revoked.push(name);
      }
    });
    log({ level: "info", msg: "migrations done", ...result });
    return result;
  } catch (err) {
    if (err instanceof MigrationError) throw err;
    throw new MigrationError(`migration step failed: ${describe(err)}`, undefined, (err as any)?.code);
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK.toString()]).catch(() => undefined);
  }
}

/**
 * Creates `name` when it does not exist (a service database on the environment's shared server),
 * owned by the admin, and closes it to PUBLIC (CONNECT and TEMPORARY) before any role exists in
 * it: the service's roles get CONNECT from applyMigrations, nobody else. `client` is connected to
 * the server's maintenance database (`postgres`) as the admin. Returns whether it was created.
 */
export async function ensureDatabase(client: pg.ClientBase, name: string): Promise<boolean> {
  const d = ident(name);
  const exists = (await client.query("SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1", [name])).rowCount === 1;
  let created = false;
  if (!exists) {
    try {
      // CREATE DATABASE cannot run in a transaction block; a concurrent run creating it too is fine.
      await client.query(`CREATE DATABASE ${d}`);
      created = true;
    } catch (err: any) {
      if (err?.code !== "42P04") throw new MigrationError(`creating database ${name} failed: ${describe(err)}`, undefined, err?.code);
    }
  }
  await client.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${d} FROM PUBLIC`);
  return created;
}

async function ensureEntra(options: ApplyMigrationsOptions, role: MigrationRole): Promise<void> {
  if (!options.ensureRole) throw new MigrationError(`database role ${role.name} is an Entra principal, and this step cannot create one (no ensureRole)`);
  try {
    await options.ensureRole(role);
  } catch (err) {
    throw new MigrationError(`creating the Entra database principal ${role.name} (object id ${role.objectId}) failed: ${describe(err)}`);
  }
}
