import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { projectConfig } from "@polycloud/core";
import { StackTarget, affectedRules, affectedStacks, changedSince, stacksFromManifest } from "../../modules/cli/src/stacks/affected";
import { polycloud } from "../helpers/cli";

const stacks: StackTarget[] = ["dev", "staging", "prod"].flatMap((env) => ["aws", "gcp"].map((cloud) => ({ stack: `${env}-${cloud}`, env, cloud })));
/** This repository's rules: package.json `polycloud.affected` (module folders per cloud, tooling and tests ignored). */
const REPO_RULES = affectedRules(projectConfig(path.resolve(__dirname, "..", "..")));
const names = (files: string[]) => affectedStacks(files, stacks, REPO_RULES).map((s) => s.stack);
const consumer = (files: string[]) => affectedStacks(files, stacks).map((s) => s.stack);

test("a cloud package affects that cloud's stacks; core and shared code affect every stack", () => {
  expect(names(["modules/aws/src/queue.ts"])).toEqual(["dev-aws", "staging-aws", "prod-aws"]);
  expect(names(["modules/gcp/src/gateway.ts", "modules/gcp/package.json"])).toEqual(["dev-gcp", "staging-gcp", "prod-gcp"]);
  expect(names(["modules/azure/src/function.ts"])).toEqual([]);
  for (const shared of ["modules/core/src/limits.ts", "stacks/platform-stack.ts", "main.ts", "package-lock.json", "cdktf.json", "stacks/reference/functions/api/index.mjs", "environments/index.ts"]) {
    expect({ shared, stacks: names([shared]).length }).toEqual({ shared, stacks: 6 });
  }
});

test("an environment file affects that environment's stacks", () => {
  expect(names(["environments/prod.ts"])).toEqual(["prod-aws", "prod-gcp"]);
  expect(names(["environments/dev.ts", "modules/aws/src/function.ts"])).toEqual(["dev-aws", "dev-gcp", "staging-aws", "prod-aws"]);
});

test("docs, tests, workflows, changesets and tooling affect no stack", () => {
  expect(names(["README.md", "modules/aws/README.md", ".changeset/x.md", "__tests__/aws/queue-dlq.test.ts", ".github/workflows/deploy.yml", "scripts/plan-summary.ts", ".ci/run"])).toEqual([]);
  // The CLI and the starter are tooling too; the composition layer is not.
  expect(names(["modules/cli/src/commands/check.ts", "modules/create/src/template.ts"])).toEqual([]);
  expect(names(["modules/stacks/src/platform-stack.ts"])).toHaveLength(6);
});

test("a consumer project (no settings): documentation, tests and CI affect nothing; anything else, every stack", () => {
  expect(consumer(["README.md", "docs/runbook.md", ".github/workflows/check.yml", "test/hello.test.ts", "__tests__/x.test.ts", ".npmrc"])).toEqual([]);
  expect(consumer(["environments/prod.ts"])).toEqual(["prod-aws", "prod-gcp"]);
  for (const shared of ["stacks/composition.ts", "functions/hello/index.mjs", "functions/hello/README.md", "package-lock.json", "main.ts"]) {
    expect({ shared, stacks: consumer([shared]).length }).toEqual({ shared, stacks: 6 });
  }
  // No cloud folders are known in a consumer project: modules/aws/... is just code there.
  expect(consumer(["modules/aws/src/queue.ts"])).toHaveLength(6);
  expect(() => affectedRules({ affected: { ignore: ["(unclosed"] } })).toThrow(/polycloud\.affected\.ignore.*regular expressions/);
});

