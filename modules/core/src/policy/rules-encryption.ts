import { PolicyRule, Violation } from "./types";
import { R, block, blocks, bool, isExpression, isObject, list, refAddress, resources, str } from "./json";
import { TerraformJson } from "../capabilities";

/** An AWS-managed key (`alias/aws/...`, or its ARN) is not a customer-managed key. */
export const isAwsManagedKey = (v: unknown): boolean => typeof v === "string" && /(^|:)alias\/aws\//.test(v);
const cmk = (v: unknown): boolean => (typeof v === "string" && v.length > 0 && !isAwsManagedKey(v)) || (v !== undefined && v !== null && typeof v !== "string" && v !== false);

/** A GCP HTTP listener whose URL map only redirects to HTTPS (no backend ever served in clear text). */
function redirectsToHttps(json: TerraformJson, rule: R): boolean {
  const lookup = (ref: unknown): R | undefined => {
    const address = refAddress(ref);
    if (!address) return undefined;
    const [type, name] = address.split(".");
    const found = (json.resource as R | undefined)?.[type]?.[name];
    return isObject(found) ? found : undefined;
  };
  const map = lookup(lookup(rule.target)?.url_map);
  return !!map && bool(block(map.default_url_redirect).https_redirect) === true && !map.default_service && !map.path_matcher && !map.host_rule;
}

