import * as fs from "node:fs";
import * as path from "node:path";
import { load } from "js-yaml";
import { environments } from "../fixtures/sample/environments";
import {
  Identity, MAIN, STACK_WORKFLOW, SUBJECT_CLAIMS, awsTrustPolicy, azureCredentials, gcpAttributeMapping, gcpMembers, gcpPoolCondition,
  githubEnvironments, identities, subject,
} from "../../scripts/gitops/github-trust";
import { checkGithub } from "../../scripts/gitops/setup-check";
import { docsSetup, main, setupMarkdown } from "../../scripts/gitops/setup";
import { REQUIRED_CHECKS, rulesetBody, setupScripts } from "../../scripts/gitops/setup-scripts";
import { GithubGet } from "../../scripts/gitops/reviewed-plan";
import { formatShellFindings, shellcheck, shellcheckAvailable } from "../../scripts/gitops/shellcheck";
import { REPO_ROOT } from "../../scripts/registry/workspace-packages";
import { readDocSection } from "../../scripts/doc-section";
import { synthesizeAll } from "../helpers/sample-json";

/**
 * The one-time setup, generated from environments/*.ts and the synthesized stacks: GitHub
 * environments and their protection, the customised OIDC subject, and each cloud's trust, evaluated
 * here against the tokens GitHub issues to the real jobs and to an attacker's branch; the scripts
 * gitops:setup writes (shellcheck); and the read-back of GitHub's protection rules.
 */
