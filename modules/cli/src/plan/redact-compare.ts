import * as fs from "node:fs";
import { parsePlan } from "./plan/plan-json";
import { REVIEW_KEY_ENV, checkReviewKey, comparePlans, redactPlan } from "./plan/review";

/**
 * `npm run plan:redact -- [--without-key] <plan.json> <out.json>`: the plan as stored for review
 * (no secrets); planned sensitive values are hashed with PLAN_REVIEW_KEY (required unless
 * `--without-key`, which drift reports use: their sensitive values are only "(sensitive)").
 * `npm run plan:compare -- <reviewed.json> <current.json>`: exit 1, listing every difference, when
 * the plan about to be applied is not the reviewed one (PLAN_REVIEW_KEY required). A reviewed path
 * that does not exist means no plan was reviewed for the stack: only a plan without changes is then
 * accepted.
 */
export function run(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): { code: number; output: string } {
  const args = argv.filter((a) => a !== "--without-key");
  const withoutKey = args.length !== argv.length;
  const [command, a, b] = args;
  const read = (file: string) => parsePlan(fs.readFileSync(file, "utf8"), file);
  if (command === "redact" && a && b) {
    const key = withoutKey ? undefined : checkReviewKey(env[REVIEW_KEY_ENV]);
    fs.writeFileSync(b, JSON.stringify(redactPlan(read(a), key), null, 1) + "\n");
    return { code: 0, output: `redacted ${a} -> ${b}${key ? "" : " (sensitive values without hashes)"}\n` };
  }
  if (command === "compare" && a && b && !withoutKey) {
    const key = checkReviewKey(env[REVIEW_KEY_ENV]);
    const reviewed = fs.existsSync(a) ? read(a) : undefined;
    const problems = comparePlans(reviewed, read(b), key);
    if (!problems.length) return { code: 0, output: `${b} matches the reviewed plan${reviewed ? ` ${a}` : " (no reviewed plan; no changes)"}.\n` };
    return { code: 1, output: `REFUSING TO APPLY: ${b} is not the reviewed plan ${reviewed ? a : "(none was reviewed)"}:\n${problems.map((p) => `  - ${p}`).join("\n")}\nRe-run the pull request's plan (or open a new pull request) and review it; docs/gitops.md, "Recovering a failed deploy".\n` };
  }
  return { code: 2, output: "usage: plan-review redact [--without-key] <plan.json> <out.json> | plan-review compare <reviewed.json> <current.json>\n" };
}

if (require.main === module) {
  try {
    const { code, output } = run(process.argv.slice(2));
    (code === 0 ? process.stdout : process.stderr).write(output);
    process.exit(code);
  } catch (e) {
    process.stderr.write(`plan-review: ${(e as Error).message}\n`);
    process.exit(2);
  }
}
