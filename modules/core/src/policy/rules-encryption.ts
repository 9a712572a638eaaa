import { PolicyRule } from "./types";
import { R, block, refAddress, resources } from "./json";
import { TerraformJson } from "../capabilities";

/** A GCP HTTP listener whose URL map only redirects to HTTPS (no backend ever served in clear text). */
function redirectsToHttps(json: TerraformJson, rule: R): boolean {
  const lookup = (ref: unknown): R | undefined => {
    const address = refAddress(ref);
    if (!address) return undefined;
    const [type, name] = address.split(".");
    return json.resource?.[type]?.[name] as R | undefined;
  };
  const map = lookup(lookup(rule.target)?.url_map);
  return !!map && block(map.default_url_redirect).https_redirect === true && !map.default_service && !map.path_matcher && !map.host_rule;
}

export const ENCRYPTION_AT_REST: PolicyRule = {
  id: "PC010",
  severity: "high",
  title: "Queues, topics, logs, secrets and databases are encrypted at rest with a managed or customer key",
  rationale: "Messages, logs and secrets carry customer data; unencrypted storage fails most compliance regimes.",
  checkov: ["CKV_AWS_27", "CKV_AWS_26", "CKV_AWS_158", "CKV_AWS_149", "CKV_AWS_96", "CKV_AWS_327", "CKV_GCP_83"],
  fix: "Use the stack's KMS key (AWS/GCP) or the platform's encrypted defaults; never switch encryption off.",
  notApplicable: { azure: "Service Bus, Event Grid, Storage and PostgreSQL encrypt at rest with no way to switch it off; only CMK choice remains." },
  check: ({ json }) => [
    ...resources(json, "aws_sqs_queue").filter(([, r]) => !r.kms_master_key_id && r.sqs_managed_sse_enabled !== true).map(([address]) => ({ address, message: "no SSE" })),
    ...resources(json, "aws_sns_topic").filter(([, r]) => !r.kms_master_key_id).map(([address]) => ({ address, message: "no KMS key" })),
    ...resources(json, "aws_cloudwatch_log_group").filter(([, r]) => !r.kms_key_id).map(([address]) => ({ address, message: "no KMS key" })),
    ...resources(json, "aws_secretsmanager_secret").filter(([, r]) => !r.kms_key_id).map(([address]) => ({ address, message: "encrypted with the default aws/secretsmanager key" })),
    ...resources(json, "aws_rds_cluster", "aws_db_instance").filter(([, r]) => r.storage_encrypted !== true).map(([address]) => ({ address, message: "storage not encrypted" })),
    ...resources(json, "google_pubsub_topic").filter(([, r]) => !r.kms_key_name).map(([address]) => ({ address, message: "no CMEK" })),
    ...resources(json, "google_sql_database_instance").filter(([, r]) => !r.encryption_key_name).map(([address]) => ({ address, message: "no CMEK" })),
    ...resources(json, "google_secret_manager_secret").filter(([, r]) => {
      const um = block(block(r.replication).user_managed);
      const replicas = (um.replicas ?? []) as any[];
      const auto = block(block(r.replication).auto);
      return !(replicas.length && replicas.every((x) => block(x.customer_managed_encryption).kms_key_name)) && !block(auto.customer_managed_encryption).kms_key_name;
    }).map(([address]) => ({ address, message: "no CMEK" })),
    ...resources(json, "google_storage_bucket").filter(([, r]) => !block(r.encryption).default_kms_key_name).map(([address]) => ({ address, message: "no CMEK" })),
  ],
};

