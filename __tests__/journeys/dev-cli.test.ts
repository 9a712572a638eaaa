import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describeWithPostgres } from "../helpers/postgres";

/**
 * `polycloud dev` (what `npm run dev` runs) as a developer runs it: the built CLI as a process on a
 * small project (the sample's dev environment and the reference service, its function folder a
 * copy the test edits). It prints the local URLs and a token (`--json`: one event a line), the
 * gateway answers a request with the local issuer's token, the function's structured log line is
 * streamed, an edit of the function's folder reloads it (the new code answers), and SIGINT stops it
 * with every process it started (functions, PostgreSQL, PgBouncer) gone, exit 0.
 */
const ROOT = path.resolve(__dirname, "../..");
const BIN = path.join(ROOT, "modules", "cli", "bin", "polycloud.js");

interface Proc { pid: number; ppid: number; start: string; cmd: string }

/** Every process on the machine, from /proc (pid, parent, start time, command line). */
function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of fs.readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").join(" ").trim();
      out.push({ pid: Number(name), ppid: Number(fields[1]), start: fields[19], cmd });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The descendants of `pid`, and every process whose command line names `marker` (the state folder). */
function family(pid: number, marker: string): Proc[] {
  const all = processes();
  const found = new Map<number, Proc>();
  const visit = (p: number) => {
    for (const c of all.filter((x) => x.ppid === p && !found.has(x.pid))) { found.set(c.pid, c); visit(c.pid); }
  };
  visit(pid);
  for (const p of all.filter((x) => x.cmd.includes(marker))) found.set(p.pid, p);
  return [...found.values()];
}

const alive = (p: Proc) => processes().some((x) => x.pid === p.pid && x.start === p.start);

interface DevEvent { event: string; [key: string]: any }

/** A small consumer project: cdktf.json, an app on @polycloud/stacks' runApp, the reference service's folders. */
function project(dir: string): void {
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  fs.cpSync(path.join(ROOT, "stacks", "reference"), path.join(dir, "stacks", "reference"), { recursive: true });
  fs.writeFileSync(path.join(dir, "cdktf.json"), JSON.stringify({ language: "typescript", app: "node app.js" }));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "dev-fixture", private: true }));
  fs.writeFileSync(path.join(dir, "app.js"), `require("@polycloud/stacks").runApp({ module: require.resolve("./composition.js"), export: "composition" });\n`);
  fs.writeFileSync(path.join(dir, "composition.js"), [
    `const { dev } = require(${JSON.stringify(path.join(ROOT, "dist", "__tests__", "fixtures", "sample", "environments", "index.js"))});`,
    `const { referenceService } = require(${JSON.stringify(path.join(ROOT, "dist", "stacks", "reference-service.js"))});`,
    "exports.composition = { environments: [dev], service: referenceService };",
    "",
  ].join("\n"));
  // The health route writes a structured log line and says which version of the code answers.
  const api = path.join(dir, "stacks", "reference", "functions", "api", "index.mjs");
  const source = fs.readFileSync(api, "utf8");
  const health = 'if (req.method === "GET" && req.path === "/health") return { status: 200, body: { ok: true } };';
  expect(source).toContain(health);
  fs.writeFileSync(api, source.replace(health, 'if (req.method === "GET" && req.path === "/health") { console.log(JSON.stringify({ msg: "health checked", version: 1 })); return { status: 200, body: { ok: true, version: 1 } }; }'));
}

