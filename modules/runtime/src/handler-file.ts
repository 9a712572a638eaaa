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
    // ES modules: esbuild lists the exports. CommonJS: read from the source where it can be told
    // (exports.x =, module.exports = { ... }); a module.exports set to a function or variable is not checked.
    const names = input?.format === "esm" ? exports : commonJsExports(fs.readFileSync(file, "utf8"));
    if (names && !names.includes(exportName)) {
      problem = `an export of ${path.basename(file)} (it exports ${names.length ? names.join(", ") : "nothing"})`;
    }
  } catch (e) {
    problem = `a module that parses: ${path.basename(file)}: ${((e as { errors?: { text: string }[] }).errors?.[0]?.text) ?? (e as Error).message}`;
  }
  checked.set(key, problem);
  return problem;
}

const IDENT = /[A-Za-z_$][\w$]*/y;

/**
 * The names a CommonJS module exports, read from its source: `exports.x = …`, `module.exports.x
 * = …`, `exports["x"] = …`, `Object.defineProperty(exports, "x", …)` and the keys of object
 * literals assigned to `module.exports`. Undefined when that cannot tell: `module.exports` is set
 * to anything but an object literal, or the literal spreads another object.
 */
export function commonJsExports(source: string): string[] | undefined {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/(^|[^:\\])\/\/.*$/gm, "$1");
  const names = new Set<string>();
  for (const m of code.matchAll(/\b(?:module\.)?exports\.([A-Za-z_$][\w$]*)\s*=(?!=)/g)) names.add(m[1]);
  for (const m of code.matchAll(/\b(?:module\.)?exports\[\s*(["'`])([^"'`]+)\1\s*\]\s*=(?!=)/g)) names.add(m[2]);
  for (const m of code.matchAll(/Object\.defineProperty\(\s*(?:module\.)?exports\s*,\s*(["'`])([^"'`]+)\1/g)) names.add(m[2]);
  let assigned = false;
  for (const m of code.matchAll(/\bmodule\.exports\s*=(?!=)\s*/g)) {
    assigned = true;
    const keys = objectLiteralKeys(code, m.index! + m[0].length);
    if (!keys) return undefined;
    keys.forEach((k) => names.add(k));
  }
  if (!assigned && names.size === 0 && /\b(?:module\.)?exports\b/.test(code)) return undefined;
  return [...names];
}

/** Top-level keys of the object literal starting at `at`, or undefined (not a literal, or a spread). */
function objectLiteralKeys(code: string, at: number): string[] | undefined {
  if (code[at] !== "{") return undefined;
  const keys: string[] = [];
  let depth = 0;
  let expectKey = true;
  for (let i = at; i < code.length; i++) {
    const c = code[i];
    if (c === "\"" || c === "'" || c === "`") {
      const end = closingQuote(code, i);
      if (depth === 1 && expectKey) { keys.push(code.slice(i + 1, end)); expectKey = false; }
      i = end;
      continue;
    }
    if ("{[(".includes(c)) { depth++; continue; }
    if ("}])".includes(c)) {
      depth--;
      if (depth === 0) return keys;
      continue;
    }
    if (depth !== 1) continue;
    if (c === ",") { expectKey = true; continue; }
    if (!expectKey || /\s/.test(c)) continue;
    if (code.startsWith("...", i)) return undefined;
    IDENT.lastIndex = i;
    const id = IDENT.exec(code);
    if (!id) { expectKey = false; continue; }
    let name = id[0];
    let end = i + name.length;
    // `async x() {}`, `get x() {}`: the name is the second word.
    const next = /^\s+([A-Za-z_$][\w$]*)\s*\(/.exec(code.slice(end));
    if (["async", "get", "set"].includes(name) && next) { name = next[1]; end += next[0].length - 1; }
    keys.push(name);
    expectKey = false;
    i = end - 1;
  }
  return undefined;
}

function closingQuote(code: string, start: number): number {
  const q = code[start];
  for (let i = start + 1; i < code.length; i++) {
    if (code[i] === "\\") i++;
    else if (code[i] === q) return i;
  }
  return code.length;
}
