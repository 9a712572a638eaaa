import * as fs from "node:fs";
import * as path from "node:path";
import { CliContext, CliError, EXIT } from "../context";
import { parsePlan } from "./plan-json";
import { REVIEW_KEY_ENV, checkReviewKey, comparePlans, redactPlan } from "./review";

/**
 * `polycloud plan redact [--without-key] <plan.json> <out.json>`: the plan as stored for review
 * (no secrets); planned sensitive values are hashed with PLAN_REVIEW_KEY (required unless
 * `--without-key`, which drift reports use: their sensitive values are only "(sensitive)").
 * `polycloud plan compare <reviewed.json> <current.json>`: exit 1, listing every difference, when
 * the plan about to be applied is not the reviewed one (PLAN_REVIEW_KEY required). A reviewed path
 * that does not exist means no plan was reviewed for the stack: only a plan without changes is then
 * accepted.
 */
function reviewKey(ctx: CliContext): string {
  try {
    return checkReviewKey(ctx.env[REVIEW_KEY_ENV]);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

function read(ctx: CliContext, file: string) {
  const full = path.resolve(ctx.cwd, file);
  if (!fs.existsSync(full)) throw new CliError(`${file} does not exist`);
  try {
    return parsePlan(fs.readFileSync(full, "utf8"), file);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

export async function redactCommand(ctx: CliContext, plan: string, out: string, opts: { readonly withoutKey?: boolean } = {}): Promise<number> {
  const key = opts.withoutKey ? undefined : reviewKey(ctx);
  fs.writeFileSync(path.resolve(ctx.cwd, out), JSON.stringify(redactPlan(read(ctx, plan), key), null, 1) + "\n");
  ctx.out(`redacted ${plan} -> ${out}${key ? "" : " (sensitive values without hashes)"}\n`);
  return EXIT.OK;
}

export async function compareCommand(ctx: CliContext, reviewedFile: string, currentFile: string): Promise<number> {
  const key = reviewKey(ctx);
  const reviewed = fs.existsSync(path.resolve(ctx.cwd, reviewedFile)) ? read(ctx, reviewedFile) : undefined;
  const problems = comparePlans(reviewed, read(ctx, currentFile), key);
  if (!problems.length) {
    ctx.out(`${currentFile} matches the reviewed plan${reviewed ? ` ${reviewedFile}` : " (no reviewed plan; no changes)"}.\n`);
    return EXIT.OK;
  }
  ctx.err(`REFUSING TO APPLY: ${currentFile} is not the reviewed plan ${reviewed ? reviewedFile : "(none was reviewed)"}:\n${problems.map((p) => `  - ${p}`).join("\n")}\nRe-run the pull request's plan (or open a new pull request) and review it; docs/gitops.md, "Recovering a failed deploy".\n`);
  return EXIT.FAILED;
}
