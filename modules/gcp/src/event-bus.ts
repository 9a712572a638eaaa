import { dependable } from "cdktf";
import { Construct } from "constructs";
import {
  AlarmInfo, EventBusSpec, NAME_RULES, PlatformEventBus, PlatformFunction, Problems, SCHEDULED_EVENT, escapeTerraform, parseSchedule, resolveRetry, envVarPart, scheduledEventData } from "@polycloud/core";
import { PubsubSubscription } from "@cdktf/provider-google/lib/pubsub-subscription";
import { PubsubTopic } from "@cdktf/provider-google/lib/pubsub-topic";
import { PubsubTopicIamMember } from "@cdktf/provider-google/lib/pubsub-topic-iam-member";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member";
import { GcpContext, bucketName, keyReady } from "./context";
import { GcpPushDelivery } from "./dead-letter";
import { SCHEDULE_ATTRIBUTE, literal, toCloudSchedulerCron, toPubsubFilters } from "./event-filter";
import { CloudSchedulerJob } from "@cdktf/provider-google/lib/cloud-scheduler-job";
import { GcpFunction } from "./function";
import { PUBSUB_MAX_ACK_SECONDS } from "./limits";
import { GcpQueue } from "./queue";

export interface GcpEventBusProps {
  readonly context: GcpContext;
  readonly logicalId: string;
  readonly spec: EventBusSpec;
  readonly functions: Readonly<Record<string, GcpFunction>>;
  readonly queues: Readonly<Record<string, GcpQueue>>;
}

/** Retry default when the spec leaves it open: Pub/Sub allows 5–100 delivery attempts. */
const DEFAULT_ATTEMPTS = 100;

/**
 * A Pub/Sub topic as the bus, one filtered push subscription per rule with its own dead-letter
 * topic and kept DLQ subscription, and an archive: a Cloud Storage subscription writing every
 * event to a bucket that deletes objects after the archive retention.
 *
 * Pub/Sub cannot forward one topic into another, so a rule that targets a queue becomes a
 * filtered subscription on the bus that pushes to the queue's consumer with the queue's ack
 * deadline, retention, delivery attempts and age alarm; the rule keeps its own dead-letter topic.
 * Eventarc Advanced is deliberately not used: its pipelines drop events once retries run out.
 */
export class GcpEventBus extends Construct implements PlatformEventBus {
  readonly spec: EventBusSpec;
  readonly topic: PubsubTopic;
  readonly rules: Record<string, GcpPushDelivery> = {};
  readonly archive?: PubsubSubscription;
  readonly problems: Problems;

