/**
 * Event Grid event subscription filters on a CloudEvents 1.0 event, as the JSON states them:
 * included_event_types, subject_filter (begins/ends with, case-insensitive unless
 * case_sensitive), and advanced filters (`string_in`, `string_not_in`, `string_begins_with`,
 * `string_not_begins_with`, `string_ends_with`, `string_not_ends_with`, `string_contains`,
 * `string_not_contains`, `number_*`, `bool_equals`, `is_null_or_undefined`, `is_not_null`) on
 * keys such as `source`, `type`, `subject` or `data.<path>`. String comparisons are
 * case-insensitive, every filter must pass, and a filter with several values passes when any
 * value does (all of them for the `not` operators). Tested against the Event Grid
 * documentation's filtering examples.
 */
type Advanced = Record<string, { key: string; values?: unknown[]; value?: unknown }[]>;

function lookup(event: Record<string, unknown>, key: string): unknown {
  let v: any = event;
  for (const part of key.split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = v[part];
  }
  return v;
}

const lower = (v: unknown) => String(v).toLowerCase();

function passes(op: string, actual: unknown, f: { values?: unknown[]; value?: unknown }): boolean {
  const values = f.values ?? [];
  const present = actual !== undefined && actual !== null;
  // An array value passes when any element does (Event Grid's array handling).
  const items: unknown[] = Array.isArray(actual) ? actual : [actual];
  const str = (fn: (a: string, v: string) => boolean) => present && items.some((a) => values.some((v) => fn(lower(a), lower(v))));
  const notStr = (fn: (a: string, v: string) => boolean) => !present || items.every((a) => values.every((v) => !fn(lower(a), lower(v))));
  const num = (fn: (a: number) => boolean) => present && items.some((a) => typeof a === "number" && fn(a));
  switch (op) {
    case "string_in": return str((a, v) => a === v);
    case "string_not_in": return notStr((a, v) => a === v);
    case "string_begins_with": return str((a, v) => a.startsWith(v));
    case "string_not_begins_with": return notStr((a, v) => a.startsWith(v));
    case "string_ends_with": return str((a, v) => a.endsWith(v));
    case "string_not_ends_with": return notStr((a, v) => a.endsWith(v));
    case "string_contains": return str((a, v) => a.includes(v));
    case "string_not_contains": return notStr((a, v) => a.includes(v));
    case "number_in": return num((a) => values.map(Number).includes(a));
    case "number_not_in": return !present || items.every((a) => typeof a !== "number" || !values.map(Number).includes(a));
    case "number_greater_than": return num((a) => a > Number(f.value));
    case "number_greater_than_or_equals": return num((a) => a >= Number(f.value));
    case "number_less_than": return num((a) => a < Number(f.value));
    case "number_less_than_or_equals": return num((a) => a <= Number(f.value));
    case "number_in_range": return num((a) => (values as unknown[][]).some(([lo, hi]) => a >= Number(lo) && a <= Number(hi)));
    case "number_not_in_range": return !present || items.every((a) => typeof a !== "number" || !(values as unknown[][]).some(([lo, hi]) => a >= Number(lo) && a <= Number(hi)));
    case "bool_equals": return present && items.some((a) => a === f.value);
    case "is_null_or_undefined": return !present;
    case "is_not_null": return present;
    default: throw new Error(`Event Grid advanced filter '${op}' is not emulated`);
  }
}

export interface EventGridFilter {
  readonly included_event_types?: readonly string[];
  readonly subject_filter?: { subject_begins_with?: string; subject_ends_with?: string; case_sensitive?: boolean };
  readonly advanced_filter?: Advanced;
}

export function matchesEventGridFilter(sub: EventGridFilter, event: Record<string, unknown>): boolean {
  const type = String(event.type ?? event.eventType ?? "");
  if (sub.included_event_types?.length && !sub.included_event_types.some((t) => lower(t) === lower(type))) return false;
  const sf = sub.subject_filter;
  if (sf) {
    const subject = String(event.subject ?? "");
    const norm = (s: string) => (sf.case_sensitive ? s : s.toLowerCase());
    if (sf.subject_begins_with && !norm(subject).startsWith(norm(sf.subject_begins_with))) return false;
    if (sf.subject_ends_with && !norm(subject).endsWith(norm(sf.subject_ends_with))) return false;
  }
  for (const [op, filters] of Object.entries(sub.advanced_filter ?? {})) {
    for (const f of filters) if (!passes(op, lookup(event, f.key), f)) return false;
  }
  return true;
}
