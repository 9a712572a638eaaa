import { BUDGET_SCOPES, CLOUDS, ENVIRONMENT_NAMES } from "./environment";
import { DATABASE_SIZES } from "./specs";
import { Problems } from "./validation";

/**
 * The exact shape of an environment file. TypeScript checks it at compile time, but files are
 * also built by scripts, cast, or loaded from JSON; at synth time every unknown key, wrong type
 * and missing required value is reported with its key path and the expected type. No key is
 * silently ignored.
 */
export type Shape =
  | { readonly t: "string" | "boolean" }
  | { readonly t: "number"; readonly integer?: boolean }
  | { readonly t: "enum"; readonly of: readonly string[] }
  | { readonly t: "array"; readonly of: Shape }
  | { readonly t: "object"; readonly fields: Readonly<Record<string, Field>>; readonly extra?: Shape; readonly unknown?: string };
interface Field { readonly shape: Shape; readonly required: boolean }

const str: Shape = { t: "string" };
const num: Shape = { t: "number" };
const int: Shape = { t: "number", integer: true };
const bool: Shape = { t: "boolean" };
const oneOf = (...of: string[]): Shape => ({ t: "enum", of });
const list = (of: Shape): Shape => ({ t: "array", of });
const req = (shape: Shape): Field => ({ shape, required: true });
const opt = (shape: Shape): Field => ({ shape, required: false });
const obj = (fields: Record<string, Field>, more: { extra?: Shape; unknown?: string } = {}): Shape => ({ t: "object", fields, ...more });

const awsShape = obj({
  accountId: req(str), region: req(str), vpcCidr: opt(str),
  backend: opt(obj({ bucket: req(str), key: opt(str), region: opt(str), kmsKeyId: opt(str), roleArn: opt(str) })),
  network: opt(obj({ vpcId: req(str), privateSubnetIds: req(list(str)) })),
  database: opt(obj({ proxy: opt(bool), autoPauseSeconds: opt(int), acceptNoPooling: opt(bool) })),
});
const gcpShape = obj({
  projectId: req(str), region: req(str), billingAccount: req(str), connectorCidr: opt(str), gatewayDomains: opt(list(str)),
  backend: opt(obj({ bucket: req(str), prefix: opt(str), kmsEncryptionKey: opt(str), impersonateServiceAccount: opt(str) })),
  network: opt(obj({ networkId: req(str), subnetId: req(str) })),
  database: opt(obj({ edition: opt(oneOf("ENTERPRISE", "ENTERPRISE_PLUS")), tier: opt(str), acceptNoPooling: opt(bool) })),
});
const azureShape = obj({
  subscriptionId: req(str), tenantId: req(str), location: req(str), budgetStartDate: req(str), vnetCidr: opt(str),
  apiManagementSku: opt(oneOf("Consumption_0", "BasicV2_1", "StandardV2_1", "PremiumV2_1")), serviceBusSku: opt(oneOf("Standard", "Premium")), keyVaultAllowedIpRanges: opt(list(str)),
  backend: opt(obj({ resourceGroupName: req(str), storageAccountName: req(str), containerName: req(str), key: opt(str) })),
  network: opt(obj({ databaseSubnetId: req(str), functionSubnetId: req(str), privateDnsZoneId: req(str), endpointSubnetId: opt(str), serviceBusDnsZoneId: opt(str) })),
  database: opt(obj({ skuName: opt(str), acceptNoPooling: opt(bool) })),
});
const thresholds = ["functionErrors", "functionThrottles", "functionDurationP99PercentOfTimeout", "gateway5xx", "gatewayLatencyP99Ms",
  "queueOldestMessageAgeSeconds", "busFailedInvocations", "proxyPinnedConnections", "proxyConnectionSaturationPercent"];

export const ENVIRONMENT_SHAPE: Shape = obj({
  name: req(oneOf(...ENVIRONMENT_NAMES)),
  clouds: req(obj({ aws: opt(awsShape), gcp: opt(gcpShape), azure: opt(azureShape) }, { unknown: `a known cloud: ${CLOUDS.join(", ")} (unknown cloud)` })),
  tags: req(obj({ owner: req(str), cost_center: req(str) }, { extra: str })),
  alarms: req(obj({ recipients: req(list(str)), thresholds: opt(obj(Object.fromEntries(thresholds.map((k) => [k, opt(num)])))) })),
  budget: req(obj({ monthlyAmount: req(num), currency: opt(str), actualThresholdsPercent: req(list(num)), forecastThresholdsPercent: req(list(num)), recipients: req(list(str)),
    scope: req(oneOf(...BUDGET_SCOPES)), shares: opt(obj({ aws: opt(num), gcp: opt(num), azure: opt(num) })),
    acceptIdleOverBudget: opt(obj({ aws: opt(str), gcp: opt(str), azure: opt(str) })) })),
  retention: req(obj({ logDays: req(int), archiveDays: req(int), backupDays: req(int) })),
  sizing: req(obj({ functionMemoryMb: req(int), databaseSize: req(oneOf(...DATABASE_SIZES)), warmInstances: req(int) })),
  deletionProtection: req(bool),
  partitioning: opt(oneOf("environment", "service")),
  platform: opt(str),
  accept: opt(list(str)),
});

function describe(shape: Shape): string {
  switch (shape.t) {
    case "enum": return `one of ${shape.of.map((v) => JSON.stringify(v)).join(", ")}`;
    case "array": return `an array of ${describe(shape.of).replace(/^an? /, "")}s`;
    case "object": return "an object";
    case "number": return shape.integer ? "an integer" : "a number";
    default: return `a ${shape.t}`;
  }
}

/** Records every deviation of `value` from `shape`; returns the key paths it flagged and why. */
export function checkShape(value: unknown, shape: Shape, p: Problems, path = ""): Map<string, "missing" | "invalid"> {
  const flagged = new Map<string, "missing" | "invalid">();
  const flag = (at: string, v: unknown, allowed: string) => { p.add(at, v, allowed); flagged.set(at, v === undefined ? "missing" : "invalid"); };
  const walk = (v: unknown, s: Shape, at: string): void => {
    switch (s.t) {
      case "string": case "boolean":
        if (typeof v !== s.t) flag(at, v, describe(s));
        return;
      case "number":
        if (typeof v !== "number" || !Number.isFinite(v) || (s.integer && !Number.isInteger(v))) flag(at, v, describe(s));
        return;
      case "enum":
        if (typeof v !== "string" || !s.of.includes(v)) flag(at, v, describe(s));
        return;
      case "array":
        if (!Array.isArray(v)) flag(at, v, describe(s));
        else v.forEach((item, i) => walk(item, s.of, `${at}[${i}]`));
        return;
      case "object": {
        if (!v || typeof v !== "object" || Array.isArray(v)) { flag(at, v, describe(s)); return; }
        const rec = v as Record<string, unknown>;
        for (const [key, field] of Object.entries(s.fields)) {
          const child = at ? `${at}.${key}` : key;
          if (rec[key] === undefined) { if (field.required) flag(child, undefined, `${describe(field.shape)} (required)`); }
          else walk(rec[key], field.shape, child);
        }
        for (const key of Object.keys(rec)) {
          if (key in s.fields) continue;
          const child = at ? `${at}.${key}` : key;
          if (s.extra) walk(rec[key], s.extra, child);
          else flag(child, rec[key], s.unknown ?? `no such key (known keys: ${Object.keys(s.fields).join(", ")})`);
        }
      }
    }
  };
  walk(value, shape, path);
  return flagged;
}
