/**
 * A small evaluator of a synthesized Cloud Monitoring threshold condition (google 6.50's
 * `conditions.condition_threshold`) over one alignment period of time series, as Monitoring
 * evaluates it (https://cloud.google.com/monitoring/api/v3/aggregation): select the series the
 * filter matches, align each (per_series_aligner), partition by group_by_fields and reduce each
 * subset (cross_series_reducer), then compare each reduced series with the threshold. Returns the
 * groups that cross: an incident each, named by its group's label values.
 *
 * Filter forms understood (the ones the stacks write): `metric.type="…"`, `resource.type="…"`,
 * `<metric|resource>.labels.<k>="v"`, `!="v"`, `=500` (unquoted), `=one_of("a","b")`, joined by AND.
 */
export interface Series {
  readonly metric: { readonly type: string; readonly labels?: Readonly<Record<string, string>> };
  readonly resource: { readonly type: string; readonly labels: Readonly<Record<string, string>> };
  /** The points in one alignment period. */
  readonly points: readonly number[];
}

type Clause = (s: Series) => boolean;

function field(s: Series, path: string): string | undefined {
  if (path === "metric.type") return s.metric.type;
  if (path === "resource.type") return s.resource.type;
  const m = /^(metric|resource)\.labels?\.([a-z_]+)$/.exec(path);
  if (!m) throw new Error(`unsupported filter field ${path}`);
  return m[1] === "metric" ? s.metric.labels?.[m[2]] : s.resource.labels[m[2]];
}

export function parseFilter(filter: string): Clause[] {
  return filter.split(/\s+AND\s+/).map((term) => {
    const m = /^([a-z_.]+)\s*(!=|=)\s*(.+)$/.exec(term.trim());
    if (!m) throw new Error(`unsupported filter term ${term}`);
    const [, path, op, raw] = m;
    const oneOf = /^one_of\((.*)\)$/.exec(raw);
    const values = oneOf ? [...oneOf[1].matchAll(/"([^"]*)"/g)].map((v) => v[1]) : [raw.replace(/^"(.*)"$/, "$1")];
    return (s: Series) => {
      const v = field(s, path);
      return op === "=" ? v !== undefined && values.includes(v) : v !== values[0];
    };
  });
}

function align(aligner: string, points: readonly number[]): number {
  if (!points.length) return NaN;
  switch (aligner) {
    case "ALIGN_SUM": case "ALIGN_DELTA": return points.reduce((a, b) => a + b, 0);
    case "ALIGN_MAX": return Math.max(...points);
    case "ALIGN_MEAN": return points.reduce((a, b) => a + b, 0) / points.length;
    case "ALIGN_PERCENTILE_99": {
      const sorted = [...points].sort((a, b) => a - b);
      return sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)];
    }
    default: throw new Error(`unsupported aligner ${aligner}`);
  }
}

function reduce(reducer: string | undefined, values: number[]): number {
  if (reducer === "REDUCE_SUM") return values.reduce((a, b) => a + b, 0);
  if (reducer === "REDUCE_MAX") return Math.max(...values);
  throw new Error(`unsupported reducer ${reducer}`);
}

/** The groups (label values joined by `,`) whose reduced series crosses the threshold. */
export function crossing(condition: any, series: readonly Series[]): string[] {
  const clauses = parseFilter(String(condition.filter));
  const agg = condition.aggregations?.[0] ?? {};
  const by: string[] = agg.group_by_fields ?? [];
  const groups = new Map<string, number[]>();
  for (const s of series.filter((x) => clauses.every((c) => c(x)))) {
    const key = by.map((f) => field(s, f.replace(/^resource\.label\./, "resource.labels.").replace(/^metric\.label\./, "metric.labels.")) ?? "").join(",");
    groups.set(key, [...(groups.get(key) ?? []), align(agg.per_series_aligner ?? "ALIGN_NONE", s.points)]);
  }
  const over = (v: number) => (condition.comparison === "COMPARISON_GT" ? v > condition.threshold_value : v >= condition.threshold_value);
  return [...groups].filter(([, values]) => over(reduce(agg.cross_series_reducer, values))).map(([k]) => k).sort();
}
