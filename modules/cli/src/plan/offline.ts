import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { stacksFromManifest } from "./affected-stacks";
import { parsePlan } from "./plan/plan-json";
import { redactPlan } from "./plan/review";
import { renderMarkdown, summarizePlan } from "./plan/summary";
import { findAwsProviderMirror, findOnPath, prepareOfflineCopy } from "./terraform/offline";
import { staleSynthReason } from "../stacks/sources-stamp";

const run = promisify(execFile);

/**
 * `npm run plan:offline` — local parity for the pull request's plans, with no cloud credentials.
 * After `npm run synth`, plans every synthesized AWS stack offline (fake credentials, no remote
 * state, the local provider mirror when there is one, else the provider is downloaded), stores
 * the redacted plans in cdktf.out/plans/ and prints the same markdown summary the PR comment
 * shows (also written to cdktf.out/plan-summary.md). Stacks of clouds without an offline
 * provider, and machines without terraform, are skipped with a loud message.
 */
export async function planOffline(outdir = "cdktf.out"): Promise<string> {
  const manifest = path.join(outdir, "manifest.json");
  if (!fs.existsSync(manifest)) throw new Error(`${manifest} not found: run \`npm run synth\` first`);
  const terraformBin = findOnPath("terraform");
  if (!terraformBin) {
    console.warn("SKIPPING plan:offline: no terraform CLI on PATH. The pull-request workflow plans every affected stack.");
    return "";
  }
  const mirror = findAwsProviderMirror();
  if (!mirror) console.warn("plan:offline: no local hashicorp/aws provider mirror (set TF_PLUGIN_DIR); terraform init will download the provider.");
  const plansDir = path.join(outdir, "plans");
  fs.rmSync(plansDir, { recursive: true, force: true });
  fs.mkdirSync(plansDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-plan-"));
  const env = { ...process.env, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1", AWS_EC2_METADATA_DISABLED: "true" };
  try {
    const stacks = stacksFromManifest(manifest);
    const offline = stacks.filter((s) => s.cloud === "aws");
    for (const s of stacks.filter((t) => t.cloud !== "aws")) console.warn(`SKIPPING plan:offline for ${s.stack}: no offline provider for ${s.cloud} on this machine (its synth and tests still ran).`);
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
    return markdown;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  // Never plan an output left by an earlier synth of other sources (or by a failed one).
  const stale = staleSynthReason(process.argv[2] ?? "cdktf.out");
  if (stale) {
    process.stderr.write(`plan:offline: ${stale}\n`);
    process.exit(1);
  }
  planOffline(process.argv[2]).then(
    (md) => process.stdout.write(md),
    (e: { message: string; stderr?: string }) => {
      process.stderr.write(`plan:offline: ${e.message}\n${e.stderr ?? ""}\n`);
      process.exit(1);
    },
  );
}
