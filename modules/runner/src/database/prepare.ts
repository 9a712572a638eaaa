import { databaseRolesSql, quoteIdentifier, quoteLiteral } from "@polycloud/core";
import type { Client } from "pg";

export interface PrepareDatabasePlan {
  readonly database: string;
  readonly admin: string;
  readonly roles: readonly { readonly name: string; readonly memberOf?: readonly string[] }[];
}

/**
 * The one seam where the runner sets a database up before functions connect: the database owned
 * by the administrative role, then today's roles SQL (`databaseRolesSql`: CONNECT, schema USAGE,
 * DML) for every role functions log in as. This is what a deploy does today before the first
 * request; when the deploy-time migration step exists in the synthesized JSON, the runner runs
 * that step here instead, as the cloud would.
 */
export async function prepareDatabase(superuser: Client, connectTo: (database: string) => Promise<Client>, plan: PrepareDatabasePlan): Promise<void> {
  const groups = [...new Set(plan.roles.flatMap((r) => r.memberOf ?? []))].filter((g) => g !== plan.admin);
  const logins = [...new Set(plan.roles.map((r) => r.name))].filter((r) => r !== plan.admin);
  // Identity-created roles (Cloud SQL IAM users, Entra principals) and groups such as rds_iam exist
  // before the roles SQL runs, as on the cloud; one round trip.
  const create = (role: string, attrs: string) =>
    `IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${quoteLiteral(role)}) THEN CREATE ROLE ${quoteIdentifier(role)} ${attrs}; END IF;`;
  await superuser.query(`DO $prepare$ BEGIN ${[create(plan.admin, "LOGIN CREATEROLE"), ...groups.map((g) => create(g, "NOLOGIN")), ...logins.map((l) => create(l, "LOGIN"))].join(" ")} END $prepare$`);
  const exists = (await superuser.query("SELECT 1 FROM pg_database WHERE datname = $1", [plan.database])).rowCount! > 0;
  if (!exists) {
    const version = Number((await superuser.query("SHOW server_version_num")).rows[0].server_version_num);
    // FILE_COPY from template0 (PostgreSQL 15+) is the fastest way to a fresh database.
    await superuser.query(`CREATE DATABASE ${quoteIdentifier(plan.database)} OWNER ${quoteIdentifier(plan.admin)} TEMPLATE template0${version >= 150000 ? " STRATEGY FILE_COPY" : ""}`);
  }
  const db = await connectTo(plan.database);
  try {
    await db.query(`SET ROLE ${quoteIdentifier(plan.admin)}`);
    await db.query(databaseRolesSql({ database: plan.database, migrationRole: plan.admin, roles: plan.roles.map((r) => ({ name: r.name, memberOf: r.memberOf, createIfMissing: false })) }));
  } finally {
    await db.end();
  }
}
