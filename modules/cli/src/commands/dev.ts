import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import { CLOUDS, SynthManifest } from "@polycloud/core";
import { CliContext, CliError, EXIT } from "../context";
import { ProjectOptions, loadProject, shown } from "../project";
import { synthesize } from "./synth";

/**
 * `polycloud dev --cloud <aws|gcp|azure> [--env dev] [--stack <name>] [--json]`: the inner loop on
 * the local runner (`@polycloud/runner`); `npm run dev` in this repository is this verb. Synthesizes
 * the environment's stacks for the cloud with the project's app, starts the runner on the stack
 * (its JSON and function packages), prints the local URLs, the databases and a token of each
 * identity provider, streams the functions' log lines, and on a change in a function's folder or a
 * database's migrations folder synthesizes again and restarts the functions whose package changed
 * (and runs the deploy steps whose input changed). State (the PostgreSQL data among it) is kept in
 * `.polycloud/dev/<stack>` of the project between runs (`--state-dir`). Stops, with every server,
 * PostgreSQL and PgBouncer it started, on SIGINT, SIGTERM, SIGHUP, `quit`, or the end of an
 * interactive or piped standard input. Commands on stdin: `fire <bus>/<rule>`,
 * `token [subject] [audience]`, `dlq <queue:id|rule:bus/id>`, `alarms`, `quit`.
 */
export interface DevOptions extends ProjectOptions {
  readonly cloud: string;
  readonly env?: string;
  readonly stack?: string;
  /** The runner's state folder. @default <project>/.polycloud/dev/<stack> */
  readonly stateDir?: string;
  /** One JSON event per line on stdout (ready, log, change, reloaded, reload-failed, stopped). */
  readonly json?: boolean;
  /** Where commands come from. @default process.stdin */
  readonly input?: NodeJS.ReadableStream;
  /** The process whose signals stop the loop. @default process */
  readonly signals?: NodeJS.EventEmitter;
}

/** What the verb uses of @polycloud/runner (its startRunner and Runner). */
interface RunnerModule {
  startRunner(options: { stackDir: string; stateDir?: string }): Promise<Runner>;
}
interface Runner {
  readonly cloud: string;
  readonly stackName: string;
  readonly endpoints: Readonly<Record<string, string>>;
  /** Per database server; `databases`: the databases on it (a shared server holds one per service). */
  readonly databases: readonly { key: string; database: string; databases?: readonly string[]; endpoint: string }[];
  readonly log: { on(event: "entry", fn: (e: LogEntry) => void): unknown };
  readonly emulation: {
    readonly issuers: readonly { readonly issuer: string; readonly audiences: readonly string[] }[];
    fireSchedule(rule: string): Promise<void>;
    deadLetters(component: string): Promise<string[]>;
    alarms(): Promise<{ component: string; metric: string; value: unknown; condition: string; firing: boolean }[]>;
  };
  issuer(issuer?: string): { token(claims: { sub: string; aud?: string }): Promise<string> };
  reload(): Promise<string[]>;
  stop(): Promise<void>;
}
interface LogEntry { readonly at: number; readonly source: string; readonly component?: string; readonly line: string; readonly json?: Record<string, unknown> }

export const RUNNER_PACKAGE = "@polycloud/runner";
const COMMANDS = "commands: fire <bus>/<rule> | token [subject] [audience] | dlq <queue:id|rule:bus/id> | alarms | quit";
/** The signals that stop the loop cleanly (a terminal's Ctrl-C, a process manager, a closed terminal). */
export const DEV_STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** The runner package, or why the verb cannot run. */
export function runnerModule(): RunnerModule {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(RUNNER_PACKAGE) as RunnerModule;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "MODULE_NOT_FOUND" && String(err.message).includes(`'${RUNNER_PACKAGE}'`)) {
      throw new CliError(`dev is not available in this version: it runs the stack on the local runner (${RUNNER_PACKAGE}), which this installation does not have`);
    }
    throw e;
  }
}

/** The stack of `env` × `cloud` the manifest lists (or `wanted`), or why there is none. */
export function devStack(manifest: SynthManifest, env: string, cloud: string, wanted?: string): string {
  const names = Object.entries(manifest.stacks).filter(([, s]) => s.environment === env && s.cloud === cloud).map(([n]) => n);
  if (wanted) {
    if (!names.includes(wanted)) throw new CliError(`dev: --stack ${wanted} is not a stack of ${env} on ${cloud} (${names.join(", ") || "none"})`);
    return wanted;
  }
  // A partitioned environment's shared stack holds no function; a service stack is what runs.
  const runnable = names.filter((n) => manifest.stacks[n].services.length > 0);
  if (runnable.length === 1) return runnable[0];
  if (!runnable.length) throw new CliError(`dev: ${env} renders no service on ${cloud}`);
  throw new CliError(`dev: choose a stack with --stack (${runnable.join(", ")})`);
}

