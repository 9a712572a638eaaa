import { Annotations, dependable } from "cdktf";
import { Construct } from "constructs";
import {
  AlarmInfo, EventBusSpec, NAME_RULES, PlatformEventBus, PlatformFunction, Problems, SCHEDULED_EVENT, escapeTerraform, parseSchedule, resolveRetry, envVarPart, scheduledEventData } from "@polycloud/core";
import { PubsubSubscription } from "@cdktf/provider-google/lib/pubsub-subscription";
import { PubsubTopic } from "@cdktf/provider-google/lib/pubsub-topic";
import { PubsubTopicIamMember } from "@cdktf/provider-google/lib/pubsub-topic-iam-member";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member";
import { GcpContext, bucketName, keyReady } from "./context";
import { GcpPushDelivery, fitMaxBackoff, retrySchedule } from "./dead-letter";
import { SCHEDULE_ATTRIBUTE, literal, toCloudSchedulerCron, toPubsubFilters } from "./event-filter";
import { CloudSchedulerJob } from "@cdktf/provider-google/lib/cloud-scheduler-job";
import { LoggingMetric } from "@cdktf/provider-google/lib/logging-metric";
import { createAlertPolicy } from "./alarm";
import { GcpFunction } from "./function";
import { BUILD_IAM_PROPAGATION, PUBSUB_MAX_ACK_SECONDS, PUBSUB_MAX_RETENTION_SECONDS } from "./limits";
import { Sleep } from "@cdktf/provider-time/lib/sleep";
import { GcpQueue } from "./queue";
import { SCHEDULE_SENDER } from "./push-sizing";

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
  private readonly scheduleAlarms: AlarmInfo[] = [];

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
      const target = "function" in rule.target ? props.functions[rule.target.function] : undefined;
      const queue = "queue" in rule.target ? props.queues[rule.target.queue] : undefined;
      const consumer = target ?? (queue ? props.functions[queue.spec.consumer] : undefined);
      if (!consumer) continue; // unknown targets are reported by validation
      // Usually one filter; a rule whose filter exceeds 256 bytes becomes several subscriptions.
      // A scheduled rule: Cloud Scheduler publishes to a topic of the rule's own (never the bus).
      const job = rule.schedule !== undefined ? this.scheduleJob(ruleId, rule.schedule) : undefined;
      const filters = job ? [job.filter] : toPubsubFilters(rule.filter ?? {}, this.problems, at);
      const retry = resolveRetry(rule.retry);
      // Into a queue: the queue's attempts and backoff, sized from its consumer's cap (push-sizing.ts).
      const attempts = queue?.push ? queue.push.attempts : Math.min(rule.retry?.maxAttempts ?? DEFAULT_ATTEMPTS, DEFAULT_ATTEMPTS);
      const ackDeadline = queue?.resolved
        ? Math.max(consumer.spec.timeoutSeconds, Math.min(queue.resolved.visibilityTimeoutSeconds, PUBSUB_MAX_ACK_SECONDS))
        : consumer.spec.timeoutSeconds;
      // A rejected or failed push waits at least the consumer's timeout (into a queue: its
      // visibility), so the capacity it met has turned over before the next attempt.
      const minBackoff = Math.min(600, queue?.push ? queue.push.backoffSeconds : consumer.spec.timeoutSeconds);
      // Into a function, messages live for the rule's event age, but never shorter than the whole
      // retry schedule: Pub/Sub dead-letters only after the last attempt, and drops what expires
      // first. The backoff is fitted to the age where it can be (at least minBackoff).
      const schedule = retrySchedule(attempts, Math.min(ackDeadline, PUBSUB_MAX_ACK_SECONDS), fitMaxBackoff(retry.maxEventAgeSeconds, attempts, ackDeadline, minBackoff));
      const retention = queue ? queue.resolved.retentionSeconds : Math.min(PUBSUB_MAX_RETENTION_SECONDS, Math.max(retry.maxEventAgeSeconds, schedule));
      if (!queue && retention > retry.maxEventAgeSeconds) {
        Annotations.of(this).addWarning(
          `GcpEventBus(${logicalId}): rule '${ruleId}' property 'retry.maxEventAgeSeconds' = ${retry.maxEventAgeSeconds} cannot hold ${attempts} Pub/Sub delivery attempts (each push up to the ${ackDeadline} s timeout, each wait at least ${minBackoff} s): events are kept ${retention} s so they are dead-lettered rather than dropped. Raise the age or lower retry.maxAttempts to keep them shorter.`,
        );
      }
      (filters.length ? filters : [undefined]).forEach((filter, part) => {
        // Part 1 keeps the unsplit names; parts 2.. get a `p<n>` suffix, each with its own DLQ and alarms.
        const suffix = part === 0 ? [] : [`p${part + 1}`];
        const delivery = this.rules[[ruleId, ...suffix].join("#")] = new GcpPushDelivery(this, ["rule", ruleId, ...suffix].join("-"), {
          context: ctx,
          nameParts: [logicalId, ruleId, ...suffix],
          topic: job?.topic ?? this.topic,
          filter,
          endpoint: consumer.url,
          grantInvoker: (member) => consumer.grantInvoke(["bus", logicalId, ruleId, ...suffix].join("-"), member),
          ackDeadlineSeconds: ackDeadline,
          // Into a queue, the subscription is the queue's path to its consumer: it takes the queue's
          // retention and attempts (never the rule's shorter event age) and the queue's age alarm,
          // so an outage longer than the rule's age still ends in the dead-letter topic, not in loss.
          maxDeliveryAttempts: attempts,
          retentionSeconds: retention,
          dlqRetentionSeconds: queue?.resolved.dlqRetentionSeconds ?? 14 * 24 * 3600,
          kind: "bus",
          ageAlarm: queue !== undefined,
          minBackoffSeconds: minBackoff,
          maxBackoffSeconds: queue?.push?.backoffSeconds,
          consumerCap: consumer.concurrencyCap,
          // A scheduled rule's ticks come from Cloud Scheduler alone; a filtered rule's events from the bus's publishers.
          senders: job ? [SCHEDULE_SENDER] : (spec.publishers ?? []).map((f) => props.functions[f]).filter((f) => f !== undefined)
            .map((f) => ({ cap: f.concurrencyCap, timeoutSeconds: f.spec.timeoutSeconds })),
          target: queue ? `queue-${rule.target && "queue" in rule.target ? rule.target.queue : ""}` : `function-${consumer.logicalId}`,
        });
        // Pub/Sub keeps a message only for subscriptions that exist when it is published.
        if (job) job.job.dependsOn = [...(job.job.dependsOn ?? []), dependable(delivery.subscription)];
      });
    }
    this.node.addValidation({ validate: () => this.problems.messages() });
  }

  /**
   * A scheduled rule's ticks: a topic of the rule's own (CMEK) and a Cloud Scheduler job publishing
   * `{"polycloud_schedule": "<rule id>"}` to it with the attributes `polycloud_schedule` (the rule
   * id), `source` and `type`. Ticks never reach the bus topic, so its archive and its other rules
   * (which may filter on source or type) never see them. Returns the topic, the job and the rule
   * subscription's filter (the job waits for that subscription). The job's own retries are left at
   * none: the subscription's retries and dead-letter topic apply, as for every other rule. A failed
   * publish (Cloud Scheduler logs an AttemptFinished entry at ERROR) is counted by a log-based
   * metric and alarmed, as Logic App run failures are on Azure.
   */
  private scheduleJob(ruleId: string, schedule: string): { filter: string; job: CloudSchedulerJob; topic: PubsubTopic } {
    const { context: ctx, logicalId } = this.props;
    const parsed = parseSchedule(schedule);
    const cron = typeof parsed === "object" ? toCloudSchedulerCron(parsed) : undefined;
    if (cron?.error) this.problems.add(`rules.${ruleId}.schedule`, schedule, cron.error);
    const topic = new PubsubTopic(this, `schedule-${ruleId}-topic`, {
      name: ctx.namer.name(NAME_RULES.gcp.pubsub, logicalId, ruleId, "ticks"),
      kmsKeyName: ctx.key.id,
      labels: { ...ctx.labels, component: "schedule" },
      dependsOn: [...ctx.services.enable("pubsub.googleapis.com"), ...keyReady(this, ctx, "pubsub")],
    });
    const jobName = ctx.namer.name(NAME_RULES.gcp.generic, logicalId, ruleId);
    const job = new CloudSchedulerJob(this, `schedule-${ruleId}`, {
      name: jobName,
      region: ctx.region,
      description: `${logicalId}/${ruleId}: ${schedule}`,
      schedule: cron?.cron ?? "",
      timeZone: "Etc/UTC",
      pubsubTarget: {
        topicName: topic.id,
        data: Buffer.from(JSON.stringify(scheduledEventData(ruleId))).toString("base64"),
        attributes: { [SCHEDULE_ATTRIBUTE]: ruleId, source: SCHEDULED_EVENT.source, type: SCHEDULED_EVENT.type },
      },
      dependsOn: ctx.services.enable("cloudscheduler.googleapis.com"),
    });
    const metricName = ctx.namer.name(NAME_RULES.gcp.generic, logicalId, ruleId, "schedule-failed");
    const metric = new LoggingMetric(this, `schedule-${ruleId}-failed-metric`, {
      name: metricName,
      description: `Failed runs of the schedule ${logicalId}/${ruleId} (Cloud Scheduler AttemptFinished at ERROR)`,
      filter: escapeTerraform(`resource.type="cloud_scheduler_job" AND resource.labels.job_id=${literal(jobName)} AND jsonPayload."@type"="type.googleapis.com/google.cloud.scheduler.logging.AttemptFinished" AND severity>=ERROR`),
      metricDescriptor: { metricKind: "DELTA", valueType: "INT64", unit: "1" },
      dependsOn: ctx.services.enable("logging.googleapis.com"),
    });
    // Monitoring refuses a policy on a log-based metric it cannot see yet: wait for it to propagate.
    const metricVisible = new Sleep(this, `schedule-${ruleId}-failed-metric-propagation`, { createDuration: BUILD_IAM_PROPAGATION, dependsOn: [metric] });
    this.scheduleAlarms.push(createAlertPolicy(this, `schedule-${ruleId}-alarm-failed`, ctx, {
      dependsOn: [metricVisible],
      signal: "schedule.failedRuns", name: `${jobName} failed runs`, threshold: 1,
      filter: `metric.type="logging.googleapis.com/user/\${${metric.fqn}.name}" AND resource.type="cloud_scheduler_job"`,
      documentation: `The schedule ${logicalId}/${ruleId} failed to publish its tick to ${topic.name}: the rule's target missed a run.`,
    }));
    return { filter: escapeTerraform(`attributes.${SCHEDULE_ATTRIBUTE} = ${literal(ruleId)}`), job, topic };
  }

  get alarms(): AlarmInfo[] {
    return [...Object.values(this.rules).flatMap((r) => r.alarms), ...this.scheduleAlarms];
  }

  grantPublish(fn: PlatformFunction): void {
    const f = fn as GcpFunction;
    new PubsubTopicIamMember(this, `publisher-${f.logicalId}`, { topic: this.topic.id, role: "roles/pubsub.publisher", member: f.member });
    f.addEnvironment(`EVENT_BUS_${envVarPart(this.props.logicalId)}_TOPIC`, this.topic.id);
  }
}
