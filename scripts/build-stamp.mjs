// Whether the compiled code (dist/, modules/*/lib) was built from the sources as they are now,
// without starting the TypeScript compiler: `tsc -b` takes over a second even with nothing to
// build. The stamp (dist/.polycloud-build.json) holds a SHA-256 over every file `tsc -b` compiles
// (the include patterns of tsconfig.json and of each referenced project), the tsconfig files
// themselves and package-lock.json (the compiler's and the type packages' versions). It is
// written after a successful build, with the hash taken before the build started, so a source
// edited during the build makes the next check build again. Contents are always hashed (no
// trust in modification times): about 300 files, a few milliseconds. The stamp also records each
// project's .tsbuildinfo as the build left it: a `tsc -b` run some other way (npm test, npm run
// build) from other sources changes it, and the next check builds again instead of trusting
// outputs compiled from sources that were edited and reverted since.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export const STAMP = path.join("dist", ".polycloud-build.json");

const readJson = (file) => JSON.parse(fs.readFileSync(file, "utf8"));

/** Files matching `<dir>/**\/*.<ext>` or a plain file name; undefined for a pattern this check cannot read. */
function expand(base, pattern, excluded) {
  const plain = /^[\w./-]+\.\w+$/.test(pattern) && !pattern.includes("*");
  if (plain) return fs.existsSync(path.join(base, pattern)) ? [path.join(base, pattern)] : [];
  const m = /^([\w./-]+)\/\*\*\/\*(\.[\w.]+)$/.exec(pattern);
  if (!m) return undefined;
  const out = [];
  const walk = (dir) => {
    if (!fs.existsSync(dir) || excluded.has(path.resolve(dir))) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(m[2])) out.push(p);
    }
  };
  walk(path.join(base, m[1]));
  return out;
}

/**
 * The projects `tsc -b` builds from `tsconfigFile` (references first), each with its source
 * files and where each compiles to. Undefined when a tsconfig uses a form this check cannot
 * follow (then the caller always builds).
 */
export function projects(tsconfigFile) {
  const seen = new Map();
  const visit = (file) => {
    const abs = path.resolve(file);
    if (seen.has(abs)) return true;
    const config = readJson(abs);
    const base = path.dirname(abs);
    const configs = [abs];
    let options = config.compilerOptions ?? {};
    if (config.extends) {
      const parent = path.resolve(base, config.extends);
      configs.push(parent);
      options = { ...(readJson(parent).compilerOptions ?? {}), ...options };
    }
    const excluded = new Set((config.exclude ?? []).map((e) => path.resolve(base, e)));
    const sources = [];
    for (const pattern of config.include ?? []) {
      const files = expand(base, pattern, excluded);
      if (!files) return false;
      sources.push(...files);
    }
    const rootDir = path.resolve(base, options.rootDir ?? ".");
    const outDir = path.resolve(base, options.outDir ?? ".");
    const buildInfo = options.tsBuildInfoFile ? path.resolve(base, options.tsBuildInfoFile) : path.join(outDir, `${path.basename(abs, ".json")}.tsbuildinfo`);
    seen.set(abs, { configs, sources: [...new Set(sources)].sort(), rootDir, outDir, buildInfo });
    return (config.references ?? []).every((r) => visit(path.join(path.resolve(base, r.path), "tsconfig.json")));
  };
  return visit(tsconfigFile) ? [...seen.values()] : undefined;
}

/** The stamp's hash for `root`, or undefined when its tsconfig cannot be followed. */
export function sourcesHash(root, list = projects(path.join(root, "tsconfig.json"))) {
  if (!list) return undefined;
  const files = [...new Set(list.flatMap((p) => [...p.configs, ...p.sources]))].sort();
  const lock = path.join(root, "package-lock.json");
  if (fs.existsSync(lock)) files.push(lock);
  const h = createHash("sha256");
  for (const f of files) h.update(path.relative(root, f)).update("\0").update(fs.readFileSync(f)).update("\0");
  return h.digest("hex");
}

/** Each project's .tsbuildinfo: [path relative to root, size, mtimeMs], or null when missing. */
function buildInfos(root, list) {
  return list.map((p) => {
    try {
      const st = fs.statSync(p.buildInfo);
      return [path.relative(root, p.buildInfo), st.size, st.mtimeMs];
    } catch {
      return [path.relative(root, p.buildInfo), null, null];
    }
  });
}

/** Why `root` needs a build (a sentence), or undefined when its compiled code matches its sources. */
export function staleBuildReason(root) {
  const list = projects(path.join(root, "tsconfig.json"));
  const hash = sourcesHash(root, list);
  if (!hash) return "tsconfig.json uses include patterns this check cannot follow";
  let stamp;
  try {
    stamp = readJson(path.join(root, STAMP));
  } catch {
    return `no build stamp (${STAMP})`;
  }
  if (stamp.sources !== hash) return "sources changed since the last build";
  if (JSON.stringify(stamp.buildInfos) !== JSON.stringify(buildInfos(root, list))) return "the compiler ran since the last stamped build";
  // Outputs deleted since the build (a cleaned lib/ folder) also need a build.
  for (const p of list) {
    for (const src of p.sources) {
      if (src.endsWith(".d.ts")) continue;
      const out = path.join(p.outDir, path.relative(p.rootDir, src)).replace(/\.ts$/, ".js");
      if (!fs.existsSync(out)) return `${path.relative(root, out)} is missing`;
    }
  }
  return undefined;
}

/**
 * Builds `root` with `tsc -b` when its compiled code is stale, and stamps it. Returns the
 * compiler's exit status (0 without a build). `tsc` is the command run (tests pass a stand-in).
 */
export function buildIfStale(root, tsc = [process.execPath, path.join(root, "node_modules", "typescript", "bin", "tsc"), "-b"]) {
  const reason = staleBuildReason(root);
  if (!reason) return 0;
  const hash = sourcesHash(root);
  const r = spawnSync(tsc[0], tsc.slice(1), { cwd: root, stdio: "inherit" });
  const status = r.status ?? 1;
  if (status === 0 && hash) {
    fs.mkdirSync(path.dirname(path.join(root, STAMP)), { recursive: true });
    fs.writeFileSync(path.join(root, STAMP), JSON.stringify({ sources: hash, buildInfos: buildInfos(root, projects(path.join(root, "tsconfig.json"))), builtAt: new Date().toISOString() }) + "\n");
  }
  return status;
}
