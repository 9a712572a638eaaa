import { parentPort, workerData } from "node:worker_threads";
import { planStacks } from "./plan";
import { ModuleSource, loadComposition } from "./synth-source";
import { Unit, UnitBuilder, UnitJob, units } from "./synth-units";
import { skipTokenCreationTraces } from "./token-traces";

/**
 * A worker thread of synthesize.ts: loads the composition itself (functions cannot cross
 * threads), then builds the units it is sent into the shared staging folder, one at a time, and
 * answers each with its result. Its own heap, so memory one unit leaves behind (cdktf keeps every
 * token it created in a global map) is bounded per thread.
 */
interface Setup {
  readonly source: ModuleSource;
  readonly staging: string;
  readonly app?: Record<string, unknown>;
}

const setup = workerData as Setup;
skipTokenCreationTraces();
const plan = planStacks(loadComposition(setup.source));
const all: Unit[] = units(plan);
let builder: UnitBuilder | undefined;

parentPort!.on("message", (job: UnitJob | null) => {
  if (job === null) {
    parentPort!.postMessage({ type: "app", problems: builder?.appProblems() ?? [] });
    parentPort!.close();
    return;
  }
  try {
    builder ??= new UnitBuilder(plan, setup.staging, setup.app);
    parentPort!.postMessage({ type: "result", result: builder.build(all[job.index], job) });
  } catch (e) {
    parentPort!.postMessage({ type: "error", message: (e as Error).stack ?? String(e) });
  }
});
parentPort!.postMessage({ type: "ready" });
