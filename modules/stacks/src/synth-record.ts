import * as fs from "node:fs";
import * as path from "node:path";
import { StackManifest } from "cdktf";
import { FileDigest } from "./synth-inputs";

/**
 * What an incremental synthesis knows about the previous one in the same output directory
 * (`<outdir>/polycloud-synth.json`): per stack, the hash of its inputs, its manifest entry (with
 * its annotations), the cross-stack references it made, and the size and modification time of the
 * files it wrote (so an output edited or deleted since is synthesized again).
 */
export const RECORD_FILE = "polycloud-synth.json";
const RECORD_FORMAT = "polycloud-synth/1";

export interface StackRecord {
  readonly hash: string;
  readonly entry: StackManifest;
  /** [origin stack, identifier] of each cross-stack reference the stack made. */
  readonly refs: readonly (readonly [string, string])[];
  /** Each file under the stack's directory that synthesis wrote: [relative path, size, mtimeMs]. */
  readonly files: readonly (readonly [string, number, number])[];
}

/** The manifest.json written: the stacks it lists, its size and modification time. */
export interface ManifestRecord {
  readonly stacks: readonly string[];
  readonly size: number;
  readonly mtimeMs: number;
}

export interface SynthRecord {
  readonly format: string;
  readonly stacks: Record<string, StackRecord>;
  readonly digests: Record<string, FileDigest>;
  readonly manifest?: ManifestRecord;
}

export function readRecord(outdir: string): SynthRecord | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(path.join(outdir, RECORD_FILE), "utf8")) as SynthRecord;
    return r.format === RECORD_FORMAT && r.stacks && r.digests ? r : undefined;
  } catch {
    return undefined;
  }
}

/** Removed before a synthesis changes anything: an interrupted run leaves no record to trust. */
export function removeRecord(outdir: string): void {
  fs.rmSync(path.join(outdir, RECORD_FILE), { force: true });
}

export function writeRecord(outdir: string, stacks: Record<string, StackRecord>, digests: Record<string, FileDigest>, manifest: ManifestRecord): void {
  const file = path.join(outdir, RECORD_FILE);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify({ format: RECORD_FORMAT, stacks, digests, manifest }));
  fs.renameSync(`${file}.tmp`, file);
}

/** [size, mtimeMs] of a file, or undefined when it does not exist. */
export function fileStamp(file: string): [number, number] | undefined {
  try {
    const st = fs.statSync(file);
    return [st.size, st.mtimeMs];
  } catch {
    return undefined;
  }
}

/** The files of `dir` (relative paths, recursive) with size and modification time. */
function filesOf(dir: string, rel = ""): [string, number, number][] {
  const out: [string, number, number][] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...filesOf(dir, r));
    else {
      const st = fs.statSync(path.join(dir, r));
      out.push([r, st.size, st.mtimeMs]);
    }
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Undefined while every file the stack's synthesis wrote is still there, unchanged in size and time; otherwise the first that is not. */
export function outputChange(outdir: string, id: string, record: StackRecord): string | undefined {
  if (!record.files.length) return "no files recorded";
  const dir = path.join(outdir, "stacks", id);
  for (const [rel, size, mtimeMs] of record.files) {
    try {
      const st = fs.statSync(path.join(dir, rel));
      if (st.size !== size || st.mtimeMs !== mtimeMs) return `${rel} changed since it was written`;
    } catch {
      return `${rel} is missing`;
    }
  }
  return undefined;
}

export function outputIntact(outdir: string, id: string, record: StackRecord): boolean {
  return outputChange(outdir, id, record) === undefined;
}

/**
 * Moves a stack synthesized into `staging` into `outdir`, replacing what it writes (the
 * configuration, the whole assets folder, so no package of a removed function stays behind) and
 * leaving the rest of the stack's directory (e.g. `.terraform` from `terraform init`) alone.
 * Returns the files written, for the record.
 */
export function moveStaged(staging: string, outdir: string, id: string): [string, number, number][] {
  const from = path.join(staging, "stacks", id);
  const to = path.join(outdir, "stacks", id);
  fs.mkdirSync(to, { recursive: true });
  const written = filesOf(from);
  for (const name of fs.readdirSync(from)) {
    fs.rmSync(path.join(to, name), { recursive: true, force: true });
    fs.renameSync(path.join(from, name), path.join(to, name));
  }
  return written;
}
