import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT, WorkspacePackage, scopesOf, workspacePackages } from "./workspace-packages";

/**
 * What the release job may do with a registry, decided before anything is published:
 * - provenance only where it can work: registry.npmjs.org, a public repository, every package
 *   published with `access: public`, and a `repository.url` that is this GitHub repository;
 * - the job's GITHUB_TOKEN only for GitHub Packages (never sent to another registry);
 * - GitHub Packages only when every package scope is the owning organisation or user.
 *
 * The repository URL is one configured value: the root package.json's `repository.url`; every
 * package under modules/ carries the same (`npm run --silent registry:repository -- <url>` sets it
 * everywhere, and a test keeps them equal).
 */
export const NPMJS = "https://registry.npmjs.org/";
export const GITHUB_PACKAGES = "https://npm.pkg.github.com/";

export interface ReleaseInputs {
  readonly registry: string;
  /** `github.repository`, owner/name. */
  readonly githubRepository: string;
  readonly repositoryPrivate: boolean;
  readonly repositoryUrl: string | undefined;
  readonly packages: readonly Pick<WorkspacePackage, "name" | "manifest">[];
}

export interface ReleaseDecision {
  readonly provenance: boolean;
  /** Why provenance is off (empty when on). */
  readonly notes: readonly string[];
  /** Fall back to the job's GITHUB_TOKEN when no NPM_TOKEN is configured. */
  readonly githubPackages: boolean;
  /** Reasons not to publish at all. */
  readonly errors: readonly string[];
}

const normal = (u: string) => (u.endsWith("/") ? u : `${u}/`);

/** `git+https://github.com/o/r.git` and friends → `o/r` (lower case), or undefined for another host. */
export function githubRepoOf(url: string | undefined): string | undefined {
  const m = /^(?:git\+)?https:\/\/github\.com\/([^/]+\/[^/]+?)(?:\.git)?\/?$/i.exec(url ?? "");
  return m?.[1].toLowerCase();
}

export function decideRelease(i: ReleaseInputs): ReleaseDecision {
  const registry = normal(i.registry);
  const notes: string[] = [];
  const errors: string[] = [];
  const githubPackages = registry === GITHUB_PACKAGES;
  if (githubPackages) {
    const owner = `@${i.githubRepository.split("/")[0].toLowerCase()}`;
    for (const scope of scopesOf(i.packages as WorkspacePackage[])) {
      if (scope.toLowerCase() !== owner) errors.push(`GitHub Packages publishes a scope only under the organisation or user of that name: ${scope} is not ${owner}; rename the packages (see docs/publishing.md)`);
    }
  }
  if (registry !== NPMJS) notes.push(`${registry} does not support npm provenance attestations`);
  else {
    if (i.repositoryPrivate) notes.push("npm provenance needs a public repository");
    const restricted = i.packages.filter((p) => p.manifest.publishConfig?.access !== "public").map((p) => p.name);
    if (restricted.length) notes.push(`npm provenance needs public packages; restricted: ${restricted.join(", ")}`);
    const repo = githubRepoOf(i.repositoryUrl);
    if (repo !== i.githubRepository.toLowerCase()) notes.push(`repository.url '${i.repositoryUrl ?? ""}' is not https://github.com/${i.githubRepository} (set it with npm run --silent registry:repository -- <url>)`);
  }
  return { provenance: notes.length === 0, notes, githubPackages, errors };
}

export function rootRepositoryUrl(root = REPO_ROOT): string | undefined {
  const m = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { repository?: { url?: string } | string };
  return typeof m.repository === "string" ? m.repository : m.repository?.url;
}

/** Writes `url` as the repository URL of the root and of every package (keeping each package's directory). */
export function setRepositoryUrl(url: string, root = REPO_ROOT): string[] {
  if (!/^git\+https:\/\/[^\s]+\.git$/.test(url)) throw new Error(`'${url}' is not git+https://<host>/<owner>/<repo>.git`);
  const files = [path.join(root, "package.json"), ...workspacePackages(root).map((p) => path.join(p.dir, "package.json"))];
  for (const file of files) {
    const m = JSON.parse(fs.readFileSync(file, "utf8"));
    const directory = path.relative(root, path.dirname(file)).replace(/\\/g, "/");
    m.repository = { type: "git", url, ...(directory ? { directory } : {}) };
    fs.writeFileSync(file, JSON.stringify(m, null, 2) + "\n");
  }
  return files;
}

/**
 * `npm run --silent registry:release-config -- <registry-url>` (in the release job, with
 * GITHUB_REPOSITORY, REPOSITORY_PRIVATE, GITHUB_OUTPUT and GITHUB_ENV): prints the decision, writes
 * the `provenance` and `github-packages` outputs, sets NPM_CONFIG_PROVENANCE=true for the later
 * steps only when provenance can work, exits 1 on an error.
 * `npm run --silent registry:repository -- <url>`: sets the repository URL everywhere.
 */
export function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): { code: number; output: string } {
  const [command, arg] = argv;
  if (command === "repository" && arg) return { code: 0, output: setRepositoryUrl(arg).map((f) => `repository.url -> ${path.relative(REPO_ROOT, f)}`).join("\n") + "\n" };
  if (command !== "decide" || !arg) return { code: 2, output: "usage: release-config decide <registry-url> | release-config repository <git+https://…/owner/repo.git>\n" };
  const d = decideRelease({
    registry: arg,
    githubRepository: env.GITHUB_REPOSITORY ?? "",
    repositoryPrivate: env.REPOSITORY_PRIVATE !== "false",
    repositoryUrl: rootRepositoryUrl(),
    packages: workspacePackages(),
  });
  if (env.GITHUB_OUTPUT) fs.appendFileSync(env.GITHUB_OUTPUT, `provenance=${d.provenance}\ngithub-packages=${d.githubPackages}\n`);
  if (env.GITHUB_ENV && d.provenance && !d.errors.length) fs.appendFileSync(env.GITHUB_ENV, "NPM_CONFIG_PROVENANCE=true\n");
  const lines = [
    ...d.errors.map((e) => `::error::${e}`),
    d.provenance ? "npm provenance: on" : `::notice::publishing without npm provenance: ${d.notes.join("; ")}`,
    `token: ${d.githubPackages ? "NPM_TOKEN, else the job's GITHUB_TOKEN (GitHub Packages)" : "NPM_TOKEN only"}`,
  ];
  return { code: d.errors.length ? 1 : 0, output: lines.join("\n") + "\n" };
}

if (require.main === module) {
  try {
    const { code, output } = main(process.argv.slice(2));
    process.stdout.write(output);
    process.exit(code);
  } catch (e) {
    process.stderr.write(`release-config: ${(e as Error).message}\n`);
    process.exit(2);
  }
}
