import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PRICE_TABLE, PriceTable, QUANTITY_FUNCTIONS, StackJson, USAGE_ONLY, UnpricedError, cloudSqlShape, estimateStack, memoryBytes } from "@polycloud/core";
import { environments } from "../fixtures/sample/environments";
import { checkBudgets, costReport, renderCostMarkdown as renderMarkdown, renderCostText as renderText } from "@polycloud/core";
import { polycloud } from "../helpers/cli";

/** Quantity functions on small fixtures, pricing rules, unpriced drivers, stale prices, the budget check. */
const NOW = new Date("2026-11-28T00:00:00Z");
const awsStack = (resource: Record<string, Record<string, any>>): StackJson => ({ provider: { aws: [{ region: "eu-west-1" }] }, resource });
const gcpStack = (resource: Record<string, Record<string, any>>): StackJson => ({ provider: { google: [{ region: "europe-west1" }] }, resource });
const azureStack = (resource: Record<string, Record<string, any>>): StackJson => ({ provider: { azurerm: [{}] }, resource: { azurerm_resource_group: { rg: { location: "westeurope" } }, ...resource } });
const usages = (json: StackJson, type: string) => QUANTITY_FUNCTIONS[type](Object.entries(json.resource?.[type] ?? {}), { json, cloud: "aws" });

