import { POLICY_RULES, SCANNER_CHECKS, SCANNER_SCOPE, scannerCoverage } from "@polycloud/core";
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

const SEVERITY_ORDER = ["critical", "high", "unpublished", "low-or-medium"];

/**
 * The scanner coverage of docs/policy.md: every catalogued checkov and trivy check (HIGH,
 * CRITICAL or without a published severity on a type in the scope, and every cited one) with
 * the conditions that cite it or the reason it does not apply.
 */
export function scannerTable(): string {
  const rows = scannerCoverage().sort((a, b) => SEVERITY_ORDER.indexOf(a.check.severity) - SEVERITY_ORDER.indexOf(b.check.severity) || a.id.localeCompare(b.id, "en", { numeric: true }));
  const count = (pred: (r: (typeof rows)[number]) => boolean) => rows.filter(pred).length;
  const judged = rows.filter((r) => r.check.severity !== "low-or-medium");
  return [
    `${Object.keys(SCANNER_CHECKS).length} checks in the catalogue over ${SCANNER_SCOPE.length} Terraform blocks: ${judged.length} HIGH, CRITICAL or without a published severity (${count((r) => r.check.severity !== "low-or-medium" && r.conditions.length > 0)} covered by a condition, ${count((r) => r.check.severity !== "low-or-medium" && !r.conditions.length)} with a reason), and ${count((r) => r.check.severity === "low-or-medium")} lower-severity checks that a condition cites.`,
    "",
    "| Check | Scanner | Severity | Resource types | Covered by | Or why it does not apply |",
    "|---|---|---|---|---|---|",
    ...rows.map((r) => `| ${r.id} | ${r.check.scanner} | ${r.check.severity} | ${cell(r.check.types.slice(0, 4).join(", "))}${r.check.types.length > 4 ? ` (+${r.check.types.length - 4})` : ""} | ${r.conditions.join(", ") || "—"} | ${cell(r.reason ?? "—")} |`),
  ].join("\n");
}

if (require.main === module) {
  writeDocSection("policy", policyTable());
  writeDocSection("scanners", scannerTable());
}
