import { CANNOT_EVALUATE, Finding, PolicyCondition, PolicyRule, Severity } from "./types";
import { POLICY_RULES } from "./rules";
import { SUPPRESSION_RULE } from "./suppressions";

const LEVEL: Record<Severity, "note" | "warning" | "error"> = { low: "note", medium: "warning", high: "error", critical: "error" };
const SCORE: Record<Severity, string> = { low: "3.0", medium: "5.5", high: "8.0", critical: "9.5" };

type RuleLike = Pick<PolicyRule, "id" | "severity" | "title" | "rationale" | "fix"> & { readonly conditions: Readonly<Record<string, PolicyCondition>> };

const camel = (text: string) => text.replace(/[^A-Za-z0-9]+/g, " ").trim().replace(/ (\w)/g, (_, c: string) => c.toUpperCase()).replace(/^\w/, (c) => c.toUpperCase());

/** One SARIF reporting descriptor per condition (`PC006.local-auth`), plus each rule's cannot-evaluate note. */
function descriptors(rule: RuleLike): object[] {
  const conditions: [string, PolicyCondition][] = [...Object.entries(rule.conditions), [CANNOT_EVALUATE, { title: "a value the rule needs is not literal (expression, reference, wrong shape)" }]];
  return conditions.map(([key, c]) => {
    const checks = c.checks ?? [];
    return {
      id: `${rule.id}.${key}`,
      name: camel(`${rule.id} ${key}`),
      shortDescription: { text: `${rule.title}: ${c.title}` },
      fullDescription: { text: rule.rationale },
      help: { text: `${rule.fix}${checks.length ? ` (same check as ${checks.join(", ")})` : ""}${c.differs ? ` Differs: ${c.differs}` : ""}` },
      defaultConfiguration: { level: key === CANNOT_EVALUATE ? "note" : LEVEL[rule.severity] },
      properties: { rule: rule.id, "security-severity": SCORE[rule.severity], tags: ["security", "iac", rule.id, ...checks] },
    };
  });
}

/**
 * SARIF 2.1.0 for GitHub code scanning. Each condition is a reporting descriptor of its own, so a
 * result's ruleId names the condition it is for; locations point at the stack's synthesized file,
 * with the resource address and the logical target as logical locations.
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
          rules: [SUPPRESSION_RULE, ...rules].flatMap(descriptors),
        },
      },
      results: findings.map((f) => ({
        ruleId: f.condition,
        level: f.note ? "note" : LEVEL[f.severity],
        message: { text: `${f.stack}: ${f.target}: ${f.message}` },
        locations: [{
          physicalLocation: { artifactLocation: { uri: f.rule === SUPPRESSION_RULE.id ? "policy/suppressions.json" : `cdktf.out/stacks/${f.stack}/cdk.tf.json` } },
          logicalLocations: [
            { fullyQualifiedName: `${f.stack}/${f.address}`, kind: "resource" },
            ...(f.target !== f.address ? [{ fullyQualifiedName: f.target, kind: "module" }] : []),
          ],
        }],
        properties: { rule: f.rule, target: f.target, checks: f.checks },
        ...(f.suppressed ? { suppressions: [{ kind: "external", status: "accepted", justification: f.suppressed }] } : {}),
      })),
    }],
  };
}
