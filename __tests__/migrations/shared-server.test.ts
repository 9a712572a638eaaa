import * as pg from "pg";
import { databaseMigrations } from "@polycloud/core";
import { MigrationRole, applyMigrations, ensureDatabase } from "@polycloud/runtime";
import { synthesizeComposition } from "../helpers/sample-json";
import { FOUR_SERVICES, fourServices } from "../fixtures/ported/four-services";
import { envByName, resources } from "../helpers/synth";
import { LocalPostgres, describeWithPostgres, startPostgres } from "../helpers/postgres";
import { onServer } from "../helpers/shared-tier";

/**
 * The shared tier's database server holds a database and roles per service (issue 26.1). Each
 * service's migration step, configured exactly as the synthesized dev-aws stack configures it
 * (the four services, each with a database, on one Aurora cluster), creates its database, its roles, and closes the database
 * to every other role: service A's roles cannot reach service B's database, on a real PostgreSQL.
 */
const dev = envByName("dev");
fourServices([dev]);
/** The four services with their databases on the environment's shared server (`server: "shared"`). */
const SHARED = FOUR_SERVICES.map((s) => onServer("shared", s));
const json = synthesizeComposition(dev, "aws", SHARED)["dev-aws"] as any;
const steps = Object.values(resources(json, "aws_lambda_function")).filter((f: any) => f.environment?.variables?.POLYCLOUD_MIGRATE_DATABASE);
type Step = { service: string; database: string; maintenance: string; roles: MigrationRole[] };
const config: Step[] = steps.map((f: any) => {
  const v = f.environment.variables;
  const prefix = `DB_${v.POLYCLOUD_MIGRATE_DATABASE.toUpperCase()}`;
  return { service: f.tags?.service ?? "", database: v[`${prefix}_NAME`], maintenance: v.POLYCLOUD_MIGRATE_CREATE_DATABASE, roles: JSON.parse(v.POLYCLOUD_MIGRATE_ROLES) };
});

test("four service databases on the shared server: one Aurora cluster, one step per service database with its own database name and roles", () => {
  expect(Object.keys(resources(json, "aws_rds_cluster"))).toHaveLength(1);
  expect(config.map((c) => [c.database, c.maintenance, c.roles.map((r) => r.name)]).sort()).toEqual([
    ["coffee_app", "postgres", ["fn_coffee_orders", "fn_coffee_brewer"]],
    ["ingest_app", "postgres", ["fn_ingest_processor", "fn_ingest_status"]],
    ["orders_app", "postgres", ["fn_orders_api", "fn_orders_worker"]],
    ["shopcart_app", "postgres", ["fn_shopcart_cart", "fn_shopcart_cleanup"]],
  ]);
});

