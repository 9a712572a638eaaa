import { REQUIRED_TAG_KEYS } from "../tags";
import { CANNOT_EVALUATE, PolicyRule, Violation } from "./types";
import { block, blocks, bool, isExpression, isObject, isReference, list, resourceTypes, resources, str, stringMap } from "./json";
import { AZURE_TAGGABLE_TYPES } from "./azure-taggable";

/** A string value, literal or expression; undefined for anything else. */
const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
/** JSON text of a value, or "" when it cannot be serialised. */
const safeJson = (v: unknown): string => { try { return JSON.stringify(v) ?? ""; } catch { return ""; } };

export const ALARMS_WIRED: PolicyRule = {
  id: "PC033",
  severity: "medium",
  title: "Every component has alarms, wired to a channel with at least one recipient",
  rationale: "An alarm nobody receives is no alarm.",
  conditions: {
    "no-action": { title: "an alarm or alert policy without an action or channel, or with its actions switched off", checks: ["CKV_AWS_319"] },
    "no-recipient": { title: "an alarm channel without a recipient (topic without subscriber, no e-mail channel, action group without receivers)" },
    "not-alarmed": { title: "a function without an alarm or alert policy" },
  },
  fix: "Set alarms.recipients in the environment; the modules create the channel and the alarms.",
  reads: {
    aws_cloudwatch_metric_alarm: [], aws_sns_topic_subscription: [], aws_lambda_function: [],
    google_monitoring_alert_policy: [], google_monitoring_notification_channel: ["labels"], google_cloudfunctions2_function: [],
    azurerm_monitor_metric_alert: [], azurerm_monitor_action_group: [],
  },
  check: ({ json }) => {
    const out: Violation[] = [];
    const nonEmpty = (v: unknown) => (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null && v !== "");
    const awsAlarms = resources(json, "aws_cloudwatch_metric_alarm");
    out.push(...awsAlarms.filter(([, r]) => !nonEmpty(r.alarm_actions)).map(([address]) => ({ address, condition: "no-action", message: "alarm without actions" })));
    out.push(...awsAlarms.filter(([, r]) => nonEmpty(r.alarm_actions) && bool(r.actions_enabled) === false).map(([address]) => ({ address, condition: "no-action", message: "alarm actions switched off (actions_enabled = false)" })));
    if (awsAlarms.length && resources(json, "aws_sns_topic").length && !resources(json, "aws_sns_topic_subscription").length) out.push({ address: "aws_sns_topic_subscription", condition: "no-recipient", message: "alarm topic has no subscriber" });
    const dims = awsAlarms.map(([, r]) => safeJson(r.dimensions ?? r.metric_query ?? {}));
    if (awsAlarms.length) {
      for (const [address, r] of resources(json, "aws_lambda_function")) {
        const name = text(r.function_name);
        if (name && !dims.some((d) => d.includes(name))) out.push({ address, condition: "not-alarmed", message: "function has no alarm" });
      }
    }
    const policies = resources(json, "google_monitoring_alert_policy");
    out.push(...policies.filter(([, r]) => !nonEmpty(r.notification_channels)).map(([address]) => ({ address, condition: "no-action", message: "alert policy without channels" })));
    if (policies.length && !resources(json, "google_monitoring_notification_channel").some(([, r]) => block(r.labels).email_address)) out.push({ address: "google_monitoring_notification_channel", condition: "no-recipient", message: "no recipient" });
    const filters = policies.map(([, r]) => safeJson(r.conditions ?? []));
    if (policies.length) {
      for (const [address, r] of resources(json, "google_cloudfunctions2_function")) {
        const name = text(r.name);
        if (name && !filters.some((f) => f.includes(`\\"${name}\\"`))) out.push({ address, condition: "not-alarmed", message: "function has no alert policy" });
      }
    }
    out.push(...resources(json, "azurerm_monitor_metric_alert").filter(([, r]) => !nonEmpty(r.action)).map(([address]) => ({ address, condition: "no-action", message: "metric alert without action group" })));
    out.push(...resources(json, "azurerm_monitor_action_group").filter(([, r]) => !nonEmpty(r.email_receiver)).map(([address]) => ({ address, condition: "no-recipient", message: "action group without e-mail receivers" })));
    return out;
  },
};

