import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { App } from "cdktf";
import { REQUIRED_TAG_KEYS } from "@polycloud/core";
import { environments } from "../fixtures/sample/environments";
import { buildStacks, synthAll } from "@polycloud/stacks";
import { referenceService } from "../../stacks/reference-service";
import { coffeeService, useCoffeeWheels } from "../fixtures/coffee-service";
import { variantService } from "../deployed-behaviour/stacks";
import { NEWER_THAN_MIRROR, REQUIRED_BY_MIRROR, findAwsProviderMirror, findOnPath, findSharedProviders, installAzurerm, mirrorProviderVersion, prepareAzureOfflineCopy, prepareOfflineCopy, terraformCacheDir } from "../helpers/terraform";
import { schemaChanges } from "../../scripts/terraform/schema-diff";
import { AZURERM_BINDINGS_VERSION, AZURERM_PROVIDER_VERSION } from "@polycloud/azure";
import { AWS_PROVIDER_RANGE } from "@polycloud/aws";
import { comparePlans, redactPlan } from "../../modules/cli/src/plan/review";
import { renderMarkdown, summarizePlan } from "../../modules/cli/src/plan/summary";
import { guard } from "../../modules/cli/src/plan/guard";
import { checkLockFile, parseLockFile } from "../../scripts/gitops/lock-files";
import { FOUR_SERVICES, fourServices } from "../fixtures/ported/four-services";
import { onServer } from "../helpers/shared-tier";
import { devWithRemoteState } from "../helpers/sample-json";

/**
 * Real Terraform over every AWS stack (below: every Azure stack): init from the local provider mirror, validate, and an
 * offline plan with fake credentials. Runs once per stack, here only. Skips loudly without tools.
 */
const run = promisify(execFile);
const terraformBin = findOnPath("terraform");
const mirror = findAwsProviderMirror();
const available = !!terraformBin && !!mirror;
if (!available) {
  console.warn(`SKIPPING terraform validate/plan: ${!terraformBin ? "no terraform CLI on PATH" : "no local hashicorp/aws provider mirror found (set TF_PLUGIN_DIR)"}.`);
}
const maybe = available ? describe : describe.skip;

