/**
 * The budget each cloud's stack receives, following the environment's declared scope: the full
 * amount per cloud, or the environment's amount split by declared shares (rounded down to the cent,
 * so the clouds together never exceed the environment's amount).
 */
import { BUDGET_SCOPES, BudgetSpec, CLOUDS, Cloud, EnvironmentConfig } from "./environment";
import { Problems } from "./validation";

/** The amount the given cloud's budget alerts against, in the budget's currency, to the cent. */
export function cloudBudgetAmount(env: EnvironmentConfig, cloud: Cloud): number {
  const b = env.budget;
  if (b.scope !== "split") return b.monthlyAmount;
  const share = b.shares?.[cloud];
  if (share === undefined) throw new Error(`environments/${env.name}: property 'budget.shares.${cloud}' has value undefined; allowed: a percentage > 0 (scope "split" needs a share for every cloud)`);
  return Math.floor(b.monthlyAmount * share + 1e-6) / 100;
}

/** The environment's budget as the given cloud's stack must create it. */
export function cloudBudget(env: EnvironmentConfig, cloud: Cloud): BudgetSpec {
  return { ...env.budget, monthlyAmount: cloudBudgetAmount(env, cloud) };
}

/** Whole units and nanos of an amount to the cent (Cloud Billing budgets take `units` as an integer). */
export function unitsAndNanos(amount: number): { units: string; nanos: number } {
  const centsTotal = Math.round(amount * 100);
  return { units: String(Math.floor(centsTotal / 100)), nanos: (centsTotal % 100) * 10_000_000 };
}

export function validateBudgetScope(p: Problems, env: EnvironmentConfig): void {
  const b = env.budget;
  const enabled = CLOUDS.filter((c) => env.clouds?.[c]);
  if (!BUDGET_SCOPES.includes(b.scope)) {
    p.add("budget.scope", b.scope, `one of ${BUDGET_SCOPES.map((s) => JSON.stringify(s)).join(", ")}: "per-cloud" gives every cloud the full amount, "split" divides it by budget.shares`);
  } else if (b.scope === "per-cloud") {
    if (b.shares !== undefined) p.add("budget.shares", b.shares, "no shares with scope \"per-cloud\" (every cloud gets the full amount); use scope \"split\" to divide it");
  } else {
    const shares = b.shares ?? {};
    for (const c of enabled) {
      const v = shares[c];
      if (typeof v !== "number" || !(v > 0) || v > 100) p.add(`budget.shares.${c}`, v, "a percentage in (0, 100] for every enabled cloud (scope \"split\")");
      else if (typeof b.monthlyAmount === "number" && b.monthlyAmount * v < 100) p.add(`budget.shares.${c}`, v, `a share giving at least 1.00 of ${b.monthlyAmount} (budgets need a positive amount)`);
    }
    for (const c of Object.keys(shares)) {
      if (!enabled.includes(c as Cloud)) p.add(`budget.shares.${c}`, shares[c as Cloud], `a share only for an enabled cloud (${enabled.join(", ")})`);
    }
    const sum = enabled.reduce((n, c) => n + (typeof shares[c] === "number" ? shares[c]! : 0), 0);
    if (Math.abs(sum - 100) > 1e-9) p.add("budget.shares", sum, "shares of the enabled clouds summing to exactly 100 (percent of budget.monthlyAmount)");
  }
  for (const [c, reason] of Object.entries(b.acceptIdleOverBudget ?? {})) {
    if (!enabled.includes(c as Cloud)) p.add(`budget.acceptIdleOverBudget.${c}`, reason, `an enabled cloud (${enabled.join(", ")})`);
    else if (typeof reason !== "string" || reason.trim().length < 20) p.add(`budget.acceptIdleOverBudget.${c}`, reason, "a reason of at least 20 characters saying why the idle baseline may exceed the budget");
  }
}