export const ENCRYPTION_AT_REST: PolicyRule = {
  id: "PC010",
  severity: "high",
  title: "Queues, topics, logs, secrets, tables and databases are encrypted at rest with a managed or customer key",
  rationale: "Messages, logs and secrets carry customer data; unencrypted storage fails most compliance regimes.",
  conditions: {
    "not-encrypted": {
      title: "not encrypted at rest (SQS without SSE, SNS without a key, RDS storage not encrypted, an ElastiCache replication group, an API Gateway cache)",
      checks: ["CKV_AWS_27", "CKV_AWS_26", "CKV_AWS_96", "AVD-AWS-0096", "AVD-AWS-0095", "AVD-AWS-0080", "AVD-AWS-0045", "CKV_AWS_29", "CKV_AWS_308", "CKV2_AZURE_25"],
    },
    "no-cmk": {
      title: "not encrypted with a customer-managed key (log groups, secrets, Aurora, DynamoDB, Pub/Sub, Cloud SQL, GCP secrets and buckets; an AWS-managed alias on SNS)",
      checks: ["CKV_AWS_158", "CKV_AWS_149", "CKV_AWS_327", "AVD-AWS-0079", "CKV_AWS_119", "CKV_GCP_83", "AVD-AWS-0136", "CKV_AWS_337", "CKV_AWS_354"],
      differs: "Stricter: an AWS-managed alias (alias/aws/...) on an SNS topic, and a GCP bucket, secret or Cloud SQL instance without CMEK, are findings (no checkov check cites these).",
    },
  },
  fix: "Use the stack's KMS key (AWS/GCP) or the platform's encrypted defaults; never switch encryption off.",
  notApplicable: { azure: "Service Bus, Event Grid, Storage and PostgreSQL encrypt at rest with no way to switch it off; only CMK choice remains (Azure SQL's transparent data encryption can be switched off: judged)." },
  reads: {
    aws_sqs_queue: ["sqs_managed_sse_enabled"], aws_sns_topic: [], aws_cloudwatch_log_group: [], aws_secretsmanager_secret: [],
    aws_rds_cluster: ["storage_encrypted", "engine_mode"], aws_db_instance: ["storage_encrypted"],
    aws_dynamodb_table: ["server_side_encryption.enabled"], aws_elasticache_replication_group: ["at_rest_encryption_enabled"],
    aws_api_gateway_method_settings: ["settings.caching_enabled", "settings.cache_data_encrypted"], azurerm_mssql_database: ["transparent_data_encryption_enabled"], aws_ssm_parameter: ["type", "key_id"], aws_rds_cluster_instance: ["performance_insights_enabled"],
    google_pubsub_topic: [], google_sql_database_instance: [], google_secret_manager_secret: [], google_storage_bucket: [],
  },
  check: ({ json }) => {
    const out: Violation[] = [];
    for (const [address, r] of resources(json, "aws_sqs_queue")) {
      if (bool(r.sqs_managed_sse_enabled) !== true && !r.kms_master_key_id && !isExpression(r.sqs_managed_sse_enabled)) out.push({ address, condition: "not-encrypted", message: "no SSE" });
    }
    for (const [address, r] of resources(json, "aws_sns_topic")) {
      if (!r.kms_master_key_id) out.push({ address, condition: "not-encrypted", message: "no KMS key" });
      else if (isAwsManagedKey(r.kms_master_key_id)) out.push({ address, condition: "no-cmk", message: "AWS-managed key alias/aws/sns, not a customer-managed key" });
    }
    for (const [address, r] of resources(json, "aws_cloudwatch_log_group")) if (!r.kms_key_id) out.push({ address, condition: "no-cmk", message: "no KMS key" });
    for (const [address, r] of resources(json, "aws_secretsmanager_secret")) {
      if (!cmk(r.kms_key_id)) out.push({ address, condition: "no-cmk", message: "encrypted with the default aws/secretsmanager key" });
    }
    for (const [address, r] of resources(json, "aws_rds_cluster")) {
      const serverless = str(r.engine_mode) === "serverless";
      if (bool(r.storage_encrypted) !== true && !serverless) out.push({ address, condition: "not-encrypted", message: "storage not encrypted" });
      if (!r.kms_key_id) out.push({ address, condition: "no-cmk", message: "no customer-managed KMS key" });
    }
    for (const [address, r] of resources(json, "aws_db_instance")) if (bool(r.storage_encrypted) !== true) out.push({ address, condition: "not-encrypted", message: "storage not encrypted" });
    for (const [address, r] of resources(json, "aws_db_instance", "aws_rds_cluster_instance")) {
      if (bool(r.performance_insights_enabled) === true && !cmk(r.performance_insights_kms_key_id)) out.push({ address, condition: "no-cmk", message: "Performance Insights without a customer-managed KMS key" });
    }
    for (const [address, r] of resources(json, "aws_elasticache_replication_group")) {
      if (bool(r.at_rest_encryption_enabled) !== true) out.push({ address, condition: "not-encrypted", message: "at_rest_encryption_enabled is not true" });
    }
    for (const [address, r] of resources(json, "aws_api_gateway_method_settings")) {
      const settings = block(r.settings);
      if (bool(settings.caching_enabled) === true && bool(settings.cache_data_encrypted) !== true) out.push({ address, condition: "not-encrypted", message: "response cache not encrypted" });
    }
    for (const [address, r] of resources(json, "azurerm_mssql_database")) {
      if (r.transparent_data_encryption_enabled === false || str(r.transparent_data_encryption_enabled) === "false") out.push({ address, condition: "not-encrypted", message: "transparent data encryption off" });
    }
    for (const [address, r] of resources(json, "aws_ssm_parameter")) {
      if (str(r.type) === "SecureString" && !cmk(r.key_id)) out.push({ address, condition: "no-cmk", message: "SecureString with the AWS managed key alias/aws/ssm" });
    }
    for (const [address, r] of resources(json, "aws_dynamodb_table")) {
      const sse = block(r.server_side_encryption);
      if (bool(sse.enabled) !== true || !cmk(sse.kms_key_arn)) out.push({ address, condition: "no-cmk", message: "not encrypted with a customer-managed KMS key" });
    }
    for (const [address, r] of resources(json, "google_pubsub_topic")) if (!r.kms_key_name) out.push({ address, condition: "no-cmk", message: "no CMEK" });
    for (const [address, r] of resources(json, "google_sql_database_instance")) if (!r.encryption_key_name) out.push({ address, condition: "no-cmk", message: "no CMEK" });
    for (const [address, r] of resources(json, "google_secret_manager_secret")) {
      const replication = block(r.replication);
      const replicas = blocks(block(replication.user_managed).replicas);
      const auto = block(replication.auto);
      const ok = (replicas.length && replicas.every((x) => block(x.customer_managed_encryption).kms_key_name)) || block(auto.customer_managed_encryption).kms_key_name;
      if (!ok) out.push({ address, condition: "no-cmk", message: "no CMEK" });
    }
    for (const [address, r] of resources(json, "google_storage_bucket")) if (!block(r.encryption).default_kms_key_name) out.push({ address, condition: "no-cmk", message: "no CMEK" });
    return out;
  },
};

