import * as fs from "node:fs";
import * as path from "node:path";
import { TerraformJson, compareAddresses, isStateful, staleSynthReason, statefulKind } from "@polycloud/core";
import { CliContext, CliError, EXIT } from "../context";
import { ProjectOptions, loadProject, projectFile, shown } from "../project";
import { parsePlan } from "./plan-json";
import { DangerousChange, stackNameFromPath, summarizePlan } from "./summary";

/**
 * `polycloud plan guard [--allow policy/destroy-allowlist.json] [--prior <dir|file>]... [<plan.json|dir>...]`
 * (default: <output>/plans, where `polycloud plan offline` writes the local plans)
 *
 * `--prior` (or PLATFORM_PRIOR_STATE, paths separated by ':') gives the last applied state of
 * stacks, one file per stack named `<stack>.json` or `<stack>.tfstate`: a state file (`terraform
 * state pull`), `terraform show -json` of a state, or the JSON of the plan that was last applied
 * (the deploy's reviewed plan; what it leaves in state counts). Each stateful address of that state
 * which the synthesized stack no longer has, without a `moved` block, is refused like a planned
 * destroy: offline plans start from an empty state and never show a rename.
 *
 * Refuses (exit 1) any plan that deletes or replaces a stateful resource (database, queue, DLQ,
 * bus, secret, key, storage) unless an allow-list entry names that stack and address with a
 * reason. The pull-request and deploy pipelines run it on every plan; `polycloud check` too.
 */
export interface AllowEntry {
  readonly stack: string;
  readonly address: string;
  readonly reason: string;
}

export interface GuardResult {
  readonly blocked: readonly DangerousChange[];
  readonly allowed: readonly (DangerousChange & { reason: string })[];
  readonly problems: readonly string[];
}

export function loadAllowList(file: string): AllowEntry[] {
  if (!fs.existsSync(file)) return [];
  return JSON.parse(fs.readFileSync(file, "utf8")).allow ?? [];
}

export function guard(plans: readonly { stack: string; plan: ReturnType<typeof parsePlan> }[], allow: readonly AllowEntry[]): GuardResult {
  const problems = allow.filter((a) => !a.reason || a.reason.trim().length < 20)
    .map((a) => `allow-list entry for ${a.stack} ${a.address} has no written reason (at least 20 characters)`);
  const blocked: DangerousChange[] = [];
  const allowed: (DangerousChange & { reason: string })[] = [];
  for (const { stack, plan } of plans) {
    for (const d of summarizePlan(stack, plan).dangerous) {
      const entry = allow.find((a) => a.stack === stack && a.address === d.address && a.reason?.trim().length >= 20);
      if (entry) allowed.push({ ...d, reason: entry.reason });
      else blocked.push(d);
    }
  }
  return { blocked, allowed, problems };
}

/** Managed resource addresses a state (or the plan that produced it) holds, whatever its form. */
export function stateAddresses(text: string, file = "state"): string[] {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CliError(`plan guard: ${file} is not JSON (a state file, terraform show -json of a state, or a plan JSON): ${(e as Error).message}`);
  }
  const out = new Set<string>();
  if (Array.isArray(doc?.resources)) {
    // Raw state (version 4): resources with their module path.
    for (const r of doc.resources) if (r.mode === "managed") out.add(`${r.module ? `${r.module}.` : ""}${r.type}.${r.name}`);
  } else if (doc?.values?.root_module) {
    const walk = (m: any): void => {
      for (const r of m?.resources ?? []) if (r.mode === "managed") out.add(r.address);
      for (const c of m?.child_modules ?? []) walk(c);
    };
    walk(doc.values.root_module);
  } else if (Array.isArray(doc?.resource_changes)) {
    // A plan that was applied: what it leaves in state (not destroyed, not forgotten).
    for (const rc of doc.resource_changes) {
      const a: string[] = rc.change?.actions ?? [];
      if (rc.mode !== "managed" || rc.deposed || (a.length === 1 && (a[0] === "delete" || a[0] === "forget"))) continue;
      out.add(rc.address);
    }
  } else {
    throw new CliError(`plan guard: ${file} is neither a state (resources, values.root_module) nor a plan (resource_changes)`);
  }
  // Instances of one resource (`x[0]`, `x["a"]`) are the one address cdktf writes.
  return [...new Set([...out].map((a) => a.replace(/\[[^\]]*\]$/, "")))].sort();
}

