import { App } from "cdktf";
import { environments } from "./environments";
import { buildStacks, synthAll } from "./stacks/app";
import { referenceService } from "./stacks/reference-service";

// One stack per environment × enabled cloud (dev-aws, prod-aws, …).
// PLATFORM_STACKS filters them, e.g. PLATFORM_STACKS="dev-*" or "prod-aws".
const app = new App();
buildStacks(app, { environments, service: referenceService, filter: process.env.PLATFORM_STACKS });
synthAll(app);
