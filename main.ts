import { App } from "cdktf";
import { skipTokenCreationTraces } from "./stacks/token-traces";
import { SynthValidationError, buildStacks, formatWarnings, synthAll } from "./stacks/app";
import { composition } from "./stacks/composition";

// One stack per environment × enabled cloud (dev-aws, prod-aws, …).
// PLATFORM_STACKS filters them, e.g. PLATFORM_STACKS="dev-*" or "prod-aws".
skipTokenCreationTraces();
const app = new App();
// The environments and services come from stacks/composition.ts.
buildStacks(app, { ...composition, filter: process.env.PLATFORM_STACKS });
try {
  // Warnings and validation problems are printed once each, with the stacks they affect.
  console.log(formatWarnings(synthAll(app)));
} catch (e) {
  if (!(e instanceof SynthValidationError)) throw e;
  console.error(e.message);
  process.exitCode = 1;
}
