import { App, Testing } from "cdktf";
import { EnvironmentConfig, ServiceSpec, StackEstimate, StackJson, estimateAll } from "@polycloud/core";
import { buildStacks } from "@polycloud/stacks";
import { fourServices } from "../fixtures/ported/four-services";

/**
 * The shared tier's cost impact, measured with the estimator on the four-service fixture in the
 * sample environments (docs/cost.md, "Four services"): each service database on its own server
 * (databases.<id>.server: "own", the default, what every environment had before the shared tier)
 * against the shared server (`server: "shared"`). Azure keeps a server per database in this release.
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

test("AWS and GCP: the four services' databases share one server per environment, and each environment's idle cost drops", () => {
  for (const stack of Object.keys(shared).filter((s) => !s.endsWith("-azure"))) {
    expect({ stack, cheaper: shared[stack].monthlyUsd < own[stack].monthlyUsd || stack === "dev-aws" }).toEqual({ stack, cheaper: true });
    expect({ stack, fewer: servers(shared[stack]) < servers(own[stack]) }).toEqual({ stack, fewer: true });
  }
  // dev-aws pauses at 0 ACU: its shared cluster costs what one paused cluster costs (the master secret, once).
  expect(shared["dev-aws"].monthlyUsd).toBeLessThan(own["dev-aws"].monthlyUsd);
  // Azure keeps a server per database (not shared in this release): the option changes nothing there.
  for (const stack of ["dev-azure", "staging-azure", "prod-azure"]) expect(shared[stack].monthlyUsd).toBe(own[stack].monthlyUsd);
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

// Not yet: dev-gcp (a load balancer and a Cloud Armor policy per service gateway: the shared GCP front is
// not built) and Azure's per-service API Management, PostgreSQL and Service Bus keep these above half
// the budget (docs/cost.md, "Four services"). This test fails once they are all under, and must then become a plain test.
test.failing("every sample environment stays under 50% of its budget at idle with the four services (dev-gcp's front and Azure's shared tier missing)", () => {
  for (const e of Object.values(shared)) expect({ stack: e.stack, under: e.budgetPercent! < 50 }).toEqual({ stack: e.stack, under: true });
});

test("what is still over half the budget (so the failing test above fails for these reasons only)", () => {
  const over = Object.values(shared).filter((e) => e.budgetPercent! >= 50).map((e) => e.stack).sort();
  expect(over.filter((s) => !s.endsWith("-azure"))).toEqual(["dev-gcp"]);
});
