import * as fs from "node:fs";
import * as path from "node:path";
import { load } from "js-yaml";
import { Finding, SourceFile, checkHardening, formatFindings, repoWorkflowFiles } from "../../scripts/gitops/workflow-hardening";
import { REPO_ROOT } from "../../scripts/registry/workspace-packages";

/**
 * The hardening rules actionlint does not check, over every workflow and composite action of
 * the repository, with a negative fixture per rule; and the shape the GitOps issue asks for
 * (OIDC plans, one sticky comment, dev→staging→prod, drift issues, release with provenance).
 */
const files = repoWorkflowFiles(REPO_ROOT);
const byName = (name: string): any => load(files.find((f) => f.file === `.github/workflows/${name}.yml`)!.text);
const fixture = (name: string): SourceFile => ({ file: `fixtures/${name}`, text: fs.readFileSync(path.join(__dirname, "fixtures", "workflows", name), "utf8") });
const rulesAt = (findings: readonly Finding[]) => findings.map((f) => `${f.rule} @ ${f.at}`).sort();

test("the four workflows, the reusable stack workflow and the setup action exist", () => {
  expect(files.map((f) => f.file)).toEqual(expect.arrayContaining([
    ".github/workflows/pull-request.yml",
    ".github/workflows/deploy.yml",
    ".github/workflows/drift.yml",
    ".github/workflows/release.yml",
    ".github/workflows/terraform-stack.yml",
    ".github/actions/setup-project/action.yml",
  ]));
});

test("every workflow and action passes the hardening rules", () => {
  const findings = checkHardening(files);
  expect(formatFindings(findings)).toBe("");
});

describe("negative fixtures", () => {
  test("each rule fires where it is broken", () => {
    const findings = checkHardening([fixture("insecure.yml")]);
    expect(rulesAt(findings)).toEqual([
      "checkout-credentials @ jobs.build.steps[0].with",
      "expression-in-run @ jobs.build.steps[4].run",
      "permissions-broad @ jobs.build.permissions.administration",
      "permissions-broad @ jobs.image.permissions",
      "permissions-id-token @ jobs.build.permissions.id-token",
      "permissions-job @ jobs.reuse.permissions",
      "permissions-top @ permissions",
      "pin-comment @ line 20",
      "pin-sha @ line 19",
      "pin-sha @ line 33",
      "pin-sha @ line 36",
      "privileged-trigger @ on",
      "secrets-inherit @ jobs.reuse.secrets",
      "timeout @ jobs.build.timeout-minutes",
      "timeout @ jobs.image.timeout-minutes",
      "untrusted-in-run @ jobs.build.steps[2].run",
      "untrusted-in-run @ jobs.build.steps[3].run",
      "untrusted-in-run @ jobs.build.steps[5].with.script",
    ]);
    expect(findings.find((f) => f.at === "jobs.build.steps[2].run")!.message).toMatch(/github\.event\.pull_request\.title.*env:/);
  });

  test("a caller that grants a reusable workflow less than its jobs need", () => {
    const caller: SourceFile = {
      file: ".github/workflows/caller.yml",
      text: [
        "name: caller",
        "on: push",
        "permissions: {}",
        "jobs:",
        "  plan:",
        "    permissions:",
        "      contents: read",
        "    uses: ./.github/workflows/terraform-stack.yml",
        "    with: { stack: dev-aws, cloud: aws, environment: plan-dev, mode: plan }",
        "    secrets: inherit",
      ].join("\n"),
    };
    const stack = files.find((f) => f.file === ".github/workflows/terraform-stack.yml")!;
    expect(rulesAt(checkHardening([caller, stack]))).toEqual([
      "permissions-reusable @ jobs.plan.permissions",
      "permissions-reusable @ jobs.plan.permissions",
    ]);
  });

  test("a missing top-level block, a branch pin and a composite action's script expression", () => {
    const action: SourceFile = {
      file: ".github/actions/x/action.yml",
      text: "name: x\nruns:\n  using: composite\n  steps:\n    - uses: actions/cache@main\n    - shell: bash\n      run: echo ${{ inputs.name }}\n",
    };
    const workflow: SourceFile = { file: ".github/workflows/y.yml", text: "name: y\non: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    permissions: {}\n    timeout-minutes: 5\n    steps:\n      - run: echo ok\n" };
    expect(rulesAt(checkHardening([action, workflow]))).toEqual([
      "permissions-top @ permissions",
      "pin-sha @ line 5",
      "untrusted-in-run @ runs.steps[1].run",
    ]);
  });
});

