import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { packageFunction } from "@polycloud/core";
import { useCoffeeWheels } from "../fixtures/coffee-service";
import { unzipTo } from "../helpers/unzip";

/**
 * Issue 24.5: Python functions start on GCP and Azure. Each package is built as synth builds it,
 * unzipped, and loaded by a real python3 the way the platform loads it: GCP's Functions Framework
 * imports main.py and calls the entry point (the text after the last dot of `handler`); Azure's
 * Python worker imports function_app.py and indexes `app`. The Functions Framework, Flask and
 * azure-functions cannot be installed here (no PyPI): azure.functions and flask are minimal
 * stand-ins (fixtures/python-stubs, recording registrations as the real decorators build them),
 * used only so the generated files import; the handlers, polycloud_runtime and the entry points
 * are the real code.
 */
const python = spawnSync("python3", ["--version"]).status === 0;
const fnDir = path.join(__dirname, "..", "fixtures", "python-fn");
const barista = path.join(__dirname, "..", "fixtures", "coffee", "barista");
const roaster = path.join(__dirname, "..", "fixtures", "coffee", "roaster");
const stubs = path.join(__dirname, "fixtures", "python-stubs");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "py-entry-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function unpack(cloud: "aws" | "gcp" | "azure", dir: string, handler: string, logicalId = "web"): { root: string; files: string[] } {
  const pkg = packageFunction(dir, { cloud, logicalId, handler, runtime: "python3.12" });
  const root = fs.mkdtempSync(path.join(work, `${cloud}-`));
  unzipTo(pkg.path, root);
  const list = (d: string, rel = ""): string[] => fs.readdirSync(path.join(d, rel), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? list(d, path.join(rel, e.name)) : [path.join(rel, e.name)]));
  return { root, files: list(root).sort() };
}

