import { POLICY_RULES } from "@polycloud/core";
import { writeReadmeSection } from "./readme-section";

/** The README's rule table, generated from the rule set: `npm run policy:table`. */
export function policyTable(): string {
  return [
    "| Rule | Severity | Checks | checkov | Not applicable |",
    "|---|---|---|---|---|",
    ...POLICY_RULES.map((r) => `| ${r.id} | ${r.severity} | ${r.title} | ${r.checkov.join(", ") || "—"} | ${Object.entries(r.notApplicable ?? {}).map(([c, why]) => `${c}: ${why}`).join("; ") || "—"} |`),
  ].join("\n");
}

if (require.main === module) writeReadmeSection("policy", policyTable());