export const BUDGET: PolicyRule = {
  id: "PC034",
  severity: "medium",
  title: "Every environment × cloud has a budget with notifications",
  rationale: "Runaway spend is an incident too.",
  conditions: { "no-budget": { title: "the environment × cloud has no budget with notifications" } },
  fix: "Set budget in the environment.",
  reads: { aws_budgets_budget: [], google_billing_budget: [], azurerm_consumption_budget_resource_group: [], azurerm_consumption_budget_subscription: [] },
  check: ({ json, cloud }) => {
    const budgets = {
      aws: resources(json, "aws_budgets_budget").filter(([, r]) => blocks(r.notification).length > 0),
      gcp: resources(json, "google_billing_budget").filter(([, r]) => blocks(r.threshold_rules).length > 0 && list<unknown>(block(r.all_updates_rule).monitoring_notification_channels).length > 0),
      azure: resources(json, "azurerm_consumption_budget_resource_group", "azurerm_consumption_budget_subscription").filter(([, r]) => blocks(r.notification).length > 0),
    }[cloud] ?? [];
    return budgets.length ? [] : [{ address: "budget", condition: "no-budget", message: `no ${cloud} budget with notifications` }];
  },
};

const SECRET_NAME = /PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|CREDENTIAL/i;
/**
 * References to a secret by address are fine (`..._SECRET_ARN`, `..._SECRET_NAME`, `..._SECRET_ID`),
 * and so are Azure identity-connection settings (`<conn>__credential = managedidentity`).
 */
