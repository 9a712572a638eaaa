import { cloudBudgetAmount } from "../budget-scope";
import { CLOUDS, Cloud, EnvironmentConfig } from "../environment";
import { StackEstimate } from "./estimate";
import { PRICE_TABLE } from "./prices";

/** `polycloud cost --json` output; also the input of the pull-request summary. */
export interface CostReport {
  readonly priceTableAsOf: string;
  readonly currency: "USD";
  readonly stacks: readonly StackEstimate[];
  /** Each environment's clouds against their budgets, as the budget's scope counts them. */
  readonly environments?: readonly EnvironmentCost[];
  /** What each service (and the environment's own resources) costs at idle, per environment. */
  readonly services?: readonly ServiceCost[];
}

export interface EnvironmentCost {
  readonly environment: string;
  readonly scope: "per-cloud" | "split";
  /** `budget.monthlyAmount`. */
  readonly amount: number;
  readonly currency: string;
  /** What the environment may spend: the amount (split), or the amount once per cloud (per-cloud). */
  readonly budgetTotal: number;
  readonly clouds: readonly { readonly cloud: Cloud; readonly monthlyUsd: number; readonly budget: number; readonly sharePercent?: number; readonly percent: number }[];
  readonly monthlyUsd: number;
  /** Of budgetTotal, one decimal. */
  readonly percent: number;
}

/** `(environment)`: the foundation, budget and API enablement every service of the environment shares. */
export const ENVIRONMENT_OWNER = "(environment)";
const SHARED_CONSTRUCTS = new Set(["foundation", "budget", "apis"]);

export interface ServiceCost {
  readonly environment: string;
  readonly service: string;
  readonly monthlyUsd: number;
  /** stack → USD. */
  readonly byStack: Readonly<Record<string, number>>;
}

export const WARN_PERCENT = 50;
export const FAIL_PERCENT = 100;

const cents = (n: number) => Math.round(n * 100) / 100;
const envOf = (stack: string) => stack.split("-")[0];

/** Idle cost per service and environment, from each line's owner (free-tier credits count for the environment). */
export function serviceCosts(stacks: readonly StackEstimate[]): ServiceCost[] {
  const out = new Map<string, { environment: string; service: string; monthlyUsd: number; byStack: Record<string, number> }>();
  for (const s of stacks) {
    for (const l of s.lines) {
      const service = !l.owner || SHARED_CONSTRUCTS.has(l.owner) ? ENVIRONMENT_OWNER : l.owner;
      const key = `${envOf(s.stack)}\0${service}`;
      const c = out.get(key) ?? { environment: envOf(s.stack), service, monthlyUsd: 0, byStack: {} };
      c.monthlyUsd += l.usd;
      c.byStack[s.stack] = (c.byStack[s.stack] ?? 0) + l.usd;
      out.set(key, c);
    }
  }
  return [...out.values()].map((c) => ({ ...c, monthlyUsd: cents(c.monthlyUsd), byStack: Object.fromEntries(Object.entries(c.byStack).map(([k, v]) => [k, cents(v)])) }));
}

/** Each environment's clouds against their budgets (scope per-cloud: the full amount each; split: their shares of it). */
export function environmentCosts(stacks: readonly StackEstimate[], environments: readonly EnvironmentConfig[]): EnvironmentCost[] {
  return environments.filter((env) => stacks.some((s) => envOf(s.stack) === env.name)).map((env) => {
    const enabled = CLOUDS.filter((c) => env.clouds[c]);
    const clouds = enabled.map((cloud) => {
      const monthlyUsd = cents(stacks.filter((s) => envOf(s.stack) === env.name && s.cloud === cloud).reduce((n, s) => n + s.monthlyUsd, 0));
      const budget = cloudBudgetAmount(env, cloud);
      return { cloud, monthlyUsd, budget, ...(env.budget.scope === "split" ? { sharePercent: env.budget.shares?.[cloud] } : {}), percent: budget > 0 ? Math.round((monthlyUsd / budget) * 1000) / 10 : 0 };
    });
    const monthlyUsd = cents(clouds.reduce((n, c) => n + c.monthlyUsd, 0));
    const budgetTotal = env.budget.scope === "split" ? env.budget.monthlyAmount : env.budget.monthlyAmount * enabled.length;
    return {
      environment: env.name, scope: env.budget.scope, amount: env.budget.monthlyAmount, currency: env.budget.currency ?? "USD", budgetTotal, clouds, monthlyUsd,
      percent: budgetTotal > 0 ? Math.round((monthlyUsd / budgetTotal) * 1000) / 10 : 0,
    };
  });
}

export function costReport(stacks: readonly StackEstimate[], environments: readonly EnvironmentConfig[] = []): CostReport {
  return { priceTableAsOf: PRICE_TABLE.asOf, currency: "USD", stacks, environments: environmentCosts(stacks, environments), services: serviceCosts(stacks) };
}

const usd = (n: number) => (n < 0 ? `−$${(-n).toFixed(2)}` : `$${n.toFixed(2)}`);
const pct = (s: StackEstimate) => (s.budgetPercent === undefined ? "no budget" : `${s.budgetPercent.toFixed(1)}%`);

/** How an environment's budget is counted, in words. */
export function budgetScopeText(e: EnvironmentCost): string {
  if (e.scope === "split") return `scope split: ${usd(e.amount)} divided ${e.clouds.map((c) => `${c.cloud} ${c.sharePercent}%`).join(" / ")}`;
  return `scope per-cloud: each cloud's budget is the full ${usd(e.amount)}, so up to ${usd(e.budgetTotal)} for the ${e.clouds.length} clouds`;
}

