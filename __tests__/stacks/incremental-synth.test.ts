import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EnvironmentConfig, ServiceSpec } from "@polycloud/core";
import { environments } from "../fixtures/sample/environments";
import { referenceService } from "../../stacks/reference-service";
import { scaleServices } from "../../stacks/scale-services";
import { SynthValidationError } from "../../modules/stacks/src/plan";
import { synthesize, SynthesisReport } from "../../modules/stacks/src/synthesize";
import { RECORD_FILE } from "../../modules/stacks/src/synth-record";
import { STAMP_FILE } from "@polycloud/core";

/**
 * Incremental synthesis (modules/stacks/src/synthesize.ts) against a full one: after each kind of change, the
 * output directory that was synthesized incrementally holds exactly the files a full synthesis
 * into an empty directory writes, and only the stacks that render the change were synthesized.
 */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "incremental-synth-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every file under `dir` except the record and the sources stamp (they hold times). */
function files(dir: string, rel = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (p === RECORD_FILE || p === STAMP_FILE) continue;
    if (e.isDirectory()) Object.assign(out, files(dir, p));
    else out[p] = fs.readFileSync(path.join(dir, p)).toString("base64");
  }
  return out;
}

let fresh = 0;
/** The previous step's full synthesis, kept for a step whose inputs are unchanged since. */
let last: { dir: string; reference: SynthesisReport } | undefined;
/**
 * Synthesizes into `outdir` incrementally and into an empty directory in full; both must hold the same files.
 * `unchanged`: nothing the synthesis reads changed since the previous step, so its full synthesis (the
 * same inputs) is the reference and is not run again.
 */
async function step(outdir: string, build: () => Parameters<typeof synthesize>[0], unchanged = false): Promise<SynthesisReport> {
  const report = await synthesize(build(), { app: { outdir } });
  if (!unchanged || !last) {
    if (last) fs.rmSync(last.dir, { recursive: true, force: true });
    const dir = path.join(tmp, `full-${fresh++}`);
    last = { dir, reference: await synthesize(build(), { app: { outdir: dir }, incremental: false }) };
  }
  const { dir: full, reference } = last;
  expect(reference.reused).toEqual([]);
  const [a, b] = [files(outdir), files(full)];
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const name of Object.keys(b)) if (a[name] !== b[name]) expect({ name, text: Buffer.from(a[name], "base64").toString() }).toEqual({ name, text: Buffer.from(b[name], "base64").toString() });
  expect(report.warnings).toEqual(reference.warnings);
  expect(fs.readdirSync(outdir).filter((f) => f.startsWith(".synth-"))).toEqual([]);
  return report;
}

/** A copy of the reference worker function that a test may edit. */
function functionFolder(name: string): string {
  const dir = path.join(tmp, name);
  fs.cpSync(path.resolve("stacks/reference/functions/worker"), dir, { recursive: true });
  return dir;
}

const only = (env: EnvironmentConfig, clouds: readonly string[], partitioning: "environment" | "service"): EnvironmentConfig =>
  ({ ...env, partitioning, clouds: Object.fromEntries(Object.entries(env.clouds).filter(([c]) => clouds.includes(c))) }) as EnvironmentConfig;

