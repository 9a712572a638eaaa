import { CliContext } from "./context";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
/** Without a terminal (CI logs), a line every this many seconds while a step runs. */
export const HEARTBEAT_SECONDS = 15;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Runs a step that may take more than a few seconds and shows that it is running, on standard
 * error only (standard output stays the report): a spinner with the elapsed time on a terminal;
 * otherwise a start line, a line every 15 s, and an end line with the duration.
 */
export async function withProgress<T>(ctx: CliContext, label: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  let frame = 0;
  const timer = ctx.interactive
    ? setInterval(() => ctx.err(`\r${FRAMES[frame++ % FRAMES.length]} ${label} (${Math.floor((Date.now() - started) / 1000)} s)\x1b[K`), 100)
    : setInterval(() => ctx.err(`${label}: still running (${Math.round((Date.now() - started) / 1000)} s)\n`), HEARTBEAT_SECONDS * 1000);
  timer.unref();
  if (!ctx.interactive) ctx.err(`${label} …\n`);
  try {
    const result = await fn();
    clearInterval(timer);
    ctx.err(ctx.interactive ? `\r✓ ${label} (${seconds(Date.now() - started)})\x1b[K\n` : `${label}: done (${seconds(Date.now() - started)})\n`);
    return result;
  } catch (e) {
    clearInterval(timer);
    ctx.err(ctx.interactive ? `\r✗ ${label} (${seconds(Date.now() - started)})\x1b[K\n` : `${label}: failed (${seconds(Date.now() - started)})\n`);
    throw e;
  }
}
