import { policyTable, scannerTable } from "../../scripts/policy-table";
import "@microsoft/jest-sarif";
import { Cloud, POLICY_RULES, PolicyStack, TerraformJson, failing, runPolicy, toSarif } from "@polycloud/core";
import { readDocSection } from "../../scripts/doc-section";

/** Minimal stack JSON around a few resources. */
const stack = (cloud: Cloud, resource: TerraformJson["resource"], extra: Partial<TerraformJson> = {}, environment = "dev", minLogDays = 14): PolicyStack => ({
  name: `${environment}-${cloud}`, cloud, environment, minLogDays, json: { resource, ...extra },
});
const doc = (Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const awsTags = { provider: { aws: [{ default_tags: [{ tags: { environment: "dev", service: "s", owner: "o", cost_center: "c", managed_by: "cdktf" } }] }] } };

/** For every rule: a stack that must fire it and one that must not. */
const FIXTURES: Record<string, { bad: PolicyStack; good: PolicyStack }> = {
  PC001: {
    bad: stack("aws", { aws_iam_role_policy: { p: { policy: doc([{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::b" }, { Effect: "Allow", Action: "sqs:SendMessage", Resource: "*" }]) } } }),
    good: stack("aws", { aws_iam_role_policy: { p: { policy: doc([{ Effect: "Allow", Action: ["sqs:SendMessage"], Resource: "${aws_sqs_queue.q.arn}" }, { Effect: "Allow", Action: "xray:PutTraceSegments", Resource: "*" }]) } } }),
  },
  PC002: {
    bad: stack("gcp", { google_cloud_run_v2_service_iam_member: { i: { member: "allUsers", name: "${google_cloudfunctions2_function.f.service_config[0].service}" } }, google_cloudfunctions2_function: { f: { service_config: { ingress_settings: "ALLOW_ALL" } } } }),
    good: stack("gcp", { google_cloud_run_v2_service_iam_member: { i: { member: "allUsers", name: "${google_cloudfunctions2_function.f.service_config[0].service}" } }, google_cloudfunctions2_function: { f: { service_config: { ingress_settings: "ALLOW_INTERNAL_AND_GCLB" } } } }),
  },
  PC003: {
    bad: stack("gcp", { google_sql_database_instance: { d: { settings: { ip_configuration: { ipv4_enabled: true } } } } }),
    good: stack("gcp", { google_sql_database_instance: { d: { settings: { ip_configuration: { ipv4_enabled: false, private_network: "n" } } } } }),
  },
  PC004: {
    bad: stack("aws", { aws_iam_user_policy_attachment: { a: { user: "alice", policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" } }, aws_iam_role_policy_attachment: { b: { role: "r", policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess" } } }),
    good: stack("aws", { aws_iam_role_policy_attachment: { b: { role: "r", policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" } } }),
  },
  PC005: {
    bad: stack("aws", { aws_sqs_queue_policy: { p: { queue_url: "u", policy: doc([{ Effect: "Allow", Principal: "*", Action: "sqs:SendMessage", Resource: "*" }]) } } }),
    good: stack("aws", { aws_sqs_queue_policy: { p: { queue_url: "u", policy: doc([{ Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage", Resource: "${aws_sqs_queue.q.arn}" }, { Effect: "Allow", Principal: "*", Action: "sqs:SendMessage", Resource: "*", Condition: { ArnEquals: { "aws:SourceArn": "${aws_sns_topic.t.arn}" } } }]) } } }),
  },
  PC006: {
    bad: stack("azure", { azurerm_servicebus_namespace: { b: { sku: "Premium", public_network_access_enabled: false } } }),
    good: stack("azure", { azurerm_servicebus_namespace: { b: { sku: "Premium", local_auth_enabled: false, public_network_access_enabled: false } } }),
  },
  PC007: {
    bad: stack("aws", { aws_iam_role: { r: { assume_role_policy: doc([{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "sts:AssumeRole" }]) } } }),
    good: stack("aws", { aws_iam_role: { r: { assume_role_policy: doc([{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }]) } } }),
  },
  PC008: {
    // A function role that may read the master secret, besides the migration step's.
    bad: stack("aws", {
      aws_rds_cluster: { c: { manage_master_user_password: true } },
      aws_lambda_function: { step: { role: "${aws_iam_role.step.arn}", environment: { variables: { POLYCLOUD_MIGRATE_DATABASE: "main" } } }, api: { role: "${aws_iam_role.api.arn}" } },
      aws_iam_role_policy: {
        step: { role: "${aws_iam_role.step.id}", policy: doc([{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "${aws_rds_cluster.c.master_user_secret[0].secret_arn}" }]) },
        api: { role: "${aws_iam_role.api.id}", policy: doc([{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "${aws_rds_cluster.c.master_user_secret[0].secret_arn}" }]) },
      },
    }),
    good: stack("aws", {
      aws_rds_cluster: { c: { manage_master_user_password: true } },
      aws_lambda_function: { step: { role: "${aws_iam_role.step.arn}", environment: { variables: { POLYCLOUD_MIGRATE_DATABASE: "main" } } }, api: { role: "${aws_iam_role.api.arn}" } },
      aws_iam_role_policy: {
        step: { role: "${aws_iam_role.step.id}", policy: doc([{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "${aws_rds_cluster.c.master_user_secret[0].secret_arn}" }]) },
        api: { role: "${aws_iam_role.api.id}", policy: doc([{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "${aws_secretsmanager_secret.payments.arn}" }]) },
      },
    }),
  },
  PC009: {
    bad: stack("gcp", { google_sql_database_instance: { d: { database_version: "MYSQL_8_0", settings: { database_flags: [{ name: "local_infile", value: "on" }] } } } }),
    good: stack("gcp", { google_sql_database_instance: { d: { database_version: "MYSQL_8_0", settings: { database_flags: [{ name: "local_infile", value: "off" }] } } } }),
  },
  PC010: {
    bad: stack("aws", { aws_sqs_queue: { q: {} }, aws_cloudwatch_log_group: { l: { retention_in_days: 14 } } }),
    good: stack("aws", { aws_sqs_queue: { q: { sqs_managed_sse_enabled: true } }, aws_cloudwatch_log_group: { l: { kms_key_id: "k" } } }),
  },
  PC011: {
    bad: stack("aws", { aws_db_proxy: { p: { require_tls: false } } }),
    good: stack("aws", { aws_db_proxy: { p: { require_tls: true } } }),
  },
  PC012: {
    bad: stack("gcp", { google_compute_ssl_policy: { s: { min_tls_version: "TLS_1_0" } }, google_compute_target_https_proxy: { p: {} } }),
    good: stack("gcp", { google_compute_ssl_policy: { s: { min_tls_version: "TLS_1_2", profile: "MODERN" } }, google_compute_target_https_proxy: { p: { ssl_policy: "${google_compute_ssl_policy.s.id}" } } }),
  },
  PC013: {
    bad: stack("azure", { azurerm_function_app_flex_consumption: { f: { https_only: false } } }),
    good: stack("azure", { azurerm_function_app_flex_consumption: { f: { https_only: true } } }),
  },
  PC014: {
    bad: stack("aws", { aws_s3_bucket: { b: { bucket: "x" } }, aws_s3_bucket_public_access_block: { p: { bucket: "${aws_s3_bucket.b.id}", block_public_acls: true } } }),
    good: stack("aws", {
      aws_s3_bucket: { b: { bucket: "x" } },
      aws_s3_bucket_public_access_block: { p: { bucket: "${aws_s3_bucket.b.id}", block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true } },
      aws_s3_bucket_versioning: { v: { bucket: "${aws_s3_bucket.b.id}", versioning_configuration: { status: "Enabled" } } },
      aws_s3_bucket_server_side_encryption_configuration: { e: { bucket: "${aws_s3_bucket.b.id}", rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: "${aws_kms_key.k.arn}" } }] } },
    }),
  },
  PC015: {
    bad: stack("gcp", { google_kms_crypto_key: { k: { name: "k" } } }),
    good: stack("gcp", { google_kms_crypto_key: { k: { name: "k", rotation_period: "7776000s" } } }),
  },
  PC016: {
    bad: stack("gcp", { google_compute_firewall: { f: { source_ranges: ["0.0.0.0/0"], allow: [{ protocol: "tcp", ports: ["22"] }] } } }),
    good: stack("gcp", { google_compute_firewall: { f: { source_ranges: ["0.0.0.0/0"], allow: [{ protocol: "tcp", ports: ["443"] }] } } }),
  },
  PC017: {
    bad: stack("aws", { aws_subnet: { s: { cidr_block: "10.0.0.0/24", map_public_ip_on_launch: true } } }),
    good: stack("aws", { aws_subnet: { s: { cidr_block: "10.0.0.0/24", map_public_ip_on_launch: false } } }),
  },
  PC018: {
    bad: stack("gcp", { google_cloudfunctions2_function: { f: { service_config: { environment_variables: { DB_MAIN_HOST: "10.0.0.3", DB_MAIN_SSLMODE: "require" } } } } }),
    good: stack("gcp", { google_cloudfunctions2_function: { f: { service_config: { environment_variables: { DB_MAIN_HOST: "10.0.0.3", DB_MAIN_SSLMODE: "verify-full", DB_MAIN_SSLROOTCERT: "${google_sql_database_instance.i.server_ca_cert[0].cert}" } } } } }),
  },
  PC019: {
    bad: stack("aws", { aws_lb: { l: { load_balancer_type: "application", desync_mitigation_mode: "monitor" } } }),
    good: stack("aws", { aws_lb: { l: { load_balancer_type: "application", drop_invalid_header_fields: true, desync_mitigation_mode: "defensive" } } }),
  },
  PC020: {
    bad: stack("aws", { aws_apigatewayv2_stage: { s: {} } }),
    good: stack("aws", { aws_apigatewayv2_stage: { s: { access_log_settings: { destination_arn: "a", format: "{}" } } } }),
  },
  PC021: {
    bad: stack("aws", { aws_lambda_function: { f: { tracing_config: { mode: "PassThrough" } } } }),
    good: stack("aws", { aws_lambda_function: { f: { tracing_config: { mode: "Active" } } } }),
  },
  PC022: {
    bad: stack("aws", { aws_cloudwatch_log_group: { a: {}, b: { retention_in_days: 7 } } }),
    good: stack("aws", { aws_cloudwatch_log_group: { a: { retention_in_days: 14 } } }),
  },
  PC023: {
    bad: stack("aws", { aws_lambda_function: { f: { runtime: "python3.8" } } }),
    good: stack("aws", { aws_lambda_function: { f: { runtime: "python3.12" } } }),
  },
  PC030: {
    bad: stack("gcp", { google_compute_backend_service: { b: { security_policy: "${google_compute_security_policy.p.id}" } }, google_compute_security_policy: { p: { rule: [{ action: "allow" }] } } }),
    good: stack("gcp", { google_compute_backend_service: { b: { security_policy: "${google_compute_security_policy.p.id}" } }, google_compute_security_policy: { p: { rule: [{ action: "throttle" }] } } }),
  },
  PC031: {
    bad: stack("aws", { aws_lambda_function: { f: {} } }),
    good: stack("aws", { aws_lambda_function: { f: { reserved_concurrent_executions: 10 } } }),
  },
  PC032: {
    bad: stack("gcp", {
      google_pubsub_topic: { dlq: {} },
      google_pubsub_subscription: { s: { push_config: { push_endpoint: "https://x" }, dead_letter_policy: { dead_letter_topic: "${google_pubsub_topic.dlq.id}" } } },
    }),
    good: stack("gcp", {
      google_pubsub_topic: { dlq: {} },
      google_pubsub_subscription: {
        s: { push_config: { push_endpoint: "https://x" }, dead_letter_policy: { dead_letter_topic: "${google_pubsub_topic.dlq.id}" } },
        keep: { topic: "${google_pubsub_topic.dlq.id}", expiration_policy: { ttl: "" }, message_retention_duration: "1209600s" },
      },
    }),
  },
  PC033: {
    bad: stack("gcp", { google_monitoring_alert_policy: { a: { notification_channels: [] } } }),
    good: stack("gcp", { google_monitoring_alert_policy: { a: { notification_channels: ["c"] } }, google_monitoring_notification_channel: { c: { labels: { email_address: "a@b.io" } } } }),
  },
  PC034: {
    bad: stack("aws", {}),
    good: stack("aws", { aws_budgets_budget: { b: { notification: [{ threshold: 80 }] } } }),
  },
  PC040: {
    bad: stack("aws", { aws_lambda_function: { f: { environment: { variables: { DB_PASSWORD: "hunter2" } } } } }),
    good: stack("aws", { aws_lambda_function: { f: { environment: { variables: { DB_PASSWORD_SECRET_ARN: "${aws_secretsmanager_secret.s.arn}", TOKEN_URL: "${aws_x.y.z}" } } } } }),
  },
  PC041: {
    bad: stack("aws", { aws_sqs_queue: { q: { tags: { environment: "prod" } } } }, awsTags),
    good: stack("aws", { aws_sqs_queue: { q: { tags: { component: "queue" } } } }, awsTags),
  },
  PC050: {
    bad: stack("aws", {}, { terraform: { backend: { s3: { bucket: "b", key: "k", encrypt: false } } } }),
    good: stack("aws", {}, { terraform: { backend: { s3: { bucket: "b", key: "k", encrypt: true, use_lockfile: true } } } }),
  },
  PC060: {
    bad: stack("aws", { aws_rds_cluster: { d: { deletion_protection: false, skip_final_snapshot: true } } }, {}, "prod"),
    good: stack("aws", { aws_rds_cluster: { d: { deletion_protection: true, skip_final_snapshot: false, backup_retention_period: 35, lifecycle: { prevent_destroy: true } } } }, {}, "prod"),
  },
  PC061: {
    bad: { ...stack("gcp", { google_storage_bucket: { b: { lifecycle_rule: [{ action: { type: "Delete" }, condition: { age: 30 } }] } } }, {}, "prod"), retention: { logDays: 365, archiveDays: 365, backupDays: 35 } },
    good: { ...stack("gcp", { google_storage_bucket: { b: { lifecycle_rule: [{ action: { type: "Delete" }, condition: { age: 400 } }] } } }, {}, "prod"), retention: { logDays: 365, archiveDays: 365, backupDays: 35 } },
  },
};

describe.each(POLICY_RULES.map((r) => [r.id, r] as const))("%s", (id, rule) => {
  test("has a failing and a passing fixture", () => {
    const f = FIXTURES[id];
    expect(f).toBeDefined();
    expect(rule.check(f.bad).length).toBeGreaterThan(0);
    expect(rule.check(f.good)).toEqual([]);
    // Every finding names a condition the rule declares (or is a cannot-evaluate note).
    for (const v of rule.check(f.bad)) expect([...Object.keys(rule.conditions), "cannot-evaluate"]).toContain(v.condition);
  });
  test("is documented, condition by condition", () => {
    expect(rule.title.length).toBeGreaterThan(15);
    expect(rule.rationale.length).toBeGreaterThan(15);
    expect(rule.fix.length).toBeGreaterThan(10);
    expect(Object.keys(rule.conditions).length).toBeGreaterThan(0);
    for (const [key, c] of Object.entries(rule.conditions)) {
      expect(key).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(key).not.toBe("cannot-evaluate");
      expect(c.title.length).toBeGreaterThan(10);
      for (const check of c.checks ?? []) expect(check).toMatch(/^(CKV2?_(AWS|GCP|AZURE)_\d+|AVD-(AWS|GCP|AZU)-\d{4})$/);
    }
  });
});

test("PC008 on each cloud: the proxy holding the master secret; another workload running as the admin service account; an Entra administrator that is not the step's identity", () => {
  const rule = POLICY_RULES.find((r) => r.id === "PC008")!;
  const msgs = (s: PolicyStack) => rule.check(s).map((v) => `${v.address}: ${v.message}`);
  expect(msgs(stack("aws", { aws_rds_cluster: { c: { manage_master_user_password: true } }, aws_db_proxy: { p: { auth: [{ auth_scheme: "SECRETS", secret_arn: "${aws_rds_cluster.c.master_user_secret[0].secret_arn}" }] } } })))
    .toEqual(["aws_db_proxy.p: the proxy holds the master user's secret (auth.secret_arn)"]);
  const gcp = (extra: object) => stack("gcp", {
    google_cloudfunctions2_function: {
      step: { service_config: { service_account_email: "${google_service_account.admin.email}", environment_variables: { POLYCLOUD_MIGRATE_DATABASE: "main" } } },
      api: { service_config: { service_account_email: "${google_service_account.api.email}" } },
    },
    ...extra,
  });
  expect(msgs(gcp({}))).toEqual([]);
  expect(msgs(gcp({ google_cloud_run_v2_job: { j: { template: { template: { service_account: "${google_service_account.admin.email}" } } } }, google_service_account_iam_member: { m: { service_account_id: "${google_service_account.admin.name}", role: "roles/iam.serviceAccountTokenCreator" } } })))
    .toEqual(["google_cloud_run_v2_job.j: runs as google_service_account.admin, the database admin's service account", "google_service_account_iam_member.m: grants roles/iam.serviceAccountTokenCreator on google_service_account.admin, the database admin's service account"]);
  const azure = (objectId: string) => stack("azure", {
    azurerm_function_app_flex_consumption: { step: { identity: { identity_ids: ["${azurerm_user_assigned_identity.step.id}"] }, app_settings: { POLYCLOUD_MIGRATE_DATABASE: "main" } }, api: { identity: { identity_ids: ["${azurerm_user_assigned_identity.api.id}"] }, app_settings: {} } },
    azurerm_postgresql_flexible_server_active_directory_administrator: { a: { object_id: objectId } },
  });
  expect(msgs(azure("${azurerm_user_assigned_identity.step.principal_id}"))).toEqual([]);
  expect(msgs(azure("${azurerm_user_assigned_identity.api.principal_id}"))).toEqual(["azurerm_postgresql_flexible_server_active_directory_administrator.a: the Entra administrator azurerm_user_assigned_identity.api is used by azurerm_function_app_flex_consumption.api, not by the migration step alone"]);
  expect(msgs(azure("${data.azurerm_client_config.current.object_id}"))).toEqual(["azurerm_postgresql_flexible_server_active_directory_administrator.a: the Entra administrator is not a managed identity of the stack (the deploying identity or a literal object id)"]);
});

test("the dead-letter rule also catches a DLQ topic nobody subscribes to (dead letters dropped)", () => {
  expect(FIXTURES.PC032 && POLICY_RULES.find((r) => r.id === "PC032")!.check(FIXTURES.PC032.bad)[0].message).toMatch(/no never-expiring pull subscription/);
});

test("an HTTP listener that only redirects to HTTPS passes PC013; one that serves a backend does not", () => {
  const rule = POLICY_RULES.find((r) => r.id === "PC013")!;
  const listener = (map: object) => stack("gcp", {
    google_compute_global_forwarding_rule: { http: { port_range: "80", target: "${google_compute_target_http_proxy.p.id}" } },
    google_compute_target_http_proxy: { p: { url_map: "${google_compute_url_map.m.id}" } },
    google_compute_url_map: { m: map },
  });
  expect(rule.check(listener({ default_url_redirect: { https_redirect: true, redirect_response_code: "MOVED_PERMANENTLY_DEFAULT" } }))).toEqual([]);
  expect(rule.check(listener({ default_service: "${google_compute_backend_service.b.id}" }))).toHaveLength(1);
  expect(rule.check(listener({ default_url_redirect: { https_redirect: false } }))).toHaveLength(1);
});

test("PC002 accepts ingress ALLOW_ALL only for an API Gateway backend nobody may invoke anonymously", () => {
  const rule = POLICY_RULES.find((r) => r.id === "PC002")!;
  const fn = { google_cloudfunctions2_function: { f: { service_config: { ingress_settings: "ALLOW_ALL" } } } };
  const config = (address: string) => ({ google_api_gateway_api_config: { c: { openapi_documents: [{ document: { contents: `\${base64encode(jsonencode({"paths" = {"/a" = {"get" = {"x-google-backend" = {"address" = ${address}.service_config[0].uri}}}}}))}` } }] } } });
  const invoker = (member: string) => ({ google_cloud_run_v2_service_iam_member: { i: { member, name: "${google_cloudfunctions2_function.f.service_config[0].service}" } } });
  expect(rule.check(stack("gcp", { ...fn, ...config("google_cloudfunctions2_function.f"), ...invoker("serviceAccount:${google_service_account.gw.email}") }))).toEqual([]);
  expect(rule.check(stack("gcp", { ...fn, ...config("google_cloudfunctions2_function.f"), ...invoker("allUsers") })).map((f) => f.message)).toContain("ingress ALLOW_ALL (allowed only for an API Gateway backend without public invokers)");
  expect(rule.check(stack("gcp", { ...fn, ...config("google_cloudfunctions2_function.other") }))).toHaveLength(1);
});

test("prod rules do not apply to dev, so dev can be torn down", () => {
  const rule = POLICY_RULES.find((r) => r.id === "PC060")!;
  expect(rule.check({ ...FIXTURES.PC060.bad, environment: "dev", name: "dev-aws" })).toEqual([]);
});

test("a suppression without a justification is itself a finding, and never hides anything", () => {
  const bad = FIXTURES.PC021.bad;
  const entry = { condition: "PC021.pass-through", target: "aws_lambda_function.f", stacks: ["dev-aws"] };
  const result = runPolicy([bad], [{ ...entry, justification: "" }]);
  const relevant = (fs: readonly { rule: string }[]) => fs.filter((f) => f.rule === "PC000" || f.rule === "PC021");
  expect(relevant(result.findings).map((f: any) => [f.condition, !!f.suppressed])).toEqual([["PC000.no-justification", false], ["PC021.pass-through", false]]);
  const ok = runPolicy([bad], [{ ...entry, justification: "tracing is disabled for this benchmark function on purpose" }]);
  expect(relevant(ok.findings)).toEqual([expect.objectContaining({ condition: "PC021.pass-through", suppressed: expect.stringMatching(/on purpose/) })]);
  expect(failing(relevant(ok.findings) as any, "low")).toEqual([]);
});

test("a suppression accepts one condition: another condition on the same resource still fails the run", () => {
  const s = stack("azure", { azurerm_servicebus_namespace: { b: { sku: "Standard", minimum_tls_version: "1.2" } } });
  const accepted = { condition: "PC006.public-network", target: "azurerm_servicebus_namespace.b", stacks: ["dev-azure"], justification: "Standard tier has no private endpoints; Entra ID only (local auth off)" };
  const pc006 = (r: ReturnType<typeof runPolicy>) => r.findings.filter((f) => f.rule === "PC006").map((f) => `${f.condition}${f.suppressed ? " (suppressed)" : ""}`);
  expect(pc006(runPolicy([s], [accepted]))).toEqual(["PC006.local-auth", "PC006.public-network (suppressed)"]);
  const off = stack("azure", { azurerm_servicebus_namespace: { b: { sku: "Standard", minimum_tls_version: "1.2", local_auth_enabled: false } } });
  expect(pc006(runPolicy([off], [accepted]))).toEqual(["PC006.public-network (suppressed)"]);
  // Nothing for the accepted condition any more: the entry is reported as unused.
  const closed = stack("azure", { azurerm_servicebus_namespace: { b: { sku: "Premium", minimum_tls_version: "1.2", local_auth_enabled: false, public_network_access_enabled: false } } });
  expect(runPolicy([closed], [accepted]).unusedSuppressions).toEqual([accepted]);
});

test("suppression entries that cannot be applied are findings: the old rule+address format, unknown conditions, missing target or stacks", () => {
  const bad = FIXTURES.PC021.bad;
  const result = runPolicy([bad], [
    { rule: "PC021", stack: "dev-aws", address: "aws_lambda_function.f", justification: "the format before conditions accepted a whole rule" } as any,
    { condition: "PC021", target: "aws_lambda_function.f", stacks: ["dev-aws"], justification: "a rule id is not a condition id" },
    { condition: "PC021.pass-through", target: "", stacks: [], justification: "neither a target nor stacks are named" },
  ]);
  expect(result.findings.filter((f) => f.rule === "PC000").map((f) => f.condition)).toEqual(["PC000.old-format", "PC000.unknown-condition", "PC000.malformed"]);
  expect(result.findings.filter((f) => f.rule === "PC021").every((f) => !f.suppressed)).toBe(true);
  expect(failing(result.findings, "high").filter((f) => f.rule === "PC000" || f.rule === "PC021")).toHaveLength(3);
});

test("SARIF output validates against the SARIF 2.1.0 schema, one reporting descriptor per condition", () => {
  const all = Object.values(FIXTURES).map((f) => f.bad);
  const result = runPolicy(all, [{ condition: "PC021.pass-through", target: "aws_lambda_function.f", stacks: ["dev-aws"], justification: "a justified suppression shows up as accepted in SARIF" }]);
  const sarif = toSarif(result.findings) as any;
  expect(sarif).toBeValidSarifLog();
  expect(sarif.runs[0].results.length).toBe(result.findings.length);
  const ids: string[] = sarif.runs[0].tool.driver.rules.map((r: any) => r.id);
  expect(ids).toEqual(expect.arrayContaining(POLICY_RULES.flatMap((r) => [...Object.keys(r.conditions), "cannot-evaluate"].map((k) => `${r.id}.${k}`))));
  expect(new Set(ids).size).toBe(ids.length);
  // Every result names a declared condition; the rule is a property.
  for (const r of sarif.runs[0].results) {
    expect(ids).toContain(r.ruleId);
    expect(r.ruleId.startsWith(`${r.properties.rule}.`)).toBe(true);
  }
  expect(sarif.runs[0].results.find((r: any) => r.ruleId === "PC006.local-auth")?.properties.checks).toEqual(["CKV_AZURE_203"]);
  expect(sarif.runs[0].results.some((r: any) => r.suppressions?.[0]?.status === "accepted")).toBe(true);
});

test("docs/policy.md lists the rule set and the scanner coverage (generated; run `npm run policy:table` after changing either)", () => {
  expect(readDocSection("policy")).toBe(policyTable());
  expect(readDocSection("scanners")).toBe(scannerTable());
});

describe("faults a team's own Terraform injects", () => {
  const rule = (id: string) => POLICY_RULES.find((r) => r.id === id)!;
  const messages = (id: string, s: PolicyStack) => rule(id).check(s).map((v) => `${v.address}: ${v.message}`);

  test("a Service Bus namespace with local (SAS key) auth left at the provider default is a finding", () => {
    const ns = { sku: "Premium", public_network_access_enabled: false };
    expect(messages("PC006", stack("azure", { azurerm_servicebus_namespace: { b: ns } }))).toEqual(["azurerm_servicebus_namespace.b: local (key/SAS) authentication enabled (the provider default)"]);
    expect(messages("PC006", stack("azure", { azurerm_servicebus_namespace: { b: { ...ns, local_auth_enabled: true } } }))).toHaveLength(1);
    expect(messages("PC006", stack("azure", { azurerm_eventgrid_topic: { t: { public_network_access_enabled: false } } }))).toEqual([expect.stringMatching(/local .* authentication enabled/)]);
  });

  test("an Azure resource whose tags were removed is a finding (taggability from the provider bindings)", () => {
    const tags = { environment: "dev", service: "s", owner: "o", cost_center: "c", managed_by: "cdktf" };
    const tagged = stack("azure", { azurerm_key_vault: { v: { tags } }, azurerm_role_assignment: { r: { role_definition_name: "Reader" } } });
    expect(rule("PC041").check(tagged)).toEqual([]);
    const stripped = stack("azure", { azurerm_key_vault: { v: {} }, azurerm_role_assignment: { r: {} } });
    expect(messages("PC041", stripped)).toEqual(expect.arrayContaining(["azurerm_key_vault.v: no tags at all (missing environment)"]));
    expect(messages("PC041", stripped).every((m) => m.startsWith("azurerm_key_vault.v"))).toBe(true);
  });

  test("tags given as an expression are a cannot-evaluate note, not a crash, and never hide other findings", () => {
    const s = stack("aws", { aws_sqs_queue: { q: { tags: "${merge(var.tags, { a = \"b\" })}" }, r: { tags: "${var.tags}" } }, aws_lambda_function: { f: { tracing_config: { mode: "PassThrough" } } } }, awsTags);
    const result = runPolicy([s]);
    expect(result.findings.filter((f) => f.rule === "PC041")).toEqual([
      expect.objectContaining({ address: "aws_sqs_queue.q", note: true, message: "cannot evaluate: tags is an expression" }),
      expect.objectContaining({ address: "aws_sqs_queue.r", note: true }),
    ]);
    expect(result.findings).toContainEqual(expect.objectContaining({ rule: "PC021", address: "aws_lambda_function.f" }));
    expect(result.findings).toContainEqual(expect.objectContaining({ rule: "PC010", address: "aws_sqs_queue.q" }));
    expect(failing(result.findings.filter((f) => f.rule === "PC041"), "low")).toEqual([]);
    expect(failing(result.findings.filter((f) => f.rule === "PC041"), "low", true)).toHaveLength(2);
  });

  test("unset Cloud Functions ingress is ALLOW_ALL (the provider default), gen1 and gen2", () => {
    expect(messages("PC002", stack("gcp", { google_cloudfunctions2_function: { f: { service_config: {} } }, google_cloudfunctions_function: { g: {} } })))
      .toEqual(["google_cloudfunctions2_function.f: ingress unset (ALLOW_ALL)", "google_cloudfunctions_function.g: ingress unset (ALLOW_ALL)"]);
  });

  test("an API Gateway v1 stage is throttled only by */* method settings on that stage", () => {
    const stage = { aws_api_gateway_stage: { s: { stage_name: "v1", rest_api_id: "a" } } };
    expect(messages("PC030", stack("aws", stage))).toEqual(["aws_api_gateway_stage.s: no */* method settings with throttling"]);
    const settings = (method_path: string) => ({ aws_api_gateway_method_settings: { m: { stage_name: "${aws_api_gateway_stage.s.stage_name}", method_path, settings: { throttling_rate_limit: 50, throttling_burst_limit: 100 } } } });
    expect(messages("PC030", stack("aws", { ...stage, ...settings("*/*") }))).toEqual([]);
    expect(messages("PC030", stack("aws", { ...stage, ...settings("orders/GET") }))).toHaveLength(1);
  });

  test("unset Azure storage and Service Bus minimum TLS is a finding, as CKV_AZURE_44/205 read it (not the provider major's default)", () => {
    const found = runPolicy([stack("azure", {
      azurerm_storage_account: { unset: {}, old: { min_tls_version: "TLS1_0" }, ok: { min_tls_version: "TLS1_2" } },
      azurerm_servicebus_namespace: { unset: {}, old: { minimum_tls_version: "1.0" }, ok: { minimum_tls_version: "1.2" } },
    })]).findings.filter((f) => f.rule === "PC012");
    expect(found.map((f) => `${f.address} ${f.checks.join(",")}`).sort()).toEqual([
      "azurerm_servicebus_namespace.old CKV_AZURE_205", "azurerm_servicebus_namespace.unset CKV_AZURE_205",
      "azurerm_storage_account.old CKV_AZURE_44,AVD-AZU-0011,AVD-AZU-0059", "azurerm_storage_account.unset CKV_AZURE_44,AVD-AZU-0011,AVD-AZU-0059",
    ]);
  });

  test("Cloud SQL: an authorized network ending in /0, static or dynamic, is CKV_GCP_11; ENCRYPTED_ONLY passes PC011, which does not cite CKV_GCP_6", () => {
    const sql = (ip: object) => stack("gcp", { google_sql_database_instance: { d: { settings: { ip_configuration: { ipv4_enabled: false, ssl_mode: "ENCRYPTED_ONLY", ...ip } } } } });
    expect(rule("PC003").conditions["open-network"].checks).toEqual(["CKV_GCP_11"]);
    expect(rule("PC003").check(sql({ authorized_networks: [{ value: "0.0.0.0/0" }] }))).toContainEqual(expect.objectContaining({ condition: "open-network" }));
    expect(rule("PC003").check(sql({ dynamic: { authorized_networks: { for_each: "${var.n}", content: { value: "::/0" } } } }))).toContainEqual(expect.objectContaining({ condition: "open-network" }));
    expect(rule("PC003").check(sql({ authorized_networks: [{ value: "10.0.0.0/8" }] }))).toEqual([]);
    expect(Object.values(rule("PC011").conditions).flatMap((c) => c.checks ?? [])).not.toContain("CKV_GCP_6");
    expect(rule("PC011").check(sql({}))).toEqual([]);
    expect(messages("PC011", sql({ ssl_mode: "ALLOW_UNENCRYPTED_AND_ENCRYPTED" }))).toEqual(["google_sql_database_instance.d: ssl_mode ALLOW_UNENCRYPTED_AND_ENCRYPTED"]);
  });

  test("an AWS-managed key alias is not a customer-managed key", () => {
    expect(messages("PC010", stack("aws", { aws_secretsmanager_secret: { s: { kms_key_id: "alias/aws/secretsmanager" } }, aws_sns_topic: { t: { kms_master_key_id: "alias/aws/sns" } } })))
      .toEqual(["aws_sns_topic.t: AWS-managed key alias/aws/sns, not a customer-managed key", "aws_secretsmanager_secret.s: encrypted with the default aws/secretsmanager key"]);
    expect(messages("PC010", stack("aws", { aws_dynamodb_table: { d: { server_side_encryption: { enabled: true, kms_key_arn: "arn:aws:kms:eu-west-1:111122223333:alias/aws/dynamodb" } } } }))).toHaveLength(1);
  });

  test("IAM: jsonencode of a literal, every identity policy type, a statement without Effect, wildcard-only actions", () => {
    const encoded = '${jsonencode({\n  Version = "2012-10-17"\n  Statement = [{\n    Action = ["s3:GetObject"],\n    Resource = "*"\n  }]\n})}';
    const s = stack("aws", {
      aws_iam_user_policy: { u: { user: "x", policy: encoded } },
      aws_iam_group_policy: { g: { group: "x", policy: doc([{ Effect: "Allow", Action: "*", Resource: "arn:aws:s3:::b" }]) } },
      aws_iam_role_policy: { ok: { policy: doc([{ Effect: "Allow", Action: ["xray:PutTraceSegments", "ec2:DescribeNetworkInterfaces", "s3:ListAllMyBuckets"], Resource: "*" }]) } },
      aws_iam_policy: { data: { policy: "${data.aws_iam_policy_document.x.json}" } },
    });
    const found = rule("PC001").check(s);
    expect(found.filter((v) => v.address === "aws_iam_user_policy.u").map((v) => `${v.condition}: ${v.message}`)).toEqual([
      "no-effect: statement #1 has no Effect (AWS rejects the document)", "resource-wildcard: statement #1 allows s3:GetObject on every resource",
      "data-exfiltration: allows s3:GetObject on every resource",
    ]);
    expect(found).toContainEqual(expect.objectContaining({ address: "aws_iam_group_policy.g", condition: "every-action" }));
    expect(found.filter((v) => v.address === "aws_iam_role_policy.ok")).toEqual([]);
    expect(found).toContainEqual({ address: "aws_iam_policy.data", condition: "cannot-evaluate", message: "cannot evaluate: policy is not a literal policy document", unevaluated: "policy" });
  });
});

/** Every condition of a rule that `resources` makes it find, as `<condition> <address>`. */
const found = (id: string, s: PolicyStack) => POLICY_RULES.find((r) => r.id === id)!.check(s).filter((v) => v.condition !== "cannot-evaluate").map((v) => `${v.condition} ${v.address}`).sort();
const prod = (cloud: Cloud, resource: TerraformJson["resource"], extra: Partial<TerraformJson> = {}) => ({ ...stack(cloud, resource, extra, "prod"), retention: { logDays: 365, archiveDays: 365, backupDays: 35 } });

describe("conditions that cover checkov's and trivy's HIGH and CRITICAL checks", () => {
  test("PC001: what an identity can do beyond its resources (cloudsplaining's lists), data documents, queue policies, GCP hierarchy roles, Azure custom roles", () => {
    const escalate = doc([{ Effect: "Allow", Action: ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], Resource: "*" }]);
    expect(found("PC001", stack("aws", { aws_iam_policy: { p: { policy: escalate } } }))).toEqual(expect.arrayContaining(["privilege-escalation aws_iam_policy.p", "write-access aws_iam_policy.p"]));
    expect(found("PC001", stack("aws", { aws_iam_policy: { p: { policy: doc([{ Effect: "Allow", Action: "iam:CreateAccessKey", Resource: "*" }]) } } })))
      .toEqual(expect.arrayContaining(["credentials-exposure aws_iam_policy.p", "privilege-escalation aws_iam_policy.p"]));
    // ecr:GetAuthorizationToken is excluded, as checkov excludes it; a Condition takes a statement out of the analysis.
    expect(found("PC001", stack("aws", { aws_iam_policy: { p: { policy: doc([{ Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" }]) } } }))).toEqual([]);
    expect(found("PC001", stack("aws", { aws_iam_policy: { p: { policy: doc([{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "*", Condition: { StringEquals: { "aws:ResourceTag/team": "a" } } }]) } } }))).toEqual(["resource-wildcard-conditional aws_iam_policy.p"]);
    // A policy-document data source is judged on the data source, and the resource that uses it is not a note.
    const data = { data: { aws_iam_policy_document: { d: { statement: [{ actions: ["*"], resources: ["*"] }] } } } };
    expect(found("PC001", stack("aws", { aws_iam_policy: { p: { policy: "${data.aws_iam_policy_document.d.json}" } } }, data))).toEqual(expect.arrayContaining(["admin data.aws_iam_policy_document.d", "every-action data.aws_iam_policy_document.d"]));
    expect(POLICY_RULES.find((r) => r.id === "PC001")!.check(stack("aws", { aws_iam_policy: { p: { policy: "${data.aws_iam_policy_document.d.json}" } } }, data)).filter((v) => v.address === "aws_iam_policy.p")).toEqual([]);
    expect(found("PC001", stack("aws", { aws_sqs_queue_policy: { q: { policy: doc([{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:role/x" }, Action: "sqs:*", Resource: "*" }]) } } }))).toEqual(["queue-policy-any-action aws_sqs_queue_policy.q"]);
    expect(found("PC001", stack("gcp", {
      google_folder_iam_member: { f: { role: "roles/editor", member: "user:a@b.io" } },
      google_project_iam_member: { a: { role: "roles/storage.admin", member: "serviceAccount:x@p.iam.gserviceaccount.com" }, c: { role: "roles/storage.objectAdmin", member: "serviceAccount:x@p.iam.gserviceaccount.com", condition: { title: "one bucket", expression: "resource.name.startsWith(\"projects/_/buckets/b\")" } } },
    }))).toEqual(["admin-role google_project_iam_member.a", "basic-role google_folder_iam_member.f"]);
    expect(found("PC001", stack("azure", { azurerm_role_definition: { r: { permissions: [{ actions: ["*"] }] } } }))).toEqual(["custom-owner-role azurerm_role_definition.r"]);
  });

  test("PC007: trust for anyone, a whole account or any GitHub repository; workload identity without a condition; impersonation across a project; default service accounts", () => {
    const github = (sub?: string) => ({ Effect: "Allow", Principal: { Federated: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }, Action: "sts:AssumeRoleWithWebIdentity", ...(sub ? { Condition: { StringLike: { "token.actions.githubusercontent.com:sub": sub } } } : {}) });
    expect(found("PC007", stack("aws", { aws_iam_role: {
      any: { assume_role_policy: doc([{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }]) },
      gh: { assume_role_policy: doc([github()]) }, ghWild: { assume_role_policy: doc([github("repo:myOrg*")]) }, ghOk: { assume_role_policy: doc([github("repo:myOrg/myRepo:ref:refs/heads/main")]) },
    } }))).toEqual(["assume-any aws_iam_role.any", "github-oidc aws_iam_role.gh", "github-oidc aws_iam_role.ghWild"]);
    // An account root in a key or bucket policy document is normal: only trust statements are judged for it.
    expect(found("PC007", stack("aws", {}, { data: { aws_iam_policy_document: { kms: { statement: [{ actions: ["kms:*"], resources: ["*"], principals: [{ type: "AWS", identifiers: ["arn:aws:iam::123456789012:root"] }] }] } } } }))).toEqual([]);
    expect(found("PC007", stack("gcp", {
      google_iam_workload_identity_pool_provider: { open: { oidc: { issuer_uri: "https://token.actions.githubusercontent.com" } }, repo: { attribute_condition: "assertion.repository == 'org/app'", oidc: { issuer_uri: "https://token.actions.githubusercontent.com" } } },
      google_project_iam_member: { tc: { role: "roles/iam.serviceAccountTokenCreator", member: "user:a@b.io" }, dflt: { role: "roles/logging.logWriter", member: "serviceAccount:123-compute@developer.gserviceaccount.com" } },
    }))).toEqual(["default-service-account google_project_iam_member.dflt", "impersonation google_project_iam_member.tc", "workload-identity-open google_iam_workload_identity_pool_provider.open"]);
  });

  test("PC004, PC005, PC014: managed policies looked up or attached, access keys, public snapshots, datasets, policies and ACLs", () => {
    expect(found("PC004", stack("aws", { aws_iam_user: { root: { name: "root" } }, aws_iam_access_key: { k: { user: "${aws_iam_user.root.name}" }, u: { user: "deploy" } }, aws_iam_role_policy_attachment: { a: { policy_arn: "arn:aws:iam::aws:policy/IAMFullAccess" } } },
      { data: { aws_iam_policy: { admin: { name: "AdministratorAccess" } } } })))
      .toEqual(["administrator-access data.aws_iam_policy.admin", "iam-full-access aws_iam_role_policy_attachment.a", "root-access-key aws_iam_access_key.k", "user-access-key aws_iam_access_key.u"]);
    expect(found("PC005", stack("gcp", {
      google_bigquery_dataset: { d: { access: [{ role: "READER", special_group: "allAuthenticatedUsers" }] } },
      google_kms_crypto_key_iam_policy: { p: { policy_data: "${data.google_iam_policy.open.policy_data}" } },
    }, { data: { google_iam_policy: { open: { binding: [{ role: "roles/cloudkms.cryptoKeyDecrypter", members: ["allUsers"] }] } } } })))
      .toEqual(["member-public google_bigquery_dataset.d", "member-public google_kms_crypto_key_iam_policy.p"]);
    expect(found("PC005", stack("aws", { aws_db_snapshot: { s: { shared_accounts: ["all"] } } }))).toEqual(["snapshot-public aws_db_snapshot.s"]);
    const bucket = { bucket: "x" };
    expect(found("PC014", stack("aws", { aws_s3_bucket: { b: bucket }, aws_s3_bucket_acl: { a: { bucket: "${aws_s3_bucket.b.id}", acl: "public-read-write" } } })).filter((f) => f.startsWith("public")))
      .toEqual(["public-read aws_s3_bucket.b", "public-write aws_s3_bucket.b"]);
    const grant = { access_control_policy: [{ grant: [{ grantee: [{ type: "Group", uri: "http://acs.amazonaws.com/groups/global/AllUsers" }], permission: "READ_ACP" }] }] };
    expect(found("PC014", stack("aws", { aws_s3_bucket_acl: { a: grant } }))).toEqual(["public-acl-read aws_s3_bucket_acl.a"]);
  });

  test("PC010–PC013: caches, SSM, Performance Insights, load balancers, CloudFront, Application Gateway, API Management backends, Event Hubs", () => {
    expect(found("PC010", stack("aws", {
      aws_elasticache_replication_group: { c: {} }, aws_ssm_parameter: { p: { type: "SecureString" } }, aws_db_instance: { d: { storage_encrypted: true, performance_insights_enabled: true } },
      aws_api_gateway_method_settings: { m: { settings: { caching_enabled: true } } },
    }))).toEqual(["no-cmk aws_db_instance.d", "no-cmk aws_ssm_parameter.p", "not-encrypted aws_api_gateway_method_settings.m", "not-encrypted aws_elasticache_replication_group.c"]);
    expect(found("PC011", stack("aws", { aws_elasticache_replication_group: { c: { transit_encryption_enabled: false } } }))).toEqual(["cache-tls-off aws_elasticache_replication_group.c"]);
    expect(found("PC012", stack("aws", { aws_lb_listener: { unset: { protocol: "HTTPS" }, old: { protocol: "HTTPS", ssl_policy: "ELBSecurityPolicy-TLS-1-1-2017-01" }, ok: { protocol: "HTTPS", ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06" } } })))
      .toEqual(["min-tls aws_lb_listener.old", "min-tls aws_lb_listener.unset", "weak-ciphers aws_lb_listener.old", "weak-ciphers aws_lb_listener.unset"]);
    expect(found("PC013", stack("aws", {
      aws_lb_listener: { http: { protocol: "HTTP", default_action: [{ type: "forward" }] }, redirect: { protocol: "HTTP", default_action: [{ type: "redirect", redirect: { protocol: "HTTPS" } }] } },
      aws_cloudfront_distribution: { cf: { default_cache_behavior: { viewer_protocol_policy: "allow-all" } } },
    }))).toEqual(["plain-http aws_cloudfront_distribution.cf", "plain-http aws_lb_listener.http"]);
    expect(found("PC013", stack("azure", { azurerm_api_management_backend: { b: { url: "http://fn.example" } } }))).toEqual(["plain-http azurerm_api_management_backend.b"]);
    expect(found("PC012", stack("azure", { azurerm_eventhub_namespace: { e: { minimum_tls_version: "1.0" } } }))).toEqual(["min-tls azurerm_eventhub_namespace.e"]);
  });

  test("PC015, PC016, PC019: rotation and expiry, egress and NACLs, malformed traffic and threat intelligence", () => {
    expect(found("PC015", stack("aws", { aws_secretsmanager_secret_rotation: { long: { rotation_rules: { automatically_after_days: 180 } }, rate: { rotation_rules: { schedule_expression: "rate(30 days)" } } } }))).toEqual(["rotation-period aws_secretsmanager_secret_rotation.long"]);
    expect(found("PC015", stack("azure", { azurerm_key_vault_key: { k: {} }, azurerm_key_vault_secret: { s: { expiration_date: "2027-01-01T00:00:00Z" } } }))).toEqual(["key-expiry azurerm_key_vault_key.k"]);
    expect(found("PC016", stack("aws", {
      aws_vpc_security_group_egress_rule: { out: { cidr_ipv4: "0.0.0.0/0", ip_protocol: "-1" }, scoped: { referenced_security_group_id: "${aws_security_group.db.id}", from_port: 5432, to_port: 5432 } },
      aws_network_acl_rule: { all: { egress: false, protocol: "-1", rule_action: "allow", cidr_block: "0.0.0.0/0", from_port: 80, to_port: 80 } },
    }))).toEqual(["all-ports-open aws_network_acl_rule.all", "egress-open aws_vpc_security_group_egress_rule.out"]);
    expect(found("PC019", stack("azure", { azurerm_firewall: { f: {} }, azurerm_firewall_policy: { p: { intrusion_detection: { mode: "Alert" } } } }))).toEqual(["idps azurerm_firewall_policy.p", "threat-intel azurerm_firewall.f"]);
  });

  test("PC040, PC060, PC061: provider credentials, Spanner and MySQL recovery, expiry and backups against the environment's retention, soft delete", () => {
    expect(found("PC040", stack("aws", {}, { provider: { aws: [{ region: "eu-west-1", access_key: "AKIAABCDEFGHIJKLMNOP", secret_key: "x" }] } as never }))).toEqual(["provider-credentials provider.aws"]);
    expect(found("PC060", prod("gcp", { google_spanner_database: { s: { deletion_protection: false, lifecycle: { prevent_destroy: true } } } }))).toEqual(["deletion-protection google_spanner_database.s", "drop-protection google_spanner_database.s"]);
    expect(found("PC061", prod("aws", {
      aws_s3_bucket_lifecycle_configuration: { l: { bucket: "${aws_s3_bucket.b.id}", rule: [{ status: "Enabled", expiration: { days: 30 }, noncurrent_version_expiration: { noncurrent_days: 7 } }] } },
      aws_rds_cluster: { c: { backup_retention_period: 7 } }, aws_cloudwatch_event_archive: { a: { retention_days: 0 } },
    }))).toEqual(["backup-retention aws_rds_cluster.c", "object-expiry aws_s3_bucket.b", "object-expiry aws_s3_bucket.b"]);
    expect(found("PC061", stack("azure", { azurerm_storage_account: { s: {} } }))).toEqual(["soft-delete azurerm_storage_account.s"]);
    // Without the environment's retention only soft delete is judged.
    expect(found("PC061", stack("aws", { aws_rds_cluster: { c: { backup_retention_period: 1 } } }))).toEqual([]);
  });
});
