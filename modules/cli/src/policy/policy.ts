import * as fs from "node:fs";
import * as path from "node:path";
import { CLOUDS, Cloud, EnvironmentConfig, PolicyStack, SEVERITIES, Severity, StackEvaluation, Suppression, applySuppressions, evaluateStack, failing, formatTable, policyEvaluationContext, toSarif } from "@polycloud/core";
import { CliContext, CliError, EXIT } from "../context";
import { Project, ProjectOptions, environmentsOf, loadProject, projectFile, requireFreshOutput, shown, synthesizedStackNames } from "../project";
import { perStackResults } from "../stack-results";

/**
 * `polycloud policy [--fail-on high] [--sarif file] [--suppressions file] [--fail-on-unevaluated] [--json]`:
 * checks every synthesized stack, prints the findings and "cannot evaluate" notes, writes SARIF and
 * exits 1 when an unsuppressed finding is at or above the threshold (default: medium); notes fail
 * the run only with --fail-on-unevaluated.
 */
export interface PolicyOptions extends ProjectOptions {
  readonly failOn?: string;
  readonly failOnUnevaluated?: boolean;
  readonly sarif?: string;
  readonly suppressions?: string;
  readonly json?: boolean;
}

/** The cloud of a stack `<env>-<cloud>[-...]`. */
function cloudOfStack(name: string): Cloud | undefined {
  const cloud = name.split("-")[1];
  return (CLOUDS as readonly string[]).includes(cloud) ? (cloud as Cloud) : undefined;
}

/** A stack of the last synthesis without its JSON: name, cloud, environment and the environment's retention. */
function stackOf(name: string, environments: readonly EnvironmentConfig[]): Omit<PolicyStack, "json"> {
  const [envName] = name.split("-");
  const cloud = cloudOfStack(name);
  if (!cloud) throw new Error(`stack ${name}: cannot tell its cloud from the name (<env>-<cloud>[-...])`);
  const env = environments.find((e) => e.name === envName);
  return { name, cloud, environment: envName, minLogDays: env?.retention.logDays, retention: env?.retention };
}

/**
 * Every stack of the last synthesis under `<outdir>/stacks` with its environment's retention (from
 * the synth manifest's environments; a stack of an environment it does not list is judged without them).
 */
export function loadStacks(outdir: string, environments: readonly EnvironmentConfig[] = []): PolicyStack[] {
  const dir = path.join(outdir, "stacks");
  if (!fs.existsSync(dir)) throw new Error(`${dir} does not exist: run \`polycloud synth\` first`);
  return synthesizedStackNames(outdir).map((name) => ({ ...stackOf(name, environments), json: JSON.parse(fs.readFileSync(path.join(dir, name, "cdk.tf.json"), "utf8")) }));
}

/**
 * Every stack of the last synthesis evaluated by the rules, one at a time, each from the
 * evaluation cache when its file, its environment's retention and the rules are those of an
 * earlier run (`perStackResults`): the same evaluations as `evaluateStack` on each.
 */
export function evaluateStacks(ctx: CliContext, project: Project): { stack: Omit<PolicyStack, "json">; evaluation: StackEvaluation }[] {
  const environments = environmentsOf(project);
  const stacks = new Map(synthesizedStackNames(project.outdir).map((name) => [name, stackOf(name, environments)]));
  return perStackResults(ctx, project, "policy", (name) => policyEvaluationContext(stacks.get(name)!), (name, json) => evaluateStack({ ...stacks.get(name)!, json }))
    .map(({ name, value }) => ({ stack: stacks.get(name)!, evaluation: value }));
}

/**
 * The entries of a suppressions file as written. runPolicy validates them: an entry it cannot
 * apply (no justification, an unknown condition, the format before conditions) is a PC000 finding.
 */
export function loadSuppressions(file: string): Suppression[] {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")).suppressions ?? []) : [];
}

export async function policyCommand(ctx: CliContext, opts: PolicyOptions = {}): Promise<number> {
  const threshold = (opts.failOn ?? "medium") as Severity;
  if (!SEVERITIES.includes(threshold)) throw new CliError(`policy: property '--fail-on' has value "${threshold}"; allowed: one of ${SEVERITIES.join(", ")}`);
  const project = loadProject(ctx, opts);
  requireFreshOutput(ctx, project);
  const evaluated = evaluateStacks(ctx, project);
  const stacks = evaluated.map((e) => e.stack);
  const suppressionsFile = opts.suppressions ? path.resolve(ctx.cwd, opts.suppressions) : projectFile(project, project.config.suppressions, "policy/suppressions.json");
  const result = applySuppressions(evaluated, loadSuppressions(suppressionsFile));
  const sarifFile = opts.sarif ? path.resolve(ctx.cwd, opts.sarif) : path.join(project.outdir, "policy.sarif");
  fs.writeFileSync(sarifFile, JSON.stringify(toSarif(result.findings), null, 2));
  const bad = failing(result.findings, threshold, opts.failOnUnevaluated === true);
  const notes = result.findings.filter((f) => f.note).length;
  if (opts.json) {
    ctx.out(`${JSON.stringify({
      ok: bad.length === 0, threshold, stacks: stacks.map((s) => s.name), findings: result.findings, failing: bad.length,
      unusedSuppressions: result.unusedSuppressions, outOfScopeSuppressions: result.outOfScopeSuppressions.length, sarif: sarifFile,
    }, null, 2)}\n`);
  } else {
    ctx.out(`${formatTable(result.findings)}\n`);
    for (const s of result.unusedSuppressions) ctx.out(`unused suppression: ${s.condition} ${s.target} in ${s.stacks.join(", ")}\n`);
    if (result.outOfScopeSuppressions.length) ctx.out(`${result.outOfScopeSuppressions.length} suppressions name stacks or services this run does not contain (not judged)\n`);
    ctx.out(`\n${stacks.length} stacks, ${result.findings.length - notes} findings (${result.findings.filter((f) => f.suppressed).length} suppressed), ${notes} cannot-evaluate notes, ${bad.length} failing at or above ${threshold}. SARIF: ${shown(ctx, sarifFile)}\n`);
  }
  return bad.length ? EXIT.FAILED : EXIT.OK;
}
