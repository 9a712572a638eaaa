import * as fs from "node:fs";
import * as path from "node:path";
import { parsePlan } from "./plan/plan-json";
import { DangerousChange, stackNameFromPath, summarizePlan } from "./plan/summary";
import { staleSynthReason } from "../stacks/sources-stamp";

/**
 * `npm run plan:guard -- [--allow policy/destroy-allowlist.json] [<plan.json|dir>...]`
 * (default: cdktf.out/plans, where `npm run plan:offline` writes the local plans)
 *
 * Refuses (exit 1) any plan that deletes or replaces a stateful resource (database, queue, DLQ,
 * bus, secret, key, storage) unless an allow-list entry names that stack and address with a
 * reason. The pull-request and deploy pipelines run it on every plan; `npm run check` too.
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

export function main(argv: readonly string[]): { code: number; output: string } {
  let allowFile = "policy/destroy-allowlist.json";
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--allow") allowFile = argv[++i];
    else if (fs.existsSync(argv[i]) && fs.statSync(argv[i]).isDirectory()) files.push(...fs.readdirSync(argv[i]).filter((f) => f.endsWith(".json")).sort().map((f) => path.join(argv[i], f)));
    else files.push(argv[i]);
  }
  if (!files.length) {
    const dir = path.join("cdktf.out", "plans");
    if (!fs.existsSync(dir)) return { code: 0, output: `SKIPPED plan:guard: no plans in ${dir} (run npm run plan:offline, or pass plan files).\n` };
    const stale = staleSynthReason("cdktf.out");
    if (stale) return { code: 1, output: `plan:guard: refusing the plans in ${dir}: ${stale}\n` };
    files.push(...fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort().map((f) => path.join(dir, f)));
  }
  const plans = files.map((f) => ({ stack: stackNameFromPath(f), plan: parsePlan(fs.readFileSync(f, "utf8"), f) }));
  const result = guard(plans, loadAllowList(allowFile));
  const lines = [
    ...result.blocked.map((d) => `BLOCKED  ${d.stack}  ${d.action} ${d.kind} ${d.address}${d.forcedBy.length ? ` (forced by ${d.forcedBy.join(", ")})` : ""}`),
    ...result.allowed.map((d) => `allowed  ${d.stack}  ${d.action} ${d.kind} ${d.address}: ${d.reason}`),
    ...result.problems.map((p) => `INVALID  ${p}`),
    `${plans.length} plan(s): ${result.blocked.length} blocked, ${result.allowed.length} allowed stateful destroys/replacements.`,
  ];
  return { code: result.blocked.length || result.problems.length ? 1 : 0, output: `${lines.join("\n")}\n` };
}

if (require.main === module) {
  const { code, output } = main(process.argv.slice(2));
  process.stdout.write(output);
  process.exitCode = code;
}