maybe(`terraform validate + offline plan (aws provider ${mirror ? mirrorProviderVersion(mirror) : "n/a"} from ${mirror})`, () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-tf-"));
  const outdir = path.join(work, "cdktf.out");
  const results = new Map<string, { validate: any; plan: any }>();
  const env = { ...process.env, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1", AWS_EC2_METADATA_DISABLED: "true" };
  const stackNames = environments.filter((e) => e.clouds.aws).map((e) => `${e.name}-aws`);

  beforeAll(async () => {
    const app = new App({ outdir });
    useCoffeeWheels();
    // dev also carries the second sample service of issue 19 (method-routed API, Node and Python
    // behind JWT auth, a prefix filter and a schedule): its plan must pass as the reference's does.
    buildStacks(app, { environments, services: (e) => (e.name === "dev" ? [referenceService(e), coffeeService(e)] : [referenceService(e)]), filter: "*-aws" });
    synthAll(app);
    // Stacks run concurrently; each reads the same provider mirror (no download, no copy).
    await Promise.all(stackNames.map(async (name) => {
      const dir = prepareOfflineCopy(path.join(outdir, "stacks", name), path.join(work, name));
      const tf = (args: string[]) => run(terraformBin!, args, { cwd: dir, env, maxBuffer: 256 * 1024 * 1024 });
      await tf(["init", "-backend=false", `-plugin-dir=${mirror}`, "-no-color"]);
      // `plan` validates too; the explicit `validate` (and its JSON diagnostics) runs for dev only,
      // saving two provider start-ups on a 2-core machine.
      const validate = name === stackNames[0] ? JSON.parse((await tf(["validate", "-json", "-no-color"])).stdout) : undefined;
      if (name === "staging-aws") {
        // Staging's state still holds a DLQ its configuration no longer declares (a refactor that
        // renamed it): a real plan that destroys a stateful resource. `-refresh=false` keeps it offline.
        fs.writeFileSync(path.join(dir, "terraform.tfstate"), JSON.stringify({
          version: 4, terraform_version: "1.11.4", serial: 1, lineage: "00000000-0000-0000-0000-000000000001", outputs: {},
          resources: [{
            mode: "managed", type: "aws_sqs_queue", name: "orders_queue-orders_dlq_renamed", provider: 'provider["registry.terraform.io/hashicorp/aws"]',
            instances: [{ schema_version: 0, attributes: { id: "https://sqs.eu-west-1.amazonaws.com/222222222222/orders-staging-orders-dlq", name: "orders-staging-orders-dlq", arn: "arn:aws:sqs:eu-west-1:222222222222:orders-staging-orders-dlq", url: "https://sqs.eu-west-1.amazonaws.com/222222222222/orders-staging-orders-dlq", tags: {}, tags_all: {} } }],
          }],
        }));
      }
      await tf(["plan", "-input=false", "-lock=false", "-no-color", "-refresh=false", "-out=plan.bin"]);
      const plan = JSON.parse((await tf(["show", "-json", "plan.bin"])).stdout);
      results.set(name, { validate, plan });
    }));
  }, 300000);

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test(`${stackNames[0]} passes terraform validate (the other stacks are validated by their plans)`, () => {
    const v = results.get(stackNames[0])!.validate;
    expect(v.diagnostics.filter((d: any) => d.severity === "error")).toEqual([]);
    expect(v.valid).toBe(true);
  });

  test.each(stackNames)("%s plans offline: creates only (staging: plus the one stale DLQ), and every planned tags_all carries the required tags", (name) => {
    const plan = results.get(name)!.plan;
    const changes: any[] = plan.resource_changes;
    expect(changes.length).toBeGreaterThan(60);
    const others = changes.filter((c) => c.mode === "managed" && c.change.actions.join() !== "create").map((c) => `${c.change.actions.join()} ${c.address}`);
    expect(others).toEqual(name === "staging-aws" ? ["delete aws_sqs_queue.orders_queue-orders_dlq_renamed"] : []);
    if (name === "dev-aws") {
      // The coffee service is planned too: its scheduled rule on the default bus and its two routes on one path.
      const planned = (type: string) => changes.filter((c) => c.type === type && c.address.includes("coffee")).map((c) => c.change.after);
      expect(planned("aws_cloudwatch_event_rule")).toContainEqual(expect.objectContaining({ schedule_expression: "cron(0 6 ? * MON-FRI *)" }));
      expect(planned("aws_apigatewayv2_route").map((r) => r.route_key).sort()).toEqual(["GET /health", "GET /menu", "GET /orders/{id}", "POST /orders", "PUT /orders/{id}"]);
    }
    const tagged = changes.filter((c) => c.change.after && "tags_all" in c.change.after);
    expect(tagged.length).toBeGreaterThan(30);
    const envName = name.split("-")[0];
    for (const c of tagged) {
      const tags = c.change.after.tags_all ?? {};
      for (const key of REQUIRED_TAG_KEYS) {
        expect({ address: c.address, key, ok: /^[a-z0-9_-]{1,63}$/.test(tags[key] ?? "") }).toEqual({ address: c.address, key, ok: true });
      }
      expect(tags.environment).toBe(envName);
    }
  });

  // The plan summary tool over real `terraform show -json` output (the PR comment's input).
  test("plan summary of the real dev-aws plan: every create counted, nothing flagged; its redacted form is what deploy compares", () => {
    const plan = results.get("dev-aws")!.plan;
    const managed = plan.resource_changes.filter((c: any) => c.mode === "managed");
    const summary = summarizePlan("dev-aws", plan);
    expect(summary).toMatchObject({ stack: "dev-aws", adds: managed.length, changes: 0, destroys: 0, replaces: 0, dangerous: [], errored: false });
    expect(summary.terraformVersion).toMatch(/^1\./);
    const md = renderMarkdown([summary]);
    expect(md).toContain(`| dev-aws | ${managed.length} | 0 | 0 | 0 | 0 | 0 |`);
    expect(md).not.toContain("[!CAUTION]");
    expect(md).toMatch(/<details><summary>dev-aws: \d+ to add<\/summary>/);
    expect(md).toMatch(/^\+ {6}aws_[a-z0-9_]+\.[A-Za-z0-9_-]+$/m);
    const key = "0f".repeat(32);
    const reviewed = redactPlan(plan, key);
    expect(summarizePlan("dev-aws", reviewed)).toEqual(summary);
    expect(comparePlans(reviewed, plan, key)).toEqual([]);
  });

  test("the lock file init writes from the offline mirror cannot be committed: wrong version, no zh: checksums (docs/gitops.md: provider lock files)", () => {
    const lock = fs.readFileSync(path.join(work, stackNames[0], ".terraform.lock.hcl"), "utf8");
    const [aws] = parseLockFile(lock);
    expect(aws).toMatchObject({ source: "registry.terraform.io/hashicorp/aws", version: mirrorProviderVersion(mirror!) });
    expect(aws.hashes.every((h) => h.startsWith("h1:"))).toBe(true);
    const pinned = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", stackNames[0], "cdk.tf.json"), "utf8")).terraform.required_providers;
    // The stacks state the supported range (issue 28.4); the 5.x mirror is below it.
    expect(pinned.aws.version).toBe(AWS_PROVIDER_RANGE);
    expect(checkLockFile(lock, pinned)).toEqual([
      `registry.terraform.io/hashicorp/aws: locked ${mirrorProviderVersion(mirror!)}, outside the stack's range ${AWS_PROVIDER_RANGE}`,
      "registry.terraform.io/hashicorp/aws: no zh: checksum of the official release archive",
    ]);
  });

  test("plan guard: real plans that only create pass; a real plan destroying a DLQ is refused unless allow-listed", () => {
    expect(guard(["dev-aws", "prod-aws"].map((n) => ({ stack: n, plan: results.get(n)!.plan })), []).blocked).toEqual([]);
    const staging = results.get("staging-aws")!.plan;
    const blocked = guard([{ stack: "staging-aws", plan: staging }], []);
    expect(blocked.blocked).toEqual([expect.objectContaining({ address: "aws_sqs_queue.orders_queue-orders_dlq_renamed", action: "delete", kind: "dead-letter queue" })]);
    const allowed = guard([{ stack: "staging-aws", plan: staging }], [{ stack: "staging-aws", address: "aws_sqs_queue.orders_queue-orders_dlq_renamed", reason: "replaced by the renamed queue; drained and verified empty" }]);
    expect(allowed.blocked).toEqual([]);
    expect(allowed.allowed).toHaveLength(1);
  });

  test("prod plan keeps data: protected database and final snapshot", () => {
    const cluster = results.get("prod-aws")!.plan.resource_changes.find((c: any) => c.type === "aws_rds_cluster").change.after;
    expect(cluster.deletion_protection).toBe(true);
    expect(cluster.skip_final_snapshot).toBe(false);
    expect(cluster.manage_master_user_password).toBe(true);
    expect(cluster.master_password ?? null).toBeNull();
  });

  // What the 5.x mirror cannot check: it is older than the supported range (>= 6.15.0, < 7.0.0), so
  // 6.x-only arguments are dropped from the copy (NEWER_THAN_MIRROR: aws_db_proxy.default_auth_scheme,
  // added in 6.15.0) and the plan runs on 5.100's schema, not 6.15's. Every argument of every AWS stack
  // is checked against the lower bound's schema in aws-provider-range.test.ts instead (issue 28.4).
  // End-to-end IAM needs aws_db_proxy.default_auth_scheme; prepareOfflineCopy drops exactly the
  // NEWER_THAN_MIRROR arguments from the copy. This proves the mirror still lacks it (else drop the
  // exception) and that the real stack keeps it.
  test("the offline copy drops only 6.x-only arguments the mirror lacks; everything else is planned", () => {
    expect(NEWER_THAN_MIRROR).toEqual({ aws_db_proxy: ["default_auth_scheme"] });
    // 5.100 requires an `auth` block that 6.25 does not (the stacks set none: the proxy holds no secret).
    expect(Object.keys(REQUIRED_BY_MIRROR)).toEqual(["aws_db_proxy"]);
    for (const name of stackNames) {
      const cluster = results.get(name)!.plan.resource_changes.find((c: any) => c.type === "aws_rds_cluster").change.after;
      expect(cluster.engine_version).toBe("16");
      if (name === "dev-aws") {
        // Dev has no proxy (clouds.aws.database.proxy = false): its cluster plans at 0 ACU with auto-pause on the 5.x mirror too.
        expect(results.get(name)!.plan.resource_changes.filter((c: any) => c.type === "aws_db_proxy")).toEqual([]);
        expect(cluster.serverlessv2_scaling_configuration).toEqual([{ min_capacity: 0, max_capacity: 2, seconds_until_auto_pause: 300 }]);
        continue;
      }
      const proxy = results.get(name)!.plan.resource_changes.find((c: any) => c.type === "aws_db_proxy").change.after;
      expect(Object.keys(proxy)).not.toContain("default_auth_scheme");
      expect(proxy).toMatchObject({ engine_family: "POSTGRESQL", require_tls: true });
      const synthesized = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", name, "cdk.tf.json"), "utf8"));
      expect(Object.values<any>(synthesized.resource.aws_db_proxy).map((p) => p.default_auth_scheme)).toEqual(["IAM_AUTH"]);
      expect(Object.values<any>(synthesized.resource.aws_db_proxy).map((p) => p.auth)).toEqual([undefined]);
      // The migration step is planned on the mirror like any function and invocation.
      const planned = results.get(name)!.plan.resource_changes.map((c: any) => c.type);
      expect(planned).toEqual(expect.arrayContaining(["aws_lambda_invocation", "aws_lambda_layer_version"]));
    }
  });
});

