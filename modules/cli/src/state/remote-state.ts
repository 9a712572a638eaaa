import * as fs from "node:fs";
import * as path from "node:path";

/**
 * `npm run --silent state:check -- <stack>... | --all [--out cdktf.out]`: refuses (exit 1) any
 * synthesized stack whose Terraform state would live on the machine that runs it.
 *
 * A GitHub runner's disk is thrown away after each job. A stack with a local backend (or no backend,
 * which is Terraform's local default) would start every job with empty state: each deploy plans to
 * create everything again (the reviewed-plan comparison refuses it, or the apply fails with "already
 * exists"), and drift always reports the stack as drifted. The pipelines run this before any
 * `terraform init`.
 */
export interface StateProblem {
  readonly stack: string;
  readonly message: string;
}

const CLOUD_KEYS: Record<string, string> = { aws: "aws", gcp: "gcp", azure: "azure" };

/** The backend block of a synthesized `cdk.tf.json`, e.g. `{ s3: {...} }`. */
export function backendOf(stackJson: { terraform?: { backend?: Record<string, unknown>; cloud?: unknown } }): string | undefined {
  if (stackJson.terraform?.cloud) return "cloud";
  const names = Object.keys(stackJson.terraform?.backend ?? {});
  return names[0];
}

export function checkRemoteState(stack: string, stackJson: Parameters<typeof backendOf>[0]): StateProblem | undefined {
  const backend = backendOf(stackJson);
  if (backend && backend !== "local") return undefined;
  const m = /^([a-z0-9]+)-([a-z0-9]+)/.exec(stack);
  const env = m?.[1] ?? "<env>";
  const cloud = CLOUD_KEYS[m?.[2] ?? ""] ?? "<cloud>";
  const where = backend === "local" ? "a local backend" : "no backend (Terraform's local default)";
  return {
    stack,
    message:
      `${stack}: the state would live on the runner (${where}). The runner's disk is thrown away after each job, so every ` +
      `plan would start from empty state and deploy or drift would try to create everything again. Fix: set ` +
      `clouds.${cloud}.backend in environments/${env}.ts (a state bucket or storage container; see docs/gitops.md), ` +
      "and do not set PLATFORM_LOCAL_STATE in the pipeline.",
  };
}

export function run(argv: readonly string[]): { code: number; output: string } {
  let out = "cdktf.out";
  const stacks: string[] = [];
  let all = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out") out = argv[++i];
    else if (argv[i] === "--all") all = true;
    else if (/^[a-z0-9]+(-[a-z0-9]+)+$/.test(argv[i])) stacks.push(argv[i]);
    else return { code: 2, output: `state:check: '${argv[i]}' is not a stack name\nusage: state:check <stack>... | --all [--out cdktf.out]\n` };
  }
  if (all) {
    const manifest = JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8")) as { stacks: Record<string, unknown> };
    stacks.push(...Object.keys(manifest.stacks).sort());
  }
  if (!stacks.length) return { code: 2, output: "usage: state:check <stack>... | --all [--out cdktf.out]\n" };
  const problems: StateProblem[] = [];
  for (const stack of stacks) {
    const file = path.join(out, "stacks", stack, "cdk.tf.json");
    if (!fs.existsSync(file)) return { code: 2, output: `state:check: ${file} does not exist; run \`npm run synth\` first\n` };
    const problem = checkRemoteState(stack, JSON.parse(fs.readFileSync(file, "utf8")));
    if (problem) problems.push(problem);
  }
  if (problems.length) return { code: 1, output: problems.map((p) => `::error title=Local Terraform state::${p.message}`).join("\n") + "\n" };
  return { code: 0, output: `remote state: ${stacks.join(", ")}\n` };
}

if (require.main === module) {
  try {
    const { code, output } = run(process.argv.slice(2));
    // Workflow commands (::error::) are read from standard output.
    process.stdout.write(output);
    process.exit(code);
  } catch (e) {
    process.stderr.write(`state:check: ${(e as Error).message}\n`);
    process.exit(2);
  }
}
