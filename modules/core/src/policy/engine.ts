import { TerraformJson } from "../capabilities";
import { CANNOT_EVALUATE, Finding, PolicyCondition, PolicyRule, PolicyStack, SEVERITIES, Severity, Suppression, Violation } from "./types";
import { isExpression, isObject, resourceTypes } from "./json";
import { POLICY_RULES } from "./rules";
import { SCANNER_CHECKS } from "./scanner-checks";
import { SUPPRESSION_RULE, checkSuppressions, inScope, matchesStack, matchesTarget, servicesOf } from "./suppressions";

export interface PolicyResult {
  readonly findings: readonly Finding[];
  /**
   * Suppressions that matched nothing although their stacks and their target's service are in this
   * run: stale entries are reported so they get removed.
   */
  readonly unusedSuppressions: readonly Suppression[];
  /**
   * Suppressions for stacks or services this run does not contain (a team's services checked
   * without them, or a filtered synth): neither used nor reported as unused.
   */
  readonly outOfScopeSuppressions: readonly Suppression[];
}

export const SUPPRESSION_RULE_ID = SUPPRESSION_RULE.id;

/** cdktf's resource name: the construct path joined by `_`, then `_` and an 8-hex-digit hash of the path. */
const CDKTF_NAME = /^([A-Za-z0-9-]+(?:_[A-Za-z0-9-]+)*)_[0-9A-F]{8}$/;

/**
 * Every resource's logical target: its construct path without the stack's segment and without
 * cdktf's hash, so `dev-azure/orders/servicebus` is `orders/servicebus` in every partitioning.
 * Read from cdktf's resource name (`orders_servicebus_25646BF9`: the path joined by `_`, as cdktf
 * normalises it, and a hash), so the target is the same whether or not the JSON keeps cdktf's
 * metadata; else from `//.metadata.path` (a name set with overrideLogicalId); else the address
 * itself (Terraform converted from HCL).
 */
export function logicalTargets(json: TerraformJson): Map<string, string> {
  const out = new Map<string, string>();
  const read = (prefix: string, blocks: unknown) => {
    if (!isObject(blocks)) return;
    for (const [type, byName] of Object.entries(blocks)) {
      if (!isObject(byName)) continue;
      for (const [name, body] of Object.entries(byName)) {
        const meta = isObject(body) && isObject(body["//"]) && isObject(body["//"].metadata) ? body["//"].metadata : undefined;
        const path = CDKTF_NAME.exec(name)?.[1].replace(/_/g, "/") ?? (typeof meta?.path === "string" ? meta.path.split("/").slice(1).join("/") : undefined);
        out.set(`${prefix}${type}.${name}`, path || `${prefix}${type}.${name}`);
      }
    }
  };
  if (isObject(json)) {
    read("", json.resource);
    read("data.", (json as { data?: unknown }).data);
  }
  return out;
}

/** The Terraform block key of an address: `aws_sqs_queue`, `data.aws_iam_policy_document`, `provider.aws`. */
export function blockKey(address: string): string {
  const parts = address.split(".");
  return parts[0] === "data" ? `data.${parts[1] ?? ""}` : parts[0] === "provider" ? address : parts[0];
}

/** The scanner checks a finding of `condition` on `address` corresponds to: those whose types include the address's type. */
export function checksFor(condition: PolicyCondition | undefined, address: string): string[] {
  const key = blockKey(address);
  return (condition?.checks ?? []).filter((id) => {
    const known = SCANNER_CHECKS[id];
    return !known || known.types.includes(key);
  });
}

/** A rule's report on one stack before suppressions: the violation, its logical target and scanner checks. */
export interface EvaluatedViolation {
  readonly violation: Violation;
  readonly target: string;
  readonly checks: readonly string[];
}

/**
 * What the rules find on one stack, before suppressions are applied: per rule (in the rules'
 * order) its violations, deduplicated, and the services the stack renders. It depends only on
 * the stack (its JSON, name, cloud, environment and retention) and the rules, so it can be
 * cached by the stack file's content (see `policyEvaluationContext`).
 */
