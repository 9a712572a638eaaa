import * as path from "node:path";
import { MigrationFile, ServiceSpec, databaseMigrations, functionRoleName } from "@polycloud/core";
import { CliContext, CliError, EXIT } from "../context";
import { serviceWithDatabase } from "../db/roles";
import { optionalPackage } from "../optional-package";
import { withProgress } from "../progress";
import { ProjectOptions, loadProject } from "../project";

/**
 * `polycloud db migrate <env> <database> --url <postgres url> [--service <name>]`: applies a
 * database's migrations, as the deploy's migration step does (`applyMigrations` of
 * @polycloud/runtime): the runtime's own first when a function built on it may connect, then the
 * service's folder, each file once, in one transaction each, refused before anything runs when an
 * applied file changed; then the per-function roles of `allowedFunctions` (`fn_<id>`: CONNECT,
 * schema USAGE, DML, never CREATE) as plain login roles: what the AWS step creates, without the
 * cloud's IAM membership. Like the step, the roles always follow `allowedFunctions` (a role no
 * longer listed loses its grants and login), so there is no flag to leave them out. For a local
 * or test database: the clouds' databases are migrated by their step at deploy, and a database
 * whose roles a cloud's step manages (IAM users, Entra principals) is refused.
 */
export interface DbMigrateOptions extends ProjectOptions {
  readonly url: string;
  readonly service?: string;
  readonly json?: boolean;
}

/** What the verb uses of @polycloud/runtime and of the `pg` it depends on. */
interface Runtime {
  applyMigrations(client: unknown, options: { migrations: readonly { id: string; checksum: string; sql: string }[]; roles?: readonly { name: string; create: "role" }[]; log?: (e: Record<string, unknown>) => void }): Promise<{ applied: string[]; unchanged: string[]; missing: string[]; roles: string[]; revoked: string[] }>;
}
interface PgClient {
  connect(): Promise<void>;
  end(): Promise<void>;
  query(sql: string): Promise<{ rows: Record<string, unknown>[] }>;
}
interface Pg {
  Client: new (config: { connectionString: string; application_name: string; connectionTimeoutMillis: number }) => PgClient;
}

/**
 * applyMigrations revokes every role it managed before and is not given now. Roles a cloud's step
 * made (a GCP IAM user `...@<project>.iam`, an Azure identity) are not `fn_<id>`: this verb would
 * strip them, so such a database is refused before anything runs.
 */
async function refuseCloudRoles(client: PgClient, where: string): Promise<void> {
  const table = (await client.query("SELECT to_regclass('polycloud.managed_roles') IS NOT NULL AS present")).rows[0];
  if (!table?.present) return;
  const foreign = (await client.query("SELECT name FROM polycloud.managed_roles ORDER BY name")).rows.map((r) => String(r.name)).filter((n) => !/^fn_[a-z0-9_]+$/.test(n));
  if (foreign.length) {
    throw new CliError(`db migrate: the database on ${where} has roles a cloud's migration step manages (${foreign.join(", ")}); this verb is for local and test databases, whose roles are fn_<id>: the cloud's step migrates that database at deploy`);
  }
}

/** The service with its folders resolved against the project root (the CLI may run elsewhere). */
function rooted(service: ServiceSpec, root: string): ServiceSpec {
  const abs = (p: unknown) => (typeof p === "string" ? path.resolve(root, p) : p);
  return {
    ...service,
    functions: Object.fromEntries(Object.entries(service.functions ?? {}).map(([id, f]) => [id, { ...f, source: abs(f.source) as string }])),
    databases: Object.fromEntries(Object.entries(service.databases ?? {}).map(([id, d]) => [id, { ...d, ...(d.migrations ? { migrations: abs(d.migrations) as string } : {}) }])),
  };
}

export async function dbMigrateCommand(ctx: CliContext, envName: string, databaseId: string, opts: DbMigrateOptions): Promise<number> {
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    throw new CliError(`db migrate: --url '${opts.url}' is not a URL; allowed: postgres://<user>@<host>:<port>/<database>`);
  }
  if (!/^postgres(ql)?:$/.test(url.protocol)) throw new CliError(`db migrate: --url has protocol ${url.protocol}; allowed: postgres: or postgresql:`);
  const service = serviceWithDatabase(ctx, opts, envName, databaseId);
  const project = loadProject(ctx, opts);
  const runtime = optionalPackage<Runtime>("@polycloud/runtime", "db migrate");
  if (typeof runtime.applyMigrations !== "function") throw new CliError("db migrate is not available in this version: the installed @polycloud/runtime has no applyMigrations");
  // pg as the runtime resolves it (its dependency).
  const pg = optionalPackage<Pg>(require.resolve("pg", { paths: [path.dirname(require.resolve("@polycloud/runtime/package.json"))] }), "db migrate");
  const files: MigrationFile[] = databaseMigrations(rooted(service, project.root), databaseId).files;
  const roles = (service.databases?.[databaseId]?.allowedFunctions ?? []).map((f) => ({ name: functionRoleName(f), create: "role" as const }));
  const client = new pg.Client({ connectionString: opts.url, application_name: "polycloud-migrate", connectionTimeoutMillis: 30000 });
  const where = `${url.hostname}:${url.port || 5432}${url.pathname}`;
  try {
    await client.connect();
  } catch (e) {
    throw new CliError(`db migrate: cannot connect to ${where} as ${decodeURIComponent(url.username) || "(the default user)"}: ${(e as Error).message}`);
  }
  try {
    await refuseCloudRoles(client, where);
    const result = await withProgress(ctx, `db migrate: ${files.length} file(s) on ${where}`, () => runtime.applyMigrations(client, {
      migrations: files.map((f) => ({ id: f.id, checksum: f.checksum, sql: f.sql })), roles,
    }));
    if (opts.json) ctx.out(`${JSON.stringify({ ok: true, service: service.name, database: databaseId, ...result }, null, 2)}\n`);
    else {
      ctx.out([
        ...result.applied.map((id) => `applied    ${id}`),
        ...result.unchanged.map((id) => `unchanged  ${id}`),
        ...result.missing.map((id) => `missing    ${id} (applied before, no longer shipped; nothing is undone)`),
        ...result.roles.map((r) => `role       ${r}`),
        ...result.revoked.map((r) => `revoked    ${r}`),
        `${service.name}/${databaseId} on ${where}: ${result.applied.length} applied, ${result.unchanged.length} already applied`,
      ].join("\n") + "\n");
    }
    return EXIT.OK;
  } catch (e) {
    // A migration error names the file, the line and the database's message; anything else the
    // database or the connection said is reported the same way (nothing was half-applied: each file
    // runs in its own transaction).
    if (!(e instanceof Error) || e instanceof CliError) throw e;
    if (opts.json) ctx.out(`${JSON.stringify({ ok: false, service: service.name, database: databaseId, error: e.message }, null, 2)}\n`);
    ctx.err(`db migrate: ${e.message}\n`);
    return EXIT.FAILED;
  } finally {
    await client.end().catch(() => undefined);
  }
}
