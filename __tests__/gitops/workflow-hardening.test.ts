import { spawnSync } from "node:child_process";
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

test("the five workflows, the reusable stack workflow and the two local actions exist", () => {
  expect(files.map((f) => f.file)).toEqual(expect.arrayContaining([
    ".github/workflows/pull-request.yml",
    ".github/workflows/deploy.yml",
    ".github/workflows/drift.yml",
    ".github/workflows/recover.yml",
    ".github/workflows/release.yml",
    ".github/workflows/terraform-stack.yml",
    ".github/actions/setup-project/action.yml",
    ".github/actions/publish-packages/action.yml",
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
    const setup = files.find((f) => f.file === ".github/actions/setup-project/action.yml")!;
    expect(rulesAt(checkHardening([caller, stack, setup]))).toEqual([
      "permissions-reusable @ jobs.plan.permissions",
      "permissions-reusable @ jobs.plan.permissions",
      "permissions-reusable @ jobs.plan.permissions",
    ]);
  });

  test("29.11: a call of a local workflow or action with an undeclared input, or without a required one", () => {
    const stack = files.find((f) => f.file === ".github/workflows/terraform-stack.yml")!;
    const publish = files.find((f) => f.file === ".github/actions/publish-packages/action.yml")!;
    const caller: SourceFile = {
      file: ".github/workflows/caller.yml",
      text: [
        "name: caller",
        "on: push",
        "permissions: {}",
        "jobs:",
        "  plan:",
        "    permissions: { contents: read, id-token: write, actions: read, pull-requests: read }",
        "    uses: ./.github/workflows/terraform-stack.yml",
        // `enviroment` misspelt: the called workflow would never see it (GitHub rejects it only at run time).
        "    with: { stack: dev-aws, cloud: aws, enviroment: plan-dev, mode: plan, reviewed-run-id: '1' }",
        "    secrets: { AWS_ROLE_ARN: x }",
        "  publish:",
        "    runs-on: ubuntu-latest",
        "    timeout-minutes: 5",
        "    permissions: { contents: read }",
        "    steps:",
        "      - uses: ./.github/actions/publish-packages",
        "        with: { registry: https://npm.example/, app-client-id: a, app-private-key: b }",
        "      - uses: ./.github/actions/missing",
      ].join("\n"),
    };
    const findings = checkHardening([caller, stack, publish]);
    expect(findings.filter((f) => f.file === caller.file).map((f) => `${f.rule} @ ${f.at}: ${f.message}`).sort()).toEqual([
      "local-inputs @ jobs.plan.secrets.AWS_ROLE_ARN: ./.github/workflows/terraform-stack.yml declares no secret 'AWS_ROLE_ARN'",
      "local-inputs @ jobs.plan.with.enviroment: ./.github/workflows/terraform-stack.yml declares no input 'enviroment' (declared: stack, cloud, environment, mode, lock-id, address)",
      "local-inputs @ jobs.plan.with.reviewed-run-id: ./.github/workflows/terraform-stack.yml declares no input 'reviewed-run-id' (declared: stack, cloud, environment, mode, lock-id, address)",
      "local-inputs @ jobs.plan.with: ./.github/workflows/terraform-stack.yml requires input 'environment'",
      "local-inputs @ jobs.publish.steps[0].with.registry: ./.github/actions/publish-packages declares no input 'registry' (declared: registry-url, app-client-id, app-private-key, npm-token)",
      "local-inputs @ jobs.publish.steps[0].with: ./.github/actions/publish-packages requires input 'registry-url'",
      "local-inputs @ jobs.publish.steps[1].uses: ./.github/actions/missing not found among the checked files",
    ]);
    // Every call in the repository passes only declared inputs (the main hardening test covers all rules).
    expect(checkHardening(files).filter((f) => f.rule === "local-inputs")).toEqual([]);
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

  test("pull request: the integration project runs too, after PostgreSQL, PgBouncer and python3 are installed", () => {
    const job = pr.jobs.integration;
    const all = runs(job);
    const test = all.indexOf("npm run test:integration");
    const apt = all.findIndex((r) => /apt-get install\b.*\bpostgresql\b/.test(r) && /\bpgbouncer\b/.test(r) && /\bpython3\b/.test(r));
    expect(apt).toBeGreaterThanOrEqual(0);
    expect(test).toBeGreaterThan(apt);
    // The compiled scripts some journeys run (.ci/run builds them in `npm test` first).
    expect(all.indexOf("npm run build")).toBeGreaterThanOrEqual(0);
    expect(all.indexOf("npm run build")).toBeLessThan(test);
    expect(job.steps.find((s: any) => String(s.uses ?? "").startsWith("./.github/actions/setup-project"))).toBeDefined();
    // The script it runs is the one .ci/run runs.
    const rootPackage = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
    expect(rootPackage.scripts["test:integration"]).toBe("jest -c jest.integration.config.js");
    expect(fs.readFileSync(path.join(REPO_ROOT, ".ci/run"), "utf8")).toMatch(/^npm run test:integration$/m);
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

  test("deploy: dev, then staging, then prod per cloud, environments per stage, one apply or drift check per stack at a time", () => {
    expect(deploy.on).toEqual({ push: { branches: ["main"] } });
    for (const cloud of ["aws", "gcp", "azure"]) {
      expect(deploy.jobs[`dev-${cloud}`].needs).toBe("prepare");
      expect(deploy.jobs[`staging-${cloud}`].needs).toEqual(["prepare", `dev-${cloud}`]);
      expect(deploy.jobs[`prod-${cloud}`].needs).toEqual(["prepare", `dev-${cloud}`, `staging-${cloud}`]);
      for (const env of ["dev", "staging", "prod"]) expect(deploy.jobs[`${env}-${cloud}`].with).toEqual({ stack: "${{ matrix.stack }}", cloud: "${{ matrix.cloud }}", environment: env, mode: "apply" });
    }
    expect(stack.jobs.terraform.environment).toBe("${{ inputs.environment }}");
    expect(stack.jobs.terraform.concurrency.group).toBe("${{ inputs.mode == 'plan' && format('terraform-plan-{0}-{1}', inputs.stack, github.run_id) || format('terraform-{0}', inputs.stack) }}");
    expect(stack.jobs.terraform.concurrency["cancel-in-progress"]).toBe(false);
    const apply = stack.jobs.terraform.steps.map((s: any) => s.run ?? "").join("\n");
    expect(apply).toMatch(/npm run --silent plan:compare[\s\S]*terraform -chdir="cdktf\.out\/stacks\/\$STACK" apply .*plan\.tfplan/);
  });

  test("drift: scheduled, detailed exit code, issues opened or updated", () => {
    expect(drift.on.schedule[0].cron).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
    expect(drift.jobs.detect.with).toMatchObject({ mode: "drift", environment: "drift-${{ matrix.env }}" });
    expect(stack.jobs.terraform.steps.map((s: any) => s.run ?? "").join("\n")).toContain("-detailed-exitcode");
    expect(drift.jobs.report.permissions).toEqual({ contents: "read", issues: "write" });
    expect(runs(drift.jobs.report).join("\n")).toMatch(/gh issue create[\s\S]*gh issue edit|gh issue edit[\s\S]*gh issue create/);
  });

  test("release: main only (no tag trigger), the changesets PR opened with an App token, a registry token that is GITHUB_TOKEN only for GitHub Packages", () => {
    expect(release.on).toEqual({ push: { branches: ["main"] } });
    const action: any = load(files.find((f) => f.file === ".github/actions/publish-packages/action.yml")!.text);
    expect(stepUses({ steps: action.runs.steps })).toEqual(expect.arrayContaining(["actions/create-github-app-token", "changesets/action"]));
    const changesets = action.runs.steps.find((s: any) => String(s.uses).startsWith("changesets/action@"));
    expect(changesets.env.GITHUB_TOKEN).toBe("${{ steps.app-token.outputs.token }}");
    expect(changesets.env.NODE_AUTH_TOKEN).toBe("${{ inputs.npm-token || (steps.registry.outputs.github-packages == 'true' && github.token || '') }}");
    const app = action.runs.steps.find((s: any) => String(s.uses).startsWith("actions/create-github-app-token@"));
    expect(app).toMatchObject({ id: "app-token", with: { "client-id": "${{ inputs.app-client-id }}", "private-key": "${{ inputs.app-private-key }}" } });
    for (const job of ["publish", "publish-with-provenance"]) {
      expect(release.jobs[job].environment).toBe("release");
      expect(release.jobs[job].steps.at(-1)).toEqual({
        uses: "./.github/actions/publish-packages",
        with: { "registry-url": "${{ vars.NPM_REGISTRY_URL }}", "app-client-id": "${{ secrets.RELEASE_APP_CLIENT_ID }}", "app-private-key": "${{ secrets.RELEASE_APP_PRIVATE_KEY }}", "npm-token": "${{ secrets.NPM_TOKEN }}" },
      });
    }
    // github.token appears nowhere else as a registry token, and provenance is decided by the script.
    for (const f of files.filter((x) => /release\.yml$|publish-packages/.test(x.file))) expect(f.text).not.toContain("NPM_CONFIG_PROVENANCE=true");
    const releaseFiles = files.filter((f) => /release\.yml$|publish-packages/.test(f.file));
    expect(releaseFiles.flatMap((f) => f.text.match(/github\.token\b/g) ?? [])).toHaveLength(1);
    expect(action.runs.steps[0].run).toContain("npm run --silent registry:release-config");
    expect(runs(release.jobs.test)).toEqual(expect.arrayContaining(["npm run typecheck", "npm run lint", "npm run test:jest"]));
  });
});

describe("issue 29: release tests apart from publishing credentials, and waits for a registry", () => {
  const release = byName("release");
  const text = files.find((f) => f.file === ".github/workflows/release.yml")!.text;

  test("9: the test job holds no secret, no environment, no OIDC token and no write scope", () => {
    const t = release.jobs.test;
    expect(t.permissions).toEqual({ contents: "read" });
    expect(t.environment).toBeUndefined();
    expect(JSON.stringify(t)).not.toMatch(/secrets\.|github\.token/);
    // The publishing jobs run no test; only the one that attaches provenance may ask for an OIDC token.
    for (const job of ["publish", "publish-with-provenance"]) {
      expect(release.jobs[job].needs).toBe("test");
      expect(JSON.stringify(release.jobs[job].steps)).not.toMatch(/test:jest|npm run lint|npm test/);
    }
    expect(release.jobs.publish.permissions).toEqual({ contents: "read", packages: "write" });
    expect(release.jobs["publish-with-provenance"].permissions).toEqual({ contents: "read", packages: "write", "id-token": "write" });
    expect(release.jobs.publish.if).toBe("needs.test.outputs.provenance != 'true'");
    expect(release.jobs["publish-with-provenance"].if).toBe("needs.test.outputs.provenance == 'true'");
    expect(release.jobs.test.outputs.provenance).toBe("${{ steps.registry.outputs.provenance }}");
    expect(Object.keys(release.jobs).sort()).toEqual(["publish", "publish-with-provenance", "test"]);
  });

  test("13: nothing runs until the repository variable NPM_REGISTRY_URL names a registry", () => {
    expect(release.jobs.test.if).toBe("vars.NPM_REGISTRY_URL != ''");
    // Every other job needs test, so a skipped test skips them (GitHub skips dependents of a skipped job).
    for (const [id, job] of Object.entries<any>(release.jobs)) if (id !== "test") expect(job.needs).toBe("test");
    expect(text).not.toContain("secrets.NPM_REGISTRY_URL");
    expect(text).not.toMatch(/npm\.pkg\.github\.com/);
  });
});

describe("issue 29: recovery, the review key and drift's environments, as the stack workflow runs them", () => {
  const stack = byName("terraform-stack");
  const recover = byName("recover");
  const checkInputs = stack.jobs.terraform.steps.find((s: any) => s.name === "Check the inputs");
  /** The input check exactly as GitHub runs it (bash -eo pipefail), with the step's and job's variables. */
  const check = (vars: Record<string, string>) => spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", checkInputs.run], {
    env: { PATH: process.env.PATH, STACK: "prod-aws", CLOUD: "aws", MODE: "apply", LOCK_ID: "", ADDRESS: "", PLAN_REVIEW_KEY: "ab".repeat(32), ...vars }, encoding: "utf8",
  });

  test("10: recover.yml is dispatched by hand and runs unlock or untaint through terraform-stack.yml in the stack's deploy environment", () => {
    expect(Object.keys(recover.on)).toEqual(["workflow_dispatch"]);
    expect(recover.on.workflow_dispatch.inputs.action).toMatchObject({ type: "choice", options: ["unlock", "untaint"] });
    expect(recover.jobs.recover).toMatchObject({ needs: "target", uses: "./.github/workflows/terraform-stack.yml", with: { environment: "${{ needs.target.outputs.env }}", mode: "${{ inputs.action }}", "lock-id": "${{ inputs.lock-id }}", address: "${{ inputs.address }}" } });
    const runs = stack.jobs.terraform.steps.map((s: any) => [s.if, s.run]);
    expect(runs).toContainEqual(["inputs.mode == 'unlock'", 'terraform -chdir="cdktf.out/stacks/$STACK" force-unlock -force "$LOCK_ID"']);
    expect(runs).toContainEqual(["inputs.mode == 'untaint'", 'terraform -chdir="cdktf.out/stacks/$STACK" untaint -lock-timeout=15m "$ADDRESS"']);
    // Recovery shares the stack's concurrency group with apply and drift: no apply runs while a lock is released.
    expect(stack.jobs.terraform.concurrency.group).toContain("format('terraform-{0}', inputs.stack)");
  });

  test("10: the lock ID and the address are checked before they reach Terraform", () => {
    expect(check({ MODE: "unlock", LOCK_ID: "9db590f1-b6fe-c5f2-2678-8804f089deba" }).status).toBe(0);
    expect(check({ MODE: "unlock", LOCK_ID: "x; rm -rf /" }).status).toBe(1);
    expect(check({ MODE: "untaint", ADDRESS: "aws_rds_cluster.orders_main_cluster_5E6F7A8B" }).status).toBe(0);
    expect(check({ MODE: "untaint", ADDRESS: 'aws_lambda_function.fn["api"]' }).status).toBe(0);
    expect(check({ MODE: "untaint", ADDRESS: "aws_rds_cluster.x -lock=false" }).status).toBe(1);
    expect(check({ MODE: "destroy" }).status).toBe(1);
    expect(check({ STACK: "prod-aws-orders" }).status).toBe(0);
  });

  test("12: plans and applies refuse to run without PLAN_REVIEW_KEY; drift and recovery do not need it", () => {
    expect(check({ MODE: "plan", PLAN_REVIEW_KEY: "" })).toMatchObject({ status: 1, stdout: expect.stringContaining("PLAN_REVIEW_KEY is not a secret of this environment") });
    expect(check({ MODE: "apply", PLAN_REVIEW_KEY: "" }).status).toBe(1);
    expect(check({ MODE: "drift", PLAN_REVIEW_KEY: "" }).status).toBe(0);
    const plan = stack.jobs.terraform.steps.find((s: any) => s.id === "plan");
    expect(plan.env.PLAN_REVIEW_KEY).toBe("${{ secrets.PLAN_REVIEW_KEY }}");
    expect(plan.run).toContain('if [ "$MODE" = drift ]; then keyed=(--without-key); else keyed=(); fi');
    const compare = stack.jobs.terraform.steps.find((s: any) => /plan:compare/.test(s.run ?? ""));
    expect(compare.env).toEqual({ PLAN_REVIEW_KEY: "${{ secrets.PLAN_REVIEW_KEY }}" });
  });
});

describe("issue 18: the pipelines work the first time, and their trust boundaries", () => {
  const pr = byName("pull-request");
  const stack = byName("terraform-stack");
  const deploy = byName("deploy");
  const drift = byName("drift");
  const stepsOf = (job: any): any[] => job.steps ?? [];
  const indexOf = (job: any, pred: (s: any) => boolean) => stepsOf(job).findIndex(pred);
  const allSteps = files.flatMap((f) => {
    const doc: any = load(f.text);
    const jobs = Object.entries(doc.jobs ?? {}).flatMap(([id, j]: [string, any]) => stepsOf(j).map((s, i) => ({ at: `${f.file} jobs.${id}.steps[${i}]`, s })));
    return [...jobs, ...(doc.runs?.steps ?? []).map((s: any, i: number) => ({ at: `${f.file} runs.steps[${i}]`, s }))];
  });

  test("1: every mode refuses a stack with local state before terraform init; deploy and drift check all stacks first", () => {
    const t = stack.jobs.terraform;
    const check = indexOf(t, (s) => s.run === 'npm run --silent state:check -- "$STACK"');
    expect(check).toBeGreaterThan(indexOf(t, (s) => s.run === "npm run synth"));
    expect(check).toBeLessThan(indexOf(t, (s) => /terraform -chdir=\S+ init/.test(s.run ?? "")));
    expect(t.steps[check].if).toBeUndefined();
    for (const job of [deploy.jobs.prepare, drift.jobs.prepare]) {
      const all = indexOf(job, (s) => s.run === "npm run --silent state:check -- --all");
      expect(all).toBeGreaterThan(indexOf(job, (s) => s.run === "npm run synth"));
      expect(all).toBeLessThan(indexOf(job, (s) => s.id === "stacks"));
    }
    // The pipelines never ask for local state.
    expect(files.some((f) => f.text.includes("PLATFORM_LOCAL_STATE"))).toBe(false);
  });

  test("2: every artifact upload overwrites (a re-run would otherwise fail with 409)", () => {
    const uploads = allSteps.filter(({ s }) => String(s.uses ?? "").startsWith("actions/upload-artifact@"));
    expect(uploads.length).toBeGreaterThanOrEqual(2);
    for (const { at, s } of uploads) expect({ at, overwrite: s.with?.overwrite }).toEqual({ at, overwrite: true });
  });

  test("10: dependencies install without install scripts; the packages that have them are known not to need them", () => {
    const installs = allSteps.filter(({ s }) => /\bnpm (ci|install|i)\b/.test(s.run ?? ""));
    expect(installs.map(({ at }) => at)).toEqual([".github/actions/setup-project/action.yml runs.steps[1]"]);
    expect(installs[0].s.run).toBe("npm ci --ignore-scripts --no-audit --no-fund");
    const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8"));
    const withScripts = Object.entries(lock.packages as Record<string, any>).filter(([, v]) => v.hasInstallScript).map(([k]) => k.replace(/^.*node_modules\//, "")).sort();
    // A new package with an install script must be looked at: does CI need its script? Then run it explicitly.
    // esbuild's script only links its platform binary; without it the JS API resolves @esbuild/<platform> itself.
    expect(withScripts).toEqual(["@cdktf/node-pty-prebuilt-multiarch", "@swc/core", "esbuild"]);
  });

  test("13: Node 24 on the runners, one sticky comment also without affected stacks, no unused artifact, jq failures not masked", () => {
    const setup: any = load(files.find((f) => f.file === ".github/actions/setup-project/action.yml")!.text);
    expect(setup.runs.steps[0].with["node-version"]).toBe("24");
    expect(pr.jobs.comment.needs).toEqual(["check", "plan"]);
    expect(pr.jobs.comment.if).not.toMatch(/needs\.plan\.result/);
    expect(pr.jobs.comment.if).toContain("needs.check.result == 'success'");
    const summarize = pr.jobs.comment.steps.find((s: any) => s.name === "Summarize");
    expect(summarize.run).toContain('if [ "$STACKS" = "[]" ]; then');
    expect(summarize.run).toContain("No stack is affected by this change");
    expect(pr.jobs.comment.steps.find((s: any) => String(s.uses ?? "").startsWith("actions/download-artifact@")).if).toBe("needs.check.outputs.stacks != '[]'");
    expect(files.some((f) => f.text.includes("cdktf-out"))).toBe(false);
    const region = stack.jobs.terraform.steps.find((s: any) => s.id === "target");
    expect(region.run).toContain("region=$(jq -er ");
  });

  test("6, 7: only terraform-stack.yml holds cloud credentials, through the environment its caller names; plan-prod is planned through its own environment", () => {
    for (const f of files.filter((x) => x.file.startsWith(".github/workflows/") && x.file !== ".github/workflows/terraform-stack.yml")) {
      expect({ file: f.file, login: /configure-aws-credentials|google-github-actions\/auth|azure\/login/.test(f.text) }).toEqual({ file: f.file, login: false });
    }
    expect(pr.jobs.plan.with.environment).toBe("plan-${{ matrix.env }}");
    expect(drift.jobs.detect.with.environment).toBe("drift-${{ matrix.env }}");
    // The check job runs the pull request's code and holds no OIDC token.
    expect(pr.jobs.check.permissions).toEqual({ contents: "read" });
    // The jobs whose tokens the identities trust run this file (the subject's job_workflow_ref).
    const deploys = Object.entries<any>(deploy.jobs).filter(([id]) => id !== "prepare").map(([, j]) => j);
    expect(deploys).toHaveLength(9);
    for (const job of [pr.jobs.plan, drift.jobs.detect, byName("recover").jobs.recover, ...deploys]) expect(job.uses).toBe("./.github/workflows/terraform-stack.yml");
  });
});