test("polycloud stacks reads the synthesized manifest and filters by environment", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stacks-"));
  try {
    const manifest = path.join(dir, "manifest.json");
    fs.writeFileSync(manifest, JSON.stringify({ version: "0.21.0", stacks: Object.fromEntries(stacks.map((s) => [s.stack, {}])) }));
    expect(stacksFromManifest(manifest)).toHaveLength(6);
    const prod = await polycloud(["stacks", "--output", dir, "--env", "prod"]);
    expect(prod.code).toBe(0);
    expect(JSON.parse(prod.stdout)).toEqual([{ stack: "prod-aws", env: "prod", cloud: "aws" }, { stack: "prod-gcp", env: "prod", cloud: "gcp" }]);
    const out = path.join(dir, "github-output");
    expect((await polycloud(["stacks", "--output", dir, "--env", "dev", "--github-output", "dev"], { env: { ...process.env, GITHUB_OUTPUT: out } })).code).toBe(0);
    expect(fs.readFileSync(out, "utf8")).toBe('dev=[{"stack":"dev-aws","env":"dev","cloud":"aws"},{"stack":"dev-gcp","env":"dev","cloud":"gcp"}]\n');
    const noOutput = await polycloud(["stacks", "--output", dir, "--github-output", "dev"], { env: { PATH: process.env.PATH } });
    expect(noOutput).toMatchObject({ code: 2, stderr: expect.stringContaining("--github-output needs GITHUB_OUTPUT") });
    expect(await polycloud(["stacks", "--output", path.join(dir, "none")])).toMatchObject({ code: 2, stderr: expect.stringContaining("run `polycloud synth` first") });
    fs.writeFileSync(manifest, JSON.stringify({ stacks: { "Bad Name": {} } }));
    expect(() => stacksFromManifest(manifest)).toThrow(/not <env>-<cloud>/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("partitioned stack names are understood: a cloud package affects that cloud's shared and service stacks only", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "affected-"));
  try {
    const manifest = path.join(dir, "manifest.json");
    fs.writeFileSync(manifest, JSON.stringify({ stacks: { "prod-aws-shared": {}, "prod-aws-orders": {}, "prod-gcp-shared": {}, "prod-gcp-orders": {} } }));
    const stacks = stacksFromManifest(manifest);
    expect(stacks).toContainEqual({ stack: "prod-aws-orders", env: "prod", cloud: "aws", part: "orders" });
    expect(affectedStacks(["modules/aws/src/queue.ts"], stacks, REPO_RULES).map((s) => s.stack)).toEqual(["prod-aws-orders", "prod-aws-shared"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("markdown inside a function's source folder is deployed code; documentation markdown is not", () => {
  expect(names(["stacks/reference/functions/api/README.md"])).toHaveLength(6);
  expect(names(["stacks/reference/functions/worker/docs/notes.md"])).toHaveLength(6);
  expect(names(["README.md", "docs/runbook.md", "modules/gcp/CHANGELOG.md", ".changeset/brave-fox.md"])).toEqual([]);
});

test("a module folder that is not a known cloud affects every stack", () => {
  expect(names(["modules/shared-utils/src/index.ts"])).toHaveLength(6);
  expect(names(["modules/oci/src/function.ts"])).toHaveLength(6);
});

test("a renamed file lists its old path too (git diff --no-renames)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "renames-"));
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "diff.renames=true", ...args], { cwd: dir, encoding: "utf8" });
  try {
    git("init", "-q", "-b", "main");
    fs.mkdirSync(path.join(dir, "stacks", "reference", "functions", "api"), { recursive: true });
    fs.writeFileSync(path.join(dir, "stacks", "reference", "functions", "api", "handler.mjs"), "export const handler = async () => ({ statusCode: 200, body: 'a fairly long body so git sees a rename' });\n");
    git("add", "-A");
    git("commit", "-qm", "base");
    const base = git("rev-parse", "HEAD").trim();
    fs.mkdirSync(path.join(dir, "scripts"));
    git("mv", "stacks/reference/functions/api/handler.mjs", "scripts/handler.mjs");
    git("commit", "-qm", "move");
    const changed = changedSince(base, dir);
    expect(changed.sort()).toEqual(["scripts/handler.mjs", "stacks/reference/functions/api/handler.mjs"]);
    // Moving a function's code into scripts/ (harmless) still affects every stack through the old path.
    expect(names(changed)).toHaveLength(6);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
