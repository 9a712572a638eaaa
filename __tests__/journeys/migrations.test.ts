import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Cloud, EnvironmentConfig, ServiceSpec } from "@polycloud/core";
import { Runner, startRunner } from "@polycloud/runner";
import { describeWithPostgres } from "../helpers/postgres";
import { envByName } from "../helpers/synth";
import { synthToDir } from "../helpers/synth-to-dir";
import { referenceService } from "../../stacks/reference-service";

/**
 * The deploy's migration step on the local runner (issue 24 with issue 25): the runner runs each
 * cloud's step from the JSON as the apply would (AWS aws_lambda_invocation, GCP a Cloud Run job
 * with run_execution_token, Azure the post-apply local-exec), against a server set up as the cloud
 * leaves it, with TLS verified against the CAs the functions are given. What the step leaves is
 * checked in the database itself; a second deploy changes nothing; a failing migration fails the
 * deploy with the database's error.
 */
const CLOUDS: Cloud[] = ["aws", "gcp", "azure"];
const FILES = ["polycloud-runtime/0001_idempotency.sql", "service/0001_orders.sql"];

function withMigrations(folder: string): (env: EnvironmentConfig) => ServiceSpec {
  return (env) => {
    const spec = referenceService(env);
    return { ...spec, databases: { main: { ...spec.databases!.main, migrations: folder } } };
  };
}