/** Runs a script with python3 in isolated mode (only the standard library, the package and, when asked, the stand-ins). */
function py(root: string, script: string, env: Record<string, string> = {}, withStubs = false): string {
  const prelude = `import sys, json, os\nsys.path[:0] = [${JSON.stringify(root)}${withStubs ? `, ${JSON.stringify(stubs)}` : ""}]\n`;
  const r = spawnSync("python3", ["-I", "-B", "-c", prelude + script], { cwd: root, encoding: "utf8", env: { PATH: process.env.PATH, ...env } });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** The attributes of a Functions Framework (Flask) request polycloud_runtime reads. */
const FLASK_REQUEST = `
class Req:
    def __init__(self, method, url, headers, body=""):
        from urllib.parse import urlsplit
        p = urlsplit(url)
        self.method, self.path, self.headers, self.query_string = method, p.path, headers, p.query.encode()
        self.args, self.environ, self._body = {}, {"RAW_URI": url}, body
    def get_data(self, as_text=False):
        return self._body
    def get_json(self, silent=False):
        return json.loads(self._body)
`;

const gatewayEnv = {
  PLATFORM_ROUTES: JSON.stringify([{ method: "GET", path: "/orders/{id}", authorized: true }, { method: "GET", path: "/health", authorized: false }]),
  PLATFORM_CORS: JSON.stringify({ allowOrigins: ["https://shop.example.com"], allowMethods: ["GET"], allowHeaders: ["authorization"], exposeHeaders: [], maxAgeSeconds: 600, allowCredentials: false }),
  PLATFORM_JWT_ISSUER: "https://auth.example.com/", PLATFORM_JWT_AUDIENCES: '["orders-api"]', PLATFORM_JWT_JWKS_URI: "https://auth.example.com/.well-known/jwks.json",
};

(python ? describe : describe.skip)("GCP: main.py for the Functions Framework", () => {
  test("a handler in another module: a generated main.py binds the entry point, with polycloud_runtime vendored", () => {
    const { root, files } = unpack("gcp", fnDir, "handlers.web");
    expect(files).toEqual(["handlers.py", "main.py", "polycloud_runtime/__init__.py", "polycloud_runtime/database.py", "polycloud_runtime/edge.py", "polycloud_runtime/platform.py", "polycloud_runtime/tokens.py"]);
    // As the Functions Framework does: load main.py, take the target, call it with the request.
    const out = py(root, `${FLASK_REQUEST}
import main
print(json.dumps([main.web(Req("GET", "/orders/7?x=1", {})), main.web(Req("GET", "/health", {"origin": "https://shop.example.com"})), main.web(Req("GET", "/nope", {}))]))`, gatewayEnv);
    const [noToken, health, undeclared] = JSON.parse(out);
    // The runtime's own checks, from the gateway's environment (no cloud branch in the handler).
    expect(noToken.slice(0, 2)).toEqual(['{"error":"unauthorized"}', 401]);
    expect(health).toEqual([JSON.stringify({ path: "/health", query: {}, subject: null }), 200, { "access-control-allow-origin": "https://shop.example.com", vary: "origin", "x-cloud": "gcp", "content-type": "application/json" }]);
    expect(undeclared[1]).toBe(404);
  });

  test("queue and events handlers are Pub/Sub push targets as they are", () => {
    const { root } = unpack("gcp", fnDir, "handlers.jobs", "jobs");
    const envelope = { message: { data: Buffer.from('{"id":"o-1"}').toString("base64"), messageId: "m-1" }, subscription: "s" };
    expect(JSON.parse(py(root, `${FLASK_REQUEST}
import main, handlers
print(json.dumps([main.jobs(Req("POST", "/", {}, ${JSON.stringify(JSON.stringify(envelope))}))[1], handlers.SEEN]))`))).toEqual([204, [["message", "m-1", { id: "o-1" }]]]);
  });

  test("a handler in main.py (a plain function with requirements): the entry point is appended to it and the installed wheel imports", () => {
    useCoffeeWheels();
    const { root, files } = unpack("gcp", barista, "main.handler", "barista");
    expect(files).toEqual(expect.arrayContaining(["main.py", "brewtools/__init__.py", "polycloud_runtime/platform.py", "requirements.txt"]));
    const main = fs.readFileSync(path.join(root, "main.py"), "utf8");
    expect(main.startsWith(fs.readFileSync(path.join(barista, "main.py"), "utf8"))).toBe(true);
    expect(main).toMatch(/^handler = _polycloud_gcp_entry\(handler\)$/m);
    // Not routed by a gateway: the function is called as it is.
    expect(JSON.parse(py(root, "import main\nprint(json.dumps(main.handler({})))"))).toMatchObject({ statusCode: 200 });
    // Routed: the gateway's checks run before it and the CORS headers join its answer (flask stand-in for make_response).
    const routed = py(root, `${FLASK_REQUEST}
import main
r = main.handler(Req("GET", "/health", {"origin": "https://shop.example.com"}))
print(json.dumps([r.status, r.headers["access-control-allow-origin"], main.handler(Req("GET", "/orders/1", {}))[1]]))`, gatewayEnv, true);
    expect(JSON.parse(routed)).toEqual([200, "https://shop.example.com", 401]);
  });
});

(python ? describe : describe.skip)("Azure: function_app.py for the Python v2 programming model", () => {
  test("http: one anonymous HTTP trigger on every path below /api, named like the function, parameter names matching the bindings; host.json", () => {
    const { root, files } = unpack("azure", fnDir, "handlers.web", "api");
    expect(files).toEqual(["function_app.py", "handlers.py", "host.json", "polycloud_runtime/__init__.py", "polycloud_runtime/database.py", "polycloud_runtime/edge.py", "polycloud_runtime/platform.py", "polycloud_runtime/tokens.py"]);
    expect(JSON.parse(fs.readFileSync(path.join(root, "host.json"), "utf8"))).toMatchObject({ version: "2.0", extensions: { http: { routePrefix: "api" } } });
    const out = JSON.parse(py(root, `
import azure.functions as func, function_app
regs = json.loads(func.describe(function_app.app))
r = function_app.app.get_functions()[0].fn(func.HttpRequest("GET", "https://x.azurewebsites.net/api/health?a=1&a=2", {}, route_params={"path": "health"}))
print(json.dumps({"regs": regs, "status": r.status_code, "body": json.loads(r.body)}))`, {}, true));
    expect(out.regs).toEqual([{ name: "api", params: ["req"], annotations: { req: "HttpRequest" }, bindings: [
      { type: "httpTrigger", direction: "in", name: "req", route: "{*path}", methods: ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"], authLevel: "anonymous" },
      { type: "http", direction: "out", name: "$return" },
    ] }]);
    expect(out).toMatchObject({ status: 200, body: { path: "/health", query: { a: "1,2" }, subject: null } });
  });

  test("queue: a Service Bus trigger per consumed queue (identity connection); events: an Event Grid trigger named like the function", () => {
    const q = unpack("azure", fnDir, "handlers.jobs", "worker");
    const env = { QUEUE_ORDERS__fullyQualifiedNamespace: "ns.servicebus.windows.net", QUEUE_ORDERS_NAME: "orders-q", QUEUE_AUDIT__fullyQualifiedNamespace: "ns.servicebus.windows.net" };
    const queued = JSON.parse(py(q.root, `
import azure.functions as func, function_app, handlers
app = function_app.app
app.get_functions()[0].fn(func.ServiceBusMessage(b'{"id":"o-1"}', "m-1"))
print(json.dumps({"regs": json.loads(func.describe(app)), "seen": handlers.SEEN}))`, env, true));
    expect(queued.regs.map((r: { name: string; params: string[]; bindings: unknown[] }) => [r.name, r.params, r.bindings])).toEqual([
      ["worker", ["msg"], [{ type: "serviceBusTrigger", direction: "in", name: "msg", connection: "QUEUE_AUDIT", queueName: "%QUEUE_AUDIT_NAME%", cardinality: "one" }]],
      ["worker-orders", ["msg"], [{ type: "serviceBusTrigger", direction: "in", name: "msg", connection: "QUEUE_ORDERS", queueName: "%QUEUE_ORDERS_NAME%", cardinality: "one" }]],
    ]);
    expect(queued.seen).toEqual([["message", "m-1", { id: "o-1" }]]);
    const e = unpack("azure", fnDir, "handlers.bus", "audit");
    const evs = JSON.parse(py(e.root, `
import azure.functions as func, function_app, handlers
app = function_app.app
app.get_functions()[0].fn(func.EventGridEvent(id="e-1", data={"a": 1}, topic="t", subject="s", event_type="OrderCreated", event_time=None, data_version="1"))
print(json.dumps({"regs": json.loads(func.describe(app)), "seen": handlers.SEEN}))`, {}, true));
    // No azure-functions in the package: the worker's own library (before 1.25) has no CloudEvent.
    expect(evs.regs).toEqual([{ name: "audit", params: ["event"], annotations: { event: "EventGridEvent" }, bindings: [{ type: "eventGridTrigger", direction: "in", name: "event" }] }]);
    expect(evs.seen).toEqual([["event", "e-1", "OrderCreated"]]);
  });

  test("events() targeted by a rule: with the package's azure-functions>=1.25.0b4 in .python_packages and isolation on, the trigger binds func.CloudEvent and the bus's CloudEvent is handled; the worker's own library gives a typeless event, refused with the fix named", () => {
    useCoffeeWheels();
    const { root, files } = unpack("azure", roaster, "main.tick", "roaster");
    // Azure's worker searches .python_packages/lib/site-packages before its own libraries (the package root after them).
    expect(files).toEqual(expect.arrayContaining([".python_packages/lib/site-packages/azure_functions-1.25.0b4.dist-info/METADATA", "function_app.py", "main.py", "requirements.txt"]));
    expect(files.filter((f) => f.startsWith("azure_functions"))).toEqual([]);
    const event = { specversion: "1.0", id: "evt-9", source: "polycloud.schedule", type: "polycloud.schedule.tick", subject: "morning", time: "2026-12-07T06:00:00Z", datacontenttype: "application/json", data: { polycloud_schedule: "morning" } };
    const script = `
import io, contextlib, azure.functions as func, function_app
out = io.StringIO()
reg = json.loads(func.describe(function_app.app))
try:
    with contextlib.redirect_stdout(out):
        function_app.app.get_functions()[0].fn(func.decode_event_grid(json.loads(${JSON.stringify(JSON.stringify(event))})))
    result = json.loads(out.getvalue())
except ValueError as err:
    result = str(err)
print(json.dumps({"version": func.__version__, "reg": reg, "result": result}))`;
    const isolated = JSON.parse(py(root, script, { PYTHON_ISOLATE_WORKER_DEPENDENCIES: "1" }, true));
    expect(isolated).toMatchObject({ version: "1.25.0b4", reg: [{ name: "roaster", params: ["event"], annotations: { event: "CloudEvent" } }] });
    expect(isolated.result).toEqual({ msg: "roasting", event: "evt-9", source: "polycloud.schedule", type: "polycloud.schedule.tick", data: { polycloud_schedule: "morning" } });
    const worker = JSON.parse(py(root, script, {}, true));
    expect(worker).toMatchObject({ version: "1.24.0", reg: [{ annotations: { event: "EventGridEvent" } }] });
    expect(worker.result).toMatch(/Event Grid event has no type: it was delivered in the CloudEvents schema, which azure-functions before 1\.25 cannot decode \(pin azure-functions>=1\.25\.0b4/);
  });

  test("a handler that is not built with polycloud_runtime's http/queue/events stops the worker's indexing with a message that says so", () => {
    useCoffeeWheels();
    const { root } = unpack("azure", barista, "main.handler", "barista");
    // The worker puts the package's .python_packages/lib/site-packages on sys.path (brewtools is there).
    const deps = path.join(root, ".python_packages", "lib", "site-packages");
    const r = spawnSync("python3", ["-I", "-B", "-c", `import sys\nsys.path[:0] = [${JSON.stringify(root)}, ${JSON.stringify(deps)}, ${JSON.stringify(stubs)}]\nimport function_app`], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/the handler of function 'barista' is not an http\(\), queue\(\) or events\(\) handler of polycloud_runtime/);
  });
});

(python ? test : test.skip)("AWS: the package carries polycloud_runtime when the code imports it, and nothing is added otherwise", () => {
  const { files, root } = unpack("aws", fnDir, "handlers.web");
  expect(files).toEqual(["handlers.py", "polycloud_runtime/__init__.py", "polycloud_runtime/database.py", "polycloud_runtime/edge.py", "polycloud_runtime/platform.py", "polycloud_runtime/tokens.py"]);
  const out = py(root, `import handlers\nr = handlers.web({"rawPath": "/orders/1", "rawQueryString": "", "requestContext": {"http": {"method": "GET"}, "authorizer": {"jwt": {"claims": {"sub": "u-9"}}}}})\nprint(r["body"])`);
  expect(JSON.parse(out)).toEqual({ path: "/orders/1", query: {}, subject: "u-9" });
  useCoffeeWheels();
  expect(unpack("aws", barista, "main.handler", "barista").files.some((f) => f.startsWith("polycloud_runtime/"))).toBe(false);
});
