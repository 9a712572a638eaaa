import { App } from "cdktf";
import { skipTokenCreationTraces } from "./stacks/token-traces";
import { environments, withLocalState } from "./environments";
import { buildStacks, synthAll } from "./stacks/app";
import { referenceService } from "./stacks/reference-service";

// One stack per environment × enabled cloud (dev-aws, prod-aws, …).
// PLATFORM_STACKS filters them, e.g. PLATFORM_STACKS="dev-*" or "prod-aws".
// PLATFORM_LOCAL_STATE=1 replaces the remote state backends with local state files (a laptop only).
skipTokenCreationTraces();
const app = new App();
buildStacks(app, { environments: process.env.PLATFORM_LOCAL_STATE === "1" ? withLocalState(environments) : environments, service: referenceService, filter: process.env.PLATFORM_STACKS });
synthAll(app);
