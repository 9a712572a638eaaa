import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { synthesizeAll } from "./sample-json";
import { SynthJson } from "./synth";

const ROOT = path.resolve(__dirname, "../..");
/** cdktf's and our own switches that change what a synthesis writes (as modules/stacks/src/synth-inputs.ts lists them). */
const SYNTH_ENV = ["CDKTF_CONTEXT_JSON", "SYNTH_HCL_OUTPUT", "CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS", "POLYCLOUD_TOKEN_TRACES"];
/** Where the synthesized composition is kept between test files and runs (one file per inputs hash). */
export const ALL_STACKS_CACHE_DIR = path.join(ROOT, "node_modules", ".cache", "polycloud-tests");

function files(entry: string): string[] {
  const full = path.join(ROOT, entry);
  const stat = fs.statSync(full, { throwIfNoEntry: false });
  if (!stat) return [];
  if (stat.isFile()) return [entry];
  return fs.readdirSync(full, { withFileTypes: true })
    .filter((d) => d.name !== "node_modules")
    .flatMap((d) => (d.isDirectory() ? files(path.join(entry, d.name)) : d.isFile() ? [path.join(entry, d.name)] : []));
}

/**
 * The hash of what the reference composition is synthesized from: every file of the synth
 * sources the repository declares (package.json `polycloud.sources`: main.ts, stacks/,
 * environments/, the modules' sources, the function folders under stacks/), package-lock.json
 * (every dependency's version), this helper, the working directory and the settings cdktf reads
 * at synth time. Any edit to any of them is a different key: a stale synthesis is never read.
 */
export function allStacksKey(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { polycloud: { sources: string[] } };
  // The sample the tests synthesize lives in __tests__/fixtures/sample (sample-json.ts reads it), not environments/.
  const inputs = [...pkg.polycloud.sources, "package-lock.json", path.relative(ROOT, __filename), "__tests__/helpers/sample-json.ts", "__tests__/fixtures/sample"].flatMap(files).sort();
  const h = createHash("sha256");
  h.update(`${ROOT}\0${process.version}\0`);
  for (const name of SYNTH_ENV) h.update(`${name}=${process.env[name] ?? ""}\0`);
  for (const f of inputs) h.update(f).update("\0").update(fs.readFileSync(path.join(ROOT, f))).update("\0");
  return h.digest("hex").slice(0, 32);
}

/**
 * Synthesizes the composition, or reads the synthesis another test file of this run (or an earlier
 * run with the same inputs) wrote. Written to a temporary name and renamed: a reader sees a whole
 * file or none. `POLYCLOUD_TEST_SYNTH_CACHE=0` always synthesizes.
 */
function synthesizeOrRead(): Record<string, SynthJson> {
  if (process.env.POLYCLOUD_TEST_SYNTH_CACHE === "0") return synthesizeAll() as Record<string, SynthJson>;
  const file = path.join(ALL_STACKS_CACHE_DIR, `all-stacks-${allStacksKey()}.json`);
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, SynthJson>;
  } catch {
    // Not written yet (or unreadable): synthesize and keep it.
  }
  const stacks = synthesizeAll() as Record<string, SynthJson>;
  try {
    fs.mkdirSync(ALL_STACKS_CACHE_DIR, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(stacks));
    fs.renameSync(tmp, file);
    // Older syntheses (other inputs) are never read again.
    for (const old of fs.readdirSync(ALL_STACKS_CACHE_DIR)) {
      if (old.startsWith("all-stacks-") && old !== path.basename(file) && !old.endsWith(".tmp")) fs.rmSync(path.join(ALL_STACKS_CACHE_DIR, old), { force: true });
    }
  } catch {
    // A read-only checkout still gets its stacks; the next file synthesizes again.
  }
  return stacks;
}

let cache: Record<string, SynthJson> | undefined;

/**
 * Every stack of the reference composition, synthesized once per test run and inputs (shared by
 * every test file through the cache file; within a file, one object).
 */
export function allStacks(): Record<string, SynthJson> {
  cache ??= synthesizeOrRead();
  return cache;
}
