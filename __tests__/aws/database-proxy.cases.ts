import { find, only, policy, resources } from "../helpers/synth";
import { dev, prod } from "./shared";

test("Aurora PostgreSQL Serverless v2: encrypted, private, backups, managed password, TLS-only parameters", () => {
  const c = only(dev, "aws_rds_cluster");
  expect(c).toMatchObject({
    engine: "aurora-postgresql", engine_version: "16.6", storage_encrypted: true, manage_master_user_password: true,
    iam_database_authentication_enabled: true, backup_retention_period: 1, serverlessv2_scaling_configuration: { min_capacity: 0.5, max_capacity: 2 },
  });
  expect(c.master_password).toBeUndefined();
  expect(JSON.stringify(dev)).not.toMatch(/master_password"/);
  expect(only(dev, "aws_rds_cluster_parameter_group").parameter).toEqual(expect.arrayContaining([{ name: "rds.force_ssl", value: "1" }]));
  for (const i of Object.values(resources(dev, "aws_rds_cluster_instance")) as any[]) expect(i.publicly_accessible).toBe(false);
});

test("RDS Proxy requires TLS and IAM auth, with the pool limits of the spec", () => {
  expect(only(dev, "aws_db_proxy")).toMatchObject({ engine_family: "POSTGRESQL", require_tls: true, debug_logging: false });
  expect(only(dev, "aws_db_proxy").auth[0]).toMatchObject({ auth_scheme: "SECRETS", iam_auth: "REQUIRED", client_password_auth_type: "POSTGRES_SCRAM_SHA_256" });
  expect(only(dev, "aws_db_proxy_default_target_group").connection_pool_config).toEqual({
    max_connections_percent: 90, max_idle_connections_percent: 40, connection_borrow_timeout: 30, session_pinning_filters: ["EXCLUDE_VARIABLE_SETS"],
  });
  expect(only(dev, "aws_db_proxy_target").target_group_name).toBe("default");
});

test("only the granted functions reach the proxy, and only the proxy reaches the database", () => {
  const ingress = Object.values(resources(dev, "aws_vpc_security_group_ingress_rule")) as any[];
  const toPostgres = ingress.filter((r) => r.from_port === 5432);
  expect(toPostgres).toHaveLength(3);
  for (const r of toPostgres) {
    expect(r.cidr_ipv4).toBeUndefined();
    expect(r.referenced_security_group_id).toMatch(/aws_security_group\.orders_(fn-(api|worker)_sg|db-main_proxy-sg)/);
  }
  const connect = Object.values(resources(dev, "aws_iam_role_policy")).flatMap((p: any) => policy(p.policy).Statement).filter((s) => s.Action === "rds-db:connect");
  expect(connect).toHaveLength(2);
  expect(connect[0].Resource).toMatch(/^arn:aws:rds-db:eu-west-1:111111111111:dbuser:TF_REF\/platform_admin$/);
});

test("prod keeps data: deletion protection, final snapshot, prevent_destroy, two instances; dev can be torn down", () => {
  expect(only(prod, "aws_rds_cluster")).toMatchObject({ deletion_protection: true, skip_final_snapshot: false, final_snapshot_identifier: "orders-prod-main-final", lifecycle: { prevent_destroy: true }, backup_retention_period: 35 });
  expect(Object.keys(resources(prod, "aws_rds_cluster_instance"))).toHaveLength(2);
  expect(only(dev, "aws_rds_cluster")).toMatchObject({ deletion_protection: false, skip_final_snapshot: true });
  expect(only(dev, "aws_rds_cluster").lifecycle).toBeUndefined();
  expect(find(prod, "aws_rds_cluster", () => true).serverlessv2_scaling_configuration).toEqual({ min_capacity: 2, max_capacity: 32 });
});
