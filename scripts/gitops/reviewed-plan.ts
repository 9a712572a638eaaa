import * as fs from "node:fs";

/**
 * Which pull-request run holds the reviewed plan of one stack, looked up per stack when the stack
 * is applied (terraform-stack.yml, mode apply):
 *
 *   the pull request merged as `commit` → its head commit → the `pull-request.yml` runs of that
 *   head (newest first, whatever their conclusion) → the first one with a `plan-<stack>` artifact.
 *
 * Per stack, and not "the last successful run": a run in which one stack failed to plan, or in
 * which `plan-prod` still waits for its reviewer, still holds the reviewed plans of every other
 * stack. A stack without a reviewed plan is not blocked either: the deploy then applies it only
 * if its plan has no changes (plan:compare). Looked up at apply time, so re-running a refused job
 * after the missing plan was made (e.g. plan-prod approved after the merge) finds it.
 *
 * `npm run --silent plan:reviewed -- --stack <stack> --commit <sha> [--github-output <key>]`
 * (GITHUB_REPOSITORY, GH_TOKEN with actions: read and pull-requests: read; GITHUB_API_URL).
 */
export const PULL_REQUEST_WORKFLOW = ".github/workflows/pull-request.yml";

/** GET of a GitHub REST path (`repos/o/r/...`), parsed JSON. */
export type GithubGet = (path: string) => Promise<unknown>;

export interface ReviewedPlan {
  readonly runId: number;
  readonly pullRequest: number;
  readonly headSha: string;
  readonly artifactId: number;
}

export interface Lookup {
  readonly found?: ReviewedPlan;
  /** What was looked at, for the job log. */
  readonly notes: readonly string[];
}

interface PullRequest { number: number; merged_at: string | null; head: { sha: string }; base: { ref: string } }
interface WorkflowRun { id: number; path?: string; event: string; head_sha: string; status: string; conclusion: string | null; run_attempt?: number }
interface Artifact { id: number; name: string; expired: boolean }

const SHA = /^[0-9a-f]{40}$/;
export const STACK_NAME = /^[a-z0-9]+(-[a-z0-9]+)+$/;

export async function findReviewedPlan(get: GithubGet, repo: string, commit: string, stack: string, base = "main"): Promise<Lookup> {
  if (!SHA.test(commit)) throw new Error(`commit '${commit}' is not a 40-character SHA`);
  if (!STACK_NAME.test(stack)) throw new Error(`stack '${stack}' is not <env>-<cloud>[-<service>]`);
  const notes: string[] = [];
  const pulls = (await get(`repos/${repo}/commits/${commit}/pulls`)) as PullRequest[];
  const pr = pulls.find((p) => p.merged_at !== null && p.base.ref === base);
  if (!pr) return { notes: [`${commit} is not the merge of a pull request into ${base}`] };
  const head = pr.head.sha;
  const runs = ((await get(`repos/${repo}/actions/workflows/pull-request.yml/runs?head_sha=${head}&event=pull_request&per_page=100`)) as { workflow_runs: WorkflowRun[] }).workflow_runs
    // Only this repository's pull-request workflow, as the run recorded it.
    .filter((r) => r.event === "pull_request" && r.head_sha === head && (r.path === undefined || r.path.replace(/@.*$/, "") === PULL_REQUEST_WORKFLOW))
    .sort((a, b) => b.id - a.id);
  if (!runs.length) return { notes: [`pull request #${pr.number} (head ${head.slice(0, 7)}) has no ${PULL_REQUEST_WORKFLOW} run`] };
  for (const run of runs) {
    const artifacts = ((await get(`repos/${repo}/actions/runs/${run.id}/artifacts?name=plan-${stack}&per_page=10`)) as { artifacts: Artifact[] }).artifacts
      .filter((a) => a.name === `plan-${stack}`);
    const live = artifacts.find((a) => !a.expired);
    if (live) return { found: { runId: run.id, pullRequest: pr.number, headSha: head, artifactId: live.id }, notes };
    notes.push(`run ${run.id} (${run.status}${run.conclusion ? `, ${run.conclusion}` : ""}) has ${artifacts.length ? "only an expired" : "no"} plan-${stack} artifact`);
  }
  return { notes: [`pull request #${pr.number} (head ${head.slice(0, 7)}): no run holds a plan of ${stack}`, ...notes] };
}

/** GitHub's REST API with the job's token. */
export function githubGet(token: string, apiUrl = "https://api.github.com"): GithubGet {
  return async (path) => {
    const res = await fetch(`${apiUrl.replace(/\/$/, "")}/${path}`, {
      headers: { Accept: "application/vnd.github+json", Authorization: `Bearer ${token}`, "X-GitHub-Api-Version": "2022-11-28" },
    });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${res.statusText}`);
    return res.json();
  };
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, get?: GithubGet): Promise<{ code: number; output: string }> {
  let stack = "";
  let commit = "";
  let outputKey: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--stack") stack = argv[++i] ?? "";
    else if (argv[i] === "--commit") commit = argv[++i] ?? "";
    else if (argv[i] === "--github-output") outputKey = argv[++i];
    else return { code: 2, output: `plan:reviewed: unknown argument '${argv[i]}'\nusage: plan:reviewed --stack <stack> --commit <sha> [--github-output <key>]\n` };
  }
  const repo = env.GITHUB_REPOSITORY ?? "";
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) return { code: 2, output: "plan:reviewed: GITHUB_REPOSITORY is not <owner>/<repo>\n" };
  const token = env.GH_TOKEN ?? env.GITHUB_TOKEN;
  if (!get && !token) return { code: 2, output: "plan:reviewed: GH_TOKEN is not set\n" };
  const lookup = await findReviewedPlan(get ?? githubGet(token!, env.GITHUB_API_URL), repo, commit, stack);
  const runId = lookup.found ? String(lookup.found.runId) : "";
  if (outputKey) {
    if (!env.GITHUB_OUTPUT) return { code: 2, output: "plan:reviewed: --github-output needs GITHUB_OUTPUT\n" };
    fs.appendFileSync(env.GITHUB_OUTPUT, `${outputKey}=${runId}\n`);
  }
  const lines = lookup.found
    ? [`reviewed plan of ${stack}: run ${runId} of pull request #${lookup.found.pullRequest} (head ${lookup.found.headSha.slice(0, 7)})`, ...lookup.notes]
    : [`::warning title=No reviewed plan::${stack}: ${lookup.notes[0]}; only a plan without changes will be applied`, ...lookup.notes.slice(1)];
  return { code: 0, output: `${lines.join("\n")}\n` };
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(({ code, output }) => {
    process.stdout.write(output);
    process.exit(code);
  }, (e: Error) => {
    process.stderr.write(`plan:reviewed: ${e.message}\n`);
    process.exit(2);
  });
}
