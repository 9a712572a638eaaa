import { synthesize } from "../stacks/synthesize";
import { skipTokenCreationTraces } from "../stacks/token-traces";

/**
 * `node dist/scripts/bench-app.js <N> [partition] [--change <service>]`: synthesizes the
 * benchmark's composition (scripts/bench-composition.ts) to CDKTF_OUTDIR like main.ts,
 * incrementally (POLYCLOUD_INCREMENTAL=0 for a full synth; POLYCLOUD_SYNTH_WORKERS sets the
 * worker threads). `--change svc-042` changes that one service.
 */
const argv = process.argv.slice(2);
const count = Number(argv[0] ?? "10");
const partition = argv.includes("partition");
const changed = argv.includes("--change") ? argv[argv.indexOf("--change") + 1] : undefined;
skipTokenCreationTraces();
synthesize({ module: require.resolve("./bench-composition"), export: "benchComposition", args: [count, partition, changed] }).then((report) => {
  console.error(`bench-app: ${report.built.length} stacks synthesized, ${report.reused.length} reused, ${report.workers} worker threads`);
}, (e: unknown) => {
  console.error((e as Error).message);
  process.exitCode = 1;
});
