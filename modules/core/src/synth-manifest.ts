import * as fs from "node:fs";
import * as path from "node:path";
import { Cloud, EnvironmentConfig } from "./environment";
import { ServiceSpec } from "./specs";

/**
 * What a synthesis rendered, written next to the stacks (`cdktf.out/polycloud-composition.json`)
 * by the composition's synthesis (`@polycloud/stacks`' `runApp`). The polycloud CLI reads it instead
 * of loading the project's TypeScript: the environments (retention for policy, budgets and accepted
 * overruns for cost), the services of each environment (function folders for `dev`, databases and
 * migrations for `db`), which stack renders what, and the warnings or validation problems.
 */
export const SYNTH_MANIFEST_FILE = "polycloud-composition.json";
export const SYNTH_MANIFEST_VERSION = 1;

export interface SynthManifestStack {
  readonly environment: string;
  readonly cloud: Cloud;
  /** The services the stack renders (empty for a partitioned environment's shared stack). */
  readonly services: readonly string[];
  /** `shared` or the service of a partitioned environment's stack. */
  readonly part?: string;
}

export interface SynthManifest {
  readonly version: number;
  /** False when validation failed: `problems` says why, and no stack was written. */
  readonly ok: boolean;
  readonly environments: readonly EnvironmentConfig[];
  /** Environment name → the services it renders, as the composition resolved them for it. */
  readonly services: Readonly<Record<string, readonly ServiceSpec[]>>;
  readonly stacks: Readonly<Record<string, SynthManifestStack>>;
  /** The stack filter of this synthesis (`--stacks`, PLATFORM_STACKS); absent when every stack was synthesized. */
  readonly filter?: string;
  /** The synthesis' warnings as it grouped them. */
  readonly warnings: unknown;
  readonly problems?: readonly { readonly message: string; readonly stacks: readonly string[] }[];
}

export function writeSynthManifest(outdir: string, manifest: SynthManifest): void {
  fs.mkdirSync(outdir, { recursive: true });
  fs.writeFileSync(path.join(outdir, SYNTH_MANIFEST_FILE), JSON.stringify(manifest, null, 1) + "\n");
}

/** The manifest of `outdir`, or undefined when the app that wrote it does not write one. */
export function readSynthManifest(outdir: string): SynthManifest | undefined {
  const file = path.join(outdir, SYNTH_MANIFEST_FILE);
  if (!fs.existsSync(file)) return undefined;
  const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as SynthManifest;
  if (manifest.version !== SYNTH_MANIFEST_VERSION) {
    throw new Error(`${file}: version ${manifest.version} is not ${SYNTH_MANIFEST_VERSION}; synthesize again with the installed @polycloud/stacks`);
  }
  return manifest;
}
