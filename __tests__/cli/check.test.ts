import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeStamp } from "@polycloud/core";
import { runApp } from "@polycloud/stacks";
import { environments } from "../fixtures/sample/environments";
import { referenceService } from "../../stacks/reference-service";
import { polycloud } from "../helpers/cli";

/**
 * `polycloud check` in a project of its own (not this repository): its app "synthesizes" by
 * copying an output the real synthesis (runApp) wrote, stamped for that project, so every step
 * after synth judges real stacks. The offline plan is left out here (`--skip plan`); the registry
 * test runs the whole check, terraform included, in a project made by the starter.
 */
let root: string;
let prepared: string;
const dev = environments.find((e) => e.name === "dev")!;

function project(): string {
  const dir = fs.mkdtempSync(path.join(root, "project-"));
  fs.writeFileSync(path.join(dir, "cdktf.json"), JSON.stringify({ language: "typescript", app: "node app.js" }));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "team-platform", private: true, polycloud: { sources: ["cdktf.json", "app.js"] } }));
  fs.writeFileSync(path.join(dir, "app.js"), `
const fs = require("fs");
if (process.env.FAIL_SYNTH) { console.error("Validation failed: 1 problem"); process.exit(1); }
fs.cpSync(${JSON.stringify(prepared)}, process.env.CDKTF_OUTDIR, { recursive: true });
console.log("No warnings.");
`);
  // What runApp stamps when it runs in that project: its sources, hashed there.
  writeStamp(prepared, dir, ["cdktf.json", "app.js"]);
  return dir;
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-check-"));
  prepared = path.join(root, "prepared");
  const env = { ...dev, clouds: { aws: dev.clouds.aws } };
  expect(await runApp({ environments: [env], service: referenceService }, { outdir: prepared, out: () => undefined, err: () => undefined })).toBe(0);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test("every step in order; the first run has no address snapshot yet, the next one holds the stacks to it", async () => {
  const dir = project();
  const first = await polycloud(["check", "--skip", "plan", "--json"], { cwd: dir });
  expect(first.code).toBe(0);
  const steps = JSON.parse(first.stdout).steps;
  expect(steps.map((s: { step: string; status: string }) => `${s.step}:${s.status}`)).toEqual(["synth:passed", "cost:passed", "policy:passed", "plan:skipped", "guard:passed", "addresses:skipped"]);
  expect(steps.find((s: { step: string }) => s.step === "addresses").note).toContain("`polycloud addresses` records one");
  expect(steps.find((s: { step: string }) => s.step === "policy").output).toContain("1 stacks, 0 findings");
  // The project's own files: policy/stateful-addresses.json under its root, not this repository's.
  expect((await polycloud(["addresses"], { cwd: dir })).code).toBe(0);
  expect(Object.keys(JSON.parse(fs.readFileSync(path.join(dir, "policy", "stateful-addresses.json"), "utf8")))).toEqual(["dev-aws"]);
  const second = await polycloud(["check", "--skip", "plan"], { cwd: dir });
  expect(second.code).toBe(0);
  expect(second.stdout).toMatch(/polycloud check: passed\n(?: {2}.*\n){6}$/);
  expect(second.stdout).toMatch(/ {2}passed {8}polycloud addresses --check \(/);
  // The human form shows each step's own report, under a heading on stderr.
  expect(second.stderr).toContain("── polycloud policy");
  expect(second.stdout).toContain("No findings.");
});

test("a failing gate fails the check, and the steps after it still run", async () => {
  const dir = project();
  fs.mkdirSync(path.join(dir, "policy"));
  // An entry without a justification is a finding of its own (PC000).
  fs.writeFileSync(path.join(dir, "policy", "suppressions.json"), JSON.stringify({ suppressions: [{ condition: "PC006.public-network", target: "x", stacks: ["dev-aws"], justification: "" }] }));
  const r = await polycloud(["check", "--skip", "plan", "--json"], { cwd: dir });
  expect(r.code).toBe(1);
  const steps = JSON.parse(r.stdout).steps as { step: string; status: string }[];
  expect(steps.map((s) => `${s.step}:${s.status}`)).toEqual(["synth:passed", "cost:passed", "policy:failed", "plan:skipped", "guard:passed", "addresses:skipped"]);
});

test("a failed synth stops the check: nothing judges the previous output", async () => {
  const dir = project();
  const r = await polycloud(["check", "--skip", "plan"], { cwd: dir, env: { ...process.env, FAIL_SYNTH: "1" } });
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/polycloud check: FAILED\n {2}failed {8}polycloud synth \([\d.]+ s\)\n$/);
  expect(r.stderr).toContain("Validation failed: 1 problem");
});

test("only the stacks the last synthesis wrote are judged: a folder it left from an earlier run is not", async () => {
  const dir = project();
  expect((await polycloud(["synth"], { cwd: dir })).code).toBe(0);
  // What a filtered synth (or a stack removed from the composition) leaves behind: not in manifest.json.
  fs.mkdirSync(path.join(dir, "cdktf.out", "stacks", "prod-aws"), { recursive: true });
  fs.writeFileSync(path.join(dir, "cdktf.out", "stacks", "prod-aws", "cdk.tf.json"), "{ not the current sources");
  const policy = await polycloud(["policy", "--json"], { cwd: dir });
  expect({ code: policy.code, stacks: JSON.parse(policy.stdout).stacks }).toEqual({ code: 0, stacks: ["dev-aws"] });
  const cost = await polycloud(["cost", "--json"], { cwd: dir });
  expect(JSON.parse(cost.stdout).stacks.map((s: { stack: string }) => s.stack)).toEqual(["dev-aws"]);
  expect((await polycloud(["addresses", "--check"], { cwd: dir })).code).toBe(2);
});
