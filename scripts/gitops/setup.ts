import { EnvironmentConfig } from "@polycloud/core";
import { environments as sampleEnvironments } from "../../environments";
import { writeDocSection } from "../doc-section";

/**
 * The one-time setup of a repository for the pipelines, generated from one source: the GitHub
 * environments and their protection rules, the OIDC subject customisation, and for each cloud the
 * trust (AWS role trust policies, GCP workload identity bindings, Azure federated credentials) and
 * the plan identities' read-only grants.
 *
 * `npm run --silent gitops:setup -- --repo <owner>/<repo>` prints it; the "One-time setup"
 * section of docs/gitops.md is the same output for `<owner>/<repo>` (`--write-docs` rewrites it; a
 * test keeps them equal).
 *
 * Why the subject includes `job_workflow_ref`: a `pull_request` run uses the workflow files of
 * the pull request, so anyone who can push a branch can point a job at `environment: dev`. With
 * the customised subject, a token carries the environment AND the workflow file with the ref it
 * ran from; deploy identities trust only `terraform-stack.yml@refs/heads/main`, and the `dev`,
 * `staging` and `prod` environments deploy only from `main` (two independent locks).
 */
export const ISSUER = "https://token.actions.githubusercontent.com";
/** The reusable workflow every credentialed job runs (`uses:` in pull-request, deploy and drift). */
export const STACK_WORKFLOW = ".github/workflows/terraform-stack.yml";
/** `PUT /repos/{owner}/{repo}/actions/oidc/customization/sub`. */
export const SUBJECT_CLAIMS = ["repo", "context", "job_workflow_ref"] as const;
export const MAIN = "refs/heads/main";
/** Pull-request runs use the merge ref. */
export const PULL_REQUEST_REF = "refs/pull/*/merge";

export type EnvironmentKind = "plan" | "deploy" | "release";

export interface GithubEnvironment {
  readonly name: string;
  readonly kind: EnvironmentKind;
  /** The stage (dev, staging, prod) whose stacks it plans or deploys. */
  readonly stage?: string;
  /** Branches allowed to use it; undefined = any (pull-request plans run on merge refs). */
  readonly branches?: readonly string[];
  readonly requiredReviewers: boolean;
}

export function githubEnvironments(envs: readonly EnvironmentConfig[] = sampleEnvironments): GithubEnvironment[] {
  const stages = envs.map((e) => e.name as string);
  return [
    // plan-prod reads prod state with code from the pull request: a reviewer approves first.
    ...stages.map((s): GithubEnvironment => ({ name: `plan-${s}`, kind: "plan", stage: s, requiredReviewers: s === "prod" })),
    ...stages.map((s): GithubEnvironment => ({ name: s, kind: "deploy", stage: s, branches: ["main"], requiredReviewers: s === "prod" })),
    { name: "release", kind: "release", branches: ["main"], requiredReviewers: false },
  ];
}

/** The token subject GitHub issues after the customisation, for a job of `workflow` at `ref` in `environment`. */
export function subject(repo: string, environment: string, ref: string, workflow = STACK_WORKFLOW): string {
  return `repo:${repo}:environment:${environment}:job_workflow_ref:${repo}/${workflow}@${ref}`;
}

/** Subjects an environment's cloud identity trusts: deploy from main only; plans from main (drift) and pull requests. */
export function trustedSubjects(repo: string, env: GithubEnvironment): string[] {
  if (env.kind === "deploy") return [subject(repo, env.name, MAIN)];
  if (env.kind === "plan") return [subject(repo, env.name, MAIN), subject(repo, env.name, PULL_REQUEST_REF)];
  return [];
}

/** AWS: the role trust policy (exact subject for deploy roles; StringLike only where a pull-request number varies). */
export function awsTrustPolicy(repo: string, env: GithubEnvironment, accountId: string): Record<string, unknown> {
  const subjects = trustedSubjects(repo, env);
  const wildcard = subjects.some((s) => s.includes("*"));
  return {
    Version: "2012-10-17",
    Statement: [{
      Effect: "Allow",
      Principal: { Federated: `arn:aws:iam::${accountId}:oidc-provider/token.actions.githubusercontent.com` },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: {
        StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", ...(wildcard ? {} : { "token.actions.githubusercontent.com:sub": subjects[0] }) },
        ...(wildcard ? { StringLike: { "token.actions.githubusercontent.com:sub": subjects } } : {}),
      },
    }],
  };
}

