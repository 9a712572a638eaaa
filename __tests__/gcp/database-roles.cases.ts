import { GcpDatabaseProxy, GcpService, cloudSqlBootstrapSql } from "@polycloud/gcp";
import { find } from "../helpers/synth";
import { describeWithPostgres, startPostgres, type LocalPostgres } from "../helpers/postgres";
import { prod } from "./shared";

const db = (prod.stack.service as GcpService).databases.main as GcpDatabaseProxy;
const API = "orders-prod-api-fn@polycloud-prod-0001.iam";
const WORKER = "orders-prod-worker-fn@polycloud-prod-0001.iam";
const ADMIN = "orders-prod-main-migrate@polycloud-prod-0001.iam";
/** The database the stack creates (google_sql_database). */
const DATABASE = find(prod.json, "google_sql_database", () => true).name as string;

describe("GcpDatabaseProxy grant path", () => {
  test("a migration identity (IAM database user, instance-scoped roles) and the SQL it runs, as a stack output", () => {
    expect(db.adminUser).toBe(ADMIN);
    expect(db.functionUsers).toEqual([API, WORKER]);
    const user = find(prod.json, "google_sql_user", (u) => /admin-sa/.test(u.name));
    expect(user).toMatchObject({ type: "CLOUD_IAM_SERVICE_ACCOUNT", name: expect.stringMatching(/^\$\{google_service_account\.orders_db-main_admin-sa_[^.]+\.account_id\}@polycloud-prod-0001\.iam$/) });
    const grants = Object.values<any>(prod.json.resource.google_project_iam_member).filter((m) => /admin-sa/.test(m.member));
    expect(grants.map((g) => g.role).sort()).toEqual(["roles/cloudsql.client", "roles/cloudsql.instanceUser"]);
    for (const g of grants) expect(g.condition.expression).toMatch(/^resource\.name == "projects\/polycloud-prod-0001\/instances\/\$\{google_sql_database_instance\./);
    const [output] = Object.entries<any>(prod.json.output ?? {}).filter(([k]) => /grant-path/.test(k)).map(([, o]) => o.value);
    expect(output.admin_user).toBe(ADMIN);
    expect(output.bootstrap_sql).toBe(db.bootstrapSql());
    expect(output.roles_sql).toBe(db.rolesSql());
    // Cloud SQL creates the IAM roles: the migration only grants, never creates or elevates.
    expect(db.rolesSql()).not.toMatch(/CREATE ROLE|SUPERUSER(?<!NOSUPERUSER)|GRANT ALL|CREATE ON SCHEMA/);
    expect(() => cloudSqlBootstrapSql({ database: "orders", adminUser: "a$b" })).toThrow(/contains a control character or `\$`/);
  });
});

// Cloud SQL emulated on plain PostgreSQL: `cloudsqlsuperuser` is a NOLOGIN role with CREATEROLE and
// CREATEDB that owns the database (as for databases created through the API), the built-in
// `postgres` user is one of its members (here `cloudsql_postgres`, the harness owns `postgres`),
// and IAM users are LOGIN roles without privileges, as Cloud SQL creates them. PostgreSQL 15+
// leaves `public` unwritable for them. The SQL runs exactly as the stack outputs it.
describeWithPostgres("GCP grant path against a real PostgreSQL", () => {
  let pg: LocalPostgres;
  const as = (user: string, sql: string) => pg.tryPsql(sql, { user, database: DATABASE });
  const before: Record<string, { ok: boolean; stderr: string }> = {};

  beforeAll(async () => {
    pg = await startPostgres();
    pg.psql([
      "CREATE ROLE cloudsqlsuperuser NOLOGIN CREATEROLE CREATEDB;",
      "CREATE ROLE cloudsql_postgres LOGIN IN ROLE cloudsqlsuperuser;",
      `CREATE DATABASE "${DATABASE}" OWNER cloudsqlsuperuser;`,
      ...[API, WORKER, ADMIN].map((u) => `CREATE ROLE "${u}" LOGIN;`),
    ].join("\n"));
    // Without the grant path: IAM users cannot create tables in public (PostgreSQL 15+).
    before.admin = as(ADMIN, "CREATE TABLE t (id int);");
    pg.psql(db.bootstrapSql(), { user: "cloudsql_postgres", database: DATABASE });
    pg.psql("CREATE TABLE orders (id bigserial PRIMARY KEY, total int NOT NULL);", { user: ADMIN, database: DATABASE });
    before.fn = as(API, "SELECT count(*) FROM orders;");
    pg.psql(db.rolesSql(), { user: ADMIN, database: DATABASE });
    pg.psql(db.rolesSql(), { user: ADMIN, database: DATABASE }); // idempotent
    pg.psql("CREATE TABLE payments (id bigserial PRIMARY KEY, order_id bigint REFERENCES orders(id));", { user: ADMIN, database: DATABASE });
  });
  afterAll(() => pg?.stop());

  test("before the grant path, IAM users can do nothing", () => {
    expect(before.admin).toMatchObject({ ok: false, stderr: expect.stringMatching(/permission denied for schema public/) });
    expect(before.fn).toMatchObject({ ok: false, stderr: expect.stringMatching(/permission denied for table orders/) });
  });

  test.each([API, WORKER])("%s reads and writes the tables, old and new, with their sequences", (user) => {
    const r = as(user, [
      "INSERT INTO orders (total) VALUES (42);",
      "UPDATE orders SET total = 43 WHERE total = 42;",
      "INSERT INTO payments (order_id) SELECT max(id) FROM orders;",
      "DELETE FROM payments;",
    ].join("\n"));
    expect(r.stderr).toBe("");
    expect(r.ok).toBe(true);
  });

  test.each([
    ["create a table", "CREATE TABLE evil (id int);", /permission denied for schema public/],
    ["drop a table", "DROP TABLE orders;", /must be owner of table orders/],
    ["create a role", "CREATE ROLE intruder;", /permission denied to create role/],
    ["become the migration identity", `SET ROLE "${ADMIN}";`, /permission denied to set role/],
    ["become cloudsqlsuperuser", "SET ROLE cloudsqlsuperuser;", /permission denied to set role/],
  ])("a function cannot %s", (_what, sql, error) => {
    const r = as(API, sql);
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(error);
  });

  test("the migration identity is no superuser and cannot create roles or databases", () => {
    expect(pg.psql(`SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = '${ADMIN}'`)).toBe("f|f|f");
    expect(as(ADMIN, "CREATE ROLE intruder;").ok).toBe(false);
  });
});
