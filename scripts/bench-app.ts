import * as path from "node:path";
import { SynthValidationError, formatWarnings, skipTokenCreationTraces, synthesize } from "@polycloud/stacks";

/**
 * `node dist/scripts/bench-app.js <N> [partition] [--change <service>]`: synthesizes the
 * benchmark's composition (scripts/bench-composition.ts) to CDKTF_OUTDIR like main.ts,
 * incrementally (POLYCLOUD_INCREMENTAL=0 for a full synth; POLYCLOUD_SYNTH_WORKERS sets the
 * worker threads). `--change svc-042` changes that one service; `--break svc-003,svc-007` gives
 * those services an invalid function timeout. Prints the warnings as main.ts does (stdout).
 */
const argv = process.argv.slice(2);
const count = Number(argv[0] ?? "10");
const partition = argv.includes("partition");
const changed = argv.includes("--change") ? argv[argv.indexOf("--change") + 1] : undefined;
const broken = argv.includes("--break") ? argv[argv.indexOf("--break") + 1].split(",") : [];
skipTokenCreationTraces();
synthesize({ module: require.resolve("./bench-composition"), export: "benchComposition", args: [count, partition, changed, broken] }, {
  // The code that renders the benchmark's stacks: this folder, stacks/ (scale-services) and environments/.
  code: [__dirname, path.join(__dirname, "..", "stacks"), path.join(__dirname, "..", "environments")],
}).then((report) => {
  console.log(formatWarnings(report.warnings, { showUnusedAccepts: !process.env.PLATFORM_STACKS }));
  console.error(`bench-app: ${report.built.length} stacks synthesized, ${report.reused.length} reused, ${report.workers} worker threads`);
}, (e: unknown) => {
  console.error(e instanceof SynthValidationError ? e.message : e);
  process.exitCode = 1;
});
