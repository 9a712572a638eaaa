import { App } from "cdktf";
import { skipTokenCreationTraces } from "./stacks/token-traces";
import { withLocalState } from "./environments";
import { SynthValidationError, buildStacks, formatWarnings, synthAll } from "./stacks/app";
import { composition } from "./stacks/composition";

// One stack per environment × enabled cloud (dev-aws, prod-aws, …).
// PLATFORM_STACKS filters them, e.g. PLATFORM_STACKS="dev-*" or "prod-aws".
// PLATFORM_LOCAL_STATE=1 replaces the remote state backends with local state files (a laptop only).
skipTokenCreationTraces();
const app = new App();
// The environments and services come from stacks/composition.ts.
const environments = process.env.PLATFORM_LOCAL_STATE === "1" ? withLocalState(composition.environments) : composition.environments;
buildStacks(app, { ...composition, environments, filter: process.env.PLATFORM_STACKS });
try {
  // Validation problems are printed once each with the stacks they affect; warnings once per
  // environment with the services they affect (accepted ones counted), then a one-line summary.
  console.log(formatWarnings(synthAll(app), { showUnusedAccepts: !process.env.PLATFORM_STACKS }));
} catch (e) {
  if (!(e instanceof SynthValidationError)) throw e;
  console.error(e.message);
  process.exitCode = 1;
}
