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
  const exists = async (sql: string, v: string) => (await superuser.query(sql, [v])).rowCount! > 0;
  for (const role of [plan.admin, ...plan.roles.flatMap((r) => r.memberOf ?? [])]) {
    if (!(await exists("SELECT 1 FROM pg_roles WHERE rolname = $1", role))) {
      await superuser.query(`CREATE ROLE ${quoteIdentifier(role)} ${role === plan.admin ? "LOGIN CREATEROLE" : "NOLOGIN"}`);
    }
  }
  // Identity-created roles (Cloud SQL IAM users, Entra principals) exist before the roles SQL runs.
  for (const role of plan.roles) {
    if (!(await exists("SELECT 1 FROM pg_roles WHERE rolname = $1", role.name))) await superuser.query(`CREATE ROLE ${quoteIdentifier(role.name)} LOGIN`);
  }
  if (!(await exists("SELECT 1 FROM pg_database WHERE datname = $1", plan.database))) {
    await superuser.query(`CREATE DATABASE ${quoteIdentifier(plan.database)} OWNER ${quoteIdentifier(plan.admin)}`);
  }
  const db = await connectTo(plan.database);
  try {
    await db.query(`SET ROLE ${quoteIdentifier(plan.admin)}`);
    await db.query(databaseRolesSql({ database: plan.database, migrationRole: plan.admin, roles: plan.roles.map((r) => ({ name: r.name, memberOf: r.memberOf, createIfMissing: false })) }));
  } finally {
    await db.end();
  }
  void quoteLiteral;
}
