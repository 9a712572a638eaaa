import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import { Runner, startRunner } from "@polycloud/runner";

/**
 * `npm run dev -- --cloud <aws|gcp|azure> [--env dev] [--stack <name>]`: the inner loop. It
 * synthesizes the environment's stacks for the cloud (scripts/dev/synth-stack.ts, as `npm run
 * synth` does), starts the local runner on the stack (its JSON and packages), prints the local
 * URLs and a token of each identity provider, streams the functions' logs, and on a change in a
 * function's folder synthesizes again and restarts the functions whose package changed. State
 * (the PostgreSQL data among it) is kept in .polycloud/dev/<stack> between runs. Commands
 * on stdin: `fire <bus>/<rule>`, `token [subject] [audience]`, `dlq <queue:id|rule:bus/id>`,
 * `alarms`, `quit`.
 */
interface Args { cloud: string; env: string; stack?: string }

function parseArgs(argv: string[]): Args {
  const get = (name: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1]; };
  const cloud = get("cloud");
  if (!cloud) throw new Error("usage: npm run dev -- --cloud <aws|gcp|azure> [--env dev] [--stack <name>]");
  return { cloud, env: get("env") ?? "dev", stack: get("stack") };
}

const ROOT = path.resolve(__dirname, "..", "..");

function synth(args: Args): Promise<{ stacks: { name: string; dir: string }[]; sources: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, "dev", "synth-stack.js"), args.env, args.cloud], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => { out += d; });
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!)) : reject(new Error(`synthesis failed (exit ${code})`))));
  });
}

function describe(runner: Runner, ms: number): string {
  const lines = [`\npolycloud dev: ${runner.stackName} (${runner.cloud}) ready in ${(ms / 1000).toFixed(1)} s`];
  for (const [name, url] of Object.entries(runner.endpoints).filter(([n]) => n.includes("/")).sort()) lines.push(`  ${name.padEnd(28)} ${url}`);
  for (const db of runner.databases) for (const name of db.databases.length ? db.databases : [db.database]) lines.push(`  database ${name.padEnd(19)} ${db.endpoint} (as the functions see it)`);
  lines.push("  commands: fire <bus>/<rule> | token [subject] [audience] | dlq <queue:id|rule:bus/id> | alarms | quit");
  return lines.join("\n");
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  process.stdout.write(`synthesizing ${args.env} for ${args.cloud} …\n`);
  let synthesized = await synth(args);
  const stack = args.stack ? synthesized.stacks.find((s) => s.name === args.stack) : synthesized.stacks.length === 1 ? synthesized.stacks[0] : undefined;
  if (!stack) throw new Error(`dev: choose a stack with --stack (${synthesized.stacks.map((s) => s.name).join(", ")})`);
  const started = Date.now();
  // Kept between runs: the databases keep their data, and PostgreSQL starts without a copy.
  const runner = await startRunner({ stackDir: stack.dir, stateDir: path.join(ROOT, ".polycloud", "dev", stack.name) });
  process.stdout.write(`${describe(runner, Date.now() - started)}\n`);
  runner.log.on("entry", (e: { source: string; line: string }) => process.stdout.write(`[${e.source}] ${e.line}\n`));
  for (const i of runner.emulation.issuers) {
    process.stdout.write(`  token for ${i.issuer} (audience ${i.audiences[0]}, 24 h):\n    ${await runner.issuer(i.issuer).token({ sub: "dev-user", aud: i.audiences[0] })}\n`);
  }

  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  const reload = async () => {
    if (busy) { timer = setTimeout(reload, 300); return; }
    busy = true;
    try {
      process.stdout.write("change detected: synthesizing …\n");
      synthesized = await synth(args);
      const changed = await runner.reload();
      process.stdout.write(changed.length ? `reloaded ${changed.join(", ")}\n` : "no function package or deploy step changed\n");
    } catch (err) {
      process.stdout.write(`reload failed: ${(err as Error).message}\n`);
    } finally {
      busy = false;
    }
  };
  const watchers = synthesized.sources.filter((d) => fs.existsSync(d)).map((dir) => fs.watch(dir, { recursive: true }, (_e, file) => {
    if (String(file ?? "").includes("node_modules")) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(reload, 300);
  }));
  process.stdout.write(`watching ${synthesized.sources.length} function and migrations folder(s)\n`);

  const stop = async () => {
    watchers.forEach((w) => w.close());
    await runner.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  const rl = readline.createInterface({ input: process.stdin });
  rl.on("line", (line) => void (async () => {
    const [cmd, a, b] = line.trim().split(/\s+/);
    try {
      if (cmd === "fire" && a) { await runner.emulation.fireSchedule(`rule:${a}`); process.stdout.write(`fired ${a}\n`); }
      else if (cmd === "token") process.stdout.write(`${await runner.issuer().token({ sub: a ?? "dev-user", aud: b })}\n`);
      else if (cmd === "dlq" && a) process.stdout.write(`${JSON.stringify(await runner.emulation.deadLetters(a), null, 2)}\n`);
      else if (cmd === "alarms") for (const al of await runner.emulation.alarms()) process.stdout.write(`${al.firing ? "FIRING" : "ok    "} ${al.component} ${al.metric} = ${al.value} (${al.condition})\n`);
      else if (cmd === "quit" || cmd === "exit") await stop();
      else if (cmd) process.stdout.write("commands: fire <bus>/<rule> | token [subject] [audience] | dlq <queue:id|rule:bus/id> | alarms | quit\n");
    } catch (err) {
      process.stdout.write(`${(err as Error).message}\n`);
    }
  })());
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
