import { PolicyRule } from "./types";
import { block, bool, num, resources, str } from "./json";

export const GATEWAY_ACCESS_LOGS: PolicyRule = {
  id: "PC020",
  severity: "medium",
  title: "Every gateway writes access logs",
  rationale: "Without access logs an incident cannot be reconstructed.",
  conditions: {
    "no-access-logs": { title: "a gateway stage, backend service or API Management instance writes no access logs", checks: ["CKV_AWS_76"] },
  },
  fix: "Keep the module defaults; access logs cannot be switched off in the spec.",
  reads: {
    aws_apigatewayv2_stage: ["access_log_settings"], aws_api_gateway_stage: ["access_log_settings"],
    google_compute_backend_service: ["log_config.enable"],
    azurerm_api_management: [], azurerm_api_management_api_diagnostic: [], azurerm_monitor_diagnostic_setting: [],
  },
  check: ({ json }) => [
    ...resources(json, "aws_apigatewayv2_stage", "aws_api_gateway_stage").filter(([, r]) => !block(r.access_log_settings).destination_arn)
      .map(([address]) => ({ address, condition: "no-access-logs", message: "no access_log_settings" })),
    ...resources(json, "google_compute_backend_service").filter(([, r]) => block(r.log_config).enable !== true && str(block(r.log_config).enable) !== "true").map(([address]) => ({ address, condition: "no-access-logs", message: "log_config disabled" })),
    ...(resources(json, "azurerm_api_management").length && !resources(json, "azurerm_api_management_api_diagnostic", "azurerm_monitor_diagnostic_setting").length
      ? resources(json, "azurerm_api_management").map(([address]) => ({ address, condition: "no-access-logs", message: "no API diagnostic or GatewayLogs diagnostic setting" })) : []),
  ],
};

export const FUNCTION_TRACING: PolicyRule = {
  id: "PC021",
  severity: "low",
  title: "Functions are traced",
  rationale: "Tracing is how latency and failures are attributed across function, queue and database.",
  conditions: {
    "not-traced": { title: "a function or API stage is not traced (Lambda tracing unset, stage X-Ray off, no trace role, no Application Insights)", checks: ["CKV_AWS_50", "CKV_AWS_73"] },
    "pass-through": { title: "Lambda tracing PassThrough (checkov passes it; only Active samples requests that arrive without a trace header)" },
  },
  fix: "Keep the module defaults (X-Ray Active; Cloud Trace agent role; Application Insights).",
  reads: {
    aws_lambda_function: ["tracing_config.mode"], aws_api_gateway_stage: ["xray_tracing_enabled"],
    google_cloudfunctions2_function: ["service_config"],
    azurerm_function_app_flex_consumption: ["site_config"],
  },
  check: ({ json }) => {
    const traceGrants = resources(json, "google_project_iam_member").filter(([, r]) => str(r.role) === "roles/cloudtrace.agent").map(([, r]) => str(r.member) ?? (typeof r.member === "string" ? r.member : ""));
    return [
      ...resources(json, "aws_lambda_function").filter(([, r]) => str(block(r.tracing_config).mode) !== "Active").map(([address, r]) => {
        const mode = str(block(r.tracing_config).mode);
        return { address, condition: mode === "PassThrough" ? "pass-through" : "not-traced", message: `tracing ${mode ?? "not configured"}, not Active` };
      }),
      ...resources(json, "aws_api_gateway_stage").filter(([, r]) => bool(r.xray_tracing_enabled) !== true).map(([address]) => ({ address, condition: "not-traced", message: "X-Ray tracing off" })),
      ...resources(json, "google_cloudfunctions2_function").filter(([, r]) => {
        const email = block(r.service_config).service_account_email;
        const sa = (typeof email === "string" ? email : "").replace(/\.email\}$/, "").replace(/^\$\{/, "");
        return !sa || !traceGrants.some((m) => m.includes(sa));
      }).map(([address]) => ({ address, condition: "not-traced", message: "runtime identity cannot write traces (roles/cloudtrace.agent)" })),
      ...resources(json, "azurerm_function_app_flex_consumption").filter(([, r]) => !block(r.site_config).application_insights_connection_string)
        .map(([address]) => ({ address, condition: "not-traced", message: "no Application Insights connection" })),
    ];
  },
};

