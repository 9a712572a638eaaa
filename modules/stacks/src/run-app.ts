import * as path from "node:path";
import { EnvironmentConfig, ServiceSpec, SynthManifest, SYNTH_MANIFEST_VERSION, projectSources, writeSynthManifest } from "@polycloud/core";
import { BuildOptions, SynthValidationError, formatWarnings, planStacks } from "./plan";
import { CompositionModule, resolvedComposition } from "./app-source";
import { ModuleSource } from "./synth-source";
import { synthesize } from "./synthesize";
import { skipTokenCreationTraces } from "./token-traces";

export type { CompositionModule } from "./app-source";

/** What a project deploys: its environments and the services each renders (`stacks/composition.ts`). */
export type Composition = Omit<BuildOptions, "filter">;

export interface RunAppOptions {
  /** @default the `CDKTF_OUTDIR` the CLI sets, else `cdktf.out` */
  readonly outdir?: string;
  /** Stack name patterns (`dev-*,prod-aws`). @default PLATFORM_STACKS */
  readonly filter?: string;
  /** Drop the remote backends. @default PLATFORM_LOCAL_STATE=1 */
  readonly localState?: boolean;
  /** @default the process's stdout and stderr */
  readonly out?: (text: string) => void;
  readonly err?: (text: string) => void;
  /** Reuse the stacks whose inputs did not change since the last synth into `outdir`. @default true unless POLYCLOUD_INCREMENTAL=0 */
  readonly incremental?: boolean;
  /** Worker threads. @default POLYCLOUD_SYNTH_WORKERS, else one per core (at most 4) for 60 services or more to build, when the composition is a module */
  readonly workers?: number;
  /**
   * The project's folders whose code renders stacks (compiled): a change there synthesizes every
   * stack again. @default the composition module's folder, else the app's entry folder (`require.main`)
   */
  readonly code?: readonly string[];
}

/** The services an environment renders, as the composition resolves them for it. */
export function servicesOf(composition: Composition, env: EnvironmentConfig): ServiceSpec[] {
  return composition.services ? [...composition.services(env)] : composition.service ? [composition.service(env)] : [];
}

/**
 * Folders the services read (function code, migrations), relative to the project, for the sources
 * stamp: a change to a handler makes the last synthesis stale.
 */
export function serviceFolders(services: readonly ServiceSpec[], root = process.cwd()): string[] {
  const out = new Set<string>();
  const add = (folder: unknown) => {
    if (typeof folder !== "string" || !folder) return;
    const rel = path.relative(root, path.resolve(root, folder));
    if (rel && !rel.startsWith("..") && !path.isAbsolute(rel)) out.add(rel.split(path.sep).join("/"));
  };
  for (const s of services) {
    for (const f of Object.values(s.functions ?? {})) add(f.source);
    for (const db of Object.values(s.databases ?? {})) add((db as { migrations?: unknown }).migrations);
  }
  return [...out].sort();
}

/**
 * The synthesis of a project's app (its `main.ts`): one stack per environment × enabled cloud,
 * validated together, then written to the output directory with the sources stamp and the synth
 * manifest (`polycloud-composition.json`) the polycloud CLI reads. Synthesized by `synthesize`
 * (synthesize.ts): stacks whose inputs did not change since the last synth into the same
 * directory are reused, and a large composition given as a module (`{ module, export }`, compiled
 * JavaScript) is built by worker threads. Prints the grouped warnings and a line of what was built
 * and reused, or every validation problem once with the stacks it affects. Resolves to the exit
 * code (0; 1 when validation failed; 2 when the filter selects nothing); the process's exit code
 * is set to it.
 */
export async function runApp(composition: Composition | CompositionModule, options: RunAppOptions = {}): Promise<number> {
  const out = options.out ?? ((t: string) => process.stdout.write(t));
  const err = options.err ?? ((t: string) => process.stderr.write(t));
  skipTokenCreationTraces();
  const localState = options.localState ?? process.env.PLATFORM_LOCAL_STATE === "1";
  const filter = options.filter ?? process.env.PLATFORM_STACKS;
  const module = isCompositionModule(composition) ? composition : undefined;
  // What the synthesis (and each worker thread) loads: the composition with local state and the filter applied.
  const source: BuildOptions | ModuleSource = module
    ? { module: require.resolve("./app-source"), export: "resolvedComposition", args: [module, localState, filter ?? ""] }
    : resolvedComposition(composition as Composition, localState, filter ?? "");
  const resolved = module ? resolvedComposition(module, localState, filter ?? "") : source as BuildOptions;
  const environments = resolved.environments;
  const services = Object.fromEntries(environments.map((env) => [env.name, servicesOf(resolved, env)]));
  const base: Omit<SynthManifest, "ok" | "stacks" | "warnings"> = { version: SYNTH_MANIFEST_VERSION, environments: [...environments], services, ...(filter ? { filter } : {}) };
  let plan: ReturnType<typeof planStacks>;
  try {
    plan = planStacks(resolved);
  } catch (e) {
    // A filter that selects nothing: said plainly, nothing written.
    if (!(e instanceof Error) || !e.message.startsWith("PLATFORM_STACKS:")) throw e;
    err(`${e.message}\n`);
    return (process.exitCode = 2);
  }
  const described = Object.fromEntries(plan.stacks.map((s) => {
    const part = s.env.partitioning === "service" ? s.id.slice(`${s.env.name}-${s.cloud}-`.length) : undefined;
    return [s.id, { environment: s.env.name, cloud: s.cloud, services: s.services.map((svc) => svc.name), ...(part ? { part } : {}) }];
  }));
  // The stamp hashes what the synthesis read: the project's sources and the folders the services name.
  const sources = [...new Set([...projectSources(), ...serviceFolders(Object.values(services).flat())])];
  // The app's entry folder (dist/ of a project), unless the entry is a tool's (jest's, under node_modules).
  const entry = require.main?.filename && !require.main.filename.split(path.sep).includes("node_modules") ? require.main.filename : undefined;
  const code = options.code ?? (module ? [path.dirname(module.module)] : entry ? [path.dirname(entry)] : []);
  const outdir = options.outdir ?? process.env.CDKTF_OUTDIR ?? "cdktf.out";
  try {
    const report = await synthesize(source, { app: { outdir }, code, sources, incremental: options.incremental, workers: options.workers });
    writeSynthManifest(report.outdir, { ...base, ok: true, stacks: described, warnings: report.warnings });
    // Warnings once per environment with the services they affect (accepted ones counted), then a
    // one-line summary; an accept entry nothing raised is reported only when every stack was built.
    out(`${formatWarnings(report.warnings, { showUnusedAccepts: !filter })}\n`);
    err(`synth: ${report.built.length} stack${report.built.length === 1 ? "" : "s"} synthesized, ${report.reused.length} unchanged and reused (${report.outdir})\n`);
    return (process.exitCode = 0);
  } catch (e) {
    if (!(e instanceof SynthValidationError)) throw e;
    writeSynthManifest(outdir, { ...base, ok: false, stacks: described, warnings: null, problems: e.problems });
    err(`${e.message}\n`);
    return (process.exitCode = 1);
  }
}

function isCompositionModule(c: Composition | CompositionModule): c is CompositionModule {
  return typeof (c as { module?: unknown }).module === "string";
}
