import { readGcpBehaviour } from "@polycloud/gcp";
import { readAwsBehaviour } from "@polycloud/aws";
import { ServiceSpec, compareBehaviours, pubsubQueuePush } from "@polycloud/core";
import { clone, warnings } from "../helpers/cloud-fixtures";
import { envByName, synthPlatform } from "../helpers/synth";
import { referenceService } from "../../stacks/reference-service";
import { coffeeService, useCoffeeWheels } from "../fixtures/coffee-service";
import { variantService } from "./stacks";
import { PushSettings, pushBurst, pushSettings, sqsBurst } from "./push-burst";

/**
 * Issue 28.6: Pub/Sub push counts a push the consumer rejects at its concurrency cap (429) as a
 * delivery attempt; SQS holds messages until a poller has room. The queue's push subscription is
 * sized from its consumer (modules/gcp/src/push-sizing.ts): as many attempts as fit, one consumer
 * timeout apart, into the time SQS takes to dead-letter a failing message (declared receives ×
 * visibility), so that a burst of attempts × cap is delivered without dead letters. The burst is
 * simulated against what the synthesized stack says.
 */
const env = envByName("dev");
const spec = referenceService(env);
const gcp = synthPlatform(env, spec, "gcp");
// The AWS stack of the same service, synthesized once for the two tests that read it.
let awsStack: ReturnType<typeof synthPlatform> | undefined;
const awsSynth = () => (awsStack ??= synthPlatform(env, spec, "aws"));
const o = pushSettings(gcp.json, "orders-dev-orders");
// The documented bound, from the spec alone: ⌊declared attempts × visibility / consumer timeout⌋ × cap.
const declared = spec.queues!.orders.maxDeliveryAttempts!;
const timeout = spec.functions.worker.timeoutSeconds!;
const visibility = 6 * timeout;
const cap = spec.queues!.orders.maxConcurrency!;
const bound = Math.floor((declared * visibility) / timeout) * cap;
/** What main synthesized before this change: the declared 5 attempts, 360–600 s apart. */
const before: PushSettings = { ...o, attempts: declared, minBackoff: visibility, maxBackoff: 600 };

