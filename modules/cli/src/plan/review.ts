import { createHmac } from "node:crypto";
import { OutputChange, PlanAction, ResourceChange, TerraformPlan } from "./plan-json";

/**
 * The reviewed plan, and the check that what is about to be applied is what was reviewed.
 *
 * A pull request's plan is stored as an artifact in redacted form: a planned sensitive value
 * becomes "(sensitive hmac-sha256:<keyed hash>)", a prior sensitive value "(sensitive)", and
 * unknown values "(known after apply)", so the artifact holds no secret but a changed secret still
 * shows as a changed value. The hash is keyed with PLAN_REVIEW_KEY, a secret of the plan and
 * deploy environments that never enters the artifact (anyone who can read the repository can
 * download artifacts; with the key beside the hashes, a short secret could be guessed offline).
 * The artifact names the key only by `review_key_id`, a keyed hash of a fixed text, so a deploy
 * with another key is told so instead of seeing every secret "changed". At deploy time the stack
 * is planned again, redacted with the same key and compared: resource changes (actions, planned
 * values, imports) and output changes.
 */
export const SENSITIVE = "(sensitive)";
export const SENSITIVE_HASH_PREFIX = "(sensitive hmac-sha256:";
export const UNKNOWN = "(known after apply)";
/** The environment variable (a secret of the plan-<env> and <env> environments) holding the key. */
export const REVIEW_KEY_ENV = "PLAN_REVIEW_KEY";
/** At least 32 bytes of randomness, as hex (`openssl rand -hex 32`). */
export const REVIEW_KEY_FORM = /^[0-9a-f]{64,}$/i;

/** Checks a key's form; the error names the variable and how to make one. */
export function checkReviewKey(key: string | undefined): string {
  if (!key) throw new Error(`${REVIEW_KEY_ENV} is not set: the plan and deploy environments hold it as a secret (create one with \`openssl rand -hex 32\`; docs/gitops.md)`);
  if (!REVIEW_KEY_FORM.test(key)) throw new Error(`${REVIEW_KEY_ENV} has the wrong form: expected at least 64 hex characters (\`openssl rand -hex 32\`)`);
  return key;
}

/** Names a key without revealing it: a keyed hash of a fixed text. */
export function reviewKeyId(key: string): string {
  return createHmac("sha256", key).update("polycloud plan review key id").digest("hex").slice(0, 16);
}

function hashed(value: unknown, key: string | undefined): string {
  if (key === undefined) return SENSITIVE;
  return `${SENSITIVE_HASH_PREFIX}${createHmac("sha256", key).update(canonical(value)).digest("hex")})`;
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
 * key, a sensitive value becomes its keyed hash (comparable, not readable).
 */
export function mask(value: unknown, sensitive: unknown, unknown?: unknown, key?: string): unknown {
  if (sensitive === true) return hashed(value, key);
  if (unknown === true) return UNKNOWN;
  if (Array.isArray(value)) {
    const s = Array.isArray(sensitive) ? sensitive : [];
    const u = Array.isArray(unknown) ? unknown : [];
    const length = Math.max(value.length, u.length);
    return Array.from({ length }, (_, i) => mask(value[i], s[i], u[i], key));
  }
  if (value && typeof value === "object") {
    const s = sensitive && typeof sensitive === "object" ? (sensitive as Record<string, unknown>) : {};
    const u = unknown && typeof unknown === "object" ? (unknown as Record<string, unknown>) : {};
    const out: Record<string, unknown> = {};
    for (const k of new Set([...Object.keys(value), ...Object.keys(u)])) out[k] = mask((value as Record<string, unknown>)[k], s[k], u[k], key);
    return out;
  }
  if (value === undefined && unknown && typeof unknown === "object") return mask(Array.isArray(unknown) ? [] : {}, sensitive, unknown, key);
  return value;
}

function redactChange(rc: ResourceChange, keepValues: boolean, key: string | undefined): ResourceChange {
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
          after: mask(c.after ?? null, c.after_sensitive, c.after_unknown, key),
        }
        : {}),
      ...(c.replace_paths ? { replace_paths: c.replace_paths } : {}),
      ...(c.importing ? { importing: c.importing } : {}),
    },
  };
}

function redactOutput(o: OutputChange, key: string | undefined): OutputChange {
  if (o.actions.every((a) => a === "no-op")) return { actions: o.actions };
  return { actions: o.actions, after: mask(o.after ?? null, o.after_sensitive, o.after_unknown, key) };
}

const changes = (rc: ResourceChange) => rc.change.actions.some((a) => a !== "no-op" && a !== "read") || !!rc.change.importing;

/**
 * The plan as stored for review: same JSON shape (the summary reads it), no secrets, no unchanged
 * resources' values. With a key, planned sensitive values become keyed hashes and the plan records
 * `review_key_id`; without one (drift reports) they are "(sensitive)". Redacting a redacted plan
 * again changes nothing.
 */
