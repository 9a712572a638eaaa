import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Synth-time checks that a function's `handler` names code that exists, so the wrong code (or
 * none) is never deployed silently: the file `<file>` of `<file>.<export>` in the source folder,
 * and where it can be told without running it, the export or function. Messages are the
 * "allowed" part of a validation problem on `functions.<id>.handler`.
 */

interface HandlerInspector { handlerProblem(dir: string, handler: string): string | undefined }

function inspector(): HandlerInspector | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("@polycloud/runtime") as HandlerInspector;
  } catch {
    return undefined; // packaging reports that the runtime is missing
  }
}

const NODE_EXTENSIONS = ["", ".js", ".cjs", ".mjs", ".ts"];

function usesRuntime(dir: string): boolean {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    return !!(m.dependencies?.["@polycloud/runtime"] ?? m.devDependencies?.["@polycloud/runtime"]);
  } catch {
    return false;
  }
}

/** Files the generated Python entry points take: a folder that has them cannot be packaged for every cloud. */
export const PYTHON_GENERATED = { gcp: "main.py", azure: "function_app.py" } as const;

/** `pkg.mod.fn` → module path `pkg/mod`, function `fn` (Python's dotted module names). */
export function splitPythonHandler(handler: string): { modulePath: string; functionName: string } {
  const parts = handler.split(".");
  const functionName = parts.pop() ?? "";
  return { modulePath: parts.join("/"), functionName };
}

/** The file of a Python module in `dir`: `<path>.py` or `<path>/__init__.py`. */
export function pythonModuleFile(dir: string, modulePath: string): string | undefined {
  if (!modulePath) return undefined;
  return [`${modulePath}.py`, `${modulePath}/__init__.py`].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Whether a Python module binds `name` at its top level (def, class, assignment or import). */
export function pythonDefines(source: string, name: string): boolean {
  const n = escape(name);
  return [
    new RegExp(`^(?:async\\s+)?def\\s+${n}\\s*\\(`, "m"),
    new RegExp(`^class\\s+${n}\\b`, "m"),
    new RegExp(`^${n}\\s*(?::[^=\\n]*)?=(?!=)`, "m"),
    new RegExp(`^(?:[A-Za-z_][A-Za-z0-9_]*\\s*,\\s*)+${n}\\s*=(?!=)`, "m"),
    new RegExp(`^from\\s+\\S+\\s+import\\s+(?:\\([^)]*|[^\\n]*)\\b${n}\\b`, "m"),
    new RegExp(`^import\\s+[^\\n]*\\bas\\s+${n}\\b`, "m"),
  ].some((re) => re.test(source));
}

/**
 * What is wrong with `handler` in `dir` for `runtime`, or undefined. `clouds` are the clouds the
 * service may be deployed to (the files a cloud's Python entry point takes only matter there).
 */
export function handlerFileProblem(dir: string, handler: string, runtime: string | undefined, clouds: readonly string[] = ["aws", "gcp", "azure"]): string | undefined {
  if (runtime?.startsWith("python")) {
    const { modulePath, functionName } = splitPythonHandler(handler);
    if (!modulePath || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(functionName) || !modulePath.split("/").every((m) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(m))) {
      return "<module>.<function> with Python identifiers, such as main.handler";
    }
    const file = pythonModuleFile(dir, modulePath);
    if (!file) return `a module ${modulePath.replace(/\//g, ".")} (${modulePath}.py) in ${dir}`;
    if (!pythonDefines(fs.readFileSync(file, "utf8"), functionName)) return `a function ${functionName} defined at the top level of ${path.relative(dir, file)}`;
    if (clouds.includes("azure") && fs.existsSync(path.join(dir, PYTHON_GENERATED.azure))) {
      return `a folder without ${PYTHON_GENERATED.azure}, which packaging writes for Azure Functions (the v2 programming model entry)`;
    }
    if (clouds.includes("gcp") && modulePath !== "main" && fs.existsSync(path.join(dir, PYTHON_GENERATED.gcp))) {
      return `a handler in main.py, or a folder without main.py: packaging writes main.py for the Functions Framework on GCP`;
    }
    return undefined;
  }
  if (runtime?.startsWith("nodejs")) {
    const i = handler.lastIndexOf(".");
    const moduleName = i > 0 ? handler.slice(0, i) : "index";
    const exists = NODE_EXTENSIONS.some((e) => { const f = path.join(dir, moduleName + e); return fs.existsSync(f) && fs.statSync(f).isFile(); });
    // A Python module where a Node one is expected: most likely the runtime is the mistake.
    const python = !exists && pythonModuleFile(dir, moduleName.replace(/\./g, "/")) ? ` (the folder has ${moduleName}.py: is runtime ${runtime} meant to be a python3.x runtime?)` : "";
    // Plain Node folders are checked like runtime ones: the file, and the export where it can be told.
    const inspected = inspector();
    if (inspected && exists) return inspected.handlerProblem(dir, handler);
    if (!exists) return `a module ${moduleName} (.js, .cjs, .mjs or .ts) in ${dir}${usesRuntime(dir) ? ", the file the code is built from" : ""}${python}`;
  }
  return undefined;
}

/**
 * Whether a function's folder can be packaged: it exists and its handler names code in it. When
 * not, the function constructs package nothing and validation reports why (a missing folder on
 * `functions.<id>.source`, the rest on `functions.<id>.handler`), all problems in one run.
 */
export function packageable(dir: string, handler: string, runtime: string | undefined, cloud: "aws" | "gcp" | "azure"): boolean {
  return fs.existsSync(dir) && !handlerFileProblem(dir, handler, runtime, [cloud]);
}
