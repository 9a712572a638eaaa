import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { AppConfig } from "cdktf";
import type { UnitJob, UnitResult } from "./synth-units";

/**
 * Builds units in `count` worker threads (stacks/synth-worker.ts), largest first, each worker
 * taking the next unit when it is done. A worker that fails (an exception, out of memory) fails
 * the synthesis with its error; the others are stopped.
 */
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
        const worker = new Worker(path.join(__dirname, "synth-worker.js"), { workerData: { source, staging, app } });
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
        worker.on("error", fail);
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
