import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TerraformJson, statefulAddresses, writeStamp } from "@polycloud/core";
import { runApp } from "@polycloud/stacks";
import { environments } from "../fixtures/sample/environments";
import { fourServices } from "../fixtures/ported/four-services";
import { polycloud } from "../helpers/cli";

/**
 * Issue 26.5, through the CLI: the tools follow the composition. The app synthesizes a team's
 * composition (the four-service fixture in dev, standing in for a team's stacks/composition.ts)
 * into an output directory; `polycloud addresses` and `polycloud cost` read what it rendered and
 * the environments it wrote into the synth manifest, never this repository's sample; the rename
 * guard compares with the last applied state when given one; stale output is refused.
 */
let tmp: string;
let out: string;
let stacks: Record<string, TerraformJson>;
const dev = environments.find((e) => e.name === "dev")!;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tools-composition-"));
  out = path.join(tmp, "cdktf.out");
  // What `polycloud synth` runs, in process: the app writes the stacks, the stamp and the manifest.
  expect(await runApp(fourServices([dev]), { outdir: out, filter: "dev-aws,dev-gcp", out: () => undefined, err: () => undefined })).toBe(0);
  stacks = Object.fromEntries(["dev-aws", "dev-gcp"].map((s) => [s, JSON.parse(fs.readFileSync(path.join(out, "stacks", s, "cdk.tf.json"), "utf8"))]));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The environment's shared database server (the team's databases are on it by default). */
const teamCluster = (json: TerraformJson) => Object.keys(json.resource?.aws_rds_cluster ?? {}).find((n) => n.startsWith("shared-tier_"))!;

describe("polycloud addresses", () => {
  test("snapshots every stack the composition renders, with the team's services, and reports what changed", async () => {
    const file = path.join(tmp, "addresses.json");
    fs.writeFileSync(file, JSON.stringify({ "dev-aws": ["aws_rds_cluster.gone_from_the_composition"], "qa-aws": ["aws_sqs_queue.old"] }));
    // A filtered synthesis: stacks it did not build are kept as they were, not reported gone.
    const { code, stdout } = await polycloud(["addresses", "--output", out, "--file", file]);
    expect(code).toBe(0);
    const snapshot = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(Object.keys(snapshot)).toEqual(["dev-aws", "dev-gcp", "qa-aws"]);
    // The ported apps' databases and queues are covered, not only the sample's two services: on
    // GCP each service's database on the shared server is a stateful address of its own.
    expect(snapshot["dev-aws"]).toEqual(expect.arrayContaining([`aws_rds_cluster.${teamCluster(stacks["dev-aws"])}`, expect.stringMatching(/^aws_sqs_queue\.ingest_/)]));
    expect(snapshot["dev-gcp"]).toEqual(expect.arrayContaining([
      expect.stringMatching(/^google_sql_database_instance\.shared-tier_db_/), expect.stringMatching(/^google_pubsub_topic\.coffee_/),
      ...["coffee", "ingest", "orders", "shopcart"].map((svc) => expect.stringMatching(new RegExp(`^google_sql_database\\.${svc}_db-`))),
    ]));
    const lines = stdout.trim().split("\n");
    expect(lines).toEqual(expect.arrayContaining([
      "REMOVED  dev-aws aws_rds_cluster.gone_from_the_composition  (a plan would destroy it unless a moved block covers it)",
      expect.stringMatching(/^ADDED {4}dev-aws aws_rds_cluster\.shared-tier_db_/),
    ]));
    expect(lines[lines.length - 1]).toMatch(/addresses\.json: \d+ stateful addresses in 3 stacks$/);
    // Now reviewed: the check passes; a rename without a moved block fails it.
    expect(await polycloud(["addresses", "--check", "--output", out, "--file", file])).toMatchObject({ code: 0 });
    const renamed = { ...snapshot, "dev-aws": [...snapshot["dev-aws"], "aws_sqs_queue.renamed_away"] };
    fs.writeFileSync(file, JSON.stringify(renamed));
    const check = await polycloud(["addresses", "--check", "--json", "--output", out, "--file", file]);
    expect(check.code).toBe(1);
    expect(JSON.parse(check.stdout)).toMatchObject({ ok: false, written: false, removed: [{ stack: "dev-aws", address: "aws_sqs_queue.renamed_away" }] });
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual(renamed);
    expect(await polycloud(["addresses", "--check", "--output", out, "--file", path.join(tmp, "none.json")])).toMatchObject({ code: 2, stdout: expect.stringContaining("does not exist: run `polycloud addresses`") });
  });

  test("an unfiltered synthesis reports stacks the composition no longer renders as gone and drops them", async () => {
    const full = path.join(tmp, "full.out");
    expect(await runApp(fourServices([{ ...dev, clouds: { aws: dev.clouds.aws } }]), { outdir: full, filter: "", out: () => undefined, err: () => undefined })).toBe(0);
    const file = path.join(tmp, "gone.json");
    fs.writeFileSync(file, JSON.stringify({ "qa-aws": ["aws_sqs_queue.old"] }));
    const { stdout } = await polycloud(["addresses", "--output", full, "--file", file]);
    expect(stdout).toContain("GONE     qa-aws  (no longer rendered: 1 stateful address(es) stay in its state until it is destroyed)");
    expect(Object.keys(JSON.parse(fs.readFileSync(file, "utf8")))).toEqual(["dev-aws"]);
  });
});

