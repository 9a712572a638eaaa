import { Construct } from "constructs";
import { AlarmInfo, EventBusSpec, EventFilterSpec, NAME_RULES, PlatformEventBus, Problems, SCHEDULED_EVENT, Schedule, dayOfWeekNames, escapeTerraform, parseSchedule, resolveRetry, envVarPart, scheduledEventData } from "@polycloud/core";
import { CloudwatchEventArchive } from "@cdktf/provider-aws/lib/cloudwatch-event-archive";
import { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { createAlarm, dlqDepthAlarm } from "./alarm";
import { AwsContext } from "./context";
import { AwsFunction } from "./function";
import { denyInsecureTransport, policyDocument } from "./iam";
import { AwsQueue, sid } from "./queue";

export interface AwsEventBusProps {
  readonly context: AwsContext;
  readonly logicalId: string;
  readonly spec: EventBusSpec;
  readonly functions: Readonly<Record<string, AwsFunction>>;
  readonly queues: Readonly<Record<string, AwsQueue>>;
}

/**
 * Translates the cloud-neutral filter to an EventBridge pattern: exact values as strings, prefix
 * clauses as `{ "prefix": … }` matchers (ORed within a field, AND across fields).
 */
export function toEventPattern(filter: EventFilterSpec): string {
  const pattern: Record<string, unknown> = {};
  const pre = filter.prefix ?? {};
  const prefixes = (values: readonly string[]) => values.map((prefix) => ({ prefix }));
  if (filter.source?.length) pattern.source = [...filter.source];
  else if (pre.source?.length) pattern.source = prefixes(pre.source);
  if (filter.type?.length) pattern["detail-type"] = [...filter.type];
  else if (pre.type?.length) pattern["detail-type"] = prefixes(pre.type);
  const attrs: [string, unknown[]][] = [
    ...Object.entries(filter.attributes ?? {}).map(([k, v]): [string, unknown[]] => [k, [...v]]),
    ...Object.entries(pre.attributes ?? {}).map(([k, v]): [string, unknown[]] => [k, prefixes(v)]),
  ];
  if (attrs.length) pattern.detail = Object.fromEntries(attrs);
  return escapeTerraform(JSON.stringify(pattern));
}

/**
 * An input transformer that delivers the platform's scheduled event (`SCHEDULED_EVENT`) in
 * EventBridge's envelope: the tick's id, time, account, region and resources are kept; source,
 * detail-type and detail are the platform's. Placeholders stand unquoted, as EventBridge inserts
 * string values with their quotes.
 */
export function scheduledEventTransformer(ruleId: string): { inputPaths: Record<string, string>; inputTemplate: string } {
  const keep = ["id", "time", "account", "region", "resources"];
  const envelope = {
    version: "0", id: "\u0000id", "detail-type": SCHEDULED_EVENT.type, source: SCHEDULED_EVENT.source,
    account: "\u0000account", time: "\u0000time", region: "\u0000region", resources: "\u0000resources", detail: scheduledEventData(ruleId),
  };
  return {
    inputPaths: Object.fromEntries(keep.map((k) => [k, `$.${k}`])),
    inputTemplate: JSON.stringify(envelope).replace(/"\\u0000([a-z]+)"/g, "<$1>"),
  };
}

/**
 * A neutral schedule as an EventBridge schedule expression. Rates keep their form; unix cron gains
 * the year field and `?` in whichever of day-of-month / day-of-week is unrestricted (EventBridge
 * cannot restrict both: unix cron would OR them), numeric days of week become names (unix counts
 * 0 = SUN, EventBridge 1 = SUN), and `*\/n` steps start at the field's first value.
 */
export function toEventBridgeSchedule(schedule: Schedule): { expression?: string; error?: string } {
  if (schedule.kind === "rate") return { expression: `rate(${schedule.value} ${schedule.value === 1 ? schedule.unit.replace(/s$/, "") : schedule.unit})` };
  const { minute, hour, dayOfMonth, month, dayOfWeek } = schedule;
  if (dayOfMonth !== "*" && dayOfWeek !== "*") return { error: "day-of-month and day-of-week not both restricted (EventBridge cron cannot OR them as unix cron does)" };
  const steps = (field: string, first: number) => field.replace(/^\*\//, `${first}/`);
  const dom = dayOfWeek !== "*" ? "?" : steps(dayOfMonth, 1);
  const dow = dayOfWeek === "*" ? "?" : dayOfWeekNames(dayOfWeek);
  return { expression: `cron(${steps(minute, 0)} ${steps(hour, 0)} ${dom} ${steps(month, 1)} ${dow} *)` };
}

/**
 * EventBridge custom bus with one rule per spec rule. Every target has a retry policy and its own
 * SQS DLQ whose policy admits only that rule (aws:SourceArn). An archive keeps events for replay.
 */
export class AwsEventBus extends Construct implements PlatformEventBus {
  readonly logicalId: string;
  readonly spec: EventBusSpec;
  readonly bus: CloudwatchEventBus;
  readonly rules: Record<string, { rule: CloudwatchEventRule; target: CloudwatchEventTarget; dlq: SqsQueue }> = {};
  readonly alarms: AlarmInfo[] = [];
  readonly problems: Problems;

  constructor(scope: Construct, id: string, props: AwsEventBusProps) {
    super(scope, id);
    const { context: ctx, spec } = props;
    this.problems = new Problems(`AwsEventBus(${props.logicalId})`);
    this.node.addValidation({ validate: () => this.problems.messages() });
    this.spec = spec;
    this.logicalId = props.logicalId;
    const busName = ctx.namer.name(NAME_RULES.aws.eventBus, props.logicalId);
    this.bus = new CloudwatchEventBus(this, "bus", { name: busName });

    new CloudwatchEventArchive(this, "archive", {
      // Archive names are limited to 48 characters.
      name: ctx.namer.name({ ...NAME_RULES.aws.generic, maxLength: 48 }, props.logicalId, "archive"),
      eventSourceArn: this.bus.arn,
      retentionDays: spec.archiveRetentionDays ?? ctx.env.retention?.archiveDays ?? 30,
    });

    const t = ctx.thresholds;
    for (const [ruleId, ruleSpec] of Object.entries(spec.rules ?? {})) {
      const target = ruleSpec.target as { function?: string; queue?: string };
      const fn = target.function !== undefined ? props.functions[target.function] : undefined;
      const queue = target.queue !== undefined ? props.queues[target.queue] : undefined;
      if (!fn && !queue) continue; // reported by validation
      const retry = resolveRetry(ruleSpec.retry);
      const ruleName = ctx.namer.name(NAME_RULES.aws.eventRule, props.logicalId, ruleId);
      // Scheduled rules exist only on the default bus (EventBridge rejects a schedule on a custom bus).
      const parsed = ruleSpec.schedule !== undefined ? parseSchedule(ruleSpec.schedule) : undefined;
      const scheduled = typeof parsed === "object" ? toEventBridgeSchedule(parsed) : undefined;
      if (scheduled?.error) this.problems.add(`rules.${ruleId}.schedule`, ruleSpec.schedule, `a schedule EventBridge can express: ${scheduled.error}`);
      const busName = ruleSpec.schedule !== undefined ? undefined : this.bus.name;
      const rule = new CloudwatchEventRule(this, `rule-${ruleId}`, {
        name: ruleName,
        eventBusName: busName,
        ...(ruleSpec.schedule !== undefined ? { scheduleExpression: scheduled?.expression ?? "" } : { eventPattern: toEventPattern(ruleSpec.filter ?? {}) }),
        state: "ENABLED",
      });
      const dlq = new SqsQueue(this, `dlq-${ruleId}`, {
        name: ctx.namer.name(NAME_RULES.aws.sqs, props.logicalId, ruleId, "dlq"),
        messageRetentionSeconds: 1209600,
        // SSE-SQS: EventBridge can write without a key policy grant.
        sqsManagedSseEnabled: true,
      });
      new SqsQueuePolicy(this, `dlq-policy-${ruleId}`, {
        queueUrl: dlq.url,
        policy: policyDocument([
          {
            Sid: "EventBridgeDeadLetters",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: dlq.arn,
            Condition: { ArnEquals: { "aws:SourceArn": rule.arn } },
          },
          denyInsecureTransport("sqs:*", dlq.arn),
        ]),
      });
      const targetResource = new CloudwatchEventTarget(this, `target-${ruleId}`, {
        rule: rule.name,
        eventBusName: busName,
        targetId: sid(ruleId),
        arn: fn ? fn.invokeArn : queue!.queue.arn,
        // The spec counts attempts; EventBridge counts retries after the first attempt.
        retryPolicy: { maximumRetryAttempts: Math.max(0, retry.maxAttempts - 1), maximumEventAgeInSeconds: retry.maxEventAgeSeconds },
        deadLetterConfig: { arn: dlq.arn },
        // EventBridge's own tick says source aws.events with an empty detail; the handler gets the
        // platform's scheduled event instead, as on GCP and Azure.
        ...(ruleSpec.schedule !== undefined ? { inputTransformer: scheduledEventTransformer(ruleId) } : {}),
      });
      if (fn) {
        // EventBridge invokes asynchronously: failures after Lambda's own retries need a destination.
        fn.acceptAsyncInvocations();
        new LambdaPermission(this, `invoke-${ruleId}`, {
          statementId: `AllowEventBridge-${props.logicalId}-${ruleId}`,
          action: "lambda:InvokeFunction",
          functionName: fn.lambda.functionName,
          qualifier: fn.alias.name,
          principal: "events.amazonaws.com",
          sourceArn: rule.arn,
        });
      } else {
        queue!.addToQueuePolicy({
          Sid: `EventBridgeRule${sid(ruleId)}`,
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: queue!.queue.arn,
          Condition: { ArnEquals: { "aws:SourceArn": rule.arn } },
        });
      }
      this.rules[ruleId] = { rule, target: targetResource, dlq };
      // Rules on the default bus (scheduled ones) publish their metrics with RuleName only.
      const dims: Record<string, string> = busName ? { RuleName: ruleName, EventBusName: busName } : { RuleName: ruleName };
      this.alarms.push(
        createAlarm(this, `failed-alarm-${ruleId}`, ctx, {
          signal: "bus.failedInvocations", nameParts: [props.logicalId, ruleId, "failed"], description: `Rule ${ruleName}: failed invocations`,
          threshold: t.busFailedInvocations, metric: { namespace: "AWS/Events", metricName: "FailedInvocations", dimensions: dims, statistic: "Sum" },
        }),
        createAlarm(this, `to-dlq-alarm-${ruleId}`, ctx, {
          signal: "bus.sentToDlq", nameParts: [props.logicalId, ruleId, "sent-to-dlq"], description: `Rule ${ruleName}: events sent to the DLQ`,
          threshold: 0, comparison: "GreaterThanThreshold",
          metric: { namespace: "AWS/Events", metricName: "InvocationsSentToDlq", dimensions: dims, statistic: "Sum" },
        }),
        createAlarm(this, `dlq-alarm-${ruleId}`, ctx, {
          signal: "bus.dlqDepth", nameParts: [props.logicalId, ruleId, "dlq-depth"], description: `Rule ${ruleName}: events waiting in the DLQ`,
          ...dlqDepthAlarm(dlq.name),
        }),
      );
    }
  }

  grantPublish(fn: AwsFunction): void {
    fn.addToRolePolicy({ Sid: `Publish${sid(this.logicalId)}`, Effect: "Allow", Action: "events:PutEvents", Resource: this.bus.arn });
    fn.addEnvironment(`EVENT_BUS_${envVarPart(this.logicalId)}_NAME`, this.bus.name);
    fn.needsEndpoint("events");
  }
}
