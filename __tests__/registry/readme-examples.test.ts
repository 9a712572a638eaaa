import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";

/**
 * The examples in the READMEs of the composition layer, the CLI and the starter type-check against
 * the packages' sources (the AWS README's example is compiled and run by the registry test).
 */
const REPO = path.resolve(__dirname, "..", "..");

const PACKAGES = ["stacks", "cli", "create"];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "readme-examples-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Each README's ts blocks, written out as files (every block is a module: its own scope). */
const examples = Object.fromEntries(PACKAGES.map((pkg) => {
  const readme = fs.readFileSync(path.join(REPO, "modules", pkg, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  return [pkg, blocks.map((code, i) => {
    const file = path.join(tmp, `${pkg}-example${i}.ts`);
    fs.writeFileSync(file, code);
    return file;
  })];
}));

/**
 * One program over every README's examples: the packages' sources and the provider bindings they
 * import are parsed and checked once, not once per README (each file's diagnostics are its own).
 */
let program: ts.Program | undefined;
const checked = () => (program ??= ts.createProgram(Object.values(examples).flat(), {
  target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10,
  lib: ["lib.es2022.d.ts"], types: ["node"], typeRoots: [path.join(REPO, "node_modules", "@types")], strict: true, noEmit: true, skipLibCheck: true, esModuleInterop: true,
  baseUrl: REPO, paths: { "@polycloud/*": ["modules/*/src"] },
}));

test.each(PACKAGES)("modules/%s/README.md: every ts example type-checks", (pkg) => {
  const files = examples[pkg];
  expect(files.length).toBeGreaterThan(0);
  const errors = files.flatMap((f) => ts.getPreEmitDiagnostics(checked(), checked().getSourceFile(f)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")));
  expect(errors).toEqual([]);
});