export interface StackEvaluation {
  readonly services: readonly string[];
  readonly rules: readonly { readonly rule: string; readonly violations: readonly EvaluatedViolation[] }[];
}

/** The stack without its JSON: what suppressions and the report need. */
export type StackRef = Pick<PolicyStack, "name" | "environment" | "cloud">;

/** Runs every rule on one stack. Never throws on stack content (see `runPolicy`). */
export function evaluateStack(stack: PolicyStack, rules: readonly PolicyRule[] = POLICY_RULES): StackEvaluation {
  const targets = logicalTargets(stack.json);
  return {
    services: [...servicesOf(targets.values())],
    rules: rules.map((rule) => {
      const seen = new Set<string>();
      const violations: EvaluatedViolation[] = [];
      for (const v of [...unevaluatedNotes(rule, stack), ...checkSafely(rule, stack)]) {
        const key = `${v.address}\u0000${v.condition}\u0000${v.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        violations.push({ violation: v, target: targets.get(v.address) ?? v.address, checks: checksFor(rule.conditions[v.condition], v.address) });
      }
      return { rule: rule.id, violations };
    }),
  };
}

/**
 * The properties of a stack besides its JSON that its evaluation depends on, for a cache key:
 * the same JSON with another name, environment or retention is another evaluation.
 */
export function policyEvaluationContext(stack: Omit<PolicyStack, "json">): string {
  return JSON.stringify([stack.name, stack.cloud, stack.environment, stack.minLogDays ?? null, stack.retention ?? null]);
}

/**
 * Runs every rule on every stack and applies the suppressions. Never throws on stack content:
 * a value a rule cannot read becomes a "cannot evaluate" note for that resource and attribute,
 * and a rule that still throws is re-run without the resources that make it throw, so one bad
 * resource never hides the findings on the others.
 */
export function runPolicy(stacks: readonly PolicyStack[], suppressions: readonly Suppression[] = [], rules: readonly PolicyRule[] = POLICY_RULES): PolicyResult {
  return applySuppressions(stacks.map((stack) => ({ stack, evaluation: evaluateStack(stack, rules) })), suppressions, rules);
}

/**
 * The findings of evaluated stacks (`evaluateStack`, in the stacks' order) with the suppressions
 * applied: the same result as `runPolicy` on those stacks.
 */
export function applySuppressions(evaluated: readonly { readonly stack: StackRef; readonly evaluation: StackEvaluation }[], suppressions: readonly Suppression[] = [], rules: readonly PolicyRule[] = POLICY_RULES): PolicyResult {
  const { problems, valid } = checkSuppressions(suppressions, rules);
  const findings: Finding[] = [...problems];
  const used = new Set<Suppression>();
  const services = new Set<string>();
  const byId = new Map(rules.map((r) => [r.id, r]));
  for (const { stack, evaluation } of evaluated) {
    for (const t of evaluation.services) services.add(t);
    const candidates = valid.filter((s) => s.stacks.some((p) => matchesStack(p, stack)));
    for (const { rule: id, violations } of evaluation.rules) {
      const rule = byId.get(id);
      if (!rule) throw new Error(`policy: an evaluation names rule ${id}, which is not among the rules run`);
      for (const { violation: v, target, checks } of violations) {
        const condition = `${rule.id}.${v.condition}`;
        const match = candidates.find((s) => s.condition === condition && matchesTarget(s.target, target));
        if (match) used.add(match);
        findings.push({
          ...v, rule: rule.id, condition, severity: rule.severity, stack: stack.name, target, checks,
          ...(v.unevaluated !== undefined ? { note: true } : {}), ...(match ? { suppressed: match.justification } : {}),
        });
      }
    }
  }
  const stacks = evaluated.map((e) => e.stack);
  const unused = valid.filter((s) => !used.has(s));
  return {
    findings,
    unusedSuppressions: unused.filter((s) => inScope(s, stacks, services)),
    outOfScopeSuppressions: unused.filter((s) => !inScope(s, stacks, services)),
  };
}

/** Every resource and data source of the stack as [block ("resource" or "data"), type, name, raw body]. */
function allBlocks(json: TerraformJson): ["resource" | "data", string, string, unknown][] {
  const data = isObject(json) && isObject((json as { data?: unknown }).data) ? (json as { data: Record<string, unknown> }).data : {};
  return [
    ...resourceTypes(json).flatMap((type) => Object.entries(json.resource![type]).map(([name, body]) => ["resource", type, name, body] as ["resource", string, string, unknown])),
    ...Object.entries(data).filter(([, byName]) => isObject(byName)).flatMap(([type, byName]) => Object.entries(byName as object).map(([name, body]) => ["data", type, name, body] as ["data", string, string, unknown])),
  ];
}

const addressOf = (block: "resource" | "data", type: string, name: string) => `${block === "data" ? "data." : ""}${type}.${name}`;

/** The stack with only the given blocks (or without them). */
function withBlocks(stack: PolicyStack, keep: (address: string) => boolean): PolicyStack {
  const resource: Record<string, Record<string, unknown>> = {};
  const data: Record<string, Record<string, unknown>> = {};
  for (const [block, type, name, body] of allBlocks(stack.json)) {
    if (!keep(addressOf(block, type, name))) continue;
    ((block === "data" ? data : resource)[type] ??= {})[name] = body;
  }
  return { ...stack, json: { ...stack.json, resource, data } as TerraformJson };
}

/** Runs one rule; if it throws, finds the resources that make it throw and reports them as notes. */
export function checkSafely(rule: PolicyRule, stack: PolicyStack): Violation[] {
  try {
    return rule.check(stack);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const culprits = new Set<string>();
    for (const [block, type, name] of allBlocks(stack.json)) {
      const address = addressOf(block, type, name);
      try {
        rule.check(withBlocks(stack, (a) => a === address));
      } catch {
        culprits.add(address);
      }
    }
    const notes: Violation[] = [...culprits].map((address) => ({ address, condition: CANNOT_EVALUATE, message: `cannot evaluate: the rule failed on this resource (${why})`, unevaluated: "(resource)" }));
    try {
      return [...notes, ...rule.check(withBlocks(stack, (a) => !culprits.has(a)))];
    } catch (again) {
      return [...notes, { address: stack.name, condition: CANNOT_EVALUATE, message: `cannot evaluate the stack: ${again instanceof Error ? again.message : String(again)}`, unevaluated: "(stack)" }];
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
  const data = isObject(stack.json) && isObject((stack.json as { data?: unknown }).data) ? (stack.json as { data: Record<string, unknown> }).data : {};
  for (const [type, paths] of Object.entries(rule.reads)) {
    const byName = type.startsWith("data.") ? data[type.slice(5)] : all[type];
    if (!isObject(byName)) continue;
    for (const [name, body] of Object.entries(byName)) {
      const problems = new Set<string>();
      if (!isObject(Array.isArray(body) ? body[0] : body)) problems.add("(resource body) is not a block");
      else for (const p of paths) {
        const why = unevaluable(body, p);
        if (why) problems.add(why);
      }
      for (const why of problems) out.push({ address: `${type}.${name}`, condition: CANNOT_EVALUATE, message: `cannot evaluate: ${why}`, unevaluated: why.split(" ")[0] });
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

/** Plain-text table: condition, severity, stack, logical target, message (with the address when it differs). */
export function formatTable(findings: readonly Finding[]): string {
  if (!findings.length) return "No findings.";
  const rows = findings.map((f) => [f.condition, f.note ? "note" : f.severity, f.stack, f.target,
    `${f.message}${f.target !== f.address ? ` (${f.address})` : ""}${f.suppressed ? ` [suppressed: ${f.suppressed}]` : ""}`]);
  const head = ["CONDITION", "SEVERITY", "STACK", "TARGET", "MESSAGE"];
  const widths = head.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i].length))));
  const line = (cells: string[]) => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]) : c)).join("  ");
  return [line(head), ...rows.map(line)].join("\n");
}
