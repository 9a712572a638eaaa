import { ServiceSpec, databaseRolesSql } from "@polycloud/core";
import { awsDatabaseRolesPlan } from "@polycloud/aws";
import { environments } from "../../environments";
import { referenceService } from "../../stacks/reference-service";

/**
 * The role migration for one AWS database: one role per function allowed to connect, member of
 * `rds_iam` (IAM tokens only), with CONNECT, schema USAGE and DML on the application tables, now
 * and for tables the master user creates later. Idempotent; run it as the master user after every
 * change to `allowedFunctions`, before the functions deploy:
 *
 *   npm run -s db:roles -- prod main | psql "host=<proxy endpoint> dbname=app user=platform_admin sslmode=verify-full"
 *
 * (the master user authenticates to the proxy with an IAM token, `aws rds generate-db-auth-token`).
 */
export function awsRoleMigration(service: ServiceSpec, databaseId: string): string {
  const db = service.databases?.[databaseId];
  if (!db) {
    throw new Error(`db:roles: no database '${databaseId}' in service '${service.name}' (declared: ${Object.keys(service.databases ?? {}).join(", ") || "none"})`);
  }
  return databaseRolesSql(awsDatabaseRolesPlan(db));
}

function main(argv: string[]): void {
  const [envName, databaseId] = argv;
  const env = environments.find((e) => e.name === envName);
  if (!env || !databaseId) {
    throw new Error(`usage: npm run -s db:roles -- <${environments.map((e) => e.name).join("|")}> <database id>`);
  }
  process.stdout.write(awsRoleMigration(referenceService(env), databaseId));
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exitCode = 1;
  }
}
