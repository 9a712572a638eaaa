import { PUBSUB_MAX_ACK_SECONDS } from "./limits";

/** Pub/Sub's dead_letter_policy.max_delivery_attempts range (google 6.50 resource_pubsub_subscription.go). */
export const PUBSUB_MIN_ATTEMPTS = 5;
export const PUBSUB_MAX_ATTEMPTS = 100;
/** retry_policy minimum_backoff / maximum_backoff: 0–600 s. */
export const PUBSUB_MAX_BACKOFF_SECONDS = 600;

export interface QueuePushInput {
  /** The queue's declared receives before dead-lettering (SQS maxReceiveCount). */
  readonly declaredAttempts: number;
  /** The queue's visibility window (on SQS, a failed message comes back after it). */
  readonly visibilitySeconds: number;
  /** The consumer's timeout: the longest one delivery occupies a slot of its cap. */
  readonly consumerTimeoutSeconds: number;
  /** The consumer's concurrency cap (max instances × requests per instance). */
  readonly consumerCap: number;
  readonly retentionSeconds: number;
}

export interface QueuePushSizing {
  readonly attempts: number;
  /** minimum_backoff = maximum_backoff: a fixed spacing between two attempts of one message. */
  readonly backoffSeconds: number;
  readonly ackDeadlineSeconds: number;
  /** Messages a burst may hold with none dead-lettered unrun: attempts × the consumer's cap. */
  readonly burstBound: number;
  /** What SQS takes to dead-letter a message that fails at once: declared receives × visibility. */
  readonly poisonWindowSeconds: number;
}

/**
 * Sizes a queue's push subscription from its consumer (issue 28.6). Pub/Sub counts a push the
 * consumer rejects at its cap (429) as a delivery attempt, exactly like a failed run; SQS instead
 * holds a message until a poller has room. A message rejected at attempt k met `cap` messages in
 * flight; with the next attempt at least the consumer's timeout later, those have all finished
 * (a healthy message runs once), so its `attempts` rejections met `attempts × cap` distinct
 * messages: a burst of at most `attempts × cap` never dead-letters a healthy message.
 *
 * The attempts are therefore as many as fit, spaced by the consumer's timeout, into the time SQS
 * takes to dead-letter a poison message (declared receives × visibility), between the declared
 * receives and Pub/Sub's 100, and no more than the retention can hold (each attempt up to the ack
 * deadline plus the spacing, issue 28.5). A poison message reaches the DLQ about when it would on
 * AWS, after more attempts: Pub/Sub cannot tell a failure from a rejection.
 */
export function sizeQueuePush(i: QueuePushInput): QueuePushSizing {
  const timeout = Math.min(PUBSUB_MAX_BACKOFF_SECONDS, i.consumerTimeoutSeconds);
  const ack = Math.max(i.consumerTimeoutSeconds, Math.min(i.visibilitySeconds, PUBSUB_MAX_ACK_SECONDS));
  const window = i.declaredAttempts * i.visibilitySeconds;
  const clamp = (n: number) => Math.max(i.declaredAttempts, Math.min(PUBSUB_MAX_ATTEMPTS, n));
  const fitted = clamp(Math.floor(window / timeout));
  const backoff = Math.min(PUBSUB_MAX_BACKOFF_SECONDS, Math.max(timeout, Math.floor(window / fitted)));
  const attempts = clamp(Math.min(fitted, Math.floor(i.retentionSeconds / (ack + backoff))));
  return { attempts, backoffSeconds: backoff, ackDeadlineSeconds: ack, burstBound: attempts * i.consumerCap, poisonWindowSeconds: window };
}

/** A sender into a push subscription: a function at its cap, or a schedule. */
export interface PushSender {
  readonly cap: number;
  readonly timeoutSeconds: number;
}

/** Cloud Scheduler fires at most once a minute. */
export const SCHEDULE_SENDER: PushSender = { cap: 1, timeoutSeconds: 60 };

/**
 * The least the senders can put into a subscription while one message uses up its attempts
 * (attempts × the minimum backoff), each invocation sending one message and lasting its whole
 * timeout. A burst beyond the bound is plausible when this exceeds it.
 */
export function plausibleBurst(senders: readonly PushSender[], attempts: number, minBackoffSeconds: number): number {
  const span = attempts * minBackoffSeconds;
  return senders.reduce((n, s) => n + s.cap * Math.ceil(span / Math.max(1, s.timeoutSeconds)), 0);
}
