import { CliContext, CliError } from "../context";
import { ProjectOptions } from "../project";

/**
 * `polycloud db migrate <env> <database> --url <postgres url> [--service <name>]`: applies the
 * service's migrations and per-function roles to a database, as the deploy's migration step does
 * (`applyMigrations` of @polycloud/runtime).
 */
export interface DbMigrateOptions extends ProjectOptions {
  readonly url: string;
  readonly service?: string;
  readonly json?: boolean;
}

export async function dbMigrateCommand(_ctx: CliContext, _env: string, _database: string, _opts: DbMigrateOptions): Promise<number> {
  throw new CliError("db migrate is not available in this version: it applies migrations with @polycloud/runtime's applyMigrations, which this release does not have yet (docs/cli.md, \"db\")");
}
