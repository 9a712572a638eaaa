import * as fs from "node:fs";
import * as path from "node:path";
import { CliContext, CliError, EXIT } from "../context";
import { ProjectOptions, loadProject, shown } from "../project";

/**
 * `polycloud state check <stack>... | --all`: refuses (exit 1) any
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

export interface StateCheckOptions extends ProjectOptions {
  readonly all?: boolean;
  readonly json?: boolean;
}

export async function stateCheckCommand(ctx: CliContext, names: readonly string[], opts: StateCheckOptions = {}): Promise<number> {
  const project = loadProject(ctx, opts);
  const stacks = [...names];
  for (const name of stacks) if (!/^[a-z0-9]+(-[a-z0-9]+)+$/.test(name)) throw new CliError(`state check: '${name}' is not a stack name`);
  if (opts.all) {
    const manifest = path.join(project.outdir, "manifest.json");
    if (!fs.existsSync(manifest)) throw new CliError(`${shown(ctx, manifest)} not found: run \`polycloud synth\` first`);
    stacks.push(...Object.keys((JSON.parse(fs.readFileSync(manifest, "utf8")) as { stacks: Record<string, unknown> }).stacks).sort());
  }
  if (!stacks.length) throw new CliError("state check: name the stacks, or --all");
  const problems: StateProblem[] = [];
  for (const stack of stacks) {
    const file = path.join(project.outdir, "stacks", stack, "cdk.tf.json");
    if (!fs.existsSync(file)) throw new CliError(`state check: ${shown(ctx, file)} does not exist; run \`polycloud synth\` first`);
    const problem = checkRemoteState(stack, JSON.parse(fs.readFileSync(file, "utf8")));
    if (problem) problems.push(problem);
  }
  if (opts.json) ctx.out(`${JSON.stringify({ ok: problems.length === 0, stacks, problems }, null, 2)}\n`);
  // Workflow commands (::error::) are read from standard output.
  else if (problems.length) ctx.out(problems.map((p) => `::error title=Local Terraform state::${p.message}`).join("\n") + "\n");
  else ctx.out(`remote state: ${stacks.join(", ")}\n`);
  return problems.length ? EXIT.FAILED : EXIT.OK;
}
