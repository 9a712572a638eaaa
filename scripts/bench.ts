import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bundleTable, measureFunctionBundles } from "./runtime-bench";
import { writeDocSection } from "./doc-section";
import { Comparison, baselineTree, compareNoChangeSynth, comparisonLine } from "./bench-compare";
import { findAwsProviderMirror, findOnPath, prepareOfflineCopy, terraform } from "@polycloud/cli";

/**
 * `npm run bench [-- --runs 5] [--skip-tests] [--skip-plans] [--compare <git ref>]`: measures on
 * this machine, in one run, what issue 27 sets targets for, plus context rows: full synthesis of
 * the sample and of 10/50/200 services per stack, the same 200 with cdktf's own passes and in one
 * thread, incremental synthesis (nothing changed, one of 200 services changed), the cdktf.json app
 * with nothing changed, policy and cost over the 200-service output, `cdktf synth`, the test
 * suite, function bundles and offline plan times. Every row is the median of N runs after a
 * warm-up (fewer for the slow rows; each says so), with CPU time (all threads) and peak RSS where
 * the process reports them. A row that fails is printed as failed and the others still run; the
 * benchmark exits 0 and writes bench/results.json, bench/results.md and docs/performance.md's
 * benchmark section, with the machine, Node version, date and load average.
 */
interface Sample { wallMs: number; cpuMs?: number; maxRssMb?: number; stderr: string }
interface Row { what: string; runs: number; wallMs?: number; cpuMs?: number; maxRssMb?: number; note?: string; error?: string }
interface Target { what: string; limit: string; measured: string; met: boolean | "cpu" | undefined }

const root = process.cwd();
const argv = process.argv.slice(2);
const opt = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const RUNS = opt("runs", 5);
const SLOW_RUNS = Math.max(1, Math.min(RUNS, 3));
const node = process.execPath;
const child = path.join(root, "dist", "scripts", "bench-child.js");
/** The polycloud command (modules/cli), run by node itself so bench-child measures it. */
const polycloud = "modules/cli/bin/polycloud.js";
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const tmpdir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
const secs = (ms?: number) => (ms === undefined ? "—" : `${(ms / 1000).toFixed(2)} s`);

