import { functionRoleName, quoteIdentifier } from "@polycloud/core";
import { describeMigrationStep } from "../../scripts/db/database-roles";

test("function role names are PostgreSQL identifiers; names that could break the SQL are refused", () => {
  expect(functionRoleName("api")).toBe("fn_api");
  expect(functionRoleName("order-worker")).toBe("fn_order_worker");
  expect(functionRoleName("x".repeat(80))).toHaveLength(63);
  expect(quoteIdentifier('we"ird')).toBe('"we""ird"');
  expect(() => quoteIdentifier("a$b")).toThrow(/contains a control character or `\$`/);
});

describe("npm run db:roles (inspection): what the migration step will run, read from the synthesized stack", () => {
  test("AWS: the step logs in to the cluster as the master user, applies the files in order, creates one rds_iam role per allowed function", () => {
    const sql = describeMigrationStep("staging", "main", "aws");
    expect(sql).toMatch(/^-- staging-aws, database 'main': the migration step logs in to \$\{aws_rds_cluster\.[^}]+\.endpoint\}:5432 as platform_admin \(sslmode verify-full\)\n-- and applies, in this order, each file once: polycloud-runtime\/0001_idempotency\.sql, service\/0001_orders\.sql\n/);
    expect([...sql.matchAll(/CREATE ROLE "([^"]+)" LOGIN NOSUPERUSER/g)].map((m) => m[1])).toEqual(["fn_api", "fn_worker"]);
    expect([...sql.matchAll(/GRANT "rds_iam" TO "([^"]+)"/g)].map((m) => m[1])).toEqual(["fn_api", "fn_worker"]);
    expect(sql).toMatch(/REVOKE CREATE ON SCHEMA "public" FROM "fn_api"/);
    expect(sql).not.toMatch(/SUPERUSER(?<!NOSUPERUSER)|GRANT ALL|GRANT CREATE/);
  });

  test("GCP: Cloud SQL creates the IAM users; the step grants them, as the step's own IAM user", () => {
    const sql = describeMigrationStep("dev", "main", "gcp");
    expect(sql).toMatch(/as orders-dev-main-migrate-fn@polycloud-dev-0001\.iam \(sslmode verify-full\)/);
    expect(sql).not.toMatch(/CREATE ROLE/);
    expect(sql).toMatch(/GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "public" TO "orders-dev-api-fn@polycloud-dev-0001\.iam"/);
  });

  test("Azure: each function identity becomes an Entra principal, created by the step", () => {
    const sql = describeMigrationStep("dev", "main", "azure");
    expect(sql).toMatch(/-- <orders_fn-api_identity_[0-9A-F]+\.name> \(Entra principal <orders_fn-api_identity_[0-9A-F]+\.principal_id>, created by the step with pgaadauth\)/);
    expect(sql).not.toMatch(/CREATE ROLE/);
  });

  test("an unknown database or cloud is refused with the declared ones", () => {
    expect(() => describeMigrationStep("dev", "nope", "aws")).toThrow(/no database 'nope' in service 'orders' \(declared: main\)/);
  });
});
