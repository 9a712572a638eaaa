import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ACTIONS, PINS, STARTER_CLOUDS, StarterCloud, TERRAFORM_VERSION, createProject, main, starterFiles } from "@polycloud/create";
import { runApp } from "@polycloud/stacks";
import { actionlint } from "../../scripts/gitops/actionlint";
import { checkHardening } from "../../scripts/gitops/workflow-hardening";
import { polycloud } from "../helpers/cli";

/**
 * The starter (`npm init @polycloud`, `polycloud init`): the files it writes, pinned to what this
 * repository builds with, and a project made by it synthesizing and passing the gates with this
 * repository's packages. The registry test installs one from the packages published to a registry.
 */
const REPO = path.resolve(__dirname, "..", "..");
const root = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8"));
const VERSIONS = Object.fromEntries(["core", "stacks", "runtime", "aws", "gcp", "azure", "cli"].map((p) => [`@polycloud/${p}`, "0.1.0"]));
const files = (clouds: StarterCloud[], extra: { scope?: string; registry?: string } = {}) => starterFiles({ name: "acme-platform", clouds, scope: extra.scope ?? "@polycloud", versions: extra.scope ? Object.fromEntries(Object.entries(VERSIONS).map(([k, v]) => [k.replace("@polycloud", extra.scope!), v])) : VERSIONS, registry: extra.registry, projectId: "fixed" });

test("third-party pins, actions and Terraform are what this repository builds, tests and runs CI with", () => {
  for (const [name, version] of Object.entries(PINS)) expect({ name, version }).toEqual({ name, version: root.devDependencies[name] });
  const workflows = fs.readdirSync(path.join(REPO, ".github", "workflows")).map((f) => fs.readFileSync(path.join(REPO, ".github", "workflows", f), "utf8")).join("\n")
    + fs.readFileSync(path.join(REPO, ".github", "actions", "setup-project", "action.yml"), "utf8");
  for (const action of Object.values(ACTIONS)) expect({ action, used: workflows.includes(`uses: ${action}`) }).toEqual({ action, used: true });
  expect(workflows).toContain(`terraform_version: "${TERRAFORM_VERSION}"`);
  expect(root.engines.node).toBe(">=22");
});

test("a project installs the packages of the clouds it chose and no other cloud's bindings", () => {
  const aws = JSON.parse(files(["aws"])["package.json"]);
  expect(Object.keys(aws.dependencies)).toEqual(["@cdktf/provider-aws", "@polycloud/aws", "@polycloud/core", "@polycloud/runtime", "@polycloud/stacks", "cdktf", "constructs"]);
  expect(aws.devDependencies).toEqual({ "@polycloud/cli": "^0.1.0", "@types/node": PINS["@types/node"], typescript: PINS.typescript });
  expect(aws.engines).toEqual({ node: ">=22" });
  expect(aws.scripts.check).toBe("polycloud check");
  const all = JSON.parse(files(["aws", "gcp", "azure"])["package.json"]);
  expect(Object.keys(all.dependencies)).toEqual(expect.arrayContaining(["@polycloud/gcp", "@polycloud/azure", "@cdktf/provider-google", "@cdktf/provider-google-beta", "@cdktf/provider-time", "@cdktf/provider-azurerm"]));
  const env = files(["gcp"])["environments/dev.ts"];
  expect(env).toContain("gcp: {");
  expect(env).not.toContain("aws: {");
  expect(() => files([])).toThrow(/at least one cloud/);
});

test("the scope is configuration: .npmrc maps it to the registry (the token stays a reference), the code imports it", () => {
  const f = files(["aws"], { scope: "@acme", registry: "https://npm.acme.internal/platform/" });
  expect(f[".npmrc"]).toBe("@acme:registry=https://npm.acme.internal/platform/\n//npm.acme.internal/platform/:_authToken=${NODE_AUTH_TOKEN}\n");
  expect(f["main.ts"]).toContain('from "@acme/stacks"');
  expect(f["functions/hello/index.mjs"]).toContain('from "@acme/runtime"');
  expect(Object.values(f).join("\n")).not.toContain("@polycloud/");
  // Without a registry, .npmrc says what to add and maps nothing (npm would fail on a placeholder).
  expect(files(["aws"])[".npmrc"].split("\n").filter((l) => l && !l.startsWith("#"))).toEqual([]);
  expect(() => files(["aws"], { registry: "http://npm.acme.internal/" })).toThrow(/use https/);
});

