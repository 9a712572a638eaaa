import { Construct } from "constructs";
import { AlarmInfo, AlarmSignal } from "@polycloud/core";
import { CloudwatchMetricAlarm, CloudwatchMetricAlarmConfig } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { AwsContext } from "./context";
import { NAME_RULES } from "@polycloud/core";

export interface AlarmProps {
  readonly signal: AlarmSignal;
  /** Name parts after `<service>-<env>`. */
  readonly nameParts: string[];
  readonly description: string;
  readonly threshold: number;
  readonly metric?: Pick<CloudwatchMetricAlarmConfig, "namespace" | "metricName" | "dimensions" | "statistic" | "extendedStatistic">;
  readonly metricQuery?: CloudwatchMetricAlarmConfig["metricQuery"];
  /** @default GreaterThanOrEqualToThreshold */
  readonly comparison?: string;
  /** @default 300 */
  readonly periodSeconds?: number;
  /** @default 1 */
  readonly evaluationPeriods?: number;
  /**
   * How a period without data counts. `notBreaching` (the default) suits counters: no data means
   * nothing happened. Gauges that a service stops publishing while the condition still holds
   * (SQS depth of an idle queue) use `ignore`, which keeps the last state.
   * @default "notBreaching"
   */
  readonly missingData?: "notBreaching" | "ignore";
}

/** A CloudWatch alarm that notifies the environment's alarm topic on alarm and on recovery. */
export function createAlarm(scope: Construct, id: string, ctx: AwsContext, props: AlarmProps): AlarmInfo {
  const name = ctx.namer.name(NAME_RULES.aws.alarm, ...props.nameParts);
  new CloudwatchMetricAlarm(scope, id, {
    alarmName: name,
    alarmDescription: props.description,
    comparisonOperator: props.comparison ?? "GreaterThanOrEqualToThreshold",
    threshold: props.threshold,
    evaluationPeriods: props.evaluationPeriods ?? 1,
    ...(props.metric ? { ...props.metric, period: props.periodSeconds ?? 300 } : {}),
    ...(props.metricQuery ? { metricQuery: props.metricQuery } : {}),
    treatMissingData: props.missingData ?? "notBreaching",
    alarmActions: [ctx.alarmTopic.arn],
    okActions: [ctx.alarmTopic.arn],
  });
  return { name, signal: props.signal, threshold: props.threshold };
}

/**
 * The settings every dead-letter-queue depth alarm shares (queue DLQs, rule DLQs, async-failure DLQs).
 *
 * SQS stops publishing metrics for a queue with no activity for about six hours, even while it holds
 * messages: a DLQ that received dead letters and is then left alone goes silent. With `notBreaching`
 * the alarm would return to OK while the letters sit for 14 days; with `breaching` every idle, empty
 * DLQ (the normal state) would page. `ignore` keeps the last state through missing data: the alarm
 * enters ALARM when a letter arrives and leaves it only on a real datapoint of 0, which SQS publishes
 * once the queue is touched again (redrive, receive or purge empties it).
 */
export function dlqDepthAlarm(queueName: string): Pick<AlarmProps, "threshold" | "comparison" | "periodSeconds" | "metric" | "missingData"> {
  return {
    threshold: 0,
    comparison: "GreaterThanThreshold",
    periodSeconds: 60,
    missingData: "ignore",
    metric: { namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: queueName }, statistic: "Maximum" },
  };
}
