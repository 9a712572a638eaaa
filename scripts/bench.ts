import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runPolicy } from "@polycloud/core";
import { generateBaseline } from "./bench-baseline";
import { findAwsProviderMirror, findOnPath, loadStacks, loadSuppressions, prepareOfflineCopy, terraform } from "@polycloud/cli";
import { environments } from "../environments";
import { bundleTable, measureFunctionBundles } from "./runtime-bench";
import { writeDocSection } from "./doc-section";
import { Comparison, DEFAULT_BASELINE_REF, baselineTree, compareNoChangeSynth, comparisonLine } from "./bench-compare";

/**
 * `npm run bench [-- --runs 5] [--skip-baseline] [--skip-tests] [--compare <git ref>] [--skip-compare]`:
 * measures, in one run on this
 * machine, full synth (all stacks), growth at 10/50/200 services per stack, the naive baseline
 * (barrel imports + type-checking ts-node), a no-code-change synth side by side with a baseline
 * commit (BENCH_BASELINE_DIR names an already built tree), `cdktf synth` end to end and the test suite. Each
 * figure is the median of N runs after a warm-up (the baseline and the suite run fewer times and
 * say so). Writes bench/results.json, bench/results.md and the benchmark sections of docs/performance.md.
 */
interface Sample { wallMs: number; maxRssMb?: number }
interface Row { what: string; runs: number; wallMs: number; maxRssMb?: number; note?: string }