describe("quantity functions", () => {
  const aurora = awsStack({
    aws_rds_cluster: { c: { serverlessv2_scaling_configuration: { min_capacity: 2, max_capacity: 8 }, manage_master_user_password: true } },
    aws_rds_cluster_instance: { i0: { instance_class: "db.serverless", cluster_identifier: "${aws_rds_cluster.c.id}" }, i1: { instance_class: "db.serverless", cluster_identifier: "${aws_rds_cluster.c.id}" } },
    aws_db_proxy: { p: {} },
    aws_db_proxy_target: { t: { db_proxy_name: "${aws_db_proxy.p.name}", db_cluster_identifier: "${aws_rds_cluster.c.cluster_identifier}" } },
  });

  test("Aurora Serverless v2: each instance bills its cluster's minimum ACU around the clock", () => {
    expect(usages(aurora, "aws_rds_cluster_instance").map((u) => [u.address, u.quantity, u.unit])).toEqual([["i0", 1460, "ACU-hour"], ["i1", 1460, "ACU-hour"]]);
    expect(usages(aurora, "aws_rds_cluster").map((u) => u.component)).toEqual(["managed-master-secret"]);
  });

  test("RDS Proxy: the target's ACUs over all its instances; the 8-ACU floor comes from the price", () => {
    expect(usages(aurora, "aws_db_proxy")[0].quantity).toBe(4 * 730);
    const e = estimateStack("x-aws", aurora, { now: NOW });
    expect(e.lines.find((l) => l.resourceType === "aws_db_proxy")!.usd).toBeCloseTo(8 * 730 * 0.018, 6);
  });

  test("a paused-capable cluster (min 0 ACU) costs nothing at idle", () => {
    const paused = awsStack({ aws_rds_cluster: { c: { serverlessv2_scaling_configuration: { min_capacity: 0, max_capacity: 4, seconds_until_auto_pause: 300 } } },
      aws_rds_cluster_instance: { i0: { instance_class: "db.serverless", cluster_identifier: "${aws_rds_cluster.c.id}" } } });
    expect(estimateStack("x-aws", paused, { now: NOW }).monthlyUsd).toBe(0);
  });

  test("interface endpoints bill per AZ; gateway endpoints are free", () => {
    const json = awsStack({ aws_vpc_endpoint: {
      sqs: { vpc_endpoint_type: "Interface", service_name: "com.amazonaws.eu-west-1.sqs", subnet_ids: ["a", "b", "c"] },
      s3: { vpc_endpoint_type: "Gateway", service_name: "com.amazonaws.eu-west-1.s3" },
    } });
    expect(usages(json, "aws_vpc_endpoint").map((u) => [u.address, u.quantity])).toEqual([["sqs", 3 * 730]]);
  });

  test("provisioned concurrency: executions × memory GB × seconds, matched on architecture", () => {
    const json = awsStack({ aws_lambda_function: { f: { memory_size: 1536, architectures: ["arm64"] } },
      aws_lambda_provisioned_concurrency_config: { w: { function_name: "${aws_lambda_function.f.function_name}", provisioned_concurrent_executions: 3 } } });
    const [u] = usages(json, "aws_lambda_provisioned_concurrency_config");
    expect([u.quantity, u.match]).toEqual([3 * 1.5 * 730 * 3600, { architecture: "arm64" }]);
  });

  test("alarms: one metric, or each `metric` of a metric-math alarm; the first 10 are free per account", () => {
    const json = awsStack({ aws_cloudwatch_metric_alarm: {
      plain: { metric_name: "Errors" },
      math: { metric_query: [{ id: "a", metric: [{}] }, { id: "b", metric: [{}] }, { id: "e", expression: "a/b", return_data: true }] },
    } });
    expect(usages(json, "aws_cloudwatch_metric_alarm").map((u) => u.quantity)).toEqual([1, 2]);
    expect(estimateStack("x-aws", json, { now: NOW }).monthlyUsd).toBe(0);
    const many = awsStack({ aws_cloudwatch_metric_alarm: Object.fromEntries(Array.from({ length: 13 }, (_, i) => [`a${i}`, {}])) });
    expect(estimateStack("x-aws", many, { now: NOW }).monthlyUsd).toBe(0.3);
  });

  test("Cloud SQL: edition × vCPU and memory of the tier × HA, disk (default 10 GB) × HA, managed pooling", () => {
    expect(cloudSqlShape("db-custom-2-7680")).toEqual({ vcpu: 2, memoryGb: 7.5 });
    expect(cloudSqlShape("db-perf-optimized-N-4")).toEqual({ vcpu: 4, memoryGb: 32 });
    expect(cloudSqlShape("db-g1-small")).toBeUndefined();
    const json = gcpStack({ google_sql_database_instance: { db: { settings: [{ tier: "db-perf-optimized-N-2", edition: "ENTERPRISE_PLUS", availability_type: "REGIONAL", disk_type: "PD_SSD",
      connection_pool_config: [{ connection_pooling_enabled: true }] }] } } });
    expect(usages(json, "google_sql_database_instance").map((u) => [u.component, u.quantity, u.match])).toEqual([
      ["vcpu", 2 * 730 * 2, { edition: "ENTERPRISE_PLUS" }], ["memory", 16 * 730 * 2, { edition: "ENTERPRISE_PLUS" }], ["storage", 20, { disk_type: "PD_SSD" }],
      ["data-cache", 375 * 2, undefined], ["managed-pooling", 1, undefined],
    ]);
    const shared = gcpStack({ google_sql_database_instance: { db: { settings: [{ tier: "db-g1-small", edition: "ENTERPRISE", availability_type: "ZONAL", disk_size: 20 }] } } });
    expect(usages(shared, "google_sql_database_instance").map((u) => [u.component, u.quantity, u.match])).toEqual([["instance", 730, { tier: "db-g1-small" }], ["storage", 20, { disk_type: "PD_SSD" }]]);
  });

  test("Cloud SQL Enterprise Plus data cache: on by default (data_cache_config unset), its tier's fixed size × HA is priced; off when disabled; an unknown size stops the estimate", () => {
    const ep = (cache?: boolean, tier = "db-perf-optimized-N-8", ha = "ZONAL") => gcpStack({ google_sql_database_instance: { db: { settings: [{ tier, edition: "ENTERPRISE_PLUS", availability_type: ha,
      ...(cache === undefined ? {} : { data_cache_config: [{ data_cache_enabled: cache }] }) }] } } });
    const cache = (json: StackJson) => usages(json, "google_sql_database_instance").filter((u) => u.component === "data-cache").map((u) => [u.quantity, u.detail]);
    expect(cache(ep())).toEqual([[375, "db-perf-optimized-N-8: 375 GiB data cache (on by default)"]]);
    expect(cache(ep(true, "db-perf-optimized-N-16", "REGIONAL"))).toEqual([[1500, "db-perf-optimized-N-16: 750 GiB data cache × 2 (REGIONAL)"]]);
    expect(cache(ep(false))).toEqual([]);
    // Enterprise has no data cache.
    expect(cache(gcpStack({ google_sql_database_instance: { db: { settings: [{ tier: "db-custom-2-7680", edition: "ENTERPRISE" }] } } }))).toEqual([]);
    expect(() => usages(ep(undefined, "db-perf-optimized-N-128"), "google_sql_database_instance")).toThrow(/data cache size of tier db-perf-optimized-N-128 is not known; add it to DATA_CACHE_GIB or set data_cache_config\.data_cache_enabled/);
    const e = estimateStack("staging-gcp", ep(), { now: NOW });
    expect(e.lines.find((l) => l.component === "data-cache")!.usd).toBeCloseTo(375 * 0.16, 6);
  });

  test("forwarding rules: one charge for the first five, then one per rule", () => {
    const json = gcpStack({ google_compute_global_forwarding_rule: Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`r${i}`, {}])) });
    expect(usages(json, "google_compute_global_forwarding_rule").map((u) => u.component)).toEqual(["first-5-rules", "additional-rule", "additional-rule"]);
    expect(estimateStack("x-gcp", json, { now: NOW }).monthlyUsd).toBe(18.25 + 2 * 7.3);
  });

  test("VPC connector (provider default 2 × e2-micro), Cloud Armor policy and rules, alert conditions", () => {
    const json = gcpStack({
      google_vpc_access_connector: { c: {} },
      google_compute_security_policy: { p: { type: "CLOUD_ARMOR", rule: [{}, {}, {}] } },
      google_monitoring_alert_policy: { a: { conditions: [{}, {}] }, b: { conditions: [{}] } },
    });
    expect(usages(json, "google_vpc_access_connector")[0]).toMatchObject({ quantity: 1460, match: { machine_type: "e2-micro" } });
    expect(usages(json, "google_compute_security_policy").map((u) => u.quantity)).toEqual([1, 3]);
    expect(usages(json, "google_monitoring_alert_policy").map((u) => u.quantity)).toEqual([2, 1]);
  });

  test("function minimum instances: idle vCPU and GiB seconds (M = 10^6 bytes, Mi = 2^20)", () => {
    expect(memoryBytes("1024M")).toBe(1.024e9);
    expect(memoryBytes("512Mi")).toBe(512 * 2 ** 20);
    expect(() => memoryBytes("lots")).toThrow(/memory value "lots"/);
    const json = gcpStack({ google_cloudfunctions2_function: {
      warm: { service_config: [{ min_instance_count: 2, available_memory: "1Gi", available_cpu: "1" }] },
      cold: { service_config: [{ min_instance_count: 0, available_memory: "256M", available_cpu: "0.333" }] },
    } });
    expect(usages(json, "google_cloudfunctions2_function").map((u) => [u.address, u.component, u.quantity])).toEqual([["warm", "idle-vcpu", 2 * 730 * 3600], ["warm", "idle-memory", 2 * 730 * 3600]]);
  });

  test("Azure PostgreSQL: burstable per server-hour, General Purpose per vCore-hour; HA doubles compute and storage", () => {
    const json = azureStack({ azurerm_postgresql_flexible_server: {
      b: { sku_name: "B_Standard_B1ms", storage_mb: 65536 },
      gp: { sku_name: "GP_Standard_D4ds_v5", storage_mb: 32768, high_availability: { mode: "ZoneRedundant" } },
    } });
    expect(usages(json, "azurerm_postgresql_flexible_server").map((u) => [u.address, u.component, u.quantity, u.match])).toEqual([
      ["b", "compute", 730, { sku_name: "B_Standard_B1ms" }], ["b", "storage", 64, undefined],
      ["gp", "vcore", 4 * 730 * 2, { family: "Ddsv5" }], ["gp", "storage", 64, undefined],
    ]);
  });

  test("APIM SKU × units, Service Bus tier, always-ready instances, private endpoints, DNS zones, metric alert series", () => {
    const json = azureStack({
      azurerm_api_management: { a: { sku_name: "StandardV2_2" }, c: { sku_name: "Consumption_0" } },
      azurerm_servicebus_namespace: { s: { sku: "Standard" }, p: { sku: "Premium", capacity: 2 } },
      azurerm_function_app_flex_consumption: { f: { instance_memory_in_mb: 4096, always_ready: [{ name: "http", instance_count: 1 }, { name: "function:x", instance_count: 2 }] } },
      azurerm_private_endpoint: { e: {} }, azurerm_private_dns_zone: { z: {} },
      azurerm_monitor_metric_alert: { m: { criteria: [{}, {}] }, d: { dynamic_criteria: [{}] } },
    });
    expect(usages(json, "azurerm_api_management").map((u) => [u.component, u.quantity, u.match])).toEqual([["unit", 1460, { tier: "StandardV2" }], ["base", 1, { tier: "Consumption" }]]);
    expect(usages(json, "azurerm_servicebus_namespace").map((u) => [u.component, u.quantity])).toEqual([["base", 1], ["messaging-unit", 2]]);
    expect(usages(json, "azurerm_function_app_flex_consumption")[0].quantity).toBe(3 * 4 * 730 * 3600);
    expect(usages(json, "azurerm_monitor_metric_alert").map((u) => u.quantity)).toEqual([2, 1]);
    const e = estimateStack("x-azure", json, { now: NOW });
    // 2 × 730 × 0.96 + 0 + 9.81 + 2 × 677.08 + 12 GB × 2,628,000 s × 0.000004 + 7.30 + 0.50 + 3 × 0.10
    expect(e.monthlyUsd).toBe(Math.round((1401.6 + 9.81 + 1354.16 + 126.144 + 7.3 + 0.5 + 0.3) * 100) / 100);
  });
});

