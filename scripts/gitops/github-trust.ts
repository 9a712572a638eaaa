import { EnvironmentConfig } from "@polycloud/core";

/**
 * Who may get which cloud identity: the GitHub environments, the customised OIDC subject, and the
 * subjects each identity trusts. Every credentialed job runs terraform-stack.yml; its tokens carry
 * the environment, the ref that triggered the run and the workflow file with the ref it was taken
 * from. Deploy identities trust exactly `ref:refs/heads/main` AND `…/terraform-stack.yml@refs/heads/main`:
 *
 * - a pull request's job pointed at `environment: dev` carries the merge ref (refused);
 * - a workflow on a branch calling `…/terraform-stack.yml@main` carries that workflow's own ref in
 *   `ref` (refused), although its `job_workflow_ref` names main;
 * - and `dev`, `staging`, `prod` deploy only from main (GitHub's own lock, independent of these).
 */
export const ISSUER = "https://token.actions.githubusercontent.com";
/** The reusable workflow every credentialed job runs (`uses:` in pull-request, deploy, drift and recover). */
export const STACK_WORKFLOW = ".github/workflows/terraform-stack.yml";
/** `PUT /repos/{owner}/{repo}/actions/oidc/customization/sub`. */
export const SUBJECT_CLAIMS = ["repo", "context", "ref", "job_workflow_ref"] as const;
export const MAIN = "refs/heads/main";
/** Pull-request runs use the merge ref. */
export const PULL_REQUEST_REF = "refs/pull/*/merge";

export type EnvironmentKind = "plan" | "drift" | "deploy" | "release";

export interface GithubEnvironment {
  readonly name: string;
  readonly kind: EnvironmentKind;
  /** The stage (dev, staging, prod) whose stacks it plans or deploys. */
  readonly stage?: string;
  /** Branches allowed to use it; undefined = any (pull-request plans run on merge refs). */
  readonly branches?: readonly string[];
  readonly requiredReviewers: boolean;
  /** The secrets it holds. */
  readonly secrets: readonly string[];
}

