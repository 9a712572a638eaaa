import * as fs from "node:fs";
import * as path from "node:path";
import { App, Testing } from "cdktf";
import { CLOUDS, Cloud, EnvironmentConfig, ServiceSpec, TerraformJson, compareAddresses, platformName, statefulAddresses, validateService } from "@polycloud/core";
import { AWS_LIMITS } from "@polycloud/aws";
import { buildStacks } from "@polycloud/stacks";
import { cartService } from "../../stacks/cart-service";
import { referenceService } from "../../stacks/reference-service";
import { devWithRemoteState, synthesizeComposition, twoServiceKey } from "../helpers/sample-json";
import { identityAttributes } from "../helpers/force-new";
import { shoppingCartService } from "../fixtures/ported/shopping-cart";
import { onServer } from "../helpers/shared-tier";

/**
 * Adding, removing or reordering services renames and replaces nothing: an environment rendering
 * [orders], then [orders, cart], then [cart, orders]. Every resource (and data source) present in
 * two runs keeps its address and its whole configuration, identity attributes included; each
 * stack keeps its state location. All clouds, single-stack and per-service partitioning.
 */
type Svc = (env: EnvironmentConfig) => ServiceSpec;
const RUNS: Record<string, Svc[]> = { "[orders]": [referenceService], "[orders, cart]": [referenceService, cartService], "[cart, orders]": [cartService, referenceService] };
const PARTITIONINGS = ["environment", "service"] as const;
/**
 * The shared tier (opted in): orders, then a second service with a database of its own on the shared server.
 * What may change in a resource both runs have: the shared server's sizing (pools sized for every
 * member), in place; never an address, an identity attribute or a service's own resource.
 */
const sharedOrders = onServer("shared", referenceService);
const sharedCart = onServer("shared", shoppingCartService);
const TIER_RUNS: Record<string, Svc[]> = { "[orders]": [sharedOrders], "[orders, shopcart]": [sharedOrders, sharedCart], "[shopcart, orders]": [sharedCart, sharedOrders] };

const synth: Record<string, Record<string, Record<string, TerraformJson>>> = {};
for (const partitioning of PARTITIONINGS) for (const cloud of CLOUDS) {
  const key = `${cloud} ${partitioning}`;
  synth[key] = Object.fromEntries(Object.entries(RUNS).map(([run, svcs]) => [run, synthesizeComposition(devWithRemoteState(partitioning), cloud, svcs)]));
}

/** Every difference between two runs in what both contain, identity attributes marked. */
function differences(a: Record<string, TerraformJson>, b: Record<string, TerraformJson>): string[] {
  const out: string[] = [];
  for (const [stack, x] of Object.entries(a)) {
    const y = b[stack];
    if (!y) continue;
    if (JSON.stringify(x.terraform?.backend) !== JSON.stringify(y.terraform?.backend)) out.push(`${stack}: state location ${JSON.stringify(x.terraform?.backend)} -> ${JSON.stringify(y.terraform?.backend)}`);
    if (JSON.stringify(x.provider) !== JSON.stringify(y.provider)) out.push(`${stack}: provider configuration (default tags/labels) differs`);
    for (const kind of ["resource", "data"] as const) {
      for (const [type, byName] of Object.entries((x as any)[kind] ?? {}) as [string, Record<string, any>][]) {
        for (const [name, cfg] of Object.entries(byName)) {
          const other = (y as any)[kind]?.[type]?.[name];
          if (!other) continue;
          const identity = new Set(identityAttributes(type, { ...cfg, ...other }));
          for (const k of new Set([...Object.keys(cfg), ...Object.keys(other)])) {
            if (JSON.stringify(cfg[k]) === JSON.stringify(other[k])) continue;
            // An aggregated GCP alert condition lists the resources it watches: that list may change, in place (tested below).
            if (type === "google_monitoring_alert_policy" && k === "conditions" && watchListOnly(cfg[k]) === watchListOnly(other[k])) continue;
            out.push(`${stack}: ${kind === "data" ? "data." : ""}${type}.${name}.${k}${identity.has(k) ? " (forces replacement)" : ""}: ${JSON.stringify(cfg[k])} -> ${JSON.stringify(other[k])}`);
          }
        }
      }
    }
  }
  return out;
}

