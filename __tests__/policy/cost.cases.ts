import * as fs from "node:fs";
import { EnvironmentConfig, PRICE_TABLE, StackJson, estimateAll } from "@polycloud/core";
import { environments } from "../fixtures/sample/environments";
import { checkBudgets, costReport } from "@polycloud/core";
import { allStacks } from "../helpers/all-stacks";
import { envByName, only, synthPlatform } from "../helpers/synth";

/**
 * Idle baseline of the nine reference stacks against totals worked out by hand from the price
 * table (docs/cost.md shows the same lines). Shares the synthesis of all-stacks.test.ts.
 */
const H = 730;
const S = H * 3600;
const HAND: Record<string, number> = {
  // 2 interface endpoints (events, secretsmanager) × 2 AZ; KMS key; 2 secrets; 18 one-metric alarms (incl. the direct
  // path's connection saturation, the cluster CPU and the migration step function's 3; no async-DLQ alarms: no function
  // is invoked asynchronously) − 10 free; Aurora paused at 0 ACU, no proxy.
  "dev-aws": 2 * 2 * H * 0.01 + 1 + 2 * 0.4 + (18 - 10) * 0.1,
  // Aurora 1 ACU; proxy floor 8 ACU; endpoints; KMS; secrets; 18 + 2 alarm metrics − 10 free.
  "staging-aws": 1 * H * 0.14 + 8 * H * 0.018 + 2 * 2 * H * 0.01 + 1 + 0.8 + (20 - 10) * 0.1,
  // 2 instances × 2 ACU; proxy max(8, 4) ACU; endpoints; provisioned concurrency 2 × 1 GB (x86 rate); KMS; secrets; alarms.
  "prod-aws": 2 * 2 * H * 0.14 + 8 * H * 0.018 + 2 * 2 * H * 0.01 + 2 * 1 * S * 0.000004646 + 1 + 0.8 + (20 - 10) * 0.1,
  // db-g1-small; 10 GB SSD; 14 aggregated alert conditions, one per measurement and threshold (function 5xx, 429 and p99 latency at
  // 3 timeouts; load balancer 5xx and p99; subscription age, failed pushes, dead-lettered; dead letters waiting; Cloud SQL backends,
  // CPU and disk; modules/gcp/src/alert-conditions.ts; 21 with a condition per resource); forwarding rules (≤ 5: one charge); 2 × e2-micro connector; Armor policy + 2 rules;
  // KMS key version; one secret version in one location.
  "dev-gcp": H * 0.035 + 10 * 0.17 + 14 * 1.5 + H * 0.025 + 2 * H * 0.0092144 + 5 + 2 + 0.06 + 0.06,
  // Enterprise Plus N-2 (2 vCPU, 16 GB) with its 375 GiB data cache (on by default), pooling at 0; then as dev.
  "staging-gcp": 2 * H * 0.0537 + 16 * H * 0.0091 + 375 * 0.16 + 10 * 0.17 + 14 * 1.5 + H * 0.025 + 2 * H * 0.0092144 + 5 + 2 + 0.06 + 0.06,
  // N-8 (8 vCPU, 64 GB, 375 GiB data cache) REGIONAL ×2 incl. disk; api keeps 2 warm instances (0.583 vCPU, 1024Mi = 1 GiB) at idle rates.
  "prod-gcp": 2 * (8 * H * 0.0537 + 64 * H * 0.0091 + 375 * 0.16 + 10 * 0.17) + 14 * 1.5 + H * 0.025 + 2 * H * 0.0092144 + 5 + 2 + 0.06 + 0.06
    + 2 * 0.583 * S * 0.0000025 + 2 * 1 * S * 0.0000025,
  // B1ms; 32 GiB; Service Bus Standard; APIM Consumption 0; DNS zone; 15 single-series alerts (incl. the storage alert;
  // no Http429 alert on the worker or the migration step, whose app adds failures and duration) and the worker's
  // failures as one log search alert (issue 28.12).
  "dev-azure": H * 0.017 + 32 * 0.115 + 9.81 + 0 + 0.5 + 15 * 0.1 + 1.5,
  // D2ds_v5 (2 vCores); 32 GiB; APIM Basic v2 × 1; Service Bus Standard; DNS zone; 16 alerts and one log alert.
  "staging-azure": 2 * H * 0.089 + 32 * 0.115 + H * 0.21 + 9.81 + 0.5 + 16 * 0.1 + 1.5,
  // D8ds_v5 ZoneRedundant ×2 incl. storage; APIM Standard v2; Premium 1 MU; 2 always-ready × 2 GB; private endpoint; 2 DNS zones; 16 alerts and one log alert.
  "prod-azure": 2 * (8 * H * 0.089 + 32 * 0.115) + H * 0.96 + 677.08 + 2 * 2 * S * 0.000004 + H * 0.01 + 2 * 0.5 + 16 * 0.1 + 1.5,
};