describe("polycloud plan guard against the last applied state", () => {
  /** An output with `json` as `stack` (dev-aws), stamped as synthesized from the current sources. */
  const outdir = (json: TerraformJson, stack = "dev-aws") => {
    const dir = fs.mkdtempSync(path.join(tmp, "out-"));
    fs.mkdirSync(path.join(dir, "stacks", stack), { recursive: true });
    fs.writeFileSync(path.join(dir, "stacks", stack, "cdk.tf.json"), JSON.stringify(json));
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
  const guard = (argv: string[], env: NodeJS.ProcessEnv = { PATH: process.env.PATH }) => polycloud(["plan", "guard", ...argv], { env });

  test("a team's renamed database is refused when the pipeline gives the applied state (raw state, show -json, or the applied plan); a moved block or an allow-list entry lets it through", async () => {
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
      const r = await guard(["--output", dir, "--prior", name === "dev-aws.tfstate" ? prior : file]);
      expect({ name, code: r.code }).toEqual({ name, code: 1 });
      expect(r.stdout).toContain(`BLOCKED  dev-aws  delete database aws_rds_cluster.${cluster} (in the last applied state, not in this synth: renamed or removed; add a moved block (moveTo/moveFromId) or an allow-list entry)`);
    }
    // The same through the environment variable the pipeline sets.
    expect((await guard(["--output", dir], { PLATFORM_PRIOR_STATE: prior })).code).toBe(1);
    // Without the applied state, an offline plan starts empty and the rename is invisible.
    expect((await guard(["--output", dir])).stdout).toMatch(/^SKIPPED/);
    // A moved block: a move, not a destroy.
    expect(await guard(["--output", outdir(renamed(applied, cluster, `${cluster}_v2`, true)), "--prior", prior])).toMatchObject({ code: 0 });
    // An allow-list entry with a reason.
    const allow = path.join(tmp, "allow.json");
    fs.writeFileSync(allow, JSON.stringify({ allow: [{ stack: "dev-aws", address: `aws_rds_cluster.${cluster}`, reason: "dev data is disposable; recreated empty on purpose" }] }));
    const allowed = await guard(["--output", dir, "--prior", prior, "--allow", allow]);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain(`allowed  dev-aws  delete database aws_rds_cluster.${cluster} (renamed or removed since the last applied state): dev data is disposable`);
  });

  test("forgetting `server: \"own\"` on a database deployed before the shared tier is refused against its applied state, in dev and prod, on AWS and GCP; with the line, the state is kept", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { FOUR_SERVICES } = require("../fixtures/ported/four-services");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { synthesizeComposition } = require("../helpers/sample-json");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { dev: devEnv, prod } = require("../fixtures/sample/environments");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { onServer } = require("../helpers/shared-tier");
    /** The four services as deployed before this release (a server per database), and as upgraded with the one line. */
    const own = FOUR_SERVICES.map((f: unknown) => onServer("own", f));
    const SERVERS: Record<string, { type: string; services: string[] }> = {
      aws: { type: "aws_rds_cluster", services: ["coffee", "ingest", "orders", "shopcart"] },
      gcp: { type: "google_sql_database_instance", services: ["coffee", "ingest", "orders", "shopcart"] },
    };
    for (const env of [devEnv, prod]) {
      for (const [cloud, server] of Object.entries(SERVERS)) {
        const stack = `${env.name}-${cloud}`;
        const before: TerraformJson = synthesizeComposition(env, cloud, own)[stack];
        const prior = fs.mkdtempSync(path.join(tmp, "prior-tier-"));
        fs.writeFileSync(path.join(prior, `${stack}.tfstate`), JSON.stringify({ version: 4, resources: allAddresses(before).map((r) => ({ mode: "managed", ...r, instances: [{}] })) }));
        // Upgraded without the line: every database moves to the shared server.
        const forgot = await guard(["--output", outdir(synthesizeComposition(env, cloud, FOUR_SERVICES)[stack], stack), "--prior", prior]);
        expect({ stack, code: forgot.code }).toEqual({ stack, code: 1 });
        for (const svc of server.services) expect(forgot.stdout).toMatch(new RegExp(`BLOCKED  ${stack}  delete database ${server.type}\\.${svc}_db-[a-z]+_`));
        // With `server: "own"` on each database: the applied state is kept.
        expect(await guard(["--output", outdir(before, stack), "--prior", prior])).toMatchObject({ code: 0 });
      }
    }
  });

  test("GCP: the move to aggregated alert conditions passes the guard against a state applied with a condition per resource (alert policies hold no data)", async () => {
    const next = stacks["dev-gcp"];
    const policies = Object.keys((next.resource as any).google_monitoring_alert_policy);
    expect(policies.filter((p) => p.startsWith("shared-tier_alerts_")).length).toBeGreaterThan(10);
    // The state as applied before: the same resources, but a policy per function alarm instead of the aggregated ones.
    const functions = Object.keys((next.resource as any).google_cloudfunctions2_function);
    const old = functions.flatMap((f) => ["errors", "throttles", "duration"].map((a) => ({ type: "google_monitoring_alert_policy", name: `${f.replace(/_fn_[0-9A-F]{8}$|_[0-9A-F]{8}$/, "")}_alarm-${a}_0000AAAA` })));
    const kept = allAddresses(next).filter((r) => !(r.type === "google_monitoring_alert_policy" && r.name.startsWith("shared-tier_alerts_")));
    const prior = fs.mkdtempSync(path.join(tmp, "prior-alerts-"));
    const write = (extra: { type: string; name: string }[]) => fs.writeFileSync(path.join(prior, "dev-gcp.tfstate"), JSON.stringify({ version: 4, resources: [...kept, ...old, ...extra].map((r) => ({ mode: "managed", ...r, instances: [{}] })) }));
    write([]);
    expect(old.length).toBe(3 * functions.length);
    expect(await guard(["--output", outdir(next, "dev-gcp"), "--prior", prior])).toMatchObject({ code: 0 });
    // The guard does read this state: a stateful resource missing from the synth is still refused.
    write([{ type: "google_sql_database_instance", name: "gone_db-main_instance_0000AAAA" }]);
    expect(await guard(["--output", outdir(next, "dev-gcp"), "--prior", prior])).toMatchObject({ code: 1, stdout: expect.stringContaining("google_sql_database_instance.gone_db-main_instance_0000AAAA") });
  });

  test("an applied plan's destroyed resources are not in its state; a stack the synth no longer has is refused; stale output is refused", async () => {
    const { stateAddresses } = await import("../../modules/cli/src/plan/guard");
    const plan = { format_version: "1.2", resource_changes: [
      { address: "aws_sqs_queue.old", mode: "managed", type: "aws_sqs_queue", name: "old", change: { actions: ["delete"] } },
      { address: "aws_sqs_queue.kept[0]", mode: "managed", type: "aws_sqs_queue", name: "kept", change: { actions: ["update"] } },
    ] };
    expect(stateAddresses(JSON.stringify(plan))).toEqual(["aws_sqs_queue.kept"]);
    const dir = outdir(stacks["dev-aws"]);
    const prior = path.join(fs.mkdtempSync(path.join(tmp, "gone-")), "dev-gcp.json");
    fs.writeFileSync(prior, JSON.stringify({ version: 4, resources: [{ mode: "managed", type: "google_sql_database_instance", name: "x", instances: [] }] }));
    expect((await guard(["--output", dir, "--prior", prior])).stdout).toContain("BLOCKED  dev-gcp  its last applied state holds stateful resources, but this synth has no stack dev-gcp");
    fs.writeFileSync(path.join(dir, "polycloud-sources.json"), JSON.stringify({ sources: "0".repeat(64) }));
    expect(await guard(["--output", dir, "--prior", prior])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^plan guard: refusing the plans and stacks in .*: .* was synthesized from other sources/) });
  });
});

