import * as fs from "node:fs";
import { PolicyStack, Suppression, logicalTargets, runPolicy, staleSynthReason } from "@polycloud/core";
import { loadStacks } from "@polycloud/cli";
import { environments } from "../environments";

/** An entry of the format before conditions: one rule on one hashed address in one stack. */
interface OldSuppression {
  readonly rule: string;
  readonly stack: string;
  readonly address: string;
  readonly justification: string;
}

const isOld = (e: unknown): e is OldSuppression => typeof e === "object" && e !== null && typeof (e as OldSuppression).rule === "string" && (e as { condition?: unknown }).condition === undefined;

/**
 * Rewrites old entries (rule + stack + hashed address) as entries that accept the conditions the
 * rule finds on that resource today, on its logical target, in `<environment>-<cloud>`; entries
 * that differ only in their stacks are merged. An old entry that matches no finding is dropped
 * and reported (it was stale). Entries already in the new format are kept as they are.
 */
export function migrateSuppressions(entries: readonly unknown[], stacks: readonly PolicyStack[]): { suppressions: Suppression[]; report: string[] } {
  const findings = runPolicy(stacks).findings;
  const report: string[] = [];
  const out: Suppression[] = [];
  const add = (s: Suppression) => {
    const same = out.find((o) => o.condition === s.condition && o.target === s.target && o.justification === s.justification);
    if (same) (same.stacks as string[]).push(...s.stacks.filter((x) => !same.stacks.includes(x)));
    else out.push({ ...s, stacks: [...s.stacks] });
  };
  for (const e of entries) {
    if (!isOld(e)) {
      add(e as Suppression);
      continue;
    }
    const stack = stacks.find((s) => s.name === e.stack);
    if (!stack) {
      report.push(`dropped, no such stack to read it from: ${e.rule} ${e.stack} ${e.address} (synthesize every stack, then migrate)`);
      continue;
    }
    const target = logicalTargets(stack.json).get(e.address) ?? e.address;
    const conditions = [...new Set(findings.filter((f) => f.rule === e.rule && f.stack === e.stack && f.address === e.address && !f.note).map((f) => f.condition))];
    if (!conditions.length) report.push(`dropped (stale, nothing to accept): ${e.rule} ${e.stack} ${e.address}`);
    if (conditions.length > 1) report.push(`${e.rule} ${e.stack} ${target}: the rule finds ${conditions.join(", ")} there today; one entry each (remove those the justification does not cover)`);
    for (const condition of conditions) add({ condition, target, stacks: [`${stack.environment}-${stack.cloud}`], justification: e.justification });
  }
  return { suppressions: out, report };
}

/** `npm run policy:migrate-suppressions [-- --file policy/suppressions.json] [--out cdktf.out]`: rewrites the file in place. */
function main(argv: string[]): number {
  const arg = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
  };
  const file = arg("file", "policy/suppressions.json");
  const outdir = arg("out", "cdktf.out");
  const stale = staleSynthReason(outdir);
  if (stale) {
    console.error(`policy:migrate-suppressions: ${stale}`);
    return 2;
  }
  const raw = JSON.parse(fs.readFileSync(file, "utf8")) as { suppressions?: unknown[] };
  const { suppressions, report } = migrateSuppressions(raw.suppressions ?? [], loadStacks(outdir, environments));
  fs.writeFileSync(file, `${JSON.stringify({ ...raw, suppressions }, null, 2)}\n`);
  for (const line of report) console.log(line);
  console.log(`${file}: ${suppressions.length} entries`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
