import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { App, TerraformStack } from "cdktf";
import { EnvironmentConfig, ServiceSpec } from "@polycloud/core";
import { buildStacks, synthAll } from "@polycloud/stacks";
import { envByName } from "../helpers/synth";
import { CodeBlock, REPO_ROOT, codeBlocks, docFiles } from "./markdown";

/**
 * Every TypeScript example of the README and docs/ compiles, and every example that defines a
 * service is synthesized on all three clouds with the dev environment.
 *
 * Each ```ts block is one module, written into a temporary folder inside the repository so that
 * `@polycloud/core` and the other packages resolve as they do for a team's own code; the type-check
 * maps them to the packages' sources (as jest does), so it never reads a stale or missing build
 * (`npm test` runs `tsc -b` beside jest). One program type-checks them all. A block that exports a `ServiceSpec`, or a function of the environment returning one, is a
 * service: all of them are rendered together in dev (their `clouds` respected), validated and
 * synthesized like `npm run synth` does.
 *
 * Run by __tests__/conformance/conformance.test.ts, which has the three clouds' bindings loaded already.
 */

describe("documentation examples", () => {
const TS_LANGS = new Set(["ts", "typescript", "tsx"]);

let dir: string;
let blocks: { block: CodeBlock; file: string }[];
let program: ts.Program;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(REPO_ROOT, ".docs-examples-"));
  blocks = docFiles().flatMap((f) => codeBlocks(f)).filter((b) => TS_LANGS.has(b.lang)).map((block, i) => {
    const file = path.join(dir, `${block.file.replace(/[^\w]+/g, "_")}_L${block.line}_${i}.ts`);
    fs.writeFileSync(file, block.code);
    return { block, file };
  });
  program = ts.createProgram(blocks.map((b) => b.file), {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    lib: ["lib.es2022.d.ts"],
    types: ["node"],
    strict: true,
    noUnusedLocals: true,
    noEmit: true,
    skipLibCheck: true,
    esModuleInterop: true,
    baseUrl: REPO_ROOT,
    paths: { "@polycloud/*": ["modules/*/src"] },
  });
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const where = (b: CodeBlock) => `${b.file}:${b.line}`;

test("every TypeScript example in the README and docs/ type-checks", () => {
  const errors = blocks.flatMap(({ block, file }) =>
    ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => {
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
      return `${block.file}:${block.line + line}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    }));
  expect(errors).toEqual([]);
  // The packages resolved to their sources, not to a build.
  expect(program.getSourceFiles().some((f) => f.fileName.endsWith("modules/core/src/index.ts"))).toBe(true);
  // The README's own examples are among them (the extraction cannot silently find nothing).
  expect(blocks.filter((b) => b.block.file === "README.md").length).toBeGreaterThanOrEqual(2);
});

/** Exports of an example that are a ServiceSpec, or a function returning one (called with the environment). */
function serviceExports(file: string): string[] {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) return [];
  return checker.getExportsOfModule(moduleSymbol).filter((s) => {
    const type = checker.getTypeOfSymbolAtLocation(s, source);
    const returns = type.getCallSignatures().map((sig) => checker.typeToString(sig.getReturnType()));
    return checker.typeToString(type) === "ServiceSpec" || returns.includes("ServiceSpec");
  }).map((s) => s.getName());
}

/** True when some resource of the stack carries `service = <name>` in its tags or labels. */
function tagged(json: { resource?: Record<string, Record<string, Record<string, unknown>>> }, name: string): boolean {
  return Object.values(json.resource ?? {}).some((byName) => Object.values(byName).some((r) =>
    ["tags", "labels", "user_labels"].some((k) => (r[k] as Record<string, unknown> | undefined)?.service === name)));
}

test("every example that defines a service synthesizes on AWS, GCP and Azure with the dev environment", () => {
  const dev = envByName("dev");
  const services: { from: string; make: (env: EnvironmentConfig) => ServiceSpec }[] = [];
  for (const { block, file } of blocks) {
    const mod = jest.requireActual<Record<string, unknown>>(file);
    for (const name of serviceExports(file)) {
      const value = mod[name];
      services.push({ from: `${where(block)} ${name}`, make: typeof value === "function" ? (value as (env: EnvironmentConfig) => ServiceSpec) : () => value as ServiceSpec });
    }
  }
  expect(services.filter((s) => s.from.startsWith("README.md")).length).toBeGreaterThanOrEqual(2);

  const app = new App({ outdir: path.join(dir, "cdktf.out"), skipValidation: true });
  const stacks: TerraformStack[] = buildStacks(app, { environments: [dev], services: (env) => services.map((s) => s.make(env)) });
  expect(stacks.map((s) => s.node.id).sort()).toEqual(["dev-aws", "dev-azure", "dev-gcp"]);
  // Validation as `npm run synth` runs it: a problem fails here with its message.
  synthAll(app);
  for (const { make } of services) {
    const spec = make(dev);
    for (const stack of stacks) {
      const cloud = stack.node.id.replace("dev-", "");
      const json = fs.readFileSync(path.join(dir, "cdktf.out", "stacks", stack.node.id, "cdk.tf.json"), "utf8");
      const present = tagged(JSON.parse(json), spec.name);
      expect({ service: spec.name, stack: stack.node.id, present }).toEqual({ service: spec.name, stack: stack.node.id, present: !spec.clouds || spec.clouds.includes(cloud as never) });
    }
  }
});
});
