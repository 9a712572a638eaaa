import * as path from "node:path";
import { App } from "cdktf";
import { EnvironmentConfig, ServiceSpec, SynthManifest, SYNTH_MANIFEST_VERSION, projectSources, writeSynthManifest } from "@polycloud/core";
import { BuildOptions, SynthValidationError, buildStacks, formatWarnings, synthAll } from "./app";
import { withLocalState } from "./local-state";
import { PlatformStack } from "./platform-stack";
import { skipTokenCreationTraces } from "./token-traces";

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
 * manifest (`polycloud-composition.json`) the polycloud CLI reads. Prints the grouped warnings, or
 * every validation problem once with the stacks it affects. Returns the exit code (0, or 1 when
 * validation failed); the process's exit code is set to it.
 */
export function runApp(composition: Composition, options: RunAppOptions = {}): number {
  const out = options.out ?? ((t: string) => process.stdout.write(t));
  const err = options.err ?? ((t: string) => process.stderr.write(t));
  skipTokenCreationTraces();
  const app = new App(options.outdir ? { outdir: options.outdir } : undefined);
  const localState = options.localState ?? process.env.PLATFORM_LOCAL_STATE === "1";
  const environments = localState ? withLocalState(composition.environments) : composition.environments;
  const filter = options.filter ?? process.env.PLATFORM_STACKS;
  const services = Object.fromEntries(environments.map((env) => [env.name, servicesOf(composition, env)]));
  const base: Omit<SynthManifest, "ok" | "stacks" | "warnings"> = { version: SYNTH_MANIFEST_VERSION, environments, services, ...(filter ? { filter } : {}) };
  let stacks: PlatformStack[];
  try {
    stacks = buildStacks(app, { ...composition, environments, filter });
  } catch (e) {
    // A filter that selects nothing: said plainly, nothing written.
    if (!(e instanceof Error) || !e.message.startsWith("PLATFORM_STACKS:")) throw e;
    err(`${e.message}\n`);
    return (process.exitCode = 2);
  }
  const described = Object.fromEntries(stacks.map((s) => {
    const part = s.env.partitioning === "service" ? s.node.id.slice(`${s.env.name}-${s.cloud}-`.length) : undefined;
    return [s.node.id, { environment: s.env.name, cloud: s.cloud, services: s.serviceNames, ...(part ? { part } : {}) }];
  }));
  const sources = [...new Set([...projectSources(), ...serviceFolders(Object.values(services).flat())])];
  try {
    const warnings = synthAll(app, { sources });
    writeSynthManifest(app.outdir, { ...base, ok: true, stacks: described, warnings });
    // Warnings once per environment with the services they affect (accepted ones counted), then a
    // one-line summary; an accept entry nothing raised is reported only when every stack was built.
    out(`${formatWarnings(warnings, { showUnusedAccepts: !filter })}\n`);
    return (process.exitCode = 0);
  } catch (e) {
    if (!(e instanceof SynthValidationError)) throw e;
    writeSynthManifest(app.outdir, { ...base, ok: false, stacks: described, warnings: null, problems: e.problems });
    err(`${e.message}\n`);
    return (process.exitCode = 1);
  }
}