const servicesOn = (manifest: SynthManifest, env: string, cloud: string) =>
  (manifest.services[env] ?? []).filter((s) => !s.clouds?.length || (s.clouds as readonly string[]).includes(cloud));

/** The function folders of the services `env` renders on `cloud`. */
export function functionFolders(manifest: SynthManifest, env: string, cloud: string, root: string): string[] {
  return [...new Set(servicesOn(manifest, env, cloud).flatMap((s) => Object.values(s.functions ?? {}).map((f) => path.resolve(root, String(f.source)))))].sort();
}

/** What the loop watches: the function folders and each database's migrations folder (a new migration runs the step again). */
export function watchedFolders(manifest: SynthManifest, env: string, cloud: string, root: string): string[] {
  const migrations = servicesOn(manifest, env, cloud).flatMap((s) => Object.values(s.databases ?? {})
    .map((d) => (d as { migrations?: unknown }).migrations).filter((m): m is string => typeof m === "string").map((m) => path.resolve(root, m)));
  return [...new Set([...functionFolders(manifest, env, cloud, root), ...migrations])].sort();
}

/**
 * Whether the end of `input` means "quit": a terminal (Ctrl-D) or a pipe whose writer went away
 * (the parent that started the loop is gone). /dev/null or a file as stdin (a background job, a
 * service manager) ends at once and says nothing: the loop then runs until a signal.
 */
