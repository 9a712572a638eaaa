import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import { CLOUDS, SynthManifest } from "@polycloud/core";
import { CliContext, CliError, EXIT } from "../context";
import { ProjectOptions, loadProject, shown } from "../project";
import { synthesize } from "./synth";

/**
 * `polycloud dev --cloud <aws|gcp|azure> [--env dev] [--stack <name>]`: the inner loop on the local
 * runner (`@polycloud/runner`). Synthesizes the environment's stacks for the cloud with the
 * project's app, starts the runner on the stack (its JSON and function packages), prints the local
 * URLs, the databases and a token of each identity provider, streams the functions' logs, and on a
 * change in a function's folder synthesizes again and restarts the functions whose package changed.
 * State (the PostgreSQL data among it) is kept in `.polycloud/dev/<stack>` of the project between
 * runs. Commands on stdin: `fire <bus>/<rule>`, `token [subject] [audience]`,
 * `dlq <queue:id|rule:bus/id>`, `alarms`, `quit`.
 */
export interface DevOptions extends ProjectOptions {
  readonly cloud: string;
  readonly env?: string;
  readonly stack?: string;
  /** Where commands come from. @default process.stdin */
  readonly input?: NodeJS.ReadableStream;
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
  readonly log: { on(event: "entry", fn: (e: { source: string; line: string }) => void): unknown };
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

export const RUNNER_PACKAGE = "@polycloud/runner";
const COMMANDS = "commands: fire <bus>/<rule> | token [subject] [audience] | dlq <queue:id|rule:bus/id> | alarms | quit";

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

/** The function folders of the services `env` renders on `cloud`: what the loop watches. */
export function functionFolders(manifest: SynthManifest, env: string, cloud: string, root: string): string[] {
  const services = (manifest.services[env] ?? []).filter((s) => !s.clouds?.length || (s.clouds as readonly string[]).includes(cloud));
  return [...new Set(services.flatMap((s) => Object.values(s.functions ?? {}).map((f) => path.resolve(root, String(f.source)))))].sort();
}

export async function devCommand(ctx: CliContext, opts: DevOptions): Promise<number> {
  if (!(CLOUDS as readonly string[]).includes(opts.cloud)) throw new CliError(`dev: --cloud must be one of ${CLOUDS.join(", ")} (got ${opts.cloud})`);
  const env = opts.env ?? "dev";
  const { startRunner } = runnerModule();
  const project = loadProject(ctx, opts);
  const synth = async (): Promise<SynthManifest> => {
    const r = await synthesize(ctx, project, { stacks: `${env}-${opts.cloud}*` });
    if (r.run.stderr) ctx.err(r.run.stderr);
    if (r.code !== EXIT.OK || !r.manifest?.ok) throw new CliError(`dev: the synthesis of ${env}-${opts.cloud} failed`, EXIT.FAILED);
    return r.manifest;
  };
  let manifest = await synth();
  if (!manifest.environments.some((e) => e.name === env)) throw new CliError(`dev: --env must be one of ${manifest.environments.map((e) => e.name).join(", ")} (got ${env})`);
  const stack = devStack(manifest, env, opts.cloud, opts.stack);
  const started = Date.now();
  // Kept between runs: the databases keep their data, and PostgreSQL starts without a copy.
  const runner = await startRunner({ stackDir: path.join(project.outdir, "stacks", stack), stateDir: path.join(project.root, ".polycloud", "dev", stack) });
  const lines = [`\npolycloud dev: ${runner.stackName} (${runner.cloud}) ready in ${((Date.now() - started) / 1000).toFixed(1)} s`];
  for (const [name, url] of Object.entries(runner.endpoints).sort()) lines.push(`  ${name.padEnd(28)} ${url}`);
  for (const db of runner.databases) for (const name of db.databases?.length ? db.databases : [db.database]) lines.push(`  database ${name.padEnd(19)} ${db.endpoint} (as the functions see it)`);
  lines.push(`  ${COMMANDS}`);
  ctx.out(`${lines.join("\n")}\n`);
  runner.log.on("entry", (e) => ctx.out(`[${e.source}] ${e.line}\n`));
  for (const i of runner.emulation.issuers) {
    ctx.out(`  token for ${i.issuer} (audience ${i.audiences[0]}, 24 h):\n    ${await runner.issuer(i.issuer).token({ sub: "dev-user", aud: i.audiences[0] })}\n`);
  }

  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  const reload = async () => {
    if (busy) { timer = setTimeout(reload, 300); return; }
    busy = true;
    try {
      ctx.out("change detected: synthesizing …\n");
      manifest = await synth();
      const changed = await runner.reload();
      ctx.out(changed.length ? `reloaded ${changed.join(", ")}\n` : "no function package changed\n");
    } catch (err) {
      ctx.out(`reload failed: ${(err as Error).message}\n`);
    } finally {
      busy = false;
    }
  };
  const folders = functionFolders(manifest, env, opts.cloud, project.root).filter((d) => fs.existsSync(d));
  const watchers = folders.map((dir) => fs.watch(dir, { recursive: true }, (_e, file) => {
    if (String(file ?? "").includes("node_modules")) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(reload, 300);
  }));
  ctx.out(`watching ${folders.map((f) => shown(ctx, f)).join(", ") || "no function folder"}\n`);

  return new Promise<number>((resolve) => {
    const rl = readline.createInterface({ input: opts.input ?? process.stdin });
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      if (timer) clearTimeout(timer);
      watchers.forEach((w) => w.close());
      rl.close();
      process.removeListener("SIGINT", onSignal);
      await runner.stop();
      resolve(EXIT.OK);
    };
    const onSignal = () => void stop();
    process.on("SIGINT", onSignal);
    rl.on("close", () => void stop());
    rl.on("line", (line) => void (async () => {
      const [cmd, a, b] = line.trim().split(/\s+/);
      try {
        if (cmd === "fire" && a) { await runner.emulation.fireSchedule(`rule:${a}`); ctx.out(`fired ${a}\n`); }
        else if (cmd === "token") ctx.out(`${await runner.issuer().token({ sub: a ?? "dev-user", aud: b })}\n`);
        else if (cmd === "dlq" && a) ctx.out(`${JSON.stringify(await runner.emulation.deadLetters(a), null, 2)}\n`);
        else if (cmd === "alarms") for (const al of await runner.emulation.alarms()) ctx.out(`${al.firing ? "FIRING" : "ok    "} ${al.component} ${al.metric} = ${String(al.value)} (${al.condition})\n`);
        else if (cmd === "quit" || cmd === "exit") await stop();
        else if (cmd) ctx.out(`${COMMANDS}\n`);
      } catch (err) {
        ctx.out(`${(err as Error).message}\n`);
      }
    })());
  });
}
