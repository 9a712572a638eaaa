import { EnvironmentConfig } from "../environment";
import { StackEstimate } from "./estimate";
import { PRICE_TABLE } from "./prices";

/** `polycloud cost --json` output; also the input of the pull-request summary. */
export interface CostReport {
  readonly priceTableAsOf: string;
  readonly currency: "USD";
  readonly stacks: readonly StackEstimate[];
}

export const WARN_PERCENT = 50;
export const FAIL_PERCENT = 100;

export function costReport(stacks: readonly StackEstimate[]): CostReport {
  return { priceTableAsOf: PRICE_TABLE.asOf, currency: "USD", stacks };
}

const usd = (n: number) => (n < 0 ? `−$${(-n).toFixed(2)}` : `$${n.toFixed(2)}`);
const pct = (s: StackEstimate) => (s.budgetPercent === undefined ? "no budget" : `${s.budgetPercent.toFixed(1)}%`);

/** Human-readable report: one block per stack, line by line, with price confidence and date. */
export function renderCostText(report: CostReport): string {
  const out: string[] = [`Idle monthly baseline (zero traffic, list prices in USD, 730 h/month; price table of ${report.priceTableAsOf})`, ""];
  for (const s of report.stacks) {
    out.push(`${s.stack} (${s.cloud}, ${s.region}): ${usd(s.monthlyUsd)} a month${s.budget ? ` of a ${usd(s.budget.amount)} budget = ${pct(s)}` : ", no budget"}`);
    // Identical lines (17 alarms of one metric each) print once with a count.
    const groups = new Map<string, { line: StackEstimate["lines"][number]; n: number; usd: number }>();
    for (const l of s.lines) {
      const key = [l.resourceType, l.component, l.detail, l.unitPrice, l.unit].join("|");
      const g = groups.get(key);
      if (g) { g.n++; g.usd += l.usd; } else groups.set(key, { line: l, n: 1, usd: l.usd });
    }
    for (const { line: l, n, usd: total } of [...groups.values()].sort((a, b) => b.usd - a.usd)) {
      const what = n > 1 ? `${n} × ${l.resourceType}` : `${l.resourceType}.${l.address}`;
      out.push(`  ${usd(total).padStart(10)}  ${what} ${l.component}: ${l.detail} @ ${l.unitPrice}/${l.unit} [${l.price.confidence}${l.price.sourceRegion ? ` from ${l.price.sourceRegion}` : ""}, ${l.price.date}]`);
    }
    for (const w of s.warnings) out.push(`  warning: ${w}`);
    out.push("");
  }
  return out.join("\n");
}

export interface BudgetCheck {
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

/**
 * Above 50% of its budget at idle warns; above 100% fails, unless the environment accepts it for
 * that cloud with a reason (`budget.acceptIdleOverBudget`), which turns the failure into a warning.
 */
export function checkBudgets(report: CostReport, environments: readonly EnvironmentConfig[]): BudgetCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  // One budget per environment × cloud: with partitioning "service" it sits in `<env>-<cloud>-shared`
  // and covers the service stacks too, so baselines are summed per `<env>-<cloud>`.
  const groups = new Map<string, StackEstimate[]>();
  for (const s of report.stacks) {
    const key = s.stack.split("-").slice(0, 2).join("-");
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const [key, stacks] of groups) {
    const [envName] = key.split("-");
    const cloud = stacks[0].cloud;
    const env = environments.find((e) => e.name === envName);
    const monthly = Math.round(stacks.reduce((n, s) => n + s.monthlyUsd, 0) * 100) / 100;
    const budget = stacks.find((s) => s.budget)?.budget;
    // Stale prices are the same for every stack that uses them: reported once.
    for (const s of stacks) for (const w of s.warnings) warnings.push(w);
    if (!budget || !(budget.amount > 0)) { errors.push(`${key}: no budget resource to compare the idle baseline of ${usd(monthly)} with`); continue; }
    const percent = Math.round((monthly / budget.amount) * 1000) / 10;
    const what = `${key}: idle baseline ${usd(monthly)} is ${percent.toFixed(1)}% of its ${usd(budget.amount)} budget`;
    const accepted = env?.budget.acceptIdleOverBudget?.[cloud];
    if (percent > FAIL_PERCENT) {
      if (accepted) warnings.push(`${what} (over ${FAIL_PERCENT}%, accepted by environments/${envName}: ${accepted})`);
      else errors.push(`${what}, over ${FAIL_PERCENT}% before any traffic. Reduce the fixed cost, raise the budget, or accept it in environments/${envName}.ts with budget.acceptIdleOverBudget.${cloud}: "<reason>"`);
    } else if (percent > WARN_PERCENT) {
      warnings.push(`${what}, over ${WARN_PERCENT}% before any traffic`);
    }
  }
  return { errors, warnings: [...new Set(warnings)] };
}

/** Markdown for the pull-request summary: each stack's baseline, its budget share and the change against the base branch. */
export function renderCostMarkdown(head: CostReport, base?: CostReport, only?: readonly string[]): string {
  const stacks = head.stacks.filter((s) => !only || only.includes(s.stack));
  const lines = [`### Idle monthly baseline (price table of ${head.priceTableAsOf}, USD list prices)`, ""];
  if (!base) lines.push("> No estimate of the base branch (not given, or it failed to synthesize); no change is shown.", "");
  lines.push("| Stack | Baseline | Budget | Share | Change vs base |", "|---|---:|---:|---:|---:|");
  for (const s of stacks) {
    const b = base?.stacks.find((x) => x.stack === s.stack);
    const delta = !base ? "—" : !b ? "new stack" : s.monthlyUsd === b.monthlyUsd ? "±$0.00" : `${s.monthlyUsd > b.monthlyUsd ? "+" : "−"}${usd(Math.abs(s.monthlyUsd - b.monthlyUsd))} (from ${usd(b.monthlyUsd)})`;
    const share = s.budgetPercent === undefined ? "—" : s.budgetPercent > FAIL_PERCENT ? `**${pct(s)}** ⛔` : s.budgetPercent > WARN_PERCENT ? `**${pct(s)}** ⚠` : pct(s);
    lines.push(`| ${s.stack} | ${usd(s.monthlyUsd)} | ${s.budget ? usd(s.budget.amount) : "—"} | ${share} | ${delta} |`);
  }
  lines.push("", "<sub>Fixed hourly charges, minimums and warm instances only; `polycloud cost` lists every line with its price source, date and confidence.</sub>", "");
  return lines.join("\n");
}
