/**
 * Idle monthly baseline of a synthesized stack: every usage line from the quantity functions,
 * priced from the dated table. A driver without a price, or a resource type the estimator does
 * not know, stops the estimate and is named; it never counts as zero.
 */
import { Cloud } from "../environment";
import { PRICE_TABLE, PriceEntry, PriceTable } from "./prices";
import { QUANTITY_FUNCTIONS, QuantityFn, StackJson, USAGE_ONLY, Usage } from "./quantities";

export interface CostLine extends Usage {
  /**
   * The construct at the top of the resource's path in its stack (cdktf's `//` metadata): a
   * service's name, or the environment's own `foundation`, `budget`, `apis`. Undefined for
   * free-tier lines and resources without a path.
   */
  readonly owner?: string;
  readonly usd: number;
  readonly unitPrice: number;
  readonly price: Pick<PriceEntry, "confidence" | "date" | "region" | "sourceRegion"> & { readonly url: string };
}

export interface StackEstimate {
  readonly stack: string;
  readonly cloud: Cloud;
  readonly region: string;
  /** Idle monthly baseline, USD, rounded to cents. */
  readonly monthlyUsd: number;
  readonly lines: readonly CostLine[];
  /** The stack's own budget amount, read from its budget resource. */
  readonly budget?: { readonly amount: number; readonly currency: string };
  /** Baseline as a percentage of the budget, one decimal. */
  readonly budgetPercent?: number;
  readonly warnings: readonly string[];
}

export interface EstimateOptions {
  readonly table?: PriceTable;
  /** Date the estimate is for; prices dated more than 12 months before warn. @default today */
  readonly now?: Date;
  /** Extra quantity functions (tests). */
  readonly quantities?: Readonly<Record<string, QuantityFn>>;
}

/** Thrown with every missing price or unknown type of all stacks estimated. */
export class UnpricedError extends Error {
  constructor(readonly missing: readonly string[]) {
    super(`cost: ${missing.length} cost driver(s) without a price; the estimate stops instead of counting them as zero:\n  ${missing.join("\n  ")}\n` +
      "Add a dated entry to modules/core/src/cost/prices.ts, or (for a type billed only by use) list it in USAGE_ONLY in modules/core/src/cost/quantities.ts.");
    this.name = "UnpricedError";
  }
}

const PROVIDER_CLOUD: Record<string, Cloud> = { aws: "aws", google: "gcp", azurerm: "azure" };

export function stackCloud(json: StackJson): Cloud {
  const clouds = Object.keys(json.provider ?? {}).map((p) => PROVIDER_CLOUD[p]).filter(Boolean);
  if (clouds.length !== 1) throw new Error(`cost: cannot tell the stack's cloud from its providers (${Object.keys(json.provider ?? {}).join(", ") || "none"})`);
  return clouds[0];
}

export function stackRegion(json: StackJson, cloud: Cloud): string {
  if (cloud === "aws") return json.provider?.aws?.[0]?.region;
  if (cloud === "gcp") return json.provider?.google?.[0]?.region;
  const rg = Object.values(json.resource?.azurerm_resource_group ?? {})[0];
  return rg?.location;
}

/** The budget resource's amount: what the stack's budget alerts against. */
export function stackBudget(json: StackJson, cloud: Cloud): { amount: number; currency: string } | undefined {
  const r = json.resource ?? {};
  if (cloud === "aws") {
    const b = Object.values(r.aws_budgets_budget ?? {})[0];
    return b ? { amount: Number(b.limit_amount), currency: b.limit_unit ?? "USD" } : undefined;
  }
  if (cloud === "gcp") {
    const b = Object.values(r.google_billing_budget ?? {})[0];
    const a = b ? (Array.isArray(b.amount) ? b.amount[0] : b.amount)?.specified_amount : undefined;
    const s = Array.isArray(a) ? a[0] : a;
    return s ? { amount: Number(s.units ?? 0) + Number(s.nanos ?? 0) / 1e9, currency: s.currency_code ?? "USD" } : undefined;
  }
  const b = Object.values({ ...(r.azurerm_consumption_budget_resource_group ?? {}), ...(r.azurerm_consumption_budget_subscription ?? {}) })[0];
  return b ? { amount: Number(b.amount), currency: "USD" } : undefined;
}

