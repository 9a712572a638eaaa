import * as path from "node:path";
import { App } from "cdktf";
import { CLOUDS, Cloud } from "@polycloud/core";
import { SynthValidationError, buildStacks, formatWarnings, synthAll } from "@polycloud/stacks";
import { composition } from "../../stacks/composition";
import { skipTokenCreationTraces } from "@polycloud/stacks";

/**
 * `npm run dev`'s synthesis, in a child process so the runner stays light: the stacks of one
 * environment and cloud from stacks/composition.ts into cdktf.out (as `npm run synth` writes them),
 * then one JSON line on stdout: the stack folders, the source folder of every function they render
 * and each database's migrations folder (what the dev loop watches).
 */
function main(argv: string[]): void {
  const [envName, cloud] = argv;
  if (!CLOUDS.includes(cloud as Cloud)) throw new Error(`dev: --cloud must be one of ${CLOUDS.join(", ")} (got ${cloud})`);
  const env = composition.environments.find((e) => e.name === envName);
  if (!env) throw new Error(`dev: --env must be one of ${composition.environments.map((e) => e.name).join(", ")} (got ${envName})`);
  skipTokenCreationTraces();
  const app = new App();
  const stacks = buildStacks(app, { ...composition, environments: [env], filter: `${env.name}-${cloud}*` });
  try {
    process.stderr.write(`${formatWarnings(synthAll(app))}\n`);
  } catch (e) {
    if (!(e instanceof SynthValidationError)) throw e;
    process.stderr.write(`${e.message}\n`);
    process.exitCode = 1;
    return;
  }
  const services = composition.services ? [...composition.services(env)] : composition.service ? [composition.service(env)] : [];
  // Function folders, and each database's migrations folder (a changed migration runs the step again).
  const sources = [...new Set(services.filter((s) => !s.clouds?.length || s.clouds.includes(cloud as Cloud)).flatMap((s) => [
    ...Object.values(s.functions ?? {}).map((f) => path.resolve(String(f.source))),
    ...Object.values(s.databases ?? {}).map((d) => (d as { migrations?: unknown }).migrations).filter((m): m is string => typeof m === "string").map((m) => path.resolve(m)),
  ]))].sort();
  process.stdout.write(`${JSON.stringify({ stacks: stacks.map((s) => ({ name: s.node.id, dir: path.resolve(app.outdir, "stacks", s.node.id) })), sources })}\n`);
}

try {
  main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exitCode = 1;
}
