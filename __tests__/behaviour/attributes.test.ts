import { BEHAVIOUR_FIELDS, CLOUDS, behaviourEntries, intendedBehaviour } from "@polycloud/core";
import { readDocSection } from "../../scripts/doc-section";
import { BEHAVIOUR_SOURCES, behaviourAttributesTable } from "../../stacks/behaviour-attributes-table";
import { READERS } from "./read";
import { declaredPaths, newReads, recording, unread } from "./recorder";
import { scenarios, synthScenario } from "./scenarios";

const SCENARIOS = scenarios();
const reads = Object.fromEntries(CLOUDS.map((c) => {
  const r = newReads();
  for (const s of SCENARIOS) READERS[c](recording(synthScenario(s, c), r));
  return [c, r];
})) as Record<(typeof CLOUDS)[number], ReturnType<typeof newReads>>;

test("every field of the record is listed, with what it means, and every cloud lists where it reads each", () => {
  const kindOf = (field: string) => field.slice(0, field.indexOf("."));
  const fields = new Set(SCENARIOS.flatMap((s) => [...behaviourEntries(intendedBehaviour(s.service(s.env), s.env, "aws")).values()].map((e) => e.field)));
  const listed = new Set(Object.keys(BEHAVIOUR_FIELDS));
  const informational = ["database.poolServerConnections", "database.maxConnections", "database.pools"];
  expect([...fields].filter((f) => !listed.has(f) && !listed.has(`${kindOf(f)}.*`) && !informational.includes(f)).sort()).toEqual([]);
  for (const c of CLOUDS) expect([c, Object.keys(BEHAVIOUR_SOURCES[c]).sort()]).toEqual([c, [...listed].sort()]);
});

test.each(CLOUDS)("the %s reader reads every attribute it lists, over the scenarios' stacks", (cloud) => {
  expect(unread(cloud, reads[cloud])).toEqual([]);
});

test.each(CLOUDS)("the %s reader never reads labels, tags, descriptions or the functions' copies of the spec", (cloud) => {
  const forbidden = [...reads[cloud].read.keys()].filter((p) =>
    /(^|\.)(labels|user_labels|tags|description|display_name)(\.|$)/.test(p) && !p.startsWith("google_monitoring_notification_channel.labels")
    || /\.(PLATFORM_ROUTES|PLATFORM_JWT_[A-Z_]+|PLATFORM_MAX_INSTANCES|PLATFORM_PER_INSTANCE_CONCURRENCY)$/.test(p));
  expect(forbidden).toEqual([]);
});

test("docs/parity.md lists where each field is read on each cloud (run `npm run parity` after changing a reader's list)", () => {
  expect(readDocSection("behaviour-attributes")).toBe(behaviourAttributesTable());
});

test("negative controls: nothing read leaves every listed attribute unread; a read label is reported", () => {
  const none = newReads();
  expect(unread("aws", none)).toEqual(declaredPaths("aws"));
  const r = newReads();
  const stack = recording({ resource: { google_pubsub_subscription: { s: { labels: { target: "queue-x" } } } } }, r);
  void (stack.resource.google_pubsub_subscription as any).s.labels.target;
  expect([...r.read.keys()]).toContain("google_pubsub_subscription.labels.target");
});
