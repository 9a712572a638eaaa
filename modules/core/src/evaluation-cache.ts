import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { privateCacheDir } from "./cache-dir";

/**
 * Per-stack results of `polycloud policy` and `polycloud cost` (a stack's policy evaluation, its
 * cost measure), kept between runs so a stack whose file has not changed is not parsed and
 * evaluated again. An entry is used only when its key matches, and the key is a SHA-256 of:
 * the kind of result, the code that computes it (every compiled file of this package: rules,
 * quantity functions and prices live here), what else the result depends on (the stack's name,
 * environment, retention; the date for cost) and the SHA-256 of the stack file's bytes. A hit is
 * therefore the result a cold run computes; anything else (a changed stack, rule, price,
 * retention) is a miss and is evaluated. The file's content hash is taken again unless the file
 * keeps the identity it had when the entry was stored (device, inode, size, modification and
 * change time, as git's index trusts them; the change time cannot be set back by any tool).
 *
 * Entries live in the per-user private cache folder (`privateCacheDir`, the same rules as the
 * packaging caches: another local user must not be able to plant an entry that hides a finding),
 * one file per kind × output folder × stack, overwritten by the next result: the folder holds at
 * most one entry per stack a user has checked. `POLYCLOUD_EVAL_CACHE=0` turns it off.
 */
export interface EvaluationCache {
  /** The entry of a stack: the key it was stored under, the stack file's identity and content hash then, and the result. */
  get<T>(kind: string, outdir: string, stack: string): CacheEntry<T> | undefined;
  set<T>(kind: string, outdir: string, stack: string, entry: CacheEntry<T>): void;
}

export interface CacheEntry<T> {
  readonly key: string;
  /** `fileIdentity` of the stack file when its content hash was taken. */
  readonly file: string;
  /** `contentHash` of the stack file. */
  readonly content: string;
  readonly value: T;
}

const sha256 = (...parts: (string | Buffer)[]) => {
  const h = crypto.createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex");
};

/** Every source or compiled file of `dir` (not declarations, not maps), sorted, recursively. */
function codeFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...codeFiles(file));
    else if (/\.(js|ts)$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(file);
  }
  return out.sort();
}

let fingerprint: string | undefined;

/** A hash of this package's code (the folder this file was loaded from), once per process. */
export function coreCodeFingerprint(): string {
  if (fingerprint === undefined) {
    const h = crypto.createHash("sha256");
    for (const file of codeFiles(__dirname)) h.update(path.relative(__dirname, file)).update("\0").update(fs.readFileSync(file)).update("\0");
    fingerprint = h.digest("hex");
  }
  return fingerprint;
}

/** The SHA-256 of a stack file's bytes. */
export const contentHash = (bytes: Buffer): string => sha256(bytes);

/** The key of a result: its kind, the code, its other inputs (`context`) and the stack file's content hash. */
export function evaluationKey(kind: string, context: string, content: string): string {
  return sha256(kind, coreCodeFingerprint(), context, content);
}

/**
 * A file's identity as git's index keeps it: device, inode, size, modification and change time
 * (nanoseconds). The change time cannot be set by any tool, so a rewrite that keeps the size and
 * the modification time still changes it.
 */
export function fileIdentity(file: string): string {
  const st = fs.statSync(file, { bigint: true });
  return [st.dev, st.ino, st.size, st.mtimeNs, st.ctimeNs].join(":");
}

/** The cache in `dir` (default: the per-user private cache folder's `evaluations`). */
export function fileEvaluationCache(dir?: string): EvaluationCache {
  let folder = dir;
  const where = () => (folder ??= privateCacheDir("evaluations"));
  const entry = (kind: string, outdir: string, stack: string) => path.join(where(), `${sha256(kind, path.resolve(outdir), stack).slice(0, 40)}.json`);
  return {
    get<T>(kind: string, outdir: string, stack: string): CacheEntry<T> | undefined {
      let text: string;
      try {
        text = fs.readFileSync(entry(kind, outdir, stack), "utf8");
      } catch {
        return undefined;
      }
      try {
        const parsed = JSON.parse(text) as Partial<CacheEntry<T>>;
        const ok = typeof parsed.key === "string" && typeof parsed.file === "string" && typeof parsed.content === "string" && parsed.value !== undefined;
        return ok ? (parsed as CacheEntry<T>) : undefined;
      } catch {
        return undefined; // a torn or foreign file: evaluated again and overwritten
      }
    },
    set<T>(kind: string, outdir: string, stack: string, value: CacheEntry<T>): void {
      const file = entry(kind, outdir, stack);
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(tmp, JSON.stringify(value), { mode: 0o600 });
        fs.renameSync(tmp, file);
      } catch {
        // A cache that cannot be written costs the next run time, never a result.
        fs.rmSync(tmp, { force: true });
      }
    },
  };
}

/** The cache unless `POLYCLOUD_EVAL_CACHE=0`. */
export function defaultEvaluationCache(env: NodeJS.ProcessEnv = process.env): EvaluationCache | undefined {
  return env.POLYCLOUD_EVAL_CACHE === "0" ? undefined : fileEvaluationCache();
}
