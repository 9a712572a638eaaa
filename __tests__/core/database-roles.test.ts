import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { functionRoleName, quoteIdentifier } from "@polycloud/core";
import { runApp } from "@polycloud/stacks";
import { environments } from "../fixtures/sample/environments";
import { referenceService } from "../../stacks/reference-service";
import { polycloud } from "../helpers/cli";

test("function role names are PostgreSQL identifiers; names that could break the SQL are refused", () => {
  expect(functionRoleName("api")).toBe("fn_api");
  expect(functionRoleName("order-worker")).toBe("fn_order_worker");
  expect(functionRoleName("x".repeat(80))).toHaveLength(63);
  expect(quoteIdentifier('we"ird')).toBe('"we""ird"');
  expect(() => quoteIdentifier("a$b")).toThrow(/contains a control character or `\$`/);
});

describe("polycloud db roles (inspection): what the migration step will run, read from the synthesized stack", () => {
  let tmp: string;
  let out: string;
  const roles = (argv: string[]) => polycloud(["db", "roles", ...argv, "--output", out]);
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "db-roles-"));
    out = path.join(tmp, "cdktf.out");
    // The composition as the app synthesizes it (only the stacks these tests read).
    expect(await runApp({ environments, service: referenceService }, { outdir: out, filter: "staging-aws,dev-gcp,dev-azure", out: () => undefined, err: () => undefined })).toBe(0);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test("AWS: the step logs in to the cluster as the master user, applies the files in order, creates one rds_iam role per allowed function", async () => {
    // staging was synthesized on aws alone: --cloud is not needed.
    expect((await roles(["staging", "main"])).stdout).toBe((await roles(["staging", "main", "--cloud", "aws"])).stdout);
    const { code, stdout: sql } = await roles(["staging", "main", "--cloud", "aws"]);
    expect(code).toBe(0);
    expect(sql).toMatch(/^-- staging-aws, database 'main': the migration step logs in to \$\{aws_rds_cluster\.[^}]+\.endpoint\}:5432 as platform_admin \(sslmode verify-full\)\n-- and applies, in this order, each file once: polycloud-runtime\/0001_idempotency\.sql, service\/0001_orders\.sql\n/);
    // On the shared server (the default) each role is named after its service too: fn_<service>_<function>.
    expect([...sql.matchAll(/CREATE ROLE "([^"]+)" LOGIN NOSUPERUSER/g)].map((m) => m[1])).toEqual(["fn_orders_api", "fn_orders_worker"]);
    expect([...sql.matchAll(/GRANT "rds_iam" TO "([^"]+)"/g)].map((m) => m[1])).toEqual(["fn_orders_api", "fn_orders_worker"]);
    expect(sql).toMatch(/REVOKE CREATE ON SCHEMA "public" FROM "fn_orders_api"/);
    expect(sql).not.toMatch(/SUPERUSER(?<!NOSUPERUSER)|GRANT ALL|GRANT CREATE/);
  });

  test("GCP: Cloud SQL creates the IAM users; the step grants them, as the step's own IAM user", async () => {
    const { stdout: sql } = await roles(["dev", "main", "--cloud", "gcp"]);
    expect(sql).toMatch(/as orders-dev-main-migrate-fn@polycloud-dev-0001\.iam \(sslmode verify-full\)/);
    expect(sql).not.toMatch(/CREATE ROLE/);
    expect(sql).toMatch(/GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "public" TO "orders-dev-api-fn@polycloud-dev-0001\.iam"/);
  });

  test("Azure: each function identity becomes an Entra principal, created by the step", async () => {
    const { stdout: sql } = await roles(["dev", "main", "--cloud", "azure"]);
    expect(sql).toMatch(/-- <orders_fn-api_identity_[0-9A-F]+\.name> \(Entra principal <orders_fn-api_identity_[0-9A-F]+\.principal_id>, created by the step with pgaadauth\)/);
    expect(sql).not.toMatch(/CREATE ROLE/);
  });

  test("an unknown database, environment or cloud, or a stack the last synthesis did not build, is refused (exit 2)", async () => {
    expect(await roles(["dev", "nope", "--cloud", "gcp"])).toMatchObject({ code: 2, stderr: expect.stringContaining("no service in dev declares a database 'nope' (orders: main)") });
    expect(await roles(["qa", "main"])).toMatchObject({ code: 2, stderr: expect.stringContaining("no environment 'qa'") });
    // dev was synthesized on gcp and azure: which one is not guessed.
    expect(await roles(["dev", "main"])).toMatchObject({ code: 2, stderr: expect.stringContaining("db roles: dev renders orders on gcp, azure; choose one with --cloud") });
    expect(await roles(["dev", "main", "--cloud", "oci"])).toMatchObject({ code: 2, stderr: expect.stringContaining("Allowed choices are aws, gcp, azure") });
    expect(await roles(["dev", "main", "--cloud", "aws"])).toMatchObject({ code: 2, stderr: expect.stringContaining("the last synthesis has no dev-aws stack") });
  });
});
