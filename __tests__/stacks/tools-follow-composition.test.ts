import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TerraformJson, statefulAddresses } from "@polycloud/core";
import { writeStamp } from "../../stacks/sources-stamp";

/**
 * Issue 26.5: the tools follow the composition. `npm run addresses` and `npm run cost` read the
 * stacks stacks/composition.ts renders (here: the four-service fixture in dev, standing in for a
 * team's composition); the rename guard compares with the last applied state when given one;
 * `cost:check` refuses stale output.
 */
jest.mock("../../stacks/composition", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { fourServices } = require("../fixtures/ported/four-services");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const envs = require("../../environments");
  return { composition: fourServices([envs.dev]) };
});

// Loaded after the mock: the scripts see the team's composition.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const addresses = require("../../scripts/stateful-addresses") as typeof import("../../scripts/stateful-addresses");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const guard = require("../../scripts/plan-guard") as typeof import("../../scripts/plan-guard");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cost = require("../../scripts/cost") as typeof import("../../scripts/cost");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { synthesizeApp } = require("../../stacks/synth-json") as typeof import("../../stacks/synth-json");

let tmp: string;
let stacks: Record<string, TerraformJson>;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tools-composition-"));
  stacks = synthesizeApp("dev-aws,dev-gcp");
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const teamCluster = (json: TerraformJson) => Object.keys(json.resource?.aws_rds_cluster ?? {}).find((n) => n.startsWith("shopcart_"))!;

