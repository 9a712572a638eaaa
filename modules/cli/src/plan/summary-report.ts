import * as fs from "node:fs";
import * as path from "node:path";
import { parsePlan } from "./plan/plan-json";
import { StackSummary, renderMarkdown, stackNameFromPath, summarizePlan } from "./plan/summary";
import { CostReport, renderMarkdown as renderCost } from "./cost/report";

/**
 * `npm run plan:summary -- [--title <text>] [--out <file.md>] [--cost <cost.json>] <plan.json|dir>...`
 *
 * Turns `terraform show -json <planfile>` output into the markdown the pull-request comment
 * uses. The stack name is taken from the file name (`dev-aws.json`, `dev-aws/plan.json`). A
 * directory stands for every `*.json` in it. Prints to stdout, and to --out when given. `--cost`
 * appends the idle baseline of the planned stacks and its change against the base branch, from
 * `npm run cost -- --json --base-ref <base>`.
 */
export function main(argv: readonly string[]): string {
  const files: string[] = [];
  let title: string | undefined;
  let out: string | undefined;
  let cost: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--title") title = argv[++i];
    else if (arg === "--out") out = argv[++i];
    else if (arg === "--cost") cost = argv[++i];
    else if (arg === "--help" || arg === "-h") return usage();
    else if (arg.startsWith("--")) throw new Error(`unknown option ${arg}\n${usage()}`);
    else if (fs.existsSync(arg) && fs.statSync(arg).isDirectory()) {
      files.push(...fs.readdirSync(arg).filter((f) => f.endsWith(".json")).sort().map((f) => path.join(arg, f)));
    } else files.push(arg);
  }
  const summaries: StackSummary[] = files.map((f) => summarizePlan(stackNameFromPath(f), parsePlan(fs.readFileSync(f, "utf8"), f)));
  let markdown = renderMarkdown(summaries, { title });
  if (cost) {
    const report = JSON.parse(fs.readFileSync(cost, "utf8")) as CostReport & { base?: CostReport | null };
    markdown += `\n${renderCost(report, report.base ?? undefined, summaries.length ? summaries.map((s) => s.stack) : undefined)}`;
  }
  if (out) fs.writeFileSync(out, markdown);
  return markdown;
}

function usage(): string {
  return "usage: npm run plan:summary -- [--title <text>] [--out <file.md>] [--cost <cost.json>] <plan.json|dir>...\n";
}

if (require.main === module) {
  try {
    process.stdout.write(main(process.argv.slice(2)));
  } catch (e) {
    process.stderr.write(`plan-summary: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
