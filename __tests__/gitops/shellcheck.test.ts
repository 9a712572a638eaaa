import { repoWorkflowFiles } from "../../scripts/gitops/workflow-hardening";
import { formatShellFindings, runBlocks, shellcheck, shellcheckAvailable } from "../../scripts/gitops/shellcheck";
import { REPO_ROOT } from "../../scripts/registry/workspace-packages";

/**
 * shellcheck (Debian's package; .ci/run installs it, GitHub's runners have it) over every `run:`
 * block, extracted from the workflows and the composite action. Without shellcheck the suite fails
 * in CI and is skipped with a message on a developer's machine.
 */
const available = shellcheckAvailable();
if (!available && process.env.CI) throw new Error("shellcheck is not installed (apt-get install shellcheck); .ci/run installs it");
const maybe = available ? test : test.skip;
if (!available) console.warn("shellcheck not installed: skipping the run-block checks (apt-get install shellcheck)");

const files = repoWorkflowFiles(REPO_ROOT);
const blocks = runBlocks(files);

test("every run block is extracted, with the variables its step, job and runner provide", () => {
  expect(blocks.length).toBeGreaterThanOrEqual(25);
  expect(new Set(blocks.map((b) => b.file))).toEqual(new Set(files.map((f) => f.file)));
  const plan = blocks.find((b) => b.file === ".github/workflows/terraform-stack.yml" && b.script.includes("-detailed-exitcode"))!;
  expect(plan.env).toEqual(expect.arrayContaining(["STACK", "MODE", "ARM_CLIENT_ID", "GITHUB_OUTPUT", "RUNNER_TEMP"]));
});

maybe("no shellcheck finding in any run block (all optional checks on)", () => {
  expect(formatShellFindings(shellcheck(blocks))).toBe("");
});

maybe("negative: the masked jq failure (SC2312), a variable no env: provides (SC2153, SC2154) and an unquoted expansion (SC2086)", () => {
  const text = [
    "name: x",
    "on: push",
    "permissions: {}",
    "jobs:",
    "  a:",
    "    runs-on: ubuntu-latest",
    "    timeout-minutes: 5",
    "    permissions: {}",
    "    env:",
    "      STACK: dev-aws",
    "    steps:",
    "      - run: echo \"aws-region=$(jq -r '.provider.aws[0].region' \"cdktf.out/stacks/$STACK/cdk.tf.json\")\" >> \"$GITHUB_OUTPUT\"",
    "      - env:",
    "          STACKS: \"[]\"",
    "        run: |",
    "          echo \"$STACKZ\"",
    "          ls $STACKS",
    "",
  ].join("\n");
  const findings = shellcheck(runBlocks([{ file: "fixtures/x.yml", text }]));
  expect(findings.map((f) => `${f.at}:${f.line}:${f.code}`).sort()).toEqual([
    "jobs.a.steps[0].run:1:SC2312",
    "jobs.a.steps[1].run:1:SC2153",
    "jobs.a.steps[1].run:1:SC2154",
    "jobs.a.steps[1].run:2:SC2086",
  ]);
});
