import { EventFilterSpec, Problems, Schedule, escapeTerraform } from "@polycloud/core";

/** Pub/Sub rejects filters longer than 256 bytes. */
export const PUBSUB_FILTER_MAX_BYTES = 256;
const ATTRIBUTE_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,255}$/;

/** One ANDed clause: its ORed terms, already rendered. */
type Clause = readonly string[];

/**
 * Translates the cloud-neutral filter into Pub/Sub subscription filters over message attributes.
 * Publishers set the attributes `source` and `type`, plus one attribute per key the rules filter
 * on. Exact values become `attributes.k = "v"`, prefixes `hasPrefix(attributes.k, "p")`; values
 * are quoted and escaped; clauses Pub/Sub cannot express are reported by name.
 *
 * A filter longer than Pub/Sub's 256 bytes is split: the clause with the most values is divided
 * into groups that fit (recursively, if one group is still too long, the next clause is divided
 * too). Each group becomes its own filter, so the rule becomes several subscriptions whose
 * filters are disjoint (exact values are de-duplicated, and a prefix covered by a shorter prefix
 * of the same clause is dropped first, so no event matches two groups) and whose union is the rule. Returns [] when the filter cannot be translated (problems recorded).
 */
export function toPubsubFilters(filter: EventFilterSpec, p: Problems, at: string): string[] {
  const pre = filter.prefix ?? {};
  const sources: [string, string, readonly string[], boolean][] = [];
  if (filter.source) sources.push(["filter.source", "source", filter.source, false]);
  if (filter.type) sources.push(["filter.type", "type", filter.type, false]);
  for (const [key, values] of Object.entries(filter.attributes ?? {})) sources.push([`filter.attributes.${key}`, key, values, false]);
  if (pre.source) sources.push(["filter.prefix.source", "source", pre.source, true]);
  if (pre.type) sources.push(["filter.prefix.type", "type", pre.type, true]);
  for (const [key, values] of Object.entries(pre.attributes ?? {})) sources.push([`filter.prefix.attributes.${key}`, key, values, true]);

  const clauses: Clause[] = [];
  let ok = true;
  for (const [clause, key, values, prefix] of sources) {
    if (!ATTRIBUTE_KEY.test(key)) {
      p.add(`${at}.${clause}`, key, "a Pub/Sub attribute key matching ^[A-Za-z_][A-Za-z0-9_]*$ (other keys cannot be filtered on)");
      ok = false;
      continue;
    }
    if (!Array.isArray(values) || values.length === 0) {
      p.add(`${at}.${clause}`, values, "at least one value to match");
      ok = false;
      continue;
    }
    const bad = values.find((v) => typeof v !== "string" || /[\u0000-\u001f\u007f]/.test(v));
    if (bad !== undefined) {
      p.add(`${at}.${clause}`, bad, "strings without control characters (Pub/Sub filter literals cannot carry them)");
      ok = false;
      continue;
    }
    const kept = prefix ? coveringPrefixes(values) : [...new Set(values)];
    clauses.push(kept.map((v) => (prefix ? `hasPrefix(attributes.${key}, ${literal(v)})` : `attributes.${key} = ${literal(v)}`)));
  }
  if (!ok || clauses.length === 0) return [];
  const parts = split(clauses);
  if (!parts) {
    p.add(`${at}.filter`, render(clauses), `a filter whose every single-value combination fits in ${PUBSUB_FILTER_MAX_BYTES} bytes of Pub/Sub filter (one value is too long to be split further)`);
    return [];
  }
  return parts.map(escapeTerraform);
}

/**
 * The prefixes that are not covered by a shorter one (`Order.` covers `Order.Created`), in their
 * first order. Split subscriptions are disjoint only when no value of one group matches a term of
 * another: `Order.` and `Order.Created` in two subscriptions would deliver `Order.Created` twice.
 */
export function coveringPrefixes(values: readonly string[]): string[] {
  const unique = [...new Set(values)];
  return unique.filter((v) => !unique.some((other) => other !== v && v.startsWith(other)));
}

/** The first filter only (callers that never split). */
export function toPubsubFilter(filter: EventFilterSpec, p: Problems, at: string): string | undefined {
  return toPubsubFilters(filter, p, at)[0];
}

function render(clauses: readonly Clause[]): string {
  return clauses.map((terms) => (terms.length === 1 ? terms[0] : `(${terms.join(" OR ")})`)).join(" AND ");
}

const fits = (clauses: readonly Clause[]) => Buffer.byteLength(render(clauses), "utf8") <= PUBSUB_FILTER_MAX_BYTES;

/** Filters whose union is `clauses`, each within the byte limit; undefined when impossible. */
function split(clauses: readonly Clause[]): string[] | undefined {
  if (fits(clauses)) return [render(clauses)];
  let widest = -1;
  clauses.forEach((c, i) => { if (c.length > 1 && (widest < 0 || c.length > clauses[widest].length)) widest = i; });
  if (widest < 0) return undefined;
  const withTerms = (terms: Clause) => clauses.map((c, i) => (i === widest ? terms : c));
  const groups: string[][] = [];
  let current: string[] = [];
  for (const term of clauses[widest]) {
    if (current.length > 0 && !fits(withTerms([...current, term]))) {
      groups.push(current);
      current = [];
    }
    current.push(term);
  }
  groups.push(current);
  const out: string[] = [];
  for (const group of groups) {
    const parts = split(withTerms(group));
    if (!parts) return undefined;
    out.push(...parts);
  }
  return out;
}

/** A Pub/Sub filter string literal: backslash and double quote escaped. */
export function literal(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The message attribute Cloud Scheduler sets on a scheduled rule's messages (and its subscription filters on). */
export const SCHEDULE_ATTRIBUTE = "polycloud_schedule";

/**
 * A neutral schedule in Cloud Scheduler's unix-cron: cron passes through; a rate becomes an
 * evenly spaced cron, which exists only when it divides the next unit (minutes of 60, hours of
 * 24) or is one day. Other rates are an error rather than an uneven approximation.
 */
export function toCloudSchedulerCron(schedule: Schedule): { cron?: string; error?: string } {
  if (schedule.kind === "cron") return { cron: [schedule.minute, schedule.hour, schedule.dayOfMonth, schedule.month, schedule.dayOfWeek].join(" ") };
  const { value, unit } = schedule;
  if (unit === "minutes" && 60 % value === 0) return { cron: value === 1 ? "* * * * *" : `*/${value} * * * *` };
  if (unit === "hours" && 24 % value === 0) return { cron: value === 1 ? "0 * * * *" : `0 */${value} * * *` };
  if (unit === "days" && value === 1) return { cron: "0 0 * * *" };
  return { error: "a rate Cloud Scheduler's cron can space evenly (minutes dividing 60, hours dividing 24, or 1 day); use cron(...)" };
}