/**
 * Real `terraform validate` over every Azure stack with the azurerm binary of the version the
 * stacks pin (../shared/terraform-providers, unpacked into a cache folder outside the repository),
 * and the guard for pinning a newer provider than the bindings: every resource type the stacks use
 * must have the same schema in both versions, apart from added optional attributes.
 * `../shared/` is present in CI, so there a missing binary fails; elsewhere this skips loudly.
 */
const sharedProviders = findSharedProviders(path.resolve(__dirname, "..", ".."));
const azureReady = !!terraformBin && !!sharedProviders;
const AZURERM = "registry.terraform.io/hashicorp/azurerm";
/**
 * Reviewed schema changes between the bindings' version and the pinned one, each allowed only
 * while no stack sets the block it is in (checked below).
 */
const REVIEWED_CHANGES: { change: RegExp; unusedBlock: [type: string, block: string]; reason: string }[] = [
  {
    change: /^azurerm_storage_account\.customer_managed_key\.(key_vault_key_id|managed_hsm_key_id): .*"computed":false.* -> .*"computed":true/,
    unusedBlock: ["azurerm_storage_account", "customer_managed_key"],
    reason: "optional becomes optional + computed inside a block these stacks never set (Microsoft-managed keys)",
  },
];
if (!azureReady) {
  const why = !terraformBin ? "no terraform CLI on PATH" : "no shared/terraform-providers folder next to the repository or a parent (set POLYCLOUD_SHARED_DIR)";
  if (process.env.CI) {
    test("CI has terraform and the azurerm provider builds", () => {
      throw new Error(`terraform validate for Azure cannot run in CI: ${why}.`);
    });
  } else {
    console.warn(`SKIPPING azurerm terraform validate and schema comparison: ${why}.`);
  }
}
const maybeAzure = azureReady ? describe : describe.skip;

