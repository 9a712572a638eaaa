import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { load } from "js-yaml";
import { SourceFile } from "./workflow-hardening";

/**
 * shellcheck over every `run:` block of the workflows and composite actions, as GitHub runs it:
 * `bash --noprofile --norc -eo pipefail {0}`. The variables a block may read are declared first
 * (exported, empty): the step's, job's and workflow's `env:`, and the runner's own (GITHUB_*,
 * RUNNER_*), so SC2154 still catches a misspelt or missing `env:` entry. All optional checks are
 * on (`-o all`, e.g. SC2312: a command substitution whose failure is masked), except two style
 * preferences.
 */
export interface RunBlock {
  readonly file: string;
  /** e.g. `jobs.terraform.steps[4].run` */
  readonly at: string;
  readonly script: string;
  readonly env: readonly string[];
}

export interface ShellFinding {
  readonly file: string;
  readonly at: string;
  /** Line within the run block (1-based). */
  readonly line: number;
  readonly code: string;
  readonly level: string;
  readonly message: string;
}

/** Braces around every variable, and [[ ]] instead of [ ]: style only. */
export const EXCLUDED = ["SC2250", "SC2292"];
const RUNNER_ENV = ["GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH", "GITHUB_STEP_SUMMARY", "GITHUB_STATE", "GITHUB_WORKSPACE", "GITHUB_REPOSITORY", "GITHUB_REPOSITORY_OWNER", "GITHUB_SHA", "GITHUB_REF", "GITHUB_RUN_ID", "GITHUB_EVENT_PATH", "RUNNER_TEMP", "RUNNER_OS", "RUNNER_ARCH", "CI"];

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => !!v && typeof v === "object" && !Array.isArray(v);
const keys = (v: unknown) => (isObject(v) ? Object.keys(v) : []);

export function runBlocks(files: readonly SourceFile[]): RunBlock[] {
  const out: RunBlock[] = [];
  for (const f of files) {
    const doc = load(f.text) as Json;
    const topEnv = keys(doc.env);
    const jobs = isObject(doc.jobs) ? doc.jobs : {};
    const groups: Array<[string, unknown[], string[]]> = Object.entries(jobs).map(([id, job]) => [`jobs.${id}.steps`, isObject(job) && Array.isArray(job.steps) ? job.steps : [], isObject(job) ? keys(job.env) : []]);
    if (isObject(doc.runs) && Array.isArray(doc.runs.steps)) groups.push(["runs.steps", doc.runs.steps, []]);
    for (const [at, steps, jobEnv] of groups) {
      steps.forEach((step, i) => {
        if (!isObject(step) || typeof step.run !== "string") return;
        const shell = typeof step.shell === "string" ? step.shell : "bash";
        if (shell !== "bash") return;
        out.push({ file: f.file, at: `${at}[${i}].run`, script: step.run, env: [...new Set([...RUNNER_ENV, ...topEnv, ...jobEnv, ...keys(step.env)])] });
      });
    }
  }
  return out;
}

/** The script file shellcheck reads: shebang, GitHub's `set -eo pipefail`, the declared variables, the block. */
export function scriptFor(block: RunBlock): { text: string; offset: number } {
  const head = ["#!/usr/bin/env bash", "set -eo pipefail", ...block.env.map((v) => `export ${v}=""`)];
  return { text: `${head.join("\n")}\n${block.script}`, offset: head.length };
}

export function shellcheckAvailable(): boolean {
  return spawnSync("shellcheck", ["--version"], { encoding: "utf8" }).status === 0;
}

export function shellcheck(blocks: readonly RunBlock[]): ShellFinding[] {
  if (!blocks.length) return [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shellcheck-"));
  try {
    const files = blocks.map((b, i) => {
      const file = path.join(dir, `${i}.sh`);
      const { text, offset } = scriptFor(b);
      fs.writeFileSync(file, text);
      return { file, block: b, offset };
    });
    const r = spawnSync("shellcheck", ["--shell=bash", "--enable=all", `--exclude=${EXCLUDED.join(",")}`, "--format=json1", ...files.map((f) => f.file)], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (r.error) throw r.error;
    if (r.status !== 0 && r.status !== 1) throw new Error(`shellcheck exited ${r.status}: ${r.stderr}`);
    const parsed = JSON.parse(r.stdout || "{\"comments\":[]}") as { comments: Array<{ file: string; line: number; code: number; level: string; message: string }> };
    const byFile = new Map(files.map((f) => [f.file, f]));
    return parsed.comments.map((c) => {
      const f = byFile.get(c.file)!;
      return { file: f.block.file, at: f.block.at, line: c.line - f.offset, code: `SC${c.code}`, level: c.level, message: c.message };
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function formatShellFindings(findings: readonly ShellFinding[]): string {
  return findings.map((f) => `${f.file}: ${f.at} line ${f.line}: ${f.code} (${f.level}) ${f.message}`).join("\n");
}
