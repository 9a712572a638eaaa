import { PolicyRule } from "./types";
import { block, resources } from "./json";

export const GATEWAY_ACCESS_LOGS: PolicyRule = {
  id: "PC020",
  severity: "medium",
  title: "Every gateway writes access logs",
  rationale: "Without access logs an incident cannot be reconstructed.",
  checkov: ["CKV_AWS_76"],
  fix: "Keep the module defaults; access logs cannot be switched off in the spec.",
  check: ({ json }) => [
    ...resources(json, "aws_apigatewayv2_stage").filter(([, r]) => !block(r.access_log_settings).destination_arn).map(([address]) => ({ address, message: "no access_log_settings" })),
    ...resources(json, "google_compute_backend_service").filter(([, r]) => block(r.log_config).enable !== true).map(([address]) => ({ address, message: "log_config disabled" })),
    ...(resources(json, "azurerm_api_management").length && !resources(json, "azurerm_api_management_api_diagnostic", "azurerm_monitor_diagnostic_setting").length
      ? resources(json, "azurerm_api_management").map(([address]) => ({ address, message: "no API diagnostic or GatewayLogs diagnostic setting" })) : []),
  ],
};

export const FUNCTION_TRACING: PolicyRule = {
  id: "PC021",
  severity: "low",
  title: "Functions are traced",
  rationale: "Tracing is how latency and failures are attributed across function, queue and database.",
  checkov: ["CKV_AWS_50"],
  fix: "Keep the module defaults (X-Ray Active; Cloud Trace agent role; Application Insights).",
  check: ({ json }) => {
    const traceGrants = resources(json, "google_project_iam_member").filter(([, r]) => r.role === "roles/cloudtrace.agent").map(([, r]) => String(r.member));
    return [
      ...resources(json, "aws_lambda_function").filter(([, r]) => block(r.tracing_config).mode !== "Active").map(([address]) => ({ address, message: "tracing not Active" })),
      ...resources(json, "google_cloudfunctions2_function").filter(([, r]) => {
        const sa = String(block(r.service_config).service_account_email ?? "").replace(/\.email\}$/, "");
        return !sa || !traceGrants.some((m) => m.includes(sa.replace(/^\$\{/, "")));
      }).map(([address]) => ({ address, message: "runtime identity cannot write traces (roles/cloudtrace.agent)" })),
      ...resources(json, "azurerm_function_app_flex_consumption").filter(([, r]) => !block(r.site_config).application_insights_connection_string)
        .map(([address]) => ({ address, message: "no Application Insights connection" })),
    ];
  },
};

export const LOG_RETENTION: PolicyRule = {
  id: "PC022",
  severity: "medium",
  title: "Log retention is set, never infinite, never below the environment's minimum",
  rationale: "Infinite retention is a cost and privacy problem; too short loses evidence.",
  checkov: ["CKV_AWS_66"],
  fix: "Set retention.logDays in the environment; the modules apply it.",
  check: ({ json, minLogDays }) => {
    const min = minLogDays ?? 1;
    return [
      ...resources(json, "aws_cloudwatch_log_group").filter(([, r]) => !(r.retention_in_days > 0) || r.retention_in_days < min)
        .map(([address, r]) => ({ address, message: `retention ${r.retention_in_days ?? "infinite"} days (minimum ${min})` })),
      ...resources(json, "google_logging_project_bucket_config").filter(([, r]) => !(r.retention_days > 0) || r.retention_days < min)
        .map(([address, r]) => ({ address, message: `retention ${r.retention_days} days (minimum ${min})` })),
      ...resources(json, "azurerm_log_analytics_workspace", "azurerm_application_insights").filter(([, r]) => !(r.retention_in_days > 0) || r.retention_in_days < Math.min(min, 30))
        .map(([address, r]) => ({ address, message: `retention ${r.retention_in_days} days (minimum ${min})` })),
    ];
  },
};
