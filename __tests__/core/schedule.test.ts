import { Problems, dayOfWeekNames, parseSchedule, validateService } from "@polycloud/core";
import { AWS_LIMITS, toEventBridgeSchedule } from "@polycloud/aws";
import { toCloudSchedulerCron } from "@polycloud/gcp";

test("rates and five-field unix cron parse; everything else is rejected with the reason", () => {
  expect(parseSchedule("rate(5 minutes)")).toEqual({ kind: "rate", value: 5, unit: "minutes" });
  expect(parseSchedule("rate(1 day)")).toEqual({ kind: "rate", value: 1, unit: "days" });
  expect(parseSchedule("cron(0 8 * * MON-FRI)")).toEqual({ kind: "cron", minute: "0", hour: "8", dayOfMonth: "*", month: "*", dayOfWeek: "MON-FRI" });
  expect(parseSchedule("cron(*/15 0-6,20-23 1 JAN,jul 0)")).toMatchObject({ kind: "cron", minute: "*/15" });
  const bad: [unknown, RegExp][] = [
    ["rate(1 minutes)", /use "minute" for a rate of 1/],
    ["rate(2 hour)", /use "hours" for a rate above 1/],
    ["rate(0 minutes)", /at least 1/],
    ["every 5 minutes", /neither rate/],
    ["cron(0 8 * * ? *)", /5 fields.*got 6/],
    ["cron(60 * * * *)", /minute field "60": "60" outside 0\.\.59/],
    ["cron(0 24 * * *)", /hour field/],
    ["cron(0 0 0 * *)", /day-of-month field "0"/],
    ["cron(0 0 * 13 *)", /month field/],
    ["cron(0 0 * * FUNDAY)", /day-of-week field/],
    ["cron(0 0 * * 5-1)", /runs backwards/],
    ["cron(*/0 * * * *)", /step "0"/],
    [5, /not a string/],
  ];
  for (const [text, why] of bad) expect(parseSchedule(text)).toMatch(why);
  expect(dayOfWeekNames("0,1-5,7")).toBe("SUN,MON-FRI,SUN");
});

test("EventBridge dialect: year field, ? in the unrestricted day field, day names, first-value steps; both day fields is an error", () => {
  const eb = (t: string) => toEventBridgeSchedule(parseSchedule(t) as any);
  expect(eb("rate(1 minute)")).toEqual({ expression: "rate(1 minute)" });
  expect(eb("rate(10 minutes)")).toEqual({ expression: "rate(10 minutes)" });
  expect(eb("cron(0 8 * * 1-5)")).toEqual({ expression: "cron(0 8 ? * MON-FRI *)" });
  expect(eb("cron(*/15 * * * *)")).toEqual({ expression: "cron(0/15 * * * ? *)" });
  expect(eb("cron(30 2 1 * *)")).toEqual({ expression: "cron(30 2 1 * ? *)" });
  expect(eb("cron(0 0 1 * MON)").error).toMatch(/not both restricted/);
});

test("Cloud Scheduler dialect: unix cron as is; rates only when evenly spaced", () => {
  const gs = (t: string) => toCloudSchedulerCron(parseSchedule(t) as any);
  expect(gs("cron(0 8 * * MON-FRI)")).toEqual({ cron: "0 8 * * MON-FRI" });
  expect(gs("rate(15 minutes)")).toEqual({ cron: "*/15 * * * *" });
  expect(gs("rate(1 minute)")).toEqual({ cron: "* * * * *" });
  expect(gs("rate(6 hours)")).toEqual({ cron: "0 */6 * * *" });
  expect(gs("rate(1 day)")).toEqual({ cron: "0 0 * * *" });
  for (const t of ["rate(7 minutes)", "rate(5 hours)", "rate(2 days)"]) expect(gs(t).error).toMatch(/space evenly/);
});

test("a scheduled rule has no filter, and its schedule is validated at synth", () => {
  const base = (rule: object) => ({
    name: "s", functions: { f: { source: "stacks/reference/functions/worker", runtime: "nodejs22", handler: "index.handler" } },
    buses: { b: { rules: { r: { target: { function: "f" }, ...rule } } } },
  });
  const msgs = (rule: object) => { const p = new Problems("Service"); validateService(base(rule) as any, AWS_LIMITS, p); return p.messages(); };
  expect(msgs({ schedule: "rate(5 minutes)" })).toEqual([]);
  expect(msgs({ schedule: "cron(0 8 * * *)", filter: { source: ["x"] } })).toContainEqual(expect.stringMatching(/property 'buses\.b\.rules\.r\.filter' has value .*; allowed: no filter on a scheduled rule/));
  expect(msgs({ schedule: "cron(0 8 * *)" })).toContainEqual(expect.stringMatching(/property 'buses\.b\.rules\.r\.schedule' has value "cron\(0 8 \* \*\)"; allowed: rate\(<n> minutes\|hours\|days\).*\(cron needs 5 fields/));
  expect(msgs({})).toContainEqual(expect.stringMatching(/buses\.b\.rules\.r\.filter.*at least one non-empty clause/));
});
