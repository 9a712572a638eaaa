import { Finding, PolicyRule, Severity } from "./types";
import { POLICY_RULES } from "./rules";

const LEVEL: Record<Severity, "note" | "warning" | "error"> = { low: "note", medium: "warning", high: "error", critical: "error" };
const SCORE: Record<Severity, string> = { low: "3.0", medium: "5.5", high: "8.0", critical: "9.5" };

/**
 * SARIF 2.1.0 for GitHub code scanning. Locations point at the stack's synthesized file, with
 * the resource address as a logical location.
 */
export function toSarif(findings: readonly Finding[], rules: readonly PolicyRule[] = POLICY_RULES, toolVersion = "0.1.0"): object {
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [{
      tool: {
        driver: {
          name: "polycloud-policy",
          version: toolVersion,
          informationUri: "https://example.invalid/polycloud#policy",
          rules: rules.map((r) => ({
            id: r.id,
            name: r.title.replace(/[^A-Za-z0-9]+/g, " ").trim().replace(/ (\w)/g, (_, c: string) => c.toUpperCase()).replace(/^\w/, (c) => c.toUpperCase()),
            shortDescription: { text: r.title },
            fullDescription: { text: r.rationale },
            help: { text: `${r.fix}${r.checkov.length ? ` (checkov: ${r.checkov.join(", ")})` : ""}` },
            defaultConfiguration: { level: LEVEL[r.severity] },
            properties: { "security-severity": SCORE[r.severity], tags: ["security", "iac", ...r.checkov] },
          })),
        },
      },
      results: findings.map((f) => ({
        ruleId: f.rule,
        level: f.note ? "note" : LEVEL[f.severity],
        message: { text: `${f.stack}: ${f.address}: ${f.message}` },
        locations: [{
          physicalLocation: { artifactLocation: { uri: `cdktf.out/stacks/${f.stack}/cdk.tf.json` } },
          logicalLocations: [{ fullyQualifiedName: `${f.stack}/${f.address}`, kind: "resource" }],
        }],
        ...(f.suppressed ? { suppressions: [{ kind: "external", status: "accepted", justification: f.suppressed }] } : {}),
      })),
    }],
  };
}