describe("partitioned per service (dev and prod on AWS and GCP)", () => {
  const outdir = path.join(tmp, "service");
  const worker = functionFolder("worker-svc-002");
  const state = {
    envs: ["dev", "prod"].map((n) => only(environments.find((e) => e.name === n)!, ["aws", "gcp"], "service")),
    memory: 256,
    extra: [] as string[],
    dropped: [] as string[],
    ordersServer: "own" as "own" | "shared",
    ordersSize: undefined as undefined | "large",
  };
  const services = (env: EnvironmentConfig): ServiceSpec[] => {
    const base = scaleServices(env, 3).filter((s) => !state.dropped.includes(s.name)).map((s) => {
      if (s.name === "svc-001") return { ...s, functions: { worker: { ...s.functions!.worker, memoryMb: state.memory } } };
      if (s.name === "svc-002") return { ...s, functions: { worker: { ...s.functions!.worker, source: worker } } };
      return s;
    });
    const orders = (): ServiceSpec => {
      const svc = referenceService(env);
      return { ...svc, databases: Object.fromEntries(Object.entries(svc.databases ?? {}).map(([id, d]) => [id, { ...d, server: state.ordersServer, ...(state.ordersSize ? { size: state.ordersSize } : {}) }])) };
    };
    const extra = state.extra.map((n) => (n === "orders" ? orders() : { ...scaleServices(env, 1)[0], name: n }));
    return [...base, ...extra];
  };
  const build = () => ({ environments: state.envs, services });
  const stacksOf = (svc: string) => ["dev", "prod"].flatMap((e) => ["aws", "gcp"].map((c) => `${e}-${c}-${svc}`));

  test("first synthesis builds every stack; a second one with nothing changed builds none", async () => {
    expect((await step(outdir, build)).built).toHaveLength(2 * 2 * 4);
    const again = await step(outdir, build, true);
    expect(again.built).toEqual([]);
    expect(again.reused).toHaveLength(16);
  });

  test("a spec edit rebuilds that service's stacks only", async () => {
    state.memory = 512;
    expect((await step(outdir, build)).built.sort()).toEqual(stacksOf("svc-001").sort());
  });

  test("a function file edit rebuilds the stacks of the services whose function it is", async () => {
    fs.appendFileSync(path.join(worker, "index.mjs"), "\n// edited\n");
    expect((await step(outdir, build)).built.sort()).toEqual(stacksOf("svc-002").sort());
  });

  test("an environment edit rebuilds that environment's stacks only", async () => {
    state.envs = state.envs.map((e) => (e.name === "prod" ? { ...e, tags: { ...e.tags, team: "payments" } } : e));
    expect((await step(outdir, build)).built.sort()).toEqual(["prod-aws-shared", "prod-gcp-shared", ...["svc-001", "svc-002", "svc-003"].flatMap((s) => [`prod-aws-${s}`, `prod-gcp-${s}`])].sort());
  });

  test("a service added builds its stacks; one that reads more of the foundation rebuilds the shared stacks too", async () => {
    state.extra = ["svc-009"];
    expect((await step(outdir, build)).built.sort()).toEqual(stacksOf("svc-009").sort());
    state.extra = ["svc-009", "orders"];
    const withOrders = await step(outdir, build);
    expect(withOrders.built.sort()).toEqual([...stacksOf("orders"), "dev-aws-shared", "dev-gcp-shared", "prod-aws-shared", "prod-gcp-shared"].sort());
  });

  test("a service removed loses its stacks, and the shared stacks lose the outputs only it read", async () => {
    state.extra = ["svc-009"];
    const report = await step(outdir, build);
    expect(report.built.sort()).toEqual(["dev-aws-shared", "dev-gcp-shared", "prod-aws-shared", "prod-gcp-shared"]);
    for (const id of stacksOf("orders")) expect(fs.existsSync(path.join(outdir, "stacks", id))).toBe(false);
    state.dropped = ["svc-003"];
    expect((await step(outdir, build)).built).toEqual([]);
    for (const id of stacksOf("svc-003")) expect(fs.existsSync(path.join(outdir, "stacks", id))).toBe(false);
  });

  test("an output edited or deleted since is synthesized again; other files in a stack's directory are kept", async () => {
    const file = path.join(outdir, "stacks", "dev-aws-svc-001", "cdk.tf.json");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace('"svc-001', '"tampered'));
    fs.rmSync(path.join(outdir, "stacks", "prod-gcp-svc-002", "assets"), { recursive: true });
    fs.mkdirSync(path.join(outdir, "stacks", "dev-aws-svc-001", ".terraform"));
    fs.writeFileSync(path.join(outdir, "stacks", "dev-aws-svc-001", ".terraform", "keep"), "x");
    const report = await synthesize(build(), { app: { outdir } });
    expect(report.built.sort()).toEqual(["dev-aws-svc-001", "prod-gcp-svc-002"]);
    expect(fs.readFileSync(path.join(outdir, "stacks", "dev-aws-svc-001", ".terraform", "keep"), "utf8")).toBe("x");
    fs.rmSync(path.join(outdir, "stacks", "dev-aws-svc-001", ".terraform"), { recursive: true });
    expect((await step(outdir, build)).built).toEqual([]);
  });
  test("a filtered synthesis (PLATFORM_STACKS) writes the shared stacks as a full synthesis does, whichever service stacks it selects", async () => {
    state.extra = ["svc-009", "orders"]; // orders reads the database outputs the others do not
    await step(outdir, build);
    const full = path.join(tmp, "service-full-unfiltered");
    await synthesize(build(), { app: { outdir: full }, incremental: false });
    const shared = (dir: string) => Object.fromEntries(["dev-aws-shared", "dev-gcp-shared"].map((id) => [id, fs.readFileSync(path.join(dir, "stacks", id, "cdk.tf.json"), "utf8")]));
    // Nothing changed, one service selected: its shared stacks keep the outputs orders reads.
    expect((await synthesize({ ...build(), filter: "dev-*-svc-001" }, { app: { outdir } })).built).toEqual([]);
    expect(shared(outdir)).toEqual(shared(full));
    // That service changed, alone selected: its stacks only; the shared stacks still as in full.
    state.memory = 1024;
    expect((await synthesize({ ...build(), filter: "dev-*-svc-001" }, { app: { outdir } })).built.sort()).toEqual(["dev-aws-svc-001", "dev-gcp-svc-001"]);
    expect(shared(outdir)).toEqual(shared(full));
    // The unfiltered synthesis then writes the rest of the change, and equals a full one.
    expect((await step(outdir, build)).built.sort()).toEqual(["prod-aws-svc-001", "prod-gcp-svc-001"]);
    fs.rmSync(full, { recursive: true, force: true });
  });

  test("a database moved to the environment's shared server rebuilds the shared stacks that now hold it", async () => {
    state.ordersServer = "shared";
    // step() also compares with a full synthesis: a reused shared stack would lack the shared server.
    expect((await step(outdir, build)).built.sort()).toEqual([...stacksOf("orders"), "dev-aws-shared", "dev-gcp-shared", "prod-aws-shared", "prod-gcp-shared"].sort());
    // A larger database on it resizes dev's shared server (prod's databases are large already): no new
    // output is read, the shared stacks still change.
    state.ordersSize = "large";
    expect((await step(outdir, build)).built.sort()).toEqual(["dev-aws-orders", "dev-aws-shared", "dev-gcp-orders", "dev-gcp-shared"]);
    state.ordersServer = "own";
    state.ordersSize = undefined;
  });
});

