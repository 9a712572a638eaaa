import * as fs from "node:fs";
import * as path from "node:path";

/**
 * A function's code is the file its `handler` names, never the folder's package.json `main`: two
 * functions in one folder with `handler: "a.handler"` and `handler: "b.handler"` are built from
 * a.mjs and b.mjs. `<file>.<export>` splits at the last dot, as Lambda's Node.js runtime does.
 */
export function splitHandler(handler: string): { moduleName: string; exportName: string } {
  const i = handler.lastIndexOf(".");
  return i <= 0 ? { moduleName: "index", exportName: handler || "handler" } : { moduleName: handler.slice(0, i), exportName: handler.slice(i + 1) };
}

const EXTENSIONS = ["", ".js", ".cjs", ".mjs", ".ts"];

/** The file `<moduleName>` names in `dir` (as given, or with .js, .cjs, .mjs or .ts), if there is one. */
export function nodeHandlerFile(dir: string, moduleName: string): string | undefined {
  const root = path.resolve(dir);
  return EXTENSIONS.map((e) => path.resolve(root, moduleName + e)).find((f) => f.startsWith(root + path.sep) && fs.existsSync(f) && fs.statSync(f).isFile());
}

const checked = new Map<string, string | undefined>();

/**
 * What is wrong with a Node handler in a folder built on @polycloud/runtime, for the synth-time
 * validation (undefined when nothing is): its file does not exist, or an ES module does not export
 * the name. (A CommonJS module's exports are only known when it runs; its name is not checked.)
 */
export function handlerProblem(dir: string, handler: string): string | undefined {
  const { moduleName, exportName } = splitHandler(handler);
  const file = nodeHandlerFile(dir, moduleName);
  if (!file) return `a module ${moduleName} (.js, .cjs, .mjs or .ts) in ${dir}, the file the code is built from`;
  const st = fs.statSync(file);
  const key = `${file}\0${st.size}\0${st.mtimeMs}\0${exportName}`;
  if (checked.has(key)) return checked.get(key);
  // esbuild is a packaging-time dependency of this package, loaded only here.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require("esbuild") as typeof import("esbuild");
  let problem: string | undefined;
  try {
    const r = esbuild.buildSync({ entryPoints: [file], bundle: false, write: false, metafile: true, format: "esm", platform: "node", outdir: "out", logLevel: "silent" });
    const input = Object.values(r.metafile!.inputs)[0];
    const exports = Object.values(r.metafile!.outputs)[0]?.exports ?? [];
    if (input?.format === "esm" && !exports.includes(exportName)) {
      problem = `an export of ${path.basename(file)} (it exports ${exports.length ? exports.join(", ") : "nothing"})`;
    }
  } catch (e) {
    problem = `a module that parses: ${path.basename(file)}: ${((e as { errors?: { text: string }[] }).errors?.[0]?.text) ?? (e as Error).message}`;
  }
  checked.set(key, problem);
  return problem;
}
