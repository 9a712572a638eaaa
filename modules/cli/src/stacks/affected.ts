import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ProjectConfig } from "@polycloud/core";
import { CliContext, CliError, EXIT } from "../context";
import { ProjectOptions, loadProject } from "../project";

/** One deployable stack, `<env>-<cloud>` or (partitioned) `<env>-<cloud>-<shared|service>`. */
export interface StackTarget {
  readonly stack: string;
  readonly env: string;
  readonly cloud: string;
  /** `shared` or the service of a partitioned environment's stack. */
  readonly part?: string;
}

/** The stacks in a synthesized `cdktf.out/manifest.json`. */
export function stacksFromManifest(manifestFile: string): StackTarget[] {
  const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as { stacks: Record<string, unknown> };
  return Object.keys(manifest.stacks).sort().map((stack) => {
    const m = /^([a-z0-9]+)-([a-z0-9]+)(?:-([a-z0-9-]+))?$/.exec(stack);
    if (!m) throw new Error(`${manifestFile}: stack name '${stack}' is not <env>-<cloud>[-<shared|service>]`);
    return m[3] ? { stack, env: m[1], cloud: m[2], part: m[3] } : { stack, env: m[1], cloud: m[2] };
  });
}

/**
 * Which changed paths affect which stacks. Markdown is harmless only where it is documentation (at
 * the top level, under docs/ and .changeset/): a `.md` file anywhere else may sit in a function's
 * source folder, which is zipped and deployed as it is.
 */
export interface AffectedRules {
  /** Paths that never change infrastructure. */
  readonly ignore: readonly RegExp[];
  /** Path prefix → the one cloud whose stacks it affects. */
  readonly clouds: readonly (readonly [string, string])[];
  /** The folder of the environment files: `<dir>/<env>.ts` affects that environment's stacks. */
  readonly environments: string;
}

/** A consumer project's layout (`polycloud init`): documentation, tests and CI never change infrastructure. */
export const DEFAULT_IGNORE: readonly string[] = ["^[^/]+\\.md$", "^docs/", "^\\.changeset/", "^__tests__/", "^tests?/", "^\\.github/", "^\\.gitignore$", "^LICENSE", "^\\.npmrc$"];

/** The rules of a project: its `affected` settings (package.json `polycloud.affected`), else the defaults. */
export function affectedRules(config: ProjectConfig = {}): AffectedRules {
  const a = config.affected ?? {};
  const regex = (source: string) => {
    try {
      return new RegExp(source, "i");
    } catch (e) {
      throw new CliError(`package.json: property 'polycloud.affected.ignore' has value ${JSON.stringify(source)}; allowed: regular expressions (${(e as Error).message})`);
    }
  };
  return {
    ignore: (a.ignore ?? DEFAULT_IGNORE).map(regex),
    clouds: Object.entries(a.clouds ?? {}),
    environments: (a.environments ?? "environments").replace(/\/+$/, ""),
  };
}

/**
 * The stacks a change set can affect. Conservative: a path that is not known to be harmless
 * affects every stack.
 * - a path under a cloud prefix (this repository: `modules/<cloud>/…`) affects that cloud's stacks;
 * - `environments/<env>.ts` affects that environment's stacks, anything else there every stack;
 * - documentation, tests, workflows and tooling affect none (but a `.md` inside a function's source does).
 */
export function affectedStacks(changedFiles: readonly string[], stacks: readonly StackTarget[], rules: AffectedRules = affectedRules()): StackTarget[] {
  const envs = new Set(stacks.map((s) => s.env));
  const hit = new Set<string>();
  const add = (pred: (s: StackTarget) => boolean) => stacks.filter(pred).forEach((s) => hit.add(s.stack));
  for (const raw of changedFiles) {
    const file = raw.trim().replace(/\\/g, "/");
    if (!file || rules.ignore.some((re) => re.test(file))) continue;
    const cloud = rules.clouds.find(([prefix]) => file.startsWith(prefix));
    if (cloud) {
      // A cloud package: only that cloud's stacks (none when no environment enables the cloud).
      add((s) => s.cloud === cloud[1]);
      continue;
    }
    const env = file.startsWith(`${rules.environments}/`) ? /^([a-z0-9]+)\.ts$/.exec(file.slice(rules.environments.length + 1)) : null;
    if (env && envs.has(env[1])) {
      add((s) => s.env === env[1]);
      continue;
    }
    add(() => true);
  }
  return stacks.filter((s) => hit.has(s.stack));
}

/**
 * `git diff --name-only --no-renames --relative <base>...HEAD` (files changed on this branch since
 * it left base, relative to `cwd`: a project in a subfolder of its repository sees its own paths).
 * Without --no-renames a moved file would list only its new path, hiding the old one.
 */
export function changedSince(base: string, cwd = process.cwd()): string[] {
  if (!/^[0-9a-f]{7,40}$|^[A-Za-z0-9._/-]+$/.test(base)) throw new Error(`--base '${base}' is not a commit or ref`);
  return execFileSync("git", ["diff", "--name-only", "--no-renames", "--relative", `${base}...HEAD`], { cwd, encoding: "utf8" }).split("\n").filter(Boolean);
}

/**
 * `polycloud stacks [--base <sha>] [--env <name>] [--cloud <name>] [--github-output <key>]`
 * prints the stacks of the synthesized output as a JSON array of {stack, env, cloud}: all of them,
 * or those the changes since `--base` affect (a pull request's plan matrix).
 */
export interface StacksOptions extends ProjectOptions {
  readonly base?: string;
  readonly env?: string;
  readonly cloud?: string;
  readonly githubOutput?: string;
}

export async function stacksCommand(ctx: CliContext, opts: StacksOptions = {}): Promise<number> {
  const project = loadProject(ctx, opts);
  const manifest = path.join(project.outdir, "manifest.json");
  if (!fs.existsSync(manifest)) throw new CliError(`${manifest} not found: run \`polycloud synth\` first`);
  let stacks = stacksFromManifest(manifest);
  if (opts.env) stacks = stacks.filter((s) => s.env === opts.env);
  if (opts.cloud) stacks = stacks.filter((s) => s.cloud === opts.cloud);
  if (opts.base) {
    let changed: string[];
    try {
      changed = changedSince(opts.base, project.root);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    stacks = affectedStacks(changed, stacks, affectedRules(project.config));
  }
  const json = JSON.stringify(stacks);
  if (opts.githubOutput) {
    const target = ctx.env.GITHUB_OUTPUT;
    if (!target) throw new CliError("--github-output needs GITHUB_OUTPUT (set by GitHub Actions)");
    fs.appendFileSync(target, `${opts.githubOutput}=${json}\n`);
  }
  ctx.out(`${json}\n`);
  return EXIT.OK;
}