/** An alert policy's conditions without the names they watch (`one_of(…)`, modules/gcp/src/alert-conditions.ts). */
function watchListOnly(conditions: unknown): string {
  return JSON.stringify(conditions).replace(/one_of\([^)]*\)/g, "one_of(…)");
}

const addresses = (json: TerraformJson) => Object.entries(json.resource ?? {}).flatMap(([t, byName]) => Object.keys(byName).map((n) => `${t}.${n}`));

describe.each(Object.keys(synth))("%s", (key) => {
  const runs = synth[key];
  test.each([["[orders]", "[orders, cart]"], ["[orders]", "[cart, orders]"], ["[orders, cart]", "[cart, orders]"]])(
    "%s -> %s: every resource present in both keeps its address, identity and configuration; every stack keeps its state", (from, to) => {
      expect(differences(runs[from], runs[to])).toEqual([]);
    });

  test("adding a service only adds: every address of [orders] is still there", () => {
    const before = runs["[orders]"];
    const after = runs["[orders, cart]"];
    for (const [stack, json] of Object.entries(before)) {
      expect(after[stack]).toBeDefined();
      expect(addresses(after[stack])).toEqual(expect.arrayContaining(addresses(json)));
    }
  });

  test("reordering changes nothing at all", () => {
    expect(runs["[cart, orders]"]).toEqual(runs["[orders, cart]"]);
  });

  test("shared resources are named and tagged after the platform, service resources after their service", () => {
    const [cloud] = key.split(" ") as [Cloud];
    const env = devWithRemoteState("environment");
    const platform = platformName(env);
    const all = Object.values(runs["[orders, cart]"]).flatMap((json) => Object.entries(json.resource ?? {}).flatMap(([type, byName]) => Object.entries(byName).map(([name, cfg]) => ({ type, name, cfg: cfg as any }))));
    const named = all.filter((r) => typeof r.cfg.name === "string" && /^[a-z]/.test(r.cfg.name) && r.cfg.name.includes("-dev-"));
    expect(named.length).toBeGreaterThan(10);
    for (const r of named) {
      // Construct paths are in the address: `foundation`/`budget`/`shared-tier` are shared, a service's own start with its name.
      const owner = /^(foundation|budget|shared-tier)_/.test(r.name) ? platform : r.name.split("_")[0];
      expect(`${r.type}.${r.name}: ${r.cfg.name}`).toMatch(new RegExp(`: (.*[/-])?${owner}-dev-`));
    }
    const tagged = all.filter((r) => r.cfg.tags?.service ?? r.cfg.labels?.service);
    for (const r of tagged) {
      const owner = r.name.startsWith("orders_") ? "orders" : r.name.startsWith("cart_") ? "cart" : platform;
      expect(`${r.type}.${r.name}: ${r.cfg.tags?.service ?? r.cfg.labels?.service}`).toBe(`${r.type}.${r.name}: ${owner}`);
    }
    if (cloud !== "gcp" && key.endsWith("environment")) expect(tagged.length).toBeGreaterThan(5);
    // Provider defaults: the platform on a stack holding the foundation, the service on a service stack.
    for (const [stack, json] of Object.entries(runs["[orders, cart]"])) {
      const defaults = (json.provider as any)?.aws?.[0]?.default_tags?.[0]?.tags ?? (json.provider as any)?.google?.[0]?.default_labels;
      if (defaults) expect(`${stack}: ${defaults.service}`).toBe(`${stack}: ${stack.endsWith("-orders") ? "orders" : stack.endsWith("-cart") ? "cart" : platform}`);
    }
  });
});

