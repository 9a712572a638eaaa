import * as fs from "node:fs";
import * as path from "node:path";
import { load } from "js-yaml";

/**
 * Hardening rules for GitHub Actions workflows and composite actions that actionlint does not
 * check: minimal permissions, actions pinned to full commit SHAs with a version comment, no
 * expressions interpolated into scripts, a timeout on every job, and a few privileged-trigger
 * and credential rules around them. Calls of this repository's reusable workflows and composite
 * actions pass only inputs they declare, and every required one (actionlint does not read the
 * called file's inputs).
 */
export type Rule =
  | "yaml"
  | "permissions-top"
  | "permissions-job"
  | "permissions-broad"
  | "permissions-id-token"
  | "permissions-reusable"
  | "pin-sha"
  | "pin-comment"
  | "expression-in-run"
  | "untrusted-in-run"
  | "timeout"
  | "privileged-trigger"
  | "checkout-credentials"
  | "secrets-inherit"
  | "local-inputs";

export interface Finding {
  readonly file: string;
  /** Where in the document, e.g. `jobs.plan.steps[2].run`. */
  readonly at: string;
  readonly rule: Rule;
  readonly message: string;
}

export interface SourceFile {
  /** Path relative to the repository root, with forward slashes. */
  readonly file: string;
  readonly text: string;
}

/** Scopes a job may be granted write on; anything else needs a conscious change here. */
const WRITE_SCOPES = new Set(["contents", "pull-requests", "issues", "packages", "id-token", "deployments", "statuses", "checks"]);
/** Actions that exchange the job's OIDC token for cloud credentials. */
const OIDC_ACTIONS = ["aws-actions/configure-aws-credentials", "google-github-actions/auth", "azure/login"];
/** Contexts an outsider controls (PR title/body/branch, issue text, commit messages, …). */
const UNTRUSTED = /\b(github\.event\.|github\.head_ref\b|inputs\.|env\.|steps\.[\w-]+\.outputs\.|needs\.[\w-]+\.outputs\.)/;
const PINNED = /^[\w.-]+\/[\w.-]+(?:\/[\w./-]+)?@[0-9a-f]{40}$/;
const VERSION_COMMENT = /#\s*v?\d+(?:\.\d+){0,2}\b/;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => !!v && typeof v === "object" && !Array.isArray(v);

export function repoWorkflowFiles(root: string): SourceFile[] {
  const out: SourceFile[] = [];
  const workflows = path.join(root, ".github", "workflows");
  if (fs.existsSync(workflows)) {
    for (const f of fs.readdirSync(workflows).filter((n) => /\.ya?ml$/.test(n)).sort()) {
      out.push({ file: `.github/workflows/${f}`, text: fs.readFileSync(path.join(workflows, f), "utf8") });
    }
  }
  const actions = path.join(root, ".github", "actions");
  if (fs.existsSync(actions)) {
    for (const dir of fs.readdirSync(actions).sort()) {
      for (const name of ["action.yml", "action.yaml"]) {
        const file = path.join(actions, dir, name);
        if (fs.existsSync(file)) out.push({ file: `.github/actions/${dir}/${name}`, text: fs.readFileSync(file, "utf8") });
      }
    }
  }
  return out;
}

/** Checks every file; reusable workflows called with `uses: ./…` are looked up among `files`. */
export function checkHardening(files: readonly SourceFile[]): Finding[] {
  const docs = new Map<string, Json>();
  const findings: Finding[] = [];
  for (const f of files) {
    try {
      const doc = load(f.text, { filename: f.file });
      if (!isObject(doc)) throw new Error("not a mapping");
      docs.set(f.file, doc);
    } catch (e) {
      findings.push({ file: f.file, at: "(document)", rule: "yaml", message: `not valid YAML: ${(e as Error).message.split("\n")[0]}` });
    }
  }
  for (const f of files) {
    const doc = docs.get(f.file);
    if (!doc) continue;
    findings.push(...checkPins(f));
    if (/(^|\/)action\.ya?ml$/.test(f.file)) findings.push(...checkAction(f.file, doc, docs));
    else findings.push(...checkWorkflow(f.file, doc, docs));
  }
  return findings;
}