describe("a cost driver without a price stops the estimate", () => {
  test("a SKU with no entry is named, with its stack, address, component and attributes", () => {
    const json = azureStack({ azurerm_postgresql_flexible_server: { db: { sku_name: "GP_Standard_D4ads_v5", storage_mb: 32768 } } });
    expect(() => estimateStack("dev-azure", json, { now: NOW })).toThrow(UnpricedError);
    expect(() => estimateStack("dev-azure", json, { now: NOW })).toThrow(/dev-azure: azurerm_postgresql_flexible_server\.db vcore \(vCPU-hour, family=Dadsv5\) in westeurope/);
  });

  test("a region the table does not cover is unpriced, not priced from another region", () => {
    const json: StackJson = { provider: { aws: [{ region: "us-east-1" }] }, resource: { aws_vpc_endpoint: { e: { vpc_endpoint_type: "Interface", subnet_ids: ["a"] } } } };
    expect(() => estimateStack("dev-aws", json, { now: NOW })).toThrow(/aws_vpc_endpoint\.e interface-endpoint-az \(hour\) in us-east-1/);
  });

  test("a resource type that is neither priced nor known to be usage-only is named", () => {
    const json = awsStack({ aws_nat_gateway: { nat: {} }, aws_kms_key: { k: {} } });
    expect(() => estimateStack("dev-aws", json, { now: NOW })).toThrow(/dev-aws: resource type aws_nat_gateway \(1×\) is neither priced nor known to bill by use only/);
  });

  test("no type is both priced and usage-only", () => {
    expect(Object.keys(QUANTITY_FUNCTIONS).filter((t) => USAGE_ONLY.has(t))).toEqual([]);
  });
});

