import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { projectConfig } from "./project-config";

/**
 * Ties cdktf.out to the sources it was synthesized from. `polycloud synth` (the app's synthesis)
 * writes the stamp after a successful synthesis and removes it first, so a failed synth leaves no
 * stamp; `polycloud policy`, `cost` and the plan verbs refuse an output whose stamp is missing or
 * does not match the sources now.
 */
export const STAMP_FILE = "polycloud-sources.json";

/**
 * What a synthesis reads when the project does not list it (package.json `polycloud.sources`):
 * the app, the composition, the environments and the installed package versions. The function
 * and migration folders the composition names are added by the synthesis itself.
 */
export const DEFAULT_SOURCES: readonly string[] = ["cdktf.json", "main.ts", "stacks", "environments", "package-lock.json"];

/** Folders never read as sources, wherever an input names a parent of them. */
const SKIPPED = new Set(["node_modules", ".git", "cdktf.out", "dist", "lib", "coverage", ".terraform", "__pycache__"]);

function files(root: string, rel: string): string[] {
  const full = path.join(root, rel);
  if (!fs.existsSync(full)) return [];
  if (fs.statSync(full).isFile()) return [rel];
  return fs.readdirSync(full).sort().filter((name) => !SKIPPED.has(name)).flatMap((name) => files(root, path.join(rel, name)));
}

/** The project's configured inputs (package.json `polycloud.sources`), else DEFAULT_SOURCES. */
export function projectSources(root = process.cwd()): string[] {
  return [...(projectConfig(root).sources ?? DEFAULT_SOURCES)];
}

/** SHA-256 over the paths and contents of every input file (function code included). */
export function sourcesHash(root = process.cwd(), inputs: readonly string[] = projectSources(root)): string {
  const hash = createHash("sha256");
  const seen = new Set<string>();
  for (const rel of inputs.flatMap((i) => files(root, path.normalize(i)))) {
    const key = rel.split(path.sep).join("/");
    if (seen.has(key)) continue;
    seen.add(key);
    hash.update(key).update("\0").update(fs.readFileSync(path.join(root, rel))).update("\0");
  }
  return hash.digest("hex");
}

export function removeStamp(outdir: string): void {
  fs.rmSync(path.join(outdir, STAMP_FILE), { force: true });
}

/**
 * Writes the stamp of a successful synthesis. `inputs` are the files and folders it read, relative
 * to `root` (default: the project's configured sources); they are recorded, so the check reads the
 * same ones.
 */
export function writeStamp(outdir: string, root = process.cwd(), inputs: readonly string[] = projectSources(root)): void {
  fs.mkdirSync(outdir, { recursive: true });
  const stamp = { sources: sourcesHash(root, inputs), inputs, synthesizedAt: new Date().toISOString() };
  fs.writeFileSync(path.join(outdir, STAMP_FILE), JSON.stringify(stamp, null, 2) + "\n");
}

/** Undefined when `outdir` was synthesized from the current sources; otherwise why it is refused. */
export function staleSynthReason(outdir: string, root = process.cwd()): string | undefined {
  const file = path.join(outdir, STAMP_FILE);
  if (!fs.existsSync(file)) return `${outdir} has no ${STAMP_FILE}: the last synth failed or predates this check. Run \`polycloud synth\`.`;
  const stamp = JSON.parse(fs.readFileSync(file, "utf8")) as { sources?: string; inputs?: string[] };
  const inputs = stamp.inputs ?? projectSources(root);
  const now = sourcesHash(root, inputs);
  if (stamp.sources !== now) return `${outdir} was synthesized from other sources (${String(stamp.sources).slice(0, 12)}, now ${now.slice(0, 12)}): it does not match ${inputs.join(", ")}. Run \`polycloud synth\`.`;
  return undefined;
}
