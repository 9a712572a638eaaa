import { createHash, randomBytes } from "node:crypto";
import { OutputChange, PlanAction, ResourceChange, TerraformPlan } from "./plan-json";

/**
 * The reviewed plan, and the check that what is about to be applied is what was reviewed.
 *
 * A pull request's plan is stored as an artifact in redacted form: a planned sensitive value
 * becomes "(sensitive sha256:<salted hash>)" (a random salt per plan, stored in the plan as
 * `review_salt`), a prior sensitive value "(sensitive)", and unknown values "(known after apply)",
 * so the artifact holds no secret but a changed secret still shows as a changed value. At deploy
 * time the stack is planned again, redacted with the reviewed plan's salt and compared with it:
 * resource changes (actions, planned values, imports) and output changes.
 */
export const SENSITIVE = "(sensitive)";
export const SENSITIVE_HASH_PREFIX = "(sensitive sha256:";
export const UNKNOWN = "(known after apply)";

/** A fresh salt for one redacted plan. */
export function newSalt(): string {
  return randomBytes(16).toString("hex");
}

function hashed(value: unknown, salt: string | undefined): string {
  if (salt === undefined) return SENSITIVE;
  return `${SENSITIVE_HASH_PREFIX}${createHash("sha256").update(`${salt}\0${canonical(value)}`).digest("hex")})`;
}

/** JSON with sorted keys, so equal values hash equally whatever order Terraform printed them in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Replaces every value marked sensitive, and every value marked unknown, with a placeholder. With a
 * salt, a sensitive value becomes its salted hash (comparable, not readable).
 */
export function mask(value: unknown, sensitive: unknown, unknown?: unknown, salt?: string): unknown {
  if (sensitive === true) return hashed(value, salt);
  if (unknown === true) return UNKNOWN;
  if (Array.isArray(value)) {
    const s = Array.isArray(sensitive) ? sensitive : [];
    const u = Array.isArray(unknown) ? unknown : [];
    const length = Math.max(value.length, u.length);
    return Array.from({ length }, (_, i) => mask(value[i], s[i], u[i], salt));
  }
  if (value && typeof value === "object") {
    const s = sensitive && typeof sensitive === "object" ? (sensitive as Record<string, unknown>) : {};
    const u = unknown && typeof unknown === "object" ? (unknown as Record<string, unknown>) : {};
    const out: Record<string, unknown> = {};
    for (const key of new Set([...Object.keys(value), ...Object.keys(u)])) out[key] = mask((value as Record<string, unknown>)[key], s[key], u[key], salt);
    return out;
  }
  if (value === undefined && unknown && typeof unknown === "object") return mask(Array.isArray(unknown) ? [] : {}, sensitive, unknown, salt);
  return value;
}

function redactChange(rc: ResourceChange, keepValues: boolean, salt: string): ResourceChange {
  const c = rc.change;
  return {
    address: rc.address,
    mode: rc.mode,
    type: rc.type,
    name: rc.name,
    ...(rc.index !== undefined ? { index: rc.index } : {}),
    ...(rc.deposed ? { deposed: rc.deposed } : {}),
    ...(rc.provider_name ? { provider_name: rc.provider_name } : {}),
    ...(rc.action_reason ? { action_reason: rc.action_reason } : {}),
    change: {
      actions: c.actions,
      ...(keepValues
        ? {
          before: mask(c.before ?? null, c.before_sensitive),
          after: mask(c.after ?? null, c.after_sensitive, c.after_unknown, salt),
        }
        : {}),
      ...(c.replace_paths ? { replace_paths: c.replace_paths } : {}),
      ...(c.importing ? { importing: c.importing } : {}),
    },
  };
}

function redactOutput(o: OutputChange, salt: string): OutputChange {
  if (o.actions.every((a) => a === "no-op")) return { actions: o.actions };
  return { actions: o.actions, after: mask(o.after ?? null, o.after_sensitive, o.after_unknown, salt) };
}

const changes = (rc: ResourceChange) => rc.change.actions.some((a) => a !== "no-op" && a !== "read") || !!rc.change.importing;

/**
 * The plan as stored for review: same JSON shape (the summary reads it), no secrets, no unchanged
 * resources' values. `salt` defaults to the plan's own `review_salt` (redacting twice changes
 * nothing), else a fresh one.
 */
export function redactPlan(plan: TerraformPlan, salt: string = plan.review_salt ?? newSalt()): TerraformPlan {
  return {
    format_version: plan.format_version,
    ...(plan.terraform_version ? { terraform_version: plan.terraform_version } : {}),
    review_salt: salt,
    resource_changes: (plan.resource_changes ?? []).map((rc) => redactChange(rc, changes(rc), salt)),
    resource_drift: (plan.resource_drift ?? []).map((rc) => redactChange(rc, false, salt)),
    output_changes: Object.fromEntries(Object.entries(plan.output_changes ?? {}).map(([k, v]) => [k, redactOutput(v, salt)])),
    errored: plan.errored === true,
  };
}

