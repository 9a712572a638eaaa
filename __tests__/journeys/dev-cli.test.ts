import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describeWithPostgres } from "../helpers/postgres";

/**
 * `npm run dev -- --cloud aws` as a developer runs it (the compiled script, built by tsc -b):
 * it prints the local URLs and a token, the gateway answers, a file touched in a function's
 * folder makes it synthesize again, commands work on stdin, and `quit` stops it.
 */
const ROOT = path.resolve(__dirname, "../..");
const SCRIPT = path.join(ROOT, "dist", "scripts", "dev.js");
let child: ChildProcess | undefined;
let out = "";

const waitFor = (re: RegExp, ms = 180_000) => new Promise<RegExpMatchArray>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`no ${re} in:\n${out}`)), ms);
  const check = () => { const m = re.exec(out); if (m) { clearTimeout(timer); resolve(m); } };
  child!.stdout!.on("data", check);
  check();
});

describeWithPostgres("npm run dev", () => {
  beforeAll(() => {
    if (!fs.existsSync(SCRIPT)) execFileSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-b"], { cwd: ROOT, stdio: "inherit" });
  });
  afterAll(() => { if (child?.exitCode === null) child.kill(); });

  test("starts the dev stack for a cloud, answers, reloads on a change and stops on quit", async () => {
    child = spawn(process.execPath, [SCRIPT, "--cloud", "aws"], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (d) => { out += d; });
    child.stderr!.on("data", (d) => { out += d; });
    await waitFor(/ready in [\d.]+ s/);
    const gateway = (await waitFor(/gateway:public\s+(http:\/\/127\.0\.0\.1:\d+)/))[1];
    const token = (await waitFor(/token for https:\/\/auth\.example\.com\/ \(audience orders-api, 24 h\):\n\s+(\S+)/))[1];
    expect((await fetch(`${gateway}/health`)).status).toBe(200);
    expect((await fetch(`${gateway}/orders`, { method: "POST", body: "{}" })).status).toBe(401);
    expect((await fetch(`${gateway}/orders`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ item: "tea" }) })).status).toBe(202);
    await waitFor(/watching \d+ function and migrations folder/);
    // A change in a function's folder (its mtime only: the package stays the same).
    const file = path.join(ROOT, "stacks", "reference", "functions", "api", "package.json");
    const now = new Date();
    fs.utimesSync(file, now, now);
    await waitFor(/change detected/);
    await waitFor(/no function package or deploy step changed|reloaded /);
    child.stdin!.write("alarms\n");
    await waitFor(/(ok|FIRING)\s+orders\/queue:orders/);
    child.stdin!.write("quit\n");
    const code = await new Promise<number | null>((resolve) => child!.once("exit", resolve));
    expect(code).toBe(0);
  });
});
