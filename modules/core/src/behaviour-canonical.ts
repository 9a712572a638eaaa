import { Schedule, expandCronField } from "./schedule";
import { EventFilterSpec } from "./specs";

/**
 * Canonical forms the behaviour records compare filters and schedules in. Every cloud reader turns
 * its own dialect (EventBridge patterns, Pub/Sub filter expressions, Event Grid filters; cron and
 * recurrence forms) into these, and `intendedBehaviour` turns the spec into them, so equal text
 * means equal matching or firing.
 */

/** One ANDed clause: a field (`source`, `type`, `attributes.<key>`), exact or prefix, its ORed values. */
export interface FilterClause {
  readonly field: string;
  readonly prefix: boolean;
  readonly values: readonly string[];
}

/**
 * Clauses as one text: sorted by field, values sorted and de-duplicated, and a prefix covered by a
 * shorter prefix of the same field dropped (`Order.` matches whatever `Order.Created` does).
 */
export function canonicalClauses(clauses: readonly FilterClause[]): string {
  const merged = new Map<string, Set<string>>();
  for (const c of clauses) {
    const key = `${c.field}${c.prefix ? " ^=" : " ="}`;
    const set = merged.get(key) ?? new Set<string>();
    c.values.forEach((v) => set.add(String(v)));
    merged.set(key, set);
  }
  const kept = (key: string, values: Set<string>) => [...values].filter((v) => !key.endsWith(" ^=") || ![...values].some((o) => o !== v && v.startsWith(o))).sort();
  return JSON.stringify([...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, kept(k, v)]));
}

/** The spec's filter in canonical form. */
export function canonicalFilter(filter: EventFilterSpec): string {
  const clauses: FilterClause[] = [];
  const pre = filter.prefix ?? {};
  if (filter.source) clauses.push({ field: "source", prefix: false, values: filter.source });
  if (filter.type) clauses.push({ field: "type", prefix: false, values: filter.type });
  for (const [k, v] of Object.entries(filter.attributes ?? {})) clauses.push({ field: `attributes.${k}`, prefix: false, values: v });
  if (pre.source) clauses.push({ field: "source", prefix: true, values: pre.source });
  if (pre.type) clauses.push({ field: "type", prefix: true, values: pre.type });
  for (const [k, v] of Object.entries(pre.attributes ?? {})) clauses.push({ field: `attributes.${k}`, prefix: true, values: v });
  return canonicalClauses(clauses);
}

/**
 * When a schedule fires: evenly every N seconds from whenever it was created (a rate), or at the
 * listed UTC minutes, hours, days of month, months and days of week (0 = Sunday); `*` is every value.
 */
export type FiringTimes =
  | { readonly everySeconds: number }
  | { readonly minutes: readonly number[]; readonly hours: readonly number[]; readonly daysOfMonth: readonly number[]; readonly months: readonly number[]; readonly daysOfWeek: readonly number[] };

const FULL = { minutes: 60, hours: 24, daysOfMonth: 31, months: 12, daysOfWeek: 7 } as const;

export function canonicalSchedule(t: FiringTimes): string {
  if ("everySeconds" in t) return `every ${t.everySeconds}s`;
  const f = (name: keyof typeof FULL) => {
    const v = [...new Set(t[name])].sort((a, b) => a - b);
    return v.length === FULL[name] ? "*" : v.join(",");
  };
  return `at minutes ${f("minutes")} hours ${f("hours")} days-of-month ${f("daysOfMonth")} months ${f("months")} days-of-week ${f("daysOfWeek")} (UTC)`;
}

/** A parsed neutral schedule's firing times. */
export function scheduleTimes(s: Schedule): FiringTimes {
  if (s.kind === "rate") return { everySeconds: s.value * { minutes: 60, hours: 3600, days: 86400 }[s.unit] };
  return {
    minutes: expandCronField(s.minute, "minute"),
    hours: expandCronField(s.hour, "hour"),
    daysOfMonth: expandCronField(s.dayOfMonth, "day-of-month"),
    months: expandCronField(s.month, "month"),
    daysOfWeek: expandCronField(s.dayOfWeek, "day-of-week"),
  };
}

/** Every value of a range, for readers that build firing times from lists. */
export const allOf = (name: keyof typeof FULL): number[] =>
  Array.from({ length: FULL[name] }, (_, i) => (name === "daysOfMonth" || name === "months" ? i + 1 : i));

/**
 * When a rate counted from a fixed start fires. From a UTC midnight with N dividing a day it fires
 * at the same times every day: as the firing times a cron states when one can (every N minutes
 * with N dividing 60, every N hours with N dividing 24, daily at 00:00), else `every <N>s from
 * 00:00 UTC`. Any other start or period: `every <N>s from <start>`.
 */
export function alignedRate(everySeconds: number, start: string): string {
  const t = Date.parse(start);
  if (!Number.isFinite(t) || t % 86400000 !== 0 || 86400 % everySeconds !== 0) return `every ${everySeconds}s from ${start}`;
  const all = { daysOfMonth: allOf("daysOfMonth"), months: allOf("months"), daysOfWeek: allOf("daysOfWeek") };
  const step = (n: number, every: number) => Array.from({ length: n }, (_, i) => i).filter((i) => i % every === 0);
  const minutes = everySeconds / 60;
  const hours = everySeconds / 3600;
  if (Number.isInteger(minutes) && minutes < 60 && 60 % minutes === 0) return canonicalSchedule({ minutes: step(60, minutes), hours: allOf("hours"), ...all });
  if (Number.isInteger(hours) && 24 % hours === 0) return canonicalSchedule({ minutes: [0], hours: step(24, hours), ...all });
  return `every ${everySeconds}s from 00:00 UTC`;
}