export const DATABASE_TLS: PolicyRule = {
  id: "PC011",
  severity: "high",
  title: "Database proxies and servers require TLS",
  rationale: "Credentials and rows cross the network; the pooled endpoint must refuse plaintext.",
  checkov: [],
  fix: "Keep requireTls true (the spec rejects false).",
  check: ({ json }) => {
    const azureServers = resources(json, "azurerm_postgresql_flexible_server");
    const secure = resources(json, "azurerm_postgresql_flexible_server_configuration").filter(([, r]) => r.name === "require_secure_transport" && /^on$/i.test(String(r.value)));
    return [
      ...resources(json, "aws_db_proxy").filter(([, r]) => r.require_tls !== true).map(([address]) => ({ address, message: "require_tls off" })),
      ...resources(json, "aws_rds_cluster_parameter_group", "aws_db_parameter_group").filter(([, r]) => !(r.parameter ?? []).some((p: any) => p.name === "rds.force_ssl" && String(p.value) === "1"))
        .map(([address]) => ({ address, message: "rds.force_ssl is not 1" })),
      ...resources(json, "google_sql_database_instance").filter(([, r]) => !/^(ENCRYPTED_ONLY|TRUSTED_CLIENT_CERTIFICATE_REQUIRED)$/.test(block(block(r.settings).ip_configuration).ssl_mode ?? ""))
        .map(([address, r]) => ({ address, message: `ssl_mode ${block(block(r.settings).ip_configuration).ssl_mode}` })),
      ...(azureServers.length > secure.length ? azureServers.map(([address]) => ({ address, message: "no require_secure_transport = ON configuration" })) : []),
    ];
  },
};

export const MIN_TLS_12: PolicyRule = {
  id: "PC012",
  severity: "medium",
  title: "Minimum TLS 1.2 wherever the resource has the setting",
  rationale: "TLS 1.0/1.1 are deprecated and broken.",
  checkov: ["CKV_GCP_4", "CKV_AZURE_44", "CKV_AZURE_205"],
  fix: "Use the module defaults (TLS_1_2 policies, minimum_tls_version 1.2).",
  check: ({ json }) => [
    ...resources(json, "aws_apigatewayv2_domain_name").filter(([, r]) => block(r.domain_name_configuration).security_policy !== "TLS_1_2").map(([address]) => ({ address, message: "security policy below TLS_1_2" })),
    ...resources(json, "google_compute_ssl_policy").filter(([, r]) => !/^TLS_1_[23]$/.test(r.min_tls_version ?? "")).map(([address, r]) => ({ address, message: `min_tls_version ${r.min_tls_version}` })),
    ...resources(json, "google_compute_target_https_proxy").filter(([, r]) => !r.ssl_policy).map(([address]) => ({ address, message: "no SSL policy (Google's default admits TLS 1.0)" })),
    ...resources(json, "azurerm_servicebus_namespace", "azurerm_storage_account").filter(([, r]) => !/^(1\.2|TLS1_2|1\.3|TLS1_3)$/.test(String(r.minimum_tls_version ?? r.min_tls_version ?? "")))
      .map(([address, r]) => ({ address, message: `minimum TLS ${r.minimum_tls_version ?? r.min_tls_version ?? "unset"}` })),
  ],
};

export const HTTPS_ONLY: PolicyRule = {
  id: "PC013",
  severity: "high",
  title: "Function apps and gateways serve HTTPS only",
  rationale: "Tokens and payloads must not travel in clear text.",
  checkov: [],
  fix: "Give the gateway a domain and certificate; plain HTTP is only acceptable in a dev stack with a recorded suppression.",
  check: ({ json }) => [
    ...resources(json, "google_compute_global_forwarding_rule").filter(([, r]) => (String(r.port_range) === "80" || /target_http_proxy/.test(String(r.target))) && !redirectsToHttps(json, r))
      .map(([address]) => ({ address, message: "plain HTTP listener" })),
    ...resources(json, "azurerm_function_app_flex_consumption", "azurerm_linux_function_app").filter(([, r]) => r.https_only !== true).map(([address]) => ({ address, message: "https_only not set" })),
    ...resources(json, "azurerm_api_management_api").filter(([, r]) => (r.protocols ?? []).some((p: string) => p !== "https")).map(([address, r]) => ({ address, message: `protocols ${r.protocols}` })),
  ],
};
