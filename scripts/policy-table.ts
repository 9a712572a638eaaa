import { POLICY_RULES } from "@polycloud/core";
import { writeReadmeSection } from "./readme-section";

/** The README's rule table, generated from the rule set: `npm run policy:table`. */
export function policyTable(): string {
  return [
    "| Rule | Severity | Checks | checkov | Deliberate differences from checkov | Not applicable |",
    "|---|---|---|---|---|---|",
    ...POLICY_RULES.map((r) => `| ${r.id} | ${r.severity} | ${r.title} | ${r.checkov.join(", ") || "—"} | ${(r.differsFromCheckov ?? "—").replace(/\|/g, "\\|")} | ${Object.entries(r.notApplicable ?? {}).map(([c, why]) => `${c}: ${why}`).join("; ") || "—"} |`),
  ].join("\n");
}

if (require.main === module) writeReadmeSection("policy", policyTable());
