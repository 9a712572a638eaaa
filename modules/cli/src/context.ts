/**
 * Where a verb reads and writes: the working directory, the environment and the two output
 * streams. The bin passes the process's; tests pass their own and read what was written.
 */
export interface CliContext {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Standard output: the report, or the JSON with `--json`. */
  out(text: string): void;
  /** Standard error: progress, notes, warnings and errors. */
  err(text: string): void;
  /** Standard error is a terminal: progress is a spinner instead of start and end lines. */
  readonly interactive: boolean;
}

export function processContext(): CliContext {
  return {
    cwd: process.cwd(),
    env: process.env,
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    interactive: process.stderr.isTTY === true,
  };
}

/** The exit codes of every verb (docs/cli.md, "Exit codes"). */
export const EXIT = {
  /** The verb ran and found nothing wrong. */
  OK: 0,
  /** The verb ran and the gate failed: a validation problem, a finding, a budget, a refused plan. */
  FAILED: 1,
  /** The verb could not run: a bad flag or argument, missing or stale synth output, an unreadable file. */
  USAGE: 2,
} as const;

/** An error the user can act on: printed as one line (no stack trace) with its exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.USAGE) {
    super(message);
    this.name = "CliError";
  }
}
