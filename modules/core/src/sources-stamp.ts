import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Ties cdktf.out to the sources it was synthesized from. `npm run synth` writes the stamp after a
 * successful synthesis and removes it first, so a failed synth leaves no stamp; `npm run policy`
 * and the plan scripts refuse an output whose stamp is missing or does not match the sources now.
 */
export const STAMP_FILE = "polycloud-sources.json";

/** What a synthesis reads: the app, the stacks, the environments and the packages' sources. */
const INPUTS = ["main.ts", "cdktf.json", "stacks", "environments", "modules/core/src", "modules/aws/src", "modules/gcp/src", "modules/azure/src"];

function files(root: string, rel: string): string[] {
  const full = path.join(root, rel);
  if (!fs.existsSync(full)) return [];
  if (fs.statSync(full).isFile()) return [rel];
  return fs.readdirSync(full).sort().flatMap((name) => files(root, path.join(rel, name)));
}

/** SHA-256 over the paths and contents of every input file (function code under stacks/ included). */
export function sourcesHash(root = process.cwd()): string {
  const hash = createHash("sha256");
  for (const rel of INPUTS.flatMap((i) => files(root, i))) {
    hash.update(rel.split(path.sep).join("/")).update("\0").update(fs.readFileSync(path.join(root, rel))).update("\0");
  }
  return hash.digest("hex");
}

export function removeStamp(outdir: string): void {
  fs.rmSync(path.join(outdir, STAMP_FILE), { force: true });
}

export function writeStamp(outdir: string, root = process.cwd()): void {
  fs.mkdirSync(outdir, { recursive: true });
  fs.writeFileSync(path.join(outdir, STAMP_FILE), JSON.stringify({ sources: sourcesHash(root), synthesizedAt: new Date().toISOString() }, null, 2) + "\n");
}

/** Undefined when `outdir` was synthesized from the current sources; otherwise why it is refused. */
export function staleSynthReason(outdir: string, root = process.cwd()): string | undefined {
  const file = path.join(outdir, STAMP_FILE);
  if (!fs.existsSync(file)) return `${outdir} has no ${STAMP_FILE}: the last synth failed or predates this check. Run \`npm run synth\`.`;
  const stamped = (JSON.parse(fs.readFileSync(file, "utf8")) as { sources?: string }).sources;
  const now = sourcesHash(root);
  if (stamped !== now) return `${outdir} was synthesized from other sources (${String(stamped).slice(0, 12)}, now ${now.slice(0, 12)}): it does not match main.ts, stacks/, environments/ or modules/*/src. Run \`npm run synth\`.`;
  return undefined;
}
