import { environments } from "../environments";
import { scaleServices } from "../stacks/scale-services";
import { synthesize } from "../stacks/synthesize";
import { skipTokenCreationTraces } from "../stacks/token-traces";

/**
 * The benchmark's scaled composition: every environment × cloud stack with N small services
 * (`node dist/scripts/bench-app.js <N> [partition] [--change <service>]`). Writes to CDKTF_OUTDIR
 * like main.ts, incrementally (POLYCLOUD_INCREMENTAL=0 for a full synth). `--change svc-042`
 * gives that service another function memory size in every environment: one changed service.
 */
const argv = process.argv.slice(2);
const count = Number(argv[0] ?? "10");
const partition = argv.includes("partition");
const changed = argv.includes("--change") ? argv[argv.indexOf("--change") + 1] : undefined;
const envs = environments.map((e) => (partition ? { ...e, partitioning: "service" as const } : e));
skipTokenCreationTraces();
const report = synthesize({
  environments: envs,
  services: (env) => scaleServices(env, count).map((s) => (s.name !== changed ? s : {
    ...s, functions: Object.fromEntries(Object.entries(s.functions ?? {}).map(([id, f]) => [id, { ...f, memoryMb: f.memoryMb === 512 ? 1024 : 512 }])),
  })),
  filter: process.env.PLATFORM_STACKS,
});
console.error(`bench-app: ${report.built.length} stacks synthesized, ${report.reused.length} reused`);
