import { execFileSync, spawnSync } from "node:child_process";
import * as path from "node:path";
import { REPO_ROOT, npmCli, scopesOf, workspacePackages } from "./workspace-packages";

/**
 * `npm run release` (after `tsc -b`): `changeset publish` against the registry the npm config
 * maps each package scope to.
 *
 * changeset publish looks packages up with `npm info` against `publishConfig` or the
 * `npm_config_<scope>:registry` environment variable, not the scope mapping in .npmrc, so without
 * this it would ask the public registry whether a private version exists. This passes the
 * configured mapping on; registry and scope stay configuration (.npmrc), not code.
 */
export function scopedRegistryEnv(scopes: readonly string[], env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const scope of scopes) {
    const configured = execFileSync(process.execPath, [npmCli(), "config", "get", `${scope}:registry`], { cwd: REPO_ROOT, env, encoding: "utf8" }).trim();
    if (!configured || configured === "undefined") {
      throw new Error(`no registry configured for ${scope}: add \`${scope}:registry=<url>\` to .npmrc (see docs/publishing.md)`);
    }
    out[`npm_config_${scope}:registry`] = configured;
  }
  return out;
}

/**
 * Runs `changeset publish <args>` with the scoped registries passed on. With `capture`, output is
 * returned instead of streamed (for tests).
 */
export function releaseWithChangesets(args: readonly string[], options: { env?: NodeJS.ProcessEnv; capture?: boolean } = {}): { status: number; output: string } {
  const env = options.env ?? process.env;
  const extra = scopedRegistryEnv(scopesOf(workspacePackages()), env);
  const header = Object.entries(extra).map(([k, v]) => `release: ${k.replace(/^npm_config_/, "")} -> ${v}\n`).join("");
  if (!options.capture) process.stdout.write(header);
  const changeset = path.join(path.dirname(require.resolve("@changesets/cli/package.json", { paths: [REPO_ROOT] })), "bin.js");
  const result = spawnSync(process.execPath, [changeset, "publish", ...args], {
    cwd: REPO_ROOT,
    stdio: options.capture ? "pipe" : "inherit",
    encoding: "utf8",
    env: { ...env, ...extra },
    timeout: 300000,
  });
  return { status: result.status ?? 1, output: `${header}${result.stdout ?? ""}${result.stderr ?? ""}` };
}

if (require.main === module) {
  try {
    process.exit(releaseWithChangesets(process.argv.slice(2)).status);
  } catch (e) {
    process.stderr.write(`release: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