describe("dated prices", () => {
  test("a price more than 12 months old warns, naming the entry and its source; a fresh one does not", () => {
    const table: PriceTable = { ...PRICE_TABLE, prices: PRICE_TABLE.prices.map((p) => (p.resourceType === "aws_kms_key" ? { ...p, date: "2025-11-27" } : p.resourceType === "aws_secretsmanager_secret" ? { ...p, date: "2025-11-29" } : p)) };
    const json = awsStack({ aws_kms_key: { k: {} }, aws_secretsmanager_secret: { s: {} } });
    const e = estimateStack("dev-aws", json, { now: NOW, table });
    expect(e.warnings).toEqual(["price of aws_kms_key key is dated 2025-11-27, more than 12 months before 2026-11-28; re-source it from https://aws.amazon.com/kms/pricing/"]);
  });

  test("a price read from another region warns on every estimate that uses it, naming both regions", () => {
    const json = awsStack({ aws_db_proxy: { p: {} } });
    expect(estimateStack("staging-aws", json, { now: NOW }).warnings).toEqual([
      "price of aws_db_proxy serverless-v2-acu in eu-west-1 is eu-west-2's figure; re-source it for eu-west-1 from https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonRDS/current/eu-west-2/index.json",
    ]);
    // Secrets are billed the same everywhere: a global price, no warning.
    expect(estimateStack("staging-aws", awsStack({ aws_secretsmanager_secret: { s: {} } }), { now: NOW }).warnings).toEqual([]);
  });

  test("CloudWatch alarm metrics are eu-west-1's own list price (AWS Price List, EU-CW:AlarmMonitorUsage): no other region's figure, no warning", () => {
    const many = awsStack({ aws_cloudwatch_metric_alarm: Object.fromEntries(Array.from({ length: 13 }, (_, i) => [`a${i}`, {}])) });
    const e = estimateStack("staging-aws", many, { now: NOW });
    expect(e.warnings).toEqual([]);
    expect(e.lines.map((l) => [l.price.confidence, l.price.region, l.price.sourceRegion, l.price.url])).toEqual(Array(14).fill(
      ["official-region", "eu-west-1", undefined, "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonCloudWatch/current/eu-west-1/index.json"]));
  });

  test("sources are the clouds' own pages and price APIs; a figure read from a public snapshot of one names its SKU and the snapshot", () => {
    const own = /^https:\/\/(aws\.amazon\.com|pricing\.us-east-1\.amazonaws\.com|cloud\.google\.com|cloudbilling\.googleapis\.com|azure\.microsoft\.com|prices\.azure\.com)\//;
    expect(PRICE_TABLE.prices.filter((p) => !own.test(p.source.url)).map((p) => `${p.resourceType} ${p.component} ${p.source.url}`)).toEqual([]);
    for (const p of PRICE_TABLE.prices.filter((x) => x.via)) {
      expect([p.resourceType, p.sku, p.via]).toEqual([p.resourceType, expect.stringMatching(/\S/), expect.stringMatching(/@[0-9a-f]{7,}.*|\d{4}-\d\d-\d\d/)]);
    }
    // Another region's figure says which SKU of this region replaces it.
    for (const p of PRICE_TABLE.prices.filter((x) => x.confidence === "nearest-region")) expect([p.resourceType, p.component, p.sku]).toEqual([p.resourceType, p.component, expect.stringMatching(/\S/)]);
  });

  test("every entry carries a source URL, an ISO date, a confidence and a positive or explicitly zero price", () => {
    for (const p of PRICE_TABLE.prices) {
      expect(p.source.url).toMatch(/^https:\/\//);
      expect(p.date).toMatch(/^20\d\d-\d\d-\d\d$/);
      expect(["official-region", "nearest-region", "secondary", "assumed"]).toContain(p.confidence);
      expect(p.usd).toBeGreaterThanOrEqual(0);
      if (p.usd === 0 || p.confidence === "assumed") expect(p.note).toBeTruthy();
    }
  });
});

describe("budget check and reports", () => {
  const at = (stack: string, percent: number) => ({ stack, cloud: stack.split("-")[1] as any, region: "r", monthlyUsd: percent * 2, lines: [], warnings: [], budget: { amount: 200, currency: "USD" }, budgetPercent: percent });

  test("over 50% warns, over 100% fails, unless the environment accepts it with a reason", () => {
    const r = checkBudgets(costReport([at("dev-aws", 101.3), at("dev-gcp", 57.6), at("dev-azure", 13.9)]), environments);
    expect(r.errors).toEqual([expect.stringMatching(/^dev-aws: idle baseline \$202\.60 is 101\.3% of its \$200\.00 budget, over 100% .*budget\.acceptIdleOverBudget\.aws/)]);
    expect(r.warnings).toEqual([expect.stringMatching(/^dev-gcp: .* 57\.6% .* over 50%/)]);
    const accepting = environments.map((e) => (e.name === "dev" ? { ...e, budget: { ...e.budget, acceptIdleOverBudget: { aws: "proxy floor accepted until the dev database path lands" } } } : e));
    const ok = checkBudgets(costReport([at("dev-aws", 101.3)]), accepting);
    expect(ok.errors).toEqual([]);
    expect(ok.warnings).toEqual([expect.stringMatching(/accepted by environments\/dev: proxy floor accepted/)]);
  });

  test("with partitioning by service, the shared stack's budget covers the service stacks: baselines are summed per environment × cloud", () => {
    const shared = { ...at("dev-aws-shared", 10), monthlyUsd: 20 };
    const svc = { ...at("dev-aws-orders", 0), monthlyUsd: 90, budget: undefined, budgetPercent: undefined };
    expect(checkBudgets(costReport([shared, svc]), environments).warnings).toEqual([expect.stringMatching(/^dev-aws: idle baseline \$110\.00 is 55\.0% of its \$200\.00 budget/)]);
    expect(checkBudgets(costReport([svc]), environments).errors).toEqual([expect.stringMatching(/^dev-aws: no budget resource/)]);
  });

  test("the PR markdown shows each given stack's baseline, share and change against the base", () => {
    const head = costReport([at("dev-aws", 20), at("dev-gcp", 57.6)]);
    const base = costReport([at("dev-aws", 101.3)]);
    const md = renderMarkdown(head, base, ["dev-aws", "dev-gcp"]);
    expect(md).toContain("| dev-aws | $40.00 | $200.00 | 20.0% | −$162.60 (from $202.60) |");
    expect(md).toContain("| dev-gcp | $115.20 | $200.00 | **57.6%** ⚠ | new stack |");
    expect(renderMarkdown(head, undefined, ["dev-aws"])).toMatch(/No estimate of the base branch[\s\S]*\| dev-aws \| \$40\.00 \| \$200\.00 \| 20\.0% \| — \|/);
    expect(renderText(head)).toContain("dev-aws (aws, r): $40.00 a month of a $200.00 budget = 20.0%");
  });

  test("every report shows the budget scope, each cloud's share and the environment total against the environment's budget", () => {
    const stacks = [at("dev-aws", 15), at("dev-gcp", 40), at("dev-azure", 10)];
    const perCloud = costReport(stacks, environments);
    expect(perCloud.environments).toEqual([{
      environment: "dev", scope: "per-cloud", amount: 200, currency: "USD", budgetTotal: 600, monthlyUsd: 130, percent: 21.7,
      clouds: [{ cloud: "aws", monthlyUsd: 30, budget: 200, percent: 15 }, { cloud: "gcp", monthlyUsd: 80, budget: 200, percent: 40 }, { cloud: "azure", monthlyUsd: 20, budget: 200, percent: 10 }],
    }]);
    expect(renderText(perCloud)).toContain([
      "dev (scope per-cloud: each cloud's budget is the full $200.00, so up to $600.00 for the 3 clouds)",
      "  aws        $30.00 of $200.00 = 15.0%",
      "  gcp        $80.00 of $200.00 = 40.0%",
      "  azure      $20.00 of $200.00 = 10.0%",
      "  total     $130.00 of $600.00 = 21.7% (65.0% of one $200.00 amount)",
    ].join("\n"));
    const split = environments.map((e) => (e.name === "dev" ? { ...e, budget: { ...e.budget, scope: "split" as const, shares: { aws: 50, gcp: 30, azure: 20 } } } : e));
    const r = costReport(stacks, split);
    expect(r.environments![0]).toMatchObject({ scope: "split", budgetTotal: 200, monthlyUsd: 130, percent: 65, clouds: [{ cloud: "aws", budget: 100, sharePercent: 50, percent: 30 }, { cloud: "gcp", budget: 60, sharePercent: 30, percent: 133.3 }, { cloud: "azure", budget: 40, sharePercent: 20, percent: 50 }] });
    expect(renderText(r)).toContain("dev (scope split: $200.00 divided aws 50% / gcp 30% / azure 20%)\n  aws        $30.00 of $100.00 (50%) = 30.0%");
    expect(renderText(r)).toContain("  total     $130.00 of $200.00 = 65.0%\n");
    const md = renderMarkdown(r, undefined, ["dev-aws"]);
    expect(md).toContain("| Environment | Budget scope | AWS | GCP | Azure | Total | Environment budget |");
    expect(md).toContain("| dev | split 50%/30%/20% | $30.00 of $100.00 (30.0%) | $80.00 of $60.00 (**133.3%** ⛔) | $20.00 of $40.00 (50.0%) | $130.00 | $200.00 (**65.0%** ⚠) |");
  });

  test("the PR summary shows what each added service costs at idle, and the others' change", () => {
    const line = (owner: string | undefined, usd: number) => ({ resourceType: "t", address: `${owner ?? "x"}_r`, component: "c", quantity: 1, unit: "month" as const, detail: "", owner, usd, unitPrice: usd, price: { confidence: "secondary" as const, date: "2026-11-28", region: "r", url: "https://x" } });
    const stack = (name: string, lines: ReturnType<typeof line>[]) => ({ ...at(name, 0), lines, monthlyUsd: lines.reduce((n, l) => n + l.usd, 0) });
    const base = costReport([stack("dev-aws", [line("foundation", 30), line("orders", 2)]), stack("dev-gcp", [line("orders", 60), line("budget", 0)])], environments);
    const head = costReport([stack("dev-aws", [line("foundation", 30), line("orders", 2), line("shopcart", 2.1)]), stack("dev-gcp", [line("orders", 61), line("shopcart", 59.75), line(undefined, 14)])], environments);
    expect(head.services).toEqual([
      { environment: "dev", service: "(environment)", monthlyUsd: 44, byStack: { "dev-aws": 30, "dev-gcp": 14 } },
      { environment: "dev", service: "orders", monthlyUsd: 63, byStack: { "dev-aws": 2, "dev-gcp": 61 } },
      { environment: "dev", service: "shopcart", monthlyUsd: 61.85, byStack: { "dev-aws": 2.1, "dev-gcp": 59.75 } },
    ]);
    const md = renderMarkdown(head, base);
    expect(md).toContain("**Added services** (idle cost before any traffic; shared environment resources are under (environment)):\n\n- `shopcart` in dev: **$61.85** a month (dev-aws $2.10, dev-gcp $59.75)");
    expect(md).toContain("| dev | shopcart | $61.85 | dev-aws $2.10, dev-gcp $59.75 | new service |");
    expect(md).toContain("| dev | orders | $63.00 | dev-aws $2.00, dev-gcp $61.00 | +$1.00 |");
    // A removed service is shown too; without a base, nothing is called added.
    expect(renderMarkdown(base, head)).toContain("| dev | shopcart | — | — | removed (−$61.85) |");
    expect(renderMarkdown(head)).not.toContain("Added services");
  });

  test("polycloud plan summary --cost appends the baselines of the planned stacks only, with the change against the base", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cost-summary-"));
    try {
      const file = path.join(dir, "cost.json");
      fs.writeFileSync(file, JSON.stringify({ ...costReport([at("prod-aws", 11.7), at("staging-azure", 37.3), at("dev-gcp", 45.8)]), base: costReport([at("prod-aws", 11.7), at("staging-azure", 53.6)]) }));
      const { code, stdout: md } = await polycloud(["plan", "summary", "--cost", file, path.join(__dirname, "..", "gitops", "fixtures", "plans")]);
      expect(code).toBe(0);
      expect(md).toMatch(/### Idle monthly baseline[\s\S]*\| prod-aws \| \$23\.40 \| \$200\.00 \| 11\.7% \| ±\$0\.00 \|\n\| staging-azure \| \$74\.60 \| \$200\.00 \| 37\.3% \| −\$32\.60 \(from \$107\.20\) \|/);
      expect(md).not.toContain("dev-gcp");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
