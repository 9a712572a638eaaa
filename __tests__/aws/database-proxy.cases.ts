import { Testing } from "cdktf";
import { EnvironmentConfig } from "@polycloud/core";
import { envByName, find, only, policy, resources, synthPlatform, validationMessages } from "../helpers/synth";
import { referenceService } from "../../stacks/reference-service";
import { dev, prod, staging } from "./shared";
import { onServer } from "../helpers/shared-tier";

test("Aurora PostgreSQL Serverless v2: encrypted, private, backups, managed password, TLS-only parameters", () => {
  const c = only(dev, "aws_rds_cluster");
  expect(c).toMatchObject({
    engine: "aurora-postgresql", engine_version: "16", storage_encrypted: true, manage_master_user_password: true,
    iam_database_authentication_enabled: true, backup_retention_period: 1,
  });
  expect(c.master_password).toBeUndefined();
  expect(JSON.stringify(dev)).not.toMatch(/master_password"/);
  expect(only(dev, "aws_rds_cluster_parameter_group").parameter).toEqual(expect.arrayContaining([{ name: "rds.force_ssl", value: "1" }]));
  for (const i of Object.values(resources(dev, "aws_rds_cluster_instance")) as any[]) expect(i.publicly_accessible).toBe(false);
});

test("RDS Proxy requires TLS and IAM auth, with the pool limits of the spec", () => {
  const dev = staging; // dev connects without the proxy (below)
  expect(only(dev, "aws_db_proxy")).toMatchObject({ engine_family: "POSTGRESQL", require_tls: true, debug_logging: false });
  // End-to-end IAM for the function roles and no secret at all: the master user's secret is read by
  // the migration step alone, which reaches the cluster directly.
  expect(only(dev, "aws_db_proxy").default_auth_scheme).toBe("IAM_AUTH");
  expect(only(dev, "aws_db_proxy").auth).toBeUndefined();
  // No session_pinning_filters: EXCLUDE_VARIABLE_SETS is MySQL-only.
  expect(only(dev, "aws_db_proxy_default_target_group").connection_pool_config).toEqual({
    max_connections_percent: 90, max_idle_connections_percent: 40, connection_borrow_timeout: 5,
  });
  expect(only(dev, "aws_db_proxy_target").target_group_name).toBe("default");
});

test("only the granted functions reach the proxy; only the proxy and the migration step reach the database", () => {
  const dev = staging;
  const ingress = Object.values(resources(dev, "aws_vpc_security_group_ingress_rule")) as any[];
  const toPostgres = ingress.filter((r) => r.from_port === 5432);
  expect(toPostgres).toHaveLength(4);
  for (const r of toPostgres) {
    expect(r.cidr_ipv4).toBeUndefined();
    expect(r.referenced_security_group_id).toMatch(/aws_security_group\.orders_(fn-(api|worker)_sg|db-main_proxy-sg|db-main-migrate_fn_sg)/);
  }
  const toCluster = toPostgres.filter((r) => /orders_db-main_db-sg/.test(r.security_group_id)).map((r) => r.description).sort();
  expect(toCluster).toEqual(["Postgres from the migration step of main", "Postgres from the proxy"]);
});

test("each granted function connects as its own database role (IAM), never as the master user", () => {
  const dev = staging;
  const policies = resources(dev, "aws_iam_role_policy");
  const connectOf = (p: any) => policy(p.policy).Statement.filter((s) => s.Action === "rds-db:connect").map((s) => s.Resource);
  const byRole = (name: string) => Object.values(policies).find((p: any) => p.role.includes(name)) as any;
  // Functions: dbuser:<proxy resource id>/<own role>.
  expect(connectOf(byRole("orders_fn-api_role"))).toEqual(["arn:aws:rds-db:eu-west-1:222222222222:dbuser:TF_REF/fn_api"]);
  expect(connectOf(byRole("orders_fn-worker_role"))).toEqual(["arn:aws:rds-db:eu-west-1:222222222222:dbuser:TF_REF/fn_worker"]);
  // The proxy logs in to the cluster as the same roles: dbuser:<cluster resource id>/<role>.
  const proxy = byRole("db-main_proxy-role");
  expect(connectOf(proxy)).toEqual([
    "arn:aws:rds-db:eu-west-1:222222222222:dbuser:TF_REF/fn_api",
    "arn:aws:rds-db:eu-west-1:222222222222:dbuser:TF_REF/fn_worker",
  ]);
  expect(proxy.policy).toMatch(/dbuser:\$\{aws_rds_cluster\.[^}]+\.cluster_resource_id\}\/fn_api/);
  expect(JSON.stringify(policies)).not.toMatch(/dbuser[^"]*platform_admin/);
  const env = (name: string) => (Object.values(resources(dev, "aws_lambda_function")) as any[]).find((f) => f.function_name === name).environment.variables;
  expect(env("orders-staging-api").DB_MAIN_USER).toBe("fn_api");
  expect(env("orders-staging-worker").DB_MAIN_USER).toBe("fn_worker");
});

test("without an explicit borrow timeout the pool waits half the shortest caller timeout", () => {
  const s = JSON.parse(JSON.stringify(referenceService(envByName("staging"))));
  delete s.databases.main.pool.borrowTimeoutSeconds;
  s.functions.worker.timeoutSeconds = 8;
  const json = synthPlatform(envByName("staging"), s).json;
  expect(only(json, "aws_db_proxy_default_target_group").connection_pool_config.connection_borrow_timeout).toBe(4);
});

test("prod keeps data: deletion protection, final snapshot, prevent_destroy, two instances; dev can be torn down", () => {
  expect(only(prod, "aws_rds_cluster")).toMatchObject({ deletion_protection: true, skip_final_snapshot: false, final_snapshot_identifier: "orders-prod-main-final", lifecycle: { prevent_destroy: true }, backup_retention_period: 35 });
  expect(Object.keys(resources(prod, "aws_rds_cluster_instance"))).toHaveLength(2);
  expect(only(dev, "aws_rds_cluster")).toMatchObject({ deletion_protection: false, skip_final_snapshot: true });
  expect(only(dev, "aws_rds_cluster").lifecycle).toBeUndefined();
  expect(find(prod, "aws_rds_cluster", () => true).serverlessv2_scaling_configuration).toEqual({ min_capacity: 2, max_capacity: 32 });
});

describe("dev: Aurora without RDS Proxy (clouds.aws.database.proxy = false), scaling to 0 ACU and pausing", () => {
  test("no proxy; the cluster pauses after 300 s at 0 ACU; staging and prod keep the proxy and their floor", () => {
    for (const t of ["aws_db_proxy", "aws_db_proxy_default_target_group", "aws_db_proxy_target"]) expect(resources(dev, t)).toEqual({});
    expect(only(dev, "aws_rds_cluster").serverlessv2_scaling_configuration).toEqual({ min_capacity: 0, max_capacity: 2, seconds_until_auto_pause: 300 });
    expect(only(dev, "aws_rds_cluster").iam_database_authentication_enabled).toBe(true);
    expect(only(staging, "aws_rds_cluster").serverlessv2_scaling_configuration).toEqual({ min_capacity: 1, max_capacity: 8 });
    expect(Object.keys(resources(staging, "aws_db_proxy"))).toHaveLength(1);
  });

  test("only the granted functions reach the database, on 5432, each with rds-db:connect for its own role on the cluster's resource id", () => {
    const toPostgres = (Object.values(resources(dev, "aws_vpc_security_group_ingress_rule")) as any[]).filter((r) => r.from_port === 5432);
    expect(toPostgres.map((r) => r.description).sort()).toEqual(["Postgres from function api", "Postgres from function worker", "Postgres from the migration step of main"]);
    for (const r of toPostgres) {
      expect(r.security_group_id).toMatch(/^\$\{aws_security_group\.orders_db-main_db-sg_[0-9A-F]+\.id\}$/);
      expect(r.referenced_security_group_id).toMatch(/aws_security_group\.orders_(fn-(api|worker)_sg|db-main-migrate_fn_sg)/);
    }
    const policies = Object.values(resources(dev, "aws_iam_role_policy")) as any[];
    const connect = policies.map((p) => String(p.policy)).filter((t) => t.includes("rds-db:connect"));
    expect(connect).toHaveLength(2);
    expect(connect.map((t) => /dbuser:\$\{aws_rds_cluster\.orders_db-main_cluster_[0-9A-F]+\.cluster_resource_id\}\/(fn_\w+)/.exec(t)?.[1]).sort()).toEqual(["fn_api", "fn_worker"]);
    expect(JSON.stringify(policies)).not.toMatch(/dbuser[^"]*platform_admin/);
    const api = find(dev, "aws_lambda_function", (f) => f.function_name === "orders-dev-api");
    expect(api.environment.variables).toMatchObject({ DB_MAIN_USER: "fn_api", DB_MAIN_SSLMODE: "verify-full" });
    expect(api.environment.variables.DB_MAIN_HOST).toMatch(/^\$\{aws_rds_cluster\.orders_db-main_cluster_[0-9A-F]+\.endpoint\}$/);
  });

  test("synth warns about the accepted loss of pooling and proxy alarms, and about pausing", () => {
    const { stack } = synthPlatform(envByName("dev"), onServer("own", referenceService)(envByName("dev")));
    Testing.synth(stack);
    const warnings = stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data)));
    expect(warnings).toEqual(expect.arrayContaining([expect.stringMatching(/AwsDatabaseProxy\(main\): environments\/dev clouds\.aws\.database\.proxy = false: .*without RDS Proxy pooling and without its pinned-connection and saturation alarms; the cluster scales to 0 ACU and pauses after 300 s idle/)]));
  });

  const withDb = (database: object): EnvironmentConfig => { const e = JSON.parse(JSON.stringify(envByName("dev"))); e.clouds.aws.database = database; return e; };
  test.each<[string, object, RegExp]>([
    ["the direct path without acceptNoPooling", { proxy: false }, /property 'clouds\.aws\.database\.acceptNoPooling' has value <missing>; allowed: true with proxy: false/],
    ["auto-pause behind the proxy", { autoPauseSeconds: 300 }, /property 'clouds\.aws\.database\.autoPauseSeconds' has value 300; allowed: only with proxy: false/],
    ["auto-pause below 300 s", { proxy: false, acceptNoPooling: true, autoPauseSeconds: 60 }, /property 'clouds\.aws\.database\.autoPauseSeconds' has value 60; allowed: 300\.\.86400 seconds/],
  ])("rejects %s", (_, database, pattern) => {
    expect(validationMessages(withDb(database))).toEqual(expect.arrayContaining([expect.stringMatching(pattern)]));
  });
});