const IDENTITY_SECRETS = ["AWS_ROLE_ARN", "GCP_WORKLOAD_IDENTITY_PROVIDER", "GCP_SERVICE_ACCOUNT", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"];
export const RELEASE_SECRETS = ["RELEASE_APP_CLIENT_ID", "RELEASE_APP_PRIVATE_KEY", "NPM_TOKEN"];

/** The identity secrets of the clouds an environment enables. */
export function identitySecrets(env: EnvironmentConfig): string[] {
  return IDENTITY_SECRETS.filter((s) => (s.startsWith("AWS") && env.clouds.aws) || (s.startsWith("GCP") && env.clouds.gcp) || (s.startsWith("AZURE") && env.clouds.azure));
}

export function githubEnvironments(envs: readonly EnvironmentConfig[]): GithubEnvironment[] {
  return [
    // plan-prod runs a pull request's code against prod state: a reviewer approves first.
    ...envs.map((e): GithubEnvironment => ({ name: `plan-${e.name}`, kind: "plan", stage: e.name, requiredReviewers: e.name === "prod", secrets: [...identitySecrets(e), "PLAN_REVIEW_KEY"] })),
    // Drift is scheduled: main only, never waiting for a human. Same read-only identities, no review key (nothing is compared).
    ...envs.map((e): GithubEnvironment => ({ name: `drift-${e.name}`, kind: "drift", stage: e.name, branches: ["main"], requiredReviewers: false, secrets: identitySecrets(e) })),
    ...envs.map((e): GithubEnvironment => ({ name: e.name, kind: "deploy", stage: e.name, branches: ["main"], requiredReviewers: e.name === "prod", secrets: [...identitySecrets(e), "PLAN_REVIEW_KEY"] })),
    { name: "release", kind: "release", branches: ["main"], requiredReviewers: false, secrets: RELEASE_SECRETS },
  ];
}

/** The token subject GitHub issues after the customisation, for a job of `workflow` taken at `workflowRef`, in a run triggered on `ref`. */
export function subject(repo: string, environment: string, ref: string, workflowRef = ref, workflow = STACK_WORKFLOW): string {
  return `repo:${repo}:environment:${environment}:ref:${ref}:job_workflow_ref:${repo}/${workflow}@${workflowRef}`;
}

/** One cloud identity per stage and kind: the plan identity serves `plan-<stage>` and `drift-<stage>`, the deploy identity `<stage>`. */
export interface Identity {
  readonly stage: string;
  readonly kind: "plan" | "deploy";
  /** e.g. github-plan-dev, github-dev */
  readonly name: string;
  readonly environments: readonly GithubEnvironment[];
}

export function identities(envs: readonly EnvironmentConfig[]): Identity[] {
  const gh = githubEnvironments(envs);
  return envs.flatMap((e) => [
    { stage: e.name, kind: "plan" as const, name: `github-plan-${e.name}`, environments: gh.filter((g) => g.stage === e.name && (g.kind === "plan" || g.kind === "drift")) },
    { stage: e.name, kind: "deploy" as const, name: `github-${e.name}`, environments: gh.filter((g) => g.stage === e.name && g.kind === "deploy") },
  ]);
}

/** Subjects an environment's tokens must match: deploy and drift from main; plans from a pull request's merge ref. */
export function trustedSubjects(repo: string, env: GithubEnvironment): string[] {
  if (env.kind === "deploy" || env.kind === "drift") return [subject(repo, env.name, MAIN)];
  if (env.kind === "plan") return [subject(repo, env.name, PULL_REQUEST_REF)];
  return [];
}

export const identitySubjects = (repo: string, id: Identity) => id.environments.flatMap((e) => trustedSubjects(repo, e));

/** AWS: the role trust policy. Exact subjects with StringEquals; a pull request's varying number with StringLike, in its own statement. */
export function awsTrustPolicy(repo: string, id: Identity, accountId: string): Record<string, unknown> {
  const subjects = identitySubjects(repo, id);
  const principal = { Federated: `arn:aws:iam::${accountId}:oidc-provider/token.actions.githubusercontent.com` };
  const aud = { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" };
  const exact = subjects.filter((s) => !s.includes("*"));
  const like = subjects.filter((s) => s.includes("*"));
  return {
    Version: "2012-10-17",
    Statement: [
      ...(exact.length ? [{ Effect: "Allow", Principal: principal, Action: "sts:AssumeRoleWithWebIdentity", Condition: { StringEquals: { ...aud, "token.actions.githubusercontent.com:sub": exact.length === 1 ? exact[0] : exact } } }] : []),
      ...(like.length ? [{ Effect: "Allow", Principal: principal, Action: "sts:AssumeRoleWithWebIdentity", Condition: { StringEquals: aud, StringLike: { "token.actions.githubusercontent.com:sub": like.length === 1 ? like[0] : like } } }] : []),
    ],
  };
}

/**
 * GCP: the provider's attribute condition. Besides repository and workflow file, the workflow's
 * ref must be the ref that triggered the run: a branch calling `terraform-stack.yml@main` fails it.
 */
export function gcpPoolCondition(repo: string): string {
  return `assertion.repository == '${repo}' && assertion.job_workflow_ref == '${repo}/${STACK_WORKFLOW}@' + assertion.ref`;
}

/**
 * GCP attribute mapping. `google.subject` is limited to 127 bytes, which the customised subject can
 * exceed, so the trust is two mapped attributes: `deploy_environment` is the token's environment
 * only for a deploy environment on main; `reader_environment` only for `plan-<stage>` on a pull
 * request's merge ref or `drift-<stage>` on main. Any other token maps to 'none', which no service
 * account trusts.
 */
export function gcpAttributeMapping(): string {
  return [
    "google.subject=assertion.repository_id + ':' + assertion.environment + ':' + assertion.run_id",
    `attribute.deploy_environment=(assertion.ref == '${MAIN}' && !assertion.environment.startsWith('plan-') && !assertion.environment.startsWith('drift-')) ? assertion.environment : 'none'`,
    `attribute.reader_environment=((assertion.environment.startsWith('plan-') && assertion.ref.matches('^refs/pull/[0-9]+/merge$')) || (assertion.environment.startsWith('drift-') && assertion.ref == '${MAIN}')) ? assertion.environment : 'none'`,
  ].join(",");
}

export const GCP_POOL = "github";

/** The principal sets a service account trusts (`roles/iam.workloadIdentityUser`). */
export function gcpMembers(id: Identity, projectNumber = "<PROJECT_NUMBER>"): string[] {
  const pool = `projects/${projectNumber}/locations/global/workloadIdentityPools/${GCP_POOL}`;
  const attr = id.kind === "deploy" ? "deploy_environment" : "reader_environment";
  return id.environments.map((e) => `principalSet://iam.googleapis.com/${pool}/attribute.${attr}/${e.name}`);
}

/** Azure: federated identity credentials of an app registration (a flexible credential for pull-request refs). */
export function azureCredentials(repo: string, id: Identity): Record<string, unknown>[] {
  return id.environments.flatMap((e) => trustedSubjects(repo, e).map((s) => {
    const name = `github-${e.name}`;
    if (!s.includes("*")) return { name, issuer: ISSUER, subject: s, audiences: ["api://AzureADTokenExchange"] };
    return { name, issuer: ISSUER, audiences: ["api://AzureADTokenExchange"], claimsMatchingExpression: { value: `claims['sub'] matches '${s}'`, languageVersion: 1 } };
  }));
}
