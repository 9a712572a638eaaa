import { Annotations } from "cdktf";
import { Construct } from "constructs";
import { AlarmInfo, NAME_RULES, PlatformFunction, PlatformQueue, QueueSpec, resolveQueue, envVarPart } from "@polycloud/core";
import { ServicebusNamespace } from "@cdktf/provider-azurerm/lib/servicebus-namespace";
import { ServicebusQueue } from "@cdktf/provider-azurerm/lib/servicebus-queue";
import { alertWindow, createMetricAlert } from "./alarm";
import { AzureContext } from "./context";
import { AzureFunction } from "./function";
import { FLEX_RUNTIMES, MAX_LOCK_SECONDS } from "./limits";

export interface AzureQueueProps {
  readonly context: AzureContext;
  readonly logicalId: string;
  readonly spec: QueueSpec;
  readonly namespace: ServicebusNamespace;
  /** The namespace has only a private endpoint: functions using the queue are VNet-integrated. @default false */
  readonly privateNamespace?: boolean;
  readonly consumer?: AzureFunction;
}

/** Seconds of a day/time ISO-8601 duration (`P1DT2H3M4S`); NaN for anything else (months, years, fractions). */
export function parseServiceBusDuration(text: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text);
  if (!m || text === "P" || text.endsWith("T")) return NaN;
  const [d, h, min, s] = m.slice(1).map((x) => Number(x ?? 0));
  return ((d * 24 + h) * 60 + min) * 60 + s;
}

/** Host settings of the Service Bus trigger, as app settings (`AzureFunctionsJobHost__` overrides host.json). */
export const SERVICE_BUS_HOST_SETTINGS = {
  maxConcurrentCalls: "AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls",
  prefetchCount: "AzureFunctionsJobHost__extensions__serviceBus__prefetchCount",
} as const;
/** Host settings that only apply to session or batch (cardinality "many") triggers: never written. */
export const INERT_SERVICE_BUS_HOST_SETTINGS = [
  "AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentSessions",
  "AzureFunctionsJobHost__extensions__serviceBus__maxMessageBatchSize",
] as const;

/**
 * Whole seconds as the ISO-8601 duration Service Bus returns (.NET `XmlConvert` form of a
 * TimeSpan): days, hours, minutes and seconds, zero parts left out, no months or years.
 * `60` → `PT1M`, `345600` → `P4D`, `90` → `PT1M30S`, `90061` → `P1DT1H1M1S`, `0` → `PT0S`.
 * azurerm stores what the API returns and its update waiter polls for the literal string, so any
 * other spelling of the same duration is a diff on every plan and a timed-out update.
 */
export function serviceBusDuration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0) throw new Error(`serviceBusDuration: ${seconds} is not a whole number of seconds`);
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const time = `${h ? `${h}H` : ""}${m ? `${m}M` : ""}${s ? `${s}S` : ""}`;
  if (!d && !time) return "PT0S";
  return `P${d ? `${d}D` : ""}${time ? `T${time}` : ""}`;
}

/**
 * A Service Bus queue: `max_delivery_count` from the spec, dead-lettering on expiration, a lock
 * covering one invocation (at most 5 minutes), and the native `$DeadLetterQueue`, which keeps
 * dead letters until they are read (no TTL applies there). The consumer receives with its
 * identity ("Azure Service Bus Data Receiver" on this queue only); the trigger connects through
 * identity-based settings, never a connection string. With a private (Premium) namespace, the
 * consumer and producers reach it through the VNet.
 */
export class AzureQueue extends Construct implements PlatformQueue {
  readonly spec: QueueSpec;
  readonly queue: ServicebusQueue;
  readonly alarms: AlarmInfo[] = [];
  readonly resolved: ReturnType<typeof resolveQueue>;
  /** Seconds a failed message should wait before its next delivery (the spec's visibility timeout). */
  readonly retryDelaySeconds: number;
  /** The consumer already holds Data Sender on this queue (granted for its retry copies). */
  private consumerSends = false;

