import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Cloud, ServiceSpec } from "@polycloud/core";
import { azureFunctionsRequirement } from "@polycloud/azure";
import { envByName, resources, synthPlatform, validationMessages } from "../helpers/synth";

/**
 * The Azure event bus delivers CloudEvents 1.0 through Event Grid; the Python worker decodes them
 * (func.CloudEvent) from azure-functions 1.25.0b4 only, and only the package's own copy can be
 * that new (PYTHON_ISOLATE_WORKER_DEPENDENCIES on Python <= 3.12). A Python function a rule
 * targets on Azure must pin it: synth says so, naming service.function.property, on Azure only.
 */
const coffeeWheels = path.join(__dirname, "..", "fixtures", "coffee", "wheels");
const dir = "__tests__/fixtures/python-events";
const work = fs.mkdtempSync(path.join(os.tmpdir(), "py-events-"));
const saved = { PIP_NO_INDEX: process.env.PIP_NO_INDEX, PIP_FIND_LINKS: process.env.PIP_FIND_LINKS };

beforeAll(() => {
  // The worker's own release as a metadata-only wheel, so pip resolves the old pin with no network.
  const wheel = path.join(work, "azure_functions-1.24.0-py3-none-any.whl");
  const r = spawnSync("python3", ["-c", `
import zipfile, sys
d = "azure_functions-1.24.0.dist-info"
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr(d + "/METADATA", "Metadata-Version: 2.1\\nName: azure-functions\\nVersion: 1.24.0\\n")
    z.writestr(d + "/WHEEL", "Wheel-Version: 1.0\\nGenerator: polycloud-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
    z.writestr(d + "/RECORD", d + "/METADATA,,\\n" + d + "/WHEEL,,\\n" + d + "/RECORD,,\\n")
`, wheel], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  process.env.PIP_NO_INDEX = "1";
  process.env.PIP_FIND_LINKS = `${coffeeWheels} ${work}`;
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  fs.rmSync(work, { recursive: true, force: true });
});

const fn = (source: string, runtime: "python3.12" | "python3.13" | "nodejs22" = "python3.12", handler = "main.tick") =>
  ({ source, runtime, handler, memoryMb: 512, timeoutSeconds: 30 });

function service(): ServiceSpec {
  return {
    name: "ticks",
    functions: {
      bare: fn(`${dir}/no-reqs`),
      other: fn(`${dir}/no-pin`),
      old: fn(`${dir}/old-pin`),
      pinned: fn("__tests__/fixtures/coffee/roaster", "python3.13"),
      node: fn("__tests__/fixtures/coffee/tasting", "nodejs22", "index.handler"),
      untargeted: fn(`${dir}/no-reqs`),
    },
    buses: {
      events: {
        rules: {
          morning: { schedule: "cron(0 6 * * MON-FRI)", target: { function: "bare" } },
          evening: { schedule: "cron(0 18 * * MON-FRI)", target: { function: "bare" } },
          orders: { filter: { source: ["orders.api"] }, target: { function: "other" } },
          audit: { filter: { source: ["orders.api"] }, target: { function: "old" } },
          roast: { filter: { source: ["orders.api"] }, target: { function: "pinned" } },
          taste: { filter: { source: ["orders.api"] }, target: { function: "node" } },
        },
      },
    },
  } as unknown as ServiceSpec;
}

const ALLOWED = "allowed: a requirements.txt with azure-functions>=1.25.0b4 on Azure: rules.%RULE% delivers CloudEvents 1.0 through Event Grid, which the Python worker decodes into func.CloudEvent from that release only";
const problem = (id: string, value: string, rule: string) =>
  `Function: property 'functions.${id}.source' has value "${value}"; ${ALLOWED.replace("%RULE%", rule)}`;

test("Azure: each Python rule target without azure-functions>=1.25.0b4 is one problem naming the function, its requirements and the rule", () => {
  const messages = validationMessages(envByName("dev"), service(), "azure").filter((m) => m.includes("azure-functions"));
  expect(messages.map((m) => m.replace(/^.*?(Function: property)/, "$1")).sort()).toEqual([
    problem("bare", `${dir}/no-reqs/requirements.txt (none)`, "morning"),
    problem("old", `${dir}/old-pin/requirements.txt: azure-functions==1.24.0`, "audit"),
    problem("other", `${dir}/no-pin/requirements.txt without azure-functions`, "orders"),
  ]);
});

test.each<Cloud>(["aws", "gcp"])("%s: no such problem (EventBridge and Pub/Sub deliver what polycloud_runtime reads)", (cloud) => {
  expect(validationMessages(envByName("dev"), service(), cloud).filter((m) => m.includes("azure-functions"))).toEqual([]);
});

test("Azure: Python 3.12 apps isolate their dependencies (PYTHON_ISOLATE_WORKER_DEPENDENCIES=1), 3.13 (isolated by default) and Node apps do not get it", () => {
  const all = service();
  const spec = { ...all, buses: { events: { rules: { roast: all.buses!.events.rules!.roast } } },
    functions: { pinned: all.functions.pinned, py312: { ...all.functions.pinned, runtime: "python3.12" }, node: all.functions.node } } as ServiceSpec;
  const { json } = synthPlatform(envByName("dev"), spec, "azure");
  const apps = Object.values(resources(json, "azurerm_function_app_flex_consumption")).filter((a) => /ticks/.test(a.name));
  const isolation = Object.fromEntries(apps.map((a) => [`${a.runtime_name}${a.runtime_version}`, a.app_settings.PYTHON_ISOLATE_WORKER_DEPENDENCIES ?? null]));
  expect(isolation).toEqual({ "python3.13": null, "python3.12": "1", node22: null });
});

describe("azureFunctionsRequirement: a lower bound at 1.25.0b4 or later", () => {
  const check = (text: string, extra: Record<string, string> = {}) => {
    const d = fs.mkdtempSync(path.join(work, "req-"));
    fs.writeFileSync(path.join(d, "requirements.txt"), text);
    for (const [f, t] of Object.entries(extra)) fs.writeFileSync(path.join(d, f), t);
    return azureFunctionsRequirement(d).ok;
  };
  test.each([
    "azure-functions>=1.25.0b4", "azure-functions==1.25.0", "Azure_Functions ~= 1.26", "azure.functions>=2.0 ; python_version >= '3.10'",
    "azure-functions>1.25.0b4,<3", "azure-functions==2.3.*", "# pinned\nazure-functions===1.25.0b5  # CloudEvent", "azure-functions[extra]>=1.25.0rc1",
  ])("ok: %s", (text) => expect(check(text)).toBe(true));
  test.each([
    "azure-functions", "azure-functions>=1.24", "azure-functions==1.25.0b3", "azure-functions<2", "azure-functions!=1.0", "azure-functions-durable>=2",
    "# azure-functions>=1.25.0b4", "azure-functions>=1.25.0a9", "",
  ])("refused: %j", (text) => expect(check(text)).toBe(false));
  test("an included file (-r) counts", () => expect(check("-r base.txt\n", { "base.txt": "azure-functions>=1.25.0b4\n" })).toBe(true));
});
