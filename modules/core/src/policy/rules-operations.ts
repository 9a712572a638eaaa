import { REQUIRED_TAG_KEYS } from "../tags";
import { PolicyRule } from "./types";
import { block, isReference, resources } from "./json";

export const ALARMS_WIRED: PolicyRule = {
  id: "PC033",
  severity: "medium",
  title: "Every component has alarms, wired to a channel with at least one recipient",
  rationale: "An alarm nobody receives is no alarm.",
  checkov: [],
  fix: "Set alarms.recipients in the environment; the modules create the channel and the alarms.",
  check: ({ json }) => {
    const out: { address: string; message: string }[] = [];
    const awsAlarms = resources(json, "aws_cloudwatch_metric_alarm");
    out.push(...awsAlarms.filter(([, r]) => !(r.alarm_actions ?? []).length).map(([address]) => ({ address, message: "alarm without actions" })));
    if (resources(json, "aws_sns_topic").length && !resources(json, "aws_sns_topic_subscription").length) out.push({ address: "aws_sns_topic_subscription", message: "alarm topic has no subscriber" });
    const dims = awsAlarms.map(([, r]) => JSON.stringify(r.dimensions ?? r.metric_query ?? {}));
    for (const [address, r] of resources(json, "aws_lambda_function")) {
      if (!dims.some((d) => d.includes(String(r.function_name)))) out.push({ address, message: "function has no alarm" });
    }
    const policies = resources(json, "google_monitoring_alert_policy");
    out.push(...policies.filter(([, r]) => !(r.notification_channels ?? []).length).map(([address]) => ({ address, message: "alert policy without channels" })));
    if (policies.length && !resources(json, "google_monitoring_notification_channel").some(([, r]) => r.labels?.email_address)) out.push({ address: "google_monitoring_notification_channel", message: "no recipient" });
    const filters = policies.map(([, r]) => JSON.stringify(r.conditions ?? []));
    for (const [address, r] of resources(json, "google_cloudfunctions2_function")) {
      if (!filters.some((f) => f.includes(`\\"${r.name}\\"`))) out.push({ address, message: "function has no alert policy" });
    }
    out.push(...resources(json, "azurerm_monitor_metric_alert").filter(([, r]) => !(r.action ?? []).length).map(([address]) => ({ address, message: "metric alert without action group" })));
    out.push(...resources(json, "azurerm_monitor_action_group").filter(([, r]) => !(r.email_receiver ?? []).length).map(([address]) => ({ address, message: "action group without e-mail receivers" })));
    return out;
  },
};

export const BUDGET: PolicyRule = {
  id: "PC034",
  severity: "medium",
  title: "Every environment × cloud has a budget with notifications",
  rationale: "Runaway spend is an incident too.",
  checkov: [],
  fix: "Set budget in the environment.",
  check: ({ json, cloud }) => {
    const budgets = {
      aws: resources(json, "aws_budgets_budget").filter(([, r]) => (r.notification ?? []).length > 0),
      gcp: resources(json, "google_billing_budget").filter(([, r]) => (r.threshold_rules ?? []).length > 0 && (block(r.all_updates_rule).monitoring_notification_channels ?? []).length > 0),
      azure: resources(json, "azurerm_consumption_budget_resource_group", "azurerm_consumption_budget_subscription").filter(([, r]) => (r.notification ?? []).length > 0),
    }[cloud];
    return budgets.length ? [] : [{ address: "budget", message: `no ${cloud} budget with notifications` }];
  },
};

const SECRET_NAME = /PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|CREDENTIAL/i;
/**
 * References to a secret by address are fine (`..._SECRET_ARN`, `..._SECRET_NAME`, `..._SECRET_ID`),
 * and so are Azure identity-connection settings (`<conn>__credential = managedidentity`).
 */
const SECRET_POINTER = /(_(ARN|NAME|ID|URI|REF)|__credential|__clientId)$/i;

