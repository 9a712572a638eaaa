import { CliContext, run } from "@polycloud/cli";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `polycloud <argv>` in process, through the same program the bin runs (commander parsing, exit
 * codes), with its output captured. `cwd` defaults to the repository root (the tests' working
 * directory); `env` to a copy of the process's.
 */
export async function polycloud(argv: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const ctx: CliContext = {
    cwd: opts.cwd ?? process.cwd(),
    env: opts.env ?? { ...process.env },
    out: (t) => { stdout += t; },
    err: (t) => { stderr += t; },
    interactive: false,
  };
  const code = await run(argv, ctx);
  return { code, stdout, stderr };
}
