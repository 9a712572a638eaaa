import { durationSeconds, refOf } from "@polycloud/core";

/** What a push subscription and its consumer say about delivery under load, read from the synthesized JSON. */
export interface PushSettings {
  /** dead_letter_policy.max_delivery_attempts */
  readonly attempts: number;
  /** retry_policy.minimum_backoff / maximum_backoff (seconds) */
  readonly minBackoff: number;
  readonly maxBackoff: number;
  /** The consumer's cap: max_instance_count × max_instance_request_concurrency. */
  readonly cap: number;
  /** The consumer's timeout_seconds: the longest one run holds a slot of the cap. */
  readonly timeout: number;
}

/** Reads a push subscription (by name) and the function its push endpoint names. */
export function pushSettings(json: any, subscriptionName: string): PushSettings {
  const sub = Object.values<any>(json.resource.google_pubsub_subscription).find((s) => s.name === subscriptionName);
  if (!sub?.push_config) throw new Error(`no push subscription ${subscriptionName}`);
  const ref = refOf(sub.push_config.push_endpoint);
  const fn = ref?.type === "google_cloudfunctions2_function" ? json.resource.google_cloudfunctions2_function[ref.address] : undefined;
  if (!fn) throw new Error(`${subscriptionName} does not push to a function: ${sub.push_config.push_endpoint}`);
  const sc = fn.service_config;
  return {
    attempts: sub.dead_letter_policy.max_delivery_attempts,
    minBackoff: durationSeconds(sub.retry_policy.minimum_backoff),
    maxBackoff: durationSeconds(sub.retry_policy.maximum_backoff),
    cap: sc.max_instance_count * sc.max_instance_request_concurrency,
    timeout: sc.timeout_seconds,
  };
}

export interface BurstOptions {
  /** Poison messages among the burst: every run fails (5xx) after holding a slot. */
  readonly poison?: number;
  /** Seed for run times in (0, timeout] and backoff jitter; without it every run lasts the whole timeout and every wait is exact. */
  readonly seed?: number;
}

export interface BurstOutcome {
  readonly delivered: number;
  /** Healthy messages moved to the dead-letter topic without ever running. */
  readonly healthyDeadLettered: number;
  readonly poisonDeadLettered: number;
  /** When the last poison message reached the dead-letter topic (seconds after the burst). */
  readonly poisonDeadLetteredAt: number;
  /** Pushes the consumer refused at its cap (429). */
  readonly rejections: number;
}

/** A binary min-heap: the simulation handles bursts of thousands of messages. */
class Heap<T> {
  private readonly items: T[] = [];
  constructor(private readonly before: (a: T, b: T) => number) {}
  get size(): number { return this.items.length; }
  push(item: T): void {
    const a = this.items;
    a.push(item);
    for (let i = a.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (this.before(a[i], a[parent]) >= 0) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length && last !== undefined) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && this.before(a[l], a[m]) < 0) m = l;
        if (r < a.length && this.before(a[r], a[m]) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

/** A small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Pub/Sub push against a capped consumer, as the clouds document it: every message of the burst is
 * pushed at t = 0; the consumer runs at most `cap` at once and answers 429 to a push beyond that;
 * a 429 or a failed run is a delivery attempt, after which the message waits the backoff
 * (minimum × 2^(attempt−1), at most the maximum, jittered upwards when seeded) before the next
 * push; after `attempts` attempts it is dead-lettered. A healthy message succeeds on its first run.
 */
export function pushBurst(burst: number, o: PushSettings, opts: BurstOptions = {}): BurstOutcome {
  const rnd = opts.seed === undefined ? undefined : random(opts.seed);
  const runTime = () => (rnd ? Math.max(0.001, rnd() * o.timeout) : o.timeout);
  const backoff = (attempt: number) => {
    const base = Math.min(o.maxBackoff, o.minBackoff * 2 ** (attempt - 1));
    return rnd ? Math.min(o.maxBackoff, base * (1 + rnd() * 0.2)) : base;
  };
  const poison = opts.poison ?? 0;
  type Ev = { t: number; kind: "done" | "push"; msg: number; attempt: number; seq: number };
  const events = new Heap<Ev>((a, b) => a.t - b.t || (a.kind === "done" ? -1 : 1) - (b.kind === "done" ? -1 : 1) || a.seq - b.seq);
  let seq = 0;
  const schedule = (e: Omit<Ev, "seq">) => events.push({ ...e, seq: seq++ });
  for (let msg = 0; msg < burst; msg++) schedule({ t: 0, kind: "push", msg, attempt: 1 });
  const isPoison = (msg: number) => msg >= burst - poison;
  let inFlight = 0;
  const out = { delivered: 0, healthyDeadLettered: 0, poisonDeadLettered: 0, poisonDeadLetteredAt: 0, rejections: 0 };
  const failed = (ev: Ev, at: number) => {
    if (ev.attempt >= o.attempts) {
      if (isPoison(ev.msg)) { out.poisonDeadLettered++; out.poisonDeadLetteredAt = Math.max(out.poisonDeadLetteredAt, at); } else out.healthyDeadLettered++;
      return;
    }
    schedule({ t: at + backoff(ev.attempt), kind: "push", msg: ev.msg, attempt: ev.attempt + 1 });
  };
  while (events.size) {
    // Completions before pushes at the same instant: capacity frees first.
    const ev = events.pop()!;
    if (ev.kind === "done") {
      inFlight--;
      if (isPoison(ev.msg)) failed(ev, ev.t);
      else out.delivered++;
      continue;
    }
    if (inFlight < o.cap) {
      inFlight++;
      schedule({ t: ev.t + runTime(), kind: "done", msg: ev.msg, attempt: ev.attempt });
      continue;
    }
    out.rejections++;
    failed(ev, ev.t);
  }
  return out;
}

/** SQS and an event source mapping: messages wait in the queue; a poller receives only when the cap has room. */
export function sqsBurst(burst: number, o: { cap: number; timeout: number; retentionSeconds: number }): { delivered: number; deadLettered: number; expired: number } {
  const drained = Math.ceil(burst / o.cap) * o.timeout;
  if (drained <= o.retentionSeconds) return { delivered: burst, deadLettered: 0, expired: 0 };
  const delivered = Math.floor(o.retentionSeconds / o.timeout) * o.cap;
  return { delivered, deadLettered: 0, expired: burst - delivered };
}