export const DATABASE_TLS: PolicyRule = {
  id: "PC011",
  severity: "high",
  title: "Database proxies and servers require TLS",
  rationale: "Credentials and rows cross the network; the pooled endpoint must refuse plaintext.",
  conditions: {
    "proxy-tls-off": { title: "an RDS Proxy with require_tls off" },
    "cache-tls-off": { title: "an ElastiCache replication group without in-transit encryption", checks: ["AVD-AWS-0051", "CKV_AWS_30"] },
    "force-ssl-off": { title: "an RDS parameter group without rds.force_ssl = 1" },
    "ssl-mode": {
      title: "Cloud SQL admits unencrypted connections (ssl_mode neither ENCRYPTED_ONLY nor TRUSTED_CLIENT_CERTIFICATE_REQUIRED)", checks: ["AVD-GCP-0015"],
      differs: "Not CKV_GCP_6: it passes Cloud SQL only with TRUSTED_CLIENT_CERTIFICATE_REQUIRED (client certificates; ENCRYPTED_ONLY fails except on SQL Server). Here ENCRYPTED_ONLY passes: TLS is required and functions authenticate with IAM tokens, directly or through the pooler, which cannot present client certificates.",
    },
    "secure-transport-off": { title: "a PostgreSQL Flexible Server configuration sets require_secure_transport = OFF" },
    "secure-transport-missing": { title: "a server without require_secure_transport = ON while the stack sets it for its other servers" },
  },
  fix: "Keep requireTls true (the spec rejects false).",
  reads: {
    aws_db_proxy: ["require_tls"], aws_elasticache_replication_group: ["transit_encryption_enabled"], aws_rds_cluster_parameter_group: ["parameter.name", "parameter.value"], aws_db_parameter_group: ["parameter.name", "parameter.value"],
    google_sql_database_instance: ["settings.ip_configuration.ssl_mode", "settings.ip_configuration.require_ssl"],
    azurerm_postgresql_flexible_server: [], azurerm_postgresql_flexible_server_configuration: ["name", "value"],
  },
  check: ({ json }) => {
    const servers = resources(json, "azurerm_postgresql_flexible_server");
    const configs = resources(json, "azurerm_postgresql_flexible_server_configuration");
    const secured = (address: string) => configs.some(([, c]) => str(c.name) === "require_secure_transport" && /^on$/i.test(str(c.value) ?? "") && typeof c.server_id === "string" && c.server_id.includes(`${address}.`));
    const insecure = configs.filter(([, c]) => str(c.name) === "require_secure_transport" && /^off$/i.test(str(c.value) ?? ""));
    const anySecured = configs.some(([, c]) => str(c.name) === "require_secure_transport" && /^on$/i.test(str(c.value) ?? ""));
    return [
      ...resources(json, "aws_db_proxy").filter(([, r]) => bool(r.require_tls) !== true).map(([address]) => ({ address, condition: "proxy-tls-off", message: "require_tls off" })),
      ...resources(json, "aws_elasticache_replication_group").filter(([, r]) => bool(r.transit_encryption_enabled) !== true).map(([address]) => ({ address, condition: "cache-tls-off", message: "transit_encryption_enabled is not true" })),
      ...resources(json, "aws_rds_cluster_parameter_group", "aws_db_parameter_group").filter(([, r]) => !blocks(r.parameter).some((p) => str(p.name) === "rds.force_ssl" && str(p.value) === "1"))
        .map(([address]) => ({ address, condition: "force-ssl-off", message: "rds.force_ssl is not 1" })),
      ...resources(json, "google_sql_database_instance").filter(([, r]) => {
        const ip = block(block(r.settings).ip_configuration);
        const mode = str(ip.ssl_mode);
        return mode === undefined ? bool(ip.require_ssl) !== true : !/^(ENCRYPTED_ONLY|TRUSTED_CLIENT_CERTIFICATE_REQUIRED)$/.test(mode);
      }).map(([address, r]) => ({ address, condition: "ssl-mode", message: `ssl_mode ${str(block(block(r.settings).ip_configuration).ssl_mode) ?? "unset (plaintext allowed)"}` })),
      // require_secure_transport defaults to ON on Flexible Server; only an explicit OFF, or no ON
      // for a server when the stack sets it for others, is a finding.
      ...insecure.map(([address]) => ({ address, condition: "secure-transport-off", message: "require_secure_transport = OFF" })),
      ...(anySecured ? servers.filter(([a]) => !secured(a) && configs.some(([, c]) => typeof c.server_id === "string" && c.server_id.includes(`${a}.`)) === false && servers.length > 1).map(([address]) => ({ address, condition: "secure-transport-missing", message: "no require_secure_transport = ON configuration" })) : []),
    ];
  },
};