describe("what the issue asks of each workflow", () => {
  const pr = byName("pull-request");
  const stack = byName("terraform-stack");
  const deploy = byName("deploy");
  const drift = byName("drift");
  const release = byName("release");
  const stepUses = (job: any): string[] => (job.steps ?? []).map((s: any) => String(s.uses ?? "").split("@")[0].toLowerCase());
  const runs = (job: any): string[] => (job.steps ?? []).map((s: any) => s.run).filter(Boolean);

  test("pull request: the check job runs the scripts of `npm run check`, in its order", () => {
    const rootPackage = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
    const checkSteps = (rootPackage.scripts.check as string).split("&&").map((s) => s.trim());
    expect(checkSteps.every((s) => /^npm run [\w:-]+( --if-present)?$/.test(s))).toBe(true);
    const ci = runs(pr.jobs.check).filter((r) => checkSteps.includes(r));
    expect(ci).toEqual(checkSteps);
    for (const step of checkSteps) expect(rootPackage.scripts[step.split(" ")[2]] ?? step.includes("--if-present")).toBeTruthy();
    expect(pr.jobs.check.steps.find((s: any) => String(s.uses ?? "").startsWith("./.github/actions/setup-project"))).toBeDefined();
  });

  test("pull request: affected stacks are planned with OIDC, plans uploaded, one sticky comment", () => {
    expect(pr.jobs.plan).toMatchObject({ needs: "check", uses: "./.github/workflows/terraform-stack.yml", with: { mode: "plan" } });
    expect(pr.jobs.plan.strategy.matrix.include).toBe("${{ fromJSON(needs.check.outputs.stacks) }}");
    expect(stepUses(stack.jobs.terraform)).toEqual(expect.arrayContaining(["aws-actions/configure-aws-credentials", "google-github-actions/auth", "azure/login", "actions/upload-artifact"]));
    // No long-lived keys: the logins take only role / provider / client ids.
    for (const s of stack.jobs.terraform.steps.filter((x: any) => /configure-aws-credentials|google-github-actions\/auth|azure\/login/.test(x.uses ?? ""))) {
      expect(Object.keys(s.with).filter((k) => /access-key|secret-access|credentials_json|creds|client-secret/.test(k))).toEqual([]);
    }
    expect(stack.jobs.terraform.permissions["id-token"]).toBe("write");
    const sticky = pr.jobs.comment.steps.filter((s: any) => String(s.uses ?? "").startsWith("marocchino/sticky-pull-request-comment@"));
    expect(sticky).toHaveLength(1);
    expect(sticky[0].with).toMatchObject({ header: "terraform-plan", path: "plan-summary.md" });
    expect(runs(pr.jobs.comment).join("\n")).toContain("npm run --silent plan:summary");
  });

  test("deploy: dev, then staging, then prod, environments per stage, one apply per stack at a time", () => {
    expect(deploy.on).toEqual({ push: { branches: ["main"] } });
    expect(deploy.jobs.dev.needs).toBe("prepare");
    expect(deploy.jobs.staging.needs).toEqual(["prepare", "dev"]);
    expect(deploy.jobs.prod.needs).toEqual(["prepare", "dev", "staging"]);
    for (const env of ["dev", "staging", "prod"]) expect(deploy.jobs[env].with).toMatchObject({ environment: env, mode: "apply" });
    expect(stack.jobs.terraform.environment).toBe("${{ inputs.environment }}");
    expect(stack.jobs.terraform.concurrency.group).toContain("format('terraform-apply-{0}', inputs.stack)");
    expect(stack.jobs.terraform.concurrency["cancel-in-progress"]).toBe(false);
    const apply = stack.jobs.terraform.steps.map((s: any) => s.run ?? "").join("\n");
    expect(apply).toMatch(/npm run --silent plan:compare[\s\S]*terraform -chdir="cdktf\.out\/stacks\/\$STACK" apply .*plan\.tfplan/);
  });

  test("drift: scheduled, detailed exit code, issues opened or updated", () => {
    expect(drift.on.schedule[0].cron).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
    expect(drift.jobs.detect.with).toMatchObject({ mode: "drift" });
    expect(stack.jobs.terraform.steps.map((s: any) => s.run ?? "").join("\n")).toContain("-detailed-exitcode");
    expect(drift.jobs.report.permissions).toEqual({ contents: "read", issues: "write" });
    expect(runs(drift.jobs.report).join("\n")).toMatch(/gh issue create[\s\S]*gh issue edit|gh issue edit[\s\S]*gh issue create/);
  });

  test("release: main only (no tag trigger), the changesets PR opened with an App token, a registry token that is GITHUB_TOKEN only for GitHub Packages", () => {
    expect(release.on).toEqual({ push: { branches: ["main"] } });
    expect(release.jobs.release.environment).toBe("release");
    expect(stepUses(release.jobs.release)).toEqual(expect.arrayContaining(["actions/create-github-app-token", "changesets/action"]));
    const changesets = release.jobs.release.steps.find((s: any) => String(s.uses).startsWith("changesets/action@"));
    expect(changesets.env.GITHUB_TOKEN).toBe("${{ steps.app-token.outputs.token }}");
    expect(changesets.env.NODE_AUTH_TOKEN).toBe("${{ secrets.NPM_TOKEN || (steps.registry.outputs.github-packages == 'true' && github.token || '') }}");
    const app = release.jobs.release.steps.find((s: any) => String(s.uses).startsWith("actions/create-github-app-token@"));
    expect(app).toMatchObject({ id: "app-token", with: { "client-id": "${{ secrets.RELEASE_APP_CLIENT_ID }}", "private-key": "${{ secrets.RELEASE_APP_PRIVATE_KEY }}" } });
    // The job's own token can no longer write the repository; the App does that.
    expect(release.jobs.release.permissions).toEqual({ contents: "read", "id-token": "write", packages: "write" });
    // github.token appears nowhere else as a registry token, and provenance is decided by the script.
    const text = files.find((f) => f.file === ".github/workflows/release.yml")!.text;
    expect(text.match(/github\.token/g)).toHaveLength(1);
    expect(text).not.toContain("NPM_CONFIG_PROVENANCE=true");
    expect(runs(release.jobs.release).join("\n")).toContain("npm run --silent registry:release-config");
    expect(runs(release.jobs.release)).toEqual(expect.arrayContaining(["npm run typecheck", "npm run lint", "npm run test:jest"]));
  });
});