export interface ComparableChange {
  /** The resource address (`#deposed` appended for a deposed object), or `output.<name>`. */
  readonly key: string;
  readonly actions: readonly PlanAction[];
  readonly after: unknown;
  readonly importing?: unknown;
}

/** Managed resources that change or are imported, and outputs that change, with their masked planned values. */
export function comparableChanges(plan: TerraformPlan, salt?: string): Map<string, ComparableChange> {
  const redacted = redactPlan(plan, salt);
  const out = new Map<string, ComparableChange>();
  for (const rc of redacted.resource_changes ?? []) {
    if (rc.mode !== "managed" || !changes(rc)) continue;
    const key = rc.deposed ? `${rc.address}#deposed` : rc.address;
    out.set(key, { key, actions: rc.change.actions, after: rc.change.after ?? null, ...(rc.change.importing ? { importing: rc.change.importing } : {}) });
  }
  for (const [name, o] of Object.entries(redacted.output_changes ?? {})) {
    if (o.actions.every((a) => a === "no-op")) continue;
    const key = `output.${name}`;
    out.set(key, { key, actions: o.actions, after: o.after ?? null });
  }
  return out;
}

/**
 * Differences between the reviewed plan and the plan about to be applied; empty means "apply it".
 *
 * Accepted: a current plan whose every change (resource, import or output) is in the reviewed
 * plan with the same actions and the same planned values. That covers the identical plan, a plan
 * without changes (a re-run after the apply), and the rest of a partially failed apply, whose
 * plan is a subset of the reviewed one. In that last case, and only then, a value the reviewed
 * plan showed as "(known after apply)" may now be known (it came from what was applied), and a
 * replacement may be left as just its create or its delete.
 */
export function comparePlans(reviewed: TerraformPlan | undefined, current: TerraformPlan): string[] {
  const salt = reviewed?.review_salt ?? newSalt();
  const before = reviewed ? comparableChanges(reviewed, salt) : new Map<string, ComparableChange>();
  const now = comparableChanges(current, salt);
  const problems: string[] = [];
  if (current.errored) return ["the current plan errored"];
  if (now.size === 0) return [];
  const lookup = (key: string) => before.get(key) ?? (key.endsWith("#deposed") ? before.get(key.replace(/#deposed$/, "")) : undefined);
  const partial = [...before.keys()].some((k) => !now.has(k));
  for (const [key, c] of now) {
    const r = lookup(key);
    if (!r) {
      problems.push(`${key}: ${c.actions.join("+")} was not in the reviewed plan${reviewed ? "" : " (no plan was reviewed for this stack)"}`);
      continue;
    }
    const sameActions = r.actions.join() === c.actions.join();
    const restOfReplace = partial && isReplace(r.actions) && c.actions.length === 1 && r.actions.includes(c.actions[0]);
    if (!sameActions && !restOfReplace) {
      problems.push(`${key}: reviewed ${r.actions.join("+")}, now ${c.actions.join("+")}`);
      continue;
    }
    if (firstDifference(r.importing ?? null, c.importing ?? null, "", false) !== undefined) {
      problems.push(`${key}: imports ${JSON.stringify(c.importing ?? null)}, reviewed ${JSON.stringify(r.importing ?? null)}`);
      continue;
    }
    if (c.actions.length === 1 && c.actions[0] === "delete") continue; // nothing planned to compare
    const diff = firstDifference(r.after, c.after, "", partial);
    if (diff !== undefined) problems.push(`${key}: planned value of '${diff || "(value)"}' differs from the reviewed plan`);
  }
  return problems;
}

const isReplace = (a: readonly PlanAction[]) => a.includes("delete") && a.includes("create");

/**
 * The first attribute path where two JSON values differ, or undefined when equal. With
 * `unknownMatches`, a reviewed "(known after apply)" matches any current value.
 */
function firstDifference(reviewed: unknown, current: unknown, at: string, unknownMatches: boolean): string | undefined {
  if (reviewed === current) return undefined;
  if (unknownMatches && reviewed === UNKNOWN) return undefined;
  if (Array.isArray(reviewed) && Array.isArray(current)) {
    if (reviewed.length !== current.length) return at;
    for (let i = 0; i < reviewed.length; i++) {
      const d = firstDifference(reviewed[i], current[i], `${at}[${i}]`, unknownMatches);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
  if (isMap(reviewed) && isMap(current)) {
    const keys = new Set([...Object.keys(reviewed), ...Object.keys(current)]);
    for (const k of [...keys].sort()) {
      const d = firstDifference(reviewed[k], current[k], at ? `${at}.${k}` : k, unknownMatches);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return at;
}
