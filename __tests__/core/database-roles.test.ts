import { databaseRolesSql, functionRoleName, quoteIdentifier } from "@polycloud/core";
import { awsRoleMigration } from "../../modules/cli/src/db/roles";
import { referenceService } from "../../stacks/reference-service";
import { envByName } from "../helpers/synth";
import { describeWithPostgres, startPostgres, type LocalPostgres } from "../helpers/postgres";

const service = referenceService(envByName("dev"));

test("function role names are PostgreSQL identifiers; names that could break the SQL are refused", () => {
  expect(functionRoleName("api")).toBe("fn_api");
  expect(functionRoleName("order-worker")).toBe("fn_order_worker");
  expect(functionRoleName("x".repeat(80))).toHaveLength(63);
  expect(quoteIdentifier('we"ird')).toBe('"we""ird"');
  expect(() => quoteIdentifier("a$b")).toThrow(/contains a control character or `\$`/);
  expect(() => databaseRolesSql({ database: "app", migrationRole: "admin", roles: [{ name: "r" }, { name: "r" }] })).toThrow(/listed twice/);
});

test("the migration names one role per allowed function, each a member of rds_iam", () => {
  const sql = awsRoleMigration(service, "main");
  expect([...sql.matchAll(/CREATE ROLE "([^"]+)" LOGIN NOSUPERUSER/g)].map((m) => m[1])).toEqual(["fn_api", "fn_worker"]);
  expect([...sql.matchAll(/GRANT "rds_iam" TO "([^"]+)"/g)].map((m) => m[1])).toEqual(["fn_api", "fn_worker"]);
  expect(sql).not.toMatch(/SUPERUSER(?<!NOSUPERUSER)|GRANT ALL|CREATE ON SCHEMA/);
  expect(() => awsRoleMigration(service, "nope")).toThrow(/no database 'nope' in service 'orders' \(declared: main\)/);
});

// On plain PostgreSQL the RDS pieces are emulated: `rds_iam` is a pre-created NOLOGIN role, and the
// master user is a non-superuser with CREATEROLE/CREATEDB that may grant rds_iam (on RDS it is a
// member of rds_superuser). The migration runs as that master user, exactly as shipped.
describeWithPostgres("role migration against a real PostgreSQL", () => {
  let pg: LocalPostgres;
  const as = (user: string, sql: string) => pg.tryPsql(sql, { user, database: "app" });

  beforeAll(async () => {
    pg = await startPostgres();
    pg.psql([
      "CREATE ROLE rds_iam NOLOGIN;",
      "CREATE ROLE platform_admin LOGIN CREATEROLE CREATEDB;",
      "GRANT rds_iam TO platform_admin WITH ADMIN OPTION;",
      "CREATE DATABASE app OWNER platform_admin;",
    ].join("\n"));
    // A table from an earlier migration, before the roles exist.
    pg.psql("CREATE TABLE orders (id bigserial PRIMARY KEY, total int NOT NULL);", { user: "platform_admin", database: "app" });
    const sql = awsRoleMigration(service, "main");
    pg.psql(sql, { user: "platform_admin", database: "app" });
    // Idempotent: a second run changes nothing and does not fail.
    pg.psql(sql, { user: "platform_admin", database: "app" });
    // A later migration: default privileges cover it without re-running the role migration.
    pg.psql("CREATE TABLE payments (id bigserial PRIMARY KEY, order_id bigint REFERENCES orders(id));", { user: "platform_admin", database: "app" });
  });
  afterAll(() => pg?.stop());

  it("creates login roles without elevated attributes, members of rds_iam only", () => {
    const rows = pg.psql("SELECT rolname, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls FROM pg_roles WHERE rolname LIKE 'fn\\_%' ORDER BY 1");
    expect(rows.split("\n")).toEqual(["fn_api|t|f|f|f|f|f", "fn_worker|t|f|f|f|f|f"]);
    const memberships = pg.psql("SELECT r.rolname || '>' || m.rolname FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.member JOIN pg_roles m ON m.oid = a.roleid WHERE r.rolname LIKE 'fn\\_%' ORDER BY 1");
    expect(memberships.split("\n")).toEqual(["fn_api>rds_iam", "fn_worker>rds_iam"]);
  });

  it.each(["fn_api", "fn_worker"])("%s reads and writes application tables, old and new, with their sequences", (role) => {
    const r = as(role, [
      "INSERT INTO orders (total) VALUES (42) RETURNING id;",
      "UPDATE orders SET total = 43 WHERE total = 42;",
      "INSERT INTO payments (order_id) SELECT max(id) FROM orders;",
      "SELECT count(*) FROM payments;",
      "DELETE FROM payments;",
    ].join("\n"));
    expect(r.stderr).toBe("");
    expect(r.ok).toBe(true);
  });

  it.each([
    ["create a table", "CREATE TABLE evil (id int);", /permission denied for schema public/],
    ["drop a table", "DROP TABLE orders;", /must be owner of table orders/],
    ["alter a table", "ALTER TABLE orders ADD COLUMN x int;", /must be owner of table orders/],
    ["truncate", "TRUNCATE orders;", /permission denied for table orders/],
    ["create a role", "CREATE ROLE intruder;", /permission denied to create role/],
    ["create a database", "CREATE DATABASE other;", /permission denied to create database/],
    ["read password hashes", "SELECT * FROM pg_authid;", /permission denied for table pg_authid/],
    ["run a program", "COPY orders TO PROGRAM 'id';", /permission denied|must be superuser|pg_execute_server_program/],
    ["become the master user", "SET ROLE platform_admin;", /permission denied to set role/],
    ["grant itself more", "GRANT platform_admin TO fn_api;", /permission denied|must have admin option/],
  ])("a function role cannot %s", (_what, sql, error) => {
    const r = as("fn_api", sql);
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(error);
  });
});
