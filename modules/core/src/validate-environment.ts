import { validateBudgetScope } from "./budget-scope";
import { CLOUDS, ENVIRONMENT_NAMES, EnvironmentConfig } from "./environment";
import { isValidTagKey, normaliseTagValue } from "./tags";
import { Problem, Problems } from "./validation";
import { unknownRegion } from "./regions";
import { rejectTemplateSequences } from "./terraform-strings";
import { ENVIRONMENT_SHAPE, checkShape } from "./environment-schema";
import { BUDGET_LIMITS, BudgetLimits } from "./limits";
import { validateAwsDatabaseSection, validateAzureSection, validateGcpSection } from "./validate-cloud-sections";
import { acceptProblems } from "./warnings";

const EMAIL = /^[^\s@<>"']+@[^\s@<>"']+\.[a-z]{2,}$/i;
const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

function emails(p: Problems, property: string, list: readonly string[] | undefined): void {
  if (!Array.isArray(list) || list.length === 0) {
    p.add(property, list, "at least one e-mail address");
    return;
  }
  list.forEach((e, i) => p.matches(`${property}[${i}]`, e, EMAIL, "an e-mail address"));
}

/**
 * Checks one environment's configuration. The module name is the environment file, so a
 * message reads `environments/prod: property 'budget.monthlyAmount' has value 0; allowed: > 0`.
 */
export function validateEnvironment(env: EnvironmentConfig, out = new Problems(`environments/${env?.name ?? "<unnamed>"}`)): Problems {
  // Every service of every stack validates its environment: the findings are kept per environment
  // object and reused while it serializes the same (one environment's checks, not one per service).
  let snapshot: string | undefined;
  try {
    snapshot = env && typeof env === "object" ? JSON.stringify(env) : undefined;
  } catch {
    snapshot = undefined;
  }
  const known = snapshot !== undefined ? checked.get(env) : undefined;
  const found = known && known.snapshot === snapshot ? known.found : environmentProblems(env);
  if (snapshot !== undefined && found !== known?.found) checked.set(env, { snapshot, found });
  for (const x of found) out.add(x.property, x.value, x.allowed);
  return out;
}

const checked = new WeakMap<EnvironmentConfig, { snapshot: string; found: readonly Problem[] }>();

function environmentProblems(env: EnvironmentConfig): Problem[] {
  const out = new Problems("");
  // Shape first (unknown keys, wrong types, missing values); semantic checks on a path the shape
  // check already flagged are dropped, so each mistake is reported once.
  // A missing value keeps the semantic message when there is one (it names the expected form).
  const shape = new Problems("");
  const flagged = checkShape(env, ENVIRONMENT_SHAPE, shape);
  const p = new Problems("");
  semanticChecks(env, p);
  const semanticPaths = new Set(p.all.map((x) => x.property));
  const invalid = [...flagged].filter(([, why]) => why === "invalid").map(([path]) => path);
  const under = (prop: string, f: string) => prop === f || prop.startsWith(`${f}.`) || prop.startsWith(`${f}[`);
  for (const x of shape.all) if (!(flagged.get(x.property) === "missing" && semanticPaths.has(x.property))) out.add(x.property, x.value, x.allowed);
  for (const x of p.all) if (!invalid.some((f) => under(x.property, f))) out.add(x.property, x.value, x.allowed);
  return [...out.all];
}

function semanticChecks(env: EnvironmentConfig, p: Problems): void {
  if (p.required("name", env.name, `one of ${ENVIRONMENT_NAMES.join(", ")}`)) p.oneOf("name", env.name, ENVIRONMENT_NAMES);

  if (env.platform !== undefined) {
    p.matches("platform", env.platform, /^[a-z][a-z0-9-]{0,18}[a-z0-9]$/, "2-20 lowercase letters, digits and '-', starting with a letter (names the shared resources)");
  }
  const clouds = env.clouds ?? {};
  if (Object.keys(clouds).length === 0) p.add("clouds", clouds, `at least one of ${CLOUDS.join(", ")}`);
  const aws = clouds.aws;
  if (aws) {
    if (p.required("clouds.aws.accountId", aws.accountId, "a 12-digit AWS account id")) {
      p.matches("clouds.aws.accountId", aws.accountId, /^\d{12}$/, "a 12-digit AWS account id");
    }
    if (p.required("clouds.aws.region", aws.region, "an AWS region such as eu-west-1")) {
      if (p.matches("clouds.aws.region", aws.region, AWS_REGION, "an AWS region such as eu-west-1")) {
        const unknown = unknownRegion("aws", aws.region);
        if (unknown) p.add("clouds.aws.region", aws.region, unknown);
      }
    }
    if (aws.backend) {
      p.matches("clouds.aws.backend.bucket", aws.backend.bucket, /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an S3 bucket name");
      p.required("clouds.aws.backend.bucket", aws.backend.bucket, "an S3 bucket name");
      p.matches("clouds.aws.backend.region", aws.backend.region, AWS_REGION, "an AWS region");
    }
    if (aws.network) {
      p.matches("clouds.aws.network.vpcId", aws.network.vpcId, /^vpc-[0-9a-f]{8,17}$/, "a VPC id such as vpc-0abc12345def67890");
      const subnets = aws.network.privateSubnetIds ?? [];
      if (subnets.length < 2) p.add("clouds.aws.network.privateSubnetIds", subnets, "at least two private subnets in different availability zones");
      subnets.forEach((s, i) => p.matches(`clouds.aws.network.privateSubnetIds[${i}]`, s, /^subnet-[0-9a-f]{8,17}$/, "a subnet id"));
    }
    p.matches("clouds.aws.vpcCidr", aws.vpcCidr, /^10\.\d{1,3}\.0\.0\/16$|^172\.(1[6-9]|2\d|3[01])\.0\.0\/16$|^192\.168\.0\.0\/16$/, "a private /16 CIDR such as 10.40.0.0/16");
  }

  if (clouds.aws) validateAwsDatabaseSection(clouds.aws, p);
  if (clouds.gcp) validateGcpSection(clouds.gcp, p);
  if (clouds.azure) validateAzureSection(clouds.azure, p);

  const tags = env.tags ?? ({} as EnvironmentConfig["tags"]);
  for (const key of ["owner", "cost_center"] as const) {
    const value = tags[key];
    if (typeof value !== "string" || normaliseTagValue(value) === "") {
      p.add(`tags.${key}`, value, "a non-empty value that keeps at least one [a-z0-9_-] character after normalisation");
    }
  }
  for (const [key, value] of Object.entries(tags)) {
    if (!isValidTagKey(key)) p.add(`tags.${key}`, key, "a tag key matching ^[a-z][a-z0-9_-]{0,62}$");
    if (typeof value !== "string" || normaliseTagValue(value) === "") {
      p.add(`tags.${key}`, value, "a non-empty value that keeps at least one [a-z0-9_-] character after normalisation");
    }
  }

  emails(p, "alarms.recipients", env.alarms?.recipients);
  for (const [k, v] of Object.entries(env.alarms?.thresholds ?? {})) {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) p.add(`alarms.thresholds.${k}`, v, "a number >= 0");
  }

  const budget = env.budget;
  if (!budget) {
    p.add("budget", budget, "a budget { monthlyAmount, actualThresholdsPercent, forecastThresholdsPercent, recipients }");
  } else {
    if (typeof budget.monthlyAmount !== "number" || !(budget.monthlyAmount > 0)) p.add("budget.monthlyAmount", budget.monthlyAmount, "a number > 0");
    p.matches("budget.currency", budget.currency, /^[A-Z]{3}$/, "an ISO 4217 currency code such as USD");
    const all = [...(budget.actualThresholdsPercent ?? []), ...(budget.forecastThresholdsPercent ?? [])];
    if (all.length === 0) p.add("budget.actualThresholdsPercent", budget.actualThresholdsPercent, "at least one threshold across actual and forecast");
    for (const kind of ["actualThresholdsPercent", "forecastThresholdsPercent"] as const) {
      (budget[kind] ?? []).forEach((t, i) => {
        if (typeof t !== "number" || !(t > 0) || t > 1000) p.add(`budget.${kind}[${i}]`, t, "a positive percentage in (0, 1000]");
      });
    }
    emails(p, "budget.recipients", budget.recipients);
    budgetCaps(p, env, all.length, Array.isArray(budget.recipients) ? budget.recipients.length : 0);
    validateBudgetScope(p, env);
  }

  const r = env.retention;
  if (!r) p.add("retention", r, "{ logDays, archiveDays, backupDays }");
  else {
    p.integer("retention.logDays", r.logDays, 1, 3653, "days");
    p.required("retention.logDays", r.logDays, "days");
    p.integer("retention.archiveDays", r.archiveDays, 0, 3650, "days");
    p.required("retention.archiveDays", r.archiveDays, "days");
    p.integer("retention.backupDays", r.backupDays, 1, 35, "days");
    p.required("retention.backupDays", r.backupDays, "days");
  }
  const s = env.sizing;
  if (!s) p.add("sizing", s, "{ functionMemoryMb, databaseSize, warmInstances }");
  else {
    p.integer("sizing.functionMemoryMb", s.functionMemoryMb, 128, 32768, "MB");
    p.oneOf("sizing.databaseSize", s.databaseSize, ["small", "medium", "large"]);
    p.integer("sizing.warmInstances", s.warmInstances, 0, 100);
  }
  for (const a of acceptProblems(env.accept)) p.add(a.property, a.value, a.allowed);
  rejectTemplateSequences(p, "", env);
  if (typeof env.deletionProtection !== "boolean") p.add("deletionProtection", env.deletionProtection, "true or false");
}

/** Each enabled cloud's budget API caps (BUDGET_LIMITS): reject what would only fail at apply. */
function budgetCaps(p: Problems, env: EnvironmentConfig, notifications: number, recipients: number): void {
  for (const cloud of CLOUDS) {
    if (!env.clouds?.[cloud]) continue;
    const cap: BudgetLimits = BUDGET_LIMITS[cloud];
    if (cap.maxNotifications !== undefined && notifications > cap.maxNotifications) {
      p.add("budget.actualThresholdsPercent + budget.forecastThresholdsPercent", `${notifications} thresholds`,
        `at most ${cap.maxNotifications} thresholds in all (${cloud}: ${cap.service} allow ${cap.maxNotifications} notifications per budget)`);
    }
    if (cap.maxRecipients !== undefined && recipients > cap.maxRecipients) {
      p.add("budget.recipients", `${recipients} addresses`, `at most ${cap.maxRecipients} addresses (${cloud}: ${cap.service} allow ${cap.maxRecipients} ${cap.recipientsCounted})`);
    }
  }
}