describe("GCP aggregated alert conditions (one per measurement and threshold)", () => {
  const policies = (json: TerraformJson) => Object.entries<any>((json.resource as any)?.google_monitoring_alert_policy ?? {});
  const watched = (p: any) => [...String(/one_of\(([^)]*)\)/.exec(p.conditions[0].condition_threshold.filter)?.[1] ?? "").matchAll(/"([^"]*)"/g)].map((m) => m[1]);
  const functions = (json: TerraformJson) => Object.values<any>((json.resource as any)?.google_cloudfunctions2_function ?? {}).map((f) => f.name as string).sort();
  const errors = (json: TerraformJson) => policies(json).filter(([, p]) => p.display_name.startsWith("Function 5xx"));

  test("environment: adding cart adds its resources to the environment's conditions at the same addresses, in place; removing takes them out", () => {
    const runs = synth["gcp environment"];
    const [one, two, swapped] = [runs["[orders]"]["dev-gcp"], runs["[orders, cart]"]["dev-gcp"], runs["[cart, orders]"]["dev-gcp"]];
    expect(errors(one)).toHaveLength(1);
    expect(errors(two).map(([a]) => a)).toEqual(errors(one).map(([a]) => a));
    expect(errors(one)[0][0]).toMatch(/^shared-tier_alerts_function-errors-/);
    expect(watched(errors(one)[0][1]).sort()).toEqual(functions(one));
    expect(watched(errors(two)[0][1]).sort()).toEqual(functions(two));
    expect(functions(two).some((n) => n.startsWith("cart-dev-"))).toBe(true);
    // Every condition of [orders] is still there in [orders, cart], watching at least what it watched.
    const after = Object.fromEntries(policies(two));
    for (const [address, p] of policies(one)) expect(watched(after[address] ?? { conditions: [{ condition_threshold: { filter: "" } }] })).toEqual(expect.arrayContaining(watched(p)));
    // The names are sorted: the order services are registered in changes nothing.
    expect(swapped).toEqual(two);
  });

  test("service partitioning: each service stack aggregates its own conditions; the shared stack does not depend on which services exist", () => {
    const runs = synth["gcp service"];
    expect(runs["[orders, cart]"]["dev-gcp-shared"]).toEqual(runs["[orders]"]["dev-gcp-shared"]);
    const cart = runs["[orders, cart]"]["dev-gcp-cart"];
    expect(errors(cart).map(([a]) => a)).toEqual([expect.stringMatching(/^alerts_function-errors-/)]);
    expect(watched(errors(cart)[0][1]).sort()).toEqual(functions(cart));
    expect(functions(cart).every((n) => n.startsWith("cart-dev-"))).toBe(true);
    expect(runs["[orders, cart]"]["dev-gcp-orders"]).toEqual(runs["[orders]"]["dev-gcp-orders"]);
  });
});