describe("polycloud cost", () => {
  test("refuses an output that is not stamped with the current sources, like policy and the plan tools", async () => {
    const dir = fs.mkdtempSync(path.join(tmp, "cost-"));
    fs.mkdirSync(path.join(dir, "stacks", "dev-aws"), { recursive: true });
    fs.writeFileSync(path.join(dir, "stacks", "dev-aws", "cdk.tf.json"), JSON.stringify(stacks["dev-aws"]));
    expect(await polycloud(["cost", "--check", "--output", dir])).toMatchObject({ code: 2, stderr: expect.stringMatching(/has no polycloud-sources\.json/) });
    writeStamp(dir);
    expect((await polycloud(["cost", "--output", dir, "--json"])).code).toBe(0);
    fs.writeFileSync(path.join(dir, "polycloud-sources.json"), JSON.stringify({ sources: "f".repeat(64) }));
    expect(await polycloud(["cost", "--check", "--output", dir])).toMatchObject({ code: 2, stderr: expect.stringMatching(/was synthesized from other sources/) });
  });

  test("the estimate covers the composition's services and checks the environments the synthesis rendered", async () => {
    const r = await polycloud(["cost", "--json", "--output", out]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    const aws = report.stacks.find((s: { stack: string }) => s.stack === "dev-aws");
    expect(aws.lines.map((l: { address: string }) => l.address)).toEqual(expect.arrayContaining([expect.stringMatching(/^shopcart_/), expect.stringMatching(/^ingest_/)]));
    expect(report.environments.map((e: { environment: string }) => e.environment)).toEqual(["dev"]);
    expect(statefulAddresses(stacks["dev-aws"]).length).toBeGreaterThan(0);
    // The environments of the manifest are the ones checked: the team's accepted overrun, not the sample's.
    const stackFile = path.join(out, "stacks", "dev-aws", "cdk.tf.json");
    const manifest = path.join(out, "polycloud-composition.json");
    const [json, written] = [fs.readFileSync(stackFile, "utf8"), fs.readFileSync(manifest, "utf8")];
    try {
      const tiny = JSON.parse(json);
      for (const b of Object.values<any>(tiny.resource.aws_budgets_budget)) b.limit_amount = "1";
      fs.writeFileSync(stackFile, JSON.stringify(tiny));
      const over = await polycloud(["cost", "--check", "--output", out]);
      expect(over.code).toBe(1);
      expect(over.stderr).toMatch(/cost: error: dev-aws: idle baseline .* of its \$1\.00 budget, over 100% before any traffic/);
      const m = JSON.parse(written);
      fs.writeFileSync(manifest, JSON.stringify({ ...m, environments: m.environments.map((e: any) => ({ ...e, budget: { ...e.budget, acceptIdleOverBudget: { aws: "a one-dollar test budget" } } })) }));
      const accepted = await polycloud(["cost", "--check", "--output", out]);
      // (Four services overrun dev-gcp's sample budget whatever happens to dev-aws.)
      expect(accepted.stderr.split("\n").filter((l) => l.startsWith("cost: error: dev-aws"))).toEqual([]);
      expect(accepted.stderr).toContain("accepted by environments/dev: a one-dollar test budget");
    } finally {
      fs.writeFileSync(stackFile, json);
      fs.writeFileSync(manifest, written);
    }
  });
});
