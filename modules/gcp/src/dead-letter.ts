import { Annotations } from "cdktf";
import { Construct } from "constructs";
import { AlarmInfo, NAME_RULES } from "@polycloud/core";
import { PubsubSubscription } from "@cdktf/provider-google/lib/pubsub-subscription";
import { PubsubSubscriptionIamMember } from "@cdktf/provider-google/lib/pubsub-subscription-iam-member";
import { PubsubTopic } from "@cdktf/provider-google/lib/pubsub-topic";
import { PubsubTopicIamMember } from "@cdktf/provider-google/lib/pubsub-topic-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { ServiceAccountIamMember } from "@cdktf/provider-google/lib/service-account-iam-member";
import { resourceVariable } from "./alert-conditions";
import { GcpContext, keyReady } from "./context";
import { PUBSUB_MAX_ACK_SECONDS } from "./limits";
import { PushSender, plausibleBurst } from "./push-sizing";

export interface GcpPushDeliveryProps {
  readonly context: GcpContext;
  /** Name parts after `<service>-<env>`, e.g. ["orders"] or ["events", "order-created"]. */
  readonly nameParts: readonly string[];
  /** Topic the push subscription reads. */
  readonly topic: PubsubTopic;
  /** HTTPS endpoint that receives the messages: the function's run.app URI (Cloud Run treats Pub/Sub push as internal only there). */
  readonly endpoint: string;
  /** Grants the invoker identity `run.invoker` on the endpoint's function only. */
  readonly grantInvoker: (member: string) => void;
  readonly ackDeadlineSeconds: number;
  readonly maxDeliveryAttempts: number;
  readonly retentionSeconds: number;
  readonly dlqRetentionSeconds: number;
  /** Pub/Sub subscription filter; omitted for a plain queue. */
  readonly filter?: string;
  /** Signals to tag the alarms with (queue.* or bus.*). */
  readonly kind: "queue" | "bus";
  /** Also alarm on the oldest unacknowledged message (always for queues; for rules into a queue). */
  readonly ageAlarm?: boolean;
  /** Least wait before a failed message is pushed again (at least the consumer's timeout, ≤ 600 s). @default 10 */
  readonly minBackoffSeconds?: number;
  /** Greatest wait between two pushes of a failed message; default: the longest the retention holds (≤ 600 s). */
  readonly maxBackoffSeconds?: number;
  /** The consumer's concurrency cap (instances × requests per instance), for the burst warning. */
  readonly consumerCap?: number;
  /** What publishes into the subscription (functions at their caps, schedules), for the burst warning. */
  readonly senders?: readonly PushSender[];
  /** `target` label: what the spec delivers into (`queue-<id>`, `function-<id>`). */
  readonly target?: string;
}

/**
 * The longest a message can take to use up `attempts` pushes: each push may last the ack deadline
 * and each wait before the next is at most the maximum backoff. Retention must cover it, or a
 * message expires (is dropped) before it can be dead-lettered.
 */
export function retrySchedule(attempts: number, ackDeadlineSeconds: number, maxBackoffSeconds: number): number {
  return attempts * (ackDeadlineSeconds + maxBackoffSeconds);
}

/** The largest maximum backoff (minBackoff..600 s) whose retry schedule fits `retentionSeconds`. */
export function fitMaxBackoff(retentionSeconds: number, attempts: number, ackDeadlineSeconds: number, minBackoffSeconds: number): number {
  const fits = Math.floor(retentionSeconds / attempts) - ackDeadlineSeconds;
  return Math.max(minBackoffSeconds, Math.min(600, fits));
}

/**
 * A push subscription with its own dead-letter topic, the DLQ's pull subscription that keeps
 * dead letters, a dedicated invoker identity with an OIDC token, and the Pub/Sub service agent's
 * rights (publisher on the DLQ topic, subscriber on the source subscription). Without those
 * grants Pub/Sub silently cannot forward dead letters, and without the DLQ subscription they are dropped.
 */
export class GcpPushDelivery extends Construct {
  readonly subscription: PubsubSubscription;
  readonly deadLetterTopic: PubsubTopic;
  readonly deadLetterSubscription: PubsubSubscription;
  readonly invoker: ServiceAccount;
  readonly alarms: AlarmInfo[] = [];

