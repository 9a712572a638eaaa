import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { deflateRawSync } from "node:zlib";
import { privateCacheDir } from "./cache-dir";
import { formatProblem } from "./validation";

/**
 * Deterministic, in-process zip of a function's source folder. cdktf's ARCHIVE assets start a
 * child Node process per archive, which was most of our synth time; this writes the same bytes
 * for the same content (sorted entries, fixed 1980-01-01 timestamps, fixed permissions), so the
 * content hash, the object names and the plans are stable across machines and runs.
 */
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function listFiles(root: string, rel = ""): string[] {
  return fs.readdirSync(path.join(root, rel), { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((d) => {
      const p = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) return listFiles(root, p);
      return d.isFile() ? [p] : [];
    });
}

/** Zip bytes of every regular file under `dir` (paths relative, forward slashes). */
export function zipBytes(dir: string): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01
  for (const rel of listFiles(dir)) {
    const data = fs.readFileSync(path.join(dir, rel));
    const packed = deflateRawSync(data, { level: 9 });
    const name = Buffer.from(rel, "utf8");
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x0314, 4); // made by UNIX, v2.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((0o100644 << 16) >>> 0), 38); // -rw-r--r--
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(centrals.length / 2, 8);
  end.writeUInt16LE(centrals.length / 2, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const cache = new Map<string, { path: string; hash: string }>();

/** Part of every content key: bump it whenever zipBytes would write other bytes for the same files. */
const ZIP_FORMAT = "polycloud-zip/1";

/** SHA-256 over the folder's sorted relative paths and file bytes (length-prefixed), and the zip format. */
function contentKey(dir: string): string {
  const h = createHash("sha256").update(ZIP_FORMAT);
  for (const rel of listFiles(dir)) {
    const data = fs.readFileSync(path.join(dir, rel));
    h.update(`\0${rel}\0${data.length}\0`).update(data);
  }
  return h.digest("hex");
}

const writeAtomically = (file: string, data: string | Buffer) => {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
};

/**
 * Zips `dir` into a content-addressed file in the per-user cache folder (`privateCacheDir`: 0700,
 * owned by this user) and returns its path and SHA-256. Stacks then copy the file as a plain
 * asset. Zipped once per process, and across processes once per content: an index keyed by the
 * folder's content (`contentKey`) names the zip an earlier run wrote, which is reused only after
 * its bytes are checked against its name. Deflating every package again was most of a synth with
 * no code change.
 */
export function packageFolder(dir: string): { path: string; hash: string } {
  const abs = path.resolve(dir);
  const hit = cache.get(abs);
  if (hit) return hit;
  const folder = privateCacheDir("packages");
  const index = path.join(folder, "index", `${contentKey(abs)}.json`);
  try {
    const { hash } = JSON.parse(fs.readFileSync(index, "utf8")) as { hash: string };
    const file = path.join(folder, `${hash}.zip`);
    if (/^[0-9a-f]{64}$/.test(hash) && createHash("sha256").update(fs.readFileSync(file)).digest("hex") === hash) {
      const result = { path: file, hash };
      cache.set(abs, result);
      return result;
    }
  } catch {
    // no usable index entry: zip
  }
  const bytes = zipBytes(abs);
  const hash = createHash("sha256").update(bytes).digest("hex");
  fs.mkdirSync(path.dirname(index), { recursive: true });
  const file = path.join(folder, `${hash}.zip`);
  // Written even when a file of that name exists: it may be the damaged one the check refused.
  writeAtomically(file, bytes);
  writeAtomically(index, JSON.stringify({ hash }));
  const result = { path: file, hash };
  cache.set(abs, result);
  return result;
}

/** `<folder>.tree` holds the content key of a cached folder, written when it was built. */
function recordTree(built: string, final: string): void {
  fs.mkdirSync(path.dirname(final), { recursive: true });
  writeAtomically(`${final}.tree`, contentKey(built));
}

/** Whether a cached folder still holds exactly the files recorded when it was built. */
function sameTree(dir: string): boolean {
  try {
    return fs.readFileSync(`${dir}.tree`, "utf8") === contentKey(dir);
  } catch {
    return false;
  }
}

/** What the packaging step needs to add a platform's entry point. */
export interface FunctionPackageTarget {
  cloud: "aws" | "gcp" | "azure";
  /** Function id in the service description. */
  logicalId: string;
  /** `<file>.<export>` from the function spec. */
  handler: string;
  /** The spec's runtime (`nodejs22`, `python3.12`, ...): decides how dependencies are built. */
  runtime?: string;
}

interface RuntimeStager {
  stageFunction(dir: string, target: FunctionPackageTarget & { plain?: boolean }): string;
  pythonPackageFiles(dir: string, target: FunctionPackageTarget): Record<string, string>;
}

const manifests = new Map<string, { stamp: string; json: { dependencies?: Record<string, string>; devDependencies?: Record<string, string> } }>();

/**
 * A function folder's package.json, parsed once per process while its size and modification time
 * stay the same (every function of every stack asks, once per cloud). Undefined without one.
 */
function folderManifest(dir: string): { dependencies?: Record<string, string>; devDependencies?: Record<string, string> } | undefined {
  const file = path.join(dir, "package.json");
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return undefined;
  }
  const stamp = `${st.size}:${st.mtimeMs}`;
  const hit = manifests.get(file);
  if (hit && hit.stamp === stamp) return hit.json;
  const json = JSON.parse(fs.readFileSync(file, "utf8"));
  manifests.set(file, { stamp, json });
  return json;
}

/** Whether a function folder's package.json depends on @polycloud/runtime. */
export function usesRuntime(dir: string): boolean {
  const m = folderManifest(dir);
  return !!(m?.dependencies?.["@polycloud/runtime"] ?? m?.devDependencies?.["@polycloud/runtime"]);
}

/** Whether a Node function folder declares dependencies in its package.json. */
export function hasNodeDependencies(dir: string): boolean {
  return Object.keys(folderManifest(dir)?.dependencies ?? {}).length > 0;
}

function stager(): RuntimeStager {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("@polycloud/runtime") as RuntimeStager;
  } catch (e) {
    throw new Error(`bundling a Node function, or writing a Python function's entry point, needs @polycloud/runtime installed in the project that synthesizes: ${(e as Error).message}`);
  }
}

