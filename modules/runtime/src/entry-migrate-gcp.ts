// The migration step on GCP: an HTTP Cloud Function (gen2) reached only from inside the project
// (ingress internal), connected to the VPC, whose service account is the database's admin IAM
// user. A Cloud Run job created by the stack calls it during apply (run_execution_token).
import { randomBytes } from "node:crypto";
import type * as pg from "pg";
import { accessToken } from "./cloud-gcp";
import { tlsFor } from "./database";
import { DatabaseEndpoint } from "./env";
import { MigrationError, ident } from "./migrate";
import { runMigrationStep } from "./migrate-step";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pgModule = (): typeof import("pg") => require("pg");

const BOOTSTRAP_USER = "polycloud_bootstrap";

async function admin(method: string, url: string, body?: unknown): Promise<any> {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${await accessToken()}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new MigrationError(`Cloud SQL Admin API ${method} ${url.replace(/\?.*$/, "")} failed: ${res.status} ${text.slice(0, 400)}`);
  return text ? JSON.parse(text) : {};
}

/** Waits for a Cloud SQL operation (users.insert / users.delete return one). */
async function done(base: string, project: string, op: { name?: string; status?: string; error?: unknown }): Promise<void> {
  for (let i = 0; op.status !== "DONE"; i++) {
    if (i > 120) throw new MigrationError(`Cloud SQL operation ${op.name} did not finish`);
    await new Promise((r) => setTimeout(r, 1000));
    op = await admin("GET", `${base}/projects/${project}/operations/${op.name}`);
  }
  if (op.error) throw new MigrationError(`Cloud SQL operation ${op.name} failed: ${JSON.stringify(op.error)}`);
}

/**
 * First run on a new instance: Cloud SQL creates IAM database users without privileges, and only
 * a member of `cloudsqlsuperuser` may let the admin IAM user create tables (PostgreSQL 15+ keeps
 * `public` closed; provider 6.50 cannot give an IAM user a database role). So the step creates a
 * built-in user (a cloudsqlsuperuser member) with a random password that never leaves this
 * process, grants the admin what it needs, and deletes the user again, through the Cloud SQL
 * Admin API with the step's own identity (a custom role on this instance only). Later runs find
 * the privileges in place and skip this.
 */
export async function cloudSqlBootstrap(client: pg.Client, ep: DatabaseEndpoint, env: Record<string, string | undefined> = process.env): Promise<boolean> {
  const ready = await client.query(
    // Ready when the admin holds its privileges and PUBLIC can no longer connect (on a shared
    // instance, other services' IAM users must not reach this database).
    "SELECT has_database_privilege(current_database(), 'CREATE, TEMPORARY') AND has_database_privilege(current_database(), 'CONNECT WITH GRANT OPTION') AND has_schema_privilege('public', 'USAGE WITH GRANT OPTION, CREATE') " +
      "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a WHERE d.datname = current_database() AND a.grantee = 0 AND a.privilege_type = 'CONNECT') AS ok",
  );
  if (ready.rows[0]?.ok) return false;
  const connection = env.POLYCLOUD_CLOUDSQL_INSTANCE;
  const m = /^([^:]+):([^:]+)$/.exec(connection ?? "");
  if (!m) throw new MigrationError(`POLYCLOUD_CLOUDSQL_INSTANCE must be <project>:<instance>, not ${JSON.stringify(connection)}`);
  const [, project, instance] = m;
  const base = (env.CLOUDSQL_ADMIN_ENDPOINT ?? "https://sqladmin.googleapis.com/v1").replace(/\/$/, "");
  const users = `${base}/projects/${project}/instances/${instance}/users`;
  const password = randomBytes(32).toString("base64url");
  console.log(JSON.stringify({ level: "info", msg: "bootstrapping the admin's privileges through a temporary cloudsqlsuperuser member", instance: connection }));
  await done(base, project, await admin("POST", users, { name: BOOTSTRAP_USER, password, type: "BUILT_IN" }));
  try {
    const boot = new (pgModule().Client)({ host: ep.host, port: ep.port, database: ep.database, user: BOOTSTRAP_USER, password, ssl: tlsFor(ep), connectionTimeoutMillis: 60_000 });
    await boot.connect();
    try {
      const a = ident(ep.user);
      const d = ident(ep.database);
      await boot.query("BEGIN");
      await boot.query(`GRANT CONNECT, TEMPORARY, CREATE ON DATABASE ${d} TO ${a} WITH GRANT OPTION`);
      await boot.query(`GRANT USAGE ON SCHEMA public TO ${a} WITH GRANT OPTION`);
      await boot.query(`GRANT CREATE ON SCHEMA public TO ${a}`);
      // Only the admin keeps TEMPORARY; the step revokes it from PUBLIC too, but only the grantor can.
      await boot.query(`REVOKE TEMPORARY ON DATABASE ${d} FROM PUBLIC`);
      // Only the roles the step grants CONNECT reach this database: the instance may be shared by
      // several services, and PostgreSQL lets PUBLIC connect to every database by default.
      await boot.query(`REVOKE CONNECT ON DATABASE ${d} FROM PUBLIC`);
      await boot.query("COMMIT");
    } finally {
      await boot.end().catch(() => undefined);
    }
  } finally {
    await done(base, project, await admin("DELETE", `${users}?name=${encodeURIComponent(BOOTSTRAP_USER)}`));
  }
  return true;
}

/** Functions Framework HTTP entry (`handler`): POST runs the step; the answer is the result or the error. */
export async function handler(req: { method?: string }, res: { status(code: number): { json(body: unknown): void } }): Promise<void> {
  if (req.method !== "POST") { res.status(405).json({ error: "POST runs the migration step" }); return; }
  try {
    const result = await runMigrationStep({ password: () => accessToken(), prepare: (client, ep) => cloudSqlBootstrap(client, ep).then(() => undefined) });
    res.status(200).json(result);
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "migration step failed", error: (err as Error).message }));
    res.status(500).json({ error: (err as Error).message });
  }
}
