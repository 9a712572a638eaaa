import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type * as pg from "pg";
import { tlsFor } from "./database";
import { DatabaseEndpoint, databaseEndpoint } from "./env";
import { ApplyMigrationsResult, Migration, MigrationError, MigrationRole, applyMigrations, ensureDatabase } from "./migrate";

/**
 * The migration step as each cloud runs it at deploy: a function whose package holds this code and
 * the database's migration files, and whose environment names the database and the roles.
 *
 *   POLYCLOUD_MIGRATE_DATABASE   the database id (its DB_<ID>_* variables are the admin's endpoint:
 *                                the server itself, not the pooler, with TLS verified)
 *   POLYCLOUD_MIGRATE_ROLES      JSON list of MigrationRole: the functions' database roles
 *   POLYCLOUD_MIGRATIONS_DIR     where migrations/index.json is (default: next to the bundle)
 *   POLYCLOUD_MIGRATE_CREATE_DATABASE  a maintenance database (`postgres`): the step first connects
 *                                there and creates the service's database when it is missing (a
 *                                service database on the environment's shared server, AWS)
 *
 * `migrations/index.json` lists `{ id, file, checksum }` in the order they run; each file is checked
 * against its checksum before anything runs (a damaged package is refused).
 */
export interface MigrationStepOptions {
  /** The admin's password: a secret's value (AWS) or an identity token (GCP, Azure). */
  password: (ep: DatabaseEndpoint) => Promise<string>;
  /** Runs before the migrations with a connected admin client (GCP's first-run bootstrap). */
  prepare?: (client: pg.Client, ep: DatabaseEndpoint) => Promise<void>;
  /** Creates roles of kind `entra` (Azure). */
  ensureRole?: (role: MigrationRole, ep: DatabaseEndpoint) => Promise<void>;
  env?: Record<string, string | undefined>;
  /** Overrides the folder holding migrations/index.json. */
  dir?: string;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pgModule = (): typeof import("pg") => require("pg");

export function readPackagedMigrations(dir: string): Migration[] {
  const index = path.join(dir, "migrations", "index.json");
  let list: { id: string; file: string; checksum: string }[];
  try {
    list = JSON.parse(fs.readFileSync(index, "utf8"));
  } catch (err) {
    throw new MigrationError(`the migration step's package has no readable ${index} (${(err as Error).message})`);
  }
  return list.map((m) => {
    const bytes = fs.readFileSync(path.join(dir, "migrations", m.file));
    const checksum = createHash("sha256").update(bytes).digest("hex");
    if (checksum !== m.checksum) throw new MigrationError(`packaged migration ${m.id} does not match its recorded checksum (package damaged)`, m.id);
    return { id: m.id, checksum, sql: bytes.toString("utf8") };
  });
}

export function migrationRolesFrom(env: Record<string, string | undefined>): MigrationRole[] {
  const text = env.POLYCLOUD_MIGRATE_ROLES ?? "[]";
  let roles: unknown;
  try { roles = JSON.parse(text); } catch { throw new MigrationError(`POLYCLOUD_MIGRATE_ROLES is not JSON: ${text.slice(0, 200)}`); }
  if (!Array.isArray(roles) || roles.some((r) => !r || typeof r.name !== "string" || !["role", "existing", "entra"].includes(r.create))) {
    throw new MigrationError(`POLYCLOUD_MIGRATE_ROLES must be a list of { name, create: role|existing|entra, objectId?, memberOf? }: ${text.slice(0, 200)}`);
  }
  return roles as MigrationRole[];
}

/** Connects as the admin (one session, TLS verified), applies everything, disconnects. */
export async function runMigrationStep(options: MigrationStepOptions): Promise<ApplyMigrationsResult & { database: string }> {
  const env = options.env ?? process.env;
  const id = env.POLYCLOUD_MIGRATE_DATABASE;
  if (!id) throw new MigrationError("POLYCLOUD_MIGRATE_DATABASE is not set (set by the migration step's construct)");
  const ep = databaseEndpoint(id, env);
  const migrations = readPackagedMigrations(options.dir ?? env.POLYCLOUD_MIGRATIONS_DIR ?? __dirname);
  const roles = migrationRolesFrom(env);
  const password = await options.password(ep);
  const maintenance = env.POLYCLOUD_MIGRATE_CREATE_DATABASE;
  if (maintenance) {
    const admin = new (pgModule().Client)({
      host: ep.host, port: ep.port, database: maintenance, user: ep.user, password,
      ssl: tlsFor(ep), connectionTimeoutMillis: 120_000, application_name: "polycloud-migrate",
    });
    try {
      await admin.connect();
    } catch (err) {
      throw new MigrationError(`cannot connect to the maintenance database '${maintenance}' at ${ep.host}:${ep.port} as ${ep.user} to create '${ep.database}': ${(err as Error).message}`);
    }
    try {
      const created = await ensureDatabase(admin, ep.database);
      console.log(JSON.stringify({ database: id, level: "info", msg: created ? "database created" : "database exists", name: ep.database }));
    } finally {
      await admin.end().catch(() => undefined);
    }
  }
  const client = new (pgModule().Client)({
    host: ep.host, port: ep.port, database: ep.database, user: ep.user,
    password,
    ssl: tlsFor(ep),
    // Aurora Serverless resuming from 0 ACU, a Cloud SQL instance just created: give it time.
    connectionTimeoutMillis: 120_000,
    application_name: "polycloud-migrate",
  });
  try {
    await client.connect();
  } catch (err) {
    throw new MigrationError(`cannot connect to database '${id}' at ${ep.host}:${ep.port} as ${ep.user}: ${(err as Error).message}`);
  }
  try {
    await options.prepare?.(client, ep);
    const log = (entry: Record<string, unknown>) => console.log(JSON.stringify({ database: id, ...entry }));
    const result = await applyMigrations(client, { migrations, roles, log, ensureRole: options.ensureRole && ((role) => options.ensureRole!(role, ep)) });
    return { database: id, ...result };
  } finally {
    await client.end().catch(() => undefined);
  }
}