/** pip's platform tag per cloud: Lambda runs on arm64 (Graviton), Cloud Run functions and Azure Functions on x86_64. */
export const PYTHON_PLATFORMS: Readonly<Record<FunctionPackageTarget["cloud"], string>> = {
  aws: "manylinux2014_aarch64",
  gcp: "manylinux2014_x86_64",
  azure: "manylinux2014_x86_64",
};

/**
 * Where a Python package's installed requirements go. Azure's Python worker puts
 * `.python_packages/lib/site-packages` first on sys.path, then its own libraries, then the app's
 * folder (azure-functions-python-worker utils/dependency.py, prioritize_customer_dependencies):
 * installed in the folder itself, a requirement the worker also ships (azure-functions, grpcio)
 * would lose to the worker's copy. Lambda and the Functions Framework import from the folder.
 */
export const PYTHON_DEPS_DIR: Readonly<Record<FunctionPackageTarget["cloud"], string>> = {
  aws: "",
  gcp: "",
  azure: ".python_packages/lib/site-packages",
};

/**
 * A Python function with a requirements.txt: its folder plus the requirements installed for the
 * cloud's platform and the runtime's Python version (binary wheels only, so nothing is compiled
 * for this machine by mistake). pip runs with the environment as it is: PIP_INDEX_URL,
 * PIP_FIND_LINKS or PIP_NO_INDEX choose where wheels come from. Installs are cached by the hash of
 * requirements.txt, platform and version; the package hash is the zip of the built folder.
 */
