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
// Barrel specifiers are built at run time, so this file never contains the import it tests for.
const AWS_BARREL = ["@cdktf", "provider-aws"].join("/");
const BETA_BARREL = ["@cdktf", "provider-google-beta"].join("/");

test("the scanner flags barrels and accepts deep imports", () => {
  expect(barrelImports(`import { X } from "${AWS_BARREL}";`)).toHaveLength(1);
  expect(barrelImports("const g = require('@cdktf/provider-google/lib');")).toHaveLength(1);
  expect(barrelImports('import * as az from "@cdktf/provider-azurerm/lib/index";')).toHaveLength(1);
  expect(barrelImports('import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";')).toEqual([]);
  expect(barrelImports(`import { GoogleProjectServiceIdentity } from "${BETA_BARREL}";`)).toHaveLength(1);
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
  // ESLint loads its flat config with a dynamic import, which jest's VM cannot do: lint every
  // sample in one child process (one config load instead of one per sample).
  const samples: Record<string, string> = {
    awsBarrel: `import { SqsQueue } from "${AWS_BARREL}";\nexport const q = SqsQueue;\n`,
    awsDeep: 'import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";\nexport const q = SqsQueue;\n',
    // The GCP module's extra providers (google-beta, time) are held to the same rule.
    betaBarrel: `import { X } from "${BETA_BARREL}";\nexport const x = X;\n`,
    timeBarrel: 'import { X } from "@cdktf/provider-time";\nexport const x = X;\n',
    timeLib: 'import { X } from "@cdktf/provider-time/lib";\nexport const x = X;\n',
    extraDeep: 'import { Sleep } from "@cdktf/provider-time/lib/sleep";\nimport { GoogleProjectServiceIdentity } from "@cdktf/provider-google-beta/lib/google-project-service-identity";\nexport const x = [Sleep, GoogleProjectServiceIdentity];\n',
  };
  const script = `
    const { ESLint } = require("eslint");
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const samples = JSON.parse(process.argv[1]);
      const out = {};
      for (const [name, code] of Object.entries(samples)) {
        const [r] = await eslint.lintText(code, { filePath: "modules/aws/src/sample.ts" });
        out[name] = r.messages.map((m) => m.ruleId ?? m.message);
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((e) => { console.error(e); process.exit(2); });`;
  const run = spawnSync(process.execPath, ["-e", script, JSON.stringify(samples)], { cwd: root, encoding: "utf8" });
  expect(run.stderr).toBe("");
  const rules = JSON.parse(run.stdout) as Record<string, string[]>;
  for (const barrel of ["awsBarrel", "betaBarrel", "timeBarrel", "timeLib"]) expect({ barrel, rules: rules[barrel] }).toEqual({ barrel, rules: expect.arrayContaining(["no-restricted-imports"]) });
  expect(rules.awsDeep).toEqual([]);
  expect(rules.extraDeep).toEqual([]);
});

test("modules/runtime is function code: no cdktf, constructs, provider or module imports", () => {
  const runtime = files.filter((f) => f.includes(`${path.sep}modules${path.sep}runtime${path.sep}`));
  expect(runtime.length).toBeGreaterThan(5);
  const forbidden = /(?:from\s+|require\(\s*|import\(\s*)["'](cdktf|constructs|@cdktf\/[^"']+|@polycloud\/(?:core|aws|gcp|azure))["']/g;
  expect(runtime.flatMap((f) => [...fs.readFileSync(f, "utf8").matchAll(forbidden)].map((m) => `${path.basename(f)}: ${m[1]}`))).toEqual([]);
});
