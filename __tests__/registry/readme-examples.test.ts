import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";

/**
 * The examples in the READMEs of the composition layer, the CLI and the starter type-check against
 * the packages' sources (the AWS README's example is compiled and run by the registry test).
 */
const REPO = path.resolve(__dirname, "..", "..");

test.each(["stacks", "cli", "create"])("modules/%s/README.md: every ts example type-checks", (pkg) => {
  const readme = fs.readFileSync(path.join(REPO, "modules", pkg, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks.length).toBeGreaterThan(0);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `readme-${pkg}-`));
  try {
    const files = blocks.map((code, i) => {
      const file = path.join(dir, `example${i}.ts`);
      fs.writeFileSync(file, code);
      return file;
    });
    const program = ts.createProgram(files, {
      target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10,
      lib: ["lib.es2022.d.ts"], types: ["node"], typeRoots: [path.join(REPO, "node_modules", "@types")], strict: true, noEmit: true, skipLibCheck: true, esModuleInterop: true,
      baseUrl: REPO, paths: { "@polycloud/*": ["modules/*/src"] },
    });
    const errors = files.flatMap((f) => ts.getPreEmitDiagnostics(program, program.getSourceFile(f)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")));
    expect(errors).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
