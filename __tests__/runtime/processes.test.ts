import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { bundleFunction, stageFunction } from "@polycloud/runtime";
import * as fx from "./fixtures/events";

/**
 * Real processes on loopback: the GCP bundle served by @google-cloud/functions-framework, and the
 * Azure bundle loaded as the Functions worker loads it. No Azure Functions host runs here: Core
 * Tools is a .NET host downloaded at install time and @azure/functions has no local server, so a
 * small stand-in (fixtures/azure-host.cjs) loads the package, records the registrations through a
 * stub of the worker's @azure/functions-core and serves the HTTP trigger with @azure/functions'
 * own request classes.
 */
const root = path.resolve(__dirname, "../..");
const echo = path.join(__dirname, "fixtures", "echo");
const children: ChildProcess[] = [];
afterAll(() => children.forEach((c) => c.kill()));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function start(args: string[], env: NodeJS.ProcessEnv, ready: (line: string) => boolean): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  const lines: string[] = [];
  let err = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready: ${lines.join("\n")}\n${err}`)), 15000);
    child.stderr!.on("data", (d) => { err += d; });
    child.stdout!.on("data", (d) => {
      for (const line of String(d).split("\n").filter(Boolean)) {
        lines.push(line);
        if (ready(line)) { clearTimeout(timer); resolve({ child, lines }); }
      }
    });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${lines.join("\n")}\n${err}`)); });
  });
}

const FF = path.join(root, "node_modules", "@google-cloud", "functions-framework", "build", "src", "main.js");

async function serveGcp(target: string): Promise<string> {
  const dir = stageFunction(echo, { cloud: "gcp", logicalId: "echo", handler: `index.${target}` });
  const port = await freePort();
  await start([FF, `--target=${target}`, `--source=${dir}`, `--port=${port}`], { POLYCLOUD_CLOUD: "gcp" }, (l) => /^URL: /.test(l));
  return `http://127.0.0.1:${port}`;
}