  constructor(scope: Construct, id: string, private readonly props: AzureQueueProps) {
    super(scope, id);
    const { context: ctx, spec, consumer, logicalId, namespace } = props;
    this.spec = spec;
    this.resolved = resolveQueue(spec, consumer?.spec.timeoutSeconds ?? 30);
    this.retryDelaySeconds = this.resolved.visibilityTimeoutSeconds;
    const lock = Math.min(MAX_LOCK_SECONDS, Math.max(consumer?.spec.timeoutSeconds ?? 30, spec.visibilityTimeoutSeconds ?? 0));
    this.queue = new ServicebusQueue(this, "queue", {
      name: ctx.namer.name(NAME_RULES.azure.generic, logicalId),
      namespaceId: namespace.id,
      maxDeliveryCount: this.resolved.maxDeliveryAttempts,
      lockDuration: serviceBusDuration(lock),
      defaultMessageTtl: serviceBusDuration(this.resolved.retentionSeconds),
      deadLetteringOnMessageExpiration: true,
      batchedOperationsEnabled: true,
    });
    if (consumer) {
      consumer.grantRole(`receive-${logicalId}`, this.queue.id, "Azure Service Bus Data Receiver");
      if (props.privateNamespace) consumer.useVnet();
      const prefix = envVarPart(logicalId);
      consumer.addSetting(`QUEUE_${prefix}_NAME`, this.queue.name);
      // Identity-based trigger connection: `connection: "QUEUE_<ID>"` in the function's binding.
      consumer.addSetting(`QUEUE_${prefix}__fullyQualifiedNamespace`, `${namespace.name}.servicebus.windows.net`);
      consumer.addSetting(`QUEUE_${prefix}__credential`, "managedidentity");
      consumer.addSetting(`QUEUE_${prefix}__clientId`, consumer.identity.clientId);
      // Per-instance concurrency of the Service Bus trigger (host.json extensions.serviceBus, which
      // app settings override): by default 16 calls per instance (×16 per core with dynamic
      // concurrency); here the function's per-instance share, so maximum_instance_count × this
      // equals the spec's cap.
      consumer.addSetting(SERVICE_BUS_HOST_SETTINGS.maxConcurrentCalls, String(consumer.scale.perInstance));
      consumer.serviceBusTriggers.push(logicalId);
      if (consumer.serviceBusTriggers.length > 1) {
        Annotations.of(this).addWarning(`AzureQueue(${logicalId}): consumer '${consumer.logicalId}' also consumes ${consumer.serviceBusTriggers.slice(0, -1).join(", ")}; maxConcurrentCalls applies to each Service Bus trigger, so its concurrency can reach ${consumer.serviceBusTriggers.length} × ${consumer.scale.total}, not its cap. Give each queue its own consumer function.`);
      }
      if (spec.maxConcurrency !== undefined && spec.maxConcurrency < consumer.scale.total) {
        Annotations.of(this).addWarning(`AzureQueue(${logicalId}): property 'maxConcurrency' = ${spec.maxConcurrency} is not enforced per queue on Azure (the Service Bus trigger has no per-queue cap across instances); the consumer's concurrency (${consumer.scale.instances} instances × ${consumer.scale.perInstance} = ${consumer.scale.total}) bounds it. Set the consumer's concurrency.max to ${spec.maxConcurrency} to enforce it.`);
      }
      // The runtime registers the trigger with cardinality "one" (one message per invocation, and
      // no sessions), so the host's batch and session settings would do nothing: none are written.
      // A batch size above one cannot be honoured (AWS hands the handler up to batchSize records).
      if (this.resolved.batchSize > 1 || this.resolved.batchWindowSeconds > 0) {
        Annotations.of(this).addWarning(
          `AzureQueue(${logicalId}): property 'batchSize' = ${this.resolved.batchSize}${this.resolved.batchWindowSeconds > 0 ? ` (batchWindowSeconds ${this.resolved.batchWindowSeconds})` : ""} cannot be honoured on Azure: the Service Bus trigger hands the handler one message per invocation (cardinality "one"); the consumer's concurrency (${consumer.scale.total}) handles parallelism (docs/parity.md).`,
        );
      }
      // No prefetch: a prefetched message's lock runs while it waits, and it would count against no cap.
      consumer.addSetting(SERVICE_BUS_HOST_SETTINGS.prefetchCount, "0");
      // Spacing between deliveries (AWS: one visibility timeout; GCP: minimum backoff). The host
      // abandons a failed message and Service Bus redelivers it at once, so @polycloud/runtime
      // sends a copy of a failed message to this queue scheduled RETRY_DELAY_SECONDS later (with
      // the attempt count) and completes the original; the attempt reaching MAX_DELIVERIES fails
      // into the queue's max_delivery_count (dead-letter). Sending the copy needs Data Sender on
      // this queue only, granted before the app starts so no early failure is retried at once.
      consumer.addSetting(`PLATFORM_QUEUE_${prefix}_RETRY_DELAY_SECONDS`, String(this.retryDelaySeconds));
      consumer.addSetting(`PLATFORM_QUEUE_${prefix}_MAX_DELIVERIES`, String(this.resolved.maxDeliveryAttempts));
      if (FLEX_RUNTIMES[consumer.spec.runtime]?.name === "node") {
        consumer.grantRole(`resend-${logicalId}`, this.queue.id, "Azure Service Bus Data Sender", { beforeStart: true });
        this.consumerSends = true;
        // Those retried attempts return success: the errors alarm counts the runtime's log line too.
        consumer.countFailedAttempts();
      } else {
        Annotations.of(this).addWarning(
          `AzureQueue(${logicalId}): consumer '${consumer.logicalId}' runs ${consumer.spec.runtime}; the Python runtime does not schedule delayed retries, so a failed message is redelivered at once (Service Bus and the Functions host add no delay), not ${this.retryDelaySeconds} s later as on AWS and GCP. Use a Node.js consumer for spaced retries.`,
        );
      }
    }
    const entity = { name: "EntityName", values: [ctx.namer.name(NAME_RULES.azure.generic, logicalId)] };
    this.alarms.push(
      createMetricAlert(this, "alarm-backlog", ctx, {
        signal: "queue.oldestMessageAge", name: ctx.namer.name(NAME_RULES.azure.generic, logicalId, "backlog"), scope: namespace.id,
        namespace: "Microsoft.ServiceBus/namespaces", metric: "ActiveMessages", aggregation: "Minimum", dimension: entity,
        // Service Bus has no oldest-message age. A backlog that never drops below one batch during the
        // age threshold (window rounded up to what Azure Monitor accepts) means messages wait that long.
        windowSize: alertWindow(ctx.thresholds.queueOldestMessageAgeSeconds),
        threshold: this.resolved.batchSize,
        description: `Queue ${logicalId} never held fewer than ${this.resolved.batchSize} messages for ${alertWindow(ctx.thresholds.queueOldestMessageAgeSeconds)} (the ${ctx.thresholds.queueOldestMessageAgeSeconds}s age threshold): the consumer is failing or too slow.`,
      }),
      createMetricAlert(this, "alarm-dead-letters", ctx, {
        signal: "queue.dlqDepth", name: ctx.namer.name(NAME_RULES.azure.generic, logicalId, "dead-letters"), scope: namespace.id,
        namespace: "Microsoft.ServiceBus/namespaces", metric: "DeadletteredMessages", aggregation: "Maximum", dimension: entity, threshold: 0, windowSize: "PT1M",
        description: `Messages of ${logicalId} exhausted ${this.resolved.maxDeliveryAttempts} deliveries and wait in ${logicalId}/$DeadLetterQueue.`,
      }),
    );
  }

  grantSend(fn: PlatformFunction): void {
    const f = fn as AzureFunction;
    // The consumer already holds Data Sender on this queue (retry copies); a second assignment of
    // the same role, scope and principal would fail with RoleAssignmentExists.
    // (A Python consumer has no such assignment and gets it here like any producer.)
    if (!(f === this.props.consumer && this.consumerSends)) f.grantRole(`send-${this.props.logicalId}`, this.queue.id, "Azure Service Bus Data Sender");
    if (this.props.privateNamespace) f.useVnet();
    f.addSetting(`QUEUE_${envVarPart(this.props.logicalId)}_NAME`, this.queue.name);
    f.addSetting("SERVICE_BUS_NAMESPACE", `${this.props.namespace.name}.servicebus.windows.net`);
  }
}

