import * as fs from "node:fs";
import { AZURE_TAGGABLE_TYPES, Cloud, EnvironmentConfig, estimateAll, packageFunction, NOTHING_TO_CHECK, NOT_COVERED, POLICY_RULES, PolicyStack, SCANNER_CHECKS, SCANNER_SCOPE, scannerCoverage, STATEFUL_TYPES, TerraformJson, compareAddresses, failing, runPolicy, statefulAddresses, typesWithRules } from "@polycloud/core";
import { AZURE_TAGGABLE_FILE, azureTaggableTypes, renderAzureTaggable } from "../../scripts/azure-taggable";
import { environments } from "../fixtures/sample/environments";
import { composition } from "../../stacks/composition";
import { loadSuppressions } from "../../modules/cli/src/policy/policy";
import { migrateSuppressions } from "../../scripts/migrate-suppressions";
import { allStacks } from "../helpers/all-stacks";
import { gcpOrderingProblems } from "../helpers/gcp-ordering";
import { referenceService } from "../../stacks/reference-service";
import { coffeeService, useCoffeeWheels } from "../fixtures/coffee-service";
import { TWO_SERVICES, appIsReference, devWithRemoteState, synthesizeApp, synthesizeComposition } from "../helpers/sample-json";
import "./tags.cases";
import "./gcp-labels.cases";
import "./azure-tags.cases";
import "./aws-classes.cases";
import "./runtime-contract.cases";
import "./cost.cases";

/**
 * The sample's suppressions and stateful addresses (what policy/ ships for the sample composition):
 * the tests that judge the sample stacks read these, so a team's policy/ files judge only its own.
 */
const SAMPLE_SUPPRESSIONS = "__tests__/fixtures/sample/suppressions.json";
const SAMPLE_ADDRESSES = "__tests__/fixtures/sample/stateful-addresses.json";

/** Every stack of every environment, synthesized once for this file. */
const stacks = allStacks() as Record<string, TerraformJson>;
const names = Object.keys(stacks);
const all = (json: TerraformJson, ...types: string[]) => types.flatMap((t) => Object.entries(json.resource?.[t] ?? {}) as [string, any][]);

test("nine stacks: three environments × three clouds", () => {
  expect(names.sort()).toEqual(["dev-aws", "dev-azure", "dev-gcp", "prod-aws", "prod-azure", "prod-gcp", "staging-aws", "staging-azure", "staging-gcp"]);
});

test("every GCP stack is well ordered: each resource waits for its APIs and its key grant (generic check)", () => {
  const gcp = names.filter((n) => n.endsWith("-gcp"));
  expect(gcp).toHaveLength(3);
  for (const name of gcp) expect({ name, problems: gcpOrderingProblems(stacks[name]) }).toEqual({ name, problems: [] });
});

// Each stack judged with its environment's retention: the sample's, or for the app's stacks the composition's own.
const policyStacksOf = (all: Record<string, TerraformJson>, envs: readonly EnvironmentConfig[] = environments): PolicyStack[] => Object.keys(all).map((name) => {
  const [envName, cloud] = name.split("-");
  const env = envs.find((e) => e.name === envName)!;
  return { name, cloud: cloud as Cloud, environment: envName, json: all[name], minLogDays: env.retention.logDays, retention: env.retention };
});

// The timing of the gate (all rules over the nine stacks under 1 s) is measured by `npm run bench`, not here.
test("every stack has zero unsuppressed policy findings, and uses every suppression that names it", () => {
  const result = runPolicy(policyStacksOf(stacks), loadSuppressions(SAMPLE_SUPPRESSIONS));
  expect(result.findings.filter((f) => !f.suppressed)).toEqual([]);
  expect(failing(result.findings, "low")).toEqual([]);
  expect(result.unusedSuppressions).toEqual([]);
});