describeWithPostgres("the deploy's migration step on the local runner", () => {
  for (const cloud of CLOUDS) {
    describe(cloud, () => {
      let stateDir: string;
      let stackDir: string;
      let runner: Runner | undefined;
      beforeAll(async () => {
        stackDir = synthToDir(envByName("dev"), cloud, [referenceService]);
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-runner-migrations-"));
        runner = await startRunner({ stackDir, stateDir });
      });
      afterAll(async () => {
        await runner?.stop();
        fs.rmSync(stateDir, { recursive: true, force: true });
      });

      test("the deploy ran the step: the runtime's and the service's migrations, in order, by the admin identity", async () => {
        const rows = await runner!.query<{ id: string; applied_by: string }>("SELECT id, applied_by FROM polycloud.schema_migrations ORDER BY applied_at, id");
        expect(rows.map((r) => r.id)).toEqual(FILES);
        const admin = { aws: /^platform_admin$/, gcp: /-main-migrate-fn@[^.]+\.iam$/, azure: /-main-migrate/ }[cloud];
        expect(new Set(rows.map((r) => r.applied_by)).size).toBe(1);
        expect(rows[0].applied_by).toMatch(admin);
        expect(runner!.log.entries.some((e) => e.source === "runner" && e.line.startsWith("[deploy]"))).toBe(true);
      });

      test("each function's role: data rights on the tables, no CREATE on the schema, no temporary tables", async () => {
        const roles = (await runner!.query<{ name: string }>("SELECT name FROM polycloud.managed_roles ORDER BY name")).map((r) => r.name);
        expect(roles).toHaveLength(2);
        for (const role of roles) {
          const [p] = await runner!.query(
            `SELECT has_table_privilege($1, 'orders', 'INSERT') AS ins, has_table_privilege($1, 'polycloud_idempotency', 'UPDATE') AS upd,
                    has_schema_privilege($1, 'public', 'CREATE') AS create_public, has_schema_privilege($1, 'polycloud', 'USAGE') AS polycloud,
                    has_database_privilege($1, current_database(), 'TEMPORARY') AS temp`, [role]);
          expect({ role, ...p }).toEqual({ role, ins: true, upd: true, create_public: false, polycloud: false, temp: false });
        }
      });

      test(`what the step created the ${cloud} way`, async () => {
        if (cloud === "aws") {
          // The step creates fn_<service>_<id> roles (the shared server's names) and makes them rds_iam members (IAM authentication).
          const rows = await runner!.query("SELECT rolname, pg_has_role(rolname, 'rds_iam', 'MEMBER') AS iam FROM pg_roles WHERE rolname IN ('fn_orders_api', 'fn_orders_worker') ORDER BY rolname");
          expect(rows).toEqual([{ rolname: "fn_orders_api", iam: true }, { rolname: "fn_orders_worker", iam: true }]);
        } else if (cloud === "gcp") {
          // First run on a new instance: the temporary cloudsqlsuperuser member made through the Admin API is gone again.
          expect(await runner!.query("SELECT rolname FROM pg_roles WHERE rolname = 'polycloud_bootstrap'")).toEqual([]);
          expect(runner!.log.entries.some((e) => e.source === "cloud-sql" && /created built-in user polycloud_bootstrap/.test(e.line))).toBe(true);
          expect(runner!.log.entries.some((e) => e.source === "cloud-sql" && /deleted user polycloud_bootstrap on .*[^)]$/.test(e.line))).toBe(true);
        } else {
          // Each function's Entra principal was created with pgaadauth, bound to its identity's object id.
          const rows = await runner!.query<{ rolname: string; objectid: string }>("SELECT rolname, objectid FROM public.pgaadauth_principals ORDER BY rolname", [], "postgres");
          const json = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"));
          const identityNames = Object.values<any>(json.resource.azurerm_user_assigned_identity).map((i) => String(i.name));
          for (const fn of ["api", "worker", "main-migrate"]) expect(rows.some((r) => identityNames.includes(r.rolname) && r.rolname.includes(fn))).toBe(true);
          expect(rows.every((r) => /^[0-9a-f-]{36}$/.test(r.objectid))).toBe(true);
        }
      });

      test("a second deploy on the same database applies nothing", async () => {
        const before = await runner!.query("SELECT id, applied_at FROM polycloud.schema_migrations ORDER BY id");
        await runner!.stop();
        runner = await startRunner({ stackDir, stateDir });
        expect(await runner.query("SELECT id, applied_at FROM polycloud.schema_migrations ORDER BY id")).toEqual(before);
        expect(runner.log.entries.some((e) => /"unchanged":\["polycloud-runtime\/0001_idempotency.sql","service\/0001_orders.sql"\]/.test(e.line))).toBe(true);
      });
    });
  }

  describe("a migration added while the runner runs: the reload runs the step again, as the apply re-creates it", () => {
    for (const cloud of CLOUDS) {
      test(cloud, async () => {
        const folder = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-migrations-"));
        const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-synth-"));
        fs.copyFileSync(path.join(__dirname, "..", "..", "stacks", "reference", "migrations", "0001_orders.sql"), path.join(folder, "0001_orders.sql"));
        const stackDir = synthToDir(envByName("dev"), cloud, [withMigrations(folder)], outdir);
        const running = await startRunner({ stackDir });
        try {
          fs.writeFileSync(path.join(folder, "0002_order-notes.sql"), "ALTER TABLE orders ADD COLUMN note text;\n");
          synthToDir(envByName("dev"), cloud, [withMigrations(folder)], outdir);
          const ran = await running.reload();
          expect(ran.some((r) => /aws_lambda_invocation|google_cloud_run_v2_job|terraform_data\..*migrate_run/.test(r))).toBe(true);
          expect((await running.query("SELECT id FROM polycloud.schema_migrations ORDER BY id")).map((r) => r.id)).toEqual([...FILES, "service/0002_order-notes.sql"]);
          expect(await running.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'note'")).toHaveLength(1);
          // Nothing changed since: a reload runs no step.
          expect((await running.reload()).filter((r) => /aws_lambda_invocation|google_cloud_run_v2_job|terraform_data/.test(r))).toEqual([]);
        } finally {
          await running.stop();
          fs.rmSync(folder, { recursive: true, force: true });
          fs.rmSync(outdir, { recursive: true, force: true });
        }
      });
    }
  });

  describe("a migration that fails fails the deploy, with the database's error and the file", () => {
    const broken = path.join(__dirname, "..", "fixtures", "migrations-broken");
    for (const cloud of CLOUDS) {
      test(cloud, async () => {
        const stackDir = synthToDir(envByName("dev"), cloud, [withMigrations(broken)]);
        await expect(startRunner({ stackDir })).rejects.toThrow(/service\/0001_broken\.sql failed at line \d+[\s\S]*relation \\?"no_such_table\\?" does not exist/);
      });
    }
  });
});