maybeAzure(`terraform validate with the real azurerm provider (${sharedProviders})`, () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-tf-azure-"));
  const outdir = path.join(work, "cdktf.out");
  const cache = azureReady ? terraformCacheDir() : "";
  const mirror = path.join(cache, "azurerm-mirror");
  const env = { ...process.env, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1" };
  const stackNames = environments.filter((e) => e.clouds.azure).map((e) => `${e.name}-azure`);
  const synthesized = new Map<string, any>();
  const validated = new Map<string, any>();
  const schemas = new Map<string, any>();
  /** The four-service stacks (`four/<stack>`, `partitioned/<stack>`), known once synthesized. */
  const fourStacks: string[] = [];
  let pinned = "";

  const tfIn = (dir: string) => (args: string[]) => run(terraformBin!, args, { cwd: dir, env, maxBuffer: 256 * 1024 * 1024 });
  /** `terraform providers schema -json` of one azurerm version, cached outside the repository. */
  async function schemaOf(version: string): Promise<any> {
    const file = path.join(cache, `azurerm-${version}-schema.json`);
    if (!fs.existsSync(file)) {
      const dir = fs.mkdtempSync(path.join(work, `schema-${version}-`));
      fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ terraform: { required_providers: { azurerm: { source: "hashicorp/azurerm", version } } } }));
      const tf = tfIn(dir);
      await tf(["init", "-backend=false", `-plugin-dir=${mirror}`, "-no-color"]);
      const out = (await tf(["providers", "schema", "-json"])).stdout;
      fs.writeFileSync(`${file}.tmp`, out);
      fs.renameSync(`${file}.tmp`, file);
    }
    return JSON.parse(fs.readFileSync(file, "utf8"));
  }

  beforeAll(async () => {
    const app = new App({ outdir });
    // The reference service with what the samples leave out (an ANY route behind CORS, a rule into a
    // function, a rate and a cron schedule, overlapping prefixes), so the Logic App, tick topic,
    // log alert and App Service authentication resources are validated too.
    const service = variantService;
    buildStacks(app, { environments, service, filter: "*-azure" });
    synthAll(app);
    // The four services side by side on the environments' shared tier (one server holding each
    // service's database, one API Management, one Service Bus namespace), single-stack in every
    // sample environment and partitioned per service in dev (the service stacks read the shared stack).
    const four = new App({ outdir: path.join(work, "four.out") });
    const shared = FOUR_SERVICES.map((s) => onServer("shared", s));
    fourServices();
    buildStacks(four, { environments, services: (e) => shared.map((s) => s(e)), filter: "*-azure" });
    synthAll(four);
    const partitioned = new App({ outdir: path.join(work, "partitioned.out") });
    buildStacks(partitioned, { environments: [devWithRemoteState("service")], services: (e) => shared.map((s) => s(e)), filter: "dev-azure*" });
    synthAll(partitioned);
    const dirs = new Map<string, string>(stackNames.map((n) => [n, path.join(outdir, "stacks", n)]));
    for (const n of fs.readdirSync(path.join(work, "four.out", "stacks"))) dirs.set(`four/${n}`, path.join(work, "four.out", "stacks", n));
    for (const n of fs.readdirSync(path.join(work, "partitioned.out", "stacks"))) dirs.set(`partitioned/${n}`, path.join(work, "partitioned.out", "stacks", n));
    fourStacks.push(...[...dirs.keys()].filter((k) => k.includes("/")));
    for (const [name, dir] of dirs) synthesized.set(name, JSON.parse(fs.readFileSync(path.join(dir, "cdk.tf.json"), "utf8")));
    pinned = synthesized.get(stackNames[0]).terraform.required_providers.azurerm.version;
    for (const version of new Set([pinned, AZURERM_BINDINGS_VERSION])) installAzurerm(sharedProviders!, mirror, version);
    // Stacks run concurrently against one mirror; the schemas come from the cache after the first run.
    await Promise.all([
      ...[...dirs.keys()].map(async (name) => {
        const dir = prepareAzureOfflineCopy(dirs.get(name)!, path.join(work, name.replace("/", "-")));
        const tf = tfIn(dir);
        await tf(["init", "-backend=false", `-plugin-dir=${mirror}`, "-no-color"]);
        // `validate -json` exits non-zero on errors; its JSON is the result either way.
        const res = await tf(["validate", "-json", "-no-color"]).catch((e) => e);
        validated.set(name, JSON.parse(res.stdout));
      }),
      ...[...new Set([pinned, AZURERM_BINDINGS_VERSION])].map(async (v) => schemas.set(v, await schemaOf(v))),
    ]);
  }, 300000);

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test("the stacks pin hashicorp/azurerm 4.73.0 while the bindings are 4.55's", () => {
    for (const name of stackNames) {
      expect(synthesized.get(name).terraform.required_providers.azurerm).toEqual({ source: "hashicorp/azurerm", version: AZURERM_PROVIDER_VERSION });
    }
    expect([pinned, AZURERM_BINDINGS_VERSION]).toEqual(["4.73.0", "4.55.0"]);
  });

  test.each(stackNames)("%s passes terraform validate with the pinned azurerm binary: no errors, no warnings", (name) => {
    const v = validated.get(name);
    const summary = (d: any) => `${d.severity}: ${d.summary} ${d.detail ?? ""} (${d.address ?? d.range?.start?.line ?? ""})`;
    expect(v.diagnostics.map(summary)).toEqual([]);
    expect(v.valid).toBe(true);
  });

  test("the four services on the shared tier (every sample environment; dev partitioned per service) pass terraform validate: no errors, no warnings", () => {
    expect(fourStacks).toEqual(expect.arrayContaining(["four/dev-azure", "four/staging-azure", "four/prod-azure", "partitioned/dev-azure-shared", "partitioned/dev-azure-orders"]));
    const summary = (d: any) => `${d.severity}: ${d.summary} ${d.detail ?? ""} (${d.address ?? d.range?.start?.line ?? ""})`;
    for (const name of fourStacks) {
      const v = validated.get(name);
      expect({ name, diagnostics: v.diagnostics.map(summary), valid: v.valid }).toEqual({ name, diagnostics: [], valid: true });
    }
    // What was validated is the shared tier: one server, one API Management, one namespace per environment.
    for (const env of ["dev", "staging", "prod"]) {
      const r = synthesized.get(`four/${env}-azure`).resource;
      expect({ env, servers: Object.keys(r.azurerm_postgresql_flexible_server).length, apim: Object.keys(r.azurerm_api_management).length, namespaces: Object.keys(r.azurerm_servicebus_namespace).length, databases: Object.keys(r.azurerm_postgresql_flexible_server_database).length })
        .toEqual({ env, servers: 1, apim: 1, namespaces: 1, databases: 4 });
    }
  });

  test("azurerm 4.55 → 4.73: for every resource type the stacks use, no schema change but added optional attributes (and reviewed ones in unused blocks)", () => {
    const types = [...new Set(stackNames.flatMap((n) => Object.keys(synthesized.get(n).resource)))].filter((t) => t.startsWith("azurerm_")).sort();
    expect(types.length).toBeGreaterThan(30);
    expect(types).toEqual(expect.arrayContaining(["azurerm_logic_app_workflow", "azurerm_logic_app_trigger_recurrence", "azurerm_logic_app_action_custom"]));
    const changes = schemaChanges(schemas.get(AZURERM_BINDINGS_VERSION), schemas.get(pinned), AZURERM, types);
    expect(changes.filter((c) => !REVIEWED_CHANGES.some((r) => r.change.test(c)))).toEqual([]);
    for (const { unusedBlock: [type, block] } of REVIEWED_CHANGES) {
      for (const name of stackNames) {
        expect(Object.values(synthesized.get(name).resource[type] ?? {}).filter((r: any) => block in r)).toEqual([]);
      }
    }
    // Negative controls on the real schemas: a removed attribute, optional turning required, and a
    // narrowed block are reported; an added optional attribute is not.
    const clone = () => JSON.parse(JSON.stringify(schemas.get(pinned)));
    const fn = (s: any) => s.provider_schemas[AZURERM].resource_schemas.azurerm_function_app_flex_consumption.block;
    const removed = clone(); delete fn(removed).attributes.http_concurrency;
    const required = clone(); fn(required).attributes.http_concurrency = { ...fn(required).attributes.http_concurrency, optional: false, required: true };
    const narrowed = clone(); fn(narrowed).block_types.always_ready.max_items = 1;
    const added = clone(); fn(added).attributes.new_knob = { type: "string", optional: true };
    const base = schemas.get(pinned);
    const flex = ["azurerm_function_app_flex_consumption"];
    expect(schemaChanges(base, removed, AZURERM, flex)).toEqual(["azurerm_function_app_flex_consumption.http_concurrency: removed"]);
    expect(schemaChanges(base, required, AZURERM, flex)).toEqual([expect.stringMatching(/^azurerm_function_app_flex_consumption\.http_concurrency: .*"required":false.* -> .*"required":true/)]);
    expect(schemaChanges(base, narrowed, AZURERM, flex)).toEqual([expect.stringMatching(/always_ready: max_items .* -> 1/)]);
    expect(schemaChanges(base, added, AZURERM, flex)).toEqual([]);
  });

  test("the bindings' own 4.55 provider would reject the stacks (what the pin buys): Flex maximum_instance_count below 40", () => {
    const fn = schemas.get(AZURERM_BINDINGS_VERSION).provider_schemas[AZURERM].resource_schemas.azurerm_function_app_flex_consumption.block;
    expect(fn.attributes.maximum_instance_count).toMatchObject({ optional: true });
    const caps = stackNames.flatMap((n) => Object.values(synthesized.get(n).resource.azurerm_function_app_flex_consumption).map((a: any) => a.maximum_instance_count));
    expect(Math.min(...caps)).toBeLessThan(40);
  });
});