test("the app main.ts builds (stacks/composition.ts) has zero unsuppressed findings, and uses every suppression for its services", () => {
  // A team's own services live in the composition: their suppressions are judged there, not in the reference stacks.
  const app = appIsReference() ? stacks : synthesizeApp();
  const result = runPolicy(policyStacksOf(app, composition.environments), loadSuppressions("policy/suppressions.json"));
  expect(result.findings.filter((f) => !f.suppressed)).toEqual([]);
  expect(result.unusedSuppressions).toEqual([]);
});

test("dev-azure: the Service Bus and Event Grid suppressions accept public network access only; local (key) auth switched on fails the run", () => {
  // Issue 30: the suppressions' justification is "local (key) auth is off". Before conditions, the same
  // entry (rule PC006, the hashed address) also hid a PC006 finding for local auth on that resource.
  const suppressions = loadSuppressions(SAMPLE_SUPPRESSIONS);
  const json = JSON.parse(JSON.stringify(stacks["dev-azure"])) as TerraformJson;
  const mutated = ["azurerm_servicebus_namespace", "azurerm_eventgrid_topic"].map((type) => {
    // The namespace is the environment's (shared tier); the topic is the service's.
    const [name, body] = Object.entries(json.resource![type] as Record<string, Record<string, unknown>>).find(([n]) => n.startsWith("orders_") || n.startsWith("shared-tier_"))!;
    body.local_auth_enabled = true;
    return `${type}.${name}`;
  });
  const result = runPolicy(policyStacksOf({ "dev-azure": json }), suppressions);
  const open = failing(result.findings, "medium");
  expect(open.map((f) => `${f.condition} ${f.target}`).sort()).toEqual(["PC006.local-auth orders/bus-events/topic", "PC006.local-auth shared-tier/servicebus"]);
  expect(open.map((f) => f.address).sort()).toEqual([...mutated].sort());
  // The public-network findings on the same resources stay accepted.
  expect(result.findings.filter((f) => f.suppressed && mutated.includes(f.address)).map((f) => f.condition)).toEqual(["PC006.public-network", "PC006.public-network"]);
});

test("suppressions name logical targets: no hashed construct address, no rule without its condition", () => {
  const raw = JSON.parse(fs.readFileSync("policy/suppressions.json", "utf8")).suppressions as Record<string, unknown>[];
  expect(raw.length).toBeGreaterThan(0);
  for (const s of raw) {
    expect(Object.keys(s).sort()).toEqual(["condition", "justification", "stacks", "target"]);
    expect(s.condition).toMatch(/^PC\d{3}\.[a-z0-9-]+$/);
    // A construct path (service/component/...), never cdktf's `<path>_<HASH>` resource name.
    expect(s.target).toMatch(/^[a-z0-9*-]+(\/[a-z0-9*-]+)+$/);
  }
});

const devOf = (cloud: string) => `dev-${cloud}`;

test("a team's second service with a gateway: its suppressions are used in its composition, and not reported as unused in the reference stacks", () => {
  // dev orders + cart (the composition of the rename test, without remote state): cart's dev gateway is HTTP-only on GCP
  // and unthrottled on the Azure Consumption tier, like orders', so it needs the same suppressions, on its own targets.
  const two = { ...synthesizeComposition(devWithRemoteState("environment"), "gcp", TWO_SERVICES), ...synthesizeComposition(devWithRemoteState("environment"), "azure", TWO_SERVICES) };
  const base = loadSuppressions(SAMPLE_SUPPRESSIONS);
  const cart = runPolicy(policyStacksOf(two), []).findings.filter((f) => !f.note && f.target.startsWith("cart/"));
  // (and, having no database, its function apps are public; the Standard Service Bus namespace is the environment's, accepted once)
  expect(cart.map((f) => `${f.condition} ${f.stack} ${f.target}`).sort()).toEqual(CART_FINDINGS);
  const teams = [...base, ...cart.map((f) => ({ condition: f.condition, target: f.target, stacks: [devOf(f.stack.split("-")[1])], justification: "dev gateway of the cart service: as for orders" }))];
  const own = runPolicy(policyStacksOf(two), teams);
  expect(own.findings.filter((f) => !f.suppressed)).toEqual([]);
  expect(own.unusedSuppressions).toEqual([]);
  // In the reference stacks (no cart), the team's entries are out of scope, not unused; orders' are used there.
  const reference = runPolicy(policyStacksOf(stacks), teams);
  expect(reference.unusedSuppressions).toEqual([]);
  expect(reference.outOfScopeSuppressions.map((u) => u.target).sort()).toEqual(cart.map((f) => f.target).sort());
});

