/**
 * Preloaded into a measured process (`node --require dist/scripts/bench-child.js <entry> [args]`):
 * reports at exit what only the process knows, peak RSS and CPU time (user and system, every
 * thread of the process, worker threads included). The entry runs as the main module, so scripts
 * that check `require.main === module` run as they do on their own.
 */
process.on("exit", () => {
  const u = process.resourceUsage();
  process.stderr.write(`\n__BENCH_USAGE__ ${JSON.stringify({ maxRssKb: u.maxRSS, userMs: u.userCPUTime / 1000, systemMs: u.systemCPUTime / 1000 })}\n`);
});