const root = process.cwd();
const argv = process.argv.slice(2);
const opt = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const RUNS = opt("runs", 5);
const child = path.join(root, "dist", "scripts", "bench-child.js");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function once(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Sample {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-out-"));
  const started = process.hrtime.bigint();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: out, CHECKPOINT_DISABLE: "1", ...env };
  // An empty value means "leave it unset" (the test suite manages its own output directories).
  for (const [k, v] of Object.entries(childEnv)) if (v === "") delete childEnv[k];
  const r = spawnSync(cmd, args, { cwd: root, env: childEnv, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  fs.rmSync(out, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${(r.stderr ?? "").slice(-3000)}`);
  const rss = /__BENCH_MAXRSS_KB__ (\d+)/.exec(r.stderr ?? "");
  return { wallMs, maxRssMb: rss ? Number(rss[1]) / 1024 : undefined };
}

function measure(what: string, cmd: string, args: string[], runs: number, opts: { warmup?: boolean; env?: NodeJS.ProcessEnv; note?: string } = {}): Row {
  if (opts.warmup !== false) once(cmd, args, opts.env);
  const samples = Array.from({ length: runs }, () => once(cmd, args, opts.env));
  const rss = samples.map((s) => s.maxRssMb).filter((x): x is number => x !== undefined);
  const row: Row = { what, runs, wallMs: median(samples.map((s) => s.wallMs)), maxRssMb: rss.length ? median(rss) : undefined, note: opts.note };
  console.log(`${what}: ${(row.wallMs / 1000).toFixed(2)} s${row.maxRssMb ? `, ${row.maxRssMb.toFixed(0)} MB` : ""} (median of ${runs})`);
  return row;
}

/** Offline `terraform plan` time of one AWS state against its size: the partitioning rule of thumb. */
function planScale(): string {
  const tf = findOnPath("terraform");
  const mirror = findAwsProviderMirror();
  if (!tf || !mirror) return "Not measured: no terraform CLI or local AWS provider mirror on this machine.";
  const lines = ["| Services in the state | Resources | Offline `terraform plan` |", "|---|---|---|"];
  for (const n of [10, 50, 200]) {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-plan-"));
    try {
      const r = spawnSync(process.execPath, ["dist/scripts/bench-app.js", String(n)], { cwd: root, env: { ...process.env, CDKTF_OUTDIR: out, PLATFORM_STACKS: "dev-aws" }, encoding: "utf8" });
      if (r.status !== 0) throw new Error(r.stderr);
      const dir = prepareOfflineCopy(path.join(out, "stacks", "dev-aws"), path.join(out, "tf"));
      const resources = Object.values(JSON.parse(fs.readFileSync(path.join(dir, "cdk.tf.json"), "utf8")).resource as Record<string, object>).reduce((a, b) => a + Object.keys(b).length, 0);
      terraform(tf, dir, ["init", "-backend=false", `-plugin-dir=${mirror}`, "-no-color"]);
      const t0 = process.hrtime.bigint();
      terraform(tf, dir, ["plan", "-input=false", "-lock=false", "-refresh=false", "-no-color", "-out=plan.bin"]);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      lines.push(`| ${n} | ${resources} | ${(ms / 1000).toFixed(1)} s |`);
      console.log(`plan at ${n} services: ${resources} resources, ${(ms / 1000).toFixed(1)} s`);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }
  return lines.join("\n");
}

/**
 * The policy engine over synthesized stacks, in process: synthesizes once into a temporary
 * directory, then times loading and every rule on every stack (median of `runs`). Limits: 1 s for
 * the nine stacks, 10 s for the 200-service stacks.
 */
function policyRow(what: string, entry: string[], runs: number, limitMs: number): Row {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-policy-"));
  try {
    const r = spawnSync(process.execPath, entry, { cwd: root, env: { ...process.env, CDKTF_OUTDIR: out, CHECKPOINT_DISABLE: "1" }, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`${entry.join(" ")} failed:\n${(r.stderr ?? "").slice(-3000)}`);
    const suppressions = loadSuppressions(path.join(root, "policy", "suppressions.json"));
    const samples = Array.from({ length: runs }, () => {
      const t0 = process.hrtime.bigint();
      runPolicy(loadStacks(out, environments), suppressions);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    });
    const wallMs = median(samples);
    const resources = loadStacks(out, environments).reduce((n, s) => n + Object.values(s.json.resource ?? {}).reduce((a, b) => a + Object.keys(b).length, 0), 0);
    console.log(`${what}: ${(wallMs / 1000).toFixed(2)} s over ${resources} resources (limit ${limitMs / 1000} s)`);
    if (wallMs > limitMs) throw new Error(`${what} took ${wallMs.toFixed(0)} ms, over the ${limitMs} ms limit`);
    return { what, runs, wallMs, note: `in process, ${resources} resources, limit ${limitMs / 1000} s` };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

function main(): void {
  const node = process.execPath;
  const rows: Row[] = [];
  const full = measure("Full synth: all 9 stacks (`node dist/main.js`)", node, [child, "dist/main.js"], RUNS);
  rows.push(full);
  const growth: Record<number, Row> = {};
  for (const n of [10, 50, 200]) {
    growth[n] = measure(`${n} services per stack × 9 stacks`, node, [child, "dist/scripts/bench-app.js", String(n)], RUNS, { warmup: n === 10 });
    rows.push(growth[n]);
  }
  const ratio = growth[200].wallMs / growth[50].wallMs;
  rows.push(policyRow("Policy: every rule over the 9 stacks (load + evaluate)", ["dist/main.js"], RUNS, 1000));
  rows.push(policyRow("Policy: every rule over the 200-service stacks × 9", ["dist/scripts/bench-app.js", "200"], RUNS, 10000));
  let baseline: Row | undefined;
  if (!argv.includes("--skip-baseline")) {
    const entry = generateBaseline(root);
    baseline = measure("Baseline: barrel imports + ts-node (type-checks), same 9 stacks", node, [child, "--require", "ts-node/register", entry], 3,
      { warmup: false, env: { TS_NODE_PROJECT: path.join(root, ".bench-baseline", "tsconfig.json") }, note: "median of 3, no warm-up" });
    rows.push(baseline);
    // The generated variant deliberately breaks the deep-import rule; it is not kept around.
    fs.rmSync(path.join(root, ".bench-baseline"), { recursive: true, force: true });
  }
  let comparison: Comparison | undefined;
  let comparisonNote: string | undefined;
  if (!argv.includes("--skip-compare")) {
    const i = argv.indexOf("--compare");
    const ref = i >= 0 ? argv[i + 1] : DEFAULT_BASELINE_REF;
    const tree = baselineTree(root, ref);
    if ("skipped" in tree) {
      comparisonNote = `No-code-change comparison with \`${ref}\` NOT measured: ${tree.skipped}.`;
      console.error(`\n*** ${comparisonNote} ***\n`);
    } else {
      try {
        comparison = compareNoChangeSynth(root, tree.dir, ref, Math.max(RUNS, 7));
      } finally {
        tree.cleanup();
      }
      comparisonNote = comparisonLine(comparison);
      console.log(comparisonNote);
    }
  }
  const cliBin = path.join(root, "node_modules", ".bin", "cdktf");
  rows.push(measure("`cdktf synth` end to end (CLI, includes `tsc -b`)", cliBin, ["synth", "--output", path.join(os.tmpdir(), `bench-cli-${process.pid}`)], 3, { note: "median of 3" }));
  if (!argv.includes("--skip-tests")) {
    rows.push(measure("Whole test suite (`npm test`: tsc, eslint, jest)", "npm", ["test", "--silent"], 1, { warmup: false, note: "one run", env: { CDKTF_OUTDIR: "" } }));
  }

  const bundles = measureFunctionBundles(root, RUNS);
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`;
  const result = {
    date: new Date().toISOString().slice(0, 10),
    machine,
    rows,
    growth: { "time(200)/time(50)": ratio, "rss(200)/rss(50)": (growth[200].maxRssMb ?? 0) / (growth[50].maxRssMb ?? 1) },
    functionBundles: bundles.map(({ packages: _p, ...r }) => r),
    baselineRatio: baseline ? { time: baseline.wallMs / full.wallMs, memory: (baseline.maxRssMb ?? 0) / (full.maxRssMb ?? 1) } : undefined,
    noChangeComparison: comparison,
  };
  const fmt = (r: Row) => `| ${r.what} | ${(r.wallMs / 1000).toFixed(2)} s | ${r.maxRssMb ? `${r.maxRssMb.toFixed(0)} MB` : "—"} | ${r.note ?? `median of ${r.runs} after a warm-up`} |`;
  const md = [
    `Measured ${result.date} on ${machine}.`,
    "",
    "| What | Wall time | Peak RSS | Runs |",
    "|---|---|---|---|",
    ...rows.map(fmt),
    "",
    `Growth: time(200)/time(50) = ${ratio.toFixed(2)} (limit 4.5), memory(200)/memory(50) = ${result.growth["rss(200)/rss(50)"].toFixed(2)}.`,
    ...(result.baselineRatio ? [`Against the baseline: ${result.baselineRatio.time.toFixed(1)}× faster and ${result.baselineRatio.memory.toFixed(1)}× less memory for the same nine stacks.`] : []),
    ...(comparisonNote ? ["", comparisonNote] : []),
    "",
    "Function packages on `@polycloud/runtime` (bundled per cloud; module init = `require` in a fresh process):",
    "",
    bundleTable(bundles),
  ].join("\n");
  fs.mkdirSync(path.join(root, "bench"), { recursive: true });
  fs.writeFileSync(path.join(root, "bench", "results.json"), JSON.stringify(result, null, 2) + "\n");
  fs.writeFileSync(path.join(root, "bench", "results.md"), md + "\n");
  writeDocSection("bench", md);
  if (!argv.includes("--skip-plans")) {
    const plans = planScale();
    fs.writeFileSync(path.join(root, "bench", "plan-scale.md"), plans + "\n");
    writeDocSection("partition", `Measured offline (fake credentials, \`-refresh=false\`) on the same machine, one dev-aws state:\n\n${plans}`);
  }
  console.log(`\n${md}`);
}

main();
