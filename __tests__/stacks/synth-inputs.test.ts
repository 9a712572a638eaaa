import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { environments } from "../fixtures/sample/environments";
import { referenceService } from "../../stacks/reference-service";
import { CodeDirs, SynthInputs, canonical } from "../../modules/stacks/src/synth-inputs";

/** What the hash of a stack's inputs (modules/stacks/src/synth-inputs.ts) reacts to, and what it ignores. */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "synth-inputs-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(tmp, "code-"));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const dev = environments.find((e) => e.name === "dev")!;
const stackOf = (cloud: "aws" | "gcp", env = dev, services = [referenceService(dev)]) => ({ id: `dev-${cloud}`, kind: "environment", cloud, env, services });

test("canonical JSON ignores key order and undefined values", () => {
  expect(canonical({ b: 1, a: { d: [1, { y: 2, x: undefined }], c: "x" } })).toBe(canonical({ a: { c: "x", d: [1, { y: 2 }] }, b: 1 }));
  expect(canonical({ a: [1, 2] })).not.toBe(canonical({ a: [2, 1] }));
});

test("a change to shared code changes every cloud's version; a cloud package only its own", () => {
  const common = tree({ "stacks/app.js": "a", "stacks/reference/functions/api/index.mjs": "function code", "core/index.js": "c" });
  const aws = tree({ "index.js": "aws" });
  const gcp = tree({ "index.js": "gcp" });
  const dirs: CodeDirs = { common: [path.join(common, "stacks"), path.join(common, "core")], clouds: { aws, gcp, azure: path.join(tmp, "none") } };
  const before = new SynthInputs({}, dirs);
  const [a0, g0] = [before.codeVersion("aws"), before.codeVersion("gcp")];
  fs.writeFileSync(path.join(aws, "index.js"), "aws changed");
  const afterAws = new SynthInputs({}, dirs);
  expect(afterAws.codeVersion("aws")).not.toBe(a0);
  expect(afterAws.codeVersion("gcp")).toBe(g0);
  // Function code (.mjs) and declarations are not code that renders stacks.
  fs.writeFileSync(path.join(common, "stacks/reference/functions/api/index.mjs"), "edited");
  fs.writeFileSync(path.join(common, "stacks/app.d.ts"), "declare const x: 1;");
  expect(new SynthInputs({}, dirs).codeVersion("gcp")).toBe(g0);
  fs.writeFileSync(path.join(common, "core/extra.js"), "new module");
  const afterCore = new SynthInputs({}, dirs);
  expect(afterCore.codeVersion("gcp")).not.toBe(g0);
  expect(afterCore.codeVersion("aws")).not.toBe(afterAws.codeVersion("aws"));
});

test("file contents are trusted from the previous run while size and mtime are unchanged, and re-hashed otherwise", () => {
  const dir = tree({ "f.txt": "one" });
  const f = path.join(dir, "f.txt");
  const mtime = new Date("2026-01-01T00:00:00Z");
  fs.utimesSync(f, mtime, mtime);
  const first = new SynthInputs();
  const h1 = first.file(f);
  // Same size and time (as a checkout that restores both would leave it): trusted, as git does.
  fs.writeFileSync(f, "two");
  fs.utimesSync(f, mtime, mtime);
  expect(new SynthInputs(first.digests).file(f)).toBe(h1);
  // Touched: hashed again, and the content decides.
  fs.utimesSync(f, new Date(), new Date());
  expect(new SynthInputs(first.digests).file(f)).not.toBe(h1);
  fs.writeFileSync(f, "one");
  expect(new SynthInputs(first.digests).file(f)).toBe(h1);
});

test("a stack's hash follows its environment, its services, their function folders and cdktf's settings", () => {
  const inputs = () => new SynthInputs();
  const base = inputs().stack(stackOf("aws"));
  expect(inputs().stack(stackOf("aws"))).toBe(base);
  expect(inputs().stack(stackOf("gcp"))).not.toBe(base);
  expect(inputs().stack(stackOf("aws", { ...dev, tags: { ...dev.tags, team: "x" } }))).not.toBe(base);
  const svc = referenceService(dev);
  expect(inputs().stack(stackOf("aws", dev, [{ ...svc, functions: { ...svc.functions, api: { ...svc.functions!.api, timeoutSeconds: 11 } } }]))).not.toBe(base);
  const folder = tree({ "index.mjs": "export const handler = () => 1;" });
  const moved = { ...svc, functions: { ...svc.functions, api: { ...svc.functions!.api, source: folder } } };
  const h = inputs().stack(stackOf("aws", dev, [moved]));
  expect(h).not.toBe(base);
  fs.writeFileSync(path.join(folder, "util.mjs"), "export const x = 1;");
  expect(inputs().stack(stackOf("aws", dev, [moved]))).not.toBe(h);
  const before = process.env.CDKTF_CONTEXT_JSON;
  try {
    process.env.CDKTF_CONTEXT_JSON = JSON.stringify({ some: "context" });
    expect(inputs().stack(stackOf("aws"))).not.toBe(base);
  } finally {
    if (before === undefined) delete process.env.CDKTF_CONTEXT_JSON;
    else process.env.CDKTF_CONTEXT_JSON = before;
  }
});