export interface Grant {
  readonly cloud: "aws" | "gcp" | "azure";
  readonly role: string;
  readonly scope: string;
}

/** AWS plan roles: the managed ReadOnlyAccess policy and reading (not writing or locking) the state objects. */
export function awsPlanPolicy(env: EnvironmentConfig): { managed: string[]; inline: Record<string, unknown> } {
  const bucket = env.clouds.aws?.backend?.bucket ?? "<state bucket>";
  return {
    managed: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
    inline: {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: ["s3:ListBucket"], Resource: `arn:aws:s3:::${bucket}` },
        { Effect: "Allow", Action: ["s3:GetObject"], Resource: `arn:aws:s3:::${bucket}/${env.name}/*` },
      ],
    },
  };
}

export function planGrants(env: EnvironmentConfig): Grant[] {
  const out: Grant[] = [];
  if (env.clouds.gcp) {
    out.push({ cloud: "gcp", role: "roles/viewer", scope: `project ${env.clouds.gcp.projectId}` });
    out.push({ cloud: "gcp", role: "roles/storage.objectViewer", scope: `bucket ${env.clouds.gcp.backend?.bucket ?? "<state bucket>"}` });
  }
  if (env.clouds.azure) {
    out.push({ cloud: "azure", role: "Reader", scope: `subscription ${env.clouds.azure.subscriptionId}` });
    const b = env.clouds.azure.backend;
    out.push({ cloud: "azure", role: "Storage Blob Data Reader", scope: b ? `container ${b.storageAccountName}/${b.containerName}` : "the state container" });
  }
  return out;
}

/** GCP: provider condition (this repository, this workflow) and the member each service account trusts. */
export function gcpPoolCondition(repo: string): string {
  return `assertion.repository == '${repo}' && assertion.job_workflow_ref.startsWith('${repo}/${STACK_WORKFLOW}@')`;
}

export function gcpMembers(env: GithubEnvironment): string[] {
  const pool = "projects/<PROJECT_NUMBER>/locations/global/workloadIdentityPools/github";
  if (env.kind === "deploy") return [`principalSet://iam.googleapis.com/${pool}/attribute.deploy_environment/${env.name}`];
  if (env.kind === "plan") return [`principalSet://iam.googleapis.com/${pool}/attribute.plan_environment/${env.name}`];
  return [];
}

/**
 * GCP attribute mapping. `google.subject` is limited to 127 bytes, which the customised subject can
 * exceed, so the trust is expressed as two mapped attributes instead: `deploy_environment` is the
 * token's environment only when the job is terraform-stack.yml from main (and not a plan
 * environment); `plan_environment` only for a plan environment from main or a pull request's merge
 * ref. Any other token maps to 'none', which no service account trusts.
 */
export function gcpAttributeMapping(repo: string): string {
  const wf = `${repo}/${STACK_WORKFLOW}@`;
  return [
    "google.subject=assertion.repository_id + ':' + assertion.environment + ':' + assertion.run_id",
    `attribute.deploy_environment=(assertion.job_workflow_ref == '${wf}${MAIN}' && !assertion.environment.startsWith('plan-')) ? assertion.environment : 'none'`,
    `attribute.plan_environment=(assertion.environment.startsWith('plan-') && assertion.job_workflow_ref.startsWith('${wf}') && (assertion.ref == '${MAIN}' || assertion.ref.matches('^refs/pull/[0-9]+/merge$'))) ? assertion.environment : 'none'`,
  ].join(",");
}

/** Azure: federated identity credentials of an app registration (flexible expression for pull-request refs). */
export function azureCredentials(repo: string, env: GithubEnvironment): Record<string, unknown>[] {
  return trustedSubjects(repo, env).map((s) => {
    const name = `github-${env.name}-${s.includes("refs/pull/") ? "pull-requests" : "main"}`;
    if (!s.includes("*")) return { name, issuer: ISSUER, subject: s, audiences: ["api://AzureADTokenExchange"] };
    return { name, issuer: ISSUER, audiences: ["api://AzureADTokenExchange"], claimsMatchingExpression: { value: `claims['sub'] matches '${s}'`, languageVersion: 1 } };
  });
}