describeWithPostgres("polycloud dev (npm run dev)", () => {
  let tmp: string;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    // The built CLI and the compiled sample (what `npm run dev` runs after build-if-stale).
    execFileSync(process.execPath, [path.join(ROOT, "scripts", "build-if-stale.mjs")], { cwd: ROOT, stdio: "inherit" });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-dev-cli-"));
    // PostgreSQL runs as the postgres user when the tests run as root: it must reach the state folders.
    fs.chmodSync(tmp, 0o755);
  }, 600_000);
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test("npm run dev is the CLI's dev command", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(pkg.scripts.dev).toBe("node scripts/build-if-stale.mjs && polycloud dev");
    expect(fs.existsSync(path.join(ROOT, "scripts", "dev.ts"))).toBe(false);
  });

  test.each(["aws", "gcp", "azure"])("%s: URLs and a token, a request through the gateway, the function's log line, a reload on an edit, and SIGINT leaves no process behind", async (cloud) => {
    const dir = path.join(tmp, cloud);
    fs.mkdirSync(dir);
    project(dir);
    const stateDir = path.join(dir, "state");
    const child = spawn(process.execPath, [BIN, "dev", "--cloud", cloud, "--json", "--state-dir", stateDir], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
    children.push(child);
    const events: DevEvent[] = [];
    let stderr = "";
    let buf = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (d: string) => {
      buf += d;
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        // --json: standard output is JSON events and nothing else.
        events.push(JSON.parse(line) as DevEvent);
      }
    });
    child.stderr!.on("data", (d) => { stderr += d; });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const waitFor = async (what: string, match: (e: DevEvent) => boolean, ms = 300_000): Promise<DevEvent> => {
      const until = Date.now() + ms;
      for (;;) {
        const found = events.find(match);
        if (found) return found;
        if (child.exitCode !== null) throw new Error(`dev exited (${child.exitCode}) before ${what}:\n${stderr}\n${JSON.stringify(events, null, 1)}`);
        if (Date.now() > until) throw new Error(`no ${what} within ${ms / 1000} s:\n${stderr}\n${JSON.stringify(events, null, 1)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    const ready = await waitFor("ready", (e) => e.event === "ready");
    expect(ready).toMatchObject({ stack: `dev-${cloud}`, cloud, env: "dev", stateDir });
    const gateway = ready.endpoints["orders/gateway:public"] as string;
    // Azure: the environment's one API Management instance, this service's API below `<service>/<gateway>`.
    expect(gateway).toMatch(cloud === "azure" ? /^http:\/\/127\.0\.0\.1:\d+\/orders\/public$/ : /^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.watching).toEqual(expect.arrayContaining([path.join(dir, "stacks", "reference", "functions", "api"), path.join(dir, "stacks", "reference", "migrations")]));
    const { token } = ready.tokens.find((t: { issuer: string }) => t.issuer === "https://auth.example.com/");
    // While it runs: the processes it started (functions, PostgreSQL and its backends, PgBouncer where the cloud pools).
    const running = family(child.pid!, stateDir);
    expect(running.some((p) => /\/postgres\b/.test(p.cmd))).toBe(true);

    // Through the gateway: without a token refused, with the local issuer's token accepted.
    expect((await fetch(`${gateway}/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status).toBe(401);
    const created = await fetch(`${gateway}/orders`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ item: "tea" }) });
    expect(created.status).toBe(202);
    const health = await fetch(`${gateway}/health`);
    expect(await health.json()).toMatchObject({ ok: true, version: 1 });
    await waitFor("the function's structured log line", (e) => e.event === "log" && e.json?.msg === "health checked" && e.json?.version === 1);

    // An edit of the function's folder: synthesized again, the function replaced, the new code answers.
    const api = path.join(dir, "stacks", "reference", "functions", "api", "index.mjs");
    fs.writeFileSync(api, fs.readFileSync(api, "utf8").replace(/version: 1/g, "version: 2"));
    await waitFor("the change", (e) => e.event === "change");
    const reloaded = await waitFor("the reload", (e) => e.event === "reloaded" || e.event === "reload-failed");
    expect(reloaded).toMatchObject({ event: "reloaded", changed: expect.arrayContaining([expect.stringMatching(/api/)]) });
    expect(await (await fetch(`${gateway}/health`)).json()).toMatchObject({ ok: true, version: 2 });
    await waitFor("the new code's log line", (e) => e.event === "log" && e.json?.version === 2);

    const before = family(child.pid!, stateDir);
    expect(before.length).toBeGreaterThan(0);
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(events[events.length - 1]).toEqual({ event: "stopped", reason: "SIGINT" });
    // Nothing it started outlives it: no function, no PostgreSQL, no PgBouncer, nothing on its state folder.
    expect([...running, ...before].filter(alive).map((p) => `${p.pid} ${p.cmd}`)).toEqual([]);
    expect(processes().filter((p) => p.cmd.includes(stateDir)).map((p) => `${p.pid} ${p.cmd}`)).toEqual([]);
  }, 900_000);

  test("SIGTERM stops it too, and a synthesis that fails exits 1 without starting anything", async () => {
    const dir = path.join(tmp, "term");
    fs.mkdirSync(dir);
    project(dir);
    const stateDir = path.join(dir, "state");
    const run = (argv: string[]) => {
      const child = spawn(process.execPath, [BIN, "dev", ...argv, "--json", "--state-dir", stateDir], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
      children.push(child);
      let out = "";
      let err = "";
      child.stdout!.on("data", (d) => { out += d; });
      child.stderr!.on("data", (d) => { err += d; });
      return { child, out: () => out, err: () => err, exited: new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code))) };
    };
    const dev = run(["--cloud", "aws"]);
    for (const until = Date.now() + 300_000; !dev.out().includes('"event":"ready"'); await new Promise((r) => setTimeout(r, 100))) {
      if (dev.child.exitCode !== null || Date.now() > until) throw new Error(`not ready:\n${dev.err()}`);
    }
    const running = family(dev.child.pid!, stateDir);
    dev.child.kill("SIGTERM");
    expect(await dev.exited).toBe(0);
    expect(dev.out().trim().split("\n").pop()).toBe(JSON.stringify({ event: "stopped", reason: "SIGTERM" }));
    expect(running.filter(alive)).toEqual([]);

    // An app that fails: nothing starts, exit 1.
    fs.writeFileSync(path.join(dir, "app.js"), "process.exit(3);\n");
    const failed = run(["--cloud", "aws"]);
    expect(await failed.exited).toBe(1);
    expect(failed.err()).toContain("dev: the synthesis of dev-aws failed");
    expect(failed.out()).toBe("");
  }, 900_000);
});
