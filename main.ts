import { skipTokenCreationTraces } from "./stacks/token-traces";
import { withLocalState } from "./environments";
import { SynthValidationError, formatWarnings } from "./stacks/plan";
import { composition } from "./stacks/composition";
import { synthesize } from "./stacks/synthesize";

// One stack per environment × enabled cloud (dev-aws, prod-aws, …).
// PLATFORM_STACKS filters them, e.g. PLATFORM_STACKS="dev-*" or "prod-aws".
// PLATFORM_LOCAL_STATE=1 replaces the remote state backends with local state files (a laptop only).
// Stacks whose inputs did not change since the last synth into the same directory are reused
// (POLYCLOUD_INCREMENTAL=0 synthesizes every stack again; see docs/performance.md).
skipTokenCreationTraces();
// The environments and services come from stacks/composition.ts.
const environments = process.env.PLATFORM_LOCAL_STATE === "1" ? withLocalState(composition.environments) : composition.environments;
try {
  const report = synthesize({ ...composition, environments, filter: process.env.PLATFORM_STACKS });
  // Warnings and validation problems are printed once each, with the stacks they affect.
  console.log(formatWarnings(report.warnings));
  console.error(`synth: ${report.built.length} stack${report.built.length === 1 ? "" : "s"} synthesized, ${report.reused.length} unchanged and reused (${report.outdir})`);
} catch (e) {
  if (!(e instanceof SynthValidationError)) throw e;
  console.error(e.message);
  process.exitCode = 1;
}
