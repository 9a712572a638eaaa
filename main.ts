import * as path from "node:path";
import { runApp } from "@polycloud/stacks";

// One stack per environment × enabled cloud (dev-aws, prod-aws, …) for the environments and
// services of stacks/composition.ts. `polycloud synth` runs this (cdktf.json's app) and reads what
// it writes: the stacks, the sources stamp and the synth manifest. PLATFORM_STACKS filters the
// stacks, e.g. "dev-*" or "prod-aws" (`polycloud synth --stacks`); PLATFORM_LOCAL_STATE=1 replaces
// the remote state backends with local state files, for a laptop only (`--local-state`).
// Stacks whose inputs did not change since the last synth into the same directory are reused
// (POLYCLOUD_INCREMENTAL=0 synthesizes every stack again); a large composition is built by worker
// threads, each loading the composition module itself (see docs/performance.md).
void runApp(
  { module: require.resolve("./stacks/composition"), export: "composition" },
  // The project's code that renders stacks: a change there synthesizes every stack again.
  { code: [path.join(__dirname, "stacks"), path.join(__dirname, "environments")] },
);
