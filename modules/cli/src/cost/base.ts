import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { StackJson } from "@polycloud/core";

/**
 * Synthesizes the stacks of another commit (the pull request's base) with that commit's own code,
 * in a throwaway git worktree sharing this checkout's installed packages (the workspace packages
 * point at the worktree's own modules). Returns the stacks' JSON; the worktree is removed.
 */
export function synthesizeBase(ref: string, repo = process.cwd()): Record<string, StackJson> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-base-"));
  const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, stdio: ["ignore", "pipe", "pipe"] }).toString();
  git("worktree", "add", "--detach", dir, ref);
  try {
    const nm = path.join(repo, "node_modules");
    fs.mkdirSync(path.join(dir, "node_modules"));
    for (const entry of fs.readdirSync(nm)) {
      if (entry !== "@polycloud") fs.symlinkSync(path.join(nm, entry), path.join(dir, "node_modules", entry));
    }
    fs.mkdirSync(path.join(dir, "node_modules", "@polycloud"));
    for (const m of fs.readdirSync(path.join(dir, "modules"))) {
      const manifest = path.join(dir, "modules", m, "package.json");
      if (!fs.existsSync(manifest)) continue;
      const name = (JSON.parse(fs.readFileSync(manifest, "utf8")) as { name: string }).name;
      if (name.startsWith("@polycloud/")) fs.symlinkSync(path.join(dir, "modules", m), path.join(dir, "node_modules", name));
    }
    const run = (args: string[]) => execFileSync(process.execPath, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
    try {
      run([path.join(nm, "typescript", "bin", "tsc"), "-b"]);
    } catch (e) {
      // Type errors in a package the stacks do not load (e.g. one whose dependencies this checkout
      // lacks) still emit JavaScript; the synthesis below fails if something it needs is missing.
      if (!fs.existsSync(path.join(dir, "dist", "main.js"))) throw e;
    }
    run(["dist/main.js"]);
    const root = path.join(dir, "cdktf.out", "stacks");
    return Object.fromEntries(fs.readdirSync(root).sort().filter((n) => fs.existsSync(path.join(root, n, "cdk.tf.json")))
      .map((n) => [n, JSON.parse(fs.readFileSync(path.join(root, n, "cdk.tf.json"), "utf8")) as StackJson]));
  } finally {
    try { git("worktree", "remove", "--force", dir); } catch { fs.rmSync(dir, { recursive: true, force: true }); }
  }
}
