import { createHash } from "node:crypto";
import { NameRule, Namer } from "@polycloud/core";

/** Length of the subscription suffix: 4 base-36 characters (about 1.7 million values). */
export const SUBSCRIPTION_SUFFIX_LENGTH = 4;

/**
 * A short, stable suffix derived from the subscription id: the first characters of its SHA-256 in
 * base 36 (lowercase letters and digits, valid in every Azure name). The same subscription always
 * gives the same suffix, so names stay deterministic; two tenants deploying the same service and
 * environment get different globally unique names.
 */
export function subscriptionSuffix(subscriptionId: string): string {
  const digest = createHash("sha256").update(subscriptionId.toLowerCase()).digest();
  return BigInt(`0x${digest.subarray(0, 8).toString("hex")}`).toString(36).padStart(SUBSCRIPTION_SUFFIX_LENGTH, "0").slice(-SUBSCRIPTION_SUFFIX_LENGTH);
}

/**
 * A name in a global DNS namespace (storage accounts, Key Vault, API Management, Service Bus,
 * PostgreSQL servers, function app host names): the usual `<service>-<env>-<parts>` shortened to
 * leave room for the subscription suffix, so the whole name stays inside the rule's limit.
 */
export function globalName(namer: Namer, subscriptionId: string, rule: NameRule, ...parts: string[]): string {
  const suffix = subscriptionSuffix(subscriptionId);
  const room = rule.maxLength - suffix.length - rule.separator.length;
  return `${namer.name({ ...rule, maxLength: room }, ...parts)}${rule.separator}${suffix}`;
}
