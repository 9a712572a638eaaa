import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SYNTH_MANIFEST_FILE } from "@polycloud/core";
import { polycloud } from "../helpers/cli";

/**
 * `polycloud synth` runs the project's app, whatever it is, the way `cdktf synth` does: in the
 * project root, with the output directory, the stack filter and local state in the environment,
 * and reads what it wrote. The app here is a small script standing in for a project's main.ts
 * (the real app, runApp, is run by the registry test in a consumer project and by `npm run synth`).
 */
let root: string;

/** A project whose app records its environment and writes the manifest `behaviour` asks for. */
function project(behaviour: "ok" | "invalid" | "crash" | "silent"): string {
  const dir = fs.mkdtempSync(path.join(root, `${behaviour}-`));
  fs.writeFileSync(path.join(dir, "cdktf.json"), JSON.stringify({ language: "typescript", app: "node app.js" }));
  fs.writeFileSync(path.join(dir, "app.js"), `
const fs = require("fs"), path = require("path");
const out = process.env.CDKTF_OUTDIR;
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, "env.json"), JSON.stringify({ cwd: process.cwd(), out, stacks: process.env.PLATFORM_STACKS ?? null, local: process.env.PLATFORM_LOCAL_STATE ?? null, checkpoint: process.env.CHECKPOINT_DISABLE ?? null }));
const manifest = (extra) => fs.writeFileSync(path.join(out, ${JSON.stringify(SYNTH_MANIFEST_FILE)}), JSON.stringify({ version: 1, environments: [], services: {}, stacks: { "dev-aws": { environment: "dev", cloud: "aws", services: ["hello"] } }, ...extra }));
const behaviour = ${JSON.stringify(behaviour)};
if (behaviour === "ok") { manifest({ ok: true, warnings: { groups: [] } }); console.log("No warnings."); }
if (behaviour === "invalid") { manifest({ ok: false, warnings: null, problems: [{ message: "service hello: property 'x' has value 1; allowed: 2", stacks: ["dev-aws"] }] }); console.error("Validation failed: 1 problem"); process.exit(1); }
if (behaviour === "crash") { console.error("main.ts(3,1): error TS2304: Cannot find name 'oops'."); process.exit(2); }
`);
  return dir;
}

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-synth-"));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const envOf = (out: string) => JSON.parse(fs.readFileSync(path.join(out, "env.json"), "utf8"));

test("runs the app in the project root with CDKTF_OUTDIR and CHECKPOINT_DISABLE, prints its output and what it rendered", async () => {
  const dir = project("ok");
  fs.mkdirSync(path.join(dir, "stacks"));
  // From a subfolder: the project is the nearest folder with a cdktf.json.
  const r = await polycloud(["synth"], { cwd: path.join(dir, "stacks"), env: { PATH: process.env.PATH } });
  expect(r.code).toBe(0);
  expect(r.stdout).toBe("No warnings.\n");
  expect(r.stderr).toContain("synth: 1 stack in ");
  expect(r.stderr).toMatch(/synth: node app\.js: done \(\d+\.\d s\)/);
  expect(envOf(path.join(dir, "cdktf.out"))).toEqual({ cwd: fs.realpathSync(dir), out: path.join(dir, "cdktf.out"), stacks: null, local: null, checkpoint: "1" });
});

test("--stacks, PLATFORM_STACKS and --local-state reach the app; --output is relative to the working directory", async () => {
  const dir = project("ok");
  expect((await polycloud(["synth", "--stacks", "dev-*", "--local-state", "--output", "elsewhere"], { cwd: dir, env: { PATH: process.env.PATH, PLATFORM_STACKS: "prod-*" } })).code).toBe(0);
  expect(envOf(path.join(dir, "elsewhere"))).toMatchObject({ stacks: "dev-*", local: "1", out: path.join(dir, "elsewhere") });
  expect((await polycloud(["synth"], { cwd: dir, env: { PATH: process.env.PATH, PLATFORM_STACKS: "prod-*" } })).code).toBe(0);
  expect(envOf(path.join(dir, "cdktf.out"))).toMatchObject({ stacks: "prod-*", local: null });
});

test("--json: what was rendered, the warnings, or every validation problem (exit 1)", async () => {
  const ok = await polycloud(["synth", "--json", "--project", project("ok")]);
  expect(ok.code).toBe(0);
  expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, stacks: ["dev-aws"], warnings: { groups: [] }, problems: [] });
  const invalid = await polycloud(["synth", "--json", "--project", project("invalid")]);
  expect(invalid.code).toBe(1);
  expect(JSON.parse(invalid.stdout)).toMatchObject({ ok: false, problems: [{ message: expect.stringContaining("service hello: property 'x'"), stacks: ["dev-aws"] }] });
});

test("an app that fails without a manifest (a type error): exit 1 with its output; a manifest of an earlier run is never read as this one's", async () => {
  const dir = project("crash");
  const crash = await polycloud(["synth", "--json", "--project", dir]);
  expect(crash.code).toBe(1);
  expect(JSON.parse(crash.stdout)).toMatchObject({ ok: false, output: expect.stringContaining("error TS2304") });
  const text = await polycloud(["synth", "--project", dir]);
  expect(text).toMatchObject({ code: 1, stderr: expect.stringContaining("synth: `node app.js` exited with 2") });
  // An app that writes no manifest: the earlier one is gone, and the CLI says what that means.
  const silent = project("silent");
  fs.mkdirSync(path.join(silent, "cdktf.out"));
  fs.writeFileSync(path.join(silent, "cdktf.out", SYNTH_MANIFEST_FILE), JSON.stringify({ version: 1, ok: true, stacks: { old: {} } }));
  const r = await polycloud(["synth", "--project", silent]);
  expect(r.code).toBe(0);
  expect(fs.existsSync(path.join(silent, "cdktf.out", SYNTH_MANIFEST_FILE))).toBe(false);
  expect(r.stderr).toContain("the app wrote no polycloud-composition.json");
});

test("no cdktf.json: exit 2 pointing at polycloud init", async () => {
  const empty = fs.mkdtempSync(path.join(root, "empty-"));
  expect(await polycloud(["synth"], { cwd: empty })).toMatchObject({ code: 2, stderr: expect.stringContaining("`polycloud init` creates a project") });
});
