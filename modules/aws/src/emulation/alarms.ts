import { AlarmState, componentKeyOf } from "@polycloud/core";
import { EventBridge } from "./eventbridge";
import { SqsService } from "./sqs";
import { AwsValues } from "./values";

const OPERATORS: Record<string, { sign: string; test: (v: number, t: number) => boolean }> = {
  GreaterThanThreshold: { sign: ">", test: (v, t) => v > t },
  GreaterThanOrEqualToThreshold: { sign: ">=", test: (v, t) => v >= t },
  LessThanThreshold: { sign: "<", test: (v, t) => v < t },
  LessThanOrEqualToThreshold: { sign: "<=", test: (v, t) => v <= t },
};

/**
 * CloudWatch alarms whose metric the runner computes: SQS ApproximateNumberOfMessagesVisible and
 * ApproximateAgeOfOldestMessage (by QueueName), EventBridge InvocationsSentToDlq and
 * FailedInvocations (by RuleName), each against the alarm's comparison and threshold.
 */
export function awsAlarms(values: AwsValues, sqs: SqsService, events: EventBridge, now: number): AlarmState[] {
  const out: AlarmState[] = [];
  for (const [address, raw] of values.resources("aws_cloudwatch_metric_alarm")) {
    const a = values.resolve(raw);
    const op = OPERATORS[a.comparison_operator];
    if (!op || a.threshold === undefined) continue;
    const dims = a.dimensions ?? {};
    let value: number | undefined;
    if (a.namespace === "AWS/SQS" && dims.QueueName) {
      const q = [...sqs.queues.values()].find((x) => x.name === dims.QueueName);
      if (!q) continue;
      if (a.metric_name === "ApproximateNumberOfMessagesVisible") value = q.visible(now).length;
      if (a.metric_name === "ApproximateAgeOfOldestMessage") value = q.messages.length ? Math.floor((now - Math.min(...q.messages.map((m) => m.sentAt))) / 1000) : 0;
    } else if (a.namespace === "AWS/Events" && dims.RuleName) {
      if (a.metric_name === "InvocationsSentToDlq") value = events.sentToDlq.get(dims.RuleName) ?? 0;
      if (a.metric_name === "FailedInvocations") value = events.failed.get(dims.RuleName) ?? 0;
    }
    if (value === undefined) continue;
    out.push({ address, component: componentKeyOf(address) ?? address, metric: `${a.namespace} ${a.metric_name}`, value, condition: `${op.sign} ${a.threshold}`, firing: op.test(value, Number(a.threshold)) });
  }
  return out;
}
