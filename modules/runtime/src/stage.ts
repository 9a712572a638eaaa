import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { privateCacheDir } from "./cache-dir";
import { nodeHandlerFile, splitHandler } from "./handler-file";
import { Cloud } from "./types";
import { cloudPackageFiles, contentName, writeStagedFolder } from "./staged-files";

/** The function a source folder is packaged as. */
export interface StageTarget {
  cloud: Cloud;
  /** Function id in the service description (Azure function name). */
  logicalId: string;
  /** `<file>.<export>`, as in the function spec. */
  handler: string;
  /**
   * A Node function that does not use @polycloud/runtime: its handler module is bundled with its
   * dependencies (CommonJS, linked source map) and the folder's other files are kept as they are.
   */
  plain?: boolean;
}

export interface Bundle {
  /** Files of the function package, by relative path. */
  files: Record<string, string>;
  /** Packages whose code ended up in the bundle (from esbuild's metafile). */
  packages: string[];
  /** Absolute paths of every file the bundle was built from. */
  inputs: string[];
}

// The package files and the staged folder are shared with the migration step (staged-files.ts).
export { FUNCTIONS_FRAMEWORK, HOST_JSON } from "./staged-files";

/**
 * Left out of the bundle: pg's optional native and edge drivers (never used); on AWS the SDK
 * clients the Lambda Node.js runtime provides; on Azure the worker's own module and
 * @azure/identity, which is only loaded off the Functions host (the host's managed identity
 * endpoint serves tokens there).
 */
const EXTERNAL: Record<Cloud, string[]> = {
  aws: ["@aws-sdk/client-sqs", "@aws-sdk/client-eventbridge"],
  gcp: [],
  azure: ["@azure/functions-core", "@azure/identity"],
};

/** The file the handler names (`<file>.<export>`), never package.json `main`. */
function userEntry(dir: string, handler: string): string {
  const { moduleName } = splitHandler(handler);
  const file = nodeHandlerFile(dir, moduleName);
  if (!file) throw new Error(`@polycloud/runtime: ${dir}: handler '${handler}' names module '${moduleName}', which does not exist (.js, .cjs, .mjs or .ts)`);
  return file;
}

/** The runtime as the function sees it when bundled for `cloud`: only that cloud's SDKs. */
function runtimeEntry(name: Cloud | "fetch-shim"): string {
  const ext = path.extname(__filename); // .ts under the tests, .js when built
  return path.join(__dirname, `${name === "fetch-shim" ? name : `entry-${name}`}${ext}`);
}

/**
 * Azure Functions v4 registrations from the handler kind: HTTP at the service's routes; a
 * Service Bus trigger per consumed queue (identity connection `QUEUE_<ID>`, set by AzureQueue
 * only on its consumer); an Event Grid trigger named like the function, which is what event
 * subscriptions with a function target deliver to.
 */
function azureEntrySource(entry: string, exportName: string, logicalId: string): string {
  return `import * as user from ${JSON.stringify(entry)};
import { app } from "@azure/functions";
const handler = user[${JSON.stringify(exportName)}];
const kind = handler && handler.polycloud && handler.polycloud.kind;
const name = ${JSON.stringify(logicalId)};
if (kind === "http") {
  app.http(name, { methods: ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"], authLevel: "anonymous", route: "{*path}", handler });
} else if (kind === "queue") {
  const ids = Object.keys(process.env).map((k) => /^QUEUE_([A-Z0-9_]+)__fullyQualifiedNamespace$/.exec(k)).filter(Boolean).map((m) => m[1]).sort();
  // A bus rule targets this function (AzureEventBus sets PLATFORM_EVENT_GRID_FUNCTION to the name its
  // event subscription delivers to): an Event Grid trigger under that name, the queues' triggers beside it.
  const grid = process.env.PLATFORM_EVENT_GRID_FUNCTION;
  if (grid) app.eventGrid(grid, { handler });
  ids.forEach((id, i) => app.serviceBusQueue(i === 0 && grid !== name ? name : name + "-" + id.toLowerCase(), { connection: "QUEUE_" + id, queueName: "%QUEUE_" + id + "_NAME%", cardinality: "one", handler }));
} else if (kind === "events") {
  app.eventGrid(name, { handler });
} else {
  throw new Error("polycloud: export " + ${JSON.stringify(exportName)} + " is not an http(), queue() or events() handler");
}
`;
}