/** The most specific entry for a usage line: same cloud, type, component and unit; region or global; all match keys equal. */
export function findPrice(table: PriceTable, cloud: Cloud, region: string, u: Usage): PriceEntry | undefined {
  const candidates = table.prices.filter((p) => p.cloud === cloud && p.resourceType === u.resourceType && p.component === u.component && p.unit === u.unit &&
    (p.region === region || p.region === "global") &&
    Object.entries(p.match ?? {}).every(([k, v]) => u.match?.[k] === v) &&
    Object.keys(u.match ?? {}).every((k) => p.match?.[k] !== undefined));
  return candidates.sort((a, b) => (a.region === "global" ? 1 : 0) - (b.region === "global" ? 1 : 0))[0];
}

/**
 * The top-level construct of a resource's path (`dev-aws/orders/db-main/cluster` → `orders`), or,
 * without cdktf's metadata (Testing.synth drops it), of its logical name: cdktf joins the path's
 * ids with `_` (`orders_db-main_cluster_12F2417C`), and construct ids of stacks, services and the
 * foundation hold no `_`.
 */
function ownerOf(json: StackJson, u: Usage): string | undefined {
  const path = (json.resource?.[u.resourceType]?.[u.address] as { "//"?: { metadata?: { path?: string } } } | undefined)?.["//"]?.metadata?.path;
  if (typeof path === "string") return path.split("/")[1];
  const i = u.address.indexOf("_");
  return i > 0 ? u.address.slice(0, i) : undefined;
}

const describeUsage = (stack: string, region: string, u: Usage) =>
  `${stack}: ${u.resourceType}.${u.address} ${u.component} (${u.unit}${u.match ? `, ${Object.entries(u.match).map(([k, v]) => `${k}=${v}`).join(", ")}` : ""}) in ${region}`;

const cents = (n: number) => Math.round(n * 100) / 100;
const MS_PER_YEAR = 365 * 24 * 3600 * 1000;

/**
 * What a stack's estimate reads from its JSON: its cloud, region and budget, every usage line of
 * the quantity functions with its owner, and the resource types neither priced nor usage-only.
 * It depends only on the JSON (and the quantity functions), so it can be cached by the stack
 * file's content; pricing it (`estimateMeasured`) is cheap.
 */
export interface StackMeasure {
  readonly cloud: Cloud;
  readonly region: string;
  readonly budget?: { readonly amount: number; readonly currency: string };
  readonly usages: readonly Usage[];
  /** The owner of each usage line, by index (undefined for shared lines). */
  readonly owners: readonly (string | null)[];
  /** Resource types without a quantity function that do not bill by use only, with their count. */
  readonly unknownTypes: readonly { readonly type: string; readonly count: number }[];
}