// Filled from the synthesized stacks (and checked there): what a second dev service without a database is found to have.
const CART_FINDINGS = [
  "PC002.app-public dev-azure cart/fn-api/app", "PC002.app-public dev-azure cart/fn-checkout/app",
  "PC013.plain-http dev-gcp cart/gateway-web/http", "PC030.unthrottled dev-azure cart/gateway-web/api-policy",
];

// Issue 19's second sample service (coffee: method-routed API with Node and Python behind JWT
// auth, a prefix filter, a schedule) next to orders in dev, on every cloud.
useCoffeeWheels();
const coffee = Object.fromEntries((["aws", "gcp", "azure"] as const).flatMap((cloud) => Object.entries(synthesizeComposition(devWithRemoteState("environment"), cloud, [referenceService, coffeeService]))));

test("the second sample service passes policy on all three clouds: only the dev findings of its functions without the database (as cart's), suppressible like orders'", () => {
  expect(Object.keys(coffee).sort()).toEqual(["dev-aws", "dev-azure", "dev-gcp"]);
  const suppressions = loadSuppressions(SAMPLE_SUPPRESSIONS);
  const own = runPolicy(policyStacksOf(coffee), suppressions).findings.filter((f) => !f.note && !f.suppressed);
  // Nothing on AWS; GCP's dev gateway is HTTP-only and Azure's Consumption API Management is unthrottled
  // (orders' suppressions, same conditions); coffee's function apps that do not use its database (barista, menu,
  // roaster, tasting), its Service Bus and Event Grid topics (the bus and the scheduled rule's tick topic, issue 28.8)
  // are public in dev, like cart's.
  expect(own.map((f) => `${f.condition} ${f.stack} ${f.target}`).sort()).toEqual(COFFEE_FINDINGS);
  // Its functions ship their dependencies: the Lambda packages are the built zips (Python wheel installed for arm64, Node bundle with source map).
  const lambdas = Object.entries(coffee["dev-aws"].resource!.aws_lambda_function as Record<string, { filename: string }>);
  for (const [id, runtime, handler, entry] of [["barista", "python3.12", "main.handler", "brewtools/__init__.py"], ["menu", "nodejs22", "index.handler", "index.js.map"]]) {
    const pkg = packageFunction(id === "menu" ? "__tests__/fixtures/deps/node-fn" : "__tests__/fixtures/coffee/barista", { cloud: "aws", logicalId: id, handler, runtime });
    expect(lambdas.find(([k]) => k.startsWith(`coffee_fn-${id}_`))![1].filename).toContain(pkg.hash);
    expect(fs.readFileSync(pkg.path).includes(Buffer.from(entry))).toBe(true);
  }
  // Its schedules cost money at idle, and every driver is priced: the GCP job and the Azure recurrence.
  const lines = estimateAll(coffee, { now: new Date("2026-11-28T00:00:00Z") }).flatMap((e) => e.lines.filter((l) => l.address.includes("coffee") && /scheduler|logic_app/.test(l.resourceType)));
  expect(lines.map((l) => [l.resourceType, l.component, l.usd > 0])).toEqual([["google_cloud_scheduler_job", "job", true], ["azurerm_logic_app_trigger_recurrence", "execution", true]]);
  const teams = [...suppressions, ...own.map((f) => ({ condition: f.condition, target: f.target, stacks: [f.stack], justification: "dev, a function without the database: as for cart" }))];
  const result = runPolicy(policyStacksOf(coffee), teams);
  expect(result.findings.filter((f) => !f.suppressed)).toEqual([]);
  expect(result.unusedSuppressions).toEqual([]);
});

