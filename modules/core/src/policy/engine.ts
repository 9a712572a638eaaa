import { TerraformJson } from "../capabilities";
import { Finding, PolicyRule, PolicyStack, SEVERITIES, Severity, Suppression, Violation } from "./types";
import { isExpression, isObject, resourceTypes } from "./json";
import { POLICY_RULES } from "./rules";

export interface PolicyResult {
  readonly findings: readonly Finding[];
  /** Suppressions that matched nothing: stale entries are reported so they get removed. */
  readonly unusedSuppressions: readonly Suppression[];
}

export const SUPPRESSION_RULE_ID = "PC000";

/**
 * Runs every rule on every stack and applies the suppressions. Never throws on stack content:
 * a value a rule cannot read becomes a "cannot evaluate" note for that resource and attribute,
 * and a rule that still throws is re-run without the resources that make it throw, so one bad
 * resource never hides the findings on the others.
 */
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
      const seen = new Set<string>();
      for (const v of [...unevaluatedNotes(rule, stack), ...checkSafely(rule, stack)]) {
        const key = `${v.address}\u0000${v.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const match = suppressions.find((s) => s.rule === rule.id && s.stack === stack.name && s.address === v.address && s.justification?.trim().length >= 20);
        if (match) used.add(match);
        findings.push({ rule: rule.id, severity: rule.severity, stack: stack.name, ...v, ...(v.unevaluated !== undefined ? { note: true } : {}), ...(match ? { suppressed: match.justification } : {}) });
      }
    }
  }
  return { findings, unusedSuppressions: suppressions.filter((s) => !used.has(s) && s.justification?.trim().length >= 20) };
}

/** `<type>.<name>` for every resource of the stack, with its raw body. */
function allResources(json: TerraformJson): [string, string, unknown][] {
  return resourceTypes(json).flatMap((type) => Object.entries(json.resource![type]).map(([name, body]) => [type, name, body] as [string, string, unknown]));
}

function withoutResources(stack: PolicyStack, drop: ReadonlySet<string>): PolicyStack {
  const resource: Record<string, Record<string, unknown>> = {};
  for (const [type, name, body] of allResources(stack.json)) {
    if (drop.has(`${type}.${name}`)) continue;
    (resource[type] ??= {})[name] = body;
  }
  return { ...stack, json: { ...stack.json, resource } };
}

/** Runs one rule; if it throws, finds the resources that make it throw and reports them as notes. */
export function checkSafely(rule: PolicyRule, stack: PolicyStack): Violation[] {
  try {
    return rule.check(stack);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const culprits = new Set<string>();
    for (const [type, name, body] of allResources(stack.json)) {
      try {
        rule.check({ ...stack, json: { ...stack.json, resource: { [type]: { [name]: body } } } });
      } catch {
        culprits.add(`${type}.${name}`);
      }
    }
    const notes: Violation[] = [...culprits].map((address) => ({ address, message: `cannot evaluate: the rule failed on this resource (${why})`, unevaluated: "(resource)" }));
    try {
      return [...notes, ...rule.check(withoutResources(stack, culprits))];
    } catch (again) {
      return [...notes, { address: stack.name, message: `cannot evaluate the stack: ${again instanceof Error ? again.message : String(again)}`, unevaluated: "(stack)" }];
    }
  }
}

/**
 * The first step of `path` (dot-separated; lists walked element by element) whose value cannot
 * be read literally: an expression where a value or block is expected, a scalar where a block is
 * expected, or a `dynamic` block. Undefined when every value on the path is literal or absent.
 */
export function unevaluable(body: unknown, path: string): string | undefined {
  const steps = path.split(".");
  let values: unknown[] = [body];
  for (let i = 0; i <= steps.length; i++) {
    const at = steps.slice(0, i).join(".") || "(resource body)";
    const next: unknown[] = [];
    for (const v of values) {
      for (const item of Array.isArray(v) ? v : [v]) {
        if (item === undefined || item === null) continue;
        if (i === steps.length ? isWholeExpression(item) : isExpression(item)) return `${at} is an expression`;
        if (i === steps.length) continue;
        if (!isObject(item)) return `${at} is not a block`;
        const child = item[steps[i]];
        if (isObject(item.dynamic) && item.dynamic[steps[i]] !== undefined) {
          // A dynamic block over a literal collection is expanded by the rules (blocksWithDynamic).
          const literal = (Array.isArray(item.dynamic[steps[i]]) ? item.dynamic[steps[i]] : [item.dynamic[steps[i]]]).every((d: unknown) => isObject(d) && (Array.isArray(d.for_each) || isObject(d.for_each)));
          if (!literal) return `${[...steps.slice(0, i), steps[i]].join(".")} is a dynamic block`;
        }
        next.push(child);
      }
    }
    values = next;
  }
  return undefined;
}

/** A value that is one expression and nothing else: `${var.x}`, `${merge(...)}`. */
const isWholeExpression = (v: unknown): boolean => typeof v === "string" && /^\$\{[\s\S]*\}$/.test(v.trim());

/** "Cannot evaluate" notes for the attributes a rule declares it reads. */
export function unevaluatedNotes(rule: PolicyRule, stack: PolicyStack): Violation[] {
  const out: Violation[] = [];
  const all = isObject(stack.json) && isObject(stack.json.resource) ? stack.json.resource : {};
  for (const [type, paths] of Object.entries(rule.reads)) {
    const byName = all[type];
    if (!isObject(byName)) continue;
    for (const [name, body] of Object.entries(byName)) {
      const problems = new Set<string>();
      if (!isObject(Array.isArray(body) ? body[0] : body)) problems.add("(resource body) is not a block");
      else for (const p of paths) {
        const why = unevaluable(body, p);
        if (why) problems.add(why);
      }
      for (const why of problems) out.push({ address: `${type}.${name}`, message: `cannot evaluate: ${why}`, unevaluated: why.split(" ")[0] });
    }
  }
  return out;
}

export function atOrAbove(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(threshold);
}

/** Findings that fail a run: unsuppressed and at or above the threshold; "cannot evaluate" notes only when asked. */
export function failing(findings: readonly Finding[], threshold: Severity, includeNotes = false): Finding[] {
  return findings.filter((f) => !f.suppressed && (includeNotes || !f.note) && atOrAbove(f.severity, threshold));
}

/** Plain-text table: rule, severity, stack, address, message. */
export function formatTable(findings: readonly Finding[]): string {
  if (!findings.length) return "No findings.";
  const rows = findings.map((f) => [f.rule, f.note ? "note" : f.severity, f.stack, f.address, f.suppressed ? `${f.message} [suppressed: ${f.suppressed}]` : f.message]);
  const head = ["RULE", "SEVERITY", "STACK", "RESOURCE", "MESSAGE"];
  const widths = head.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i].length))));
  const line = (cells: string[]) => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]) : c)).join("  ");
  return [line(head), ...rows.map(line)].join("\n");
}
