import { POLICY_RULES } from "@polycloud/core";
import { writeDocSection } from "./doc-section";

const cell = (text: string) => text.replace(/\|/g, "\\|");

/** The rule and condition table of docs/policy.md, generated from the rule set: `npm run policy:table`. */
export function policyTable(): string {
  return [
    "| Condition | Severity | Finds | Same check as | Deliberate differences |",
    "|---|---|---|---|---|",
    ...POLICY_RULES.flatMap((r) => [
      `| **${r.id}** | ${r.severity} | **${cell(r.title)}**${Object.keys(r.notApplicable ?? {}).length ? ` (not applicable: ${Object.entries(r.notApplicable ?? {}).map(([c, why]) => `${c}: ${cell(why)}`).join("; ")})` : ""} | | |`,
      ...Object.entries(r.conditions).map(([key, c]) => `| ${r.id}.${key} | ${r.severity} | ${cell(c.title)} | ${(c.checks ?? []).join(", ") || "—"} | ${cell(c.differs ?? "—")} |`),
    ]),
  ].join("\n");
}

if (require.main === module) writeDocSection("policy", policyTable());
