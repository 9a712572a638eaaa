import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { CliContext, EXIT } from "../context";
import { withProgress } from "../progress";
import { ProjectOptions, loadProject, requireFreshOutput, shown } from "../project";
import { stacksFromManifest } from "../stacks/affected";
import { findAwsProviderMirror, findOnPath, prepareOfflineCopy } from "../terraform/offline";
import { parsePlan } from "./plan-json";
import { redactPlan } from "./review";
import { StackSummary, renderMarkdown, summarizePlan } from "./summary";

const run = promisify(execFile);

/**
 * `polycloud plan offline` — local parity for the pull request's plans, with no cloud credentials.
 * After `polycloud synth`, plans every synthesized AWS stack offline (fake credentials, no remote
 * state, the local provider mirror when there is one, else the provider is downloaded), stores
 * the redacted plans in cdktf.out/plans/ and prints the same markdown summary the PR comment
 * shows (also written to <output>/plan-summary.md). Stacks of clouds without an offline
 * provider, and machines without terraform, are skipped with a loud message.
 */
export interface OfflinePlan {
  /** The redacted plan files, one per planned stack. */
  readonly files: readonly string[];
  readonly summaries: readonly StackSummary[];
  readonly markdown: string;
  /** Stacks not planned, and why. */
  readonly skipped: readonly { stack: string; reason: string }[];
}

export async function planOffline(outdir: string, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<OfflinePlan> {
  const manifest = path.join(outdir, "manifest.json");
  if (!fs.existsSync(manifest)) throw new Error(`${manifest} not found: run \`polycloud synth\` first`);
  const stacks = stacksFromManifest(manifest);
  // Plans of an earlier run never stand in for this one's.
  const plansDir = path.join(outdir, "plans");
  fs.rmSync(plansDir, { recursive: true, force: true });
  const terraformBin = findOnPath("terraform");
  if (!terraformBin) {
    const reason = "no terraform CLI on PATH (the pull-request workflow plans every affected stack)";
    return { files: [], summaries: [], markdown: "", skipped: stacks.map((s) => ({ stack: s.stack, reason })) };
  }
  const mirror = findAwsProviderMirror();
  if (!mirror) log("plan offline: no local hashicorp/aws provider mirror (set TF_PLUGIN_DIR); terraform init will download the provider.");
  fs.mkdirSync(plansDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-plan-"));
  const env = { ...process.env, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1", AWS_EC2_METADATA_DISABLED: "true" };
  try {
    const offline = stacks.filter((s) => s.cloud === "aws");
    const skipped = stacks.filter((t) => t.cloud !== "aws").map((s) => ({ stack: s.stack, reason: `no offline provider for ${s.cloud} on this machine (its synth and tests still ran)` }));
    const files = await Promise.all(offline.map(async ({ stack }) => {
      const dir = prepareOfflineCopy(path.join(outdir, "stacks", stack), path.join(work, stack));
      const tf = (args: string[]) => run(terraformBin, args, { cwd: dir, env, maxBuffer: 256 * 1024 * 1024 });
      await tf(["init", "-backend=false", "-input=false", "-no-color", ...(mirror ? [`-plugin-dir=${mirror}`] : [])]);
      await tf(["plan", "-input=false", "-lock=false", "-no-color", "-out=plan.tfplan"]);
      const { stdout } = await tf(["show", "-json", "plan.tfplan"]);
      const file = path.join(plansDir, `${stack}.json`);
      fs.writeFileSync(file, JSON.stringify(redactPlan(parsePlan(stdout, stack)), null, 1) + "\n");
      return file;
    }));
    const summaries = files.map((f, i) => summarizePlan(offline[i].stack, parsePlan(fs.readFileSync(f, "utf8"), f)));
    const markdown = renderMarkdown(summaries, { title: "Terraform plan (offline: fake credentials, empty state)" });
    fs.writeFileSync(path.join(outdir, "plan-summary.md"), markdown);
    return { files, summaries, markdown, skipped };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export interface PlanOfflineOptions extends ProjectOptions {
  readonly json?: boolean;
}

export async function planOfflineCommand(ctx: CliContext, opts: PlanOfflineOptions = {}): Promise<number> {
  const project = loadProject(ctx, opts);
  // Never plan an output left by an earlier synth of other sources (or by a failed one).
  requireFreshOutput(ctx, project);
  let result: OfflinePlan;
  try {
    result = await withProgress(ctx, "plan offline: terraform init + plan of every AWS stack", () => planOffline(project.outdir, (l) => ctx.err(`${l}\n`)));
  } catch (e) {
    const err = e as { message: string; stderr?: string };
    ctx.err(`plan offline: ${err.message}\n${err.stderr ?? ""}\n`);
    return EXIT.FAILED;
  }
  for (const s of result.skipped) ctx.err(`SKIPPING plan offline for ${s.stack}: ${s.reason}\n`);
  if (opts.json) ctx.out(`${JSON.stringify({ ok: true, plans: result.files.map((f) => shown(ctx, f)), summaries: result.summaries, skipped: result.skipped }, null, 2)}\n`);
  else ctx.out(result.markdown);
  return EXIT.OK;
}
