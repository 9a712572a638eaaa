import { App, Testing } from "cdktf";
import { ServiceSpec, TerraformJson } from "@polycloud/core";
import { buildStacks } from "@polycloud/stacks";
import { dev } from "../../environments/dev";
import { FOUR_SERVICES, fourServices } from "../fixtures/ported/four-services";
import { Series, crossing } from "../helpers/monitoring-condition";

/**
 * Aggregated alert conditions (modules/gcp/src/alert-conditions.ts) with the four services in
 * dev-gcp: one condition per measurement and threshold watches every service's resources and
 * groups by the label that names each, so one service's errors still alarm for that service only.
 * Each condition is evaluated here against series of several services (helpers/monitoring-condition.ts).
 */
const app = Testing.app() as App;
const stack = buildStacks(app, { ...fourServices([dev]), filter: "dev-gcp" }).find((s) => s.node.id === "dev-gcp")!;
const json = JSON.parse(Testing.synth(stack)) as TerraformJson;
const R = json.resource as Record<string, Record<string, any>>;
const policies = Object.entries(R.google_monitoring_alert_policy);
const fnNames = Object.values(R.google_cloudfunctions2_function).map((f) => f.name as string).sort();
const cond = (title: string) => {
  const found = policies.filter(([, p]) => p.display_name.startsWith(title));
  expect(found).toHaveLength(1);
  return found[0][1].conditions[0].condition_threshold;
};
const watched = (c: any) => [...String(/one_of\(([^)]*)\)/.exec(c.filter)?.[1] ?? "").matchAll(/"([^"]*)"/g)].map((m) => m[1]).sort();
const run = (service: string, code: string, points: number[]): Series => ({
  metric: { type: "run.googleapis.com/request_count", labels: { response_code: code, response_code_class: `${code[0]}xx` } },
  resource: { type: "cloud_run_revision", labels: { service_name: service, revision_name: `${service}-00001`, location: "europe-west1" } },
  points,
});

test("one 5xx condition watches every function of the four services, each function its own series", () => {
  const errors = cond("Function 5xx");
  expect(fnNames.filter((n) => /^(orders|shopcart|coffee|ingest)-dev-/.test(n))).toEqual(fnNames);
  expect(new Set(fnNames.map((n) => n.split("-")[0]))).toEqual(new Set(["orders", "shopcart", "coffee", "ingest"]));
  expect(watched(errors)).toEqual(fnNames);
  expect(errors.aggregations).toEqual([{ alignment_period: "300s", per_series_aligner: "ALIGN_SUM", cross_series_reducer: "REDUCE_SUM", group_by_fields: ["resource.label.service_name"] }]);
});

test("one service's errors alarm for that service only (the same semantics as a condition per function)", () => {
  const errors = cond("Function 5xx");
  // dev: functionErrors 5, so the condition fires above 4 (≥ 5 as elsewhere).
  expect(errors.threshold_value).toBe(4);
  const api = fnNames.find((n) => n === "orders-dev-api")!;
  const cart = fnNames.find((n) => n.startsWith("shopcart-dev-"))!;
  const quiet = [run(cart, "500", [1, 1]), run(cart, "200", [100]), run(api, "200", [400])];
  // A 500 and a 503 of the same function add up (3 + 2 = 5): it fires, the other service's 2 errors do not.
  expect(crossing(errors, [...quiet, run(api, "500", [1, 2]), run(api, "503", [2])])).toEqual([api]);
  // The other way round: only the cart function.
  expect(crossing(errors, [run(api, "500", [4]), run(cart, "500", [3]), run(cart, "503", [2])])).toEqual([cart]);
  // Both at once: two incidents, one per function; errors spread over services never add up across them.
  expect(crossing(errors, [run(api, "500", [5]), run(cart, "500", [5])])).toEqual([api, cart].sort());
  expect(crossing(errors, [run(api, "500", [3]), run(cart, "500", [3])])).toEqual([]);
  // A function of another environment in the same project is not watched.
  expect(crossing(errors, [run("orders-staging-api", "500", [50])])).toEqual([]);
  // 429s are the throttle condition's, not the errors'.
  expect(crossing(errors, [run(api, "429", [50])])).toEqual([]);
  expect(crossing(cond("Function 429"), [run(api, "429", [50]), run(cart, "429", [0])])).toEqual([api]);
});

