import { App } from "cdktf";
import { environments } from "../environments";
import { buildStacks, synthAll } from "@polycloud/stacks";
import { scaleServices } from "../stacks/scale-services";
import { skipTokenCreationTraces } from "@polycloud/stacks";

/**
 * The benchmark's scaled composition: every environment × cloud stack with N small services
 * (`node dist/scripts/bench-app.js <N> [partition]`). Writes to CDKTF_OUTDIR like main.ts.
 */
const count = Number(process.argv[2] ?? "10");
const partition = process.argv[3] === "partition";
const envs = environments.map((e) => (partition ? { ...e, partitioning: "service" as const } : e));
skipTokenCreationTraces();
const app = new App();
buildStacks(app, { environments: envs, services: (env) => scaleServices(env, count), filter: process.env.PLATFORM_STACKS });
synthAll(app);
