import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * A synth with no code change, this tree against a baseline tree, measured side by side: both
 * run alternately in the same minutes, so the machine's drift (seen here: the same commit at 1.0 s
 * one day and 1.6 s another) hits both alike. The baseline is a built tree (BENCH_BASELINE_DIR) or
 * a git ref checked out into a temporary worktree, installed from the npm cache and built.
 */
export interface Comparison {
  readonly ref: string;
  readonly runs: number;
  readonly current: { wallMs: number; maxRssMb: number };
  readonly baseline: { wallMs: number; maxRssMb: number };
  readonly ratio: { time: number; memory: number };
  readonly limit: number;
  readonly within: boolean;
}

/** The baseline the issue compares against: the last commit before dependency bundling and its round's features. */
export const DEFAULT_BASELINE_REF = "d7b903a";
export const COMPARISON_LIMIT = 1.2;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function run(cwd: string, cmd: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
  return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/** A built baseline tree and how to remove it, or why there is none. */
export function baselineTree(root: string, ref: string): { dir: string; cleanup: () => void } | { skipped: string } {
  const given = process.env.BENCH_BASELINE_DIR;
  if (given) {
    return fs.existsSync(path.join(given, "dist", "main.js")) ? { dir: given, cleanup: () => {} } : { skipped: `BENCH_BASELINE_DIR=${given} has no dist/main.js (build it first)` };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-baseline-tree-"));
  const cleanup = () => {
    run(root, "git", ["worktree", "remove", "--force", dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const steps: [string, string[]][] = [
    ["git", ["worktree", "add", "--detach", dir, ref]],
    ["npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"]],
    [process.execPath, [path.join(dir, "node_modules", "typescript", "bin", "tsc"), "-b"]],
  ];
  for (const [cmd, args] of steps) {
    const r = run(cmd === "git" ? root : dir, cmd, args);
    if (r.status !== 0) {
      cleanup();
      return { skipped: `${cmd} ${args.join(" ")} failed: ${r.out.trim().split("\n").slice(-3).join(" / ")}` };
    }
  }
  return { dir, cleanup };
}

function synthOnce(child: string, cwd: string): { wallMs: number; maxRssMb: number } {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-compare-out-"));
  try {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ["--require", child, "dist/main.js"], { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, CDKTF_OUTDIR: out, CHECKPOINT_DISABLE: "1" } });
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`synth in ${cwd} failed (${r.status}):\n${(r.stderr ?? "").slice(-2000)}`);
    const usage = /__BENCH_USAGE__ (\{.*\})/.exec(r.stderr ?? "");
    return { wallMs, maxRssMb: usage ? (JSON.parse(usage[1]) as { maxRssKb: number }).maxRssKb / 1024 : NaN };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

/**
 * Warm-up of both (fills the bundle and zip caches, so every measured run is a synth with no code
 * change), then `runs` alternating rounds; medians of time and peak RSS.
 */
export function compareNoChangeSynth(root: string, baselineDir: string, ref: string, runs: number): Comparison {
  const child = path.join(root, "dist", "scripts", "bench-child.js");
  synthOnce(child, root);
  synthOnce(child, baselineDir);
  const cur: { wallMs: number; maxRssMb: number }[] = [];
  const base: { wallMs: number; maxRssMb: number }[] = [];
  for (let i = 0; i < runs; i++) {
    cur.push(synthOnce(child, root));
    base.push(synthOnce(child, baselineDir));
  }
  const m = (xs: typeof cur) => ({ wallMs: median(xs.map((x) => x.wallMs)), maxRssMb: median(xs.map((x) => x.maxRssMb)) });
  const current = m(cur);
  const baseline = m(base);
  const ratio = { time: current.wallMs / baseline.wallMs, memory: current.maxRssMb / baseline.maxRssMb };
  return { ref, runs, current, baseline, ratio, limit: COMPARISON_LIMIT, within: ratio.time <= COMPARISON_LIMIT && ratio.memory <= COMPARISON_LIMIT };
}

/** One line for the results: both figures, the ratios and the verdict. */
export function comparisonLine(c: Comparison): string {
  const s = (x: { wallMs: number; maxRssMb: number }) => `${(x.wallMs / 1000).toFixed(2)} s / ${x.maxRssMb.toFixed(0)} MB`;
  return `Nine-stack synth with no code change (warm bundle and zip caches), side by side with \`${c.ref}\` (before dependency bundling), median of ${c.runs} alternating runs: ` +
    `${s(c.current)} against ${s(c.baseline)}, time ×${c.ratio.time.toFixed(2)}, memory ×${c.ratio.memory.toFixed(2)} (limit ×${c.limit.toFixed(2)}): ${c.within ? "within" : "NOT within"}.`;
}
