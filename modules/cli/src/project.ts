import * as fs from "node:fs";
import * as path from "node:path";
import { EnvironmentConfig, ProjectConfig, SynthManifest, projectConfig, readSynthManifest, staleSynthReason } from "@polycloud/core";
import { CliContext, CliError, EXIT } from "./context";

/**
 * The project a verb works on: the nearest folder at or above the working directory with a
 * `cdktf.json` (or `--project <dir>`), its app command, its synthesized output and its settings.
 * Nothing here is specific to one repository: a consumer's project is read the same way.
 */
export interface Project {
  readonly root: string;
  /** `cdktf.json`'s `app`: the command that synthesizes the stacks (undefined without cdktf.json). */
  readonly app?: string;
  /** Absolute path of the synthesized output (`--output`, else cdktf.json's `output`, else `cdktf.out`). */
  readonly outdir: string;
  readonly config: ProjectConfig;
}

export interface ProjectOptions {
  readonly project?: string;
  readonly output?: string;
}

function findRoot(from: string): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "cdktf.json"))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

export function loadProject(ctx: CliContext, opts: ProjectOptions = {}): Project {
  const given = opts.project ? path.resolve(ctx.cwd, opts.project) : undefined;
  if (given && !fs.existsSync(path.join(given, "cdktf.json"))) throw new CliError(`--project ${opts.project}: no cdktf.json in ${given}`);
  const root = given ?? findRoot(ctx.cwd) ?? ctx.cwd;
  const cdktfFile = path.join(root, "cdktf.json");
  let cdktf: { app?: unknown; output?: unknown } = {};
  if (fs.existsSync(cdktfFile)) {
    try {
      cdktf = JSON.parse(fs.readFileSync(cdktfFile, "utf8"));
    } catch (e) {
      throw new CliError(`${cdktfFile} is not JSON: ${(e as Error).message}`);
    }
  }
  let config: ProjectConfig;
  try {
    config = projectConfig(root);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const outdir = opts.output ? path.resolve(ctx.cwd, opts.output) : path.resolve(root, typeof cdktf.output === "string" ? cdktf.output : "cdktf.out");
  return { root, app: typeof cdktf.app === "string" ? cdktf.app : undefined, outdir, config };
}

/** A path for messages: relative to the working directory when inside it. */
export function shown(ctx: CliContext, file: string): string {
  const rel = path.relative(ctx.cwd, file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
}

/** A project file named by a setting, resolved against the project root. */
export function projectFile(project: Project, setting: string | undefined, fallback: string): string {
  return path.resolve(project.root, setting ?? fallback);
}

/**
 * Refuses an output that does not exist or was synthesized from other sources than the project's
 * current ones (the sources stamp): a gate must never pass on stacks that are not these.
 */
export function requireFreshOutput(ctx: CliContext, project: Project): void {
  if (!fs.existsSync(path.join(project.outdir, "stacks"))) {
    throw new CliError(`${shown(ctx, project.outdir)} has no synthesized stacks: run \`polycloud synth\` first`);
  }
  const stale = staleSynthReason(project.outdir, project.root);
  if (stale) throw new CliError(stale.replace(project.outdir, shown(ctx, project.outdir)));
}

/** The synth manifest of the output, when the app writes one (`@polycloud/stacks`' runApp does). */
export function manifestOf(project: Project): SynthManifest | undefined {
  try {
    return readSynthManifest(project.outdir);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/** The environments the synthesis rendered (empty when the app writes no manifest). */
export function environmentsOf(project: Project): readonly EnvironmentConfig[] {
  return manifestOf(project)?.environments ?? [];
}

/**
 * The stacks the last synthesis wrote: those its `manifest.json` lists. A synthesis does not remove
 * the folders of stacks it did not build (a filtered one, or one after a stack was removed from
 * the composition), and those may come from other sources: never judged. Without a manifest.json,
 * every folder with a `cdk.tf.json`.
 */
export function synthesizedStackNames(outdir: string): string[] {
  const root = path.join(outdir, "stacks");
  if (!fs.existsSync(root)) return [];
  const present = fs.readdirSync(root).filter((n) => fs.existsSync(path.join(root, n, "cdk.tf.json")));
  const manifest = path.join(outdir, "manifest.json");
  if (!fs.existsSync(manifest)) return present.sort();
  const listed = new Set(manifestStacks(manifest));
  return present.filter((n) => listed.has(n)).sort();
}

let listedCache: { key: string; names: string[] } | undefined;

/** The stacks a manifest.json lists, parsed once per process while the file keeps its identity (it is 4 MB at 200 services). */
function manifestStacks(manifest: string): string[] {
  const st = fs.statSync(manifest, { bigint: true });
  const key = [manifest, st.ino, st.size, st.mtimeNs, st.ctimeNs].join(":");
  if (listedCache?.key !== key) {
    listedCache = { key, names: Object.keys((JSON.parse(fs.readFileSync(manifest, "utf8")) as { stacks?: Record<string, unknown> }).stacks ?? {}) };
  }
  return listedCache.names;
}

/** Every stack of the last synthesis (`<outdir>/stacks/<name>/cdk.tf.json`), by stack name. */
export function readStackJson(project: Project): Record<string, any> {
  const root = path.join(project.outdir, "stacks");
  if (!fs.existsSync(root)) throw new CliError(`no synthesized stacks under ${root}; run \`polycloud synth\` first`);
  return Object.fromEntries(synthesizedStackNames(project.outdir).map((n) => [n, JSON.parse(fs.readFileSync(path.join(root, n, "cdk.tf.json"), "utf8"))]));
}

export { EXIT };
