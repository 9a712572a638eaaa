import { Cloud, EnvironmentConfig, cloudBudgetAmount, unitsAndNanos, validateEnvironment } from "@polycloud/core";
import { environments } from "../fixtures/sample/environments";

/**
 * The budget's scope is explicit in the environment (core only, no synthesis; the generated budgets
 * of a split environment are checked in __tests__/policy/cost.cases.ts).
 */
type Mut<T> = { -readonly [K in keyof T]: Mut<T[K]> };
const envByName = (name: string) => environments.find((e) => e.name === name)!;
const dev = envByName("dev");
const env = (mutate: (e: Mut<EnvironmentConfig>) => void) => { const e = JSON.parse(JSON.stringify(dev)) as Mut<EnvironmentConfig>; mutate(e); return e as EnvironmentConfig; };
const messages = (e: EnvironmentConfig) => validateEnvironment(e).all.map((p) => `${p.property}: ${JSON.stringify(p.value)} (${p.allowed})`);
const split = env((e) => { e.budget.monthlyAmount = 200; e.budget.scope = "split"; e.budget.shares = { aws: 50, gcp: 33.33, azure: 16.67 }; });

test("every sample environment declares its budget scope", () => {
  for (const name of ["dev", "staging", "prod"]) expect(["per-cloud", "split"]).toContain(envByName(name).budget.scope);
});

test("per-cloud: every cloud's budget is the full amount", () => {
  for (const c of ["aws", "gcp", "azure"] as Cloud[]) expect(cloudBudgetAmount(dev, c)).toBe(dev.budget.monthlyAmount);
});

test("split: shares of the environment amount, rounded down to the cent, never more than the amount together", () => {
  expect(["aws", "gcp", "azure"].map((c) => cloudBudgetAmount(split, c as Cloud))).toEqual([100, 66.66, 33.34]);
  const thirds = env((e) => { e.budget.monthlyAmount = 100; e.budget.scope = "split"; e.budget.shares = { aws: 100 / 3, gcp: 100 / 3, azure: 100 / 3 }; });
  const parts = ["aws", "gcp", "azure"].map((c) => cloudBudgetAmount(thirds, c as Cloud));
  expect(parts).toEqual([33.33, 33.33, 33.33]);
  expect(parts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(100);
  expect(unitsAndNanos(66.66)).toEqual({ units: "66", nanos: 660_000_000 });
  expect(unitsAndNanos(200)).toEqual({ units: "200", nanos: 0 });
});

test.each<[string, (e: Mut<EnvironmentConfig>) => void, RegExp]>([
  ["a missing scope", (e) => { delete (e.budget as any).scope; }, /^budget\.scope: undefined \(one of "per-cloud", "split"/],
  ["an unknown scope", (e) => { (e.budget as any).scope = "environment"; }, /^budget\.scope: "environment" \(one of "per-cloud", "split"\)/],
  ["shares that do not sum to 100", (e) => { e.budget.scope = "split"; e.budget.shares = { aws: 50, gcp: 30, azure: 30 }; }, /^budget\.shares: 110 \(shares of the enabled clouds summing to exactly 100/],
  ["a cloud without a share", (e) => { e.budget.scope = "split"; e.budget.shares = { aws: 50, gcp: 50 }; }, /^budget\.shares\.azure: undefined \(a percentage in \(0, 100\]/],
  ["a share for a cloud the environment does not use", (e) => { delete e.clouds.azure; e.budget.scope = "split"; e.budget.shares = { aws: 50, gcp: 40, azure: 10 }; }, /^budget\.shares\.azure: 10 \(a share only for an enabled cloud \(aws, gcp\)\)/],
  ["a share too small for a positive budget", (e) => { e.budget.monthlyAmount = 10; e.budget.scope = "split"; e.budget.shares = { aws: 95, gcp: 4.5, azure: 0.5 }; }, /^budget\.shares\.azure: 0\.5 \(a share giving at least 1\.00 of 10/],
  ["shares with scope per-cloud", (e) => { e.budget.shares = { aws: 100 }; }, /^budget\.shares: \{"aws":100\} \(no shares with scope "per-cloud"/],
  ["an acceptance without a real reason", (e) => { e.budget.acceptIdleOverBudget = { aws: "ok" }; }, /^budget\.acceptIdleOverBudget\.aws: "ok" \(a reason of at least 20 characters/],
])("rejects %s", (_, mutate, pattern) => {
  expect(messages(env(mutate))).toEqual(expect.arrayContaining([expect.stringMatching(pattern)]));
});

test("a valid split passes", () => {
  expect(messages(split)).toEqual([]);
});