export function stagePython(dir: string, target: FunctionPackageTarget, overlay: Readonly<Record<string, string>> = {}): string {
  const version = /^python(\d+\.\d+)$/.exec(target.runtime ?? "")?.[1];
  if (!version) throw new Error(`${dir}: runtime '${target.runtime}' is not pythonX.Y`);
  const root = privateCacheDir("python");
  const hasRequirements = fs.existsSync(path.join(dir, "requirements.txt"));
  const platform = PYTHON_PLATFORMS[target.cloud];
  const key = hasRequirements
    ? createHash("sha256").update(fs.readFileSync(path.join(dir, "requirements.txt"))).update(`\0${platform}\0${version}`).digest("hex").slice(0, 32)
    : "no-requirements";
  const deps = hasRequirements ? path.join(root, "deps", key) : undefined;
  if (deps && (!fs.existsSync(deps) || !sameTree(deps))) {
    fs.rmSync(deps, { recursive: true, force: true });
    const tmp = `${deps}.${process.pid}.tmp`;
    fs.rmSync(tmp, { recursive: true, force: true });
    try {
      execFileSync("python3", ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile", "--target", tmp, "--platform", platform,
        "--python-version", version, "--implementation", "cp", "--only-binary=:all:", "-r", path.join(dir, "requirements.txt")], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env } });
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      const err = e as { stderr?: Buffer; message: string };
      throw new Error(`${dir}/requirements.txt: pip could not install binary wheels for ${platform}, Python ${version} (${target.cloud}): ${(err.stderr?.toString() || err.message).trim()}`);
    }
    // pip's own bookkeeping differs between runs; the function does not need it.
    for (const f of fs.readdirSync(tmp)) if (f === "bin" || f === "__pycache__") fs.rmSync(path.join(tmp, f), { recursive: true, force: true });
    fs.mkdirSync(path.dirname(deps), { recursive: true });
    recordTree(tmp, deps);
    try { fs.renameSync(tmp, deps); } catch { fs.rmSync(tmp, { recursive: true, force: true }); } // another process won
  }
  // The function's own files win over a dependency of the same name, and the generated files
  // (entry points, the vendored polycloud_runtime) over both. The staged folder is named by the
  // content of all three, so it is built once and never changes under its name.
  const own = listFiles(dir).filter((f) => !/(^|\/)(__pycache__|\.venv)\//.test(f));
  const generated = Object.keys(overlay).sort();
  const depsAt = PYTHON_DEPS_DIR[target.cloud];
  const h = createHash("sha256").update(key).update(`\0deps-at:${depsAt}`);
  for (const f of own) h.update(`\0${f}\0`).update(fs.readFileSync(path.join(dir, f)));
  for (const f of generated) h.update(`\0generated:${f}\0`).update(overlay[f]);
  const out = path.join(root, "staged", h.digest("hex").slice(0, 32));
  // Reused only while its files are the ones recorded when it was built.
  if (!fs.existsSync(out) || !sameTree(out)) {
    fs.rmSync(out, { recursive: true, force: true });
    const tmp = `${out}.${process.pid}.tmp`;
    fs.rmSync(tmp, { recursive: true, force: true });
    if (deps) fs.cpSync(deps, path.join(tmp, depsAt), { recursive: true });
    for (const f of own) {
      fs.mkdirSync(path.dirname(path.join(tmp, f)), { recursive: true });
      fs.copyFileSync(path.join(dir, f), path.join(tmp, f));
    }
    for (const f of generated) {
      fs.mkdirSync(path.dirname(path.join(tmp, f)), { recursive: true });
      fs.writeFileSync(path.join(tmp, f), overlay[f]);
    }
    fs.mkdirSync(tmp, { recursive: true });
    recordTree(tmp, out);
    try { fs.renameSync(tmp, out); } catch { fs.rmSync(tmp, { recursive: true, force: true }); } // another process won
  }
  return out;
}

/** Whether any Python file of the folder imports polycloud_runtime (then the package carries it). */
export function importsPythonRuntime(dir: string): boolean {
  return listFiles(dir).some((f) => f.endsWith(".py") && !/(^|\/)(__pycache__|\.venv)\//.test(f)
    && /^\s*(?:from|import)\s+polycloud_runtime\b/m.test(fs.readFileSync(path.join(dir, f), "utf8")));
}

/**
 * Packages a function folder for one cloud. A folder built on @polycloud/runtime is bundled for
 * that cloud first (only its SDKs; the AWS handler export, the Functions Framework target, or
 * host.json and the Azure Functions v4 registrations). Any other Node folder that declares
 * dependencies is bundled with them by the same esbuild stager (handler module, linked source
 * map, other files kept); a Python folder gets its requirements.txt installed for the cloud's
 * platform, and its entry point on GCP and Azure; anything else is zipped as it is. The hash is always that of the built zip.
 */
