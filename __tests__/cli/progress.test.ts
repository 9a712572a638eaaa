import { CliContext, HEARTBEAT_SECONDS, withProgress } from "@polycloud/cli";

/** The progress of a long step goes to stderr only: a spinner on a terminal, start/heartbeat/end lines in a log. */
function context(interactive: boolean): { ctx: CliContext; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { ctx: { cwd: "/", env: {}, interactive, out: (t) => out.push(t), err: (t) => err.push(t) }, out, err };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test("in a log: a start line, a line every heartbeat while it runs, an end line with the duration; nothing on stdout", async () => {
  const { ctx, out, err } = context(false);
  let finish: (v: string) => void = () => undefined;
  const step = withProgress(ctx, "synth: node app.js", () => new Promise<string>((r) => { finish = r; }));
  expect(err).toEqual(["synth: node app.js …\n"]);
  jest.advanceTimersByTime(HEARTBEAT_SECONDS * 1000 * 2);
  expect(err.slice(1)).toEqual([expect.stringMatching(/^synth: node app\.js: still running \(\d+ s\)\n$/), expect.stringMatching(/still running/)]);
  finish("done");
  await expect(step).resolves.toBe("done");
  expect(err[err.length - 1]).toMatch(/^synth: node app\.js: done \(\d+\.\d s\)\n$/);
  expect(out).toEqual([]);
});

test("on a terminal: a spinner rewritten in place, then a check mark; a failure keeps its error", async () => {
  const { ctx, err } = context(true);
  let finish: () => void = () => undefined;
  const step = withProgress(ctx, "plan offline", () => new Promise<void>((r) => { finish = r; }));
  jest.advanceTimersByTime(350);
  expect(err.length).toBeGreaterThanOrEqual(3);
  expect(err.every((l) => /^\r[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] plan offline \(\d+ s\)\x1b\[K$/.test(l))).toBe(true);
  finish();
  await step;
  expect(err[err.length - 1]).toMatch(/^\r✓ plan offline \(\d+\.\d s\)\x1b\[K\n$/);
  const failed = context(true);
  await expect(withProgress(failed.ctx, "cost base", () => Promise.reject(new Error("no such ref")))).rejects.toThrow("no such ref");
  expect(failed.err[failed.err.length - 1]).toMatch(/^\r✗ cost base/);
});