/** The environments' budget view: each cloud against its budget, then the total against the environment's. */
export function renderEnvironmentsText(report: CostReport): string[] {
  const out: string[] = [];
  for (const e of report.environments ?? []) {
    out.push(`${e.environment} (${budgetScopeText(e)})`);
    for (const c of e.clouds) out.push(`  ${c.cloud.padEnd(6)} ${usd(c.monthlyUsd).padStart(10)} of ${usd(c.budget)}${c.sharePercent !== undefined ? ` (${c.sharePercent}%)` : ""} = ${c.percent.toFixed(1)}%`);
    out.push(`  ${"total".padEnd(6)} ${usd(e.monthlyUsd).padStart(10)} of ${usd(e.budgetTotal)} = ${e.percent.toFixed(1)}%${e.scope === "per-cloud" && e.clouds.length > 1 ? ` (${((e.monthlyUsd / e.amount) * 100).toFixed(1)}% of one ${usd(e.amount)} amount)` : ""}`);
    const services = (report.services ?? []).filter((s) => s.environment === e.environment).sort((a, b) => b.monthlyUsd - a.monthlyUsd);
    if (services.length) out.push(`  by service: ${services.map((s) => `${s.service} ${usd(s.monthlyUsd)}`).join(", ")}`);
    out.push("");
  }
  return out;
}

/** Human-readable report: the environments' budgets, then one block per stack, line by line, with price confidence and date. */
export function renderCostText(report: CostReport): string {
  const out: string[] = [`Idle monthly baseline (zero traffic, list prices in USD, 730 h/month; price table of ${report.priceTableAsOf})`, ""];
  out.push(...renderEnvironmentsText(report));
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
  const envs = (head.environments ?? []).filter((e) => stacks.some((s) => envOf(s.stack) === e.environment));
  if (envs.length) {
    lines.push("", "| Environment | Budget scope | " + CLOUDS.map((c) => c.toUpperCase().replace("AZURE", "Azure").replace("GCP", "GCP")).join(" | ") + " | Total | Environment budget |", "|---|---|" + CLOUDS.map(() => "---:|").join("") + "---:|---:|");
    for (const e of envs) {
      const cell = (c: Cloud) => { const x = e.clouds.find((y) => y.cloud === c); return x ? `${usd(x.monthlyUsd)} of ${usd(x.budget)} (${mark(x.percent)})` : "—"; };
      lines.push(`| ${e.environment} | ${e.scope === "split" ? `split ${e.clouds.map((c) => `${c.sharePercent}%`).join("/")}` : "per-cloud (full amount each)"} | ${CLOUDS.map(cell).join(" | ")} | ${usd(e.monthlyUsd)} | ${usd(e.budgetTotal)} (${mark(e.percent)}) |`);
    }
  }
  lines.push(...renderServicesMarkdown(head, base, envs.map((e) => e.environment)));
  lines.push("", "<sub>Fixed hourly charges, minimums and warm instances only; `polycloud cost` lists every line with its price source, date and confidence.</sub>", "");
  return lines.join("\n");
}

const mark = (p: number) => (p > FAIL_PERCENT ? `**${p.toFixed(1)}%** ⛔` : p > WARN_PERCENT ? `**${p.toFixed(1)}%** ⚠` : `${p.toFixed(1)}%`);

/**
 * What each service costs at idle in the given environments, services this change adds first
 * (not in the base's estimate), then the others with their change.
 */
export function renderServicesMarkdown(head: CostReport, base: CostReport | undefined, environments: readonly string[]): string[] {
  const mine = (head.services ?? []).filter((s) => environments.includes(s.environment));
  if (!mine.length) return [];
  const before = (s: ServiceCost) => base?.services?.find((b) => b.environment === s.environment && b.service === s.service);
  const added = base?.services ? mine.filter((s) => s.service !== ENVIRONMENT_OWNER && !before(s)) : [];
  const out = ["", "#### Idle cost per service", ""];
  if (added.length) {
    out.push(`**Added services** (idle cost before any traffic; shared environment resources are under ${ENVIRONMENT_OWNER}):`, "");
    for (const s of added) out.push(`- \`${s.service}\` in ${s.environment}: **${usd(s.monthlyUsd)}** a month (${Object.entries(s.byStack).map(([k, v]) => `${k} ${usd(v)}`).join(", ")})`);
    out.push("");
  }
  out.push("| Environment | Service | Idle a month | By stack | Change vs base |", "|---|---|---:|---|---:|");
  for (const s of [...added, ...mine.filter((x) => !added.includes(x))]) {
    const b = before(s);
    const change = !base?.services ? "—" : !b ? (s.service === ENVIRONMENT_OWNER ? "—" : "new service") : s.monthlyUsd === b.monthlyUsd ? "±$0.00" : `${s.monthlyUsd > b.monthlyUsd ? "+" : "−"}${usd(Math.abs(s.monthlyUsd - b.monthlyUsd))}`;
    out.push(`| ${s.environment} | ${s.service} | ${usd(s.monthlyUsd)} | ${Object.entries(s.byStack).map(([k, v]) => `${k} ${usd(v)}`).join(", ")} | ${change} |`);
  }
  const removed = base?.services?.filter((b) => environments.includes(b.environment) && b.service !== ENVIRONMENT_OWNER && !mine.some((s) => s.environment === b.environment && s.service === b.service)) ?? [];
  for (const b of removed) out.push(`| ${b.environment} | ${b.service} | — | — | removed (−${usd(b.monthlyUsd)}) |`);
  return out;
}