describe("partitioned per environment (dev and prod on AWS)", () => {
  const outdir = path.join(tmp, "environment");
  const state = { memory: 256, envs: ["dev", "prod"].map((n) => only(environments.find((e) => e.name === n)!, ["aws"], "environment")), count: 2 };
  const build = () => ({
    environments: state.envs,
    services: (env: EnvironmentConfig) => scaleServices(env, state.count).map((s) => (s.name === "svc-001" && env.name === "dev" ? { ...s, functions: { worker: { ...s.functions!.worker, memoryMb: state.memory } } } : s)),
  });

  test("a stack holds every service of its environment: what changes in one environment rebuilds that environment's stack", async () => {
    expect((await step(outdir, build)).built).toEqual(["dev-aws", "prod-aws"]);
    expect((await step(outdir, build, true)).built).toEqual([]);
    state.memory = 512; // dev's spec only
    expect((await step(outdir, build)).built).toEqual(["dev-aws"]);
    state.envs = state.envs.map((e) => (e.name === "prod" ? { ...e, tags: { ...e.tags, team: "payments" } } : e));
    expect((await step(outdir, build)).built).toEqual(["prod-aws"]);
    state.count = 3; // a service added to every environment
    expect((await step(outdir, build)).built).toEqual(["dev-aws", "prod-aws"]);
  });

  test("a filtered synthesis writes only the selected stacks; the others stay reusable", async () => {
    const filtered = await synthesize({ ...build(), filter: "prod-*" }, { app: { outdir } });
    expect(filtered.built).toEqual([]);
    expect(Object.keys(JSON.parse(fs.readFileSync(path.join(outdir, "manifest.json"), "utf8")).stacks)).toEqual(["prod-aws"]);
    expect((await step(outdir, build)).built).toEqual([]);
  });

  test("a validation problem writes nothing; the previous output stays reusable", async () => {
    const before = files(outdir);
    const bad = () => ({ ...build(), services: (env: EnvironmentConfig) => scaleServices(env, 3).map((s) => ({ ...s, functions: { worker: { ...s.functions!.worker, timeoutSeconds: -1 } } })) });
    await expect(synthesize(bad(), { app: { outdir } })).rejects.toThrow(SynthValidationError);
    expect(files(outdir)).toEqual(before);
    // Policy and plan scripts refuse an output without its stamp until the next successful synth.
    expect(fs.existsSync(path.join(outdir, STAMP_FILE))).toBe(false);
    expect((await step(outdir, build)).built).toEqual([]);
  });
});

describe("a database's migrations folder (partitioned per service, dev on AWS)", () => {
  const outdir = path.join(tmp, "migrations");
  const migrations = path.join(tmp, "orders-migrations");
  fs.cpSync(path.resolve("stacks/reference/migrations"), migrations, { recursive: true });
  const env = only(environments.find((e) => e.name === "dev")!, ["aws"], "service");
  const build = () => ({
    environments: [env],
    services: (e: EnvironmentConfig): ServiceSpec[] => {
      const orders = referenceService(e);
      return [{ ...orders, databases: { ...orders.databases, main: { ...orders.databases!.main, migrations } } }, ...scaleServices(e, 1)];
    },
  });

  test("a migration added rebuilds the stack of the service whose database it is, and matches a full synthesis", async () => {
    expect((await step(outdir, build)).built.sort()).toEqual(["dev-aws-orders", "dev-aws-shared", "dev-aws-svc-001"]);
    fs.writeFileSync(path.join(migrations, "0002_order-notes.sql"), "ALTER TABLE orders ADD COLUMN note text;\n");
    expect((await step(outdir, build)).built).toEqual(["dev-aws-orders"]);
    expect((await step(outdir, build, true)).built).toEqual([]);
  });
});