/**
 * Stateful addresses of the last applied state that the synthesized stacks no longer have (and no
 * `moved` block covers): a rename or removal that would destroy them. `synthesized`: stack → JSON.
 */
export function priorStateChanges(priors: readonly { stack: string; addresses: readonly string[] }[], synthesized: Readonly<Record<string, TerraformJson>>): { changes: DangerousChange[]; missing: string[] } {
  const changes: DangerousChange[] = [];
  const missing: string[] = [];
  for (const { stack, addresses } of priors) {
    const json = synthesized[stack];
    const stateful = addresses.filter((a) => isStateful(a.split(".").slice(-2)[0]));
    if (!json) {
      if (stateful.length) missing.push(stack);
      continue;
    }
    for (const d of compareAddresses({ [stack]: stateful }, { [stack]: json }).destroyed) {
      const [type, name] = d.address.split(".").slice(-2);
      changes.push({ stack, address: d.address, type, kind: statefulKind(type, d.address, name)!, action: "delete", forcedBy: [] });
    }
  }
  return { changes, missing };
}

/** `<stack>.json` / `<stack>.tfstate` files of the given files and folders. */
function priorFiles(ctx: CliContext, paths: readonly string[]): { stack: string; file: string }[] {
  return paths.flatMap((given) => {
    const p = path.resolve(ctx.cwd, given);
    if (!fs.existsSync(p)) throw new CliError(`plan guard: --prior ${given} does not exist`);
    const files = fs.statSync(p).isDirectory() ? fs.readdirSync(p).filter((f) => /\.(json|tfstate)$/.test(f)).sort().map((f) => path.join(p, f)) : [p];
    return files.map((file) => ({ stack: stackNameFromPath(file.replace(/\.tfstate$/, "")), file }));
  });
}

export interface GuardOptions extends ProjectOptions {
  /** The allow-list file. @default the project's `destroyAllowList` setting, else policy/destroy-allowlist.json */
  readonly allow?: string;
  /** Last applied states (files or folders); PLATFORM_PRIOR_STATE adds more. */
  readonly prior?: readonly string[];
  readonly json?: boolean;
}

/** Plan files: the given files, the `*.json` of given folders, or the offline plans of the output. */
function planFiles(ctx: CliContext, given: readonly string[]): string[] {
  return given.flatMap((g) => {
    const p = path.resolve(ctx.cwd, g);
    return fs.existsSync(p) && fs.statSync(p).isDirectory() ? fs.readdirSync(p).filter((f) => f.endsWith(".json")).sort().map((f) => path.join(p, f)) : [p];
  });
}

