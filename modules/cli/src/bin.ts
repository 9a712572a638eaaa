import { processContext } from "./context";
import { run } from "./program";

/** The `polycloud` executable (bin/polycloud.js): runs the verb and exits with its code. */
export function main(argv: readonly string[] = process.argv.slice(2)): void {
  run(argv, processContext()).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => {
      // A defect, not a user error: the stack trace helps whoever reports it.
      process.stderr.write(`polycloud: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 70;
    },
  );
}