export const MIN_TLS_12: PolicyRule = {
  id: "PC012",
  severity: "medium",
  title: "Minimum TLS 1.2 wherever the resource has the setting",
  rationale: "TLS 1.0/1.1 are deprecated and broken.",
  conditions: {
    "min-tls": {
      title: "the minimum TLS version is below 1.2, or unset where the provider or service default is lower or has changed across majors",
      checks: [
        "CKV_AZURE_44", "CKV_AZURE_205", "CKV_AZURE_145", "CKV_AZURE_15", "AVD-AZU-0011", "AVD-AZU-0059", "AVD-AZU-0006", "AVD-AWS-0005", "AVD-GCP-0039",
        "CKV_AWS_103", "AVD-AWS-0047", "CKV2_AWS_54", "AVD-AWS-0013", "CKV_AZURE_218", "CKV_AZURE_223",
      ],
      differs: "An unset storage account min_tls_version or Service Bus minimum_tls_version is a finding, as in CKV_AZURE_44 and CKV_AZURE_205, although azurerm 4 defaults both to TLS 1.2 (3.x defaulted storage to TLS 1.0, and trivy reads the 4.x default): the stack should not depend on the provider major. A Google SSL policy must also set min_tls_version TLS_1_2 or TLS_1_3. A plain HTTP listener, which CKV_AWS_103 also fails, is PC013.plain-http.",
    },
    "weak-ciphers": { title: "a policy that admits weak cipher suites (a Google SSL policy COMPATIBLE, MODERN below TLS 1.2 or CUSTOM with TLS_RSA_*; an ELB policy from before 2016-08)", checks: ["CKV_GCP_4", "CKV2_AWS_74"] },
    "no-ssl-policy": { title: "a Google HTTPS proxy without an SSL policy (Google's default admits TLS 1.0)" },
  },
  fix: "Use the module defaults (TLS_1_2 policies, minimum_tls_version 1.2).",
  reads: {
    aws_apigatewayv2_domain_name: ["domain_name_configuration.security_policy"], aws_api_gateway_domain_name: ["security_policy"],
    aws_lb_listener: ["protocol", "ssl_policy"], aws_alb_listener: ["protocol", "ssl_policy"], aws_cloudfront_distribution: ["viewer_certificate.minimum_protocol_version"],
    azurerm_application_gateway: ["ssl_policy.min_protocol_version", "ssl_policy.policy_name"], azurerm_eventhub_namespace: ["minimum_tls_version"],
    google_compute_ssl_policy: ["min_tls_version", "profile"], google_compute_target_https_proxy: [],
    azurerm_servicebus_namespace: ["minimum_tls_version"], azurerm_storage_account: ["min_tls_version"],
    azurerm_linux_function_app: ["site_config.minimum_tls_version"], azurerm_linux_web_app: ["site_config.minimum_tls_version"],
    azurerm_function_app_flex_consumption: ["site_config.minimum_tls_version"], azurerm_windows_function_app: ["site_config.minimum_tls_version"],
    azurerm_windows_web_app: ["site_config.minimum_tls_version"], azurerm_linux_function_app_slot: ["site_config.minimum_tls_version"], azurerm_windows_function_app_slot: ["site_config.minimum_tls_version"],
    azurerm_function_app: ["site_config.min_tls_version"], azurerm_function_app_slot: ["site_config.min_tls_version"], azurerm_app_service: ["site_config.min_tls_version"],
  },
  check: ({ json }) => [
    ...resources(json, "aws_apigatewayv2_domain_name").filter(([, r]) => !API_TLS.test(str(block(r.domain_name_configuration).security_policy) ?? "")).map(([address]) => ({ address, condition: "min-tls", message: "security policy below TLS_1_2" })),
    ...resources(json, "aws_api_gateway_domain_name").filter(([, r]) => !API_TLS.test(str(r.security_policy) ?? "")).map(([address]) => ({ address, condition: "min-tls", message: "security policy below TLS_1_2" })),
    ...resources(json, "google_compute_ssl_policy").flatMap(([address, r]) => {
      const profile = str(r.profile) ?? "COMPATIBLE";
      const min = str(r.min_tls_version) ?? "TLS_1_0";
      const weakCipher = profile === "CUSTOM" && (Array.isArray(r.custom_features) ? r.custom_features : []).some((f: unknown) => typeof f === "string" && /^TLS_RSA_WITH_/.test(f));
      const passes = profile === "RESTRICTED" || (profile === "MODERN" && min === "TLS_1_2") || (profile === "CUSTOM" && !weakCipher);
      const out: Violation[] = [];
      if (!passes) out.push({ address, condition: "weak-ciphers", message: `profile ${profile} with min_tls_version ${min} admits weak cipher suites` });
      if (!/^TLS_1_[23]$/.test(min)) out.push({ address, condition: "min-tls", message: `min_tls_version ${min}` });
      return out;
    }),
    ...resources(json, "google_compute_target_https_proxy").filter(([, r]) => !r.ssl_policy).map(([address]) => ({ address, condition: "no-ssl-policy", message: "no SSL policy (Google's default admits TLS 1.0)" })),
    ...resources(json, "aws_lb_listener", "aws_alb_listener").filter(([, r]) => /^(HTTPS|TLS)$/.test(str(r.protocol) ?? "")).flatMap(([address, r]): Violation[] => {
      const policy = str(r.ssl_policy);
      const out: Violation[] = [];
      // Unset is ELBSecurityPolicy-2016-08, which admits TLS 1.0 (the provider sends none; the API picks it).
      if (!policy || !MODERN_ELB_POLICY.test(policy) || /Ext[12]-2021-06$/.test(policy)) out.push({ address, condition: "min-tls", message: `ssl_policy ${policy ?? "unset (ELBSecurityPolicy-2016-08)"} admits TLS below 1.2` });
      if (!policy || WEAK_ELB_POLICIES.has(policy)) out.push({ address, condition: "weak-ciphers", message: `ssl_policy ${policy ?? "unset (ELBSecurityPolicy-2016-08)"} admits weak ciphers` });
      return out;
    }),
    ...resources(json, "aws_cloudfront_distribution").flatMap(([address, r]): Violation[] => {
      const cert = block(r.viewer_certificate);
      const min = str(cert.minimum_protocol_version);
      const out: Violation[] = [];
      // The default *.cloudfront.net certificate fixes the viewer minimum at TLSv1; judged with a custom certificate only.
      if (bool(cert.cloudfront_default_certificate) !== true && !(min && /^TLSv1\.[23]_20(21|25)$/.test(min))) out.push({ address, condition: "min-tls", message: `minimum_protocol_version ${min ?? "unset (TLSv1)"}` });
      for (const o of blocks(r.origin)) {
        const weak = list<unknown>(block(o.custom_origin_config).origin_ssl_protocols).filter((p) => p === "SSLv3");
        if (weak.length) out.push({ address, condition: "min-tls", message: `origin ${str(o.origin_id) ?? "?"} admits ${weak.join(", ")}` });
      }
      return out;
    }),
    ...resources(json, "azurerm_application_gateway").flatMap(([address, r]): Violation[] => {
      const policy = block(r.ssl_policy);
      const min = str(policy.min_protocol_version);
      const name = str(policy.policy_name);
      const ok = (min && /^TLSv1_[23]$/.test(min)) || (name && /^AppGwSslPolicy20(170401S|220101|220101S)$/.test(name));
      return ok ? [] : [{ address, condition: "min-tls", message: `ssl_policy ${name ?? min ?? "unset"} admits TLS below 1.2` }];
    }),
    ...resources(json, "azurerm_eventhub_namespace").filter(([, r]) => !/^1\.[23]$/.test(str(r.minimum_tls_version) ?? ""))
      .map(([address, r]) => ({ address, condition: "min-tls", message: `minimum_tls_version ${str(r.minimum_tls_version) ?? "unset"}` })),
    ...resources(json, "azurerm_servicebus_namespace").filter(([, r]) => !/^1\.[23]$/.test(str(r.minimum_tls_version) ?? ""))
      .map(([address, r]) => ({ address, condition: "min-tls", message: `minimum TLS ${str(r.minimum_tls_version) ?? "unset (1.2 on azurerm 4; set it explicitly)"}` })),
    ...resources(json, "azurerm_storage_account").filter(([, r]) => !/^TLS1_[23]$/.test(str(r.min_tls_version) ?? ""))
      .map(([address, r]) => ({ address, condition: "min-tls", message: `min_tls_version ${str(r.min_tls_version) ?? "unset (TLS1_2 on azurerm 4, TLS1_0 on 3.x; set it explicitly)"}` })),
    ...resources(json, ...APP_TYPES).flatMap(([address, r]) => {
      const site = block(r.site_config);
      const v = str(site.minimum_tls_version ?? site.min_tls_version);
      if (v === undefined || /^1\.[23]$/.test(v)) return [];
      return [{ address, condition: "min-tls", message: `site_config minimum TLS ${v}` }];
    }),
  ],
};