test("the workflow passes this repository's workflow rules: actionlint and the hardening checks", async () => {
  const text = files(["aws", "gcp", "azure"])[".github/workflows/check.yml"];
  const source = [{ file: ".github/workflows/check.yml", text }];
  expect(checkHardening(source)).toEqual([]);
  expect(await actionlint(source)).toEqual([]);
  expect(text).toContain("run: npx --no-install polycloud check");
});

test("createProject and the bin: a folder that is not empty, a bad cloud or name is refused (exit 2), --help exits 0", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-create-"));
  const out: string[] = [];
  const err: string[] = [];
  try {
    const written = createProject(path.join(dir, "new"), { clouds: ["aws"], versions: VERSIONS });
    expect(written).toEqual(expect.arrayContaining(["package.json", "cdktf.json", "tsconfig.json", "environments/dev.ts", "stacks/composition.ts", "functions/hello/index.mjs", ".github/workflows/check.yml", ".npmrc", "policy/suppressions.json"]));
    expect(JSON.parse(fs.readFileSync(path.join(dir, "new", "package.json"), "utf8")).name).toBe("new");
    expect(main([path.join(dir, "new")], (t) => out.push(t), (t) => err.push(t))).toBe(2);
    expect(err.join("")).toContain("is not empty");
    expect(main([path.join(dir, "other"), "--clouds", "aws,oci"], (t) => out.push(t), (t) => err.push(t))).toBe(2);
    expect(err.join("")).toContain("'oci' is not one of aws, gcp, azure");
    expect(main([path.join(dir, "Bad Name!")], (t) => out.push(t), (t) => err.push(t))).toBe(2);
    expect(main(["--bogus"], (t) => out.push(t), (t) => err.push(t))).toBe(2);
    expect(main(["--help"], (t) => out.push(t), (t) => err.push(t))).toBe(0);
    expect(out.join("")).toContain("usage: npm init @polycloud");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Removed at the end only: esbuild's service keeps the working directory it started in.
const projects: string[] = [];
afterAll(() => projects.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe.each([[["aws"]], [["aws", "gcp", "azure"]]] as StarterCloud[][][])("a project for %j", (clouds) => {
  // Inside the repository, so its function bundles resolve @polycloud/runtime from node_modules.
  let dir: string;
  const cwd = process.cwd();
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(REPO, ".starter-test-"));
    projects.push(dir);
    createProject(dir, { name: "team-platform", clouds, versions: VERSIONS, force: true });
    // The app of the project, in process (what `polycloud synth` runs as `node dist/main.js`).
    process.chdir(dir);
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { composition } = require(path.join(dir, "stacks", "composition.ts"));
      let problems = "";
      const code = await runApp(composition, { out: () => undefined, err: (t) => { problems += t; } });
      // Nothing on stderr but the synthesis's summary line (what it built and reused).
      expect({ code, problems }).toEqual({ code: 0, problems: expect.stringMatching(/^synth: \d+ stacks? synthesized, 0 unchanged and reused \(cdktf\.out\)\n$/) });
    } finally {
      process.chdir(cwd);
    }
  });
  test("synthesizes dev and prod on each cloud it chose, and passes policy and the budget check as written", async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "cdktf.out", "polycloud-composition.json"), "utf8"));
    expect(Object.keys(manifest.stacks).sort()).toEqual(["dev", "prod"].flatMap((e) => clouds.map((c) => `${e}-${c}`)).sort());
    const policy = await polycloud(["policy", "--json"], { cwd: dir });
    const report = JSON.parse(policy.stdout);
    expect({ code: policy.code, failing: report.findings.filter((f: { suppressed?: string; note?: string }) => !f.suppressed && !f.note).map((f: { condition: string; stack: string }) => `${f.condition} ${f.stack}`) }).toEqual({ code: 0, failing: [] });
    // The accepted findings of the example are exactly the ones it has (none left unused).
    expect(report.unusedSuppressions).toEqual([]);
    const cost = await polycloud(["cost", "--check"], { cwd: dir });
    expect({ code: cost.code, errors: cost.stderr.split("\n").filter((l) => l.startsWith("cost: error")) }).toEqual({ code: 0, errors: [] });
    expect(STARTER_CLOUDS).toEqual(expect.arrayContaining(clouds));
  });
});
