import { ChildProcess, spawn } from "node:child_process";
import * as net from "node:net";
import { InvocationResult, FunctionRegistration } from "@polycloud/core";

export interface HostReady {
  readonly registrations?: FunctionRegistration[];
  readonly port?: number;
  readonly error?: { type: string; message: string; stack?: string };
}

/**
 * One function instance: a child process running a platform host script, its stdout and stderr
 * streamed line by line to the log, and invocations as JSON lines on file descriptor 3. One
 * invocation at a time (an instance serves one request, as Lambda, a Cloud Functions instance
 * with concurrency 1 and a Flex Consumption instance with per-instance concurrency 1 do); a
 * timeout kills the instance and the next invocation starts a fresh one.
 */
export class HostProcess {
  private child?: ChildProcess;
  private ipc?: net.Socket;
  private pending = new Map<string, (r: InvocationResult) => void>();
  private queue: Promise<unknown> = Promise.resolve();
  private seq = 0;
  private readyInfo?: Promise<HostReady>;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly env: Record<string, string>,
    private readonly cwd: string,
    private readonly timeoutMs: number,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts the process (if not running) and resolves when the host reports it is loaded. */
  start(): Promise<HostReady> {
    if (this.readyInfo && this.child && this.child.exitCode === null) return this.readyInfo;
    const child = spawn(this.command, this.args, { cwd: this.cwd, env: this.env, stdio: ["ignore", "pipe", "pipe", "pipe"] });
    this.child = child;
    const lines = (stream: NodeJS.ReadableStream | null) => {
      let buf = "";
      stream?.setEncoding("utf8");
      stream?.on("data", (d: string) => {
        buf += d;
        for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim()) this.log(line);
        }
      });
      stream?.on("end", () => { if (buf.trim()) this.log(buf); });
    };
    lines(child.stdout);
    lines(child.stderr);
    this.ipc = child.stdio[3] as net.Socket;
    this.readyInfo = new Promise<HostReady>((resolve, reject) => {
      let buf = "";
      this.ipc!.setEncoding("utf8");
      this.ipc!.on("data", (d: string) => {
        buf += d;
        for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
          const msg = JSON.parse(buf.slice(0, i));
          buf = buf.slice(i + 1);
          if (msg.type === "ready") resolve(msg);
          else if (msg.type === "result") this.pending.get(msg.id)?.({ ok: msg.ok, value: msg.value, error: msg.error && { type: msg.error.type, message: msg.error.message } });
        }
      });
      this.ipc!.on("error", () => undefined);
      child.on("exit", (code, signal) => {
        if (!this.stopped) this.log(`[runner] ${this.name}: instance exited (${signal ?? `code ${code}`})`);
        reject(new Error(`${this.name}: the function host exited (${signal ?? `code ${code}`}) before it was ready`));
        for (const [id, done] of this.pending) { done({ ok: false, error: { type: "Runtime.ExitError", message: `instance exited (${signal ?? `code ${code}`})` } }); this.pending.delete(id); }
      });
    });
    this.readyInfo.catch(() => undefined);
    return this.readyInfo;
  }

  /** One invocation, after the ones before it on this instance. */
  invoke(payload: unknown, extra: Record<string, unknown> = {}): Promise<InvocationResult> {
    const run = async (): Promise<InvocationResult> => {
      const ready = await this.start();
      if (ready.error) return { ok: false, error: { type: ready.error.type, message: ready.error.message } };
      const id = `${Date.now().toString(36)}-${this.seq++}`;
      return new Promise<InvocationResult>((resolve) => {
        const timer = setTimeout(() => {
          this.pending.delete(id);
          this.log(`[runner] ${this.name}: Task timed out after ${this.timeoutMs / 1000} seconds`);
          this.child?.kill("SIGKILL");
          resolve({ ok: false, error: { type: "Sandbox.Timedout", message: `Task timed out after ${this.timeoutMs / 1000} seconds` } });
        }, this.timeoutMs);
        this.pending.set(id, (r) => { clearTimeout(timer); this.pending.delete(id); resolve(r); });
        this.ipc!.write(JSON.stringify({ type: "invoke", id, payload, ...extra }) + "\n");
      });
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 2000).unref();
    });
  }
}