describe("idle cost of the reference stacks", () => {
  const estimates = estimateAll(allStacks() as Record<string, StackJson>, { now: new Date("2026-11-28T00:00:00Z") });

  test("every stack is priced (no unpriced driver) and matches the hand-worked total to the cent", () => {
    expect(Object.fromEntries(estimates.map((e) => [e.stack, e.monthlyUsd]))).toEqual(
      Object.fromEntries(Object.entries(HAND).map(([k, v]) => [k, Math.round(v * 100) / 100])));
  });

  test("each stack's budget is read from its own budget resource (scope per-cloud: the full amount)", () => {
    for (const e of estimates) {
      const env = environments.find((x) => x.name === e.stack.split("-")[0])!;
      expect(e.budget).toEqual({ amount: env.budget.monthlyAmount, currency: "USD" });
    }
  });

  test("npm run check passes: no stack above 100% of its budget, none above 50% either", () => {
    const r = checkBudgets(costReport(estimates), environments);
    expect(r.errors).toEqual([]);
    expect(r.warnings.filter((w) => /of its .* budget/.test(w))).toEqual([]);
    expect(Math.max(...estimates.map((e) => e.budgetPercent!))).toBeLessThan(50);
  });

  test("docs/cost.md lists every price the sample stacks use that is not the cloud's own figure for the deployed region, with its confidence; no other", () => {
    const section = fs.readFileSync("docs/cost.md", "utf8").split("\n### Still to re-source")[1]?.split("\n#")[0] ?? "";
    const key = (t: string, c: string, m?: Record<string, unknown>) => `${t} ${c}${m ? ` (${Object.entries(m).map(([k, v]) => `${k}=${v}`).join(", ")})` : ""}`;
    const open = new Map<string, string>();
    for (const e of estimates) {
      for (const l of e.lines) if (l.price.confidence !== "official-region") open.set(key(l.resourceType, l.component, l.match), `${l.price.region === "global" ? "global" : e.region} | ${l.price.confidence}`);
    }
    const rows = new Map(section.split("\n").filter((r) => r.startsWith("| `")).map((r) => {
      const cells = r.split("|").map((c) => c.trim());
      return [cells[1].replace(/`/g, ""), `${cells[2]} | ${cells[3]}`] as const;
    }));
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(open));
  });

  test("docs/cost.md records each stack's current baseline and share, with the price table's date", () => {
    const doc = fs.readFileSync("docs/cost.md", "utf8");
    expect(doc).toContain(`price table of ${PRICE_TABLE.asOf}`);
    const money = (n: number) => `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
    for (const e of estimates) {
      const row = doc.split("\n").find((l) => l.startsWith(`| ${e.stack} |`));
      expect(row?.split("|").slice(4, 6).map((c) => c.trim())).toEqual([money(e.monthlyUsd), `${e.budgetPercent!.toFixed(1)}%`]);
    }
  });
});

test("budget scope split: each cloud's generated budget is its share of the environment amount, rounded down to the cent", () => {
  const split = JSON.parse(JSON.stringify(envByName("dev")));
  split.budget = { ...split.budget, monthlyAmount: 200, scope: "split", shares: { aws: 50, gcp: 33.33, azure: 16.67 } };
  const env = split as EnvironmentConfig;
  expect(only(synthPlatform(env, undefined, "aws").json, "aws_budgets_budget").limit_amount).toBe("100");
  expect(only(synthPlatform(env, undefined, "gcp").json, "google_billing_budget").amount.specified_amount).toEqual({ currency_code: "USD", units: "66", nanos: 660_000_000 });
  expect(only(synthPlatform(env, undefined, "azure").json, "azurerm_consumption_budget_resource_group").amount).toBe(33.34);
});
