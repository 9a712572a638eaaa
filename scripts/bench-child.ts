import * as path from "node:path";

/**
 * Runs a Node entry point and reports its peak RSS: `node bench-child.js [--require m] <entry> [args]`.
 * The harness times the whole process from outside; this adds what only the process knows.
 */
const argv = process.argv.slice(2);
if (argv[0] === "--require") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(require.resolve(argv[1], { paths: [process.cwd()] }));
  argv.splice(0, 2);
}
process.on("exit", () => {
  process.stderr.write(`\n__BENCH_MAXRSS_KB__ ${process.resourceUsage().maxRSS}\n`);
});
const entry = path.resolve(argv[0]);
process.argv = [process.argv[0], entry, ...argv.slice(1)];
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(entry);