test("dead letters: queues and rules share one condition; a dead-lettered message alarms for its own subscription", () => {
  const dead = cond("Messages dead-lettered");
  // Every subscription with a dead-letter policy (queues' and rules'), of every service.
  const pushed = Object.values(R.google_pubsub_subscription).filter((s) => s.dead_letter_policy).map((s) => s.name as string).sort();
  expect(watched(dead)).toEqual(pushed);
  expect(new Set(pushed.map((n) => n.split("-")[0])).size).toBeGreaterThan(1);
  const sub = (name: string, points: number[]): Series => ({ metric: { type: "pubsub.googleapis.com/subscription/dead_letter_message_count" }, resource: { type: "pubsub_subscription", labels: { subscription_id: name } }, points });
  const a = pushed.find((n) => n.startsWith("coffee-"))!;
  const b = pushed.find((n) => n.startsWith("ingest-"))!;
  expect(crossing(dead, [sub(a, [1]), sub(b, [0, 0])])).toEqual([a]);
  expect(crossing(dead, [sub(pushed[0], [0]), sub(pushed[pushed.length - 1], [2])])).toEqual([pushed[pushed.length - 1]]);
});

test("p99 latency: a function's threshold is 80% of its own timeout, so functions with another timeout get a condition of their own", () => {
  const latency = policies.filter(([, p]) => p.display_name.startsWith("Function p99 latency")).map(([, p]) => p.conditions[0].condition_threshold);
  const timeouts = new Map(Object.values(R.google_cloudfunctions2_function).map((f) => [f.name as string, f.service_config.timeout_seconds as number]));
  // Every function is watched by exactly one latency condition, at its own timeout's threshold.
  expect(latency.flatMap(watched).sort()).toEqual(fnNames);
  for (const c of latency) for (const name of watched(c)) expect({ name, threshold: c.threshold_value }).toEqual({ name, threshold: timeouts.get(name)! * 1000 * 0.8 });
  expect(latency.length).toBe(new Set(timeouts.values()).size);
  // A slow request of a long-timeout function does not alarm; the same latency on a short-timeout function does.
  const [short, long] = [...latency].sort((x, y) => x.threshold_value - y.threshold_value).filter((_, i, all) => i === 0 || i === all.length - 1);
  const lat = (name: string, ms: number): Series => ({ metric: { type: "run.googleapis.com/request_latencies" }, resource: { type: "cloud_run_revision", labels: { service_name: name } }, points: Array(100).fill(ms) });
  const ms = short.threshold_value + 1;
  expect(crossing(short, [lat(watched(short)[0], ms)])).toEqual([watched(short)[0]]);
  expect(crossing(long, [lat(watched(long)[0], ms)])).toEqual([]);
});

test("one condition per measurement and threshold: 17 for the four services in dev-gcp (111 with a condition per resource)", () => {
  const titles = policies.map(([, p]) => p.display_name).sort();
  expect(titles.length).toBe(17);
  // Ids name what is measured and the threshold, never a service (adding or removing one renames
  // nothing); a schedule's failed runs keep a condition of their own (its log-based metric is the job's).
  const own = policies.map(([address]) => address).filter((a) => !a.startsWith("shared-tier_alerts_"));
  expect(own).toEqual([expect.stringMatching(/^coffee_bus-events_schedule-morning-alarm-failed_/)]);
  const services: ServiceSpec[] = FOUR_SERVICES.map((s) => s(dev));
  expect(services.map((s) => s.name)).toEqual(["orders", "shopcart", "coffee", "ingest"]);
});
