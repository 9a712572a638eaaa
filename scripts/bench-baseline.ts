import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Generates the naive variant of this project for the benchmark's baseline: the same sources,
 * but every deep provider import rewritten to the package barrel (what `cdktf init` code does),
 * run with ts-node, which type-checks. Written under `.bench-baseline/` (git-ignored) so module
 * resolution finds this repository's node_modules. Returns the entry file.
 */
const DEEP = /^import \{([^}]+)\} from "(@cdktf\/provider-[a-z-]+)\/lib\/([a-z0-9-]+)";$/gm;

const camel = (folder: string) => folder.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export function rewriteToBarrels(source: string, relCore: (pkg: string) => string): string {
  let n = 0;
  const out = source.replace(DEEP, (_m, names: string, pkg: string, folder: string) => {
    const ns = `__ns${n++}`;
    const aliases = names.split(",").map((s) => s.trim()).filter(Boolean)
      .map((name) => `import ${name} = ${ns}.${name};`);
    return `import { ${camel(folder)} as ${ns} } from "${pkg}";\n${aliases.join("\n")}`;
  });
  return out.replace(/from "@polycloud\/(core|aws|gcp|azure)"/g, (_m, pkg: string) => `from "${relCore(pkg)}"`);
}

export function generateBaseline(root: string): string {
  const target = path.join(root, ".bench-baseline");
  fs.rmSync(target, { recursive: true, force: true });
  const copy = (rel: string) => {
    const src = path.join(root, rel);
    for (const entry of fs.readdirSync(src, { withFileTypes: true })) {
      const from = path.join(rel, entry.name);
      if (entry.isDirectory()) copy(from);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
        const to = path.join(target, from);
        fs.mkdirSync(path.dirname(to), { recursive: true });
        const relCore = (pkg: string) => {
          const r = path.relative(path.dirname(to), path.join(target, "modules", pkg, "src")).split(path.sep).join("/");
          return r.startsWith(".") ? r : `./${r}`;
        };
        fs.writeFileSync(to, rewriteToBarrels(fs.readFileSync(path.join(root, from), "utf8"), relCore));
      }
    }
  };
  for (const dir of ["modules/core/src", "modules/aws/src", "modules/gcp/src", "modules/azure/src", "stacks", "environments"]) copy(dir);
  // The naive project has none of our synth-time work-arounds either.
  fs.writeFileSync(path.join(target, "main.ts"), fs.readFileSync(path.join(root, "main.ts"), "utf8").replace(/^skipTokenCreationTraces\(\);\n/m, ""));
  fs.writeFileSync(path.join(target, "tsconfig.json"), JSON.stringify({
    compilerOptions: { target: "ES2022", module: "commonjs", moduleResolution: "node", strict: true, esModuleInterop: true, skipLibCheck: true, types: ["node"] },
    include: ["**/*.ts"],
  }, null, 2));
  return path.join(target, "main.ts");
}
