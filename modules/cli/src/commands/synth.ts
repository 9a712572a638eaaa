import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { SYNTH_MANIFEST_FILE, SynthManifest, readSynthManifest } from "@polycloud/core";
import { CliContext, CliError, EXIT } from "../context";
import { withProgress } from "../progress";
import { Project, ProjectOptions, loadProject, shown } from "../project";

/**
 * `polycloud synth [--stacks <patterns>] [--local-state] [--json]`: runs the project's app (its
 * cdktf.json `app`, as `cdktf synth` does) with the output directory, the stack filter and local
 * state passed in the environment (CDKTF_OUTDIR, PLATFORM_STACKS, PLATFORM_LOCAL_STATE), then
 * reads what the synthesis wrote: the stacks, the sources stamp and the synth manifest (warnings,
 * validation problems). Exit 1 when the app fails (a validation problem, a type error).
 */
export interface SynthOptions extends ProjectOptions {
  readonly stacks?: string;
  readonly localState?: boolean;
  readonly json?: boolean;
}

export interface AppRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the app command in the project root, output captured. */
export function runAppCommand(project: Project, app: string, env: NodeJS.ProcessEnv): Promise<AppRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(app, { cwd: project.root, shell: true, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => { stdout += d; });
    child.stderr.on("data", (d) => { stderr += d; });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

export interface SynthResult {
  readonly code: number;
  readonly manifest?: SynthManifest;
  readonly run: AppRun;
}

/** The synthesis, without printing: what `synth` and `check` share. */
export async function synthesize(ctx: CliContext, project: Project, opts: SynthOptions = {}): Promise<SynthResult> {
  if (!project.app) throw new CliError(`no cdktf.json with an "app" in ${project.root} (or above the working directory); \`polycloud init\` creates a project`);
  const env: NodeJS.ProcessEnv = { ...ctx.env, CDKTF_OUTDIR: project.outdir, CHECKPOINT_DISABLE: "1" };
  // --stacks over PLATFORM_STACKS; without it, PLATFORM_STACKS of the environment still filters.
  if (opts.stacks) env.PLATFORM_STACKS = opts.stacks;
  if (opts.localState) env.PLATFORM_LOCAL_STATE = "1";
  const manifestFile = path.join(project.outdir, SYNTH_MANIFEST_FILE);
  // A manifest left by an earlier run must not be read as this run's.
  fs.rmSync(manifestFile, { force: true });
  const app = project.app;
  const run = await withProgress(ctx, `synth: ${app}`, () => runAppCommand(project, app, env));
  let manifest: SynthManifest | undefined;
  try {
    manifest = readSynthManifest(project.outdir);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  return { code: run.code === 0 ? EXIT.OK : EXIT.FAILED, manifest, run };
}

export async function synthCommand(ctx: CliContext, opts: SynthOptions = {}): Promise<number> {
  const project = loadProject(ctx, opts);
  const { code, manifest, run } = await synthesize(ctx, project, opts);
  const stacks = manifest ? Object.keys(manifest.stacks) : [];
  if (opts.json) {
    ctx.out(`${JSON.stringify({
      ok: code === EXIT.OK, outdir: project.outdir, stacks, warnings: manifest?.warnings ?? null, problems: manifest?.problems ?? [],
      ...(code !== EXIT.OK && !manifest?.problems?.length ? { output: `${run.stdout}${run.stderr}`.trim().split("\n").slice(-40).join("\n") } : {}),
    }, null, 2)}\n`);
    return code;
  }
  if (run.stdout) ctx.out(run.stdout.endsWith("\n") ? run.stdout : `${run.stdout}\n`);
  if (run.stderr) ctx.err(run.stderr.endsWith("\n") ? run.stderr : `${run.stderr}\n`);
  if (code === EXIT.OK) {
    if (manifest) ctx.err(`synth: ${stacks.length} stack${stacks.length === 1 ? "" : "s"} in ${shown(ctx, project.outdir)}: ${stacks.join(", ")}\n`);
    else ctx.err(`synth: the app wrote no ${SYNTH_MANIFEST_FILE} (it does not use @polycloud/stacks' runApp): policy and cost run without the environments' retention and budget settings\n`);
  } else if (!manifest?.problems?.length) {
    ctx.err(`synth: \`${project.app}\` exited with ${run.code}\n`);
  }
  return code;
}