test("a composition without the sample service: its suppressions are out of scope, not unused; the foundation's are in scope", () => {
  const alone = synthesizeComposition(devWithRemoteState("environment"), "azure", [coffeeService]);
  // A platform entry (no service in its target) belongs to every composition: here it has nothing
  // left to accept (the vault is private since issue 28.15), so it is reported unused, not out of scope.
  const foundation = { condition: "PC015.vault-public", target: "foundation/vault", stacks: ["dev-azure"], justification: "a platform entry, accepted for the foundation of every composition" };
  const result = runPolicy(policyStacksOf(alone), [...loadSuppressions(SAMPLE_SUPPRESSIONS), foundation]);
  expect(result.unusedSuppressions.map((s) => s.target)).toEqual(["foundation/vault"]);
  // (the dev-gcp entry is out of scope too: this run has no GCP stack)
  // The Service Bus namespace is the environment's (shared tier): its dev entry applies to this
  // composition too, its staging entry is out of scope (no staging stack in this run).
  expect(result.outOfScopeSuppressions.map((s) => s.target).sort()).toEqual(["orders/bus-events/topic", "orders/gateway-public/api-policy", "orders/gateway-public/http", "shared-tier/servicebus"]);
  expect(result.findings.filter((f) => f.suppressed).map((f) => `${f.condition} ${f.target}`)).toEqual(["PC006.public-network shared-tier/servicebus"]);
});

const COFFEE_FINDINGS = [
  "PC002.app-public dev-azure coffee/fn-barista/app", "PC002.app-public dev-azure coffee/fn-menu/app", "PC002.app-public dev-azure coffee/fn-roaster/app",
  "PC002.app-public dev-azure coffee/fn-tasting/app",
  "PC006.public-network dev-azure coffee/bus-events/schedule-morning-topic", "PC006.public-network dev-azure coffee/bus-events/topic",
  "PC013.plain-http dev-gcp coffee/gateway-web/http", "PC030.unthrottled dev-azure coffee/gateway-web/api-policy",
];