function endMeansQuit(input: NodeJS.ReadableStream): boolean {
  if (input !== process.stdin) return true;
  if (process.stdin.isTTY) return true;
  try {
    const st = fs.fstatSync(0);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}

export async function devCommand(ctx: CliContext, opts: DevOptions): Promise<number> {
  if (!(CLOUDS as readonly string[]).includes(opts.cloud)) throw new CliError(`dev: --cloud must be one of ${CLOUDS.join(", ")} (got ${opts.cloud})`);
  const env = opts.env ?? "dev";
  const { startRunner } = runnerModule();
  const project = loadProject(ctx, opts);
  const signals = opts.signals ?? process;
  const event = (e: Record<string, unknown>) => ctx.out(`${JSON.stringify(e)}\n`);
  const say = (text: string, e: Record<string, unknown>) => (opts.json ? event(e) : ctx.out(text));

  // A signal during the synthesis or the runner's start-up stops the loop as soon as what runs has
  // finished (nothing is left behind half-started); afterwards it stops the runner.
  let stopRequested: string | undefined;
  let onStop: (() => void) | undefined;
  const onSignal = (signal: string) => {
    if (stopRequested) return;
    stopRequested = signal;
    ctx.err(`dev: ${signal}: stopping …\n`);
    onStop?.();
  };
  const handlers = DEV_STOP_SIGNALS.map((s) => [s, () => onSignal(s)] as const);
  handlers.forEach(([s, h]) => signals.on(s, h));
  const removeHandlers = () => handlers.forEach(([s, h]) => signals.removeListener(s, h));
  const stoppedEarly = () => {
    removeHandlers();
    say(`polycloud dev: stopped (${stopRequested}) before the runner started\n`, { event: "stopped", reason: stopRequested });
    return EXIT.OK;
  };

  try {
    const synth = async (): Promise<SynthManifest> => {
      const r = await synthesize(ctx, project, { stacks: `${env}-${opts.cloud}*` });
      if (r.run.stderr) ctx.err(r.run.stderr);
      if (r.code !== EXIT.OK || !r.manifest?.ok) throw new CliError(`dev: the synthesis of ${env}-${opts.cloud} failed`, EXIT.FAILED);
      return r.manifest;
    };
    let manifest = await synth();
    if (stopRequested) return stoppedEarly();
    if (!manifest.environments.some((e) => e.name === env)) throw new CliError(`dev: --env must be one of ${manifest.environments.map((e) => e.name).join(", ")} (got ${env})`);
    const stack = devStack(manifest, env, opts.cloud, opts.stack);
    const stateDir = opts.stateDir ? path.resolve(ctx.cwd, opts.stateDir) : path.join(project.root, ".polycloud", "dev", stack);
    const started = Date.now();
    let runner: Runner;
    try {
      // Kept between runs: the databases keep their data, and PostgreSQL starts without a copy.
      runner = await startRunner({ stackDir: path.join(project.outdir, "stacks", stack), stateDir });
    } catch (e) {
      // The runner stops what it started when its start fails (a function that does not load, a failing migration).
      throw new CliError(`dev: ${stack} did not start: ${(e as Error).message}`, EXIT.FAILED);
    }
    const seconds = (Date.now() - started) / 1000;
    if (stopRequested) {
      await runner.stop();
      return stoppedEarly();
    }
    const tokens = await Promise.all(runner.emulation.issuers.map(async (i) => ({
      issuer: i.issuer, audience: i.audiences[0], token: await runner.issuer(i.issuer).token({ sub: "dev-user", aud: i.audiences[0] }),
    })));
    const folders = watchedFolders(manifest, env, opts.cloud, project.root).filter((d) => fs.existsSync(d));
    if (opts.json) {
      event({ event: "ready", stack: runner.stackName, cloud: runner.cloud, env, seconds, stateDir, endpoints: runner.endpoints, databases: runner.databases, tokens, watching: folders });
    } else {
      const lines = [`\npolycloud dev: ${runner.stackName} (${runner.cloud}) ready in ${seconds.toFixed(1)} s`];
      for (const [name, url] of Object.entries(runner.endpoints).sort()) lines.push(`  ${name.padEnd(28)} ${url}`);
      for (const db of runner.databases) for (const name of db.databases?.length ? db.databases : [db.database]) lines.push(`  database ${name.padEnd(19)} ${db.endpoint} (as the functions see it)`);
      for (const t of tokens) lines.push(`  token for ${t.issuer} (audience ${t.audience}, 24 h):\n    ${t.token}`);
      lines.push(`  watching ${folders.map((f) => shown(ctx, f)).join(", ") || "no function folder"}`);
      lines.push(`  ${COMMANDS}`);
      ctx.out(`${lines.join("\n")}\n`);
    }
    runner.log.on("entry", (e) => (opts.json
      ? event({ event: "log", at: new Date(e.at).toISOString(), source: e.source, ...(e.component ? { component: e.component } : {}), ...(e.json ? { json: e.json } : { line: e.line }) })
      : ctx.out(`[${e.component ?? e.source}] ${e.line}\n`)));

    let timer: NodeJS.Timeout | undefined;
    let busy = false;
    let stopping = false;
    const reload = async () => {
      if (stopping) return;
      if (busy) { timer = setTimeout(reload, 300); return; }
      busy = true;
      try {
        say("change detected: synthesizing …\n", { event: "change" });
        manifest = await synth();
        if (stopping) return;
        const changed = await runner.reload();
        say(changed.length ? `reloaded ${changed.join(", ")}\n` : "no function package or deploy step changed\n", { event: "reloaded", changed });
      } catch (err) {
        say(`reload failed: ${(err as Error).message}\n`, { event: "reload-failed", error: (err as Error).message });
      } finally {
        busy = false;
      }
    };
    const watchers = folders.map((dir) => fs.watch(dir, { recursive: true }, (_e, file) => {
      if (String(file ?? "").includes("node_modules") || String(file ?? "").includes("__pycache__")) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(reload, 300);
    }));

    const input = opts.input ?? process.stdin;
    return await new Promise<number>((resolve) => {
      const rl = readline.createInterface({ input, terminal: false });
      const stop = async (reason: string) => {
        if (stopping) return;
        stopping = true;
        if (timer) clearTimeout(timer);
        watchers.forEach((w) => w.close());
        rl.close();
        if (input === process.stdin) process.stdin.destroy();
        // A reload under way finishes first: it may be starting functions.
        while (busy) await new Promise((r) => setTimeout(r, 50));
        await runner.stop();
        removeHandlers();
        say(`polycloud dev: stopped (${reason})\n`, { event: "stopped", reason });
        resolve(EXIT.OK);
      };
      onStop = () => void stop(stopRequested!);
      const quitOnEnd = endMeansQuit(input);
      rl.on("close", () => { if (quitOnEnd) void stop("end of input"); });
      rl.on("line", (line) => void (async () => {
        const [cmd, a, b] = line.trim().split(/\s+/);
        try {
          if (cmd === "fire" && a) { await runner.emulation.fireSchedule(`rule:${a}`); say(`fired ${a}\n`, { event: "fired", rule: a }); }
          else if (cmd === "token") { const token = await runner.issuer().token({ sub: a ?? "dev-user", aud: b }); say(`${token}\n`, { event: "token", token }); }
          else if (cmd === "dlq" && a) { const messages = await runner.emulation.deadLetters(a); say(`${JSON.stringify(messages, null, 2)}\n`, { event: "dlq", component: a, messages }); }
          else if (cmd === "alarms") {
            const alarms = await runner.emulation.alarms();
            say(alarms.map((al) => `${al.firing ? "FIRING" : "ok    "} ${al.component} ${al.metric} = ${String(al.value)} (${al.condition})\n`).join(""), { event: "alarms", alarms });
          } else if (cmd === "quit" || cmd === "exit") await stop("quit");
          else if (cmd) say(`${COMMANDS}\n`, { event: "unknown-command", command: line.trim(), help: COMMANDS });
        } catch (err) {
          say(`${(err as Error).message}\n`, { event: "error", error: (err as Error).message });
        }
      })());
      if (stopRequested) onStop();
    });
  } finally {
    removeHandlers();
  }
}