export async function guardCommand(ctx: CliContext, plans: readonly string[], opts: GuardOptions = {}): Promise<number> {
  const project = loadProject(ctx, opts);
  const allowFile = opts.allow ? path.resolve(ctx.cwd, opts.allow) : projectFile(project, project.config.destroyAllowList, "policy/destroy-allowlist.json");
  const priors = [...(ctx.env.PLATFORM_PRIOR_STATE ?? "").split(":").filter(Boolean), ...(opts.prior ?? [])];
  const files = planFiles(ctx, plans);
  const notes: string[] = [];
  if (!files.length) {
    const dir = path.join(project.outdir, "plans");
    if (fs.existsSync(dir) || priors.length) {
      const stale = staleSynthReason(project.outdir, project.root);
      if (stale) {
        ctx.err(`plan guard: refusing the plans and stacks in ${shown(ctx, project.outdir)}: ${stale}\n`);
        return EXIT.USAGE;
      }
    }
    if (fs.existsSync(dir)) files.push(...planFiles(ctx, [dir]));
    else if (!priors.length) {
      const note = `SKIPPED plan guard: no plans in ${shown(ctx, dir)} (run \`polycloud plan offline\`, or pass plan files).`;
      if (opts.json) ctx.out(`${JSON.stringify({ ok: true, skipped: note, blocked: [], allowed: [], problems: [] }, null, 2)}\n`);
      else ctx.out(`${note}\n`);
      return EXIT.OK;
    } else notes.push(`no plans in ${shown(ctx, dir)}: checking the synthesized stacks against the last applied state only`);
  }
  const parsed = files.map((f) => {
    try {
      return { stack: stackNameFromPath(f), plan: parsePlan(fs.readFileSync(f, "utf8"), shown(ctx, f)) };
    } catch (e) {
      throw new CliError((e as Error).message);
    }
  });
  const allow = loadAllowList(allowFile);
  const result = guard(parsed, allow);
  // The last applied state, where the pipeline provides it: renames the offline plans cannot see.
  const prior = priorFiles(ctx, priors).map(({ stack, file }) => ({ stack, addresses: stateAddresses(fs.readFileSync(file, "utf8"), shown(ctx, file)) }));
  const synthesized = Object.fromEntries(prior.map(({ stack }) => [stack, path.join(project.outdir, "stacks", stack, "cdk.tf.json")])
    .filter(([, f]) => fs.existsSync(f)).map(([stack, f]) => [stack, JSON.parse(fs.readFileSync(f, "utf8")) as TerraformJson]));
  const fromState = priorStateChanges(prior, synthesized);
  const seen = new Set([...result.blocked, ...result.allowed].map((d) => `${d.stack} ${d.address}`));
  const renamedBlocked: DangerousChange[] = [];
  const renamedAllowed: (DangerousChange & { reason: string })[] = [];
  for (const d of fromState.changes) {
    if (seen.has(`${d.stack} ${d.address}`)) continue;
    const entry = allow.find((a) => a.stack === d.stack && a.address === d.address && a.reason?.trim().length >= 20);
    if (entry) renamedAllowed.push({ ...d, reason: entry.reason }); else renamedBlocked.push(d);
  }
  const blocked = result.blocked.length + renamedBlocked.length + fromState.missing.length;
  const code = blocked || result.problems.length ? EXIT.FAILED : EXIT.OK;
  if (opts.json) {
    ctx.out(`${JSON.stringify({
      ok: code === EXIT.OK, plans: parsed.map((p) => p.stack), priorStates: prior.map((p) => p.stack), notes,
      blocked: [...result.blocked, ...renamedBlocked], allowed: [...result.allowed, ...renamedAllowed], missingStacks: fromState.missing, problems: result.problems,
    }, null, 2)}\n`);
    return code;
  }
  const gone = "in the last applied state, not in this synth: renamed or removed; add a moved block (moveTo/moveFromId) or an allow-list entry";
  const lines = [
    ...notes.map((n) => `note: ${n}`),
    ...result.blocked.map((d) => `BLOCKED  ${d.stack}  ${d.action} ${d.kind} ${d.address}${d.forcedBy.length ? ` (forced by ${d.forcedBy.join(", ")})` : ""}`),
    ...renamedBlocked.map((d) => `BLOCKED  ${d.stack}  ${d.action} ${d.kind} ${d.address} (${gone})`),
    ...result.allowed.map((d) => `allowed  ${d.stack}  ${d.action} ${d.kind} ${d.address}: ${d.reason}`),
    ...renamedAllowed.map((d) => `allowed  ${d.stack}  ${d.action} ${d.kind} ${d.address} (renamed or removed since the last applied state): ${d.reason}`),
    ...fromState.missing.map((s) => `BLOCKED  ${s}  its last applied state holds stateful resources, but this synth has no stack ${s} (in ${shown(ctx, project.outdir)})`),
    ...result.problems.map((p) => `INVALID  ${p}`),
    `${parsed.length} plan(s), ${prior.length} applied state(s): ${blocked} blocked, ${result.allowed.length + renamedAllowed.length} allowed stateful destroys/replacements.`,
  ];
  ctx.out(`${lines.join("\n")}\n`);
  return code;
}
