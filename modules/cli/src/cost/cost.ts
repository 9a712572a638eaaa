import * as fs from "node:fs";
import * as path from "node:path";
import { StackJson, estimateAll } from "@polycloud/core";
import { environments } from "../environments";
import { synthesizeAll } from "../stacks/synth-json";
import { synthesizeBase } from "./cost/base";
import { CostReport, checkBudgets, costReport, renderMarkdown, renderText } from "./cost/report";

/**
 * `npm run cost -- [--json] [--out <file>] [--from <cdktf.out>] [--check] [--base-ref <git ref>] [--markdown]`
 *
 * Idle monthly baseline of every stack (PLATFORM_STACKS filters), from the synthesized JSON:
 * in-process synthesis by default, or the stacks already written under `--from`. `--check` fails
 * when a stack's baseline exceeds its budget (unless accepted) and warns above half of it.
 * `--base-ref` also estimates the base commit's stacks, for the change column of `--markdown`.
 */
export function main(argv: readonly string[], log: (s: string) => void = (s) => process.stderr.write(s)): { output: string; failed: boolean } {
  let json = false; let markdown = false; let check = false;
  let out: string | undefined; let from: string | undefined; let baseRef: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") json = true;
    else if (a === "--markdown") markdown = true;
    else if (a === "--check") check = true;
    else if (a === "--out") out = argv[++i];
    else if (a === "--from") from = argv[++i];
    else if (a === "--base-ref") baseRef = argv[++i];
    else throw new Error(`unknown argument ${a}\nusage: npm run cost -- [--json | --markdown] [--out <file>] [--from <cdktf.out>] [--check] [--base-ref <git ref>]`);
  }
  const head = costReport(estimateAll(from ? readStacks(from) : synthesizeAll(process.env.PLATFORM_STACKS) as Record<string, StackJson>));
  let base: CostReport | undefined;
  if (baseRef) {
    try {
      base = costReport(estimateAll(synthesizeBase(baseRef)));
    } catch (e) {
      log(`cost: the base ${baseRef} could not be estimated: ${(e as Error).message}\n`);
    }
  }
  const output = json ? `${JSON.stringify({ ...head, base: base ?? null }, null, 2)}\n` : markdown ? renderMarkdown(head, base) : renderText(head);
  if (out) fs.writeFileSync(out, output);
  let failed = false;
  if (check) {
    const result = checkBudgets(head, environments);
    for (const w of result.warnings) log(`cost: warning: ${w}\n`);
    for (const e of result.errors) log(`cost: error: ${e}\n`);
    failed = result.errors.length > 0;
  }
  return { output, failed };
}

/** `<dir>/stacks/<name>/cdk.tf.json` of a cdktf output directory. */
export function readStacks(dir: string): Record<string, StackJson> {
  const root = path.join(dir, "stacks");
  if (!fs.existsSync(root)) throw new Error(`cost: no synthesized stacks under ${root}; run npm run synth first`);
  return Object.fromEntries(fs.readdirSync(root).sort().filter((n) => fs.existsSync(path.join(root, n, "cdk.tf.json")))
    .map((n) => [n, JSON.parse(fs.readFileSync(path.join(root, n, "cdk.tf.json"), "utf8")) as StackJson]));
}

if (require.main === module) {
  try {
    const { output, failed } = main(process.argv.slice(2));
    process.stdout.write(output);
    if (failed) process.exit(1);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  }
}