describe("npm run addresses", () => {
  test("snapshots every stack the composition renders, with the team's services, and reports what changed", () => {
    const file = path.join(tmp, "addresses.json");
    fs.writeFileSync(file, JSON.stringify({ "dev-aws": ["aws_rds_cluster.gone_from_the_composition"], "qa-aws": ["aws_sqs_queue.old"] }));
    const lines = addresses.main(file);
    const snapshot = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(Object.keys(snapshot)).toEqual(["dev-aws", "dev-azure", "dev-gcp"]);
    // The ported apps' databases and queues are covered, not only the sample's two services.
    expect(snapshot["dev-aws"]).toEqual(expect.arrayContaining([`aws_rds_cluster.${teamCluster(stacks["dev-aws"])}`, expect.stringMatching(/^aws_sqs_queue\.ingest_/)]));
    expect(snapshot["dev-gcp"]).toEqual(expect.arrayContaining([expect.stringMatching(/^google_sql_database_instance\.shopcart_/), expect.stringMatching(/^google_pubsub_topic\.coffee_/)]));
    expect(lines).toEqual(expect.arrayContaining([
      "REMOVED  dev-aws aws_rds_cluster.gone_from_the_composition  (a plan would destroy it unless a moved block covers it)",
      expect.stringMatching(/^ADDED {4}dev-aws aws_rds_cluster\.shopcart_/),
      "GONE     qa-aws  (no longer rendered: 1 stateful address(es) stay in its state until it is destroyed)",
    ]));
    expect(lines[lines.length - 1]).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: \\d+ stateful addresses in 3 stacks$`));
  });
});

describe("plan:guard against the last applied state", () => {
  /** cdktf.out with `json` as dev-aws, stamped as synthesized from the current sources. */
  const outdir = (json: TerraformJson) => {
    const dir = fs.mkdtempSync(path.join(tmp, "out-"));
    fs.mkdirSync(path.join(dir, "stacks", "dev-aws"), { recursive: true });
    fs.writeFileSync(path.join(dir, "stacks", "dev-aws", "cdk.tf.json"), JSON.stringify(json));
    writeStamp(dir);
    return dir;
  };
  const renamed = (json: TerraformJson, from: string, to: string, moved = false) => {
    const copy = JSON.parse(JSON.stringify(json));
    copy.resource.aws_rds_cluster[to] = copy.resource.aws_rds_cluster[from];
    delete copy.resource.aws_rds_cluster[from];
    if (moved) copy.moved = [{ from: `aws_rds_cluster.${from}`, to: `aws_rds_cluster.${to}` }];
    return copy;
  };
  const allAddresses = (json: TerraformJson) => Object.entries(json.resource ?? {}).flatMap(([t, byName]) => Object.keys(byName).map((n) => ({ type: t, name: n })));

  test("a team's renamed database is refused when the pipeline gives the applied state (raw state, show -json, or the applied plan); a moved block or an allow-list entry lets it through", () => {
    const applied = stacks["dev-aws"];
    const cluster = teamCluster(applied);
    const next = renamed(applied, cluster, `${cluster}_v2`);
    const dir = outdir(next);
    const prior = path.join(tmp, "prior");
    fs.mkdirSync(prior, { recursive: true });
    const forms: Record<string, unknown> = {
      "dev-aws.tfstate": { version: 4, resources: allAddresses(applied).map((r) => ({ mode: "managed", ...r, instances: [{}] })) },
      "show.json": { format_version: "1.0", values: { root_module: { resources: allAddresses(applied).map((r) => ({ address: `${r.type}.${r.name}`, mode: "managed", ...r })) } } },
      "plan.json": { format_version: "1.2", resource_changes: allAddresses(applied).map((r) => ({ address: `${r.type}.${r.name}`, mode: "managed", type: r.type, name: r.name, change: { actions: ["no-op"] } })) },
    };
    for (const [name, doc] of Object.entries(forms)) {
      const file = name === "dev-aws.tfstate" ? path.join(prior, name) : path.join(fs.mkdtempSync(path.join(tmp, "p-")), "dev-aws.json");
      fs.writeFileSync(file, JSON.stringify(doc));
      const r = guard.main(["--synth", dir, "--prior", name === "dev-aws.tfstate" ? prior : file], {});
      expect({ name, code: r.code }).toEqual({ name, code: 1 });
      expect(r.output).toContain(`BLOCKED  dev-aws  delete database aws_rds_cluster.${cluster} (in the last applied state, not in this synth: renamed or removed; add a moved block (moveTo/moveFromId) or an allow-list entry)`);
    }
    // The same through the environment variable the pipeline sets.
    expect(guard.main(["--synth", dir], { PLATFORM_PRIOR_STATE: prior }).code).toBe(1);
    // Without the applied state, an offline plan starts empty and the rename is invisible.
    expect(guard.main(["--synth", dir], {}).output).toMatch(/^SKIPPED/);
    // A moved block: a move, not a destroy.
    expect(guard.main(["--synth", outdir(renamed(applied, cluster, `${cluster}_v2`, true)), "--prior", prior], {})).toMatchObject({ code: 0 });
    // An allow-list entry with a reason.
    const allow = path.join(tmp, "allow.json");
    fs.writeFileSync(allow, JSON.stringify({ allow: [{ stack: "dev-aws", address: `aws_rds_cluster.${cluster}`, reason: "dev cart data is disposable; recreated empty on purpose" }] }));
    const allowed = guard.main(["--synth", dir, "--prior", prior, "--allow", allow], {});
    expect(allowed.code).toBe(0);
    expect(allowed.output).toContain(`allowed  dev-aws  delete database aws_rds_cluster.${cluster} (renamed or removed since the last applied state): dev cart data is disposable`);
  });

  test("opting in to the shared tier is refused against a state applied before it (each database's own server would be destroyed) until done as a data migration; the default keeps that state", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { FOUR_SERVICES } = require("../fixtures/ported/four-services");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { synthesizeComposition } = require("../../stacks/synth-json");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { dev } = require("../../environments");
    const shared = FOUR_SERVICES.map((f: (e: unknown) => any) => (e: unknown) => {
      const svc = f(e);
      return { ...svc, databases: svc.databases && Object.fromEntries(Object.entries(svc.databases).map(([k, d]) => [k, { server: "shared", ...(d as object) }])) };
    });
    // What the four services had applied before the shared tier: a server per database (the default).
    const before: TerraformJson = stacks["dev-aws"];
    const prior = fs.mkdtempSync(path.join(tmp, "prior-tier-"));
    fs.writeFileSync(path.join(prior, "dev-aws.tfstate"), JSON.stringify({ version: 4, resources: allAddresses(before).map((r) => ({ mode: "managed", ...r, instances: [{}] })) }));
    const moved = guard.main(["--synth", outdir(synthesizeComposition(dev, "aws", shared)["dev-aws"]), "--prior", prior], {});
    expect(moved.code).toBe(1);
    for (const svc of ["ingest", "orders", "shopcart"]) expect(moved.output).toMatch(new RegExp(`BLOCKED  dev-aws  delete database aws_rds_cluster\\.${svc}_db-[a-z]+_cluster_`));
    expect(guard.main(["--synth", outdir(before), "--prior", prior], {}).code).toBe(0);
  });

  test("an applied plan's destroyed resources are not in its state; a stack the synth no longer has is refused; stale output is refused", () => {
    const plan = { format_version: "1.2", resource_changes: [
      { address: "aws_sqs_queue.old", mode: "managed", type: "aws_sqs_queue", name: "old", change: { actions: ["delete"] } },
      { address: "aws_sqs_queue.kept[0]", mode: "managed", type: "aws_sqs_queue", name: "kept", change: { actions: ["update"] } },
    ] };
    expect(guard.stateAddresses(JSON.stringify(plan))).toEqual(["aws_sqs_queue.kept"]);
    const dir = outdir(stacks["dev-aws"]);
    const prior = path.join(fs.mkdtempSync(path.join(tmp, "gone-")), "dev-gcp.json");
    fs.writeFileSync(prior, JSON.stringify({ version: 4, resources: [{ mode: "managed", type: "google_sql_database_instance", name: "x", instances: [] }] }));
    expect(guard.main(["--synth", dir, "--prior", prior], {}).output).toContain("BLOCKED  dev-gcp  its last applied state holds stateful resources, but this synth has no stack dev-gcp");
    fs.writeFileSync(path.join(dir, "polycloud-sources.json"), JSON.stringify({ sources: "0".repeat(64) }));
    expect(guard.main(["--synth", dir, "--prior", prior], {})).toMatchObject({ code: 1, output: expect.stringMatching(/^plan:guard: refusing the plans and stacks in .*: .* was synthesized from other sources/) });
  });
});

describe("npm run cost", () => {
  test("cost:check refuses an output that is not stamped with the current sources, like policy and the plan tools", () => {
    const dir = fs.mkdtempSync(path.join(tmp, "cost-"));
    fs.mkdirSync(path.join(dir, "stacks", "dev-aws"), { recursive: true });
    fs.writeFileSync(path.join(dir, "stacks", "dev-aws", "cdk.tf.json"), JSON.stringify(stacks["dev-aws"]));
    const log: string[] = [];
    const refused = cost.main(["--check", "--from", dir], (s) => log.push(s));
    expect(refused).toMatchObject({ failed: true, refused: expect.stringMatching(/^cost: refusing the stacks in .*: .* has no polycloud-sources\.json/) });
    writeStamp(dir);
    expect(cost.main(["--from", dir, "--json"], (s) => log.push(s)).refused).toBeUndefined();
    fs.writeFileSync(path.join(dir, "polycloud-sources.json"), JSON.stringify({ sources: "f".repeat(64) }));
    expect(cost.main(["--check", "--from", dir], (s) => log.push(s)).refused).toMatch(/was synthesized from other sources/);
  });

  test("the in-process estimate covers the composition's services and checks the composition's environments", () => {
    const r = cost.main(["--json"], () => undefined);
    const report = JSON.parse(r.output);
    const aws = report.stacks.find((s: { stack: string }) => s.stack === "dev-aws");
    expect(aws.lines.map((l: { address: string }) => l.address)).toEqual(expect.arrayContaining([expect.stringMatching(/^shopcart_/), expect.stringMatching(/^ingest_/)]));
    expect(statefulAddresses(stacks["dev-aws"]).length).toBeGreaterThan(0);
  });
});