describe("28.6 GCP: a burst into a push consumer at its cap", () => {
  test("what the stack says: attempts sized from the consumer's cap and timeout; the rule into the queue delivers alike", () => {
    expect({ declared, timeout, visibility, cap, bound }).toEqual({ declared: 5, timeout: 60, visibility: 360, cap: 5, bound: 150 });
    expect(o).toEqual({ attempts: 30, minBackoff: 60, maxBackoff: 60, cap: 5, timeout: 60 });
    expect(pushSettings(gcp.json, "orders-dev-events-order-created")).toEqual(o);
    expect(o.attempts * o.cap).toBe(bound);
  });

  test("a burst of up to the bound drains with no healthy message dead-lettered (any run times ≤ the timeout, jittered backoff)", () => {
    for (const n of [o.cap, o.cap + 1, Math.floor(bound / 2), bound]) {
      expect(pushBurst(n, o)).toMatchObject({ delivered: n, healthyDeadLettered: 0 });
      for (const seed of [1, 2, 3, 4, 5]) expect(pushBurst(n, o, { seed })).toMatchObject({ delivered: n, healthyDeadLettered: 0 });
    }
    // The bound is tight: when every run lasts the whole timeout, one more message is dead-lettered unrun.
    expect(pushBurst(bound + 1, o).healthyDeadLettered).toBeGreaterThan(0);
  });

  test("today's settings (5 attempts, 360–600 s) dead-letter healthy messages of the same burst; SQS holds every one", () => {
    const old = pushBurst(bound, before);
    expect(old.healthyDeadLettered).toBeGreaterThan(0);
    expect(old.delivered + old.healthyDeadLettered).toBe(bound);
    const aws = awsSynth();
    const mapping = Object.values<any>(aws.json.resource.aws_lambda_event_source_mapping)[0];
    const queue = Object.values<any>(aws.json.resource.aws_sqs_queue).find((q) => q.name === "orders-dev-orders")!;
    const sqs = { cap: mapping.scaling_config.maximum_concurrency, timeout, retentionSeconds: queue.message_retention_seconds };
    expect(sqsBurst(bound * 10, sqs)).toEqual({ delivered: bound * 10, deadLettered: 0, expired: 0 });
  });

  test("a poison message still reaches the DLQ: after the sized attempts, between the time SQS takes and twice that", () => {
    const alone = pushBurst(1, o, { poison: 1 });
    expect(alone).toMatchObject({ poisonDeadLettered: 1, healthyDeadLettered: 0 });
    // SQS: 5 receives × 360 s. Pub/Sub: 30 runs (each up to 60 s) 60 s apart.
    expect(alone.poisonDeadLetteredAt).toBeGreaterThanOrEqual(declared * visibility - o.minBackoff);
    expect(alone.poisonDeadLetteredAt).toBeLessThanOrEqual(2 * declared * visibility);
    // In a burst, each poison message holds up to `attempts` runs of the cap: healthy + poison × attempts ≤ the bound is safe.
    const poison = 2;
    const mixed = pushBurst(bound - poison * o.attempts + poison, o, { poison });
    expect(mixed).toMatchObject({ poisonDeadLettered: poison, healthyDeadLettered: 0, delivered: bound - poison * o.attempts });
    for (const seed of [7, 8, 9]) expect(pushBurst(bound - poison * o.attempts + poison, o, { poison, seed })).toMatchObject({ poisonDeadLettered: poison, healthyDeadLettered: 0 });
  });

  test("the record: GCP delivers a burst of attempts × cap where AWS holds any; the comparison admits it only through the deviation entry", () => {
    const aws = awsSynth();
    const records = { aws: readAwsBehaviour(aws.json as any), gcp: readGcpBehaviour(gcp.json as any) };
    expect(records.gcp.queues.orders).toMatchObject({ burstWithoutDeadLetter: bound, deliveryAttempts: 30, retrySpacingSeconds: 60 });
    expect(records.aws.queues.orders).toMatchObject({ burstWithoutDeadLetter: null, deliveryAttempts: 5, retrySpacingSeconds: 360 });
    expect(records.gcp.rules["events/order-created"].attempts).toBe(30);
    expect(pubsubQueuePush(spec, "orders")).toEqual({ attempts: 30, spacing: 60 });
    const queueProblems = (r: typeof records) => compareBehaviours(r, spec, env, []).problems.filter((p) => /queue:orders|rule:events\/order-created\.attempts/.test(p));
    expect(queueProblems(records)).toEqual([]);
    // Today's JSON reads as a burst of 25 and is refused; a backoff shorter than the timeout bounds nothing beyond the cap.
    const withSub = (change: (s: any) => void) => {
      const json = clone(gcp.json) as any;
      for (const s of Object.values<any>(json.resource.google_pubsub_subscription)) if (s.push_config) change(s);
      return readGcpBehaviour(json);
    };
    const old = withSub((s) => { s.dead_letter_policy.max_delivery_attempts = 5; s.retry_policy = { minimum_backoff: "360s", maximum_backoff: "600s" }; });
    expect(old.queues.orders.burstWithoutDeadLetter).toBe(25);
    expect(queueProblems({ ...records, gcp: old })).toContainEqual(expect.stringMatching(/queue:orders\.burstWithoutDeadLetter/));
    const short = withSub((s) => { s.retry_policy = { minimum_backoff: "10s", maximum_backoff: "60s" }; });
    expect(short.queues.orders.burstWithoutDeadLetter).toBe(cap);
    expect(pushBurst(cap + 1, { ...o, minBackoff: 10 }).healthyDeadLettered).toBe(0); // (one more than the cap can still drain…)
    expect(pushBurst(bound, { ...o, minBackoff: 10, maxBackoff: 60 }).healthyDeadLettered).toBeGreaterThan(0); // …but not the bound.
  });

  test("the warning fires where the senders at their caps could send more than the bound while the attempts run, and only there", () => {
    const pushWarnings = (s: ServiceSpec) => warnings(synthPlatform(env, s, "gcp").stack).filter((x) => /counts as a delivery attempt on Pub\/Sub/.test(x));
    // The queue has no producers (the rule feeds it): only the rule's subscription, fed by api (cap 20, 10 s), warns.
    const ref = warnings(gcp.stack).filter((x) => /counts as a delivery attempt on Pub\/Sub/.test(x));
    expect(ref).toEqual([expect.stringMatching(/^GcpPushDelivery\(events\/order-created\): .* a burst of more than 30 attempts × 5 concurrent = 150 messages .* its senders at their caps can send 3600 in the 1800 s/)]);
    const withProducer = (producer: string) => {
      const s = clone(spec) as any;
      s.queues.orders.producers = [producer];
      s.buses.events.rules = {};
      return s as ServiceSpec;
    };
    // worker (cap 5, 60 s) can send 5 × 30 = 150 in the attempts' 1800 s: no more than the bound.
    expect(pushWarnings(withProducer("worker"))).toEqual([]);
    expect(pushWarnings(withProducer("api"))).toEqual([expect.stringMatching(/^GcpPushDelivery\(orders\): .* = 150 messages .* can send 3600/)]);
  });
});

describe("28.6 GCP: every queue's push subscription on every GCP stack holds its bound", () => {
  useCoffeeWheels();
  const stacks: [string, ServiceSpec, any][] = [];
  for (const name of ["dev", "staging", "prod"]) {
    const e = envByName(name);
    stacks.push([`${name} reference`, referenceService(e), e], [`${name} variants`, variantService(e), e]);
  }
  stacks.push(["dev coffee", coffeeService(env), env]);

  test.each(stacks)("%s", (_name, service, e) => {
    const json = synthPlatform(e, service, "gcp").json as any;
    const record = readGcpBehaviour(json);
    for (const [id, q] of Object.entries(service.queues ?? {})) {
      const sub = Object.values<any>(json.resource.google_pubsub_subscription).find((s) => s.push_config && s.labels?.component === "queue" && s.name.endsWith(`-${id}`));
      const settings = pushSettings(json, sub.name);
      const sized = pubsubQueuePush(service, id);
      expect({ attempts: settings.attempts, spacing: settings.minBackoff }).toEqual(sized);
      expect(settings.attempts).toBeGreaterThanOrEqual(q.maxDeliveryAttempts ?? 5);
      expect(settings.attempts).toBeLessThanOrEqual(100);
      expect(settings.minBackoff).toBeGreaterThanOrEqual(Math.min(600, settings.timeout));
      expect(settings.maxBackoff).toBeLessThanOrEqual(600);
      // 28.5: the retention holds the whole retry schedule.
      expect(Number(String(sub.message_retention_duration).replace(/s$/, ""))).toBeGreaterThanOrEqual(settings.attempts * (sub.ack_deadline_seconds + settings.maxBackoff));
      const n = settings.attempts * settings.cap;
      expect(record.queues[id].burstWithoutDeadLetter).toBe(n);
      expect(pushBurst(n, settings)).toMatchObject({ delivered: n, healthyDeadLettered: 0 });
      expect(pushBurst(n, settings, { seed: 11 })).toMatchObject({ delivered: n, healthyDeadLettered: 0 });
    }
  });
});