describe("coverage: every emitted resource type is read by a rule or listed with a reason", () => {
  const emitted = [...new Set([...names.map((n) => stacks[n]), ...Object.values(coffee)].flatMap((json) => Object.keys(json.resource ?? {})))].sort();
  const read = typesWithRules();

  test("no emitted type is without a rule or a reason", () => {
    expect(emitted.length).toBeGreaterThan(100);
    expect(emitted.filter((t) => !read.has(t) && !(t in NOTHING_TO_CHECK))).toEqual([]);
  });

  test("the reasons list is not stale: each entry is emitted, has no rule, and gives a reason", () => {
    for (const [type, why] of Object.entries(NOTHING_TO_CHECK)) {
      expect([type, emitted.includes(type), read.has(type)]).toEqual([type, true, false]);
      expect(why.length).toBeGreaterThan(10);
    }
  });

  test("the rules read the types a platform team adds next to these stacks", () => {
    const expected = [
      "aws_s3_bucket", "aws_s3_bucket_public_access_block", "aws_s3_bucket_versioning", "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_policy",
      "aws_dynamodb_table", "aws_iam_user_policy", "aws_iam_group_policy", "aws_iam_role_policy", "aws_iam_policy", "aws_iam_role_policy_attachment", "aws_iam_user_policy_attachment",
      "aws_iam_policy_attachment", "aws_kms_key", "aws_lambda_function_url", "aws_sns_topic", "aws_sqs_queue", "aws_api_gateway_stage",
      "google_storage_bucket", "google_cloud_run_v2_service", "google_cloud_run_v2_service_iam_member", "google_cloudfunctions_function", "google_cloudfunctions2_function",
      "google_compute_firewall", "google_sql_database_instance",
      "azurerm_storage_account", "azurerm_key_vault", "azurerm_linux_function_app", "azurerm_function_app_flex_consumption", "azurerm_linux_web_app", "azurerm_cosmosdb_account",
      "azurerm_servicebus_namespace", "azurerm_eventgrid_topic", "azurerm_eventgrid_domain", "azurerm_postgresql_flexible_server", "azurerm_network_security_rule",
    ];
    expect(expected.filter((t) => !read.has(t))).toEqual([]);
  });

  test("every type the stacks emit is in the scope the scanner coverage goes through", () => {
    expect(emitted.filter((t) => !SCANNER_SCOPE.includes(t) && !/^(terraform_data|time_sleep|time_static)$/.test(t))).toEqual([]);
  });

  test("every HIGH, CRITICAL or unpublished-severity scanner check on the scope is covered by a condition or says why it does not apply, never both", () => {
    const rows = scannerCoverage();
    const judged = rows.filter((r) => r.check.severity !== "low-or-medium");
    expect(judged.length).toBeGreaterThan(150);
    expect(judged.filter((r) => !r.conditions.length && !r.reason).map((r) => r.id)).toEqual([]);
    expect(rows.filter((r) => r.conditions.length && r.reason).map((r) => r.id)).toEqual([]);
    // No reason is kept for a check the catalogue does not hold (regenerated away or renamed).
    expect(Object.keys(NOT_COVERED).filter((id) => !SCANNER_CHECKS[id])).toEqual([]);
    for (const r of rows.filter((x) => x.reason)) expect(r.reason!.length).toBeGreaterThan(40);
    // Both scanners, every cloud.
    for (const prefix of ["CKV_AWS_", "CKV_GCP_", "CKV_AZURE_", "AVD-AWS-", "AVD-GCP-", "AVD-AZU-"]) expect(judged.some((r) => r.id.startsWith(prefix))).toBe(true);
  });

  test("every cited check is cited by one condition, is in the scanner catalogue, and reads a type its rule reads", () => {
    const cited = POLICY_RULES.flatMap((r) => Object.values(r.conditions).flatMap((c) => (c.checks ?? []).map((check) => [r, check] as const)));
    expect(new Set(cited.map(([, c]) => c)).size).toBe(cited.length);
    expect(cited.filter(([, c]) => !SCANNER_CHECKS[c]).map(([, c]) => c)).toEqual([]);
    const reads = (r: (typeof POLICY_RULES)[number]) => new Set(Object.keys(r.reads));
    expect(cited.filter(([r, c]) => !SCANNER_CHECKS[c].types.some((t) => reads(r).has(t) || t.startsWith("provider."))).map(([r, c]) => `${r.id} ${c}`)).toEqual([]);
  });
});

test("Azure taggability comes from the pinned provider bindings (regenerate with `node dist/scripts/azure-taggable.js`)", () => {
  expect(fs.readFileSync(AZURE_TAGGABLE_FILE, "utf8")).toBe(renderAzureTaggable(azureTaggableTypes()));
  expect(AZURE_TAGGABLE_TYPES.has("azurerm_key_vault")).toBe(true);
  expect(AZURE_TAGGABLE_TYPES.has("azurerm_role_assignment")).toBe(false);
  expect(AZURE_TAGGABLE_TYPES.has("azurerm_servicebus_queue")).toBe(false);
});

