import { BEHAVIOUR_FIELDS, Cloud } from "@polycloud/core";
import { AWS_BEHAVIOUR_SOURCES } from "@polycloud/aws";
import { GCP_BEHAVIOUR_SOURCES } from "@polycloud/gcp";
import { AZURE_BEHAVIOUR_SOURCES } from "@polycloud/azure";

/** Where each cloud's reader reads every behaviour field from (resource type and attribute). */
export const BEHAVIOUR_SOURCES: Record<Cloud, Readonly<Record<string, readonly string[]>>> = {
  aws: AWS_BEHAVIOUR_SOURCES, gcp: GCP_BEHAVIOUR_SOURCES, azure: AZURE_BEHAVIOUR_SOURCES,
};

/**
 * The attribute table of docs/parity.md: per component and field, what it means and the
 * attributes each cloud's reader reads it from (`fact:` where no attribute can change it).
 */
export function behaviourAttributesTable(): string {
  const item = (i: string) => (i.startsWith("fact:") ? `*${i}*` : i.replace(/^(\S+)(.*)$/, "`$1`$2"));
  const cell = (items: readonly string[] | undefined) => (items ?? ["(not read)"]).map(item).join("<br>").replace(/\|/g, "\\|");
  return [
    "| Field | What it means | AWS | GCP | Azure |",
    "|---|---|---|---|---|",
    ...Object.entries(BEHAVIOUR_FIELDS).map(([field, meaning]) =>
      `| \`${field}\` | ${meaning} | ${(["aws", "gcp", "azure"] as const).map((c) => cell(BEHAVIOUR_SOURCES[c][field])).join(" | ")} |`),
  ].join("\n");
}
