import { Finding, PolicyRule, PolicyStack, Suppression } from "./types";
import { isObject } from "./json";

/**
 * The suppression file's own rule: an entry that cannot be applied is a finding, never silently
 * ignored, and never hides anything.
 */
export const SUPPRESSION_RULE = {
  id: "PC000",
  severity: "high",
  title: "Every suppression names one condition, a logical target and where it applies, with a written justification",
  rationale: "A suppression accepts a known deviation; one that is vague, stale in form or unexplained hides findings nobody reviewed.",
  fix: "Give `condition` (`PC006.public-network`), `target` (`orders/servicebus`), `stacks` (`[\"dev-azure\"]`) and a justification of at least 20 characters; migrate old entries with `npm run policy:migrate-suppressions`.",
  conditions: {
    "no-justification": { title: "suppression without a written justification (at least 20 characters)" },
    "unknown-condition": { title: "suppression names a condition no rule has" },
    "old-format": { title: "suppression keyed by rule and hashed address (the format before conditions)" },
    malformed: { title: "suppression without a target or stacks" },
  },
} as const;

const MIN_JUSTIFICATION = 20;

/** `*` matches any run of characters. */
function glob(pattern: string, anySegment: boolean): RegExp {
  const body = pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(anySegment ? "[^/]*" : ".*");
  return new RegExp(`^${body}$`);
}

/** A `stacks` entry against a stack: its `<environment>-<cloud>` or its name. */
export function matchesStack(pattern: string, stack: Pick<PolicyStack, "name" | "environment" | "cloud">): boolean {
  const re = glob(pattern, false);
  return re.test(`${stack.environment}-${stack.cloud}`) || re.test(stack.name);
}

/** A suppression's target against a finding's logical target; `*` stays within one path segment. */
export function matchesTarget(pattern: string, target: string): boolean {
  return pattern === target || (pattern.includes("*") && glob(pattern, true).test(target));
}

/** The services (first construct-path segment) of a stack's logical targets. */
export function servicesOf(targets: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const t of targets) if (t.includes("/")) out.add(t.split("/")[0]);
  return out;
}

/**
 * Whether a run can judge a suppression: one of its stacks is in the run and, for a construct
 * path, its service is rendered there. A team's suppressions are not "unused" in a run of the
 * sample services, nor the sample's in a run of the team's.
 */
export function inScope(s: Suppression, stacks: readonly Pick<PolicyStack, "name" | "environment" | "cloud">[], services: ReadonlySet<string>): boolean {
  if (!stacks.some((stack) => s.stacks.some((p) => matchesStack(p, stack)))) return false;
  if (!s.target.includes("/")) return true;
  const service = s.target.split("/")[0];
  return service.includes("*") ? [...services].some((x) => glob(service, true).test(x)) : services.has(service);
}

/**
 * Problems with the suppression entries themselves (PC000 findings) and the entries that can be
 * applied. An entry in the format before conditions (`rule` + `stack` + `address`) accepts a whole
 * rule; it is refused with the command that migrates it.
 */
export function checkSuppressions(entries: readonly unknown[], rules: readonly PolicyRule[]): { problems: Finding[]; valid: Suppression[] } {
  const conditions = new Set(rules.flatMap((r) => Object.keys(r.conditions).map((k) => `${r.id}.${k}`)));
  for (const r of rules) conditions.add(`${r.id}.cannot-evaluate`);
  const problems: Finding[] = [];
  const valid: Suppression[] = [];
  entries.forEach((raw, i) => {
    const e = isObject(raw) ? raw : {};
    const address = `suppressions[${i}]`;
    const problem = (key: keyof typeof SUPPRESSION_RULE.conditions, message: string) => problems.push({
      rule: SUPPRESSION_RULE.id, condition: `${SUPPRESSION_RULE.id}.${key}`, severity: SUPPRESSION_RULE.severity, stack: "(suppressions)",
      address, target: typeof e.target === "string" ? e.target : address, checks: [], message,
    });
    if (typeof e.rule === "string" && e.condition === undefined) {
      problem("old-format", `suppression of ${e.rule} on ${String(e.address)} in ${String(e.stack)} accepts every condition of the rule; name the one condition it accepts (npm run policy:migrate-suppressions)`);
      return;
    }
    const condition = typeof e.condition === "string" ? e.condition : "";
    const justification = typeof e.justification === "string" ? e.justification.trim() : "";
    const stacks = Array.isArray(e.stacks) ? e.stacks.filter((x): x is string => typeof x === "string" && x.length > 0) : [];
    let ok = true;
    if (justification.length < MIN_JUSTIFICATION) {
      problem("no-justification", `suppression of ${condition || "?"} on ${String(e.target ?? "?")} has no written justification (at least ${MIN_JUSTIFICATION} characters)`);
      ok = false;
    }
    if (!conditions.has(condition)) {
      problem("unknown-condition", `suppression names condition ${JSON.stringify(e.condition)}; allowed: a rule's condition id such as PC006.public-network (docs/policy.md lists them)`);
      ok = false;
    }
    if (typeof e.target !== "string" || !e.target || !stacks.length || !Array.isArray(e.stacks) || stacks.length !== e.stacks.length) {
      problem("malformed", `suppression of ${condition || "?"} needs a target (a construct path such as orders/servicebus) and stacks (such as ["dev-azure"]); it has target ${JSON.stringify(e.target)}, stacks ${JSON.stringify(e.stacks)}`);
      ok = false;
    }
    if (ok) valid.push({ condition, target: e.target as string, stacks, justification });
  });
  return { problems, valid };
}