describe("state-address stability", () => {
  // The project's snapshot (what main.ts builds) and the sample's (the sample stacks these tests mutate).
  const snapshot = JSON.parse(fs.readFileSync("policy/stateful-addresses.json", "utf8"));
  const sampleSnapshot = JSON.parse(fs.readFileSync(SAMPLE_ADDRESSES, "utf8"));

  test("no stateful address of the composition changed or disappeared without a moved block (else: review, then `npm run addresses`)", () => {
    // The snapshot covers the stacks main.ts builds (stacks/composition.ts), whatever services they render.
    const app = appIsReference() ? stacks : synthesizeApp();
    expect(Object.keys(snapshot).sort()).toEqual(Object.keys(app).sort());
    const drift = compareAddresses(snapshot, app);
    expect(drift.destroyed).toEqual([]);
    expect(drift.added).toEqual([]);
    // The sample's snapshot (the fixture the tests below mutate) is the sample stacks' own.
    expect(compareAddresses(sampleSnapshot, stacks)).toMatchObject({ destroyed: [], added: [] });
    expect(Object.values(sampleSnapshot).flat().length).toBeGreaterThan(90);
  });

  test("a refactor that renames a database is caught; the same refactor with moveFromId passes", () => {
    const prod = stacks["prod-aws"];
    const [address] = statefulAddresses(prod).filter((a) => a.startsWith("aws_rds_cluster."));
    const [type, name] = address.split(".");
    const renamed = JSON.parse(JSON.stringify(prod));
    renamed.resource[type][`${name}_renamed`] = renamed.resource[type][name];
    delete renamed.resource[type][name];
    expect(compareAddresses(sampleSnapshot, { "prod-aws": renamed }).destroyed).toEqual([{ stack: "prod-aws", address }]);
    renamed.moved = [{ from: address, to: `${type}.${name}_renamed` }];
    const drift = compareAddresses(sampleSnapshot, { "prod-aws": renamed });
    expect(drift.destroyed).toEqual([]);
    expect(drift.moved).toEqual([{ stack: "prod-aws", from: address, to: `${type}.${name}_renamed` }]);
  });
});

describe("nothing lost in prod", () => {
  test.each(["prod-aws", "prod-gcp", "prod-azure"])("%s: every stateful resource has prevent_destroy", (name) => {
    const stateful = Object.entries(stacks[name].resource ?? {}).filter(([t]) => STATEFUL_TYPES.has(t)).flatMap(([, byName]) => Object.values(byName) as any[]);
    expect(stateful.length).toBeGreaterThan(8);
    for (const r of stateful) expect(r.lifecycle?.prevent_destroy).toBe(true);
  });

  test("AWS: deletion protection, final snapshot, backups; DLQs keep 14 days", () => {
    for (const [, c] of all(stacks["prod-aws"], "aws_rds_cluster")) {
      expect(c).toMatchObject({ deletion_protection: true, skip_final_snapshot: false, backup_retention_period: 35 });
      expect(c.final_snapshot_identifier).toBeTruthy();
    }
    // The queue's and the rule's DLQ (no async DLQ: no function is invoked asynchronously, issue 28.2).
    const dlqs = all(stacks["prod-aws"], "aws_sqs_queue").filter(([k]) => /dlq/.test(k));
    expect(dlqs.length).toBeGreaterThanOrEqual(2);
    for (const [, q] of dlqs) expect(q.message_retention_seconds).toBeGreaterThanOrEqual(1209600);
    for (const [, s] of all(stacks["prod-aws"], "aws_secretsmanager_secret")) expect(s.recovery_window_in_days).toBe(30);
    for (const [, k] of all(stacks["prod-aws"], "aws_kms_key")) expect(k.deletion_window_in_days).toBe(30);
  });

  test("GCP: deletion protection, point-in-time recovery; dead letters kept 14 days", () => {
    for (const [, i] of all(stacks["prod-gcp"], "google_sql_database_instance")) {
      expect(i.deletion_protection).toBe(true);
      expect(i.settings.deletion_protection_enabled).toBe(true);
      expect(i.settings.backup_configuration.point_in_time_recovery_enabled).toBe(true);
    }
    const dlqSubs = all(stacks["prod-gcp"], "google_pubsub_subscription").filter(([, s]) => /-dlq$/.test(s.name));
    expect(dlqSubs.length).toBeGreaterThanOrEqual(2);
    for (const [, s] of dlqSubs) expect(s.message_retention_duration).toBe("1209600s");
    for (const [, s] of all(stacks["prod-gcp"], "google_secret_manager_secret")) expect(s.deletion_protection).toBe(true);
  });

  test("Azure: a delete lock, geo-redundant backups, purge-protected vault", () => {
    expect(all(stacks["prod-azure"], "azurerm_management_lock").map(([, l]) => l.lock_level)).toEqual(["CanNotDelete"]);
    for (const [, s] of all(stacks["prod-azure"], "azurerm_postgresql_flexible_server")) expect(s.geo_redundant_backup_enabled).toBe(true);
    for (const [, v] of all(stacks["prod-azure"], "azurerm_key_vault")) expect(v.purge_protection_enabled).toBe(true);
  });

  test.each(["dev-aws", "dev-gcp", "dev-azure"])("%s can still be torn down", (name) => {
    const json = stacks[name];
    const protectedOnes = Object.values(json.resource ?? {}).flatMap((byName) => Object.values(byName) as any[]).filter((r) => r.lifecycle?.prevent_destroy === true);
    expect(protectedOnes).toEqual([]);
    for (const [, c] of all(json, "aws_rds_cluster")) expect(c).toMatchObject({ deletion_protection: false, skip_final_snapshot: true });
    for (const [, i] of all(json, "google_sql_database_instance")) expect(i.deletion_protection).toBe(false);
    for (const [, b] of all(json, "google_storage_bucket")) expect(b.force_destroy).toBe(true);
    expect(all(json, "azurerm_management_lock")).toEqual([]);
  });
});