describeWithPostgres("service databases on one PostgreSQL server are confined to their own roles", () => {
  let server: LocalPostgres;
  const clients: pg.Client[] = [];
  const connect = async (user: string, database: string) => {
    const c = new pg.Client({ host: server.host, port: server.port, user, database });
    await c.connect();
    clients.push(c);
    return c;
  };
  /** Connects as `user` to `database`: "ok" or the SQLSTATE of the refusal. */
  const reach = async (user: string, database: string): Promise<string> => {
    const c = new pg.Client({ host: server.host, port: server.port, user, database });
    try {
      await c.connect();
      await c.query("SELECT 1");
      return "ok";
    } catch (err) {
      return (err as { code: string }).code;
    } finally {
      await c.end().catch(() => undefined);
    }
  };

  beforeAll(async () => {
    server = await startPostgres();
    // Aurora's shape: the master user may create databases and roles, rds_iam is a NOLOGIN role.
    server.psql(["CREATE ROLE rds_iam NOLOGIN;", "CREATE ROLE platform_admin LOGIN CREATEDB CREATEROLE;", "GRANT rds_iam TO platform_admin WITH ADMIN OPTION;"].join("\n"));
    const services = SHARED.map((s) => s(dev));
    for (const step of config) {
      const svc = services.find((s) => step.database.startsWith(`${s.name}_`))!;
      const maintenance = await connect("platform_admin", step.maintenance);
      expect(await ensureDatabase(maintenance, step.database)).toBe(true);
      // A second run finds it.
      expect(await ensureDatabase(maintenance, step.database)).toBe(false);
      const admin = await connect("platform_admin", step.database);
      await applyMigrations(admin, { migrations: databaseMigrations(svc, Object.keys(svc.databases!)[0]).files, roles: step.roles });
    }
    // Aurora's IAM-token login is a password here: trust auth on loopback.
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    server?.stop();
  });

  test("each service's roles reach their own database and are refused the other's (insufficient_privilege)", async () => {
    const byDb = Object.fromEntries(config.map((c) => [c.database, c.roles.map((r) => r.name)]));
    for (const [database, roles] of Object.entries(byDb)) {
      for (const role of roles) expect({ role, database, result: await reach(role, database) }).toEqual({ role, database, result: "ok" });
      for (const [other] of Object.entries(byDb).filter(([d]) => d !== database)) {
        for (const role of roles) expect({ role, other, result: await reach(role, other) }).toEqual({ role, other, result: "42501" });
      }
    }
  });

  test("no other login role reaches a service database (CONNECT is revoked from PUBLIC), and the maintenance database stays the admin's", async () => {
    server.psql("CREATE ROLE someone_else LOGIN;");
    for (const c of config) expect(await reach("someone_else", c.database)).toBe("42501");
    expect(server.psql("SELECT string_agg(datname || '=' || coalesce(datacl::text, ''), ' ' ORDER BY datname) FROM pg_database WHERE datname LIKE '%\\_app'"))
      .toBe(config.map((c) => c.database).sort().map((d) => `${d}={platform_admin=CTc/platform_admin,${byRoles(d)}}`).join(" "));
  });

  const byRoles = (database: string) => config.find((c) => c.database === database)!.roles.map((r) => `${r.name}=c/platform_admin`).join(",");
});

describe("GCP: one Cloud SQL instance holds a database and IAM users per service", () => {
  const gcp = synthesizeComposition(dev, "gcp", SHARED)["dev-gcp"] as any;
  const fns = Object.values(resources(gcp, "google_cloudfunctions2_function")) as any[];
  const gcpSteps = fns.map((f) => f.service_config.environment_variables).filter((v: any) => v?.POLYCLOUD_MIGRATE_DATABASE);

  test("one instance, a database per service (<service>_<name>), each step migrating its own with its own functions' users", () => {
    expect(Object.keys(resources(gcp, "google_sql_database_instance"))).toHaveLength(1);
    const names = (Object.values(resources(gcp, "google_sql_database")) as any[]).map((d) => d.name).sort();
    expect(names).toEqual(["coffee_app", "ingest_app", "orders_app", "shopcart_app"]);
    // A database name in the environment is a reference to the service's google_sql_database.
    const dbName = (ref: string) => resources(gcp, "google_sql_database")[/^\$\{google_sql_database\.([^.]+)\.name\}$/.exec(ref)![1]].name;
    const byStep = gcpSteps.map((v: any) => {
      const prefix = `DB_${v.POLYCLOUD_MIGRATE_DATABASE.toUpperCase()}`;
      return [dbName(v[`${prefix}_NAME`]), JSON.parse(v.POLYCLOUD_MIGRATE_ROLES).map((r: MigrationRole) => r.name)];
    }).sort();
    expect(byStep.map(([db]: any[]) => db)).toEqual(names);
    // Each step's roles are its own service's functions' IAM users (service accounts of that service's construct).
    for (const [db, roles] of byStep) {
      expect(roles.length).toBeGreaterThan(0);
      for (const r of roles) expect(r).toMatch(new RegExp(`^${db.split("_")[0]}-dev-[a-z]+-fn@polycloud-dev-0001\\.iam$`));
    }
    // Every function of a service reaches its own database by name, on the shared instance.
    for (const f of fns) {
      const v = f.service_config.environment_variables ?? {};
      for (const k of Object.keys(v).filter((k) => /^DB_.*_NAME$/.test(k))) expect(dbName(v[k])).toBe(`${f.labels.service}_app`);
    }
  });
});

