import * as fs from "node:fs";
import * as path from "node:path";
import { MigrationFile, migrationsHash, readMigrationFolder } from "./migrations";
import { ServiceSpec } from "./specs";
import { FunctionPackageTarget, packageFolder, usesRuntime } from "./zip";

/**
 * What each cloud's migration step gets for one database: the ordered migration files (the
 * runtime's own first when a function built on @polycloud/runtime may connect, then the service's
 * folder) and their hash. The roles are the cloud's (each cloud names and creates them its way).
 *
 * The JSON contract the step reads (identical on every cloud):
 *   POLYCLOUD_MIGRATE_DATABASE  the database id; DB_<ID>_HOST/PORT/NAME/USER/SSLMODE/SSLROOTCERT
 *                               name the server (not the pooler) and the admin identity
 *   POLYCLOUD_MIGRATE_ROLES     JSON [{ name, create: "role" | "existing" | "entra", objectId?, memberOf? }]
 *   migrations/index.json       in the step's package: [{ id, file, checksum }] in run order
 */
export interface MigrationRoleSpec {
  readonly name: string;
  readonly create: "role" | "existing" | "entra";
  readonly objectId?: string;
  readonly memberOf?: readonly string[];
}

/** The suffix of the step's function id: `<database id>-migrate` is reserved for it. */
export const MIGRATION_STEP_SUFFIX = "migrate";
export const migrationStepId = (databaseId: string) => `${databaseId}-${MIGRATION_STEP_SUFFIX}`;

/**
 * The step's function on every cloud: 900 s (Lambda's limit for a synchronous invocation), 2048 MB
 * (Flex Consumption's smallest instance; the same everywhere so the clouds stay comparable), one at a
 * time. It runs once per change of the migrations or the roles.
 */
export const MIGRATION_STEP_FUNCTION = { timeoutSeconds: 900, memoryMb: 2048, maxConcurrency: 1 } as const;

/** Where @polycloud/runtime keeps the migrations it ships (its idempotency table). */
export function runtimeMigrationFolder(): string {
  return path.join(path.dirname(require.resolve("@polycloud/runtime/package.json")), "migrations");
}

let runtimeFiles: MigrationFile[] | undefined;
export function runtimeMigrations(): MigrationFile[] {
  if (!runtimeFiles) {
    const folder = readMigrationFolder(runtimeMigrationFolder(), "polycloud-runtime");
    if (folder.problems.length) throw new Error(`@polycloud/runtime ships broken migrations: ${folder.problems.map((p) => `${p.file}: ${p.allowed}`).join("; ")}`);
    runtimeFiles = folder.files;
  }
  return runtimeFiles;
}

/** Whether any function allowed to connect to the database is built on @polycloud/runtime (and may call idempotent()). */
export function databaseUsesRuntime(service: ServiceSpec, databaseId: string): boolean {
  const db = service.databases?.[databaseId];
  return (db?.allowedFunctions ?? []).some((f) => {
    const source = service.functions?.[f]?.source;
    return typeof source === "string" && fs.existsSync(source) && usesRuntime(source);
  });
}

export interface DatabaseMigrations {
  readonly files: MigrationFile[];
  readonly hash: string;
}

/** The database's migrations in run order (invalid folders were reported by validation; they add nothing here). */
export function databaseMigrations(service: ServiceSpec, databaseId: string): DatabaseMigrations {
  const db = service.databases?.[databaseId];
  const files = [
    ...(databaseUsesRuntime(service, databaseId) ? runtimeMigrations() : []),
    ...(typeof db?.migrations === "string" ? readMigrationFolder(db.migrations).files : []),
  ];
  return { files, hash: migrationsHash(files) };
}

interface MigrationStager {
  stageMigrationStep(cloud: FunctionPackageTarget["cloud"], migrations: readonly { id: string; sql: string; checksum: string }[]): string;
}

/** The step's package for one cloud (built by @polycloud/runtime's stager), zipped by content. */
export function packageMigrationStep(cloud: FunctionPackageTarget["cloud"], migrations: DatabaseMigrations): { path: string; hash: string; folder: string } {
  let stager: MigrationStager;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    stager = require("@polycloud/runtime") as MigrationStager;
  } catch (e) {
    throw new Error(`packaging a database migration step needs @polycloud/runtime installed in the project that synthesizes: ${(e as Error).message}`);
  }
  const folder = stager.stageMigrationStep(cloud, migrations.files.map((f) => ({ id: f.id, sql: f.sql, checksum: f.checksum })));
  return { ...packageFolder(folder), folder };
}