const json = (v: unknown) => JSON.stringify(v, null, 2);
const fence = (lang: string, body: string) => `\`\`\`${lang}\n${body}\n\`\`\``;

function environmentCommands(repo: string, envs: readonly GithubEnvironment[]): string {
  const lines: string[] = [];
  for (const e of envs) {
    const body: Record<string, unknown> = {
      deployment_branch_policy: e.branches ? { protected_branches: false, custom_branch_policies: true } : null,
      ...(e.requiredReviewers ? { reviewers: [{ type: "Team", id: "<REVIEWERS_TEAM_ID>" }], prevent_self_review: true } : {}),
    };
    lines.push(`gh api -X PUT repos/${repo}/environments/${e.name} --input - <<'JSON'\n${JSON.stringify(body)}\nJSON`);
    for (const b of e.branches ?? []) lines.push(`gh api -X POST repos/${repo}/environments/${e.name}/deployment-branch-policies -f name=${b} -f type=branch`);
  }
  return lines.join("\n");
}

/** The one-time setup, for `repo` (`<owner>/<repo>` in docs/gitops.md). */
export function setupMarkdown(repo: string, envs: readonly EnvironmentConfig[] = sampleEnvironments, full = true): string {
  const gh = githubEnvironments(envs);
  const byName = new Map(envs.map((e) => [e.name as string, e]));
  const out: string[] = [];
  out.push("*Generated by `npm run --silent gitops:setup -- --repo <owner>/<repo>` from `scripts/gitops/setup.ts` and `environments/*.ts`.*", "");
  out.push("**1. GitHub environments and protection rules.** `dev`, `staging`, `prod` and `release` deploy only from `main`; `prod` and `plan-prod` need a reviewer's approval (`plan-prod`: before a pull request's code runs `terraform plan` against prod state). Plan environments take any branch (pull requests run on merge refs).", "");
  out.push("| Environment | Used by | Branches | Required reviewers |", "|---|---|---|---|");
  for (const e of gh) out.push(`| \`${e.name}\` | ${e.kind === "plan" ? "pull-request plans, drift" : e.kind === "deploy" ? "deploy" : "release"} | ${e.branches ? e.branches.map((b) => `\`${b}\``).join(", ") : "any"} | ${e.requiredReviewers ? "yes" : "no"} |`);
  out.push("");
  if (full) out.push(fence("sh", environmentCommands(repo, gh)), "");
  out.push("**2. OIDC subject.** Include the workflow file and its ref in every token's subject, so a trust can name `terraform-stack.yml@refs/heads/main` and not only the environment:", "");
  out.push(fence("sh", `gh api -X PUT repos/${repo}/actions/oidc/customization/sub --input - <<'JSON'\n${JSON.stringify({ use_default: false, include_claim_keys: SUBJECT_CLAIMS })}\nJSON`), "");
  out.push(`Subjects then read \`${subject(repo, "dev", MAIN)}\`. Deploy identities trust exactly that (per environment); plan identities also \`…@${PULL_REQUEST_REF}\`.`, "");
  out.push("**3. Cloud identities.** One deploy and one plan identity per environment and cloud; their ids go into the environment's secrets (`AWS_ROLE_ARN`; `GCP_WORKLOAD_IDENTITY_PROVIDER`, `GCP_SERVICE_ACCOUNT`; `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_SUBSCRIPTION_ID`). Plan identities are read-only by construction: they hold only the grants below, and plans run with `-lock=false`.", "");
  if (!full) {
    out.push("| Environment | Token subject trusted (AWS role, Azure credential; GCP by mapped attribute) | Plan grants |", "|---|---|---|");
    for (const e of gh.filter((x) => x.kind !== "release")) {
      const grants = e.kind === "plan" ? [...awsPlanPolicy(byName.get(e.stage!)!).managed.map((m) => `aws \`${m.replace(/^.*\//, "")}\` + state \`s3:GetObject\``), ...planGrants(byName.get(e.stage!)!).map((g) => `${g.cloud} \`${g.role}\``)].join(", ") : "—";
      out.push(`| \`${e.name}\` | ${trustedSubjects(repo, e).map((x) => `\`…:environment:${e.name}:…@${x.split("@")[1]}\``).join(", ")} | ${grants} |`);
    }
    out.push("", `The full trust policies, federated credentials, GCP attribute mapping and the \`gh\` commands for the environments: \`npm run --silent gitops:setup -- --repo ${repo}\` (filled in from \`environments/*.ts\`).`, "");
  }
  for (const e of gh.filter((x) => x.kind !== "release" && full)) {
    const env = byName.get(e.stage!);
    if (!env) continue;
    out.push(`*\`${e.name}\`*`, "");
    if (env.clouds.aws) {
      const account = env.clouds.aws.accountId;
      out.push(`AWS role \`github-${e.name}\` in ${account}, trust policy:`, "", fence("json", json(awsTrustPolicy(repo, e, account))), "");
      if (e.kind === "plan") {
        const p = awsPlanPolicy(env);
        out.push(`Permissions: ${p.managed.map((m) => `\`${m}\``).join(", ")} and inline:`, "", fence("json", json(p.inline)), "");
      }
    }
    if (env.clouds.gcp) {
      out.push(`GCP service account \`github-${e.name}@${env.clouds.gcp.projectId}.iam.gserviceaccount.com\`, \`roles/iam.workloadIdentityUser\` for: ${gcpMembers(e).map((m) => `\`${m}\``).join(", ")}`, "");
    }
    if (env.clouds.azure) {
      out.push(`Azure app registration \`github-${e.name}\`, federated credentials:`, "", fence("json", json(azureCredentials(repo, e))), "");
    }
    if (e.kind === "plan") {
      const g = planGrants(env);
      if (g.length) out.push(`Grants: ${g.map((x) => `${x.cloud} \`${x.role}\` on ${x.scope}`).join("; ")}.`, "");
    }
  }
  if (full) {
    out.push(`GCP workload identity pool \`github\`, OIDC provider with issuer \`${ISSUER}\`, attribute condition \`${gcpPoolCondition(repo)}\` and attribute mapping:`, "");
    out.push(fence("text", gcpAttributeMapping(repo).split(",attribute.").join(",\nattribute.")), "");
  }
  out.push("Azure federated credentials with `claimsMatchingExpression` (plan identities, pull-request refs) are the flexible federated identity credentials of Microsoft Entra (preview when this was written); where they are not available, give the `plan-*` identities only the `main` credential (drift); pull-request plans of Azure stacks then fail at the login, and the deploy's comparison refuses their unreviewed changes.", "");
  out.push("**4. The release App.** The \"Version Packages\" pull request must be opened by a GitHub App so `pull-request.yml` runs on it (GitHub starts no workflow for a pull request opened with `GITHUB_TOKEN`). Create an App installed on this repository only, with repository permissions *Contents: read and write*, *Pull requests: read and write* (and *Metadata: read*), and store its client ID and a private key as `RELEASE_APP_CLIENT_ID` and `RELEASE_APP_PRIVATE_KEY`, secrets of the `release` environment.", "");
  out.push("**5. Repository settings.** Protect `main`: require pull requests, the `check (npm run check)` status and \"require branches to be up to date\". Tag rulesets are not needed: nothing publishes from a tag.");
  return out.join("\n");
}

/** The section of docs/gitops.md: the same, without the per-identity JSON and commands. */
export function docsSetup(): string {
  return setupMarkdown("<owner>/<repo>", sampleEnvironments, false);
}

export function main(argv: readonly string[]): string {
  let repo = "<owner>/<repo>";
  let writeDocs = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--repo") repo = argv[++i];
    else if (argv[i] === "--write-docs") writeDocs = true;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!/^(<owner>\/<repo>|[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+)$/.test(repo)) throw new Error(`--repo '${repo}' is not <owner>/<repo>`);
  const md = setupMarkdown(repo);
  if (writeDocs) writeDocSection("gitops-setup", docsSetup());
  return md;
}

if (require.main === module) {
  try {
    process.stdout.write(main(process.argv.slice(2)) + "\n");
  } catch (e) {
    process.stderr.write(`gitops:setup: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
