import * as fs from "node:fs";
import { addressesCommand } from "../addresses/addresses";
import { CliContext, CliError, EXIT } from "../context";
import { costCommand } from "../cost/cost";
import { guardCommand } from "../plan/guard";
import { planOfflineCommand } from "../plan/offline";
import { policyCommand } from "../policy/policy";
import { ProjectOptions, loadProject, projectFile } from "../project";
import { synthCommand } from "./synth";

/**
 * `polycloud check`: everything the pull-request pipeline checks, locally and without
 * credentials, in its order: synth, the idle cost against each budget, policy, the offline plans,
 * the plan guard on them, and the reviewed stateful addresses. A failed synth stops the run (the
 * later steps would judge stale output); every other step runs, and the summary lists them all.
 */
export const CHECK_STEPS = ["synth", "cost", "policy", "plan", "guard", "addresses"] as const;
export type CheckStep = (typeof CHECK_STEPS)[number];

export interface CheckOptions extends ProjectOptions {
  readonly stacks?: string;
  readonly skip?: readonly string[];
  readonly json?: boolean;
}

export type StepStatus = "passed" | "failed" | "could not run" | "skipped";

export interface StepResult {
  readonly step: CheckStep;
  readonly command: string;
  readonly code: number;
  readonly status: StepStatus;
  readonly seconds: number;
  /** What the step printed (with `--json`, where it is not printed). */
  readonly output?: string;
  readonly note?: string;
}

const statusOf = (code: number): StepStatus => (code === EXIT.OK ? "passed" : code === EXIT.FAILED ? "failed" : "could not run");

export async function checkCommand(ctx: CliContext, opts: CheckOptions = {}): Promise<number> {
  const skip = new Set(opts.skip ?? []);
  for (const s of skip) if (!(CHECK_STEPS as readonly string[]).includes(s)) throw new CliError(`check: property '--skip' has value "${s}"; allowed: ${CHECK_STEPS.join(", ")}`);
  const project = loadProject(ctx, opts);
  const where = { project: project.root, output: project.outdir };
  const steps: { step: CheckStep; command: string; run: (c: CliContext) => Promise<number>; note?: () => string | undefined }[] = [
    { step: "synth", command: `polycloud synth${opts.stacks ? ` --stacks ${opts.stacks}` : ""}`, run: (c) => synthCommand(c, { ...where, stacks: opts.stacks }) },
    { step: "cost", command: "polycloud cost --check", run: (c) => costCommand(c, { ...where, check: true }) },
    { step: "policy", command: "polycloud policy", run: (c) => policyCommand(c, where) },
    { step: "plan", command: "polycloud plan offline", run: (c) => planOfflineCommand(c, where) },
    { step: "guard", command: "polycloud plan guard", run: (c) => guardCommand(c, [], where) },
    {
      step: "addresses", command: "polycloud addresses --check", run: (c) => addressesCommand(c, { ...where, check: true }),
      // Before the first snapshot is recorded there is nothing to hold the stacks to.
      note: () => fs.existsSync(projectFile(project, project.config.statefulAddresses, "policy/stateful-addresses.json"))
        ? undefined : "no stateful-address snapshot yet: `polycloud addresses` records one to review and commit",
    },
  ];
  const results: StepResult[] = [];
  for (const s of steps) {
    const note = skip.has(s.step) ? "--skip" : s.note?.();
    if (note) {
      results.push({ step: s.step, command: s.command, code: EXIT.OK, status: "skipped", seconds: 0, note });
      if (!opts.json) ctx.err(`\n── ${s.command}: skipped (${note})\n`);
      continue;
    }
    let captured = "";
    const sub: CliContext = opts.json ? { ...ctx, out: (t) => { captured += t; }, err: (t) => { captured += t; } } : ctx;
    if (!opts.json) ctx.err(`\n── ${s.command}\n`);
    const started = Date.now();
    let code: number;
    try {
      code = await s.run(sub);
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      sub.err(`${e.message}\n`);
      code = e.exitCode;
    }
    results.push({ step: s.step, command: s.command, code, status: statusOf(code), seconds: (Date.now() - started) / 1000, ...(opts.json ? { output: captured } : {}) });
    // Every later step reads the synthesis: without it they would judge other stacks.
    if (s.step === "synth" && code !== EXIT.OK) break;
  }
  const failed = results.some((r) => r.status === "failed") || results.length < steps.length;
  const code = failed ? EXIT.FAILED : results.some((r) => r.status === "could not run") ? EXIT.USAGE : EXIT.OK;
  if (opts.json) {
    ctx.out(`${JSON.stringify({ ok: code === EXIT.OK, steps: results }, null, 2)}\n`);
  } else {
    const lines = results.map((r) => `  ${r.status.padEnd(13)} ${r.command}${r.note ? ` (${r.note})` : ` (${r.seconds.toFixed(1)} s)`}`);
    ctx.out(`\npolycloud check: ${code === EXIT.OK ? "passed" : "FAILED"}\n${lines.join("\n")}\n`);
  }
  return code;
}
