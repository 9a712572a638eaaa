import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { StackJson } from "@polycloud/core";

/**
 * Synthesizes the stacks of another commit (the pull request's base) with that commit's own app
 * (its cdktf.json `app`), in a throwaway git worktree sharing this checkout's installed packages.
 * Workspace packages of the base (folders whose package.json names an installed `node_modules`
 * entry, e.g. `modules/core` for `@polycloud/core`) point at the worktree's own copy, so the base's
 * stacks are built by the base's modules. Returns the stacks' JSON; the worktree is removed.
 */
export async function synthesizeBase(ref: string, repo: string): Promise<Record<string, StackJson>> {
  if (!/^[0-9a-f]{7,40}$|^[A-Za-z0-9._/-]+$/.test(ref)) throw new Error(`--base-ref '${ref}' is not a commit or ref`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-base-"));
  const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, stdio: ["ignore", "pipe", "pipe"] }).toString();
  const top = git("rev-parse", "--show-toplevel").trim();
  // The project may sit in a subfolder of its repository.
  const sub = path.relative(fs.realpathSync(top), fs.realpathSync(repo));
  git("worktree", "add", "--detach", dir, ref);
  try {
    const root = path.join(dir, sub);
    if (!fs.existsSync(path.join(root, "cdktf.json"))) throw new Error(`${ref} has no ${path.join(sub, "cdktf.json")}`);
    const app = (JSON.parse(fs.readFileSync(path.join(root, "cdktf.json"), "utf8")) as { app?: string }).app;
    if (!app) throw new Error(`${ref}: cdktf.json has no app`);
    linkNodeModules(path.join(repo, "node_modules"), root);
    await run(app, root);
    const stacks = path.join(root, "cdktf.out", "stacks");
    return Object.fromEntries(fs.readdirSync(stacks).sort().filter((n) => fs.existsSync(path.join(stacks, n, "cdk.tf.json")))
      .map((n) => [n, JSON.parse(fs.readFileSync(path.join(stacks, n, "cdk.tf.json"), "utf8")) as StackJson]));
  } finally {
    try { git("worktree", "remove", "--force", dir); } catch { fs.rmSync(dir, { recursive: true, force: true }); }
  }
}

/** Workspace folders of the base (`workspaces` globs of the form `dir/*`) by package name. */
function workspaceFolders(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const manifest = path.join(root, "package.json");
  if (!fs.existsSync(manifest)) return out;
  const workspaces = (JSON.parse(fs.readFileSync(manifest, "utf8")) as { workspaces?: string[] }).workspaces ?? [];
  for (const glob of workspaces) {
    const parent = path.join(root, glob.replace(/\/\*$/, ""));
    const folders = glob.endsWith("/*") ? (fs.existsSync(parent) ? fs.readdirSync(parent).map((d) => path.join(parent, d)) : []) : [path.join(root, glob)];
    for (const folder of folders) {
      const pkg = path.join(folder, "package.json");
      if (fs.existsSync(pkg)) out.set((JSON.parse(fs.readFileSync(pkg, "utf8")) as { name: string }).name, folder);
    }
  }
  return out;
}

/** The installed packages, linked into the worktree; the base's own workspace packages link to its folders. */
function linkNodeModules(installed: string, root: string): void {
  const own = workspaceFolders(root);
  const target = path.join(root, "node_modules");
  fs.mkdirSync(target, { recursive: true });
  for (const entry of fs.readdirSync(installed)) {
    if (entry.startsWith("@")) {
      fs.mkdirSync(path.join(target, entry), { recursive: true });
      for (const name of fs.readdirSync(path.join(installed, entry))) {
        const full = `${entry}/${name}`;
        fs.symlinkSync(own.get(full) ?? path.join(installed, entry, name), path.join(target, entry, name));
      }
    } else {
      fs.symlinkSync(own.get(entry) ?? path.join(installed, entry), path.join(target, entry));
    }
  }
}

function run(command: string, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1" };
    // The base writes its own cdktf.out, whatever output directory this run was given.
    delete env.CDKTF_OUTDIR;
    delete env.PLATFORM_STACKS;
    const child = spawn(command, { cwd, shell: true, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => { output += d; });
    child.stderr.on("data", (d) => { output += d; });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`\`${command}\` exited with ${code}: ${output.trim().split("\n").slice(-5).join(" / ")}`))));
  });
}
