import { Annotations } from "cdktf";
import { Construct } from "constructs";
import { AlarmInfo, NAME_RULES, PlatformFunction, PlatformQueue, QueueSpec, resolveQueue, envVarPart } from "@polycloud/core";
import { PubsubTopic } from "@cdktf/provider-google/lib/pubsub-topic";
import { PubsubTopicIamMember } from "@cdktf/provider-google/lib/pubsub-topic-iam-member";
import { GcpContext, keyReady } from "./context";
import { GcpPushDelivery } from "./dead-letter";
import { GcpFunction } from "./function";
import { QueuePushSizing, sizeQueuePush } from "./push-sizing";

export interface GcpQueueProps {
  readonly context: GcpContext;
  readonly logicalId: string;
  readonly spec: QueueSpec;
  readonly consumer?: GcpFunction;
  /** The functions that send into the queue (its producers), for the burst warning. */
  readonly producers?: readonly GcpFunction[];
}

/**
 * A Pub/Sub topic with a push subscription to the consumer function, a dead-letter topic with its
 * own pull subscription (dead letters kept for the DLQ retention), and the service-agent grants.
 * Pub/Sub push delivers one message per request: batching settings cannot be honoured and warn.
 * A push refused at the consumer's cap counts as a delivery attempt, so the attempts and backoff
 * are sized from the consumer's cap and timeout (push-sizing.ts, docs/parity.md).
 */
export class GcpQueue extends Construct implements PlatformQueue {
  readonly spec: QueueSpec;
  readonly topic: PubsubTopic;
  readonly delivery?: GcpPushDelivery;
  readonly resolved: ReturnType<typeof resolveQueue>;
  /** Attempts and backoff sized from the consumer's cap and timeout (shared by rules into the queue). */
  readonly push?: QueuePushSizing;

  constructor(scope: Construct, id: string, private readonly props: GcpQueueProps) {
    super(scope, id);
    const { context: ctx, spec, consumer, logicalId } = props;
    this.spec = spec;
    this.resolved = resolveQueue(spec, consumer?.spec.timeoutSeconds ?? 30);
    this.topic = new PubsubTopic(this, "topic", {
      name: ctx.namer.name(NAME_RULES.gcp.pubsub, logicalId),
      kmsKeyName: ctx.key.id,
      labels: { ...ctx.labels, component: "queue" },
      dependsOn: [...ctx.services.enable("pubsub.googleapis.com"), ...keyReady(this, ctx, "pubsub")],
    });
    const warn = (prop: string, value: unknown, why: string) =>
      Annotations.of(this).addWarning(`GcpQueue(${logicalId}): property '${prop}' = ${JSON.stringify(value)} cannot be honoured on Pub/Sub push: ${why}`);
    if (this.resolved.batchSize > 1) warn("batchSize", this.resolved.batchSize, "push delivers one message per request; the consumer's concurrency handles parallelism.");
    if (this.resolved.batchWindowSeconds > 0) warn("batchWindowSeconds", this.resolved.batchWindowSeconds, "push delivers as soon as a message arrives.");
    // Honoured when the consumer's own cap is no higher (GcpService caps a consumer that only this queue invokes).
    const consumerCap = consumer?.spec.maxConcurrency;
    if (spec.maxConcurrency !== undefined && (consumerCap === undefined || consumerCap > spec.maxConcurrency)) {
      warn("maxConcurrency", spec.maxConcurrency, "push has no per-subscription cap; the consumer's concurrency.max (max instances) bounds it.");
    }
    if (!consumer) return; // reported by validation

    this.push = sizeQueuePush({
      declaredAttempts: this.resolved.maxDeliveryAttempts,
      visibilitySeconds: this.resolved.visibilityTimeoutSeconds,
      consumerTimeoutSeconds: consumer.spec.timeoutSeconds,
      consumerCap: consumer.concurrencyCap,
      retentionSeconds: this.resolved.retentionSeconds,
    });
    this.delivery = new GcpPushDelivery(this, "delivery", {
      context: ctx,
      nameParts: [logicalId],
      topic: this.topic,
      endpoint: consumer.url,
      grantInvoker: (member) => consumer.grantInvoke(`queue-${logicalId}`, member),
      // The consumer must finish before Pub/Sub redelivers: at least its timeout (validated ≤ 600 s).
      ackDeadlineSeconds: this.push.ackDeadlineSeconds,
      retentionSeconds: this.resolved.retentionSeconds,
      dlqRetentionSeconds: this.resolved.dlqRetentionSeconds,
      // A push rejected at the consumer's cap counts as an attempt: as many attempts as fit, one
      // consumer timeout apart (the cap has turned over), into the time SQS takes to dead-letter a
      // failing message (push-sizing.ts).
      maxDeliveryAttempts: this.push.attempts,
      minBackoffSeconds: this.push.backoffSeconds,
      maxBackoffSeconds: this.push.backoffSeconds,
      consumerCap: consumer.concurrencyCap,
      senders: (props.producers ?? []).map((f) => ({ cap: f.concurrencyCap, timeoutSeconds: f.spec.timeoutSeconds })),
      kind: "queue",
    });
  }

  get alarms(): AlarmInfo[] {
    return this.delivery?.alarms ?? [];
  }

  grantSend(fn: PlatformFunction): void {
    const f = fn as GcpFunction;
    new PubsubTopicIamMember(this, `publisher-${f.logicalId}`, { topic: this.topic.id, role: "roles/pubsub.publisher", member: f.member });
    f.addEnvironment(`QUEUE_${envVarPart(this.props.logicalId)}_TOPIC`, this.topic.id);
  }
}