const REPO = "acme/platform";
const envs = githubEnvironments(environments);
const env = (name: string) => envs.find((e) => e.name === name)!;
const ids = identities(environments);
const identity = (kind: "plan" | "deploy", stage: string) => ids.find((i) => i.kind === kind && i.stage === stage)!;
const workflow = (name: string): any => load(fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", `${name}.yml`), "utf8"));
// The sample stacks, for the sample environments this test names (the project's composition is a team's).
const stacks = synthesizeAll() as any;

/** The claims of a token for a job of `file` taken at `workflowRef`, in a run triggered on `ref`, in `environment`. */
const token = (environment: string, ref: string, workflowRef = ref, file = STACK_WORKFLOW, repo = REPO) => ({
  sub: subject(repo, environment, ref, workflowRef, file).replace(/^repo:acme\/platform:/, `repo:${repo}:`), aud: "sts.amazonaws.com", repository: repo, environment, ref,
  job_workflow_ref: `${repo}/${file}@${workflowRef}`, repository_id: "42", run_id: "7",
});
type Token = ReturnType<typeof token>;
const glob = (pattern: string, value: string) => new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(value);

/** IAM: any statement whose StringEquals and StringLike all hold (values may be lists: any of them). */
function awsAllows(policy: any, t: Token): boolean {
  const value = (k: string) => (k.endsWith(":sub") ? t.sub : k.endsWith(":aud") ? t.aud : "");
  const all = (m: Record<string, string | string[]> | undefined, eq: (p: string, v: string) => boolean) =>
    Object.entries(m ?? {}).every(([k, ps]) => (Array.isArray(ps) ? ps : [ps]).some((p) => eq(p, value(k))));
  return policy.Statement.some((s: any) => all(s.Condition.StringEquals, (p, v) => p === v) && all(s.Condition.StringLike, glob));
}

/** Entra: an exact subject, or a flexible credential's `claims['sub'] matches '<glob>'`. */
function azureAllows(credentials: any[], t: Token): boolean {
  return credentials.some((c) => (c.subject !== undefined ? c.subject === t.sub : glob(/matches '(.*)'$/.exec(c.claimsMatchingExpression.value)![1], t.sub)));
}

/** Evaluates the provider's CEL (a subset JavaScript shares: ==, +, &&, ||, !, ?:, startsWith, matches). */
function cel(expr: string, t: Token): unknown {
  const proto = String.prototype as any;
  proto.matches = function (re: string) { return new RegExp(re).test(String(this)); };
  try {
    return new Function("assertion", `return (${expr});`)(t);
  } finally {
    delete proto.matches;
  }
}
function gcpAllows(id: Identity, t: Token): boolean {
  if (cel(gcpPoolCondition(REPO), t) !== true) return false;
  const attributes = Object.fromEntries(gcpAttributeMapping().split(",").map((m) => [m.slice(0, m.indexOf("=")), String(cel(m.slice(m.indexOf("=") + 1), t))]));
  return gcpMembers(id).some((m) => {
    const [, attr, value] = /\/attribute\.([a-z_]+)\/(.+)$/.exec(m)!;
    return attributes[`attribute.${attr}`] === value;
  });
}

const allows = (id: Identity, t: Token) => {
  const account = environments.find((x) => x.name === id.stage)!.clouds.aws!.accountId;
  return { aws: awsAllows(awsTrustPolicy(REPO, id, account), t), gcp: gcpAllows(id, t), azure: azureAllows(azureCredentials(REPO, id), t) };
};
const everywhere = (v: boolean) => ({ aws: v, gcp: v, azure: v });

test("the subject the identities trust is the one GitHub issues to the real jobs", () => {
  expect(SUBJECT_CLAIMS).toEqual(["repo", "context", "ref", "job_workflow_ref"]);
  expect(workflow("deploy").on).toEqual({ push: { branches: ["main"] } });
  expect(Object.keys(workflow("pull-request").on)).toEqual(["pull_request"]);
  expect(subject(REPO, "prod", MAIN)).toBe("repo:acme/platform:environment:prod:ref:refs/heads/main:job_workflow_ref:acme/platform/.github/workflows/terraform-stack.yml@refs/heads/main");
});

describe("deploy identities trust terraform-stack.yml from main, run from main, in their own environment only", () => {
  test.each(["dev", "staging", "prod"])("%s", (stage) => {
    const id = identity("deploy", stage);
    expect(id.environments.map((e) => e.name)).toEqual([stage]);
    expect(allows(id, token(stage, MAIN))).toEqual(everywhere(true));
    // 29.6: a workflow on a branch calling terraform-stack.yml@main: its job_workflow_ref names main, its ref does not.
    expect(allows(id, token(stage, "refs/heads/feature", MAIN))).toEqual(everywhere(false));
    expect(allows(id, token(stage, "refs/pull/12/merge", MAIN))).toEqual(everywhere(false));
    // A branch pusher pointing a pull request's job at the environment (the merge ref, or their branch):
    expect(allows(id, token(stage, "refs/pull/12/merge"))).toEqual(everywhere(false));
    expect(allows(id, token(stage, "refs/heads/feature"))).toEqual(everywhere(false));
    // main calling the workflow from a branch (ref main, workflow at the branch):
    expect(allows(id, token(stage, MAIN, "refs/heads/feature"))).toEqual(everywhere(false));
    // Another workflow file (even on main), another environment's token, another repository:
    expect(allows(id, token(stage, MAIN, MAIN, ".github/workflows/pull-request.yml"))).toEqual(everywhere(false));
    expect(allows(id, token(`plan-${stage}`, MAIN))).toEqual(everywhere(false));
    expect(allows(id, token(`drift-${stage}`, MAIN))).toEqual(everywhere(false));
    expect(allows(id, token(stage, MAIN, MAIN, STACK_WORKFLOW, "evil/platform"))).toEqual(everywhere(false));
    // No wildcard in a deploy trust.
    expect(JSON.stringify(awsTrustPolicy(REPO, id, "1"))).not.toContain("StringLike");
    expect(JSON.stringify(azureCredentials(REPO, id))).not.toContain("claimsMatchingExpression");
  });
});

describe("plan identities: plan-<env> from pull requests' merge refs, drift-<env> from main", () => {
  test.each(["dev", "staging", "prod"])("%s", (stage) => {
    const id = identity("plan", stage);
    expect(id.environments.map((e) => e.name)).toEqual([`plan-${stage}`, `drift-${stage}`]);
    expect(allows(id, token(`plan-${stage}`, "refs/pull/12/merge"))).toEqual(everywhere(true));
    expect(allows(id, token(`drift-${stage}`, MAIN))).toEqual(everywhere(true));
    expect(allows(id, token(`drift-${stage}`, "refs/heads/feature", MAIN))).toEqual(everywhere(false));
    expect(allows(id, token(`drift-${stage}`, "refs/pull/12/merge"))).toEqual(everywhere(false));
    expect(allows(id, token(`plan-${stage}`, "refs/heads/feature"))).toEqual(everywhere(false));
    expect(allows(id, token(`plan-${stage}`, "refs/pull/12/merge", MAIN))).toEqual(everywhere(false));
    expect(allows(id, token(stage, MAIN))).toEqual(everywhere(false));
    expect(allows(id, token(`plan-${stage}`, "refs/pull/12/merge", "refs/pull/12/merge", ".github/workflows/pull-request.yml"))).toEqual(everywhere(false));
  });
});

test("environments: deploy, drift and release from main only; prod and plan-prod need a reviewer; drift never waits for one", () => {
  expect(envs.map((e) => [e.name, e.branches ?? "any", e.requiredReviewers])).toEqual([
    ["plan-dev", "any", false], ["plan-staging", "any", false], ["plan-prod", "any", true],
    ["drift-dev", ["main"], false], ["drift-staging", ["main"], false], ["drift-prod", ["main"], false],
    ["dev", ["main"], false], ["staging", ["main"], false], ["prod", ["main"], true],
    ["release", ["main"], false],
  ]);
  // Every environment a workflow names exists in the setup (and so is protected).
  const named = new Set(envs.map((e) => e.name));
  const release = workflow("release");
  for (const job of ["publish", "publish-with-provenance"]) expect(named.has(release.jobs[job].environment)).toBe(true);
  for (const stage of ["dev", "staging", "prod"]) for (const e of [`plan-${stage}`, `drift-${stage}`, stage]) expect(named.has(e)).toBe(true);
  // The review key is where plans are made and compared; drift compares nothing.
  expect(env("plan-prod").secrets).toContain("PLAN_REVIEW_KEY");
  expect(env("prod").secrets).toContain("PLAN_REVIEW_KEY");
  expect(env("drift-prod").secrets).not.toContain("PLAN_REVIEW_KEY");
});

test("every secret and variable the workflows read is one the setup creates and docs/gitops.md names", () => {
  const read = fs.readdirSync(path.join(REPO_ROOT, ".github", "workflows")).map((f) => fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", f), "utf8")).join("\n");
  const used = [...new Set([...read.matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]))].sort();
  const created = new Set(envs.flatMap((e) => e.secrets));
  expect(used.filter((s) => !created.has(s))).toEqual([]);
  expect([...read.matchAll(/vars\.([A-Z_]+)/g)].map((m) => m[1])).toEqual(expect.arrayContaining(["NPM_REGISTRY_URL"]));
  const docs = fs.readFileSync(path.join(REPO_ROOT, "docs", "gitops.md"), "utf8");
  for (const name of [...used, "NPM_REGISTRY_URL"]) expect({ name, documented: docs.includes(`\`${name}\``) }).toEqual({ name, documented: true });
});

describe("the scripts gitops:setup writes", () => {
  const scripts = setupScripts(REPO, environments, stacks);
  const byFile = (f: string) => scripts.find((s) => s.file === f)!.text;

  test("one per environment and cloud, and github.sh", () => {
    expect(scripts.map((s) => s.file)).toEqual(["github.sh", ...environments.flatMap((e) => [`${e.name}-aws.sh`, `${e.name}-gcp.sh`, `${e.name}-azure.sh`])]);
  });

  (shellcheckAvailable() ? test : test.skip)("are clean under shellcheck (all optional checks)", () => {
    const findings = shellcheck(scripts.map((s) => ({ file: s.file, at: "script", script: s.text.replace(/^#!.*\n/, ""), env: [] })));
    expect(formatShellFindings(findings)).toBe("");
  });

  test("github.sh: protection, the OIDC subject, the ruleset with both required checks, a review key per stage", () => {
    const gh = byFile("github.sh");
    expect(gh).toContain(`gh api -X PUT repos/${REPO}/actions/oidc/customization/sub --input - >/dev/null <<'JSON'\n{"use_default":false,"include_claim_keys":["repo","context","ref","job_workflow_ref"]}\nJSON`);
    expect(gh).toContain(`gh api -X PUT repos/${REPO}/environments/prod --input - >/dev/null <<JSON\n{"deployment_branch_policy":{"protected_branches":false,"custom_branch_policies":true},"reviewers":[{"type":"Team","id":\${REVIEWERS_TEAM_ID}}],"prevent_self_review":true}\nJSON`);
    expect(gh).toContain(`gh api -X PUT repos/${REPO}/environments/drift-prod --input - >/dev/null <<JSON\n{"deployment_branch_policy":{"protected_branches":false,"custom_branch_policies":true}}\nJSON`);
    for (const e of ["dev", "staging", "prod", "drift-prod", "release"]) expect(gh).toContain(`gh api -X POST repos/${REPO}/environments/${e}/deployment-branch-policies -f name=main -f type=branch`);
    expect(REQUIRED_CHECKS).toEqual([workflow("pull-request").jobs.check.name, workflow("pull-request").jobs.integration.name, workflow("pull-request").jobs.required.name]);
    expect(gh).toContain(JSON.stringify(rulesetBody()));
    for (const stage of ["dev", "staging", "prod"]) {
      expect(gh).toContain(`gh secret set PLAN_REVIEW_KEY --repo '${REPO}' --env 'plan-${stage}' --body "$key"\ngh secret set PLAN_REVIEW_KEY --repo '${REPO}' --env '${stage}' --body "$key"`);
    }
  });

  test("the cloud scripts create the state stores the stacks' backends name, and set the identity secrets", () => {
    for (const e of environments) {
      expect(byFile(`${e.name}-aws.sh`)).toContain(`aws s3api create-bucket --bucket '${e.clouds.aws!.backend!.bucket}'`);
      expect(byFile(`${e.name}-aws.sh`)).toContain(`gh secret set AWS_ROLE_ARN --repo '${REPO}' --env '${e.name}' --body "arn:aws:iam::${e.clouds.aws!.accountId}:role/github-${e.name}"`);
      expect(byFile(`${e.name}-aws.sh`)).toContain(`gh secret set AWS_ROLE_ARN --repo '${REPO}' --env 'drift-${e.name}' --body "arn:aws:iam::${e.clouds.aws!.accountId}:role/github-plan-${e.name}"`);
      expect(byFile(`${e.name}-gcp.sh`)).toContain(`gcloud storage buckets create 'gs://${e.clouds.gcp!.backend!.bucket}'`);
      expect(byFile(`${e.name}-azure.sh`)).toContain(`az storage container create --name '${e.clouds.azure!.backend!.containerName}' --account-name '${e.clouds.azure!.backend!.storageAccountName}'`);
      // The backends of the synthesized stacks are the stores the scripts create.
      for (const [name, s] of Object.entries<any>(stacks).filter(([n]) => n.startsWith(`${e.name}-`))) {
        const b = s.terraform.backend;
        if (b.s3) expect({ name, bucket: b.s3.bucket, key: b.s3.key.startsWith(`${e.name}/`), roleArn: b.s3.assume_role }).toEqual({ name, bucket: e.clouds.aws!.backend!.bucket, key: true, roleArn: undefined });
        if (b.gcs) expect({ name, bucket: b.gcs.bucket, impersonate: b.gcs.impersonate_service_account }).toEqual({ name, bucket: e.clouds.gcp!.backend!.bucket, impersonate: undefined });
        if (b.azurerm) expect({ name, container: b.azurerm.container_name, account: b.azurerm.storage_account_name }).toEqual({ name, container: e.clouds.azure!.backend!.containerName, account: e.clouds.azure!.backend!.storageAccountName });
      }
    }
  });
});

describe("29.8: gitops:setup check reads GitHub's protection back", () => {
  /** A GitHub that holds exactly what github.sh and the cloud scripts create. */
  function github(mutate: (state: Record<string, any>) => void = () => {}): GithubGet {
    const state: Record<string, any> = {};
    for (const e of envs) {
      state[`repos/${REPO}/environments/${e.name}`] = {
        name: e.name,
        protection_rules: [
          ...(e.requiredReviewers ? [{ id: 1, type: "required_reviewers", prevent_self_review: true, reviewers: [{ type: "Team", reviewer: { id: 7 } }] }] : []),
          ...(e.branches ? [{ id: 2, type: "branch_policy" }] : []),
        ],
        deployment_branch_policy: e.branches ? { protected_branches: false, custom_branch_policies: true } : null,
      };
      if (e.branches) state[`repos/${REPO}/environments/${e.name}/deployment-branch-policies`] = { total_count: 1, branch_policies: e.branches.map((name) => ({ id: 3, name, type: "branch" })) };
      state[`repos/${REPO}/environments/${e.name}/secrets`] = { total_count: e.secrets.length, secrets: e.secrets.map((name) => ({ name })) };
    }
    state[`repos/${REPO}/actions/oidc/customization/sub`] = { use_default: false, include_claim_keys: [...SUBJECT_CLAIMS] };
    state[`repos/${REPO}/rules/branches/main`] = rulesetBody().rules;
    mutate(state);
    return async (p) => {
      if (!(p in state)) throw new Error(`GET ${p}: 404 Not Found`);
      return state[p];
    };
  }

  test("the complete setup passes", async () => {
    expect(await checkGithub(github(), REPO, environments)).toEqual([]);
  });

  test("a private repository on Team: the reviewers GitHub silently dropped are reported", async () => {
    const team = github((s) => {
      for (const e of ["plan-prod", "prod"]) s[`repos/${REPO}/environments/${e}`].protection_rules = s[`repos/${REPO}/environments/${e}`].protection_rules.filter((r: any) => r.type !== "required_reviewers");
    });
    const problems = await checkGithub(team, REPO, environments);
    expect(problems).toEqual([
      expect.stringMatching(/^environment plan-prod has no required reviewers: a private or internal repository keeps them only on GitHub Enterprise .*a pull request's code plans against prod state unreviewed$/),
      expect.stringMatching(/^environment prod has no required reviewers: .*prod deploys without approval$/),
    ]);
  });

  test("missing environments, branch policies, secrets, OIDC claims and required checks are each named", async () => {
    const broken = github((s) => {
      delete s[`repos/${REPO}/environments/drift-dev`];
      s[`repos/${REPO}/environments/staging`].deployment_branch_policy = null;
      s[`repos/${REPO}/environments/dev/secrets`].secrets = [{ name: "AWS_ROLE_ARN" }];
      s[`repos/${REPO}/actions/oidc/customization/sub`] = { use_default: false, include_claim_keys: ["repo", "context", "job_workflow_ref"] };
      s[`repos/${REPO}/rules/branches/main`] = [{ type: "required_status_checks", parameters: { strict_required_status_checks_policy: false, required_status_checks: [{ context: "check (npm run check)" }] } }];
    });
    expect(await checkGithub(broken, REPO, environments)).toEqual([
      "environment drift-dev does not exist (github.sh creates it)",
      "environment dev lacks secrets GCP_WORKLOAD_IDENTITY_PROVIDER, GCP_SERVICE_ACCOUNT, AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_SUBSCRIPTION_ID, PLAN_REVIEW_KEY",
      "environment staging deploys from any branch; allowed: main (custom branch policies)",
      'OIDC subject claims are ["repo","context","job_workflow_ref"]; the identities trust ["repo","context","ref","job_workflow_ref"]',
      "main does not require pull requests (ruleset)",
      "main does not require 'integration (npm run test:integration)', 'plans (required)'",
      "main does not require branches to be up to date (the reviewed plan would not be the plan of what merges)",
    ]);
  });
});

test("docs/gitops.md's one-time setup is the generated one (run `npm run gitops:setup -- --write-docs` after changing it)", async () => {
  expect(readDocSection("gitops-setup", REPO_ROOT)).toBe(docsSetup(stacks));
  expect(await main(["--repo", "not a repo"], {}, stacks)).toMatchObject({ code: 2, output: expect.stringMatching(/is not <owner>\/<repo>/) });
  expect(await main(["--repo", REPO], {}, stacks)).toEqual({ code: 0, output: `${setupMarkdown(REPO, environments, stacks)}\n` });
  expect(await main(["check"], {}, stacks)).toMatchObject({ code: 2 });
});
