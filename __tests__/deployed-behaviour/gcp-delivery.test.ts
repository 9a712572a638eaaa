import { readGcpBehaviour } from "@polycloud/gcp";
import { readAwsBehaviour } from "@polycloud/aws";
import { compareBehaviours } from "@polycloud/core";
import { clone, warnings } from "../helpers/cloud-fixtures";
import { envByName, synthPlatform } from "../helpers/synth";
import { variantService } from "./stacks";

const secs = (d: string) => Number(String(d).replace(/s$/, ""));
const env = envByName("dev");

describe("28.5 GCP: a rule into a function dead-letters what it cannot deliver, and its record says so honestly", () => {
  const gcp = synthPlatform(env, variantService(env), "gcp");
  const sub = Object.values<any>(gcp.json.resource.google_pubsub_subscription).find((s) => s.name === "orders-dev-events-audit")!;

  test("an hour of event age cannot hold 100 attempts at the worker's 60 s: events are kept for the whole schedule, with a warning", () => {
    expect(sub.dead_letter_policy.max_delivery_attempts).toBe(100);
    expect(sub.ack_deadline_seconds).toBe(60);
    expect(sub.retry_policy).toEqual({ minimum_backoff: "60s", maximum_backoff: "60s" });
    expect(secs(sub.message_retention_duration)).toBe(100 * (60 + 60));
    expect(warnings(gcp.stack)).toContainEqual(expect.stringMatching(/GcpEventBus\(events\): rule 'audit' property 'retry\.maxEventAgeSeconds' = 3600 cannot hold 100 Pub\/Sub delivery attempts .* events are kept 12000 s/));
    // Where the age holds the attempts, the backoff is fitted into it and the age is kept.
    const nightly = Object.values<any>(gcp.json.resource.google_pubsub_subscription).find((s) => s.name === "orders-dev-events-nightly")!;
    expect([secs(nightly.message_retention_duration), nightly.dead_letter_policy.max_delivery_attempts, nightly.retry_policy.maximum_backoff]).toEqual([3600, 5, "600s"]);
  });

  test("the record: dead-lettered, with the longer age a deviation entry covers; cut the retention back and the reader says dropped", () => {
    const aws = synthPlatform(env, variantService(env), "aws");
    const records = { aws: readAwsBehaviour(aws.json as any), gcp: readGcpBehaviour(gcp.json as any) };
    expect(records.gcp.rules["events/audit"]).toMatchObject({ undeliverable: "dead-lettered", maxEventAgeSeconds: 12000, survivesOutageSeconds: 12000 });
    expect(records.aws.rules["events/audit"]).toMatchObject({ undeliverable: "dead-lettered", maxEventAgeSeconds: 3600 });
    const cut = clone(gcp.json) as any;
    Object.values<any>(cut.resource.google_pubsub_subscription).find((s) => s.name === "orders-dev-events-audit")!.message_retention_duration = "3600s";
    expect(readGcpBehaviour(cut).rules["events/audit"].undeliverable).toBe("dropped");
    // The comparison accepts the longer age only through the deviation entry.
    const { problems } = compareBehaviours(records, variantService(env), env, []);
    expect(problems.filter((p: string) => /rule:events\/audit\.(maxEventAgeSeconds|survivesOutageSeconds)/.test(p))).toEqual([]);
  });
});