describe("GCP: the bundle served by the Functions Framework", () => {
  test("package: package.json main and the Functions Framework dependency; the target is the handler export", () => {
    const b = bundleFunction(echo, { cloud: "gcp", logicalId: "echo", handler: "index.web" });
    expect(Object.keys(b.files).sort()).toEqual(["index.js", "package.json"]);
    expect(JSON.parse(b.files["package.json"])).toMatchObject({ main: "index.js", dependencies: { "@google-cloud/functions-framework": "5.0.5" } });
  });

  test("http(): a real HTTP request on loopback", async () => {
    const base = await serveGcp("web");
    const res = await fetch(`${base}/orders?dry=1`, { method: "POST", headers: { "content-type": "application/json", "x-request-id": "r-1" }, body: JSON.stringify({ id: "o-1" }) });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-cloud")).toBe("gcp");
    expect(await res.json()).toEqual({ method: "POST", path: "/orders", query: { dry: "1" }, body: { id: "o-1" }, requestId: "r-1" });
    const boom = await fetch(`${base}/boom`);
    expect(boom.status).toBe(500);
  });

  test("queue(): Pub/Sub push envelopes get 204, 500 and 400", async () => {
    const base = await serveGcp("jobs");
    const post = (body: unknown) => fetch(base, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then((r) => r.status);
    expect(await post(fx.queue.gcp.envelopes[0])).toBe(204);
    expect(await post(fx.queue.gcp.envelopes[1])).toBe(500);
    expect(await post({ not: "an envelope" })).toBe(400);
  });
});

describe("Azure: the bundle loaded as the Functions worker loads it", () => {
  const host = path.join(__dirname, "fixtures", "azure-host.cjs");
  const stub = path.join(__dirname, "fixtures", "azure-core-stub");

  test("package: host.json (v2, extension bundle 4.x, the /api prefix API Management forwards to) and package.json main", () => {
    const dir = stageFunction(echo, { cloud: "azure", logicalId: "api", handler: "index.web" });
    expect(fs.readdirSync(dir).sort()).toEqual(["host.json", "index.js", "package.json"]);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "host.json"), "utf8"))).toMatchObject({
      version: "2.0", extensionBundle: { id: "Microsoft.Azure.Functions.ExtensionBundle", version: "[4.*, 5.0.0)" }, extensions: { http: { routePrefix: "api" } },
    });
    expect(JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).main).toBe("index.js");
  });

  test("http(): registered as an anonymous HTTP trigger on every path; a real HTTP request on loopback", async () => {
    const dir = stageFunction(echo, { cloud: "azure", logicalId: "api", handler: "index.web" });
    const { lines } = await start([host, dir], { POLYCLOUD_CLOUD: "azure", NODE_PATH: stub }, (l) => l.startsWith('{"port"'));
    const regs = JSON.parse(lines[0]).registrations;
    expect(regs).toHaveLength(1);
    expect(regs[0].name).toBe("api");
    const trigger = Object.values(regs[0].bindings as Record<string, Record<string, unknown>>).find((b) => b.type === "httpTrigger")!;
    expect(trigger).toMatchObject({ direction: "in", authLevel: "anonymous", route: "{*path}" });
    const port = JSON.parse(lines[1]).port;
    const res = await fetch(`http://127.0.0.1:${port}/api/orders?dry=1`, { method: "POST", headers: { "content-type": "application/json", "x-request-id": "r-1" }, body: JSON.stringify({ id: "o-1" }) });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-cloud")).toBe("azure");
    expect(await res.json()).toEqual({ method: "POST", path: "/orders", query: { dry: "1" }, body: { id: "o-1" }, requestId: "r-1" });
  });

  test("queue() and events(): a Service Bus trigger per consumed queue (identity connection), an Event Grid trigger named like the function", async () => {
    const q = stageFunction(echo, { cloud: "azure", logicalId: "worker", handler: "index.jobs" });
    const env = { POLYCLOUD_CLOUD: "azure", NODE_PATH: stub, QUEUE_ORDERS__fullyQualifiedNamespace: "ns.servicebus.windows.net", QUEUE_ORDERS_NAME: "orders-q" };
    const queued = JSON.parse((await start([host, q], env, (l) => l.startsWith('{"registrations"'))).lines[0]).registrations;
    expect(queued).toHaveLength(1);
    expect(queued[0].name).toBe("worker");
    expect(Object.values(queued[0].bindings)).toContainEqual(expect.objectContaining({ type: "serviceBusTrigger", direction: "in", connection: "QUEUE_ORDERS", queueName: "%QUEUE_ORDERS_NAME%", cardinality: "one" }));
    // A bus rule that targets the consumer itself (issue 24.2): an Event Grid trigger under the
    // name the event subscription delivers to, the queue's trigger beside it.
    const ruled = JSON.parse((await start([host, q], { ...env, PLATFORM_EVENT_GRID_FUNCTION: "worker" }, (l) => l.startsWith('{"registrations"'))).lines[0]).registrations;
    expect(ruled.map((r: { name: string; bindings: Record<string, { type: string }> }) => [r.name, Object.values(r.bindings).find((b) => b.type.endsWith("Trigger"))!.type]))
      .toEqual([["worker", "eventGridTrigger"], ["worker-orders", "serviceBusTrigger"]]);
    const e = stageFunction(echo, { cloud: "azure", logicalId: "audit", handler: "index.bus" });
    const evs = JSON.parse((await start([host, e], { POLYCLOUD_CLOUD: "azure", NODE_PATH: stub }, (l) => l.startsWith('{"registrations"'))).lines[0]).registrations;
    expect(evs.map((r: { name: string }) => r.name)).toEqual(["audit"]);
    expect(Object.values(evs[0].bindings)).toContainEqual(expect.objectContaining({ type: "eventGridTrigger", direction: "in" }));
  });
});

