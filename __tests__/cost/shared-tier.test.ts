import { App, Testing } from "cdktf";
import { EnvironmentConfig, ServiceSpec, StackEstimate, StackJson, estimateAll } from "@polycloud/core";
import { buildStacks } from "@polycloud/stacks";
import { fourServices } from "../fixtures/ported/four-services";

/**
 * The shared tier's cost impact, measured with the estimator on the four-service fixture in the
 * sample environments (docs/cost.md, "Four services"): each service database on its own server
 * (databases.<id>.server: "own", what every environment had before the shared tier) against the
 * shared server (`server: "shared"`, the default). On Azure the shared tier also holds one API
 * Management instance and one Service Bus namespace per environment, whatever the servers.
 */
const NOW = new Date("2026-11-28T00:00:00Z");
function estimate(server: "own" | "shared"): Record<string, StackEstimate> {
  const app = Testing.app() as App;
  const opts = fourServices();
  const services = (env: EnvironmentConfig) => opts.services!(env).map((s: ServiceSpec) =>
    ({ ...s, databases: s.databases && Object.fromEntries(Object.entries(s.databases).map(([k, d]) => [k, { ...d, server: d.server ?? server }])) }));
  const stacks = buildStacks(app, { ...opts, services });
  const json = Object.fromEntries(stacks.map((s) => [s.node.id, JSON.parse(Testing.synth(s)) as StackJson]));
  return Object.fromEntries(estimateAll(json, { now: NOW }).map((e) => [e.stack, e]));
}
const own = estimate("own");
const shared = estimate("shared");
const servers = (e: StackEstimate) => e.lines.filter((l) => ["aws_rds_cluster_instance", "google_sql_database_instance", "azurerm_postgresql_flexible_server"].includes(l.resourceType) && /vcpu|vcore|acu|instance|compute/.test(l.component)).length;

test("the four services' databases share one server per environment, and each environment's idle cost drops", () => {
  for (const stack of Object.keys(shared)) {
    expect({ stack, cheaper: shared[stack].monthlyUsd < own[stack].monthlyUsd || stack === "dev-aws" }).toEqual({ stack, cheaper: true });
    expect({ stack, fewer: servers(shared[stack]) < servers(own[stack]) }).toEqual({ stack, fewer: true });
  }
  // dev-aws pauses at 0 ACU: its shared cluster costs what one paused cluster costs (the master secret, once).
  expect(shared["dev-aws"].monthlyUsd).toBeLessThan(own["dev-aws"].monthlyUsd);
  for (const stack of ["dev-azure", "staging-azure", "prod-azure"]) expect({ stack, servers: servers(shared[stack]) }).toEqual({ stack, servers: 1 });
});

const count = (e: StackEstimate, type: string) => new Set(e.lines.filter((l) => l.resourceType === type).map((l) => l.address)).size;

test("Azure: one API Management instance and one Service Bus namespace per environment for the four services", () => {
  for (const stack of ["dev-azure", "staging-azure", "prod-azure"]) {
    for (const e of [own[stack], shared[stack]]) {
      expect({ stack, apim: count(e, "azurerm_api_management"), namespaces: count(e, "azurerm_servicebus_namespace") }).toEqual({ stack, apim: 1, namespaces: 1 });
    }
  }
});

test("Azure: every sample environment stays under 50% of its budget at idle with the four services", () => {
  for (const stack of ["dev-azure", "staging-azure", "prod-azure"]) expect({ stack, under: shared[stack].budgetPercent! < 50 }).toEqual({ stack, under: true });
});

test("AWS: every sample environment stays under 50% of its budget at idle with the four services", () => {
  for (const stack of ["dev-aws", "staging-aws", "prod-aws"]) expect({ stack, under: shared[stack].budgetPercent! < 50 }).toEqual({ stack, under: true });
});

test("GCP: the aggregated alert conditions (one per measurement and threshold) cost the four services' environments 17 conditions, not 111", () => {
  const conditions = (e: StackEstimate) => e.lines.filter((l) => l.resourceType === "google_monitoring_alert_policy").reduce((n, l) => n + l.quantity, 0);
  for (const stack of ["dev-gcp", "staging-gcp", "prod-gcp"]) {
    expect({ stack, conditions: conditions(shared[stack]) }).toEqual({ stack, conditions: 17 });
    // $1.50 a condition (docs/cost.md): $25.50, where a condition per resource cost $166.50.
    expect({ stack, usd: shared[stack].lines.filter((l) => l.resourceType === "google_monitoring_alert_policy").reduce((n, l) => n + l.usd, 0) }).toEqual({ stack, usd: 25.5 });
  }
});

test("GCP: staging and prod stay under 50% of their budget at idle with the four services", () => {
  for (const stack of ["staging-gcp", "prod-gcp"]) expect({ stack, under: shared[stack].budgetPercent! < 50 }).toEqual({ stack, under: true });
});

// Not yet: dev-gcp (a load balancer, forwarding rules and a Cloud Armor policy per service gateway: the
// shared GCP front is not built) stays above half its budget (docs/cost.md, "Four services"). This test
// fails once it is under, and must then become a plain test.
test.failing("every sample environment stays under 50% of its budget at idle with the four services (dev-gcp's shared front missing)", () => {
  for (const e of Object.values(shared)) expect({ stack: e.stack, under: e.budgetPercent! < 50 }).toEqual({ stack: e.stack, under: true });
});

test("what is still over half the budget (so the failing test above fails for these reasons only)", () => {
  const over = Object.values(shared).filter((e) => e.budgetPercent! >= 50).map((e) => e.stack).sort();
  expect(over).toEqual(["dev-gcp"]);
});
