import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** Provider barrels cost 8–18 s and 1.4 GB per process; only deep imports are allowed. */
const BARREL = /(?:from\s+|require\(\s*|import\(\s*)["'](@cdktf\/provider-(?:aws|google|google-beta|azurerm|time))(?:\/lib(?:\/index(?:\.js)?)?)?["']/g;
const CORE_FORBIDDEN = /(?:from\s+|require\(\s*)["'](cdktf|@cdktf\/[^"']+)["']/g;

export function barrelImports(source: string): string[] {
  return [...source.matchAll(BARREL)].map((m) => m[0]);
}

function tsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  if (fs.statSync(dir).isFile()) return dir.endsWith(".ts") ? [dir] : [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    ["node_modules", "lib", "dist", "cdktf.out", ".bench-baseline"].includes(e.name) ? [] : tsFiles(path.join(dir, e.name)),
  );
}

const root = path.resolve(__dirname, "../..");
const files = ["modules", "stacks", "environments", "main.ts", "__tests__", "scripts"].flatMap((d) => tsFiles(path.join(root, d)));

// Built from parts so that repository-wide greps for barrel imports do not trip on the fixtures.
const AWS_BARREL = ["@cdktf", "provider-aws"].join("/");

test("the scanner flags barrels and accepts deep imports", () => {
  expect(barrelImports(`import { X } from "${AWS_BARREL}";`)).toHaveLength(1);
  expect(barrelImports("const g = require('@cdktf/provider-google/lib');")).toHaveLength(1);
  expect(barrelImports('import * as az from "@cdktf/provider-azurerm/lib/index";')).toHaveLength(1);
  expect(barrelImports('import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";')).toEqual([]);
  expect(barrelImports('import { GoogleProjectServiceIdentity } from "@cdktf/provider-google-beta";')).toHaveLength(1);
  expect(barrelImports('import { Sleep } from "@cdktf/provider-time/lib";')).toHaveLength(1);
  expect(barrelImports('import { Sleep } from "@cdktf/provider-time";')).toHaveLength(1);
  expect(barrelImports('import { Sleep } from "@cdktf/provider-time/lib/sleep";')).toEqual([]);
  expect(barrelImports('import { GoogleProjectServiceIdentity } from "@cdktf/provider-google-beta/lib/google-project-service-identity";')).toEqual([]);
});

test("no source file imports a provider barrel", () => {
  expect(files.length).toBeGreaterThan(20);
  const offenders = files.flatMap((f) => barrelImports(fs.readFileSync(f, "utf8")).map((m) => `${path.relative(root, f)}: ${m}`))
    .filter((line) => !line.startsWith("__tests__/policy/imports.test.ts"));
  expect(offenders).toEqual([]);
});

test("modules/core stays cloud-neutral: no cdktf or provider imports", () => {
  const core = files.filter((f) => f.includes(`${path.sep}modules${path.sep}core${path.sep}`));
  expect(core.length).toBeGreaterThan(5);
  expect(core.flatMap((f) => [...fs.readFileSync(f, "utf8").matchAll(CORE_FORBIDDEN)].map((m) => `${path.basename(f)}: ${m[1]}`))).toEqual([]);
});

test("the ESLint rule rejects a barrel import", () => {
  // ESLint loads its flat config with a dynamic import, which jest's VM cannot do; run the CLI.
  const bin = path.join(root, "node_modules", "eslint", "bin", "eslint.js");
  const lint = (code: string) => spawnSync(process.execPath, [bin, "--stdin", "--stdin-filename", "modules/aws/src/sample.ts", "--format", "json"], { cwd: root, input: code, encoding: "utf8" });
  const bad = lint(`import { SqsQueue } from "${AWS_BARREL}";\nexport const q = SqsQueue;\n`);
  expect(bad.status).toBe(1);
  expect(JSON.parse(bad.stdout)[0].messages.map((m: { ruleId: string }) => m.ruleId)).toContain("no-restricted-imports");
  const ok = lint('import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";\nexport const q = SqsQueue;\n');
  expect(JSON.parse(ok.stdout)[0].messages).toEqual([]);
  expect(ok.status).toBe(0);
  // The GCP module's extra providers (google-beta, time) are held to the same rule.
  for (const barrel of ["@cdktf/provider-google-beta", "@cdktf/provider-time", "@cdktf/provider-time/lib"]) {
    const res = lint(`import { X } from "${barrel}";\nexport const x = X;\n`);
    expect({ barrel, status: res.status }).toEqual({ barrel, status: 1 });
    expect(JSON.parse(res.stdout)[0].messages.map((m: { ruleId: string }) => m.ruleId)).toContain("no-restricted-imports");
  }
  const deep = lint('import { Sleep } from "@cdktf/provider-time/lib/sleep";\nimport { GoogleProjectServiceIdentity } from "@cdktf/provider-google-beta/lib/google-project-service-identity";\nexport const x = [Sleep, GoogleProjectServiceIdentity];\n');
  expect(JSON.parse(deep.stdout)[0].messages).toEqual([]);
});
