import { only, resources } from "../helpers/synth";
import { dev, gcpProblems, prod, staging, warnings, watching } from "./shared";

describe("GcpDatabaseProxy", () => {
  const sql = only(prod.json, "google_sql_database_instance");

  test("private IP only, TLS required, CMEK", () => {
    expect(sql.settings.ip_configuration).toEqual({ ipv4_enabled: false, private_network: expect.stringMatching(/google_compute_network/), ssl_mode: "ENCRYPTED_ONLY" });
    expect(sql.encryption_key_name).toMatch(/google_kms_crypto_key/);
    expect(sql.database_version).toBe("POSTGRES_16");
    expect(sql.depends_on).toContainEqual(expect.stringMatching(/google_service_networking_connection/));
  });

  test("prod keeps data: deletion protection (Terraform and API), prevent_destroy, regional, PITR over the 35 backup days", () => {
    expect(sql).toMatchObject({ deletion_protection: true, lifecycle: { prevent_destroy: true } });
    expect(sql.settings).toMatchObject({ deletion_protection_enabled: true, retain_backups_on_delete: true, availability_type: "REGIONAL" });
    expect(sql.settings.backup_configuration).toEqual({
      enabled: true, point_in_time_recovery_enabled: true, transaction_log_retention_days: 35,
      backup_retention_settings: { retained_backups: 36, retention_unit: "COUNT" },
    });
    // Cloud SQL refuses retained backups <= transaction log days ("backup retention should be >
    // transaction log retention"): every environment keeps one backup more than its log days.
    for (const s of [dev, staging, prod]) {
      const b = only(s.json, "google_sql_database_instance").settings.backup_configuration;
      expect(b.backup_retention_settings.retained_backups).toBe(b.transaction_log_retention_days + 1);
    }
    // Point-in-time recovery as far back as the environment's backup days (AWS keeps 35 in prod).
    expect(only(dev.json, "google_sql_database_instance").settings.backup_configuration.transaction_log_retention_days).toBe(1);
    expect(only(staging.json, "google_sql_database_instance").settings.backup_configuration.transaction_log_retention_days).toBe(7);
    const devSql = only(dev.json, "google_sql_database_instance");
    expect(devSql).toMatchObject({ deletion_protection: false, lifecycle: { prevent_destroy: false } });
    expect(only(dev.json, "google_sql_database").deletion_policy).toBe("DELETE");
  });

  test("managed connection pooling (Enterprise Plus) with flags from the spec's pool limits", () => {
    expect(sql.settings.edition).toBe("ENTERPRISE_PLUS");
    expect(sql.settings.tier).toBe("db-perf-optimized-N-8");
    const pool = sql.settings.connection_pool_config[0];
    expect(pool.connection_pooling_enabled).toBe(true);
    expect(Object.fromEntries(pool.flags.map((f: any) => [f.name, f.value]))).toEqual({
      // 90 % of 800 split over 2 poolers (8 vCPU / 4) × 3 (database, user) pools (api, worker and the
      // migration identity): never above max_connections.
      pool_mode: "transaction", max_pool_size: "120", query_wait_timeout: "5",
    });
    expect(sql.settings.database_flags).toEqual(expect.arrayContaining([{ name: "cloudsql.iam_authentication", value: "on" }, { name: "max_connections", value: "800" }]));
  });

  test("functions log in as IAM service-account users with roles conditioned on this instance", () => {
    const users = Object.values(resources(prod.json, "google_sql_user")) as any[];
    expect(users).toHaveLength(3); // two functions and the migration step (the database's admin)
    for (const u of users) {
      expect(u.type).toBe("CLOUD_IAM_SERVICE_ACCOUNT");
      // Functions' users name their service account; the migration step's (the admin) is spelled out.
      expect(u.name).toMatch(/^(\$\{google_service_account\.[^}]+\.account_id\}|orders-prod-main-migrate-fn)@polycloud-prod-0001\.iam$/);
      expect(u.password).toBeUndefined();
    }
    const grants = Object.values(resources(prod.json, "google_project_iam_member")).filter((m: any) => /cloudsql/.test(m.role)) as any[];
    expect(grants).toHaveLength(6);
    for (const g of grants) expect(g.condition.expression).toMatch(/^resource\.name == "projects\/polycloud-prod-0001\/instances\/\$\{google_sql_database_instance\./);
    const env = Object.values(resources(prod.json, "google_cloudfunctions2_function")).map((f: any) => f.service_config.environment_variables).filter((e: any) => e.DB_MAIN_HOST);
    expect(env).toHaveLength(3);
    // Functions use the pooler; the migration step the server itself. Both verify the instance's CA and name.
    const tls = { DB_MAIN_SSLMODE: "verify-full", DB_MAIN_SSLROOTCERT: expect.stringMatching(/^\$\{google_sql_database_instance\.[^}]+\.server_ca_cert\[0\]\.cert\}$/), DB_MAIN_SSLSERVERNAME: "polycloud-prod-0001:orders-prod-main", DB_MAIN_HOST: expect.stringMatching(/private_ip_address/) };
    for (const e of env) expect(e).toMatchObject({ DB_MAIN_PORT: e.POLYCLOUD_MIGRATE_DATABASE ? "5432" : "6432", ...tls });
  });

  test("labels reach Cloud SQL through user_labels", () => {
    expect(sql.settings.user_labels).toMatchObject({ environment: "prod", service: "orders", managed_by: "cdktf" });
  });

  test("alerts: connections against the pool, CPU and disk (aggregated conditions that watch the instance)", () => {
    const conditions = watching(prod.json, "orders-prod-main");
    expect(conditions.map((p) => p.display_name).sort()).toEqual(["Database CPU (> 0.8)", "Database backends (> 560)", "Database disk (> 0.85)"]);
    const conn = conditions.find((p) => p.display_name === "Database backends (> 560)").conditions[0].condition_threshold;
    expect(conn).toMatchObject({ threshold_value: 560, aggregations: [{ group_by_fields: ["resource.label.database_id"] }] });
  });

  test("an edition without pooling fails unless the environment accepts it, then warns", () => {
    expect(gcpProblems("dev", (e) => { delete e.clouds.gcp.database.acceptNoPooling; })).toContainEqual(
      expect.stringMatching(/GcpDatabaseProxy\(main\): property 'environments\/dev\.clouds\.gcp\.database\.edition' has value "ENTERPRISE"; allowed: ENTERPRISE_PLUS/),
    );
    const devSql = only(dev.json, "google_sql_database_instance");
    expect(devSql.settings.connection_pool_config).toBeUndefined();
    expect(warnings(dev.stack)).toContainEqual(expect.stringMatching(/no managed connection pooling.*accepted by acceptNoPooling/));
    expect(gcpProblems("dev")).toEqual([]);
  });

  test("backup days outside what the edition keeps as transaction logs are rejected (Enterprise Plus 1..35, Enterprise 1..7)", () => {
    expect(gcpProblems("prod", (e) => { e.retention.backupDays = 36; })).toContainEqual(
      expect.stringMatching(/GcpDatabaseProxy\(main\): property 'environments\/prod\.retention\.backupDays' has value 36; allowed: 1\.\.35 \(Cloud SQL ENTERPRISE_PLUS keeps transaction logs/),
    );
    expect(gcpProblems("dev", (e) => { e.retention.backupDays = 8; })).toContainEqual(
      expect.stringMatching(/GcpDatabaseProxy\(main\): property 'environments\/dev\.retention\.backupDays' has value 8; allowed: 1\.\.7 \(Cloud SQL ENTERPRISE/),
    );
    expect(gcpProblems("prod")).toEqual([]);
  });

  test("the instance waits for the Cloud SQL agent's key grant (and 60 s of IAM propagation after it), read from the created identity", () => {
    const sleeps = resources(prod.json, "time_sleep");
    const wait = sql.depends_on.find((d: string) => d.startsWith("time_sleep."))!.slice("time_sleep.".length);
    expect(sleeps[wait].create_duration).toBe("60s");
    const [name, g] = Object.entries<any>(resources(prod.json, "google_kms_crypto_key_iam_member")).find(([n]) => sleeps[wait].depends_on.includes(`google_kms_crypto_key_iam_member.${n}`))!;
    expect(name).toMatch(/key-cloudsql/);
    const identity = g.member.match(/^\$\{google_project_service_identity\.([^.]+)\.member\}$/)[1];
    expect(resources(prod.json, "google_project_service_identity")[identity].service).toBe("sqladmin.googleapis.com");
  });

  test("TLS cannot be switched off", () => {
    expect(gcpProblems("prod", () => {}, (s) => { s.databases.main.requireTls = false; })).toContainEqual(expect.stringMatching(/requireTls' has value false/));
  });
});