describe("staging cache", () => {
  test("a bundle is reused across processes until a file it was built from changes", () => {
    const os = jest.requireActual<typeof import("node:os")>("node:os");
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), "echo-copy-"));
    for (const f of fs.readdirSync(echo)) fs.copyFileSync(path.join(echo, f), path.join(copy, f));
    const target = { cloud: "aws" as const, logicalId: "echo", handler: "index.web" };
    const first = stageFunction(copy, target);
    // A fresh module registry stands for a new process: only the on-disk record can answer.
    let again = "";
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    jest.isolateModules(() => { again = (require("@polycloud/runtime") as typeof import("@polycloud/runtime")).stageFunction(copy, target); });
    expect(again).toBe(first);
    const src = path.join(copy, "index.mjs");
    fs.writeFileSync(src, fs.readFileSync(src, "utf8").replace('"/boom"', '"/kaboom"'));
    let changed = "";
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    jest.isolateModules(() => { changed = (require("@polycloud/runtime") as typeof import("@polycloud/runtime")).stageFunction(copy, target); });
    expect(changed).not.toBe(first);
    expect(fs.readFileSync(path.join(changed, "index.js"), "utf8")).toContain('"/kaboom"');
    fs.rmSync(copy, { recursive: true, force: true });
  });
});

describe("staging cache: stat first, content when the stat differs", () => {
  test("in a new process an input with its recorded size and mtime is not read again; a touched input is re-hashed and hits when its bytes are the same", () => {
    const os = jest.requireActual<typeof import("node:os")>("node:os");
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), "echo-stat-"));
    for (const f of fs.readdirSync(echo)) fs.copyFileSync(path.join(echo, f), path.join(copy, f));
    const targets = ["echo", "echo-two"].map((logicalId) => ({ cloud: "aws" as const, logicalId, handler: "index.web" }));
    // Whole seconds, so restoring the time below gives back exactly the recorded mtime.
    const when = new Date(Math.floor(Date.now() / 1000) * 1000 - 60000);
    fs.utimesSync(path.join(copy, "index.mjs"), when, when);
    const first = targets.map((t) => stageFunction(copy, t));
    // A fresh module registry stands for a new process: only the on-disk records can answer.
    const fresh = () => {
      let dirs: string[] = [];
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      jest.isolateModules(() => { const rt = require("@polycloud/runtime") as typeof import("@polycloud/runtime"); dirs = targets.map((t) => rt.stageFunction(copy, t)); });
      return dirs;
    };
    const src = path.join(copy, "index.mjs");
    const original = fs.readFileSync(src, "utf8");
    const [mtime, atime] = [when, when];
    // Same size, same mtime, other bytes: trusted from the record (never read), as git's index
    // and make trust a stat. This is what makes a no-change synth cheap.
    fs.writeFileSync(src, original.replace('"/boom"', '"/bo0m"'));
    fs.utimesSync(src, atime, mtime);
    expect(fresh()).toEqual(first);
    // Same bytes as recorded, newer mtime: re-hashed, found unchanged, still the cached bundle.
    fs.writeFileSync(src, original);
    fs.utimesSync(src, new Date(), new Date(mtime.getTime() + 5000));
    expect(fresh()).toEqual(first);
    // Other bytes and a newer mtime: bundled again.
    fs.writeFileSync(src, original.replace('"/boom"', '"/bo0m"'));
    fs.utimesSync(src, new Date(), new Date(mtime.getTime() + 10000));
    const changed = fresh();
    expect(changed[0]).not.toBe(first[0]);
    expect(fs.readFileSync(path.join(changed[0], "index.js"), "utf8")).toContain('"/bo0m"');
    fs.rmSync(copy, { recursive: true, force: true });
  });
});

test("bundles carry no machine paths: the same bytes from any checkout", () => {
  for (const cloud of ["aws", "gcp", "azure"] as const) {
    const b = bundleFunction(echo, { cloud, logicalId: "echo", handler: "index.web" });
    const js = Object.entries(b.files).find(([f]) => f.endsWith(".js"))![1];
    expect(js).not.toContain(root);
    expect(b.inputs.length).toBeGreaterThan(10);
    expect(b.inputs.every((f) => path.isAbsolute(f) && fs.existsSync(f))).toBe(true);
  }
});
