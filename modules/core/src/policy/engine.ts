import { Finding, PolicyRule, PolicyStack, SEVERITIES, Severity, Suppression } from "./types";
import { POLICY_RULES } from "./rules";

export interface PolicyResult {
  readonly findings: readonly Finding[];
  /** Suppressions that matched nothing: stale entries are reported so they get removed. */
  readonly unusedSuppressions: readonly Suppression[];
}

export const SUPPRESSION_RULE_ID = "PC000";

/** Runs every rule on every stack and applies the suppressions. */
export function runPolicy(stacks: readonly PolicyStack[], suppressions: readonly Suppression[] = [], rules: readonly PolicyRule[] = POLICY_RULES): PolicyResult {
  const findings: Finding[] = [];
  const used = new Set<Suppression>();
  for (const s of suppressions) {
    if (!s.justification || s.justification.trim().length < 20) {
      findings.push({ rule: SUPPRESSION_RULE_ID, severity: "high", stack: s.stack, address: s.address, message: `suppression of ${s.rule} has no written justification (at least 20 characters)` });
    }
  }
  for (const stack of stacks) {
    for (const rule of rules) {
      for (const v of rule.check(stack)) {
        const match = suppressions.find((s) => s.rule === rule.id && s.stack === stack.name && s.address === v.address && s.justification?.trim().length >= 20);
        if (match) used.add(match);
        findings.push({ rule: rule.id, severity: rule.severity, stack: stack.name, ...v, ...(match ? { suppressed: match.justification } : {}) });
      }
    }
  }
  return { findings, unusedSuppressions: suppressions.filter((s) => !used.has(s) && s.justification?.trim().length >= 20) };
}

export function atOrAbove(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(threshold);
}

/** Findings that fail a run: unsuppressed and at or above the threshold. */
export function failing(findings: readonly Finding[], threshold: Severity): Finding[] {
  return findings.filter((f) => !f.suppressed && atOrAbove(f.severity, threshold));
}

/** Plain-text table: rule, severity, stack, address, message. */
export function formatTable(findings: readonly Finding[]): string {
  if (!findings.length) return "No findings.";
  const rows = findings.map((f) => [f.rule, f.severity, f.stack, f.address, f.suppressed ? `${f.message} [suppressed: ${f.suppressed}]` : f.message]);
  const head = ["RULE", "SEVERITY", "STACK", "RESOURCE", "MESSAGE"];
  const widths = head.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i].length))));
  const line = (cells: string[]) => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]) : c)).join("  ");
  return [line(head), ...rows.map(line)].join("\n");
}
