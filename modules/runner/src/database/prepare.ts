import { databaseRolesSql, quoteIdentifier, quoteLiteral } from "@polycloud/core";
import type { Client } from "pg";

export interface PrepareDatabasePlan {
  readonly database: string;
  readonly otherDatabases?: readonly string[];
  readonly admin: string;
  readonly owner?: string;
  readonly roles: readonly { readonly name: string; readonly memberOf?: readonly string[]; readonly login?: boolean }[];
  readonly grantFunctionRoles?: boolean;
  readonly platformSql?: string;
}

/**
 * The one seam where the runner sets a database up before functions connect, as the cloud and
 * the deploy leave it: what the managed server has built in (`platformSql`: groups, functions),
 * the administrative role, the roles the platform creates itself, and the database owned as the
 * cloud creates it. A stack without a deploy-time migration step gets today's roles SQL
 * (`databaseRolesSql`: CONNECT, schema USAGE, DML) for its function roles; a stack with one gets
 * nothing more here: the cloud emulation runs the step from the JSON, as the cloud does.
 */
export async function prepareDatabase(superuser: Client, connectTo: (database: string) => Promise<Client>, plan: PrepareDatabasePlan): Promise<void> {
  if (plan.platformSql) await superuser.query(plan.platformSql);
  const owner = plan.owner ?? plan.admin;
  const groups = [...new Set(plan.roles.flatMap((r) => r.memberOf ?? []))].filter((g) => g !== plan.admin && g !== owner);
  const create = (role: string, attrs: string) =>
    `IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${quoteLiteral(role)}) THEN CREATE ROLE ${quoteIdentifier(role)} ${attrs}; END IF;`;
  const statements = [
    create(plan.admin, "LOGIN CREATEROLE"),
    ...(owner !== plan.admin ? [create(owner, "NOLOGIN")] : []),
    ...groups.map((g) => create(g, "NOLOGIN")),
    ...plan.roles.filter((r) => r.name !== plan.admin).map((r) => create(r.name, r.login === false ? "NOLOGIN" : "LOGIN")),
    ...plan.roles.flatMap((r) => (r.memberOf ?? []).map((g) => `EXECUTE ${quoteLiteral(`GRANT ${quoteIdentifier(g)} TO ${quoteIdentifier(r.name)}`)};`)),
  ];
  await superuser.query(`DO $prepare$ BEGIN ${statements.join(" ")} END $prepare$`);
  const version = Number((await superuser.query("SHOW server_version_num")).rows[0].server_version_num);
  for (const name of [plan.database, ...(plan.otherDatabases ?? [])]) {
    if ((await superuser.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount! > 0) continue;
    // FILE_COPY from template0 (PostgreSQL 15+) is the fastest way to a fresh database.
    await superuser.query(`CREATE DATABASE ${quoteIdentifier(name)} OWNER ${quoteIdentifier(owner)} TEMPLATE template0${version >= 150000 ? " STRATEGY FILE_COPY" : ""}`);
  }
  if (!plan.grantFunctionRoles) return;
  const db = await connectTo(plan.database);
  try {
    await db.query(`SET ROLE ${quoteIdentifier(owner)}`);
    await db.query(databaseRolesSql({ database: plan.database, migrationRole: owner, roles: plan.roles.map((r) => ({ name: r.name, memberOf: r.memberOf, createIfMissing: false })) }));
  } finally {
    await db.end();
  }
}
