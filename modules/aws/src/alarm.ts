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
    treatMissingData: "notBreaching",
    alarmActions: [ctx.alarmTopic.arn],
    okActions: [ctx.alarmTopic.arn],
  });
  return { name, signal: props.signal, threshold: props.threshold };
}
