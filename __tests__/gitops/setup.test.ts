import * as fs from "node:fs";
import * as path from "node:path";
import { load } from "js-yaml";
import { environments } from "../../environments";
import {
  GithubEnvironment, MAIN, STACK_WORKFLOW, SUBJECT_CLAIMS, awsPlanPolicy, awsTrustPolicy, azureCredentials, gcpAttributeMapping, gcpMembers,
  githubEnvironments, main, planGrants, docsSetup, setupMarkdown, subject, trustedSubjects,
} from "../../scripts/gitops/setup";
import { REPO_ROOT } from "../../scripts/registry/workspace-packages";
import { readDocSection } from "../../scripts/doc-section";

/**
 * The one-time setup generated from one source (scripts/gitops/setup.ts + environments/*.ts):
 * environment protection, the customised OIDC subject, and each cloud's trust, evaluated here
 * against the tokens GitHub would issue to the real jobs and to an attacker's branch.
 */
const REPO = "acme/platform";
const envs = githubEnvironments();
const env = (name: string) => envs.find((e) => e.name === name)!;
const workflow = (name: string): any => load(fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", `${name}.yml`), "utf8"));

/** The claims of a token for a job of `file` at `ref` in `environment`. */
const token = (environment: string, ref: string, file = STACK_WORKFLOW) => ({
  sub: subject(REPO, environment, ref, file), aud: "sts.amazonaws.com", repository: REPO, environment, ref,
  job_workflow_ref: `${REPO}/${file}@${ref}`, repository_id: "42", run_id: "7",
});
type Token = ReturnType<typeof token>;
const glob = (pattern: string, value: string) => new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(value);

/** IAM's StringEquals / StringLike for the two keys the trust policies use. */
function awsAllows(policy: any, t: Token): boolean {
  const c = policy.Statement[0].Condition;
  const value = (k: string) => (k.endsWith(":sub") ? t.sub : k.endsWith(":aud") ? t.aud : undefined);
  const all = (m: Record<string, string | string[]> | undefined, eq: (p: string, v: string) => boolean) =>
    Object.entries(m ?? {}).every(([k, ps]) => (Array.isArray(ps) ? ps : [ps]).some((p) => eq(p, value(k) ?? "")));
  return all(c.StringEquals, (p, v) => p === v) && all(c.StringLike, glob);
}

/** Entra: an exact subject, or a flexible credential's `claims['sub'] matches '<glob>'`. */
function azureAllows(credentials: any[], t: Token): boolean {
  return credentials.some((c) => (c.subject !== undefined ? c.subject === t.sub : glob(/matches '(.*)'$/.exec(c.claimsMatchingExpression.value)![1], t.sub)));
}

/** Evaluates the GCP attribute mapping's CEL (a subset JavaScript shares: ==, &&, ||, !, ?:, startsWith, matches). */
function gcpAttributes(t: Token): Record<string, string> {
  const proto = String.prototype as any;
  proto.matches = function (re: string) { return new RegExp(re).test(String(this)); };
  try {
    return Object.fromEntries(gcpAttributeMapping(REPO).split(",").map((m) => {
      const [key, expr] = [m.slice(0, m.indexOf("=")), m.slice(m.indexOf("=") + 1)];
      return [key, String(new Function("assertion", `return (${expr});`)(t))];
    }));
  } finally {
    delete proto.matches;
  }
}
function gcpAllows(e: GithubEnvironment, t: Token): boolean {
  const a = gcpAttributes(t);
  return gcpMembers(e).some((m) => {
    const [, attr, value] = /\/attribute\.([a-z_]+)\/(.+)$/.exec(m)!;
    return a[`attribute.${attr}`] === value;
  });
}

const allows = (e: GithubEnvironment, t: Token) => {
  const account = environments.find((x) => x.name === e.stage)!.clouds.aws!.accountId;
  return { aws: awsAllows(awsTrustPolicy(REPO, e, account), t), gcp: gcpAllows(e, t), azure: azureAllows(azureCredentials(REPO, e), t) };
};
const everywhere = (v: boolean) => ({ aws: v, gcp: v, azure: v });

test("the subject the identities trust is the one GitHub issues to the real jobs", () => {
  expect(SUBJECT_CLAIMS).toEqual(["repo", "context", "job_workflow_ref"]);
  // deploy.yml runs terraform-stack.yml on pushes to main only, pull requests on their merge ref.
  expect(workflow("deploy").on).toEqual({ push: { branches: ["main"] } });
  expect(Object.keys(workflow("pull-request").on)).toEqual(["pull_request"]);
  for (const job of ["dev", "staging", "prod"]) expect(workflow("deploy").jobs[job].uses).toBe(`./${STACK_WORKFLOW}`);
  expect(subject(REPO, "prod", MAIN)).toBe("repo:acme/platform:environment:prod:job_workflow_ref:acme/platform/.github/workflows/terraform-stack.yml@refs/heads/main");
});

describe("deploy identities trust terraform-stack.yml from main, in their own environment only", () => {
  test.each(["dev", "staging", "prod"])("%s", (name) => {
    const e = env(name);
    expect(trustedSubjects(REPO, e)).toEqual([subject(REPO, name, MAIN)]);
    expect(allows(e, token(name, MAIN))).toEqual(everywhere(true));
    // A branch pusher pointing a pull request's job at the environment (the merge ref, or their branch):
    expect(allows(e, token(name, "refs/pull/12/merge"))).toEqual(everywhere(false));
    expect(allows(e, token(name, "refs/heads/feature"))).toEqual(everywhere(false));
    // Another workflow file (even on main), another environment's token, another repository:
    expect(allows(e, token(name, MAIN, ".github/workflows/pull-request.yml"))).toEqual(everywhere(false));
    expect(allows(e, token(`plan-${name}`, MAIN))).toEqual(everywhere(false));
    expect(allows(e, { ...token(name, MAIN), sub: token(name, MAIN).sub.replace(/acme\/platform/g, "evil/platform"), repository: "evil/platform", job_workflow_ref: `evil/platform/${STACK_WORKFLOW}@${MAIN}` })).toEqual(everywhere(false));
    // No wildcard in a deploy trust.
    expect(JSON.stringify(awsTrustPolicy(REPO, e, "1"))).not.toContain("StringLike");
    expect(JSON.stringify(azureCredentials(REPO, e))).not.toContain("claimsMatchingExpression");
  });
});

describe("plan identities trust pull-request merge refs and main (drift), in their own environment", () => {
  test.each(["plan-dev", "plan-staging", "plan-prod"])("%s", (name) => {
    const e = env(name);
    expect(allows(e, token(name, "refs/pull/12/merge"))).toEqual(everywhere(true));
    expect(allows(e, token(name, MAIN))).toEqual(everywhere(true));
    expect(allows(e, token(name, "refs/heads/feature"))).toEqual(everywhere(false));
    expect(allows(e, token(name.replace("plan-", ""), MAIN))).toEqual(everywhere(false));
    expect(allows(e, token(name, "refs/pull/12/merge", ".github/workflows/pull-request.yml"))).toEqual(everywhere(false));
  });
});

test("environment protection: deploy and release from main only; prod and plan-prod need a reviewer", () => {
  expect(envs.map((e) => [e.name, e.branches ?? "any", e.requiredReviewers])).toEqual([
    ["plan-dev", "any", false], ["plan-staging", "any", false], ["plan-prod", "any", true],
    ["dev", ["main"], false], ["staging", ["main"], false], ["prod", ["main"], true],
    ["release", ["main"], false],
  ]);
  // Every environment a workflow names is generated (and so protected).
  const named = new Set(envs.map((e) => e.name));
  expect(named.has(workflow("release").jobs.release.environment)).toBe(true);
  const md = setupMarkdown(REPO);
  for (const e of ["dev", "staging", "prod", "release"]) expect(md).toContain(`gh api -X POST repos/${REPO}/environments/${e}/deployment-branch-policies -f name=main -f type=branch`);
  expect(md).toContain(`gh api -X PUT repos/${REPO}/environments/plan-prod --input - <<'JSON'\n{"deployment_branch_policy":null,"reviewers":[{"type":"Team","id":"<REVIEWERS_TEAM_ID>"}],"prevent_self_review":true}\nJSON`);
  expect(md).toContain(`gh api -X PUT repos/${REPO}/actions/oidc/customization/sub --input - <<'JSON'\n{"use_default":false,"include_claim_keys":["repo","context","job_workflow_ref"]}\nJSON`);
});

test("plan identities are read-only by construction: only read roles and read actions", () => {
  for (const e of environments) {
    const aws = awsPlanPolicy(e);
    expect(aws.managed).toEqual(["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
    const actions = (aws.inline as any).Statement.flatMap((s: any) => s.Action);
    expect(actions.every((a: string) => /^s3:(Get|List)[A-Za-z]*$/.test(a))).toBe(true);
    expect((aws.inline as any).Statement.map((s: any) => s.Resource)).toEqual([`arn:aws:s3:::${e.clouds.aws!.backend!.bucket}`, `arn:aws:s3:::${e.clouds.aws!.backend!.bucket}/${e.name}/*`]);
    expect(planGrants(e).map((g) => `${g.cloud}:${g.role}`)).toEqual(["gcp:roles/viewer", "gcp:roles/storage.objectViewer", "azure:Reader", "azure:Storage Blob Data Reader"]);
  }
});

test("trust policies name each environment's own account (from environments/*.ts)", () => {
  const md = setupMarkdown(REPO);
  for (const e of environments) {
    expect(md).toContain(`"Federated": "arn:aws:iam::${e.clouds.aws!.accountId}:oidc-provider/token.actions.githubusercontent.com"`);
    expect(md).toContain(`github-plan-${e.name}@${e.clouds.gcp!.projectId}.iam.gserviceaccount.com`);
  }
  // Every secret the workflows read is named in the setup (docs/gitops.md: its table or the generated section).
  const readme = fs.readFileSync(path.join(REPO_ROOT, "docs", "gitops.md"), "utf8");
  const used = new Set(fs.readdirSync(path.join(REPO_ROOT, ".github", "workflows")).flatMap((f) => [...fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", f), "utf8").matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1])));
  expect([...used].sort()).toEqual(["AWS_ROLE_ARN", "AZURE_CLIENT_ID", "AZURE_SUBSCRIPTION_ID", "AZURE_TENANT_ID", "GCP_SERVICE_ACCOUNT", "GCP_WORKLOAD_IDENTITY_PROVIDER", "NPM_REGISTRY_URL", "NPM_TOKEN", "RELEASE_APP_CLIENT_ID", "RELEASE_APP_PRIVATE_KEY"]);
  for (const name of used) expect({ name, documented: readme.includes(`\`${name}\``) }).toEqual({ name, documented: true });
  expect(md).toContain("`RELEASE_APP_CLIENT_ID` and `RELEASE_APP_PRIVATE_KEY`");
});

test("docs/gitops.md's one-time setup is the generated one (run `npm run gitops:setup -- --write-docs` after changing it)", () => {
  expect(readDocSection("gitops-setup", REPO_ROOT)).toBe(docsSetup());
  expect(() => main(["--repo", "not a repo"])).toThrow(/is not <owner>\/<repo>/);
  expect(main(["--repo", REPO])).toBe(setupMarkdown(REPO));
});
