import { quoteIdentifier, quoteLiteral } from "@polycloud/core";
import type { Client } from "pg";

export interface PrepareDatabasePlan {
  readonly database: string;
  readonly otherDatabases?: readonly string[];
  readonly admin: string;
  readonly adminGroups?: readonly string[];
  readonly owner?: string;
  readonly roles: readonly { readonly name: string; readonly memberOf?: readonly string[]; readonly login?: boolean }[];
  readonly grantFunctionRoles?: boolean;
  readonly platformSql?: string;
}

/**
 * The one seam where the runner sets a database up, as the cloud leaves it before the deploy's
 * migration step runs: what the managed server has built in (`platformSql`: groups, functions
 * such as pgaadauth), the administrative role (CREATEROLE, CREATEDB, with ADMIN OPTION on the
 * groups the cloud gives it), the roles the platform itself creates (Cloud SQL IAM users), and the
 * database owned as the cloud creates it. Schema, function roles and grants are the migration
 * step's: the cloud emulation runs it from the JSON, as the cloud does.
 */
export async function prepareDatabase(superuser: Client, _connectTo: (database: string) => Promise<Client>, plan: PrepareDatabasePlan): Promise<void> {
  if (plan.grantFunctionRoles) throw new Error(`database ${plan.database}: the stack has no migration step for it; the runner grants function roles only through the step (issue 25)`);
  if (plan.platformSql) await superuser.query(plan.platformSql);
  const owner = plan.owner ?? plan.admin;
  const groups = [...new Set([...plan.roles.flatMap((r) => r.memberOf ?? []), ...(plan.adminGroups ?? [])])].filter((g) => g !== plan.admin && g !== owner);
  const create = (role: string, attrs: string) =>
    `IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${quoteLiteral(role)}) THEN CREATE ROLE ${quoteIdentifier(role)} ${attrs}; END IF;`;
  const grant = (group: string, to: string, admin = false) => `EXECUTE ${quoteLiteral(`GRANT ${quoteIdentifier(group)} TO ${quoteIdentifier(to)}${admin ? " WITH ADMIN OPTION" : ""}`)};`;
  const statements = [
    create(plan.admin, "LOGIN CREATEROLE CREATEDB"),
    ...(owner !== plan.admin ? [create(owner, "NOLOGIN")] : []),
    ...groups.map((g) => create(g, "NOLOGIN")),
    ...(plan.adminGroups ?? []).map((g) => grant(g, plan.admin, true)),
    ...plan.roles.filter((r) => r.name !== plan.admin).map((r) => create(r.name, r.login === false ? "NOLOGIN" : "LOGIN")),
    ...plan.roles.flatMap((r) => (r.memberOf ?? []).map((g) => grant(g, r.name))),
  ];
  await superuser.query(`DO $prepare$ BEGIN ${statements.join(" ")} END $prepare$`);
  const version = Number((await superuser.query("SHOW server_version_num")).rows[0].server_version_num);
  for (const name of [plan.database, ...(plan.otherDatabases ?? [])]) {
    if ((await superuser.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount! > 0) continue;
    // FILE_COPY from template0 (PostgreSQL 15+) is the fastest way to a fresh database.
    await superuser.query(`CREATE DATABASE ${quoteIdentifier(name)} OWNER ${quoteIdentifier(owner)} TEMPLATE template0${version >= 150000 ? " STRATEGY FILE_COPY" : ""}`);
  }
}
