import { ServiceSpec, databaseRolesSql } from "@polycloud/core";
import { CliContext, CliError, EXIT } from "../context";
import { ProjectOptions, loadProject, manifestOf, requireFreshOutput } from "../project";
import { optionalPackage } from "../optional-package";

/**
 * The role migration for one AWS database: one role per function allowed to connect, member of
 * `rds_iam` (IAM tokens only), with CONNECT, schema USAGE and DML on the application tables, now
 * and for tables the master user creates later. Idempotent; run it as the master user after every
 * change to `allowedFunctions`, before the functions deploy:
 *
 *   polycloud db roles prod main | psql "host=<proxy endpoint> dbname=app user=platform_admin sslmode=verify-full"
 *
 * (the master user authenticates to the proxy with an IAM token, `aws rds generate-db-auth-token`).
 * The service comes from the last synthesis (its manifest), so this is the composition's database.
 */
export function awsRoleMigration(service: ServiceSpec, databaseId: string): string {
  const db = service.databases?.[databaseId];
  if (!db) {
    throw new CliError(`db roles: no database '${databaseId}' in service '${service.name}' (declared: ${Object.keys(service.databases ?? {}).join(", ") || "none"})`);
  }
  const aws = optionalPackage<typeof import("@polycloud/aws")>("@polycloud/aws", "db roles");
  return databaseRolesSql(aws.awsDatabaseRolesPlan(db));
}

export interface DbRolesOptions extends ProjectOptions {
  readonly service?: string;
}

/** The service of `env` that declares `databaseId` (or the one named by `--service`). */
export function serviceWithDatabase(ctx: CliContext, opts: ProjectOptions & { readonly service?: string }, envName: string, databaseId: string): ServiceSpec {
  const project = loadProject(ctx, opts);
  requireFreshOutput(ctx, project);
  const manifest = manifestOf(project);
  if (!manifest) throw new CliError("db: the synthesized output has no polycloud-composition.json; synthesize with @polycloud/stacks' runApp (polycloud synth)");
  const services = manifest.services[envName];
  if (!services) throw new CliError(`db: no environment '${envName}' in the last synthesis (${Object.keys(manifest.services).join(", ")})`);
  const candidates = services.filter((s) => (opts.service ? s.name === opts.service : s.databases?.[databaseId]));
  if (opts.service && !candidates.length) throw new CliError(`db: no service '${opts.service}' in ${envName} (${services.map((s) => s.name).join(", ")})`);
  if (!candidates.length) throw new CliError(`db: no service in ${envName} declares a database '${databaseId}' (${services.map((s) => `${s.name}: ${Object.keys(s.databases ?? {}).join(", ") || "none"}`).join("; ")})`);
  if (candidates.length > 1) throw new CliError(`db: several services of ${envName} declare a database '${databaseId}' (${candidates.map((s) => s.name).join(", ")}); choose one with --service`);
  return candidates[0];
}

export async function dbRolesCommand(ctx: CliContext, envName: string, databaseId: string, opts: DbRolesOptions = {}): Promise<number> {
  ctx.out(awsRoleMigration(serviceWithDatabase(ctx, opts, envName, databaseId), databaseId));
  return EXIT.OK;
}
