import { Schedule, expandCronField } from "@polycloud/core";

/** The arguments of `azurerm_logic_app_trigger_recurrence` a neutral schedule becomes (always UTC). */
export interface LogicAppRecurrence {
  readonly frequency: "Minute" | "Hour" | "Day" | "Week";
  readonly interval: number;
  readonly schedule?: { readonly atTheseHours?: number[]; readonly atTheseMinutes?: number[]; readonly onTheseDays?: string[] };
  /**
   * A fixed start in the past: the trigger counts its occurrences from it and waits for the next
   * one instead of firing when the workflow is created or saved (and never shifts its phase when
   * the trigger is updated).
   */
  readonly startTime: string;
}

/** Largest recurrence interval per frequency (Azure Logic Apps limits, Consumption). */
export const LOGIC_APP_MAX_INTERVAL = { Minute: 72000, Hour: 12000, Day: 500 } as const;

/**
 * A fixed start in the past (Wednesday 2025-01-01, midnight UTC) for every recurrence: rates then
 * fire on UTC boundaries counted from it (`rate(5 minutes)` at :00, :05, …, as Cloud Scheduler's
 * cron does), crons at their hours and minutes, and a save or update never fires a run.
 */
export const RECURRENCE_START = "2025-01-01T00:00:00Z";

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/**
 * Translates a neutral schedule into a Logic App recurrence: a rate becomes Minute/Hour/Day with
 * its interval, counted from a fixed past start (so a save never fires it); a cron becomes a daily (or,
 * with week days, weekly) recurrence at the listed hours and minutes. The recurrence trigger has
 * no month days or months, so a cron restricting those is an error, never an approximation.
 */
export function toLogicAppRecurrence(s: Schedule): { recurrence?: LogicAppRecurrence; error?: string } {
  if (s.kind === "rate") {
    const frequency = ({ minutes: "Minute", hours: "Hour", days: "Day" } as const)[s.unit];
    const max = LOGIC_APP_MAX_INTERVAL[frequency];
    if (s.value > max) return { error: `a rate a Logic App recurrence can express: at most ${max} ${s.unit}` };
    return { recurrence: { frequency, interval: s.value, startTime: RECURRENCE_START } };
  }
  if (s.dayOfMonth !== "*" || s.month !== "*") {
    return { error: "a schedule a Logic App recurrence can express: day-of-month and month must be * (the recurrence trigger offers hours, minutes and week days only)" };
  }
  const minutes = expandCronField(s.minute, "minute");
  const hours = expandCronField(s.hour, "hour");
  const days = s.dayOfWeek === "*" ? undefined : expandCronField(s.dayOfWeek, "day-of-week");
  const everyDay = days === undefined || days.length === 7;
  if (minutes.length === 60 && hours.length === 24 && everyDay) return { recurrence: { frequency: "Minute", interval: 1, startTime: RECURRENCE_START } };
  return {
    recurrence: {
      frequency: everyDay ? "Day" : "Week",
      interval: 1,
      startTime: RECURRENCE_START,
      schedule: { atTheseHours: hours, atTheseMinutes: minutes, ...(everyDay ? {} : { onTheseDays: days!.map((d) => DAYS[d]) }) },
    },
  };
}
