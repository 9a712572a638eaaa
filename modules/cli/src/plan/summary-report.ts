import * as fs from "node:fs";
import * as path from "node:path";
import { CostReport, renderCostMarkdown } from "@polycloud/core";
import { CliContext, CliError, EXIT } from "../context";
import { parsePlan } from "./plan-json";
import { StackSummary, renderMarkdown, stackNameFromPath, summarizePlan } from "./summary";

/**
 * `polycloud plan summary [--title <text>] [--report <file.md>] [--cost <cost.json>] [--json] <plan.json|dir>...`
 *
 * Turns `terraform show -json <planfile>` output into the markdown the pull-request comment
 * uses. The stack name is taken from the file name (`dev-aws.json`, `dev-aws/plan.json`). A
 * directory stands for every `*.json` in it. Prints to stdout, and to --report when given. `--cost`
 * appends the idle baseline of the planned stacks and its change against the base branch, from
 * `polycloud cost --json --base-ref <base>`.
 */
export interface SummaryOptions {
  readonly title?: string;
  readonly report?: string;
  readonly cost?: string;
  readonly json?: boolean;
}

export function planSummary(ctx: CliContext, inputs: readonly string[], opts: SummaryOptions = {}): { summaries: StackSummary[]; markdown: string } {
  const files: string[] = [];
  for (const arg of inputs) {
    const full = path.resolve(ctx.cwd, arg);
    if (!fs.existsSync(full)) throw new CliError(`${arg} does not exist`);
    if (fs.statSync(full).isDirectory()) files.push(...fs.readdirSync(full).filter((f) => f.endsWith(".json")).sort().map((f) => path.join(full, f)));
    else files.push(full);
  }
  let summaries: StackSummary[];
  try {
    summaries = files.map((f) => summarizePlan(stackNameFromPath(f), parsePlan(fs.readFileSync(f, "utf8"), path.relative(ctx.cwd, f) || f)));
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  let markdown = renderMarkdown(summaries, { title: opts.title });
  if (opts.cost) {
    const report = JSON.parse(fs.readFileSync(path.resolve(ctx.cwd, opts.cost), "utf8")) as CostReport & { base?: CostReport | null };
    markdown += `\n${renderCostMarkdown(report, report.base ?? undefined, summaries.length ? summaries.map((s) => s.stack) : undefined)}`;
  }
  return { summaries, markdown };
}

export async function summaryCommand(ctx: CliContext, inputs: readonly string[], opts: SummaryOptions = {}): Promise<number> {
  const { summaries, markdown } = planSummary(ctx, inputs, opts);
  if (opts.report) fs.writeFileSync(path.resolve(ctx.cwd, opts.report), markdown);
  ctx.out(opts.json ? `${JSON.stringify({ summaries }, null, 2)}\n` : markdown);
  return EXIT.OK;
}
