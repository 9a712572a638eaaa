import { Construct } from "constructs";
import { AlarmInfo, NAME_RULES } from "@polycloud/core";
import { PubsubSubscription } from "@cdktf/provider-google/lib/pubsub-subscription";
import { PubsubSubscriptionIamMember } from "@cdktf/provider-google/lib/pubsub-subscription-iam-member";
import { PubsubTopic } from "@cdktf/provider-google/lib/pubsub-topic";
import { PubsubTopicIamMember } from "@cdktf/provider-google/lib/pubsub-topic-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { ServiceAccountIamMember } from "@cdktf/provider-google/lib/service-account-iam-member";
import { createAlertPolicy, quote } from "./alarm";
import { GcpContext, keyReady } from "./context";
import { PUBSUB_MAX_ACK_SECONDS } from "./limits";

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
      retryPolicy: { minimumBackoff: "10s", maximumBackoff: "600s" },
      // Subscriptions expire after 31 idle days by default; an empty ttl means never.
      expirationPolicy: { ttl: "" },
      labels: { ...ctx.labels, component: props.kind },
    });
    new PubsubTopicIamMember(this, "agent-publishes-dlq", { topic: this.deadLetterTopic.id, role: "roles/pubsub.publisher", member: agent });
    new PubsubSubscriptionIamMember(this, "agent-acks-source", { subscription: this.subscription.id, role: "roles/pubsub.subscriber", member: agent });

    const sub = (s: string) => `resource.type="pubsub_subscription" AND resource.labels.subscription_id=${quote(s)}`;
    const label = nameParts.join("/");
    const t = ctx.thresholds;
    if (props.kind === "queue") {
      this.alarms.push(createAlertPolicy(this, "alarm-age", ctx, {
        signal: "queue.oldestMessageAge", name: `${name()} oldest message age`, threshold: t.queueOldestMessageAgeSeconds,
        filter: `metric.type="pubsub.googleapis.com/subscription/oldest_unacked_message_age" AND ${sub(name())}`, aligner: "ALIGN_MAX",
        documentation: `Messages of ${label} wait longer than ${t.queueOldestMessageAgeSeconds}s: the consumer is failing or too slow.`,
      }));
    } else {
      this.alarms.push(createAlertPolicy(this, "alarm-failed", ctx, {
        signal: "bus.failedInvocations", name: `${name()} failed deliveries`, threshold: t.busFailedInvocations,
        filter: `metric.type="pubsub.googleapis.com/subscription/push_request_count" AND ${sub(name())} AND metric.labels.response_class!="ack"`,
        documentation: `Deliveries of rule ${label} to its target failed more than ${t.busFailedInvocations} times in 5 minutes.`,
      }));
    }
    this.alarms.push(
      createAlertPolicy(this, "alarm-dead-lettered", ctx, {
        signal: props.kind === "queue" ? "queue.dlqDepth" : "bus.sentToDlq", name: `${name()} dead-lettered`, threshold: 0,
        filter: `metric.type="pubsub.googleapis.com/subscription/dead_letter_message_count" AND ${sub(name())}`,
        documentation: `Messages of ${label} exhausted ${props.maxDeliveryAttempts} delivery attempts and moved to ${name("dlq")}.`,
      }),
      createAlertPolicy(this, "alarm-dlq-depth", ctx, {
        signal: props.kind === "queue" ? "queue.dlqDepth" : "bus.dlqDepth", name: `${name("dlq")} not empty`, threshold: 0,
        filter: `metric.type="pubsub.googleapis.com/subscription/num_undelivered_messages" AND ${sub(name("dlq"))}`, aligner: "ALIGN_MAX",
        documentation: `Dead letters of ${label} are waiting in ${name("dlq")}: inspect, fix and replay them.`,
      }),
    );
  }
}
