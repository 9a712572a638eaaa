import { skipTokenCreationTraces } from "./stacks/token-traces";
import { SynthValidationError, formatWarnings } from "./stacks/plan";
import { synthesize } from "./stacks/synthesize";

// One stack per environment × enabled cloud (dev-aws, prod-aws, …), from stacks/composition.ts
// (stacks/app-composition.ts applies PLATFORM_STACKS and PLATFORM_LOCAL_STATE).
// Stacks whose inputs did not change since the last synth into the same directory are reused
// (POLYCLOUD_INCREMENTAL=0 synthesizes every stack again; see docs/performance.md).
skipTokenCreationTraces();
synthesize({ module: require.resolve("./stacks/app-composition"), export: "appComposition" }).then((report) => {
  // Validation problems are printed once each with the stacks they affect; warnings once per
  // environment with the services they affect (accepted ones counted), then a one-line summary.
  console.log(formatWarnings(report.warnings, { showUnusedAccepts: !process.env.PLATFORM_STACKS }));
  console.error(`synth: ${report.built.length} stack${report.built.length === 1 ? "" : "s"} synthesized, ${report.reused.length} unchanged and reused (${report.outdir})`);
}, (e: unknown) => {
  if (!(e instanceof SynthValidationError)) throw e;
  console.error(e.message);
  process.exitCode = 1;
});
