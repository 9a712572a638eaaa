import * as fs from "node:fs";
import * as path from "node:path";
import { CLOUDS, Cloud, PolicyStack, SEVERITIES, Severity, Suppression, failing, formatTable, runPolicy, toSarif } from "@polycloud/core";
import { staleSynthReason } from "../stacks/sources-stamp";
import { environments } from "../environments";

/**
 * `npm run policy [-- --fail-on high] [--sarif file] [--out cdktf.out] [--fail-on-unevaluated]`:
 * checks every synthesized stack in cdktf.out, prints the findings and "cannot evaluate" notes,
 * writes SARIF and exits 1 when an unsuppressed finding is at or above the threshold (default:
 * medium); notes fail the run only with --fail-on-unevaluated.
 */
export function loadStacks(outdir: string): PolicyStack[] {
  const dir = path.join(outdir, "stacks");
  if (!fs.existsSync(dir)) throw new Error(`${dir} does not exist: run \`npm run synth\` first`);
  return fs.readdirSync(dir).sort().map((name) => {
    const [envName, cloud] = name.split("-");
    if (!(CLOUDS as readonly string[]).includes(cloud)) throw new Error(`stack ${name}: cannot tell its cloud from the name (<env>-<cloud>[-...])`);
    const env = environments.find((e) => e.name === envName);
    return {
      name,
      cloud: cloud as Cloud,
      environment: envName,
      json: JSON.parse(fs.readFileSync(path.join(dir, name, "cdk.tf.json"), "utf8")),
      minLogDays: env?.retention.logDays,
      retention: env?.retention,
    };
  });
}

/**
 * The entries of a suppressions file as written. runPolicy validates them: an entry it cannot
 * apply (no justification, an unknown condition, the format before conditions) is a PC000 finding.
 */
export function loadSuppressions(file: string): Suppression[] {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")).suppressions ?? []) : [];
}

function main(argv: string[]): number {
  const arg = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
  };
  const threshold = arg("fail-on", "medium") as Severity;
  if (!SEVERITIES.includes(threshold)) {
    console.error(`policy: property '--fail-on' has value "${threshold}"; allowed: one of ${SEVERITIES.join(", ")}`);
    return 2;
  }
  const outdir = arg("out", "cdktf.out");
  const stale = staleSynthReason(outdir);
  if (stale) {
    console.error(`policy: ${stale}`);
    return 2;
  }
  const stacks = loadStacks(outdir);
  const result = runPolicy(stacks, loadSuppressions(arg("suppressions", "policy/suppressions.json")));
  const sarifFile = arg("sarif", path.join(outdir, "policy.sarif"));
  fs.writeFileSync(sarifFile, JSON.stringify(toSarif(result.findings), null, 2));
  console.log(formatTable(result.findings));
  for (const s of result.unusedSuppressions) console.log(`unused suppression: ${s.condition} ${s.target} in ${s.stacks.join(", ")}`);
  if (result.outOfScopeSuppressions.length) console.log(`${result.outOfScopeSuppressions.length} suppressions name stacks or services this run does not contain (not judged)`);
  const bad = failing(result.findings, threshold, argv.includes("--fail-on-unevaluated"));
  const notes = result.findings.filter((f) => f.note).length;
  console.log(`\n${stacks.length} stacks, ${result.findings.length - notes} findings (${result.findings.filter((f) => f.suppressed).length} suppressed), ${notes} cannot-evaluate notes, ${bad.length} failing at or above ${threshold}. SARIF: ${sarifFile}`);
  return bad.length ? 1 : 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
