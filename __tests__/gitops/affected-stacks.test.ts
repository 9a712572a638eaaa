import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { StackTarget, affectedStacks, main, stacksFromManifest } from "../../scripts/affected-stacks";

const stacks: StackTarget[] = ["dev", "staging", "prod"].flatMap((env) => ["aws", "gcp"].map((cloud) => ({ stack: `${env}-${cloud}`, env, cloud })));
const names = (files: string[]) => affectedStacks(files, stacks).map((s) => s.stack);

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
});

test("CLI reads the synthesized manifest and filters by environment", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stacks-"));
  try {
    const manifest = path.join(dir, "manifest.json");
    fs.writeFileSync(manifest, JSON.stringify({ version: "0.21.0", stacks: Object.fromEntries(stacks.map((s) => [s.stack, {}])) }));
    expect(stacksFromManifest(manifest)).toHaveLength(6);
    expect(JSON.parse(main(["--manifest", manifest, "--env", "prod"]))).toEqual([{ stack: "prod-aws", env: "prod", cloud: "aws" }, { stack: "prod-gcp", env: "prod", cloud: "gcp" }]);
    const out = path.join(dir, "github-output");
    const previous = process.env.GITHUB_OUTPUT;
    process.env.GITHUB_OUTPUT = out;
    try {
      main(["--manifest", manifest, "--env", "dev", "--github-output", "dev"]);
    } finally {
      if (previous === undefined) delete process.env.GITHUB_OUTPUT;
      else process.env.GITHUB_OUTPUT = previous;
    }
    expect(fs.readFileSync(out, "utf8")).toBe('dev=[{"stack":"dev-aws","env":"dev","cloud":"aws"},{"stack":"dev-gcp","env":"dev","cloud":"gcp"}]\n');
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
    expect(affectedStacks(["modules/aws/src/queue.ts"], stacks).map((s) => s.stack)).toEqual(["prod-aws-orders", "prod-aws-shared"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