describe("Azure: one PostgreSQL Flexible Server holds a database and Entra principals per service", () => {
  const az = synthesizeComposition(dev, "azure", SHARED)["dev-azure"] as any;
  const apps = resources(az, "azurerm_function_app_flex_consumption") as Record<string, any>;
  const databases = resources(az, "azurerm_postgresql_flexible_server_database") as Record<string, any>;
  /** `${azurerm_postgresql_flexible_server_database.<address>.name}` → the database's name. */
  const dbName = (ref: string) => databases[/^\$\{azurerm_postgresql_flexible_server_database\.([^.]+)\.name\}$/.exec(ref)![1]].name;
  const identityOf = (app: any) => /azurerm_user_assigned_identity\.([^.]+)\.id/.exec(String(app.identity?.identity_ids?.[0]))![1];
  const steps = Object.values(apps).filter((a) => a.app_settings?.POLYCLOUD_MIGRATE_DATABASE);

  test("one server, a database per service (<service>_<name>), each step migrating its own with its own functions' principals", () => {
    const servers = Object.keys(resources(az, "azurerm_postgresql_flexible_server"));
    expect(servers).toEqual([expect.stringMatching(/^shared-tier_db_server_/)]);
    expect(Object.values(databases).map((d) => d.name).sort()).toEqual(["coffee_app", "ingest_app", "orders_app", "shopcart_app"]);
    for (const d of Object.values(databases)) expect(d.server_id).toBe(`\${azurerm_postgresql_flexible_server.${servers[0]}.id}`);
    const byStep = steps.map((a) => {
      const v = a.app_settings;
      const prefix = `DB_${v.POLYCLOUD_MIGRATE_DATABASE.toUpperCase()}`;
      return [dbName(v[`${prefix}_NAME`]), JSON.parse(v.POLYCLOUD_MIGRATE_ROLES) as MigrationRole[]] as const;
    }).sort(([a], [b]) => a.localeCompare(b));
    expect(byStep.map(([db]) => db)).toEqual(["coffee_app", "ingest_app", "orders_app", "shopcart_app"]);
    for (const [db, roles] of byStep) {
      expect(roles.length).toBeGreaterThan(0);
      // Entra principals of that service's own functions (identities of its construct), created by object id.
      for (const r of roles) expect(r).toMatchObject({ name: expect.stringMatching(new RegExp(`^\\$\\{azurerm_user_assigned_identity\\.${db.split("_")[0]}_fn-[^.]+\\.name\\}$`)), create: "entra" });
    }
    // Every function of a service reaches its own database by name, on the shared server.
    for (const a of Object.values(apps)) {
      for (const [k, v] of Object.entries<string>(a.app_settings ?? {}).filter(([k]) => /^DB_.*_NAME$/.test(k))) expect(`${k}: ${dbName(v)}`).toBe(`${k}: ${a.tags.service}_app`);
    }
  });

  test("each service's migration identity is one Entra administrator of the shared server (the deploying identity is none)", () => {
    const admins = Object.values(resources(az, "azurerm_postgresql_flexible_server_active_directory_administrator")) as any[];
    expect(admins).toHaveLength(4);
    for (const a of admins) expect(a.server_name).toMatch(/^\$\{azurerm_postgresql_flexible_server\.shared-tier_db_server_[^.]+\.name\}$/);
    expect(admins.map((a) => /azurerm_user_assigned_identity\.([^.]+)\./.exec(a.object_id)![1]).sort()).toEqual(steps.map(identityOf).sort());
  });
});
