import { EnvironmentConfig } from "@polycloud/core";
import { SUBJECT_CLAIMS, githubEnvironments } from "./github-trust";
import { GithubGet } from "./reviewed-plan";
import { REQUIRED_CHECKS } from "./setup-scripts";

/**
 * `npm run gitops:setup -- check --repo <owner>/<repo>`: reads the GitHub side back and fails on
 * anything missing. GitHub accepts an environment with required reviewers on a plan that does not
 * offer them (Free, Pro and Team for private and internal repositories) and simply keeps none, so
 * `plan-prod` and `prod` would be unguarded without anyone noticing; this is where it is noticed.
 * Needs a token that may read environments and their secrets' names (repository administration).
 */
interface EnvironmentResponse {
  name: string;
  protection_rules?: { type: string; reviewers?: unknown[]; prevent_self_review?: boolean }[];
  deployment_branch_policy?: { protected_branches: boolean; custom_branch_policies: boolean } | null;
}

export class GithubNotFound extends Error {}

async function getOrUndefined<T>(get: GithubGet, path: string): Promise<T | undefined> {
  try {
    return (await get(path)) as T;
  } catch (e) {
    if (e instanceof GithubNotFound || /: 404\b/.test((e as Error).message)) return undefined;
    throw e;
  }
}

export async function checkGithub(get: GithubGet, repo: string, envs: readonly EnvironmentConfig[]): Promise<string[]> {
  const problems: string[] = [];
  for (const e of githubEnvironments(envs)) {
    const env = await getOrUndefined<EnvironmentResponse>(get, `repos/${repo}/environments/${e.name}`);
    if (!env) {
      problems.push(`environment ${e.name} does not exist (github.sh creates it)`);
      continue;
    }
    const rules = env.protection_rules ?? [];
    const reviewers = rules.find((r) => r.type === "required_reviewers");
    if (e.requiredReviewers && !(reviewers?.reviewers?.length)) {
      problems.push(`environment ${e.name} has no required reviewers: a private or internal repository keeps them only on GitHub Enterprise (public repositories on every plan); without them ${e.kind === "plan" ? "a pull request's code plans against prod state unreviewed" : "prod deploys without approval"}`);
    }
    if (e.requiredReviewers && reviewers && reviewers.prevent_self_review !== true) problems.push(`environment ${e.name}: prevent_self_review is off (the author of a change could approve its own deploy)`);
    if (e.branches) {
      const policy = env.deployment_branch_policy;
      if (!policy || !policy.custom_branch_policies) problems.push(`environment ${e.name} deploys from any branch; allowed: ${e.branches.join(", ")} (custom branch policies)`);
      else {
        const listed = await getOrUndefined<{ branch_policies: { name: string; type?: string }[] }>(get, `repos/${repo}/environments/${e.name}/deployment-branch-policies`);
        const names = (listed?.branch_policies ?? []).filter((p) => (p.type ?? "branch") === "branch").map((p) => p.name);
        const extra = names.filter((n) => !e.branches!.includes(n));
        const missing = e.branches.filter((b) => !names.includes(b));
        if (missing.length || extra.length) problems.push(`environment ${e.name}: deployment branches ${JSON.stringify(names)}; allowed: ${JSON.stringify(e.branches)}`);
      }
    }
    const secrets = await getOrUndefined<{ secrets: { name: string }[] }>(get, `repos/${repo}/environments/${e.name}/secrets`);
    const have = new Set((secrets?.secrets ?? []).map((s) => s.name));
    const missingSecrets = e.secrets.filter((s) => !have.has(s) && !(e.kind === "release" && s === "NPM_TOKEN"));
    if (missingSecrets.length) problems.push(`environment ${e.name} lacks secret${missingSecrets.length > 1 ? "s" : ""} ${missingSecrets.join(", ")}`);
  }
  const sub = await getOrUndefined<{ use_default: boolean; include_claim_keys?: string[] }>(get, `repos/${repo}/actions/oidc/customization/sub`);
  if (!sub || sub.use_default || JSON.stringify(sub.include_claim_keys ?? []) !== JSON.stringify(SUBJECT_CLAIMS)) {
    problems.push(`OIDC subject claims are ${sub && !sub.use_default ? JSON.stringify(sub.include_claim_keys) : "the default"}; the identities trust ${JSON.stringify(SUBJECT_CLAIMS)}`);
  }
  const rules = (await getOrUndefined<{ type: string; parameters?: Record<string, unknown> }[]>(get, `repos/${repo}/rules/branches/main`)) ?? [];
  if (!rules.some((r) => r.type === "pull_request")) problems.push("main does not require pull requests (ruleset)");
  const checks = rules.filter((r) => r.type === "required_status_checks").map((r) => r.parameters as { strict_required_status_checks_policy?: boolean; required_status_checks?: { context: string }[] });
  const contexts = new Set(checks.flatMap((c) => (c.required_status_checks ?? []).map((x) => x.context)));
  const missingChecks = REQUIRED_CHECKS.filter((c) => !contexts.has(c));
  if (missingChecks.length) problems.push(`main does not require ${missingChecks.map((c) => `'${c}'`).join(", ")}`);
  if (checks.length && !checks.some((c) => c.strict_required_status_checks_policy)) problems.push("main does not require branches to be up to date (the reviewed plan would not be the plan of what merges)");
  return problems;
}