const CODE = /\.(c|m)?(j|t)s$/;

/** The nearest package-lock.json from `dir` upwards: part of what a bundle is built from. */
export function lockFileOf(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const lock = path.join(d, "package-lock.json");
    if (fs.existsSync(lock)) return lock;
    if (path.dirname(d) === d) return undefined;
  }
}

function plainFiles(dir: string, rel = ""): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((d) => {
    const p = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) return d.name === "node_modules" ? [] : plainFiles(dir, p);
    return d.isFile() && !CODE.test(d.name) && !["package.json", "package-lock.json"].includes(p) ? [p] : [];
  });
}

/** A Node function without @polycloud/runtime: the handler module and its dependencies in one file. */
function bundlePlain(dir: string, target: StageTarget): Bundle {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require("esbuild") as typeof import("esbuild");
  const { moduleName } = splitHandler(target.handler);
  const entry = nodeHandlerFile(dir, moduleName);
  if (!entry) throw new Error(`${dir}: handler '${target.handler}' names module '${moduleName}', which does not exist (.js, .cjs, .mjs or .ts)`);
  const outName = `${moduleName}.js`;
  const result = esbuild.buildSync({
    entryPoints: [entry],
    absWorkingDir: dir,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: true,
    legalComments: "none",
    sourcemap: "linked",
    write: false,
    outfile: path.join(dir, outName),
    metafile: true,
    logLevel: "silent",
  });
  const files: Record<string, string> = {};
  for (const out of result.outputFiles) files[path.relative(dir, out.path).split(path.sep).join("/")] = out.text;
  for (const rel of plainFiles(dir)) files[rel] = fs.readFileSync(path.join(dir, rel), "utf8");
  files["package.json"] = JSON.stringify({ name: packageName(target), private: true, main: outName }, null, 2) + "\n";
  return { files, ...readFrom(dir, result.metafile!, [...plainFiles(dir).map((f) => path.join(dir, f)), path.join(dir, "package.json")]) };
}

/** The package name of a staged function (npm's rules: lower case, no spaces). */
const packageName = (target: StageTarget) => `${target.logicalId}-${target.cloud}`.toLowerCase().replace(/[^a-z0-9-]/g, "-");

/**
 * What a bundle was built from: the npm packages esbuild pulled in, and every input file (esbuild's,
 * the extra ones, the nearest package-lock.json) for the content-hash cache.
 */
function readFrom(dir: string, metafile: { inputs: Record<string, unknown> }, extra: string[] = []): Pick<Bundle, "packages" | "inputs"> {
  const packages = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) packages.add(m[1]);
  }
  const lock = lockFileOf(dir);
  const inputs = [...Object.keys(metafile.inputs).map((i) => path.resolve(dir, i)), ...extra, ...(lock ? [lock] : [])];
  return { packages: [...packages].sort(), inputs: inputs.filter((i) => fs.existsSync(i)) };
}

/** Bundles a function folder that uses @polycloud/runtime into the files one cloud runs. */
export function bundleFunction(dir: string, target: StageTarget): Bundle {
  if (target.plain) return bundlePlain(dir, target);
  // Loaded here only: esbuild is a packaging-time dependency, never part of a function.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require("esbuild") as typeof import("esbuild");
  const entry = userEntry(dir, target.handler);
  const { moduleName, exportName } = splitHandler(target.handler);
  const outName = target.cloud === "aws" ? `${moduleName}.js` : "index.js";
  const contents = target.cloud === "azure"
    ? azureEntrySource(entry, exportName, target.logicalId)
    : `export { ${exportName} } from ${JSON.stringify(entry)};\n`;
  const result = esbuild.buildSync({
    stdin: { contents, resolveDir: dir, sourcefile: "polycloud-entry.mjs", loader: "js" },
    // Paths inside the bundle are relative to the function folder: the same bytes from any checkout.
    absWorkingDir: dir,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: true,
    treeShaking: true,
    legalComments: "none",
    write: false,
    outfile: path.join(dir, outName),
    metafile: true,
    alias: { "@polycloud/runtime": runtimeEntry(target.cloud), ...(target.cloud === "gcp" ? { "node-fetch": runtimeEntry("fetch-shim") } : {}) },
    external: [...EXTERNAL[target.cloud], "pg-native", "cloudflare:sockets"],
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "silent",
  });
  const files: Record<string, string> = { [outName]: result.outputFiles[0].text, ...cloudPackageFiles(target.cloud, packageName(target), outName) };
  return { files, ...readFrom(dir, result.metafile!) };
}