  constructor(scope: Construct, id: string, props: GcpPushDeliveryProps) {
    super(scope, id);
    const { context: ctx, nameParts } = props;
    const name = (...extra: string[]) => ctx.namer.name(NAME_RULES.gcp.pubsub, ...nameParts, ...extra);
    const agent = ctx.agents.pubsub.member;
    const pubsubApi = ctx.services.enable("pubsub.googleapis.com");
    const seconds = (s: number) => `${s}s`;

    this.deadLetterTopic = new PubsubTopic(this, "dlq-topic", {
      name: name("dlq"),
      kmsKeyName: ctx.key.id,
      messageRetentionDuration: seconds(props.dlqRetentionSeconds),
      labels: { ...ctx.labels, component: `${props.kind}-dlq` },
      dependsOn: [...pubsubApi, ...keyReady(this, ctx, "pubsub")],
    });
    this.deadLetterSubscription = new PubsubSubscription(this, "dlq-subscription", {
      name: name("dlq"),
      topic: this.deadLetterTopic.id,
      messageRetentionDuration: seconds(props.dlqRetentionSeconds),
      ackDeadlineSeconds: 60,
      expirationPolicy: { ttl: "" },
      labels: { ...ctx.labels, component: `${props.kind}-dlq` },
    });

    this.invoker = new ServiceAccount(this, "invoker", {
      accountId: ctx.namer.name(NAME_RULES.gcp.serviceAccount, ...nameParts, "push"),
      displayName: `Pub/Sub push to ${nameParts.join("/")}`,
      dependsOn: ctx.services.enable("iam.googleapis.com"),
    });
    props.grantInvoker(`serviceAccount:${this.invoker.email}`);
    // Pub/Sub mints the OIDC token as the invoker (required for projects created before 2021-04).
    new ServiceAccountIamMember(this, "agent-mints-token", {
      serviceAccountId: this.invoker.name,
      role: "roles/iam.serviceAccountTokenCreator",
      member: agent,
    });

    const ackDeadline = Math.min(PUBSUB_MAX_ACK_SECONDS, props.ackDeadlineSeconds);
    const minBackoff = Math.min(600, props.minBackoffSeconds ?? 10);
    // The longest backoff whose whole schedule still fits the retention (at most 600 s).
    const maxBackoff = props.maxBackoffSeconds ?? fitMaxBackoff(props.retentionSeconds, props.maxDeliveryAttempts, ackDeadline, minBackoff);
    const schedule = retrySchedule(props.maxDeliveryAttempts, ackDeadline, maxBackoff);
    // Into a function, the caller sizes retention to the schedule (a rule's event age must not drop
    // what it should dead-letter). A queue keeps its declared retention: SQS drops a message whose
    // retention runs out before its last receive too, so that is the same on both clouds.
    if (props.kind === "bus" && !props.ageAlarm && schedule > props.retentionSeconds) {
      this.node.addValidation({ validate: () => [
        `GcpPushDelivery(${nameParts.join("/")}): property 'retention' = ${props.retentionSeconds} s is shorter than ${props.maxDeliveryAttempts} delivery attempts can take on Pub/Sub (${schedule} s: each push up to the ${ackDeadline} s ack deadline, each wait at least ${minBackoff} s); allowed: a retention of at least ${schedule} s or fewer attempts, so undelivered messages are dead-lettered instead of expiring.`,
      ] });
    }
    if (props.consumerCap !== undefined) {
      // A push the consumer rejects at its instance cap (429) counts as a delivery attempt. With the
      // minimum backoff at least the consumer's timeout, the cap has turned over between two
      // rejections of a message, so a burst of up to attempts × cap messages is delivered without
      // dead letters (push-sizing.ts); a larger one can dead-letter messages that never ran (SQS
      // holds them). Warned only when the senders could plausibly exceed it.
      const bound = props.maxDeliveryAttempts * props.consumerCap;
      const plausible = plausibleBurst(props.senders ?? [], props.maxDeliveryAttempts, minBackoff);
      if (plausible > bound) {
        Annotations.of(this).addWarning(
          `GcpPushDelivery(${nameParts.join("/")}): a push rejected at the consumer's concurrency cap counts as a delivery attempt on Pub/Sub, so a burst of more than ${props.maxDeliveryAttempts} attempts × ${props.consumerCap} concurrent = ${bound} messages can be dead-lettered without running (SQS and Service Bus hold them); its senders at their caps can send ${plausible} in the ${props.maxDeliveryAttempts * minBackoff} s the attempts span. Raise the consumer's concurrency.max or the queue's visibility window or attempts for larger bursts, or replay the DLQ (docs/parity.md).`,
        );
      }
    }

    this.subscription = new PubsubSubscription(this, "subscription", {
      name: name(),
      topic: props.topic.id,
      filter: props.filter,
      ackDeadlineSeconds: Math.min(PUBSUB_MAX_ACK_SECONDS, props.ackDeadlineSeconds),
      messageRetentionDuration: seconds(props.retentionSeconds),
      pushConfig: {
        pushEndpoint: props.endpoint,
        oidcToken: { serviceAccountEmail: this.invoker.email, audience: props.endpoint },
      },
      deadLetterPolicy: { deadLetterTopic: this.deadLetterTopic.id, maxDeliveryAttempts: props.maxDeliveryAttempts },
      retryPolicy: { minimumBackoff: `${minBackoff}s`, maximumBackoff: `${maxBackoff}s` },
      // Subscriptions expire after 31 idle days by default; an empty ttl means never.
      expirationPolicy: { ttl: "" },
      labels: { ...ctx.labels, component: props.kind, ...(props.target ? { target: props.target } : {}) },
    });
    new PubsubTopicIamMember(this, "agent-publishes-dlq", { topic: this.deadLetterTopic.id, role: "roles/pubsub.publisher", member: agent });
    new PubsubSubscriptionIamMember(this, "agent-acks-source", { subscription: this.subscription.id, role: "roles/pubsub.subscriber", member: agent });

    // One condition per measurement and threshold for the whole stack (alert-conditions.ts), each subscription its own series.
    const sub = (m: string) => `metric.type="pubsub.googleapis.com/subscription/${m}" AND resource.type="pubsub_subscription"`;
    const on = (s: string) => ({ nameLabel: "subscription_id", resourceName: s });
    const named = resourceVariable("subscription_id");
    const t = ctx.thresholds;
    if (props.kind === "queue" || props.ageAlarm) {
      this.alarms.push(ctx.alerts.watch({
        ...on(name()), id: "subscription-age", signal: "queue.oldestMessageAge", name: `${name()} oldest message age`, title: "Oldest unacknowledged message (s)",
        threshold: t.queueOldestMessageAgeSeconds, filter: sub("oldest_unacked_message_age"), aligner: "ALIGN_MAX",
        documentation: `Messages of ${named} wait longer than ${t.queueOldestMessageAgeSeconds}s: the consumer is failing or too slow.`,
      }));
    }
    if (props.kind === "bus") {
      this.alarms.push(ctx.alerts.watch({
        ...on(name()), id: "subscription-failed-pushes", signal: "bus.failedInvocations", name: `${name()} failed deliveries`, title: "Failed push deliveries",
        threshold: t.busFailedInvocations, filter: `${sub("push_request_count")} AND metric.labels.response_class!="ack"`,
        documentation: `Deliveries of ${named} to its target failed more than ${t.busFailedInvocations} times in 5 minutes.`,
      }));
    }
    // Queues' and rules' dead letters share a condition: the same measurement and threshold (the reader tells them apart by the subscription).
    this.alarms.push(
      ctx.alerts.watch({
        ...on(name()), id: "subscription-dead-lettered", signal: props.kind === "queue" ? "queue.dlqDepth" : "bus.sentToDlq", name: `${name()} dead-lettered`, title: "Messages dead-lettered",
        threshold: 0, filter: sub("dead_letter_message_count"),
        documentation: `Messages of ${named} exhausted their delivery attempts and moved to its dead-letter topic (\`<subscription>-dlq\`).`,
      }),
      ctx.alerts.watch({
        ...on(name("dlq")), id: "dead-letters-waiting", signal: props.kind === "queue" ? "queue.dlqDepth" : "bus.dlqDepth", name: `${name("dlq")} not empty`, title: "Dead letters waiting",
        threshold: 0, filter: sub("num_undelivered_messages"), aligner: "ALIGN_MAX", periodSeconds: 60,
        documentation: `Dead letters are waiting in ${named}: inspect, fix and replay them.`,
      }),
    );
  }
}
