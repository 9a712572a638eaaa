import { startRunner } from "@polycloud/runner";

/**
 * One measured runner start (`node dist/scripts/bench-runner-child.js <stack dir>`), run by
 * `npm run bench:runner` in a process of its own: starts the local runner on the stack, prints
 * `__RUNNER_START__ {"readyMs": …, "selfCpuMs": …}` (wall time from the call to the runner being
 * ready; this process's CPU time until then), and stops it. The CPU time of the children
 * (PostgreSQL, function processes, deploy steps) is what the parent reads when this process ends.
 */
async function main(): Promise<void> {
  const stackDir = process.argv[2];
  if (!stackDir) throw new Error("usage: bench-runner-child <stack dir>");
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const runner = await startRunner({ stackDir });
  const readyMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(`__RUNNER_START__ ${JSON.stringify({ readyMs, selfCpuMs: (cpu.user + cpu.system) / 1000, cloud: runner.cloud })}\n`);
  await runner.stop();
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
