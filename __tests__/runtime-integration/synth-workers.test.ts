import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * Synthesis in worker threads (modules/stacks/src/synth-workers.ts) runs compiled code only, so it is tested
 * here, after building: the same composition synthesized by two workers, by this thread alone,
 * and by workers whose heap cap is too small (the synthesis then builds in its own thread) gives
 * the same files. Integration suite: it builds and starts processes.
 */
const root = path.resolve(__dirname, "../..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "synth-workers-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function files(dir: string, rel = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (["polycloud-synth.json", "polycloud-sources.json"].includes(p)) continue;
    if (e.isDirectory()) Object.assign(out, files(dir, p));
    else out[p] = fs.readFileSync(path.join(dir, p)).toString("base64");
  }
  return out;
}

function synth(name: string, env: Record<string, string>, args: string[] = [], status = 0): { dir: string; stdout: string; stderr: string } {
  const dir = path.join(tmp, name);
  const r = spawnSync(process.execPath, ["dist/scripts/bench-app.js", "12", "partition", ...args], {
    cwd: root, encoding: "utf8", env: { ...process.env, CDKTF_OUTDIR: dir, POLYCLOUD_INCREMENTAL: "0", ...env },
  });
  expect(r.status).toBe(status);
  return { dir, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  expect(spawnSync(process.execPath, ["scripts/build-if-stale.mjs"], { cwd: root, stdio: "inherit" }).status).toBe(0);
});

test("two workers, one thread, and workers out of heap write the same stacks and print the same warnings", () => {
  const workers = synth("workers", { POLYCLOUD_SYNTH_WORKERS: "2" });
  expect(workers.stderr).toMatch(/117 stacks synthesized, 0 reused, 2 worker threads/);
  const thread = synth("thread", { POLYCLOUD_SYNTH_WORKERS: "0" });
  expect(thread.stderr).toMatch(/117 stacks synthesized, 0 reused, 0 worker threads/);
  const starved = synth("starved", { POLYCLOUD_SYNTH_WORKERS: "2", POLYCLOUD_WORKER_HEAP_MB: "24" });
  expect(starved.stderr).toMatch(/building in this thread instead/);
  const expected = files(thread.dir);
  expect(Object.keys(expected).filter((f) => f.endsWith("cdk.tf.json"))).toHaveLength(117);
  expect(files(workers.dir)).toEqual(expected);
  expect(files(starved.dir)).toEqual(expected);
  // The warning report (per environment and id, accepted ones counted) comes from every stack's record.
  expect(thread.stdout).toMatch(/Synth: \d+ warnings?, \d+ accepted, \d+ new/);
  expect(workers.stdout).toBe(thread.stdout);
  expect(starved.stdout).toBe(thread.stdout);
});

test("a composition that fails validation: workers list every problem once, as one thread does, and write nothing", () => {
  const args = ["--break", "svc-003,svc-010"];
  const workers = synth("broken-workers", { POLYCLOUD_SYNTH_WORKERS: "2" }, args, 1);
  const thread = synth("broken-thread", { POLYCLOUD_SYNTH_WORKERS: "0" }, args, 1);
  expect(thread.stderr).toMatch(/^Validation failed: \d+ problems?/);
  // Each service's problem once per cloud, naming it, with that cloud's stacks of every environment.
  expect(thread.stderr).toMatch(/^Validation failed: 6 problems/);
  for (const svc of ["svc-003", "svc-010"]) {
    for (const cloud of ["aws", "gcp", "azure"]) {
      expect(thread.stderr).toContain(`\n  - service ${svc}: Function: property 'functions.worker.timeoutSeconds' has value -1; `);
      expect(thread.stderr).toContain(`\n      stacks: dev-${cloud}-${svc}, staging-${cloud}-${svc}, prod-${cloud}-${svc}`);
    }
  }
  expect(workers.stderr).toBe(thread.stderr);
  for (const dir of [workers.dir, thread.dir]) expect(fs.readdirSync(path.join(dir, "stacks"))).toEqual([]);
});
