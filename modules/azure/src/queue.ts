import { Construct } from "constructs";
import { AlarmInfo, NAME_RULES, PlatformFunction, PlatformQueue, QueueSpec, resolveQueue, envVarPart } from "@polycloud/core";
import { ServicebusNamespace } from "@cdktf/provider-azurerm/lib/servicebus-namespace";
import { ServicebusQueue } from "@cdktf/provider-azurerm/lib/servicebus-queue";
import { alertWindow, createMetricAlert } from "./alarm";
import { AzureContext } from "./context";
import { AzureFunction } from "./function";
import { MAX_LOCK_SECONDS } from "./limits";

export interface AzureQueueProps {
  readonly context: AzureContext;
  readonly logicalId: string;
  readonly spec: QueueSpec;
  readonly namespace: ServicebusNamespace;
  /** The namespace has only a private endpoint: functions using the queue are VNet-integrated. @default false */
  readonly privateNamespace?: boolean;
  readonly consumer?: AzureFunction;
}

const iso = (seconds: number) => `PT${seconds}S`;

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

  constructor(scope: Construct, id: string, private readonly props: AzureQueueProps) {
    super(scope, id);
    const { context: ctx, spec, consumer, logicalId, namespace } = props;
    this.spec = spec;
    this.resolved = resolveQueue(spec, consumer?.spec.timeoutSeconds ?? 30);
    const lock = Math.min(MAX_LOCK_SECONDS, Math.max(consumer?.spec.timeoutSeconds ?? 30, spec.visibilityTimeoutSeconds ?? 0));
    this.queue = new ServicebusQueue(this, "queue", {
      name: ctx.namer.name(NAME_RULES.azure.generic, logicalId),
      namespaceId: namespace.id,
      maxDeliveryCount: this.resolved.maxDeliveryAttempts,
      lockDuration: iso(lock),
      defaultMessageTtl: iso(this.resolved.retentionSeconds),
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
    f.grantRole(`send-${this.props.logicalId}`, this.queue.id, "Azure Service Bus Data Sender");
    if (this.props.privateNamespace) f.useVnet();
    f.addSetting(`QUEUE_${envVarPart(this.props.logicalId)}_NAME`, this.queue.name);
    f.addSetting("SERVICE_BUS_NAMESPACE", `${this.props.namespace.name}.servicebus.windows.net`);
  }
}