export const LOG_RETENTION: PolicyRule = {
  id: "PC022",
  severity: "medium",
  title: "Log retention is set, never infinite, never below the environment's minimum",
  rationale: "Infinite retention is a cost and privacy problem; too short loses evidence.",
  conditions: {
    "retention-unset": { title: "a log group without retention (kept forever)", checks: ["CKV_AWS_66"] },
    "retention-short": { title: "log retention 0 (never expire, where the API reads 0 so) or below the environment's minimum" },
    "audit-retention": {
      title: "SQL Server auditing kept less than 90 days", checks: ["CKV_AZURE_24"],
      differs: "With a separate azurerm_mssql_server_extended_auditing_policy, the policy resource is reported (checkov reports the server).",
    },
  },
  fix: "Set retention.logDays in the environment; the modules apply it.",
  reads: {
    aws_cloudwatch_log_group: ["retention_in_days"],
    google_logging_project_bucket_config: ["retention_days"],
    azurerm_log_analytics_workspace: ["retention_in_days"], azurerm_application_insights: ["retention_in_days"],
    azurerm_mssql_server: ["extended_auditing_policy.retention_in_days"], azurerm_sql_server: ["extended_auditing_policy.retention_in_days"],
    azurerm_mssql_server_extended_auditing_policy: ["retention_in_days"],
  },
  check: ({ json, minLogDays }) => {
    const min = minLogDays ?? 1;
    const tooShort = (v: unknown, floor: number) => { const n = num(v); return n === undefined || !(n > 0) || n < floor; };
    return [
      ...resources(json, "aws_cloudwatch_log_group").filter(([, r]) => tooShort(r.retention_in_days, min))
        .map(([address, r]) => ({ address, condition: r.retention_in_days === undefined ? "retention-unset" : "retention-short", message: `retention ${num(r.retention_in_days) ?? "infinite"} days (minimum ${min})` })),
      ...resources(json, "google_logging_project_bucket_config").filter(([, r]) => tooShort(r.retention_days, min))
        .map(([address, r]) => ({ address, condition: "retention-short", message: `retention ${num(r.retention_days) ?? "default"} days (minimum ${min})` })),
      ...resources(json, "azurerm_log_analytics_workspace", "azurerm_application_insights").filter(([, r]) => tooShort(r.retention_in_days, Math.min(min, 30)))
        .map(([address, r]) => ({ address, condition: "retention-short", message: `retention ${num(r.retention_in_days) ?? "default"} days (minimum ${min})` })),
      // Auditing kept 90 days at least; 0 (unset) keeps it forever.
      ...resources(json, "azurerm_mssql_server", "azurerm_sql_server").flatMap(([address, r]) => {
        const policy = block(r.extended_auditing_policy);
        const separate = resources(json, "azurerm_mssql_server_extended_auditing_policy").some(([, p]) => typeof p.server_id === "string" && p.server_id.includes(`${address}.`));
        const days = num(policy.retention_in_days);
        if (separate || (days !== undefined && (days === 0 || days >= 90))) return [];
        return [{ address, condition: "audit-retention", message: r.extended_auditing_policy ? `auditing kept ${days ?? "an unknown number of"} days` : "no auditing policy" }];
      }),
      ...resources(json, "azurerm_mssql_server_extended_auditing_policy").filter(([, r]) => { const d = num(r.retention_in_days); return d !== undefined && d !== 0 && d < 90; })
        .map(([address, r]) => ({ address, condition: "audit-retention", message: `auditing kept ${num(r.retention_in_days)} days` })),
    ];
  },
};