const staged = new Map<string, string>();
/** Staged bundles and their index, in the per-user cache folder (0700, owner checked). */
const root = () => privateCacheDir("staged");

/**
 * Each file a bundle was built from (sources, dependencies, the lock file): its SHA-256, with the
 * size and mtime it had when hashed.
 */
type Stamp = { sha: string; size: number; mtimeMs: number };
type Stamps = Record<string, Stamp>;
const digests = new Map<string, Stamp>();
/**
 * A file's SHA-256 with the size and mtime it was read at. Read at most once per process while
 * size and mtime stay the same (every function of every stack shares the lock file), and not at
 * all when `prior` (a stamp from an earlier run) has the same size and mtime, as git's index and
 * make trust them; a changed size or mtime always re-hashes, so a touched but unchanged file
 * still hits the cache.
 */
export function digest(f: string, prior?: Stamp): Stamp {
  const st = fs.statSync(f);
  const known = digests.get(f) ?? prior;
  if (known && known.size === st.size && known.mtimeMs === st.mtimeMs) return known;
  const fresh = { sha: createHash("sha256").update(fs.readFileSync(f)).digest("hex"), size: st.size, mtimeMs: st.mtimeMs };
  digests.set(f, fresh);
  return fresh;
}
const stamp = (files: string[]): Stamps => Object.fromEntries(files.map((f) => [f, digest(f)]));
/**
 * Whether every recorded input is unchanged. A record without inputs proves nothing (an empty
 * `every` is true): it is refused, as is any input that is not an absolute path.
 */
const unchanged = (stamps: Stamps | undefined): boolean => {
  const entries = stamps && typeof stamps === "object" ? Object.entries(stamps) : [];
  return entries.length > 0 && entries.every(([f, prior]) => {
    try {
      return path.isAbsolute(f) && typeof prior?.sha === "string" && digest(f, prior).sha === prior.sha;
    } catch {
      return false;
    }
  });
};

function readTree(dir: string, rel = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) Object.assign(out, readTree(dir, p));
    else if (d.isFile()) out[p] = fs.readFileSync(path.join(dir, p), "utf8");
    else throw new Error(`${path.join(dir, p)} is neither a file nor a folder`);
  }
  return out;
}

/** Whether a staged folder still holds exactly the files its name was computed from. */
function intact(dir: string, name: string): boolean {
  try {
    return contentName(readTree(dir)) === name;
  } catch {
    return false;
  }
}

/**
 * Writes the bundle to a content-addressed folder of the per-user cache and returns it. Reused
 * within a process, and across processes while none of the files it was built from changed (the
 * content hash of each source and dependency file esbuild read, and of the nearest
 * package-lock.json) and the staged folder still holds the files its name was computed from.
 */
export function stageFunction(dir: string, target: StageTarget): string {
  const cacheKey = JSON.stringify([path.resolve(dir), target, __filename]);
  const hit = staged.get(cacheKey);
  if (hit) return hit;
  const ROOT = root();
  const record = path.join(ROOT, "index", `${createHash("sha256").update(cacheKey).digest("hex").slice(0, 32)}.json`);
  try {
    const prior = JSON.parse(fs.readFileSync(record, "utf8")) as { name: string; stamps: Stamps };
    // The record names a folder of this cache only (never a path), checked against its content.
    const out = /^[0-9a-f]{32}$/.test(prior.name) ? path.join(ROOT, prior.name) : undefined;
    if (out && unchanged(prior.stamps) && intact(out, prior.name)) {
      staged.set(cacheKey, out);
      return out;
    }
  } catch {
    // no usable record: bundle
  }
  const { files, inputs } = bundleFunction(path.resolve(dir), target);
  const name = contentName(files);
  const out = path.join(ROOT, name);
  if (!intact(out, name)) {
    fs.rmSync(out, { recursive: true, force: true });
    writeStagedFolder(out, files);
  }
  fs.mkdirSync(path.dirname(record), { recursive: true });
  const tmpRecord = `${record}.${process.pid}.tmp`;
  fs.writeFileSync(tmpRecord, JSON.stringify({ name, stamps: stamp(inputs) }));
  fs.renameSync(tmpRecord, record);
  staged.set(cacheKey, out);
  return out;
}