export function packageFunction(dir: string, target: FunctionPackageTarget): { path: string; hash: string } {
  if (!collecting) return packageOnce(dir, target);
  try {
    return packageOnce(dir, target);
  } catch (e) {
    collecting.push({ ...target, dir, reason: packagingReason(e) });
    return placeholderPackage();
  }
}

/** A packaging step that failed for one function on one cloud (bundling, pip, the runtime missing). */
export interface PackagingFailure extends FunctionPackageTarget {
  readonly dir: string;
  /** One line: esbuild's first error with its place, pip's last line, or the error's message. */
  readonly reason: string;
}

let collecting: PackagingFailure[] | undefined;

/**
 * Runs `build` (the construction of a service) with packaging failures collected instead of
 * thrown: a function whose folder cannot be packaged gets an empty placeholder package, and the
 * caller reports every failure as a validation problem, so one synth lists all of them (with the
 * service's other problems) and never writes the placeholder. Outside `build`, packageFunction
 * throws as before.
 */
export function collectPackagingFailures<T>(build: () => T): { result: T; failures: PackagingFailure[] } {
  const outer = collecting;
  const failures: PackagingFailure[] = [];
  collecting = failures;
  try {
    return { result: build(), failures };
  } finally {
    collecting = outer;
  }
}

/** A failure as the validation problem of the function's `source`, naming the service and the cloud. */
export function packagingProblem(service: string, f: PackagingFailure, source: string = f.dir): string {
  return `service ${service}: ${formatProblem({ module: "Function", property: `functions.${f.logicalId}.source`, value: source, allowed: `a folder that packages (${f.reason})` })}`;
}

/** esbuild's errors carry their place (`index.js:2:20: Could not resolve "x"`); pip and others a message. */
function packagingReason(e: unknown): string {
  const errors = (e as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors;
  if (Array.isArray(errors) && errors.length) {
    const where = (x: (typeof errors)[number]) => (x.location ? `${x.location.file}:${x.location.line}:${x.location.column}: ` : "");
    return errors.slice(0, 3).map((x) => `${where(x)}${x.text}`).join("; ") + (errors.length > 3 ? `; and ${errors.length - 3} more` : "");
  }
  const text = String((e as Error)?.message ?? e).split(`${process.cwd()}${path.sep}`).join("");
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  // pip: "<dir>/requirements.txt: pip could not install … (<cloud>): <stderr>": keep the head and pip's ERROR lines.
  const pip = text.match(/ERROR: [^\n]*/g);
  const head = /^(.*?pip could not install[^)]*\))/.exec(lines[0])?.[1];
  return (head && pip ? `${head}: ${pip.join(" ")}` : lines.slice(0, 2).join(" ")).slice(0, 600);
}

/** An empty, valid zip standing in for a package that failed (validation refuses the synth). */
function placeholderPackage(): { path: string; hash: string } {
  const file = path.join(privateCacheDir("packages"), "polycloud-packaging-failed.zip");
  // End of central directory record only: a zip with no entries.
  const bytes = Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]);
  if (!fs.existsSync(file)) writeAtomically(file, bytes);
  return { path: file, hash: createHash("sha256").update(bytes).digest("hex") };
}

function packageOnce(dir: string, target: FunctionPackageTarget): { path: string; hash: string } {
  if (usesRuntime(dir)) return packageFolder(stager().stageFunction(dir, target));
  if (target.runtime?.startsWith("nodejs") && hasNodeDependencies(dir)) return packageFolder(stager().stageFunction(dir, { ...target, plain: true }));
  if (target.runtime?.startsWith("python")) {
    // GCP and Azure load Python through an entry point packaging writes (main.py for the Functions
    // Framework, function_app.py for the v2 programming model), which needs polycloud_runtime; on
    // AWS the package carries polycloud_runtime when the code imports it.
    const overlay = target.cloud !== "aws" || importsPythonRuntime(dir) ? stager().pythonPackageFiles(dir, target) : {};
    if (Object.keys(overlay).length || fs.existsSync(path.join(dir, "requirements.txt"))) return packageFolder(stagePython(dir, target, overlay));
  }
  return packageFolder(dir);
}