/** Values that are credentials whatever their name: AWS access key ids, PEM private keys. */
const SECRET_VALUE = /(^|[^A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}([^A-Z0-9]|$)|-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const SECRET_POINTER = /(_(ARN|NAME|ID|URI|REF)|__credential|__clientId)$/i;

export const NO_PLAIN_SECRETS: PolicyRule = {
  id: "PC040",
  severity: "critical",
  title: "No secret-looking values in plain function environment variables or literal database passwords",
  rationale: "Environment variables are visible to anyone who can read the function configuration and the Terraform state.",
  conditions: {
    "credential-value": {
      title: "a function setting holds what looks like a credential (an AWS access key id, a PEM private key)", checks: ["CKV_AWS_45"],
      differs: "The AWS key and private-key patterns here are a subset of checkov's detectors.",
    },
    "secret-literal": { title: "a literal value under a secret-looking setting name (checkov judges values only)" },
    "password-literal": { title: "a literal database password" },
    "provider-credentials": { title: "credentials written into a provider block (AWS access/secret key, Google credentials JSON, Azure client secret)", checks: ["CKV_AWS_41"] },
  },
  fix: "Declare the value in `secrets`; the function receives a reference and read access to that one secret.",
  reads: {
    aws_lambda_function: ["environment.variables"], google_cloudfunctions2_function: ["service_config.environment_variables"], google_cloudfunctions_function: ["environment_variables"],
    azurerm_function_app_flex_consumption: ["app_settings"], azurerm_linux_function_app: ["app_settings"], azurerm_linux_web_app: ["app_settings"],
    google_sql_user: [], aws_rds_cluster: [], aws_db_instance: [], azurerm_postgresql_flexible_server: [],
  },
  check: ({ json }) => {
    const envOf: [string, unknown][] = [
      ...resources(json, "aws_lambda_function").map(([a, r]) => [a, block(r.environment).variables] as [string, unknown]),
      ...resources(json, "google_cloudfunctions2_function").map(([a, r]) => [a, block(r.service_config).environment_variables] as [string, unknown]),
      ...resources(json, "google_cloudfunctions_function").map(([a, r]) => [a, r.environment_variables] as [string, unknown]),
      ...resources(json, "azurerm_function_app_flex_consumption", "azurerm_linux_function_app", "azurerm_linux_web_app").map(([a, r]) => [a, r.app_settings] as [string, unknown]),
    ];
    const passwords: Violation[] = [
      ...resources(json, "google_sql_user").filter(([, r]) => typeof r.password === "string" && r.password && !isReference(r.password)).map(([address]) => ({ address, condition: "password-literal", message: "password is a literal" })),
      ...resources(json, "aws_rds_cluster", "aws_db_instance").filter(([, r]) => typeof r.master_password === "string" && r.master_password && !isReference(r.master_password)).map(([address]) => ({ address, condition: "password-literal", message: "master_password is a literal (use manage_master_user_password)" })),
      ...resources(json, "azurerm_postgresql_flexible_server").filter(([, r]) => typeof r.administrator_password === "string" && r.administrator_password && !isReference(r.administrator_password)).map(([address]) => ({ address, condition: "password-literal", message: "administrator_password is a literal" })),
    ];
    const provider = isObject(json) && isObject(json.provider) ? json.provider : {};
    const literal = (v: unknown) => typeof v === "string" && v.length > 0 && !isReference(v);
    const providers: Violation[] = [
      ...blocks(provider.aws).filter((p) => literal(p.access_key) || literal(p.secret_key)).map(() => ({ address: "provider.aws", condition: "provider-credentials", message: "access_key or secret_key written in the provider block" })),
      ...blocks(provider.google).filter((p) => literal(p.credentials) && /private_key/.test(String(p.credentials))).map(() => ({ address: "provider.google", condition: "provider-credentials", message: "service account key JSON written in the provider block" })),
      ...blocks(provider.azurerm).filter((p) => literal(p.client_secret) || literal(p.client_certificate_password)).map(() => ({ address: "provider.azurerm", condition: "provider-credentials", message: "client secret written in the provider block" })),
    ];
    return [...providers, ...passwords, ...envOf.flatMap(([address, vars]) => Object.entries(block(vars)).flatMap(([k, v]): Violation[] => {
      const value = typeof v === "string" ? v : "";
      if (SECRET_VALUE.test(value)) return [{ address, condition: "credential-value", message: `${k} holds what looks like a credential` }];
      if (SECRET_NAME.test(k) && !SECRET_POINTER.test(k) && !isReference(v) && !/^@Microsoft\.KeyVault\(/.test(value)) return [{ address, condition: "secret-literal", message: `${k} holds a literal value` }];
      return [];
    }))];
  },
};

/** Terraform meta-arguments and keys that are not resource settings. */
const TAG_ATTRIBUTE: Record<"aws" | "gcp" | "azure", (type: string) => string> = {
  aws: () => "tags",
  gcp: (type) => (type === "google_sql_database_instance" ? "settings.user_labels" : "labels"),
  azure: () => "tags",
};

export const REQUIRED_TAGS: PolicyRule = {
  id: "PC041",
  severity: "medium",
  title: "Every taggable resource carries every required tag",
  rationale: "Cost allocation, ownership and budgets filter on these tags.",
  conditions: {
    "default-tag-missing": { title: "a provider default tag or label is missing or malformed" },
    "environment-tag-wrong": { title: "the provider's environment tag names another environment" },
    "tag-missing": { title: "a resource that must carry tags lacks a required tag" },
    "tag-overridden": { title: "a resource overrides a required tag" },
  },
  fix: "Set tags in the environment; never override a required tag on a resource. On Azure every resource whose provider binding takes tags must carry them (the platform's tag aspect does this).",
  reads: {},
  check: ({ json, cloud, environment }) => {
    const out: Violation[] = [];
    const provider = isObject(json) && isObject(json.provider) ? json.provider : {};
    const defaultsRaw = cloud === "aws" ? block(block(provider.aws).default_tags).tags : cloud === "gcp" ? block(provider.google).default_labels : undefined;
    const defaults = cloud === "azure" ? undefined : stringMap(defaultsRaw);
    if (defaults === "expression") out.push({ address: `provider.${cloud}`, condition: CANNOT_EVALUATE, message: "cannot evaluate: default tags are an expression", unevaluated: "default_tags" });
    const known = defaults === "expression" || cloud === "azure" ? undefined : defaults ?? {};
    if (known) {
      for (const k of REQUIRED_TAG_KEYS) if (!/^[a-z0-9_-]{1,63}$/.test(str(known[k]) ?? "")) out.push({ address: `provider.${cloud}`, condition: "default-tag-missing", message: `default tag ${k} missing` });
      if (known.environment !== undefined && known.environment !== environment) out.push({ address: `provider.${cloud}`, condition: "environment-tag-wrong", message: `environment tag ${str(known.environment) ?? "?"} in ${environment}` });
    }
    for (const type of resourceTypes(json)) {
      const path = TAG_ATTRIBUTE[cloud]?.(type) ?? "tags";
      const mustCarry = cloud === "azure" ? AZURE_TAGGABLE_TYPES.has(type) : type === "google_sql_database_instance";
      for (const [address, r] of resources(json, type)) {
        const raw = path.includes(".") ? block(r.settings).user_labels : cloud === "gcp" ? r.user_labels ?? r.labels : r.tags;
        const tags = stringMap(raw);
        if (tags === "expression") {
          out.push({ address, condition: CANNOT_EVALUATE, message: `cannot evaluate: ${path} is an expression`, unevaluated: path });
          continue;
        }
        const labelled = cloud === "gcp" && r.user_labels !== undefined;
        for (const k of REQUIRED_TAG_KEYS) {
          const v = tags?.[k];
          // A service's own resources (addresses start with its construct id) may name their service over a platform default.
          const ownService = k === "service" && v === address.split(".")[1]?.split("_")[0];
          if ((mustCarry || labelled) && !v) out.push({ address, condition: "tag-missing", message: tags ? `missing ${k}` : `no ${path} at all (missing ${k})` });
          else if (known && tags && Object.prototype.hasOwnProperty.call(tags, k) && v !== known[k] && !isExpression(v) && !ownService) out.push({ address, condition: "tag-overridden", message: `overrides ${k}` });
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
  conditions: {
    unencrypted: { title: "an S3 state backend without encrypt = true" },
    unlocked: { title: "an S3 state backend without locking (use_lockfile or dynamodb_table)" },
    "access-keys": { title: "an azurerm state backend authenticating with access keys instead of Entra ID" },
  },
  fix: "Use the environment's backend settings; the foundation sets encryption and locking.",
  reads: {},
  check: ({ json }) => {
    const backend = block(isObject(json) && isObject(json.terraform) ? json.terraform.backend : undefined);
    const out: Violation[] = [];
    const s3 = backend.s3 === undefined ? undefined : block(backend.s3);
    if (s3) {
      if (bool(s3.encrypt) !== true) out.push({ address: "terraform.backend.s3", condition: "unencrypted", message: "encrypt is not true" });
      if (bool(s3.use_lockfile) !== true && !s3.dynamodb_table) out.push({ address: "terraform.backend.s3", condition: "unlocked", message: "no locking (use_lockfile or dynamodb_table)" });
    }
    if (backend.azurerm !== undefined && bool(block(backend.azurerm).use_azuread_auth) !== true) out.push({ address: "terraform.backend.azurerm", condition: "access-keys", message: "not using Entra ID auth (access keys)" });
    // GCS locks natively and encrypts at rest; a KMS key is optional.
    return out;
  },
};