/** API Gateway security policies of TLS 1.2 or later: TLS_1_2, and the enhanced SecurityPolicy_TLS13_1_2_* / _1_3_* ones. */
const API_TLS = /^(TLS_1_[23]|SecurityPolicy_TLS12_|SecurityPolicy_TLS13_1_[23](_|$))/;
/** ELB policies that require TLS 1.2 or later. */
const MODERN_ELB_POLICY = /^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)-/;
/** ELB policies checkov's CKV2_AWS_74 lists as weak. */
const WEAK_ELB_POLICIES = new Set(["ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-2015-05", "ELBSecurityPolicy-TLS-1-0-2015-04", "ELBSecurityPolicy-TLS-1-1-2017-01",
  "ELBSecurityPolicy-2015-03", "ELBSecurityPolicy-2015-02", "ELBSecurityPolicy-2014-10", "ELBSecurityPolicy-Default", "ELBSecurityPolicy-2014-01"]);

/** Azure function and web app types (current, legacy and slots). */
const APP_TYPES = [
  "azurerm_function_app_flex_consumption", "azurerm_linux_function_app", "azurerm_windows_function_app", "azurerm_linux_function_app_slot", "azurerm_windows_function_app_slot",
  "azurerm_function_app", "azurerm_function_app_slot", "azurerm_linux_web_app", "azurerm_windows_web_app", "azurerm_app_service",
];

