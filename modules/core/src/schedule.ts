/**
 * Cloud-neutral schedules for event rules: `rate(<n> minute|minutes|hour|hours|day|days)` or
 * `cron(<minute> <hour> <day-of-month> <month> <day-of-week>)` in the five-field unix-cron dialect,
 * always UTC. Each cloud translates the parsed form into its own dialect; what a dialect cannot
 * express is an error there, never an approximation.
 */
export type Schedule =
  | { readonly kind: "rate"; readonly value: number; readonly unit: "minutes" | "hours" | "days" }
  | { readonly kind: "cron"; readonly minute: string; readonly hour: string; readonly dayOfMonth: string; readonly month: string; readonly dayOfWeek: string };

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\(([^()]*)\)$/;
/**
 * The event a scheduled rule delivers on every cloud: the same source, type and data, so a
 * handler tells ticks apart by rule id, whichever cloud runs it.
 */
export const SCHEDULED_EVENT = { source: "polycloud.schedule", type: "Scheduled Event", dataKey: "polycloud_schedule" } as const;

/** The data of a scheduled rule's event: `{ "polycloud_schedule": "<rule id>" }`. */
export const scheduledEventData = (ruleId: string): Record<string, string> => ({ [SCHEDULED_EVENT.dataKey]: ruleId });

/** A delivered event as the behaviour records compare it. */
export const scheduledEventText = (source: unknown, type: unknown, data: unknown): string => `${String(source)} | ${String(type)} | ${JSON.stringify(data)}`;

export const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] as const;
const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] as const;

/** field name, min, max, names accepted in place of numbers */
const FIELDS: readonly [string, number, number, readonly string[]][] = [
  ["minute", 0, 59, []],
  ["hour", 0, 23, []],
  ["day-of-month", 1, 31, []],
  ["month", 1, 12, MONTH_NAMES],
  ["day-of-week", 0, 7, DAY_NAMES],
];

export const SCHEDULE_FORMS = "rate(<n> minutes|hours|days) with n ≥ 1 (singular unit for 1), or cron(<minute> <hour> <day-of-month> <month> <day-of-week>) in unix-cron form (numbers, names, *, ranges a-b, lists a,b and steps /n), UTC";

/** Parses a schedule; returns an error text (what is wrong) instead when it is not valid. */
export function parseSchedule(text: unknown): Schedule | string {
  if (typeof text !== "string") return "not a string";
  const rate = RATE.exec(text);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2];
    if (value < 1) return "the rate must be at least 1";
    if ((value === 1) !== !unit.endsWith("s")) return value === 1 ? `use "${unit.replace(/s$/, "")}" for a rate of 1` : `use "${unit}s" for a rate above 1`;
    return { kind: "rate", value, unit: (unit.endsWith("s") ? unit : `${unit}s`) as "minutes" | "hours" | "days" };
  }
  const cron = CRON.exec(text);
  if (!cron) return "neither rate(...) nor cron(...)";
  const parts = cron[1].trim().split(/\s+/);
  if (parts.length !== 5) return `cron needs 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`;
  for (let i = 0; i < 5; i++) {
    const [name, min, max, names] = FIELDS[i];
    const bad = checkField(parts[i], min, max, names);
    if (bad) return `${name} field "${parts[i]}": ${bad}`;
  }
  const [minute, hour, dayOfMonth, month, dayOfWeek] = parts;
  return { kind: "cron", minute, hour, dayOfMonth, month, dayOfWeek };
}

function checkField(field: string, min: number, max: number, names: readonly string[]): string | undefined {
  for (const item of field.split(",")) {
    const [range, step, extra] = item.split("/");
    if (extra !== undefined) return "more than one /";
    if (step !== undefined && !/^[1-9]\d*$/.test(step)) return `step "${step}" is not a positive number`;
    if (range === "*") continue;
    const ends = range.split("-");
    if (ends.length > 2) return `"${range}" is not a value or a range a-b`;
    const values = ends.map((e) => value(e, names));
    if (values.some((v) => v === undefined || v < min || v > max)) return `"${range}" outside ${min}..${max}${names.length ? ` or ${names[0]}..${names[names.length - 1]}` : ""}`;
    if (values.length === 2 && values[0]! > values[1]!) return `range "${range}" runs backwards`;
  }
  return undefined;
}

function value(text: string, names: readonly string[]): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const i = names.indexOf(text.toUpperCase());
  if (i < 0) return undefined;
  return names === MONTH_NAMES ? i + 1 : i;
}

/** Numeric day-of-week values (0 and 7 are Sunday) as names, which every dialect reads the same way. */
export function dayOfWeekNames(field: string): string {
  return field.split(",").map((item) => {
    const [range, step] = item.split("/");
    const named = range === "*" ? "*" : range.split("-").map((e) => (/^\d+$/.test(e) ? DAY_NAMES[Number(e) % 7] : e.toUpperCase())).join("-");
    return step ? `${named}/${step}` : named;
  }).join(",");
}

/**
 * The values a parsed cron field selects, ascending and without repeats (day-of-week 7 folds into
 * 0, Sunday). `field` is one of the five names used in error texts: minute, hour, day-of-month,
 * month, day-of-week. Assumes the field passed `parseSchedule`.
 */
export function expandCronField(field: string, which: "minute" | "hour" | "day-of-month" | "month" | "day-of-week"): number[] {
  const [, min, max, names] = FIELDS.find(([name]) => name === which)!;
  const out = new Set<number>();
  for (const item of field.split(",")) {
    const [range, stepText] = item.split("/");
    const step = stepText ? Number(stepText) : 1;
    let from: number;
    let to: number;
    if (range === "*") { from = min; to = max; } else {
      const ends = range.split("-").map((e) => value(e, names)!);
      from = ends[0];
      // unix cron: `a/n` without an end runs to the field's maximum
      to = ends.length === 2 ? ends[1] : stepText ? max : ends[0];
    }
    for (let v = from; v <= to; v += step) out.add(which === "day-of-week" ? v % 7 : v);
  }
  return [...out].sort((a, b) => a - b);
}
