import * as fs from "node:fs";
import * as path from "node:path";
import { CostReport, StackEstimate, UnpricedError, checkBudgets, costReport, estimateAll, estimateMeasured, measureStack, renderCostMarkdown, renderCostText, renderEnvironmentsText } from "@polycloud/core";
import { CliContext, EXIT } from "../context";
import { withProgress } from "../progress";
import { Project, ProjectOptions, environmentsOf, loadProject, requireFreshOutput } from "../project";
import { perStackResults } from "../stack-results";
import { synthesizeBase } from "./base";

/**
 * `polycloud cost [--json | --markdown] [--report <file>] [--check] [--base-ref <git ref>]`
 *
 * Idle monthly baseline of every synthesized stack (the output of `polycloud synth`). `--check`
 * fails when a stack's baseline exceeds its budget (unless the environment accepts it) and warns
 * above half of it. `--base-ref` also estimates the base commit's stacks, synthesized with that
 * commit's own app, for the change column of `--markdown` and the `base` of `--json`.
 */
export interface CostOptions extends ProjectOptions {
  readonly json?: boolean;
  readonly markdown?: boolean;
  readonly check?: boolean;
  readonly report?: string;
  readonly baseRef?: string;
}

/**
 * Every stack of the last synthesis estimated as `estimateAll` does, one at a time, each from the
 * evaluation cache when its file and the estimator (quantities and prices are code) are those of
 * an earlier run on the same UTC day (a price's age warning turns on at midnight UTC).
 */
export function estimateStacks(ctx: CliContext, project: Project, now: Date = new Date()): StackEstimate[] {
  const results = perStackResults(ctx, project, "cost", () => now.toISOString().slice(0, 10), (name, json) => {
    const missing: string[] = [];
    const estimate = estimateMeasured(name, measureStack(json), { now }, missing);
    return { estimate, missing };
  });
  const missing = results.flatMap((r) => r.value.missing);
  if (missing.length) throw new UnpricedError(missing);
  return results.map((r) => r.value.estimate);
}

export async function costCommand(ctx: CliContext, opts: CostOptions = {}): Promise<number> {
  const project = loadProject(ctx, opts);
  // Never estimate an output left by an earlier synth of other sources (or by a failed one),
  // which would pass the budget check on stacks that are not these.
  requireFreshOutput(ctx, project);
  // The environments as the synthesis rendered them: budgets, scopes, accepted overruns.
  const environments = environmentsOf(project);
  const head = costReport(estimateStacks(ctx, project), environments);
  let base: CostReport | undefined;
  if (opts.baseRef) {
    const ref = opts.baseRef;
    try {
      base = costReport(estimateAll(await withProgress(ctx, `cost: synthesizing ${ref}`, () => synthesizeBase(ref, project.root))), environments);
    } catch (e) {
      ctx.err(`cost: the base ${ref} could not be estimated: ${(e as Error).message}\n`);
    }
  }
  const output = opts.json ? `${JSON.stringify({ ...head, base: base ?? null }, null, 2)}\n` : opts.markdown ? renderCostMarkdown(head, base) : renderCostText(head);
  if (opts.report) fs.writeFileSync(path.resolve(ctx.cwd, opts.report), output);
  ctx.out(output);
  if (!opts.check) return EXIT.OK;
  const result = checkBudgets(head, environments);
  // The budget view: each cloud against its budget and the environment's total, as its scope counts them.
  for (const line of renderEnvironmentsText(head)) ctx.err(line ? `cost: ${line}\n` : "");
  for (const w of result.warnings) ctx.err(`cost: warning: ${w}\n`);
  for (const e of result.errors) ctx.err(`cost: error: ${e}\n`);
  return result.errors.length ? EXIT.FAILED : EXIT.OK;
}