/** Every `uses:` line outside `./` and `docker://` is `owner/repo@<40-hex sha> # vX.Y.Z`. */
function checkPins(f: SourceFile): Finding[] {
  const out: Finding[] = [];
  f.text.split("\n").forEach((line, i) => {
    const m = /^\s*(?:-\s+)?uses:\s*["']?([^"'\s#]+)["']?\s*(#.*)?$/.exec(line);
    if (!m) return;
    const ref = m[1];
    if (ref.startsWith("./")) return;
    const at = `line ${i + 1}`;
    if (ref.startsWith("docker://")) {
      if (!/@sha256:[0-9a-f]{64}$/.test(ref)) out.push({ file: f.file, at, rule: "pin-sha", message: `${ref}: pin the image by digest (@sha256:…)` });
      return;
    }
    if (!PINNED.test(ref)) out.push({ file: f.file, at, rule: "pin-sha", message: `${ref}: pin to a full 40-character commit SHA, not a tag or branch` });
    else if (!m[2] || !VERSION_COMMENT.test(m[2])) out.push({ file: f.file, at, rule: "pin-comment", message: `${ref}: add the release the SHA belongs to as a comment (# v1.2.3)` });
  });
  return out;
}

function checkWorkflow(file: string, doc: Json, docs: ReadonlyMap<string, Json>): Finding[] {
  const out: Finding[] = [];
  const add = (at: string, rule: Rule, message: string) => out.push({ file, at, rule, message });
  // js-yaml reads the `on:` key as the string "on" (YAML 1.2 core schema), so no `true` key appears.
  const on = doc.on;
  const triggers = typeof on === "string" ? [on] : Array.isArray(on) ? on.map(String) : isObject(on) ? Object.keys(on) : [];
  for (const t of triggers.filter((x) => x === "pull_request_target" || x === "workflow_run")) {
    add("on", "privileged-trigger", `'${t}' runs with write tokens and secrets next to untrusted code; use pull_request`);
  }

  if (!("permissions" in doc)) add("permissions", "permissions-top", "declare a top-level `permissions: {}` (jobs then ask for what they need)");
  else {
    const p = doc.permissions;
    const writes = isObject(p) ? Object.entries(p).filter(([, v]) => v === "write").map(([k]) => k) : [];
    if (typeof p === "string" || writes.length) add("permissions", "permissions-top", `top-level permissions must be {} or read-only, not ${JSON.stringify(p)}`);
  }

  const jobs = isObject(doc.jobs) ? doc.jobs : {};
  for (const [id, raw] of Object.entries(jobs)) {
    if (!isObject(raw)) continue;
    const job = raw;
    const at = `jobs.${id}`;
    const perms = job.permissions;
    if (perms === undefined) add(`${at}.permissions`, "permissions-job", "declare the job's permissions explicitly");
    else if (typeof perms === "string") add(`${at}.permissions`, "permissions-broad", `'${perms}' grants every scope; list the scopes the job needs`);
    const granted = isObject(perms) ? (perms as Record<string, string>) : {};
    for (const [scope, level] of Object.entries(granted)) {
      if (level === "write" && !WRITE_SCOPES.has(scope)) add(`${at}.permissions.${scope}`, "permissions-broad", `write on '${scope}' is not expected in this repository`);
    }
    const steps = Array.isArray(job.steps) ? (job.steps as unknown[]).filter(isObject) : [];
    if (granted["id-token"] === "write") {
      // A local composite action counts by its own steps.
      const expanded = steps.flatMap((s) => localActionSteps(s, docs) ?? [s]);
      const needsToken = typeof job.uses === "string"
        || expanded.some((s) => OIDC_ACTIONS.some((a) => usesOf(s).startsWith(`${a}@`)) || usesOf(s).startsWith("changesets/action@") || /npm (publish|run release)/.test(String(s.run ?? "")));
      if (!needsToken) add(`${at}.permissions.id-token`, "permissions-id-token", "id-token: write without a cloud login, a reusable workflow or a publish step");
    }

    if (typeof job.uses === "string") {
      if (job.secrets === "inherit" && !job.uses.startsWith("./")) add(`${at}.secrets`, "secrets-inherit", `secrets: inherit hands every secret to ${job.uses}; pass only what it needs`);
      const called = job.uses.startsWith("./") ? docs.get(job.uses.replace(/^\.\//, "").replace(/@.*$/, "")) : undefined;
      if (job.uses.startsWith("./") && !called) add(`${at}.uses`, "permissions-reusable", `${job.uses} not found among the checked files`);
      if (called) {
        const call = isObject(called.on) && isObject(called.on.workflow_call) ? called.on.workflow_call : {};
        out.push(...checkInputs(file, at, job.uses, job.with, call.inputs));
        if (isObject(job.secrets)) {
          const declared = isObject(call.secrets) ? call.secrets : {};
          for (const k of Object.keys(job.secrets)) if (!(k in declared)) add(`${at}.secrets.${k}`, "local-inputs", `${job.uses} declares no secret '${k}'`);
        }
      }
      for (const [cid, cjob] of Object.entries(isObject(called?.jobs) ? (called!.jobs as Json) : {})) {
        const wanted = isObject(cjob) && isObject(cjob.permissions) ? (cjob.permissions as Record<string, string>) : {};
        for (const [scope, level] of Object.entries(wanted)) {
          const have = granted[scope];
          const ok = level === "none" || have === "write" || (level === "read" && have === "read");
          if (!ok) add(`${at}.permissions`, "permissions-reusable", `${job.uses} job '${cid}' needs ${scope}: ${level}, the caller grants ${have ?? "nothing"}`);
        }
      }
      continue;
    }

    const timeout = job["timeout-minutes"];
    if (typeof timeout !== "number" || timeout <= 0 || timeout > 360) add(`${at}.timeout-minutes`, "timeout", "set timeout-minutes (1..360) so a hung job cannot burn 6 hours");
    out.push(...checkSteps(file, `${at}.steps`, steps, docs));
  }
  return out;
}

const usesOf = (s: Json) => (typeof s.uses === "string" ? s.uses.toLowerCase() : "");

/** The metadata of a local action (`uses: ./.github/actions/x`), if it is among the checked files. */
function localAction(uses: unknown, docs: ReadonlyMap<string, Json>): Json | undefined {
  if (typeof uses !== "string" || !uses.startsWith("./")) return undefined;
  const dir = uses.replace(/^\.\//, "").replace(/\/$/, "");
  return docs.get(`${dir}/action.yml`) ?? docs.get(`${dir}/action.yaml`);
}

function localActionSteps(step: Json, docs: ReadonlyMap<string, Json>): Json[] | undefined {
  const action = localAction(step.uses, docs);
  const runs = action && isObject(action.runs) ? action.runs : undefined;
  return runs && Array.isArray(runs.steps) ? (runs.steps as unknown[]).filter(isObject) : undefined;
}

/** `with:` of a call to a local workflow or action: only declared inputs, and every required one without a default. */
function checkInputs(file: string, at: string, target: string, given: unknown, declared: unknown): Finding[] {
  const out: Finding[] = [];
  const inputs = isObject(declared) ? declared : {};
  const args = isObject(given) ? given : {};
  for (const k of Object.keys(args)) {
    if (!(k in inputs)) out.push({ file, at: `${at}.with.${k}`, rule: "local-inputs", message: `${target} declares no input '${k}' (declared: ${Object.keys(inputs).join(", ") || "none"})` });
  }
  for (const [k, spec] of Object.entries(inputs)) {
    const required = isObject(spec) && spec.required === true && !("default" in spec);
    if (required && !(k in args)) out.push({ file, at: `${at}.with`, rule: "local-inputs", message: `${target} requires input '${k}'` });
  }
  return out;
}

function checkAction(file: string, doc: Json, docs: ReadonlyMap<string, Json>): Finding[] {
  const runs = isObject(doc.runs) ? doc.runs : {};
  const steps = Array.isArray(runs.steps) ? (runs.steps as unknown[]).filter(isObject) : [];
  return checkSteps(file, "runs.steps", steps, docs);
}

function checkSteps(file: string, at: string, steps: readonly Json[], docs: ReadonlyMap<string, Json>): Finding[] {
  const out: Finding[] = [];
  steps.forEach((step, i) => {
    const where = `${at}[${i}]`;
    const action = localAction(step.uses, docs);
    if (typeof step.uses === "string" && step.uses.startsWith("./")) {
      if (!action) out.push({ file, at: `${where}.uses`, rule: "local-inputs", message: `${step.uses} not found among the checked files` });
      else out.push(...checkInputs(file, where, step.uses, step.with, action.inputs));
    }
    const scripts: Array<[string, unknown]> = [["run", step.run]];
    const uses = typeof step.uses === "string" ? step.uses.toLowerCase() : "";
    const withArgs = isObject(step.with) ? step.with : {};
    if (uses.startsWith("actions/github-script@")) scripts.push(["with.script", withArgs.script]);
    for (const [key, value] of scripts) {
      if (typeof value !== "string") continue;
      for (const m of value.matchAll(/\$\{\{([\s\S]*?)\}\}/g)) {
        const expr = m[1].trim();
        if (UNTRUSTED.test(expr)) {
          out.push({ file, at: `${where}.${key}`, rule: "untrusted-in-run", message: `\${{ ${expr} }} is expanded into the script before it runs (script injection); pass it through env: and use "$VAR"` });
        } else {
          out.push({ file, at: `${where}.${key}`, rule: "expression-in-run", message: `\${{ ${expr} }} in a script; pass values through env: so no expression is ever spliced into shell code` });
        }
      }
    }
    if (uses.startsWith("actions/checkout@") && withArgs["persist-credentials"] !== false) {
      out.push({ file, at: `${where}.with`, rule: "checkout-credentials", message: "set persist-credentials: false so later steps cannot reuse the checkout token" });
    }
  });
  return out;
}

export function formatFindings(findings: readonly Finding[]): string {
  return findings.map((f) => `${f.file}: ${f.at}: [${f.rule}] ${f.message}`).join("\n");
}