export const NO_PLAIN_SECRETS: PolicyRule = {
  id: "PC040",
  severity: "critical",
  title: "No secret-looking values in plain function environment variables",
  rationale: "Environment variables are visible to anyone who can read the function configuration and the Terraform state.",
  checkov: ["CKV_AWS_45"],
  fix: "Declare the value in `secrets`; the function receives a reference and read access to that one secret.",
  check: ({ json }) => {
    const envOf: [string, Record<string, unknown>][] = [
      ...resources(json, "aws_lambda_function").map(([a, r]) => [a, block(r.environment).variables ?? {}] as [string, Record<string, unknown>]),
      ...resources(json, "google_cloudfunctions2_function").map(([a, r]) => [a, block(r.service_config).environment_variables ?? {}] as [string, Record<string, unknown>]),
      ...resources(json, "azurerm_function_app_flex_consumption", "azurerm_linux_function_app").map(([a, r]) => [a, r.app_settings ?? {}] as [string, Record<string, unknown>]),
    ];
    return envOf.flatMap(([address, vars]) => Object.entries(vars)
      .filter(([k, v]) => SECRET_NAME.test(k) && !SECRET_POINTER.test(k) && !isReference(v) && !/^@Microsoft\.KeyVault\(/.test(String(v)))
      .map(([k]) => ({ address, message: `${k} holds a literal value` })));
  },
};

export const REQUIRED_TAGS: PolicyRule = {
  id: "PC041",
  severity: "medium",
  title: "Every taggable resource carries every required tag",
  rationale: "Cost allocation, ownership and budgets filter on these tags.",
  checkov: [],
  fix: "Set tags in the environment; never override a required tag on a resource.",
  check: ({ json, cloud, environment }) => {
    const out: { address: string; message: string }[] = [];
    const defaults = cloud === "aws" ? block(json.provider?.aws?.[0]?.default_tags).tags ?? {}
      : cloud === "gcp" ? json.provider?.google?.[0]?.default_labels ?? {} : undefined;
    if (defaults) {
      for (const k of REQUIRED_TAG_KEYS) if (!/^[a-z0-9_-]{1,63}$/.test(defaults[k] ?? "")) out.push({ address: `provider.${cloud}`, message: `default tag ${k} missing` });
      if (defaults.environment && defaults.environment !== environment) out.push({ address: `provider.${cloud}`, message: `environment tag ${defaults.environment} in ${environment}` });
    }
    for (const [type, byName] of Object.entries(json.resource ?? {})) {
      for (const [name, r] of Object.entries(byName as Record<string, any>)) {
        const tags = cloud === "gcp" ? (type === "google_sql_database_instance" ? block(r.settings).user_labels : r.user_labels ?? r.labels) : r.tags;
        const mustCarry = cloud === "azure" ? r.tags !== undefined : type === "google_sql_database_instance" || (cloud === "gcp" && r.user_labels !== undefined);
        for (const k of REQUIRED_TAG_KEYS) {
          if (mustCarry && !tags?.[k]) out.push({ address: `${type}.${name}`, message: `missing ${k}` });
          // A service's own resources (addresses start with its construct id) may name their service over a platform default.
          else if (defaults && tags && k in tags && tags[k] !== defaults[k] && !(k === "service" && tags[k] === name.split("_")[0])) out.push({ address: `${type}.${name}`, message: `overrides ${k}` });
        }
      }
    }
    return out;
  },
};

export const STATE_BACKEND: PolicyRule = {
  id: "PC050",
  severity: "high",
  title: "A configured remote state backend encrypts and locks",
  rationale: "State holds every resource attribute; concurrent applies without a lock corrupt it.",
  checkov: [],
  fix: "Use the environment's backend settings; the foundation sets encryption and locking.",
  check: ({ json }) => {
    const backend = (json.terraform?.backend ?? {}) as Record<string, any>;
    const out: { address: string; message: string }[] = [];
    if (backend.s3) {
      if (backend.s3.encrypt !== true) out.push({ address: "terraform.backend.s3", message: "encrypt is not true" });
      if (backend.s3.use_lockfile !== true && !backend.s3.dynamodb_table) out.push({ address: "terraform.backend.s3", message: "no locking (use_lockfile or dynamodb_table)" });
    }
    if (backend.azurerm && backend.azurerm.use_azuread_auth !== true) out.push({ address: "terraform.backend.azurerm", message: "not using Entra ID auth (access keys)" });
    // GCS locks natively and encrypts at rest; a KMS key is optional.
    return out;
  },
};
