import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** A publishable workspace package under `modules/*` (anything not marked `private`). */
export interface WorkspacePackage {
  readonly name: string;
  readonly version: string;
  /** Absolute path of the package folder. */
  readonly dir: string;
  readonly manifest: PackageManifest;
}

export interface PackageManifest {
  name: string;
  version: string;
  private?: boolean;
  description?: string;
  license?: string;
  keywords?: string[];
  repository?: { type?: string; url?: string; directory?: string } | string;
  main?: string;
  types?: string;
  exports?: Record<string, unknown>;
  files?: string[];
  publishConfig?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [key: string]: unknown;
}

/** The monorepo root: the nearest folder above this file whose package.json declares workspaces (works from scripts/ and dist/scripts/). */
export const REPO_ROOT = findRoot(__dirname);

function findRoot(from: string): string {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file) && JSON.parse(fs.readFileSync(file, "utf8")).workspaces) return dir;
  }
  throw new Error(`no workspace root above ${from}`);
}

/** Every non-private package in `modules/*` that has a package.json, in dependency order (a package after what it depends on). */
export function workspacePackages(root: string = REPO_ROOT): WorkspacePackage[] {
  const modules = path.join(root, "modules");
  const found = fs.readdirSync(modules, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(modules, e.name, "package.json")))
    .map((e) => {
      const dir = path.join(modules, e.name);
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as PackageManifest;
      return { name: manifest.name, version: manifest.version, dir, manifest };
    })
    .filter((p) => !p.manifest.private)
    .sort((a, b) => a.name.localeCompare(b.name));
  const names = new Set(found.map((p) => p.name));
  const ordered: WorkspacePackage[] = [];
  const visit = (p: WorkspacePackage, trail: string[]) => {
    if (ordered.includes(p)) return;
    if (trail.includes(p.name)) throw new Error(`dependency cycle: ${[...trail, p.name].join(" -> ")}`);
    for (const dep of Object.keys({ ...p.manifest.dependencies, ...p.manifest.peerDependencies })) {
      const target = names.has(dep) ? found.find((q) => q.name === dep) : undefined;
      if (target) visit(target, [...trail, p.name]);
    }
    ordered.push(p);
  };
  for (const p of found) visit(p, []);
  return ordered;
}

/** The distinct npm scopes (`@polycloud`) of the given packages. */
export function scopesOf(packages: readonly WorkspacePackage[]): string[] {
  return [...new Set(packages.map((p) => p.name.split("/")[0]).filter((s) => s.startsWith("@")))];
}

/** Builds every package to `lib/` with declarations (`tsc -b` over their tsconfigs, incremental). */
export function buildPackages(packages: readonly WorkspacePackage[]): void {
  const tsc = require.resolve("typescript/bin/tsc", { paths: [REPO_ROOT] });
  execFileSync(process.execPath, [tsc, "-b", ...packages.map((p) => path.join(p.dir, "tsconfig.json"))], { cwd: REPO_ROOT, stdio: "pipe" });
}

/**
 * Environment for a child npm: the parent's `npm_*` variables are dropped (under `npm test` they
 * carry the outer project's registry and config, which would override the child's .npmrc), and
 * the user config is the given file. The package cache is kept, so tarballs already fetched are reused.
 */
export function isolatedNpmEnv(userconfig: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^npm_/i.test(k)) env[k] = v;
  }
  if (process.env.npm_config_cache) env.npm_config_cache = process.env.npm_config_cache;
  return { ...env, npm_config_userconfig: userconfig, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" };
}

/** The npm CLI's entry point, run with the current node (no reliance on a shell or PATH shims). */
export function npmCli(): string {
  const execpath = process.env.npm_execpath;
  if (execpath && /npm-cli\.js$/.test(execpath) && fs.existsSync(execpath)) return execpath;
  const candidates = [
    path.join(path.dirname(process.execPath), "..", "lib", "node_modules", "npm", "bin", "npm-cli.js"),
    path.join(path.dirname(process.execPath), "node_modules", "npm", "bin", "npm-cli.js"),
  ];
  const hit = candidates.find((c) => fs.existsSync(c));
  if (!hit) throw new Error(`npm-cli.js not found next to ${process.execPath}; set npm_execpath`);
  return hit;
}

export function npm(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): string {
  try {
    return execFileSync(process.execPath, [npmCli(), ...args], {
      cwd: options.cwd,
      env: options.env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: options.timeoutMs ?? 120000,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`npm ${args.join(" ")} failed in ${options.cwd}: ${err.message}\n${err.stderr ?? ""}\n${err.stdout ?? ""}`);
  }
}

/** The same as `npm`, without blocking the event loop, so several packages can be packed or published at once. */
export function npmAsync(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [npmCli(), ...args], {
      cwd: options.cwd,
      env: options.env,
      encoding: "utf8",
      timeout: options.timeoutMs ?? 120000,
      maxBuffer: 64 * 1024 * 1024,
    }, (error, stdout, stderr) => {
      if (error) reject(new Error(`npm ${args.join(" ")} failed in ${options.cwd}: ${error.message}\n${stderr}\n${stdout}`));
      else resolve(stdout);
    });
  });
}

/** The next patch version: 0.1.0 -> 0.1.1 (pre-release and build parts dropped). */
export function nextPatch(version: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) throw new Error(`not a semver version: ${version}`);
  return `${m[1]}.${m[2]}.${Number(m[3]) + 1}`;
}

/**
 * Unpacks a tarball into `into/package` and rewrites its version, and its dependencies on the other
 * released packages, to the new versions. This is what a release does to the manifest, without
 * touching the workspace.
 */
export function stageWithVersions(tarball: string, into: string, versions: Readonly<Record<string, string>>): string {
  fs.mkdirSync(into, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", into]);
  const dir = path.join(into, "package");
  const file = path.join(dir, "package.json");
  const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as PackageManifest;
  manifest.version = versions[manifest.name] ?? manifest.version;
  for (const field of ["dependencies", "peerDependencies"] as const) {
    for (const dep of Object.keys(manifest[field] ?? {})) {
      if (versions[dep]) manifest[field]![dep] = versions[dep];
    }
  }
  fs.writeFileSync(file, JSON.stringify(manifest, null, 2) + "\n");
  return dir;
}