  constructor(scope: Construct, id: string, private readonly props: GcpEventBusProps) {
    super(scope, id);
    const { context: ctx, spec, logicalId } = props;
    this.spec = spec;
    this.problems = new Problems(`GcpEventBus(${logicalId})`);
    this.topic = new PubsubTopic(this, "topic", {
      name: ctx.namer.name(NAME_RULES.gcp.pubsub, logicalId),
      kmsKeyName: ctx.key.id,
      labels: { ...ctx.labels, component: "bus" },
      dependsOn: [...ctx.services.enable("pubsub.googleapis.com"), ...keyReady(this, ctx, "pubsub")],
    });

    const archiveDays = spec.archiveRetentionDays ?? ctx.env.retention?.archiveDays ?? 0;
    if (archiveDays > 0) {
      const bucket = new StorageBucket(this, "archive-bucket", {
        name: bucketName(ctx, logicalId, "archive"),
        location: ctx.region,
        uniformBucketLevelAccess: true,
        publicAccessPrevention: "enforced",
        encryption: { defaultKmsKeyName: ctx.key.id },
        lifecycleRule: [{ action: { type: "Delete" }, condition: { age: archiveDays } }],
        forceDestroy: !ctx.env.deletionProtection,
        labels: { ...ctx.labels, component: "bus-archive" },
        lifecycle: { preventDestroy: ctx.env.deletionProtection },
        dependsOn: [...ctx.services.enable("storage.googleapis.com"), ...keyReady(this, ctx, "storage")],
      });
      const agent = ctx.agents.pubsub.member;
      const writers = ["roles/storage.objectCreator", "roles/storage.legacyBucketReader"].map(
        (role) => new StorageBucketIamMember(this, `archive-${role.split(".").pop()}`, { bucket: bucket.name, role, member: agent }),
      );
      this.archive = new PubsubSubscription(this, "archive", {
        name: ctx.namer.name(NAME_RULES.gcp.pubsub, logicalId, "archive"),
        topic: this.topic.id,
        cloudStorageConfig: { bucket: bucket.name, filenamePrefix: "events/", maxDuration: "300s", avroConfig: { writeMetadata: true } },
        expirationPolicy: { ttl: "" },
        labels: { ...ctx.labels, component: "bus-archive" },
        dependsOn: writers,
      });
    }

    for (const [ruleId, rule] of Object.entries(spec.rules ?? {})) {
      const at = `rules.${ruleId}`;
      // Usually one filter; a rule whose filter exceeds 256 bytes becomes several subscriptions.
      // A scheduled rule: Cloud Scheduler publishes to the bus with an attribute only its subscription matches.
      const job = rule.schedule !== undefined ? this.scheduleJob(ruleId, rule.schedule) : undefined;
      const filters = job ? [job.filter] : toPubsubFilters(rule.filter ?? {}, this.problems, at);
      const target = "function" in rule.target ? props.functions[rule.target.function] : undefined;
      const queue = "queue" in rule.target ? props.queues[rule.target.queue] : undefined;
      const consumer = target ?? (queue ? props.functions[queue.spec.consumer] : undefined);
      if (!consumer) continue; // unknown targets are reported by validation
      const retry = resolveRetry(rule.retry);
      (filters.length ? filters : [undefined]).forEach((filter, part) => {
        // Part 1 keeps the unsplit names; parts 2.. get a `p<n>` suffix, each with its own DLQ and alarms.
        const suffix = part === 0 ? [] : [`p${part + 1}`];
        const delivery = this.rules[[ruleId, ...suffix].join("#")] = new GcpPushDelivery(this, ["rule", ruleId, ...suffix].join("-"), {
          context: ctx,
          nameParts: [logicalId, ruleId, ...suffix],
          topic: this.topic,
          filter,
          endpoint: consumer.url,
          grantInvoker: (member) => consumer.grantInvoke(["bus", logicalId, ruleId, ...suffix].join("-"), member),
          ackDeadlineSeconds: queue?.resolved
            ? Math.max(consumer.spec.timeoutSeconds, Math.min(queue.resolved.visibilityTimeoutSeconds, PUBSUB_MAX_ACK_SECONDS))
            : consumer.spec.timeoutSeconds,
          // Into a queue, the subscription is the queue's path to its consumer: it takes the queue's
          // retention and attempts (never the rule's shorter event age) and the queue's age alarm,
          // so an outage longer than the rule's age still ends in the dead-letter topic, not in loss.
          maxDeliveryAttempts: queue ? queue.resolved.maxDeliveryAttempts : rule.retry?.maxAttempts ?? DEFAULT_ATTEMPTS,
          retentionSeconds: queue ? queue.resolved.retentionSeconds : retry.maxEventAgeSeconds,
          dlqRetentionSeconds: queue?.resolved.dlqRetentionSeconds ?? 14 * 24 * 3600,
          kind: "bus",
          ageAlarm: queue !== undefined,
          minBackoffSeconds: queue?.resolved.visibilityTimeoutSeconds,
          target: queue ? `queue-${rule.target && "queue" in rule.target ? rule.target.queue : ""}` : `function-${consumer.logicalId}`,
        });
        // Pub/Sub keeps a message only for subscriptions that exist when it is published.
        if (job) job.job.dependsOn = [...(job.job.dependsOn ?? []), dependable(delivery.subscription)];
      });
    }
    this.node.addValidation({ validate: () => this.problems.messages() });
  }

  /**
   * Cloud Scheduler job publishing `{"polycloud_schedule": "<rule id>"}` to the bus topic with the attributes `polycloud_schedule`
   * (the rule id), `source` and `type`; returns the job and its subscription's filter (the job waits for that subscription). The job's
   * own retries are left at none: the subscription's retries and dead-letter topic apply, as for
   * every other rule.
   */
  private scheduleJob(ruleId: string, schedule: string): { filter: string; job: CloudSchedulerJob } {
    const { context: ctx, logicalId } = this.props;
    const parsed = parseSchedule(schedule);
    const cron = typeof parsed === "object" ? toCloudSchedulerCron(parsed) : undefined;
    if (cron?.error) this.problems.add(`rules.${ruleId}.schedule`, schedule, cron.error);
    const job = new CloudSchedulerJob(this, `schedule-${ruleId}`, {
      name: ctx.namer.name(NAME_RULES.gcp.generic, logicalId, ruleId),
      region: ctx.region,
      description: `${logicalId}/${ruleId}: ${schedule}`,
      schedule: cron?.cron ?? "",
      timeZone: "Etc/UTC",
      pubsubTarget: {
        topicName: this.topic.id,
        data: Buffer.from(JSON.stringify(scheduledEventData(ruleId))).toString("base64"),
        attributes: { [SCHEDULE_ATTRIBUTE]: ruleId, source: SCHEDULED_EVENT.source, type: SCHEDULED_EVENT.type },
      },
      dependsOn: ctx.services.enable("cloudscheduler.googleapis.com"),
    });
    return { filter: escapeTerraform(`attributes.${SCHEDULE_ATTRIBUTE} = ${literal(ruleId)}`), job };
  }

  get alarms(): AlarmInfo[] {
    return Object.values(this.rules).flatMap((r) => r.alarms);
  }

  grantPublish(fn: PlatformFunction): void {
    const f = fn as GcpFunction;
    new PubsubTopicIamMember(this, `publisher-${f.logicalId}`, { topic: this.topic.id, role: "roles/pubsub.publisher", member: f.member });
    f.addEnvironment(`EVENT_BUS_${envVarPart(this.props.logicalId)}_TOPIC`, this.topic.id);
  }
}
