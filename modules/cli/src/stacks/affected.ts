import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

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
 * Paths that never change infrastructure. Markdown only where it is documentation: at the top
 * level, under docs/ and .changeset/, and a package's own README or CHANGELOG. A `.md` file anywhere
 * else may sit in a function's source folder, which is zipped and deployed as it is.
 */
const NO_INFRA = [/^[^/]+\.md$/i, /^docs\//, /^modules\/[^/]+\/[^/]+\.md$/i, /^\.changeset\//, /^__tests__\//, /^\.github\//, /^\.ci\//, /^scripts\//, /^\.gitignore$/, /^LICENSE/, /^eslint\.config\.mjs$/, /^jest\.config\.js$/];

/** The module folders that hold one cloud's implementation; `core` and any other folder affect every stack. */
export const CLOUD_MODULES: readonly string[] = ["aws", "gcp", "azure"];

/**
 * The stacks a change set can affect. Conservative: a path that is not known to be harmless
 * affects every stack.
 * - `modules/<cloud>/…` affects that cloud's stacks; `modules/core/…` and any other module folder every stack;
 * - `environments/<env>.ts` affects that environment's stacks, anything else there every stack;
 * - documentation, tests, workflows and tooling affect none (but a `.md` inside a function's source does).
 */
export function affectedStacks(changedFiles: readonly string[], stacks: readonly StackTarget[]): StackTarget[] {
  const envs = new Set(stacks.map((s) => s.env));
  const hit = new Set<string>();
  const add = (pred: (s: StackTarget) => boolean) => stacks.filter(pred).forEach((s) => hit.add(s.stack));
  for (const raw of changedFiles) {
    const file = raw.trim().replace(/\\/g, "/");
    if (!file || NO_INFRA.some((re) => re.test(file))) continue;
    const mod = /^modules\/([^/]+)\//.exec(file);
    if (mod && CLOUD_MODULES.includes(mod[1])) {
      // A cloud package: only that cloud's stacks (none when no environment enables the cloud).
      add((s) => s.cloud === mod[1]);
      continue;
    }
    const env = /^environments\/([a-z0-9]+)\.ts$/.exec(file);
    if (env && envs.has(env[1])) {
      add((s) => s.env === env[1]);
      continue;
    }
    add(() => true);
  }
  return stacks.filter((s) => hit.has(s.stack));
}

/**
 * `git diff --name-only --no-renames <base>...HEAD` (files changed on this branch since it left
 * base). Without --no-renames a moved file would list only its new path, hiding the old one.
 */
export function changedSince(base: string, cwd = process.cwd()): string[] {
  if (!/^[0-9a-f]{7,40}$|^[A-Za-z0-9._/-]+$/.test(base)) throw new Error(`--base '${base}' is not a commit or ref`);
  return execFileSync("git", ["diff", "--name-only", "--no-renames", `${base}...HEAD`], { cwd, encoding: "utf8" }).split("\n").filter(Boolean);
}

/**
 * `npm run stacks -- [--manifest cdktf.out/manifest.json] [--base <sha>] [--env <name>] [--cloud <name>] [--github-output <key>]`
 * prints the stacks as a JSON array of {stack, env, cloud}: all of them, or those a branch affects.
 */
export function main(argv: readonly string[]): string {
  let manifest = path.join("cdktf.out", "manifest.json");
  let base: string | undefined;
  let env: string | undefined;
  let cloud: string | undefined;
  let output: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === "--manifest") manifest = value;
    else if (flag === "--base") base = value;
    else if (flag === "--env") env = value;
    else if (flag === "--cloud") cloud = value;
    else if (flag === "--github-output") output = value;
    else throw new Error(`unknown argument ${flag}`);
    i++;
  }
  let stacks = stacksFromManifest(manifest);
  if (env) stacks = stacks.filter((s) => s.env === env);
  if (cloud) stacks = stacks.filter((s) => s.cloud === cloud);
  if (base) stacks = affectedStacks(changedSince(base), stacks);
  const json = JSON.stringify(stacks);
  if (output) {
    const target = process.env.GITHUB_OUTPUT;
    if (!target) throw new Error("--github-output needs GITHUB_OUTPUT (set by GitHub Actions)");
    fs.appendFileSync(target, `${output}=${json}\n`);
  }
  return json;
}

if (require.main === module) {
  try {
    process.stdout.write(main(process.argv.slice(2)) + "\n");
  } catch (e) {
    process.stderr.write(`affected-stacks: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
