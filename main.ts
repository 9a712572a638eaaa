import { runApp } from "@polycloud/stacks";
import { composition } from "./stacks/composition";

// One stack per environment × enabled cloud (dev-aws, prod-aws, …) for the environments and
// services of stacks/composition.ts. `polycloud synth` runs this (cdktf.json's app) and reads what
// it writes: the stacks, the sources stamp and the synth manifest. PLATFORM_STACKS filters the
// stacks, e.g. "dev-*" or "prod-aws" (`polycloud synth --stacks`); PLATFORM_LOCAL_STATE=1 replaces
// the remote state backends with local state files, for a laptop only (`--local-state`).
runApp(composition);