describe("migrating suppressions from rule + hashed address to condition + logical target", () => {
  // Entries in the format of policy/suppressions.json before conditions (as committed until issue 30).
  const old = [
    { rule: "PC006", stack: "dev-azure", address: "azurerm_servicebus_namespace.shared-tier_servicebus_C3E56E11", justification: "dev runs the Standard Service Bus tier; local (SAS) auth is off" },
    { rule: "PC006", stack: "dev-azure", address: "azurerm_eventgrid_topic.orders_bus-events_topic_51548827", justification: "functions publish over the public endpoint; local auth is off" },
    { rule: "PC006", stack: "prod-azure", address: "azurerm_eventgrid_topic.orders_bus-events_topic_51548827", justification: "functions publish over the public endpoint; local auth is off" },
    { rule: "PC021", stack: "dev-aws", address: "aws_lambda_function.gone_ABCDEF12", justification: "a resource that no longer exists in the stacks" },
  ];

  test("each entry becomes the conditions the rule finds there today, on the logical target, merged across stacks; stale entries are dropped", () => {
    const { suppressions, report } = migrateSuppressions(old, policyStacksOf(stacks));
    expect(suppressions).toEqual([
      { condition: "PC006.public-network", target: "shared-tier/servicebus", stacks: ["dev-azure"], justification: old[0].justification },
      { condition: "PC006.public-network", target: "orders/bus-events/topic", stacks: ["dev-azure", "prod-azure"], justification: old[1].justification },
    ]);
    expect(report).toEqual([`dropped (stale, nothing to accept): PC021 dev-aws ${old[3].address}`]);
    // The migrated entries apply: the run they came from passes with them.
    const result = runPolicy(policyStacksOf({ "dev-azure": stacks["dev-azure"] }), suppressions);
    expect(result.findings.filter((f) => f.suppressed).map((f) => f.condition).sort()).toEqual(["PC006.public-network", "PC006.public-network"]);
  });

  test("the old format is refused with the migration command, never applied to a whole rule", () => {
    const result = runPolicy(policyStacksOf({ "dev-azure": stacks["dev-azure"] }), old as never);
    expect(result.findings.filter((f) => f.rule === "PC000").map((f) => f.message)).toEqual(old.map(() => expect.stringMatching(/npm run policy:migrate-suppressions/)));
    expect(result.findings.some((f) => f.suppressed)).toBe(false);
  });
});
