import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { load } from "js-yaml";
import { GithubGet, findReviewedPlan, main } from "../../scripts/gitops/reviewed-plan";
import { REPO_ROOT } from "../../scripts/registry/workspace-packages";

/**
 * Issue 29.1: one failed plan (or plan-prod waiting for its reviewer) must not block every deploy.
 * The pull request has one required summary job; the deploy looks each stack's reviewed plan up on
 * its own; each cloud is promoted on its own.
 */
const workflow = (name: string): any => load(fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", `${name}.yml`), "utf8"));
const REPO = "acme/platform";
const MERGE = "a".repeat(40);
const HEAD = "b".repeat(40);

/** A fake of the three GitHub REST endpoints the lookup reads, answering as GitHub documents them. */
function github(runs: { id: number; status: string; conclusion: string | null; path?: string; artifacts: { name: string; expired?: boolean }[] }[], pulls = [{ number: 12, merged_at: "2026-01-01T00:00:00Z", head: { sha: HEAD }, base: { ref: "main" } }]) {
  const calls: string[] = [];
  const get: GithubGet = async (p) => {
    calls.push(p);
    if (p === `repos/${REPO}/commits/${MERGE}/pulls`) return pulls;
    if (p === `repos/${REPO}/actions/workflows/pull-request.yml/runs?head_sha=${HEAD}&event=pull_request&per_page=100`) {
      return { total_count: runs.length, workflow_runs: runs.map((r) => ({ id: r.id, event: "pull_request", head_sha: HEAD, status: r.status, conclusion: r.conclusion, path: r.path ?? ".github/workflows/pull-request.yml" })) };
    }
    const m = /^repos\/acme\/platform\/actions\/runs\/(\d+)\/artifacts\?name=([^&]+)&per_page=10$/.exec(p);
    if (m) {
      const run = runs.find((r) => r.id === Number(m[1]))!;
      const artifacts = run.artifacts.filter((a) => a.name === m[2]).map((a, i) => ({ id: run.id * 10 + i, name: a.name, expired: a.expired ?? false }));
      return { total_count: artifacts.length, artifacts };
    }
    throw new Error(`unexpected GET ${p}`);
  };
  return { get, calls };
}

describe("the reviewed plan is looked up per stack", () => {
  const plans = (...stacks: string[]) => stacks.map((s) => ({ name: `plan-${s}` }));

  test("a run in which one stack failed to plan still holds the other stacks' plans", async () => {
    // Run 101 failed (dev-azure's plan failed); a stack that planned is found in it.
    const { get } = github([{ id: 101, status: "completed", conclusion: "failure", artifacts: plans("dev-aws", "dev-gcp") }]);
    expect((await findReviewedPlan(get, REPO, MERGE, "dev-aws")).found).toEqual({ runId: 101, pullRequest: 12, headSha: HEAD, artifactId: 1010 });
    const azure = await findReviewedPlan(get, REPO, MERGE, "dev-azure");
    expect(azure.found).toBeUndefined();
    expect(azure.notes[0]).toBe(`pull request #12 (head ${HEAD.slice(0, 7)}): no run holds a plan of dev-azure`);
  });

  test("while plan-prod waits for its reviewer (the run is in progress) dev and staging plans are found, prod's is not", async () => {
    const { get } = github([{ id: 7, status: "waiting", conclusion: null, artifacts: plans("dev-aws", "staging-aws") }]);
    expect((await findReviewedPlan(get, REPO, MERGE, "staging-aws")).found?.runId).toBe(7);
    expect((await findReviewedPlan(get, REPO, MERGE, "prod-aws")).notes).toEqual([
      `pull request #12 (head ${HEAD.slice(0, 7)}): no run holds a plan of prod-aws`, "run 7 (waiting) has no plan-prod-aws artifact",
    ]);
  });

  test("the newest run holding the stack's plan wins; expired artifacts and other workflows are skipped", async () => {
    const { get } = github([
      { id: 5, status: "completed", conclusion: "success", artifacts: plans("prod-aws") },
      { id: 9, status: "completed", conclusion: "success", artifacts: [{ name: "plan-prod-aws", expired: true }] },
      { id: 11, status: "completed", conclusion: "success", path: ".github/workflows/other.yml", artifacts: plans("prod-aws") },
      { id: 8, status: "completed", conclusion: "failure", artifacts: plans("prod-aws") },
    ]);
    const r = await findReviewedPlan(get, REPO, MERGE, "prod-aws");
    expect(r.found?.runId).toBe(8);
    expect(r.notes).toEqual(["run 9 (completed, success) has only an expired plan-prod-aws artifact"]);
  });

  test("a push that is no merged pull request, or one without a run, has no reviewed plan", async () => {
    expect((await findReviewedPlan(github([], []).get, REPO, MERGE, "dev-aws")).notes).toEqual([`${MERGE} is not the merge of a pull request into main`]);
    expect((await findReviewedPlan(github([]).get, REPO, MERGE, "dev-aws")).notes).toEqual([`pull request #12 (head ${HEAD.slice(0, 7)}) has no .github/workflows/pull-request.yml run`]);
    await expect(findReviewedPlan(github([]).get, REPO, "main", "dev-aws")).rejects.toThrow(/not a 40-character SHA/);
    await expect(findReviewedPlan(github([]).get, REPO, MERGE, "dev-aws; rm -rf /")).rejects.toThrow(/is not <env>-<cloud>/);
  });

  test("CLI: the run id goes to GITHUB_OUTPUT (empty when there is none, with a warning), exit 0 either way", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reviewed-plan-"));
    try {
      const out = path.join(dir, "out");
      const { get } = github([{ id: 42, status: "completed", conclusion: "success", artifacts: plans("dev-aws") }]);
      const env = { GITHUB_REPOSITORY: REPO, GITHUB_OUTPUT: out };
      expect(await main(["--stack", "dev-aws", "--commit", MERGE, "--github-output", "run-id"], env, get)).toEqual({ code: 0, output: `reviewed plan of dev-aws: run 42 of pull request #12 (head ${HEAD.slice(0, 7)})\n` });
      const none = await main(["--stack", "dev-gcp", "--commit", MERGE, "--github-output", "run-id"], env, get);
      expect(none.output).toMatch(/^::warning title=No reviewed plan::dev-gcp: .*only a plan without changes will be applied/);
      expect(fs.readFileSync(out, "utf8")).toBe("run-id=42\nrun-id=\n");
      expect((await main(["--stack", "dev-aws"], { GITHUB_REPOSITORY: "not a repo" }, get)).code).toBe(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the workflows around it", () => {
  const pr = workflow("pull-request");
  const deploy = workflow("deploy");
  const stack = workflow("terraform-stack");
  const steps = stack.jobs.terraform.steps as any[];
  const at = (pred: (s: any) => boolean) => steps.findIndex(pred);

  test("deploy: no run-wide 'successful run' requirement; each apply finds its own stack's plan, then downloads and compares it", () => {
    const texts = ["deploy", "terraform-stack"].map((n) => fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", `${n}.yml`), "utf8"));
    for (const t of texts) {
      expect(t).not.toContain("status=success");
      expect(t).not.toContain("reviewed-run-id");
    }
    const find = at((s) => s.id === "reviewed");
    expect(steps[find]).toMatchObject({ if: "inputs.mode == 'apply'", env: { GH_TOKEN: "${{ github.token }}" }, run: 'npm run --silent plan:reviewed -- --stack "$STACK" --commit "$GITHUB_SHA" --github-output run-id' });
    const download = at((s) => String(s.uses ?? "").startsWith("actions/download-artifact@"));
    expect(steps[download]).toMatchObject({ if: "inputs.mode == 'apply' && steps.reviewed.outputs.run-id != ''", with: { name: "plan-${{ inputs.stack }}", "run-id": "${{ steps.reviewed.outputs.run-id }}" } });
    expect(steps[download]["continue-on-error"]).toBeUndefined();
    const compare = at((s) => /plan:compare/.test(s.run ?? ""));
    expect(find).toBeLessThan(download);
    expect(download).toBeLessThan(compare);
    expect(stack.jobs.terraform.permissions).toEqual({ contents: "read", "id-token": "write", actions: "read", "pull-requests": "read" });
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
    expect(pkg.scripts["plan:reviewed"]).toBe("tsc -b && node dist/scripts/gitops/reviewed-plan.js");
  });

  test("deploy: each cloud is promoted on its own (a failure on one cloud holds back only that cloud)", () => {
    for (const cloud of ["aws", "gcp", "azure"]) {
      for (const env of ["staging", "prod"]) {
        const job = deploy.jobs[`${env}-${cloud}`];
        for (const other of ["aws", "gcp", "azure"].filter((c) => c !== cloud)) expect(JSON.stringify(job.needs) + job.if).not.toContain(`-${other}`);
      }
      expect(deploy.jobs.prepare.outputs[`prod-${cloud}`]).toBe(`\${{ steps.stacks.outputs.prod-${cloud} }}`);
    }
    expect(deploy.jobs.prepare.steps.find((s: any) => s.id === "stacks").run).toContain('npm run --silent stacks -- --env "$env" --cloud "$cloud" --github-output "$env-$cloud"');
  });

  test("pull request: one required job needs the plans and the comment, runs always, and fails on any failed plan", () => {
    const req = pr.jobs.required;
    expect(req).toMatchObject({ name: "plans (required)", needs: ["check", "plan", "comment"], if: "${{ always() }}", permissions: {} });
    const run = (env: Record<string, string>) => spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", req.steps[0].run], { env: { PATH: process.env.PATH, ...env }, encoding: "utf8" });
    const ok = { CHECK: "success", PLAN: "success", COMMENT: "success", STACKS: '[{"stack":"dev-aws"}]', FORK: "false" };
    expect(run(ok).status).toBe(0);
    // One stack's plan failed (the matrix's result is failure), or was cancelled: the required job fails.
    expect(run({ ...ok, PLAN: "failure" })).toMatchObject({ status: 1, stdout: expect.stringContaining("::error::plan: failure") });
    expect(run({ ...ok, PLAN: "cancelled" }).status).toBe(1);
    expect(run({ ...ok, CHECK: "failure", PLAN: "skipped" }).status).toBe(1);
    expect(run({ ...ok, COMMENT: "failure" }).status).toBe(1);
    // No affected stack: plan skipped, fine. A fork: not planned, fine.
    expect(run({ ...ok, STACKS: "[]", PLAN: "skipped" }).status).toBe(0);
    expect(run({ ...ok, FORK: "true", PLAN: "skipped", COMMENT: "skipped" }).status).toBe(0);
    // The docs name the two required checks as the workflow spells them.
    const docs = fs.readFileSync(path.join(REPO_ROOT, "docs", "gitops.md"), "utf8");
    expect(docs).toContain("`plans (required)`");
    expect(docs).toContain(`\`${pr.jobs.check.name}\``);
  });
});