/** CPU time of this process's finished children, from /proc (Linux), for commands not run through bench-child. */
function childrenCpuMs(): number | undefined {
  try {
    const fields = fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** One run; `outdir` is CDKTF_OUTDIR (an empty temporary directory unless given). */
function once(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, outdir?: string): Sample {
  const out = outdir ?? tmpdir("bench-out-");
  const childEnv: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: out, CHECKPOINT_DISABLE: "1", ...env };
  // An empty value means "leave it unset" (the test suite manages its own output directories).
  for (const [k, v] of Object.entries(childEnv)) if (v === "") delete childEnv[k];
  const cpu0 = childrenCpuMs();
  const started = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: root, env: childEnv, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu1 = childrenCpuMs();
  if (!outdir) fs.rmSync(out, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${(r.stderr ?? "").slice(-3000)}`);
  const usage = /__BENCH_USAGE__ (\{.*\})/.exec(r.stderr ?? "");
  const u = usage ? (JSON.parse(usage[1]) as { maxRssKb: number; userMs: number; systemMs: number }) : undefined;
  return {
    wallMs,
    cpuMs: u ? u.userMs + u.systemMs : cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined,
    maxRssMb: u ? u.maxRssKb / 1024 : undefined,
    stderr: r.stderr ?? "",
  };
}

const rows: Row[] = [];
const targets: Target[] = [];

/** Measures `runs` runs after an optional warm-up; a failure becomes a failed row. */
function measure(what: string, run: (i: number) => Sample, runs: number, opts: { warmup?: boolean; note?: string } = {}): Row {
  let row: Row;
  try {
    if (opts.warmup !== false) run(-1);
    const samples = Array.from({ length: runs }, (_, i) => run(i));
    const pick = (f: (s: Sample) => number | undefined) => {
      const xs = samples.map(f).filter((x): x is number => x !== undefined);
      return xs.length ? median(xs) : undefined;
    };
    row = { what, runs, wallMs: pick((s) => s.wallMs), cpuMs: pick((s) => s.cpuMs), maxRssMb: pick((s) => s.maxRssMb), note: opts.note };
    console.log(`${what}: ${secs(row.wallMs)} wall, ${secs(row.cpuMs)} CPU${row.maxRssMb ? `, ${row.maxRssMb.toFixed(0)} MB` : ""} (median of ${runs})`);
  } catch (e) {
    row = { what, runs, error: (e as Error).message.split("\n").slice(0, 3).join(" / ") };
    console.error(`${what}: FAILED: ${row.error}`);
  }
  rows.push(row);
  return row;
}

/**
 * A target row. A time limit is judged on CPU time (user + system, every thread) and wall time:
 * met when both are under it; "met in CPU time" when only the CPU time is (the machine was
 * loaded, so the wall time waited for a core: a quiet-machine run decides).
 */
function target(what: string, row: Row, limit: { ms?: number; mb?: number }): void {
  const parts: string[] = [];
  const measured: string[] = [];
  const checks: (boolean | undefined)[] = [];
  let cpuOnly = false;
  if (limit.ms !== undefined) {
    parts.push(`≤ ${limit.ms / 1000} s`);
    measured.push(`${secs(row.wallMs)} wall, ${secs(row.cpuMs)} CPU`);
    const wallOk = row.wallMs === undefined ? undefined : row.wallMs <= limit.ms;
    const cpuOk = row.cpuMs === undefined ? undefined : row.cpuMs <= limit.ms;
    cpuOnly = cpuOk === true && wallOk === false;
    checks.push(wallOk === undefined || cpuOk === undefined ? undefined : wallOk && cpuOk);
  }
  if (limit.mb !== undefined) {
    parts.push(`≤ ${limit.mb} MB`);
    measured.push(row.maxRssMb === undefined ? "—" : `${row.maxRssMb.toFixed(0)} MB`);
    checks.push(row.maxRssMb === undefined ? undefined : row.maxRssMb <= limit.mb);
  }
  const met = row.error || checks.includes(undefined) ? undefined : checks.every(Boolean);
  const otherChecksOk = limit.mb === undefined || (row.maxRssMb !== undefined && row.maxRssMb <= limit.mb);
  targets.push({ what, limit: parts.join(", "), measured: measured.join(", "), met: met ? true : cpuOnly && otherChecksOk ? "cpu" : met });
}

const bench = (...args: string[]) => ["--require", child, "dist/scripts/bench-app.js", ...args];

/** Offline `terraform plan` time of one AWS state against its size: the partitioning rule of thumb. */
function planScale(): string {
  const tf = findOnPath("terraform");
  const mirror = findAwsProviderMirror();
  if (!tf || !mirror) return "Not measured: no terraform CLI or local AWS provider mirror on this machine.";
  const lines = ["| Services in the state | Resources | Offline `terraform plan` |", "|---|---|---|"];
  for (const n of [10, 50, 200]) {
    const out = tmpdir("bench-plan-");
    try {
      const r = spawnSync(node, ["dist/scripts/bench-app.js", String(n)], { cwd: root, env: { ...process.env, CDKTF_OUTDIR: out, PLATFORM_STACKS: "dev-aws" }, encoding: "utf8" });
      if (r.status !== 0) throw new Error(r.stderr);
      const dir = prepareOfflineCopy(path.join(out, "stacks", "dev-aws"), path.join(out, "tf"));
      const resources = Object.values(JSON.parse(fs.readFileSync(path.join(dir, "cdk.tf.json"), "utf8")).resource as Record<string, object>).reduce((a, b) => a + Object.keys(b).length, 0);
      terraform(tf, dir, ["init", "-backend=false", `-plugin-dir=${mirror}`, "-no-color"]);
      const t0 = process.hrtime.bigint();
      terraform(tf, dir, ["plan", "-input=false", "-lock=false", "-refresh=false", "-no-color", "-out=plan.bin"]);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      lines.push(`| ${n} | ${resources} | ${(ms / 1000).toFixed(1)} s |`);
      console.log(`plan at ${n} services: ${resources} resources, ${(ms / 1000).toFixed(1)} s`);
    } catch (e) {
      lines.push(`| ${n} | — | failed: ${(e as Error).message.split("\n")[0]} |`);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }
  return lines.join("\n");
}

function main(): void {
  const loadBefore = os.loadavg();
  const started = Date.now();

  // The sample (stacks/composition.ts): a full synthesis into an empty directory, then the
  // cdktf.json app with nothing changed (the compiler not started, every stack reused).
  measure("Sample, 9 stacks: full synth (`node dist/main.js`, empty output)", () => once(node, ["--require", child, "dist/main.js"]), RUNS);
  const sampleOut = tmpdir("bench-sample-");
  const app = (JSON.parse(fs.readFileSync(path.join(root, "cdktf.json"), "utf8")) as { app: string }).app;
  const appRow = measure("Sample, 9 stacks through the cdktf.json app, nothing changed", (i) => {
    const s = once("sh", ["-c", app], { POLYCLOUD_SYNTH_EXPLAIN: "1" }, sampleOut);
    // The warm-up (i = -1) synthesizes into the empty directory; every timed run must reuse all nine.
    if (i >= 0 && !/synth: 0 stacks synthesized, 9 unchanged/.test(s.stderr)) throw new Error(`expected every stack reused: ${s.stderr.trim().split("\n").filter((l) => l.startsWith("synth:")).join(" / ")}`);
    return s;
  }, RUNS, { note: `\`${app}\`; first run (untimed) synthesizes` });
  target("Sample's nine stacks through the cdktf.json app, nothing changed", appRow, { ms: 1500 });

  // Scale: every environment × cloud with N small services, full synthesis into an empty directory.
  for (const n of [10, 50, 200]) {
    const row = measure(`${n} services per stack × 9 stacks: full synth`, () => once(node, bench(String(n))), n === 200 ? SLOW_RUNS : RUNS, { warmup: n === 10 });
    if (n === 200) target("200 services × 9 stacks, full synth", row, { ms: 15000, mb: 600 });
  }
  measure("200 × 9, one thread (POLYCLOUD_SYNTH_WORKERS=0)", () => once(node, bench("200"), { POLYCLOUD_SYNTH_WORKERS: "0" }), SLOW_RUNS, { warmup: false });
  measure("200 × 9, one thread, cdktf's own passes and writer (POLYCLOUD_STOCK_SYNTH=1): the baseline", () => once(node, bench("200"), { POLYCLOUD_SYNTH_WORKERS: "0", POLYCLOUD_STOCK_SYNTH: "1" }), SLOW_RUNS, { warmup: false });

  // Incremental, partitioned per service: 200 services × 9 = 1,800 service stacks + 9 shared.
  const partOut = tmpdir("bench-partition-");
  measure("200 services partitioned (1,809 stacks): full synth", () => {
    fs.rmSync(partOut, { recursive: true, force: true });
    return once(node, bench("200", "partition"), {}, partOut);
  }, 1, { warmup: false, note: "one run" });
  let flip = false;
  const changed = measure("One of 200 services changed, partitioned: 9 of 1,809 stacks rebuilt", () => {
    flip = !flip;
    const s = once(node, bench("200", "partition", ...(flip ? ["--change", "svc-042"] : [])), {}, partOut);
    if (!/9 stacks synthesized, 1800 reused/.test(s.stderr)) throw new Error(`expected 9 stacks rebuilt: ${s.stderr.trim().split("\n").filter((l) => l.startsWith("bench-app:")).join(" / ")}`);
    return s;
  }, RUNS, { warmup: false, note: "each run changes svc-042's function memory back or forth" });
  target("One of 200 services changed, to an up-to-date cdktf.out", changed, { ms: 3000 });
  measure("200 services partitioned, nothing changed", () => once(node, bench("200", "partition", ...(flip ? ["--change", "svc-042"] : [])), {}, partOut), RUNS, { warmup: false });

  // Policy and cost over the 200-service output (9 stacks): each stack's result is cached by the
  // stack file's hash (modules/core/src/evaluation-cache.ts) in a cache folder of the bench's own;
  // the cold rows run without the cache, the others after a warm-up that fills it.
  const out200 = tmpdir("bench-200-");
  const evalCache = tmpdir("bench-evalcache-");
  fs.chmodSync(evalCache, 0o700);
  const withCache = { POLYCLOUD_CACHE_DIR: evalCache };
  const policyArgs = (out: string) => ["--require", child, polycloud, "policy", "--output", out, "--fail-on", "critical", "--sarif", path.join(out, "bench.sarif")];
  try {
    once(node, bench("200"), {}, out200);
    measure("Policy over the 200-service output, cold (`POLYCLOUD_EVAL_CACHE=0`)", () => once(node, policyArgs(out200), { POLYCLOUD_EVAL_CACHE: "0" }), RUNS);
    const policy = measure("Policy over the 200-service output (`polycloud policy`), stacks unchanged since the last run", () => once(node, policyArgs(out200), withCache), RUNS, { note: "per-stack results cached by file hash" });
    target("Policy over the 200-service output", policy, { ms: 2000 });
    measure("Cost over the 200-service output, cold (`POLYCLOUD_EVAL_CACHE=0`)", () => once(node, ["--require", child, polycloud, "cost", "--output", out200], { POLYCLOUD_EVAL_CACHE: "0" }), RUNS);
    const cost = measure("Cost over the 200-service output (`polycloud cost`), stacks unchanged since the last run", () => once(node, ["--require", child, polycloud, "cost", "--output", out200], withCache), RUNS, { note: "per-stack results cached by file hash" });
    target("Cost over the 200-service output", cost, { ms: 2000 });
  } catch (e) {
    console.error(`policy/cost rows not measured: ${(e as Error).message}`);
  }
  measure("Policy over the 1,809 partitioned stacks, cold (`POLYCLOUD_EVAL_CACHE=0`)", () => once(node, policyArgs(partOut), { POLYCLOUD_EVAL_CACHE: "0" }), SLOW_RUNS);
  measure("Policy over the 1,809 partitioned stacks, stacks unchanged since the last run", () => once(node, policyArgs(partOut), withCache), SLOW_RUNS);
  fs.rmSync(out200, { recursive: true, force: true });
  fs.rmSync(evalCache, { recursive: true, force: true });
  fs.rmSync(partOut, { recursive: true, force: true });

  const cliBin = path.join(root, "node_modules", ".bin", "cdktf");
  measure("`cdktf synth` end to end (CLI), nothing changed", () => once(cliBin, ["synth", "--output", sampleOut], {}, sampleOut), SLOW_RUNS, { note: "the CLI runs the cdktf.json app" });
  fs.rmSync(sampleOut, { recursive: true, force: true });
  if (!argv.includes("--skip-tests")) {
    measure("Whole test suite (`npm test`: tsc, eslint, jest)", () => once("npm", ["test", "--silent"], { CDKTF_OUTDIR: "" }), 1, { warmup: false, note: "one run" });
  }
  let comparison: Comparison | undefined;
  let comparisonNote: string | undefined;
  const ci = argv.indexOf("--compare");
  if (ci >= 0) {
    const ref = argv[ci + 1];
    const tree = baselineTree(root, ref);
    if ("skipped" in tree) comparisonNote = `No-code-change comparison with \`${ref}\` NOT measured: ${tree.skipped}.`;
    else {
      try {
        comparison = compareNoChangeSynth(root, tree.dir, ref, Math.max(RUNS, 7));
        comparisonNote = comparisonLine(comparison);
      } catch (e) {
        comparisonNote = `No-code-change comparison with \`${ref}\` failed: ${(e as Error).message.split("\n")[0]}`;
      } finally {
        tree.cleanup();
      }
    }
    console.log(comparisonNote);
  }

  let bundles: ReturnType<typeof measureFunctionBundles> = [];
  try {
    bundles = measureFunctionBundles(root, RUNS);
  } catch (e) {
    console.error(`function bundles not measured: ${(e as Error).message}`);
  }
  const loadAfter = os.loadavg();
  const cpus = os.cpus();
  const machine = `${cpus.length} × ${cpus[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`;
  const load = `load average (1 min) ${loadBefore[0].toFixed(1)} at the start, ${loadAfter[0].toFixed(1)} at the end`;
  const result = {
    date: new Date().toISOString().slice(0, 10),
    machine,
    load: { before: loadBefore, after: loadAfter },
    minutes: (Date.now() - started) / 60000,
    rows,
    targets,
    functionBundles: bundles.map(({ packages: _p, ...r }) => r),
    noChangeComparison: comparison,
  };
  const fmt = (r: Row) => r.error
    ? `| ${r.what} | failed | | | ${r.error.replace(/\|/g, "/")} |`
    : `| ${r.what} | ${secs(r.wallMs)} | ${secs(r.cpuMs)} | ${r.maxRssMb ? `${r.maxRssMb.toFixed(0)} MB` : "—"} | ${r.note ? `${r.note}; ` : ""}median of ${r.runs} |`;
  const md = [
    `Measured ${result.date} on ${machine}; ${load}.`,
    "",
    "| What | Wall time | CPU time | Peak RSS | Runs |",
    "|---|---|---|---|---|",
    ...rows.map(fmt),
    "",
    "Targets (issue 27):",
    "",
    "| Target | Limit | Measured | |",
    "|---|---|---|---|",
    ...targets.map((t) => `| ${t.what} | ${t.limit} | ${t.measured} | ${t.met === undefined ? "not measured" : t.met === "cpu" ? "met in CPU time; wall time stretched by the load" : t.met ? "met" : "NOT met"} |`),
    ...(comparisonNote ? ["", comparisonNote] : []),
    "",
    "Function packages on `@polycloud/runtime` (bundled per cloud; module init = `require` in a fresh process):",
    "",
    bundles.length ? bundleTable(bundles) : "Not measured.",
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
