import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeDocSection } from "./doc-section";

/**
 * `npm run bench:runner [-- --runs 5] [--stacks <cdktf.out>]`: how long the local runner takes to
 * start on the reference service after a synth, per cloud (issue 24: under 3 s). Synthesizes the
 * dev stacks once (`node dist/main.js`, PLATFORM_STACKS=dev-*) unless `--stacks` names an output
 * folder, then starts and stops the runner `runs` times per cloud, each in a fresh process and a
 * fresh state folder (as a test or a first `npm run dev` does), after one untimed warm-up start
 * (which makes the machine's PostgreSQL template once). Reports the median wall time to ready,
 * the runner process's CPU time to ready, and the CPU time of the whole start and stop with every
 * child process (PostgreSQL, PgBouncer, function processes, deploy steps), and the load average:
 * on a shared 2-core machine the CPU figures are what compares between runs. No test asserts a
 * time (CI runs on a loaded machine); this benchmark reports it, and writes docs/performance.md's
 * runner section and bench/runner.json.
 */
const root = process.cwd();
const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const RUNS = Number(opt("runs") ?? 5);
const CLOUDS = ["aws", "gcp", "azure"] as const;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** CPU time (user + system) of this process's finished children, from /proc (Linux). */
function childrenCpuMs(): number {
  const fields = fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
}

interface Start { readyMs: number; selfCpuMs: number; treeCpuMs: number }

function startOnce(stackDir: string): Start {
  const cpu0 = childrenCpuMs();
  const r = spawnSync(process.execPath, [path.join(root, "dist", "scripts", "bench-runner-child.js"), stackDir], { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const treeCpuMs = childrenCpuMs() - cpu0;
  const line = /__RUNNER_START__ (\{.*\})/.exec(r.stdout ?? "");
  if (r.status !== 0 || !line) throw new Error(`runner start on ${stackDir} failed (${r.status}):\n${(r.stderr ?? "").slice(-3000)}`);
  const { readyMs, selfCpuMs } = JSON.parse(line[1]) as { readyMs: number; selfCpuMs: number };
  return { readyMs, selfCpuMs, treeCpuMs };
}

function main(): void {
  let out = opt("stacks");
  const synthesized = !out;
  if (!out) {
    out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-runner-"));
    const s = spawnSync(process.execPath, ["dist/main.js"], { cwd: root, env: { ...process.env, CDKTF_OUTDIR: out, PLATFORM_STACKS: "dev-*", CHECKPOINT_DISABLE: "1" }, encoding: "utf8" });
    if (s.status !== 0) throw new Error(`synth failed:\n${s.stderr}`);
  }
  const loadBefore = os.loadavg();
  const rows: { cloud: string; readyMs: number; selfCpuMs: number; treeCpuMs: number; runs: number; load: number[] }[] = [];
  for (const cloud of CLOUDS) {
    const stackDir = path.join(out, "stacks", `dev-${cloud}`);
    startOnce(stackDir);
    const samples = Array.from({ length: RUNS }, () => startOnce(stackDir));
    const row = { cloud, readyMs: median(samples.map((s) => s.readyMs)), selfCpuMs: median(samples.map((s) => s.selfCpuMs)), treeCpuMs: median(samples.map((s) => s.treeCpuMs)), runs: RUNS, load: os.loadavg() };
    rows.push(row);
    console.log(`${cloud}: ready in ${secs(row.readyMs)} wall; runner process ${secs(row.selfCpuMs)} CPU to ready; start + stop with every child ${secs(row.treeCpuMs)} CPU (median of ${RUNS}; load ${row.load[0].toFixed(1)})`);
  }
  if (synthesized) fs.rmSync(out, { recursive: true, force: true });
  const loadAfter = os.loadavg();
  const cpus = os.cpus();
  const machine = `${cpus.length} × ${cpus[0]?.model ?? "cpu"}, Node ${process.version}`;
  const md = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}; load average (1 min) ${loadBefore[0].toFixed(1)} at the start, ${loadAfter[0].toFixed(1)} at the end (\`npm run bench:runner\`).`,
    "",
    "| Cloud | Ready (wall) | Runner process CPU to ready | Start + stop, CPU of every process | Runs |",
    "|---|---|---|---|---|",
    ...rows.map((r) => `| ${r.cloud} | ${secs(r.readyMs)} | ${secs(r.selfCpuMs)} | ${secs(r.treeCpuMs)} | median of ${r.runs} |`),
  ].join("\n");
  fs.mkdirSync(path.join(root, "bench"), { recursive: true });
  fs.writeFileSync(path.join(root, "bench", "runner.json"), JSON.stringify({ date: new Date().toISOString(), machine, load: { before: loadBefore, after: loadAfter }, rows }, null, 2) + "\n");
  if (!argv.includes("--no-docs")) writeDocSection("runner-start", md);
  console.log(`\n${md}`);
}

main();
