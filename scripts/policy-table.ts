import { POLICY_RULES } from "@polycloud/core";
import { writeDocSection } from "./doc-section";

/** The rule table of docs/policy.md, generated from the rule set: `npm run policy:table`. */
export function policyTable(): string {
  return [
    "| Rule | Severity | Checks | checkov | Deliberate differences from checkov | Not applicable |",
    "|---|---|---|---|---|---|",
    ...POLICY_RULES.map((r) => `| ${r.id} | ${r.severity} | ${r.title} | ${r.checkov.join(", ") || "—"} | ${(r.differsFromCheckov ?? "—").replace(/\|/g, "\\|")} | ${Object.entries(r.notApplicable ?? {}).map(([c, why]) => `${c}: ${why}`).join("; ") || "—"} |`),
  ].join("\n");
}

if (require.main === module) writeDocSection("policy", policyTable());
