import * as fs from "node:fs";
import * as path from "node:path";
import { staleSynthReason } from "@polycloud/core";
import { CliContext, EXIT } from "../context";
import { ProjectOptions, loadProject, projectFile, shown } from "../project";
import { parsePlan } from "./plan-json";
import { DangerousChange, stackNameFromPath, summarizePlan } from "./summary";

/**
 * `polycloud plan guard [--allow policy/destroy-allowlist.json] [<plan.json|dir>...]`
 * (default: <output>/plans, where `polycloud plan offline` writes the local plans)
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

export interface GuardOptions extends ProjectOptions {
  /** The allow-list file. @default the project's `destroyAllowList` setting, else policy/destroy-allowlist.json */
  readonly allow?: string;
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
  const files = planFiles(ctx, plans);
  if (!files.length) {
    const dir = path.join(project.outdir, "plans");
    if (!fs.existsSync(dir)) {
      const note = `SKIPPED plan guard: no plans in ${shown(ctx, dir)} (run \`polycloud plan offline\`, or pass plan files).`;
      if (opts.json) ctx.out(`${JSON.stringify({ ok: true, skipped: note, blocked: [], allowed: [], problems: [] }, null, 2)}\n`);
      else ctx.out(`${note}\n`);
      return EXIT.OK;
    }
    const stale = staleSynthReason(project.outdir, project.root);
    if (stale) {
      ctx.err(`plan guard: refusing the plans in ${shown(ctx, dir)}: ${stale}\n`);
      return EXIT.USAGE;
    }
    files.push(...planFiles(ctx, [dir]));
  }
  const parsed = files.map((f) => ({ stack: stackNameFromPath(f), plan: parsePlan(fs.readFileSync(f, "utf8"), shown(ctx, f)) }));
  const result = guard(parsed, loadAllowList(allowFile));
  const code = result.blocked.length || result.problems.length ? EXIT.FAILED : EXIT.OK;
  if (opts.json) {
    ctx.out(`${JSON.stringify({ ok: code === EXIT.OK, plans: parsed.map((p) => p.stack), ...result }, null, 2)}\n`);
    return code;
  }
  const lines = [
    ...result.blocked.map((d) => `BLOCKED  ${d.stack}  ${d.action} ${d.kind} ${d.address}${d.forcedBy.length ? ` (forced by ${d.forcedBy.join(", ")})` : ""}`),
    ...result.allowed.map((d) => `allowed  ${d.stack}  ${d.action} ${d.kind} ${d.address}: ${d.reason}`),
    ...result.problems.map((p) => `INVALID  ${p}`),
    `${parsed.length} plan(s): ${result.blocked.length} blocked, ${result.allowed.length} allowed stateful destroys/replacements.`,
  ];
  ctx.out(`${lines.join("\n")}\n`);
  return code;
}