export const HTTPS_ONLY: PolicyRule = {
  id: "PC013",
  severity: "high",
  title: "Function apps, web apps and gateways serve HTTPS only",
  rationale: "Tokens and payloads must not travel in clear text.",
  conditions: {
    "plain-http": {
      title: "serves or forwards plain HTTP (a load balancer or gateway HTTP listener that does not only redirect, a CDN admitting HTTP, an app without https_only or with auth_settings_v2.require_https false, an HTTP trigger, API or backend over http)",
      checks: ["CKV_AZURE_70", "CKV_AZURE_14", "AVD-AZU-0004", "CKV_AWS_34", "AVD-AWS-0012", "CKV2_AWS_72", "AVD-AWS-0054", "CKV_AZURE_215", "CKV_AZURE_217", "CKV2_GCP_37", "CKV2_GCP_38"],
      differs: "The flex consumption function app and API Management APIs are checked too (no checkov check covers them). A CloudFront origin with match-viewer is a finding only when a viewer may use HTTP (CKV2_AWS_72 fails it for AWS-service origins whatever the viewers use).",
    },
  },
  fix: "Give the gateway a domain and certificate; plain HTTP is only acceptable in a dev stack with a recorded suppression.",
  reads: {
    google_compute_global_forwarding_rule: ["port_range"], google_compute_forwarding_rule: ["port_range"],
    aws_lb_listener: ["protocol", "default_action.type"], aws_alb_listener: ["protocol", "default_action.type"],
    aws_cloudfront_distribution: ["default_cache_behavior.viewer_protocol_policy", "ordered_cache_behavior.viewer_protocol_policy", "origin.custom_origin_config.origin_protocol_policy"],
    azurerm_api_management_backend: ["url"], azurerm_application_gateway: ["http_listener.protocol"],
    ...Object.fromEntries(APP_TYPES.map((t) => [t, ["https_only"]])),
    azurerm_api_management_api: ["protocols"], google_cloudfunctions_function: ["https_trigger_security_level"],
  },
  check: ({ json }) => [
    // An HTTP proxy by reference or by self link (targetHttpProxies); internal load balancers stay inside the VPC.
    ...resources(json, "google_compute_global_forwarding_rule", "google_compute_forwarding_rule")
      .filter(([, r]) => (str(r.port_range) === "80" || /target_http_proxy|targetHttpProxies/.test(typeof r.target === "string" ? r.target : "")) && !/^INTERNAL/i.test(str(r.load_balancing_scheme) ?? "") && !redirectsToHttps(json, r))
      .map(([address]) => ({ address, condition: "plain-http", message: "plain HTTP listener" })),
    ...resources(json, "aws_lb_listener", "aws_alb_listener").filter(([, r]) => str(r.protocol) === "HTTP" && !blocks(r.default_action).some((a) => str(a.type) === "redirect" && str(block(a.redirect).protocol) !== "HTTP"))
      .map(([address]) => ({ address, condition: "plain-http", message: "HTTP listener that does not redirect to HTTPS" })),
    ...resources(json, "aws_cloudfront_distribution").flatMap(([address, r]): Violation[] => [
      ...[...blocks(r.default_cache_behavior), ...blocks(r.ordered_cache_behavior)].filter((b) => str(b.viewer_protocol_policy) === "allow-all")
        .map(() => ({ address, condition: "plain-http", message: "a cache behavior's viewer_protocol_policy is allow-all" })),
      // match-viewer forwards plain HTTP only when a viewer may use it.
      ...blocks(r.origin).filter((o) => {
        const policy = str(block(o.custom_origin_config).origin_protocol_policy) ?? "";
        return policy === "http-only" || (policy === "match-viewer" && [...blocks(r.default_cache_behavior), ...blocks(r.ordered_cache_behavior)].some((b) => str(b.viewer_protocol_policy) === "allow-all"));
      })
        .map((o) => ({ address, condition: "plain-http", message: `origin ${str(o.origin_id) ?? "?"} is reached with ${str(block(o.custom_origin_config).origin_protocol_policy)}` })),
    ]),
    ...resources(json, "azurerm_api_management_backend").filter(([, r]) => /^http:\/\//i.test(str(r.url) ?? ""))
      .map(([address, r]) => ({ address, condition: "plain-http", message: `backend url ${str(r.url)}` })),
    ...resources(json, "azurerm_application_gateway").filter(([, r]) => blocks(r.http_listener).some((l) => str(l.protocol) === "Http"))
      .map(([address]) => ({ address, condition: "plain-http", message: "an HTTP listener" })),
    ...resources(json, ...APP_TYPES).filter(([, r]) => bool(r.https_only) !== true || bool(block(r.auth_settings_v2).require_https) === false)
      .map(([address, r]) => ({ address, condition: "plain-http", message: bool(r.https_only) === true ? "auth_settings_v2.require_https is false" : "https_only not set" })),
    ...resources(json, "google_cloudfunctions_function").filter(([, r]) => r.trigger_http !== undefined && bool(r.trigger_http) !== false && str(r.https_trigger_security_level) !== "SECURE_ALWAYS")
      .map(([address, r]) => ({ address, condition: "plain-http", message: `https_trigger_security_level ${str(r.https_trigger_security_level) ?? "unset (SECURE_OPTIONAL admits HTTP)"}` })),
    ...resources(json, "azurerm_api_management_api").filter(([, r]) => (Array.isArray(r.protocols) ? r.protocols : []).some((p: unknown) => str(p) !== "https"))
      .map(([address, r]) => ({ address, condition: "plain-http", message: `protocols ${(r.protocols as unknown[]).map((p) => str(p) ?? "?").join(", ")}` })),
  ],
};
