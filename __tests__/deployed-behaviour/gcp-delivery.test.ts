import { readGcpBehaviour } from "@polycloud/gcp";
import { readAwsBehaviour } from "@polycloud/aws";
import { compareBehaviours } from "@polycloud/core";
import { warnings } from "../helpers/cloud-fixtures";
import { envByName, synthPlatform } from "../helpers/synth";
import { clone } from "../helpers/cloud-fixtures";
import { referenceService } from "../../stacks/reference-service";
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

/**
 * 28.6: Pub/Sub push counts a push the consumer rejects at its concurrency cap (429) as a delivery
 * attempt; SQS holds messages until a poller takes them. A burst simulated against what each stack
 * says (attempts, backoff, the consumer's cap and timeout): GCP delivers every message of a burst of
 * up to attempts × cap (its minimum backoff is at least the consumer's timeout, so each rejection
 * of a message is separated by a full turnover of the cap); one more can be dead-lettered without
 * running. The warning states that bound.
 */
function pushBurst(burst: number, o: { attempts: number; cap: number; serviceSeconds: number; minBackoff: number; maxBackoff: number }): { delivered: number; deadLettered: number } {
  type Ev = { t: number; kind: "done" | "push"; msg: number; attempt: number };
  const queue: Ev[] = Array.from({ length: burst }, (_, msg) => ({ t: 0, kind: "push" as const, msg, attempt: 1 }));
  let inFlight = 0;
  let delivered = 0;
  let deadLettered = 0;
  while (queue.length) {
    // Completions before pushes at the same instant: capacity frees first.
    queue.sort((a, b) => a.t - b.t || (a.kind === "done" ? -1 : 1) - (b.kind === "done" ? -1 : 1));
    const ev = queue.shift()!;
    if (ev.kind === "done") { inFlight--; delivered++; continue; }
    if (inFlight < o.cap) { inFlight++; queue.push({ t: ev.t + o.serviceSeconds, kind: "done", msg: ev.msg, attempt: ev.attempt }); continue; }
    if (ev.attempt >= o.attempts) { deadLettered++; continue; }
    const wait = Math.min(o.maxBackoff, o.minBackoff * 2 ** (ev.attempt - 1));
    queue.push({ t: ev.t + wait, kind: "push", msg: ev.msg, attempt: ev.attempt + 1 });
  }
  return { delivered, deadLettered };
}

/** SQS and an event source mapping: messages wait in the queue; a receive happens only when a poller has room. */
function sqsBurst(burst: number, o: { cap: number; serviceSeconds: number; retentionSeconds: number }): { delivered: number; deadLettered: number; expired: number } {
  const drained = Math.ceil(burst / o.cap) * o.serviceSeconds;
  return drained <= o.retentionSeconds ? { delivered: burst, deadLettered: 0, expired: 0 } : { delivered: Math.floor(o.retentionSeconds / o.serviceSeconds) * o.cap, deadLettered: 0, expired: burst - Math.floor(o.retentionSeconds / o.serviceSeconds) * o.cap };
}

describe("28.6 GCP: a burst larger than the consumer's cap", () => {
  const gcp = synthPlatform(env, referenceService(env), "gcp");
  const aws = synthPlatform(env, referenceService(env), "aws");
  const sub = Object.values<any>(gcp.json.resource.google_pubsub_subscription).find((s) => s.name === "orders-dev-orders")!;
  const worker = Object.values<any>(gcp.json.resource.google_cloudfunctions2_function).find((f) => f.name === "orders-dev-worker")!;
  const o = {
    attempts: sub.dead_letter_policy.max_delivery_attempts,
    cap: worker.service_config.max_instance_count * worker.service_config.max_instance_request_concurrency,
    serviceSeconds: worker.service_config.timeout_seconds,
    minBackoff: secs(sub.retry_policy.minimum_backoff),
    maxBackoff: secs(sub.retry_policy.maximum_backoff),
  };

  test("what the stack says: 5 attempts, a cap of 5, the minimum backoff at least the consumer's timeout", () => {
    expect(o).toEqual({ attempts: 5, cap: 5, serviceSeconds: 60, minBackoff: 360, maxBackoff: 600 });
    expect(o.minBackoff).toBeGreaterThanOrEqual(o.serviceSeconds);
  });

  test("up to attempts × cap messages are all delivered on GCP; one more can be dead-lettered without running, where SQS holds it", () => {
    const bound = o.attempts * o.cap;
    expect(pushBurst(bound, o)).toEqual({ delivered: bound, deadLettered: 0 });
    expect(pushBurst(bound + 1, o).deadLettered).toBeGreaterThan(0);
    const mapping = Object.values<any>(aws.json.resource.aws_lambda_event_source_mapping)[0];
    const queue = Object.values<any>(aws.json.resource.aws_sqs_queue).find((q) => q.name === "orders-dev-orders")!;
    const sqs = { cap: mapping.scaling_config.maximum_concurrency, serviceSeconds: 60, retentionSeconds: queue.message_retention_seconds };
    expect(sqsBurst(bound * 10, sqs)).toEqual({ delivered: bound * 10, deadLettered: 0, expired: 0 });
    // Negative control: a backoff shorter than the service time (the old 10 s for rules) loses messages inside the bound.
    expect(pushBurst(bound, { ...o, minBackoff: 10 }).deadLettered).toBeGreaterThan(0);
  });

  test("synth warns with that bound, on every push path", () => {
    const w = warnings(gcp.stack).filter((x) => /counts as a delivery attempt on Pub\/Sub/.test(x));
    expect(w).toContainEqual(expect.stringMatching(/GcpPushDelivery\(orders\): .* a burst of more than 5 attempts × 5 concurrent = 25 messages can be dead-lettered without running/));
    expect(w.length).toBe(Object.values<any>(gcp.json.resource.google_pubsub_subscription).filter((s) => s.push_config).length);
  });
});
