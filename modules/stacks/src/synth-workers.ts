import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { AppConfig } from "cdktf";
import type { UnitJob, UnitResult } from "./synth-units";

/**
 * Builds units in `count` worker threads (synth-worker.ts), largest first, each worker
 * taking the next unit when it is done. A worker that fails fails the synthesis with its error;
 * the others are stopped.
 *
 * Each worker's old generation is capped (POLYCLOUD_WORKER_HEAP_MB, default 256; 0 for none): V8
 * then collects before its heap grows far past what one unit needs (measured at 200 services per
 * stack: 780 MB for the process uncapped, about 500 MB capped, same CPU time). A unit too big for
 * the cap ends its worker with ERR_WORKER_OUT_OF_MEMORY (`OutOfMemory` below); the caller then
 * builds in its own thread without the cap.
 */
export class WorkerOutOfMemory extends Error {}

export const WORKER_HEAP_MB = 256;
export async function runInWorkers(
  source: { module: string; export: string; args?: readonly unknown[] }, jobs: readonly UnitJob[], staging: string, app: AppConfig | undefined, count: number,
): Promise<{ results: UnitResult[]; appProblems: { stack: string; message: string }[] }> {
  const queue = [...jobs].sort((a, b) => Object.keys(b.hashes).length - Object.keys(a.hashes).length || a.index - b.index);
  const results: UnitResult[] = [];
  const appProblems: { stack: string; message: string }[] = [];
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let open = count;
      const fail = (e: unknown) => reject(e instanceof Error ? e : new Error(String(e)));
      for (let i = 0; i < count; i++) {
        const heap = process.env.POLYCLOUD_WORKER_HEAP_MB !== undefined ? Number(process.env.POLYCLOUD_WORKER_HEAP_MB) : WORKER_HEAP_MB;
        const limit = heap > 0 ? { maxOldGenerationSizeMb: heap } : undefined;
        const worker = new Worker(path.join(__dirname, "synth-worker.js"), { workerData: { source, staging, app }, resourceLimits: limit });
        workers.push(worker);
        const next = () => worker.postMessage(queue.shift() ?? null);
        worker.on("message", (m: { type: string; result?: UnitResult; problems?: { stack: string; message: string }[]; message?: string }) => {
          if (m.type === "ready") next();
          else if (m.type === "result") {
            results.push(m.result!);
            next();
          } else if (m.type === "app") {
            // Every worker built the same app validations: keep one copy of each.
            for (const p of m.problems ?? []) if (!appProblems.some((q) => q.message === p.message)) appProblems.push(p);
            if (--open === 0) resolve();
          } else if (m.type === "error") fail(new Error(`synthesis worker: ${m.message}`));
        });
        worker.on("error", (e: Error & { code?: string }) => fail(e.code === "ERR_WORKER_OUT_OF_MEMORY" ? new WorkerOutOfMemory(e.message) : e));
        worker.on("exit", (code) => {
          if (code !== 0) fail(new Error(`synthesis worker exited with code ${code}`));
        });
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return { results, appProblems };
}