/** Reads a stack's usage lines (see `StackMeasure`). Throws when its cloud cannot be told. */
export function measureStack(json: StackJson, quantities: Readonly<Record<string, QuantityFn>> = QUANTITY_FUNCTIONS): StackMeasure {
  const cloud = stackCloud(json);
  const region = stackRegion(json, cloud) ?? "unknown-region";
  const usages: Usage[] = [];
  const unknownTypes: { type: string; count: number }[] = [];
  for (const [type, byName] of Object.entries(json.resource ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    const fn = quantities[type];
    if (fn) usages.push(...fn(Object.entries(byName), { json, cloud }));
    else if (!USAGE_ONLY.has(type)) unknownTypes.push({ type, count: Object.keys(byName).length });
  }
  return { cloud, region, budget: stackBudget(json, cloud), usages, owners: usages.map((u) => (u.shared ? null : ownerOf(json, u) ?? null)), unknownTypes };
}

function estimateOne(stack: string, json: StackJson, opts: EstimateOptions, missing: string[]): StackEstimate {
  return estimateMeasured(stack, measureStack(json, { ...QUANTITY_FUNCTIONS, ...(opts.quantities ?? {}) }), opts, missing);
}

/** Prices a measured stack; what has no price is added to `missing` (see `estimateAll`). */
export function estimateMeasured(stack: string, measure: StackMeasure, opts: EstimateOptions, missing: string[]): StackEstimate {
  const table = opts.table ?? PRICE_TABLE;
  const now = opts.now ?? new Date();
  const { cloud, region, usages, budget } = measure;
  for (const { type, count } of measure.unknownTypes) missing.push(`${stack}: resource type ${type} (${count}×) is neither priced nor known to bill by use only`);
  const lines: CostLine[] = [];
  const used = new Map<PriceEntry, CostLine[]>();
  for (const [i, u] of usages.entries()) {
    const p = findPrice(table, cloud, region, u);
    if (!p) { missing.push(describeUsage(stack, region, u)); continue; }
    const qty = Math.max(u.quantity, p.minQuantity ?? 0);
    const line: CostLine = {
      ...u, owner: measure.owners[i] ?? undefined, detail: qty > u.quantity ? `${u.detail}; billed at the minimum ${p.minQuantity} ${p.unit}` : u.detail,
      usd: qty * p.usd, unitPrice: p.usd,
      price: { confidence: p.confidence, date: p.date, region: p.region, sourceRegion: p.sourceRegion, url: p.source.url },
    };
    lines.push(line);
    const group = used.get(p);
    if (group) group.push(line);
    else used.set(p, [line]);
  }
  const warnings: string[] = [];
  for (const [p, group] of used) {
    if (p.free) {
      const qty = group.reduce((n, l) => n + l.quantity, 0);
      const freeQty = Math.min(qty, p.free.quantity);
      if (freeQty > 0) {
        lines.push({ resourceType: p.resourceType, address: "(free tier)", component: p.component, quantity: -freeQty, unit: p.unit, detail: `first ${p.free.quantity} ${p.unit} free per ${p.free.scope}`,
          usd: -freeQty * p.usd, unitPrice: p.usd, price: { confidence: p.confidence, date: p.date, region: p.region, sourceRegion: p.sourceRegion, url: p.source.url } });
      }
    }
    // Another region's figure is a stand-in: it is said on every estimate until the entry is re-sourced.
    if (p.confidence === "nearest-region") {
      warnings.push(`price of ${p.resourceType} ${p.component}${p.match ? ` (${Object.entries(p.match).map(([k, v]) => `${k}=${v}`).join(", ")})` : ""} in ${region} is ${p.sourceRegion ?? "another region"}'s figure; re-source it for ${region} from ${p.source.url}`);
    }
    const age = now.getTime() - Date.parse(`${p.date}T00:00:00Z`);
    if (age > MS_PER_YEAR) {
      warnings.push(`price of ${p.resourceType} ${p.component}${p.match ? ` (${Object.entries(p.match).map(([k, v]) => `${k}=${v}`).join(", ")})` : ""} is dated ${p.date}, more than 12 months before ${now.toISOString().slice(0, 10)}; re-source it from ${p.source.url}`);
    }
  }
  const monthlyUsd = cents(lines.reduce((n, l) => n + l.usd, 0));
  return {
    stack, cloud, region, monthlyUsd, lines, warnings, budget,
    budgetPercent: budget && budget.amount > 0 ? Math.round((monthlyUsd / budget.amount) * 1000) / 10 : undefined,
  };
}

/** Estimates one stack; throws UnpricedError naming every unpriced driver. */
export function estimateStack(stack: string, json: StackJson, opts: EstimateOptions = {}): StackEstimate {
  return estimateAll({ [stack]: json }, opts)[0];
}

/** Estimates every stack; throws one UnpricedError naming the unpriced drivers of all of them. */
export function estimateAll(stacks: Readonly<Record<string, StackJson>>, opts: EstimateOptions = {}): StackEstimate[] {
  const missing: string[] = [];
  const out = Object.entries(stacks).map(([name, json]) => estimateOne(name, json, opts, missing));
  if (missing.length) throw new UnpricedError(missing);
  return out;
}
