import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * The packaging caches (zips, Python installs; @polycloud/runtime keeps its bundles the same way)
 * live in one folder per user that no one else can write to: what is found there is packaged
 * into the next synth, so a folder another local user could write (the shared temporary
 * directory under a predictable name) would let them choose the code that gets deployed.
 *
 * The folder is `POLYCLOUD_CACHE_DIR`, else `$XDG_CACHE_HOME/polycloud`, else
 * `~/.cache/polycloud`, else (no writable home) `<tmpdir>/polycloud-<uid>`. It is created with
 * mode 0700; an existing one is used only when it is a real directory (not a symbolic link)
 * owned by the current user with no group or other permissions. Anything else is refused with an
 * error that names the folder: it is never repaired or reused, since someone may already have
 * planted files in it.
 *
 * A copy of modules/core/src/cache-dir.ts (core loads this package only to bundle, and the runtime
 * does not depend on core); __tests__/core/cache-dir.test.ts runs the same adversarial cases against both.
 */
export class UnsafeCacheDirError extends Error {}

const currentUid = (): number | undefined => (typeof process.getuid === "function" ? process.getuid() : undefined);

/** Throws unless `dir` is a directory (not a link) owned by `uid` with no group/other permissions. */
export function checkPrivateDir(dir: string, uid: number | undefined = currentUid()): void {
  const st = fs.lstatSync(dir);
  const refuse = (what: string) => {
    throw new UnsafeCacheDirError(
      `polycloud: the build cache folder ${dir} ${what}; it must be a directory owned by you${uid === undefined ? "" : ` (uid ${uid})`} with mode 0700, ` +
      "because whatever it holds is packaged into the next synth. Remove it, or set POLYCLOUD_CACHE_DIR to a private folder.",
    );
  };
  if (st.isSymbolicLink()) refuse("is a symbolic link");
  if (!st.isDirectory()) refuse("is not a directory");
  if (uid !== undefined && st.uid !== uid) refuse(`is owned by uid ${st.uid}`);
  // Windows has no POSIX modes (lstat reports 0o666/0o777); its per-user profile folders are private.
  if (process.platform !== "win32" && (st.mode & 0o077) !== 0) refuse(`has mode 0${(st.mode & 0o777).toString(8)} (group or others may use it)`);
}

/** Creates `dir` with mode 0700 (its parents as needed), or checks the one that exists. */
export function ensurePrivateDir(dir: string, uid: number | undefined = currentUid()): string {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  checkPrivateDir(dir, uid);
  return dir;
}

/** Where the per-user cache folder is, before it is created or checked. */
export function cacheRootCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.POLYCLOUD_CACHE_DIR) return [path.resolve(env.POLYCLOUD_CACHE_DIR)];
  const home = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), ".cache");
  return [path.join(home, "polycloud"), path.join(os.tmpdir(), `polycloud-${currentUid() ?? os.userInfo().username}`)];
}

let root: { key: string; dir: string } | undefined;

/**
 * The checked per-user cache folder (`sub` inside it, created 0700). The first usable candidate
 * wins; a candidate that cannot be created (a read-only home) is skipped, one that exists but is
 * not private stops the synth.
 */
export function privateCacheDir(sub: string): string {
  const candidates = cacheRootCandidates();
  const key = candidates.join("\0");
  if (root?.key !== key) {
    root = undefined;
    let lastError: unknown;
    for (const candidate of candidates) {
      try {
        root = { key, dir: ensurePrivateDir(candidate) };
        break;
      } catch (e) {
        if (e instanceof UnsafeCacheDirError) throw e;
        lastError = e;
      }
    }
    if (!root) throw new Error(`polycloud: no build cache folder could be created (${candidates.join(", ")}): ${(lastError as Error).message}`);
  }
  return ensurePrivateDir(path.join(root.dir, sub));
}
