import * as pg from "pg";
import { MigrationFile, databaseMigrations, migrationChecksum } from "@polycloud/core";
import { MigrationRole, applyMigrations, createPool, idempotent } from "@polycloud/runtime";
import { referenceService } from "../../stacks/reference-service";
import { envByName } from "../helpers/synth";
import { LocalPostgres, describeWithPostgres, startPostgres } from "../helpers/postgres";

/**
 * applyMigrations as every cloud's migration step runs it, against a real PostgreSQL: the
 * reference service's migrations (the runtime's idempotency table first, then the orders table),
 * the per-function roles, and what those roles can and cannot do afterwards. The AWS shape is
 * emulated: `rds_iam` is a NOLOGIN role, the master user owns the database and may create roles.
 */
const service = referenceService(envByName("dev"));
const reference = databaseMigrations(service, "main").files;
const ROLES: MigrationRole[] = [
  { name: "fn_api", create: "role", memberOf: ["rds_iam"] },
  { name: "fn_worker", create: "role", memberOf: ["rds_iam"] },
];
const file = (id: string, sql: string) => ({ id, sql, checksum: migrationChecksum(sql) });

describeWithPostgres("applyMigrations against a real PostgreSQL", () => {
  let server: LocalPostgres;
  const clients: pg.Client[] = [];
  async function connect(user: string, database = "app"): Promise<pg.Client> {
    const c = new pg.Client({ host: server.host, port: server.port, user, database });
    await c.connect();
    clients.push(c);
    return c;
  }
  /** Runs SQL as a role; resolves to the error's SQLSTATE, or "ok". */
  async function attempt(user: string, sql: string): Promise<string> {
    const c = await connect(user);
    try {
      await c.query(sql);
      return "ok";
    } catch (err) {
      return (err as { code: string }).code;
    } finally {
      await c.end();
      clients.splice(clients.indexOf(c), 1);
    }
  }
  const applied = () => server.psql("SELECT string_agg(id, ',' ORDER BY id) FROM polycloud.schema_migrations", { database: "app" });

  beforeAll(async () => {
    server = await startPostgres();
    server.psql([
      "CREATE ROLE rds_iam NOLOGIN;",
      "CREATE ROLE platform_admin LOGIN CREATEROLE;",
      "GRANT rds_iam TO platform_admin WITH ADMIN OPTION;",
      "CREATE DATABASE app OWNER platform_admin;",
    ].join("\n"));
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    server?.stop();
  });

  test("the reference database's migrations: the runtime's idempotency table first, then the service's orders table", () => {
    expect(reference.map((m) => m.id)).toEqual(["polycloud-runtime/0001_idempotency.sql", "service/0001_orders.sql"]);
  });

  test("first run applies every file, records its checksum, and creates the function roles", async () => {
    const admin = await connect("platform_admin");
    const result = await applyMigrations(admin, { migrations: reference, roles: ROLES });
    expect(result).toEqual({ applied: reference.map((m) => m.id), unchanged: [], missing: [], roles: ["fn_api", "fn_worker"], revoked: [] });
    expect(server.psql("SELECT string_agg(id || '=' || checksum, ',' ORDER BY id) FROM polycloud.schema_migrations", { database: "app" }))
      .toBe(reference.map((m) => `${m.id}=${m.checksum}`).sort().join(","));
    expect(server.psql("SELECT rolname, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls FROM pg_roles WHERE rolname LIKE 'fn\\_%' ORDER BY 1").split("\n"))
      .toEqual(["fn_api|t|f|f|f|f|f", "fn_worker|t|f|f|f|f|f"]);
    expect(server.psql("SELECT string_agg(r.rolname || '>' || m.rolname, ',' ORDER BY r.rolname) FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.member JOIN pg_roles m ON m.oid = a.roleid WHERE r.rolname LIKE 'fn\\_%'"))
      .toBe("fn_api>rds_iam,fn_worker>rds_iam");
  });

  test("re-applying is a no-op: nothing runs, no row of the table changes", async () => {
    const before = server.psql("SELECT string_agg(id || xmin::text, ',' ORDER BY id) FROM polycloud.schema_migrations", { database: "app" });
    const admin = await connect("platform_admin");
    const result = await applyMigrations(admin, { migrations: reference, roles: ROLES });
    expect(result.applied).toEqual([]);
    expect(result.unchanged).toEqual(reference.map((m) => m.id));
    expect(server.psql("SELECT string_agg(id || xmin::text, ',' ORDER BY id) FROM polycloud.schema_migrations", { database: "app" })).toBe(before);
  });

  test("a changed applied file stops the run before anything else is applied", async () => {
    const admin = await connect("platform_admin");
    const edited: MigrationFile = { ...reference[1], sql: `${reference[1].sql}\n-- edited`, checksum: migrationChecksum(`${reference[1].sql}\n-- edited`) };
    const later = file("service/0002_payments.sql", "CREATE TABLE payments (id bigserial PRIMARY KEY);");
    await expect(applyMigrations(admin, { migrations: [reference[0], edited, later], roles: ROLES }))
      .rejects.toThrow(/migration service\/0001_orders\.sql was changed after it was applied \(applied sha256 [0-9a-f]{12}…, file now [0-9a-f]{12}…\): an applied migration is never edited/);
    expect(server.psql("SELECT to_regclass('public.payments') IS NULL", { database: "app" })).toBe("t");
  });

  test("a failing statement fails the file with the database's error and leaves nothing of it", async () => {
    const admin = await connect("platform_admin");
    const broken = file("service/0002_broken.sql", "CREATE TABLE half_done (id int);\nINSERT INTO half_done VALUES (1);\nALTER TABLE orders ADD COLUMN total numeric NOT NULL CHECK (total > 0);\nSELECT no_such_column FROM orders;\n");
    const error = await applyMigrations(admin, { migrations: [...reference, broken], roles: ROLES }).catch((e) => e);
    expect(error.name).toBe("MigrationError");
    expect(error.message).toMatch(/^migration service\/0002_broken\.sql failed at line 4 and was rolled back \(nothing of it is applied\): column "no_such_column" does not exist; SQLSTATE 42703$/);
    expect(error.code).toBe("42703");
    expect(server.psql("SELECT to_regclass('public.half_done') IS NULL", { database: "app" })).toBe("t");
    expect(server.psql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'total'", { database: "app" })).toBe("0");
    expect(applied()).toBe("polycloud-runtime/0001_idempotency.sql,service/0001_orders.sql");
  });

  test("a new file that sorts before an applied one is refused", async () => {
    const admin = await connect("platform_admin");
    const reordered = [reference[0], file("service/0000_early.sql", "CREATE TABLE early (id int);"), reference[1]];
    await expect(applyMigrations(admin, { migrations: reordered, roles: ROLES })).rejects.toThrow(/migration service\/0000_early\.sql is new but sorts before service\/0001_orders\.sql, which is already applied/);
    expect(server.psql("SELECT to_regclass('public.early') IS NULL", { database: "app" })).toBe("t");
  });

  test("two steps running at once apply each file once (the advisory lock serialises them)", async () => {
    const [a, b] = [await connect("platform_admin"), await connect("platform_admin")];
    const next = [...reference, file("service/0002_payments.sql", "CREATE TABLE payments (id bigserial PRIMARY KEY, order_id text NOT NULL REFERENCES orders(id)); SELECT pg_sleep(0.2);")];
    const results = await Promise.all([applyMigrations(a, { migrations: next, roles: ROLES }), applyMigrations(b, { migrations: next, roles: ROLES })]);
    expect(results.map((r) => r.applied).flat()).toEqual(["service/0002_payments.sql"]);
    expect(applied()).toBe("polycloud-runtime/0001_idempotency.sql,service/0001_orders.sql,service/0002_payments.sql");
  });

  test.each(["fn_api", "fn_worker"])("%s reads and writes the tables, including one a later migration created", async (role) => {
    const c = await connect(role);
    const { rows } = await c.query("INSERT INTO orders (owner, body) VALUES ('sub-1', '{\"n\":1}') RETURNING id");
    await c.query("UPDATE orders SET body = '{\"n\":2}' WHERE id = $1", [rows[0].id]);
    await c.query("INSERT INTO payments (order_id) VALUES ($1)", [rows[0].id]);
    expect((await c.query("SELECT count(*)::int AS n FROM payments")).rows[0].n).toBeGreaterThan(0);
    await c.query("DELETE FROM payments");
    await c.query("DELETE FROM orders WHERE id = $1", [rows[0].id]);
    await c.query("INSERT INTO polycloud_idempotency (key) VALUES ($1)", [`k-${role}`]);
  });

  test.each([
    ["create a table", "CREATE TABLE evil (id int)"],
    ["create a view", "CREATE VIEW evil AS SELECT 1"],
    ["create a function", "CREATE FUNCTION evil() RETURNS int LANGUAGE sql AS 'SELECT 1'"],
    ["create a schema", "CREATE SCHEMA evil"],
    ["create a temporary table", "CREATE TEMP TABLE evil (id int)"],
    ["alter a table", "ALTER TABLE orders ADD COLUMN x int"],
    ["drop a table", "DROP TABLE payments"],
    ["truncate a table", "TRUNCATE orders"],
    ["create an index", "CREATE INDEX evil ON orders (created_at)"],
    ["read the migrations table", "SELECT * FROM polycloud.schema_migrations"],
    ["forge a migration record", "INSERT INTO polycloud.schema_migrations (id, checksum, execution_ms) VALUES ('x', 'y', 0)"],
    ["become the admin", "SET ROLE platform_admin"],
  ])("a function role cannot %s (42501)", async (_what, sql) => {
    expect(await attempt("fn_api", sql)).toBe("42501");
  });

  test("a function no longer allowed loses its grants and its login; the others keep theirs", async () => {
    const admin = await connect("platform_admin");
    const result = await applyMigrations(admin, { migrations: reference, roles: [ROLES[0]] });
    expect(result.revoked).toEqual(["fn_worker"]);
    expect(server.psql("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'fn_worker'")).toBe("f");
    expect(server.psql("SELECT has_table_privilege('fn_worker', 'orders', 'SELECT')::text || has_table_privilege('fn_api', 'orders', 'SELECT')::text", { database: "app" })).toBe("falsetrue");
    // Allowed again: granted again, and may log in again.
    await applyMigrations(admin, { migrations: reference, roles: ROLES });
    expect(server.psql("SELECT has_table_privilege('fn_worker', 'orders', 'SELECT')", { database: "app" })).toBe("t");
    expect(server.psql("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'fn_worker'")).toBe("t");
  });

  test("idempotent(): the table comes from the migration; a duplicate is skipped, an expired key runs again and old keys are purged", async () => {
    const env = { POLYCLOUD_CLOUD: "aws", DB_MAIN_HOST: "127.0.0.1", DB_MAIN_PORT: String(server.port), DB_MAIN_NAME: "app", DB_MAIN_USER: "fn_worker", DB_MAIN_SSLMODE: "disable" };
    const pool = createPool("main", { token: async () => "unused" }, env);
    const saved = process.env.POLYCLOUD_FUNCTION;
    process.env.POLYCLOUD_FUNCTION = "worker"; // keys are stored as <function>/<key>
    try {
      const runs: string[] = [];
      const work = (tag: string) => async () => { runs.push(tag); return { tag }; };
      expect(await idempotent("order-created/e-1", work("first"), { pool })).toEqual({ tag: "first" });
      expect(await idempotent("order-created/e-1", work("duplicate"), { pool })).toEqual({ tag: "first" });
      expect(runs).toEqual(["first"]);
      expect(server.psql("SELECT (expires_at - created_at) BETWEEN interval '29 days 23 hours' AND interval '30 days 1 hour' FROM polycloud_idempotency WHERE key = 'worker/order-created/e-1'", { database: "app" })).toBe("t");
      // Past its retention the key counts as unseen.
      server.psql("UPDATE polycloud_idempotency SET expires_at = now() - interval '1 second' WHERE key = 'worker/order-created/e-1'", { database: "app" });
      expect(await idempotent("order-created/e-1", work("after expiry"), { pool })).toEqual({ tag: "after expiry" });
      expect(runs).toEqual(["first", "after expiry"]);
      // Expired keys are deleted as calls go by (at most every few minutes per pool: a fresh pool purges at once).
      server.psql("INSERT INTO polycloud_idempotency (key, expires_at) SELECT 'old-' || g, now() - interval '1 day' FROM generate_series(1, 20) g", { database: "app" });
      const fresh = createPool("main", { token: async () => "unused" }, env);
      await idempotent("order-created/e-2", work("second"), { pool: fresh, retentionDays: 1 });
      await fresh.end();
      expect(server.psql("SELECT count(*) FROM polycloud_idempotency WHERE key LIKE 'old-%'", { database: "app" })).toBe("0");
      expect(server.psql("SELECT (expires_at - created_at) < interval '1 day 1 minute' FROM polycloud_idempotency WHERE key = 'worker/order-created/e-2'", { database: "app" })).toBe("t");
      // The function role cannot create the table itself: without the migration it gets a clear error.
      await expect(idempotent("k", work("x"), { pool, table: "custom_keys" })).rejects.toThrow(/table custom_keys does not exist\. It is created at deploy by the migration step: add it to the database's migrations folder/);
    } finally {
      process.env.POLYCLOUD_FUNCTION = saved;
      await pool.end();
    }
  });
});