export function redactPlan(plan: TerraformPlan, key?: string): TerraformPlan {
  const keyId = key !== undefined ? reviewKeyId(key) : plan.review_key_id;
  return {
    format_version: plan.format_version,
    ...(plan.terraform_version ? { terraform_version: plan.terraform_version } : {}),
    ...(keyId ? { review_key_id: keyId } : {}),
    resource_changes: (plan.resource_changes ?? []).map((rc) => redactChange(rc, changes(rc), key)),
    resource_drift: (plan.resource_drift ?? []).map((rc) => redactChange(rc, false, key)),
    output_changes: Object.fromEntries(Object.entries(plan.output_changes ?? {}).map(([k, v]) => [k, redactOutput(v, key)])),
    errored: plan.errored === true,
  };
}

export interface ComparableChange {
  /** The resource address (`#deposed` appended for a deposed object), or `output.<name>`. */
  readonly key: string;
  readonly actions: readonly PlanAction[];
  readonly after: unknown;
  readonly importing?: unknown;
  /** Terraform's `action_reason`, e.g. `replace_because_tainted`. */
  readonly reason?: string;
}

/** Managed resources that change or are imported, and outputs that change, with their masked planned values. */
export function comparableChanges(plan: TerraformPlan, key?: string): Map<string, ComparableChange> {
  const redacted = redactPlan(plan, key);
  const out = new Map<string, ComparableChange>();
  for (const rc of redacted.resource_changes ?? []) {
    if (rc.mode !== "managed" || !changes(rc)) continue;
    const key = rc.deposed ? `${rc.address}#deposed` : rc.address;
    out.set(key, { key, actions: rc.change.actions, after: rc.change.after ?? null, ...(rc.change.importing ? { importing: rc.change.importing } : {}), ...(rc.action_reason ? { reason: rc.action_reason } : {}) });
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
 * `key` is PLAN_REVIEW_KEY, the key the reviewed plan's sensitive values were hashed with.
 *
 * Accepted: a current plan whose every change (resource, import or output) is in the reviewed
 * plan with the same actions and the same planned values. That covers the identical plan, a plan
 * without changes (a re-run after the apply), and the rest of a partially failed apply, whose
 * plan is a subset of the reviewed one. In that last case, and only then, a value the reviewed
 * plan showed as "(known after apply)" may now be known (it came from what was applied), and a
 * replacement may be left as just its create or its delete.
 *
 * One more shape of a partial apply: a reviewed create that failed half-way leaves the object in
 * state as tainted (created, then a later step of its creation failed), and Terraform now plans
 * to replace it (`action_reason` replace_because_tainted). That replacement finishes the reviewed
 * create, so it is accepted with the reviewed values; the plan guard still refuses it for a
 * stateful resource (docs/gitops.md, "Recovering a failed deploy").
 */
export function comparePlans(reviewed: TerraformPlan | undefined, current: TerraformPlan, key: string): string[] {
  if (current.errored) return ["the current plan errored"];
  if (reviewed) {
    // A plan redacted without the key shows sensitive values as "(sensitive)": a changed secret would pass unseen.
    if (reviewed.review_key_id === undefined) return [`the reviewed plan was redacted without ${REVIEW_KEY_ENV}: its sensitive values cannot be compared`];
    if (reviewKeyId(key) !== reviewed.review_key_id) return [`the reviewed plan was hashed with another ${REVIEW_KEY_ENV} (key id ${reviewed.review_key_id}, this one ${reviewKeyId(key)}): the plan-<env> and <env> environments must hold the same key`];
  }
  const before = reviewed ? comparableChanges(reviewed, key) : new Map<string, ComparableChange>();
  const now = comparableChanges(current, key);
  const problems: string[] = [];
  if (now.size === 0) return [];
  const lookup = (k: string) => before.get(k) ?? (k.endsWith("#deposed") ? before.get(k.replace(/#deposed$/, "")) : undefined);
  const partial = [...before.keys()].some((k) => !now.has(k));
  for (const [k, c] of now) {
    const r = lookup(k);
    if (!r) {
      problems.push(`${k}: ${c.actions.join("+")} was not in the reviewed plan${reviewed ? "" : " (no plan was reviewed for this stack)"}`);
      continue;
    }
    const sameActions = r.actions.join() === c.actions.join();
    const restOfReplace = partial && isReplace(r.actions) && c.actions.length === 1 && r.actions.includes(c.actions[0]);
    const taintedCreate = r.actions.join() === "create" && isReplace(c.actions) && c.reason === "replace_because_tainted";
    if (!sameActions && !restOfReplace && !taintedCreate) {
      problems.push(`${k}: reviewed ${r.actions.join("+")}, now ${c.actions.join("+")}${c.reason ? ` (${c.reason})` : ""}`);
      continue;
    }
    if (firstDifference(r.importing ?? null, c.importing ?? null, "", false) !== undefined) {
      problems.push(`${k}: imports ${JSON.stringify(c.importing ?? null)}, reviewed ${JSON.stringify(r.importing ?? null)}`);
      continue;
    }
    if (c.actions.length === 1 && c.actions[0] === "delete") continue; // nothing planned to compare
    const diff = firstDifference(r.after, c.after, "", partial || taintedCreate);
    if (diff !== undefined) problems.push(`${k}: planned value of '${diff || "(value)"}' differs from the reviewed plan`);
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
