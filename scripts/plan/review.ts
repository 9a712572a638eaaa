import { PlanAction, ResourceChange, TerraformPlan } from "./plan-json";

/**
 * The reviewed plan, and the check that what is about to be applied is what was reviewed.
 *
 * A pull request's plan is stored as an artifact in redacted form: sensitive values become
 * "(sensitive)" and unknown values "(known after apply)", so the artifact holds no secret. At
 * deploy time the stack is planned again and compared with it; any difference refuses the apply.
 */
export const SENSITIVE = "(sensitive)";
export const UNKNOWN = "(known after apply)";

/** Replaces every value marked sensitive, and every value marked unknown, with a placeholder. */
export function mask(value: unknown, sensitive: unknown, unknown?: unknown): unknown {
  if (sensitive === true) return SENSITIVE;
  if (unknown === true) return UNKNOWN;
  if (Array.isArray(value)) {
    const s = Array.isArray(sensitive) ? sensitive : [];
    const u = Array.isArray(unknown) ? unknown : [];
    const length = Math.max(value.length, u.length);
    return Array.from({ length }, (_, i) => mask(value[i], s[i], u[i]));
  }
  if (value && typeof value === "object") {
    const s = sensitive && typeof sensitive === "object" ? (sensitive as Record<string, unknown>) : {};
    const u = unknown && typeof unknown === "object" ? (unknown as Record<string, unknown>) : {};
    const out: Record<string, unknown> = {};
    for (const key of new Set([...Object.keys(value), ...Object.keys(u)])) out[key] = mask((value as Record<string, unknown>)[key], s[key], u[key]);
    return out;
  }
  if (value === undefined && unknown && typeof unknown === "object") return mask(Array.isArray(unknown) ? [] : {}, sensitive, unknown);
  return value;
}

function redactChange(rc: ResourceChange, keepValues: boolean): ResourceChange {
  const c = rc.change;
  return {
    address: rc.address,
    mode: rc.mode,
    type: rc.type,
    name: rc.name,
    ...(rc.index !== undefined ? { index: rc.index } : {}),
    ...(rc.provider_name ? { provider_name: rc.provider_name } : {}),
    ...(rc.action_reason ? { action_reason: rc.action_reason } : {}),
    change: {
      actions: c.actions,
      ...(keepValues
        ? {
          before: mask(c.before ?? null, c.before_sensitive),
          after: mask(c.after ?? null, c.after_sensitive, c.after_unknown),
        }
        : {}),
      ...(c.replace_paths ? { replace_paths: c.replace_paths } : {}),
      ...(c.importing ? { importing: c.importing } : {}),
    },
  };
}

/** The plan as stored for review: same JSON shape (the summary reads it), no secrets, no unchanged resources' values. */
export function redactPlan(plan: TerraformPlan): TerraformPlan {
  const changed = (rc: ResourceChange) => rc.change.actions.some((a) => a !== "no-op" && a !== "read");
  return {
    format_version: plan.format_version,
    ...(plan.terraform_version ? { terraform_version: plan.terraform_version } : {}),
    resource_changes: (plan.resource_changes ?? []).map((rc) => redactChange(rc, changed(rc))),
    resource_drift: (plan.resource_drift ?? []).map((rc) => redactChange(rc, false)),
    output_changes: Object.fromEntries(Object.entries(plan.output_changes ?? {}).map(([k, v]) => [k, { actions: v.actions }])),
    errored: plan.errored === true,
  };
}

export interface ComparableChange {
  readonly address: string;
  readonly actions: readonly PlanAction[];
  readonly after: unknown;
}

/** Managed resources that change, with their masked planned values, by address. */
export function comparableChanges(plan: TerraformPlan): Map<string, ComparableChange> {
  const redacted = redactPlan(plan);
  const out = new Map<string, ComparableChange>();
  for (const rc of redacted.resource_changes ?? []) {
    if (rc.mode !== "managed" || rc.change.actions.every((a) => a === "no-op" || a === "read")) continue;
    out.set(rc.address, { address: rc.address, actions: rc.change.actions, after: rc.change.after ?? null });
  }
  return out;
}

/**
 * Differences between the reviewed plan and the plan about to be applied; empty means "apply it".
 * A current plan without changes is always accepted: applying it changes nothing.
 */
export function comparePlans(reviewed: TerraformPlan | undefined, current: TerraformPlan): string[] {
  const before = reviewed ? comparableChanges(reviewed) : new Map<string, ComparableChange>();
  const now = comparableChanges(current);
  const problems: string[] = [];
  if (current.errored) problems.push("the current plan errored");
  // Nothing to apply (e.g. a re-run after the reviewed changes were applied): nothing unreviewed can happen.
  if (!problems.length && now.size === 0) return [];
  for (const [address, c] of now) {
    const r = before.get(address);
    if (!r) {
      problems.push(`${address}: ${c.actions.join("+")} was not in the reviewed plan${reviewed ? "" : " (no plan was reviewed for this stack)"}`);
      continue;
    }
    if (r.actions.join() !== c.actions.join()) problems.push(`${address}: reviewed ${r.actions.join("+")}, now ${c.actions.join("+")}`);
    else {
      const diff = firstDifference(r.after, c.after, "");
      if (diff !== undefined) problems.push(`${address}: planned value of '${diff || "(resource)"}' differs from the reviewed plan`);
    }
  }
  for (const [address, r] of before) {
    if (!now.has(address)) problems.push(`${address}: the reviewed plan would ${r.actions.join("+")} it, the current plan does not`);
  }
  return problems;
}

/** The first attribute path where two JSON values differ, or undefined when equal. */
function firstDifference(a: unknown, b: unknown, at: string): string | undefined {
  if (a === b) return undefined;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return at;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${at}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of [...keys].sort()) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return at;
}