describe.each(PARTITIONINGS.flatMap((p) => (["aws", "gcp", "azure"] as const).map((c) => [c, p] as const)))("shared tier, %s %s partitioning", (cloud, partitioning) => {
  const runs = Object.fromEntries(Object.entries(TIER_RUNS).map(([run, svcs]) => [run, synthesizeComposition(devWithRemoteState(partitioning), cloud, svcs)]));
  test.each([["[orders]", "[orders, shopcart]"], ["[orders, shopcart]", "[orders]"], ["[orders, shopcart]", "[shopcart, orders]"]])("%s -> %s: nothing renamed or replaced; only the shared server's sizing changes, in place", (from, to) => {
    const diff = differences(runs[from], runs[to]);
    expect(diff.filter((d) => d.includes("forces replacement"))).toEqual([]);
    // Only the shared tier's resources may change in place (the pooler's pool size for more members).
    expect(diff.filter((d) => !/^[^:]+: [a-z_0-9]+\.shared-tier_db_/.test(d))).toEqual([]);
    for (const [stack, json] of Object.entries(runs[from])) {
      const other = runs[to][stack];
      if (!other) continue;
      const [small, big] = from === "[orders]" ? [json, other] : [other, json];
      expect(addresses(big)).toEqual(expect.arrayContaining(addresses(small)));
    }
  });
  test("one shared server whatever the number or order of services, holding each service's database", () => {
    const type = { aws: "aws_rds_cluster", gcp: "google_sql_database_instance", azure: "azurerm_postgresql_flexible_server" }[cloud];
    const servers = (r: Record<string, TerraformJson>) => Object.values(r).flatMap((j) => Object.keys((j.resource as any)?.[type] ?? {}));
    const address = { aws: /^shared-tier_db_cluster_/, gcp: /^shared-tier_db_instance_/, azure: /^shared-tier_db_server_/ }[cloud];
    for (const run of Object.keys(TIER_RUNS)) expect(servers(runs[run])).toEqual([expect.stringMatching(address)]);
    expect(runs["[shopcart, orders]"]).toEqual(runs["[orders, shopcart]"]);
  });
  if (cloud === "azure") {
    test("one API Management instance and one Service Bus namespace, an API and queues per service, whatever the number or order of services", () => {
      const of = (r: Record<string, TerraformJson>, t: string) => Object.values(r).flatMap((j) => Object.entries((j.resource as any)?.[t] ?? {}) as [string, any][]);
      for (const run of Object.keys(TIER_RUNS)) {
        expect(of(runs[run], "azurerm_api_management").map(([a]) => a)).toEqual([expect.stringMatching(/^shared-tier_gateway_apim_/)]);
        expect(of(runs[run], "azurerm_servicebus_namespace").map(([a]) => a)).toEqual([expect.stringMatching(/^shared-tier_servicebus_/)]);
        // Each service's APIs and queues are its own resources (its construct, its state when partitioned).
        for (const [a] of [...of(runs[run], "azurerm_api_management_api"), ...of(runs[run], "azurerm_servicebus_queue")]) expect(a).toMatch(/^(orders|shopcart)_/);
      }
      const apis = of(runs["[orders, shopcart]"], "azurerm_api_management_api").map(([, r]) => r.path).sort();
      expect(apis).toEqual(expect.arrayContaining([expect.stringMatching(/^orders\//), expect.stringMatching(/^shopcart\//)]));
      expect(new Set(apis).size).toBe(apis.length);
    });
  }
});

test("the two-service environment keeps its stateful addresses (else: review, then UPDATE_ADDRESSES=1 npx jest __tests__/stacks/services-rename.test.ts)", () => {
  // The fixture's own snapshot: `npm run addresses` covers the composition main.ts builds, not test fixtures.
  const file = path.join(__dirname, "two-services.addresses.json");
  const stacks: Record<string, TerraformJson> = {};
  for (const partitioning of PARTITIONINGS) for (const cloud of CLOUDS) {
    for (const [stack, json] of Object.entries(synth[`${cloud} ${partitioning}`]["[orders, cart]"])) stacks[twoServiceKey(partitioning, stack)] = json;
  }
  if (process.env.UPDATE_ADDRESSES === "1") fs.writeFileSync(file, JSON.stringify(Object.fromEntries(Object.entries(stacks).sort(([a], [b]) => a.localeCompare(b)).map(([n, j]) => [n, statefulAddresses(j)])), null, 2) + "\n");
  const snapshot = JSON.parse(fs.readFileSync(file, "utf8"));
  for (const name of Object.keys(stacks)) expect(snapshot).toHaveProperty([name]);
  const drift = compareAddresses(snapshot, stacks);
  expect(drift.destroyed).toEqual([]);
  expect(drift.added).toEqual([]);
});

test("an environment from before the shared tier keeps every stateful address (server \"own\" is the default); opting in to \"shared\" moves the server (docs/shared-tier.md)", () => {
  // The two-service fixture's addresses as they were before the shared tier (commit 97ba4d1's parent).
  const before = JSON.parse(fs.readFileSync(path.join(__dirname, "two-services.before-shared-tier.addresses.json"), "utf8"));
  const pinned: Svc = (e) => {
    const s = referenceService(e);
    return { ...s, databases: Object.fromEntries(Object.entries(s.databases ?? {}).map(([id, d]) => [id, { ...d, server: "own" as const }])) };
  };
  const stacks: Record<string, TerraformJson> = {};
  for (const partitioning of PARTITIONINGS) for (const cloud of CLOUDS) {
    for (const [stack, json] of Object.entries(synthesizeComposition(devWithRemoteState(partitioning), cloud, [pinned, cartService]))) stacks[twoServiceKey(partitioning, stack)] = json;
  }
  const drift = compareAddresses(before, stacks);
  // Azure's queues move to the environment's one Service Bus namespace (shared tier): the services'
  // namespaces go, a drain-then-apply migration (docs/shared-tier.md, "Service Bus and API
  // Management"). Every other stateful address stays.
  const namespaces = (list: readonly { stack: string; address: string }[]) => list.filter((d) => d.address.startsWith("azurerm_servicebus_namespace."));
  expect(drift.destroyed.filter((d) => !namespaces([d]).length)).toEqual([]);
  expect(namespaces(drift.destroyed).map((d) => `${d.stack}: ${d.address}`).sort()).toEqual([
    expect.stringMatching(/^two-services\/environment\/dev-azure: azurerm_servicebus_namespace\.cart_servicebus_/),
    expect.stringMatching(/^two-services\/environment\/dev-azure: azurerm_servicebus_namespace\.orders_servicebus_/),
    expect.stringMatching(/^two-services\/service\/dev-azure-cart: azurerm_servicebus_namespace\.cart_servicebus_/),
    expect.stringMatching(/^two-services\/service\/dev-azure-orders: azurerm_servicebus_namespace\.orders_servicebus_/),
  ]);
  expect(drift.added.map((d) => `${d.stack}: ${d.address}`).sort()).toEqual([
    expect.stringMatching(/^two-services\/environment\/dev-azure: azurerm_servicebus_namespace\.shared-tier_servicebus_/),
    expect.stringMatching(/^two-services\/service\/dev-azure-shared: azurerm_servicebus_namespace\.shared-tier_servicebus_/),
  ]);
  // Opted in to the shared server, the move is visible: the plan guard refuses it until it is done as a data migration.
  const key = "two-services/environment/dev-aws";
  expect(compareAddresses({ [key]: before[key] }, { [key]: synthesizeComposition(devWithRemoteState("environment"), "aws", [sharedOrders, cartService])["dev-aws"] }).destroyed.map((d) => d.address))
    .toEqual(expect.arrayContaining([expect.stringMatching(/^aws_rds_cluster\.orders_db-main_cluster_/)]));
});

describe("a service chooses its clouds", () => {
  const env = { ...devWithRemoteState("environment"), clouds: { aws: devWithRemoteState("environment").clouds.aws, azure: devWithRemoteState("environment").clouds.azure } } as EnvironmentConfig;
  const awsOnlyCart: Svc = (e) => ({ ...cartService(e), clouds: ["aws"] });

  test.each(["environment", "service"] as const)("%s partitioning: cart only on AWS; Azure keeps its foundation, budget and orders with its alarms", (partitioning) => {
    const app = Testing.app() as App;
    const stacks = buildStacks(app, { environments: [{ ...env, partitioning }], services: (e) => [referenceService(e), awsOnlyCart(e)] });
    const rendered = (cloud: string) => stacks.filter((s) => s.cloud === cloud).flatMap((s) => s.services.map((x) => x.node.id));
    expect(rendered("aws").sort()).toEqual(["cart", "orders"]);
    expect(rendered("azure")).toEqual(["orders"]);
    const azure = stacks.filter((s) => s.cloud === "azure").map((s) => JSON.parse(Testing.synth(s)) as TerraformJson);
    const types = azure.flatMap((j) => Object.entries(j.resource ?? {}).flatMap(([t, byName]) => Object.keys(byName).map((n) => `${t}.${n}`)));
    expect(types.filter((a) => a.includes(".cart_"))).toEqual([]);
    expect(types).toEqual(expect.arrayContaining([expect.stringMatching(/^azurerm_consumption_budget_resource_group\.budget_/), expect.stringMatching(/^azurerm_monitor_action_group\.foundation_/), expect.stringMatching(/^azurerm_monitor_metric_alert\.orders_/)]));
  });

  test("a service whose clouds the environment does not enable is an error naming the property, not a silent drop", () => {
    const app = Testing.app() as App;
    const gcpOnly: Svc = (e) => ({ ...cartService(e), clouds: ["gcp"] });
    const stacks = buildStacks(app, { environments: [env], services: (e) => [referenceService(e), gcpOnly(e)] });
    const messages = stacks.flatMap((s) => { try { s.runAllValidations(); return []; } catch (err) { return [(err as Error).message]; } }).join("\n");
    expect(messages).toContain(`ServiceSpec cart: property 'clouds' has value ["gcp"]; allowed: clouds enabled in environments/dev (aws, azure)`);
  });

  test("clouds must be known cloud names", () => {
    const p = validateService({ ...cartService(env), clouds: ["aws", "oci" as Cloud] }, AWS_LIMITS);
    expect(p.messages()).toEqual([expect.stringContaining(`property 'clouds[1]' has value "oci"`)]);
  });
});

describe("migration: an environment that rendered one service keeps its names and state with platform = that service", () => {
  test.each(CLOUDS)("%s", (cloud) => {
    const env = { ...devWithRemoteState("environment"), platform: "orders" } as EnvironmentConfig;
    const [json] = Object.values(synthesizeComposition(env, cloud, [referenceService]));
    const names = Object.entries(json.resource ?? {}).flatMap(([type, byName]) => Object.entries(byName).filter(([n]) => n.startsWith("foundation_")).map(([, c]) => `${type}=${(c as any).name}`));
    // The names and state keys the single-service rendering had before the platform name existed.
    const before: Record<Cloud, { names: string[]; backend: unknown }> = {
      aws: { names: ["aws_sns_topic=orders-dev-alarms", "aws_kms_alias=alias/orders-dev-platform", "aws_security_group=orders-dev-endpoints"], backend: { s3: expect.objectContaining({ key: "dev/aws/orders/terraform.tfstate" }) } },
      // (outside prod the key ring's name gained its creation time this release, issue 28.9: key rings cannot be deleted)
      gcp: { names: [expect.stringMatching(/^google_kms_key_ring=orders-dev-platform-\$\{time_static\.[^.]+\.unix\}$/) as unknown as string, "google_storage_bucket=polycloud-dev-0001-orders-dev-src"], backend: { gcs: expect.objectContaining({ prefix: "dev/gcp/orders" }) } },
      azure: { names: [// (the Key Vault also gained the subscription suffix this release, issue 13)
        "azurerm_resource_group=orders-dev-rg", "azurerm_key_vault=orders-dev-kv-phcg", "azurerm_log_analytics_workspace=orders-dev-logs"], backend: { azurerm: expect.objectContaining({ key: "dev/azure/orders.tfstate" }) } },
    };
    expect(names).toEqual(expect.arrayContaining(before[cloud].names));
    expect(json.terraform?.backend).toEqual(before[cloud].backend);
  });

  test("with per-service partitioning the platform name must differ from every service (the states would share a key)", () => {
    const env = { ...devWithRemoteState("service"), platform: "orders", clouds: { aws: devWithRemoteState("service").clouds.aws } } as EnvironmentConfig;
    const stacks = buildStacks(Testing.app() as App, { environments: [env], services: (e) => [referenceService(e)] });
    const messages = stacks.flatMap((s) => { try { s.runAllValidations(); return []; } catch (err) { return [(err as Error).message]; } }).join("\n");
    expect(messages).toContain(`environments/dev: property 'platform' has value "orders"; allowed: a name no service uses with partitioning "service"`);
  });
});
