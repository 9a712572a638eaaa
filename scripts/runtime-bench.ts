import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bundleFunction, stageFunction } from "@polycloud/runtime";

/**
 * Function packages built on @polycloud/runtime: the bundled size per cloud and how long the
 * bundle takes to initialise (require) in a fresh Node process, as a platform's cold start
 * would. Used by `npm run bench` and asserted by __tests__/runtime/bundle.test.ts.
 */
export const BUNDLE_LIMIT_BYTES = 300 * 1024;
export const INIT_LIMIT_MS = 50;
export const CLOUDS = ["aws", "gcp", "azure"] as const;

export interface BundleRow {
  cloud: (typeof CLOUDS)[number];
  fn: string;
  bytes: number;
  /** CPU time (user + system) of the require: what the module costs, whatever else runs on the machine. */
  initMs: number;
  /** Wall time of the same require; includes waiting for a CPU on a loaded machine. */
  initWallMs: number;
  packages: string[];
}

/** The worker's stand-in for @azure/functions-core, so the Azure bundle registers as on the host. */
function azureCoreStub(): string {
  const dir = path.join(os.tmpdir(), "polycloud-azure-core-stub");
  const file = path.join(dir, "@azure", "functions-core", "index.js");
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "module.exports = { setProgrammingModel() {}, registerFunction() { return { dispose() {} }; }, registerHook() { return { dispose() {} }; } };\n");
  }
  return dir;
}

/** Medians of the CPU and wall time of `require(file)` in `runs` fresh processes. */
export function initMs(file: string, cloud: string, runs = 5): { cpu: number; wall: number } {
  const script = "const c=process.cpuUsage(),t=process.hrtime.bigint();require(process.argv[1]);const u=process.cpuUsage(c);process.stdout.write(JSON.stringify({cpu:(u.user+u.system)/1000,wall:Number(process.hrtime.bigint()-t)/1e6}))";
  const env = { PATH: process.env.PATH, POLYCLOUD_CLOUD: cloud, ...(cloud === "azure" ? { NODE_PATH: azureCoreStub() } : {}) };
  const times = Array.from({ length: runs }, () => {
    const r = spawnSync(process.execPath, ["-e", script, file], { env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`init of ${file} failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as { cpu: number; wall: number };
  });
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(runs / 2)];
  return { cpu: median(times.map((t) => t.cpu)), wall: median(times.map((t) => t.wall)) };
}

/**
 * Sizes and packages of the reference bundles, each required once in a fresh process (a bundle
 * that throws on load throws here). With
 * `runs` > 0 the init time is also measured (median of `runs`): `npm run bench` does that; the
 * tests do not, because a timing on a loaded CI machine measures the machine, not the bundle.
 */
export function measureFunctionBundles(root: string, runs = 5): BundleRow[] {
  const fns = ["api", "worker"];
  return CLOUDS.flatMap((cloud) => fns.map((fn) => {
    const dir = path.join(root, "stacks", "reference", "functions", fn);
    const target = { cloud, logicalId: fn, handler: "index.handler" };
    const b = bundleFunction(dir, target);
    const bytes = Object.entries(b.files).filter(([f]) => f.endsWith(".js")).reduce((n, [, t]) => n + Buffer.byteLength(t), 0);
    const staged = stageFunction(dir, target);
    const init = initMs(path.join(staged, "index.js"), cloud, Math.max(runs, 1));
    return { cloud, fn, bytes, initMs: runs > 0 ? init.cpu : NaN, initWallMs: runs > 0 ? init.wall : NaN, packages: b.packages };
  }));
}

export function bundleTable(rows: BundleRow[]): string {
  return [
    `| Reference function | Cloud | Bundle (limit ${BUNDLE_LIMIT_BYTES / 1024} KB) | Module init, CPU (limit ${INIT_LIMIT_MS} ms) | Module init, wall |`,
    `|---|---|---|---|---|`,
    ...rows.map((r) => `| ${r.fn} | ${r.cloud} | ${(r.bytes / 1024).toFixed(0)} KB | ${r.initMs.toFixed(1)} ms${r.initMs > INIT_LIMIT_MS ? " **over**" : ""} | ${r.initWallMs.toFixed(1)} ms |`),
  ].join("\n");
}
