import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { AlarmInfo, AlarmSignal, COUNT_SIGNALS, escapeTerraform } from "@polycloud/core";
import { MonitoringAlertPolicy } from "@cdktf/provider-google/lib/monitoring-alert-policy";
import { GcpContext } from "./context";
import { literal } from "./event-filter";

export interface GcpAlarmProps {
  readonly signal: AlarmSignal;
  /** Display name; also the AlarmInfo name. */
  readonly name: string;
  /** Monitoring filter: `metric.type="…" AND resource.type="…" AND …`. */
  readonly filter: string;
  readonly threshold: number;
  /** @default ALIGN_SUM over 300 s */
  readonly aligner?: string;
  readonly reducer?: string;
  /** Alignment period. @default 300 */
  readonly periodSeconds?: number;
  /** @default 0s — fire on the first breaching aligned point */
  readonly duration?: string;
  readonly documentation: string;
  /** Resources the policy must wait for besides the Monitoring API (e.g. a log-based metric's propagation). */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * One Monitoring alert policy wired to the environment's notification channels. Alert policies
 * are not reached by the provider's default_labels, so the tag contract goes in `user_labels`.
 */
export function createAlertPolicy(scope: Construct, id: string, ctx: GcpContext, props: GcpAlarmProps): AlarmInfo {
  new MonitoringAlertPolicy(scope, id, {
    displayName: props.name,
    combiner: "OR",
    severity: props.signal.endsWith("dlqDepth") || props.signal === "bus.sentToDlq" ? "ERROR" : "WARNING",
    conditions: [
      {
        displayName: props.name,
        conditionThreshold: {
          filter: props.filter,
          // Monitoring offers only COMPARISON_GT for an upper bound. The other clouds fire at
          // "≥ N" (N at least 1) for counts, so a count alarm fires above N − 1.
          comparison: "COMPARISON_GT",
          thresholdValue: COUNT_SIGNALS.has(props.signal) ? Math.max(1, props.threshold) - 1 : props.threshold,
          duration: props.duration ?? "0s",
          aggregations: [
            {
              alignmentPeriod: `${props.periodSeconds ?? 300}s`,
              perSeriesAligner: props.aligner ?? "ALIGN_SUM",
              // One condition over all series (e.g. 500 and 503 add up), as on the other clouds.
              crossSeriesReducer: props.reducer ?? ((props.aligner ?? "ALIGN_SUM") === "ALIGN_SUM" ? "REDUCE_SUM" : "REDUCE_MAX"),
            },
          ],
          trigger: { count: 1 },
          // As CloudWatch's treat_missing_data: counts and rates clear when no data arrives (unset, the
          // default NO_OP left an incident open until auto-close, a day here); a DLQ depth keeps its
          // state (a gauge aligned by its maximum), so dead letters that stop being reported are not forgotten.
          evaluationMissingData: props.signal.endsWith("dlqDepth") && props.aligner === "ALIGN_MAX" ? "EVALUATION_MISSING_DATA_NO_OP" : "EVALUATION_MISSING_DATA_INACTIVE",
        },
      },
    ],
    notificationChannels: [...ctx.alarmChannelIds],
    alertStrategy: { autoClose: "86400s" },
    documentation: { content: props.documentation, mimeType: "text/markdown" },
    userLabels: { ...ctx.labels },
    dependsOn: [...ctx.services.enable("monitoring.googleapis.com"), ...(props.dependsOn ?? [])],
  });
  return { name: props.name, signal: props.signal, threshold: props.threshold };
}

/** Quotes a value for a Monitoring filter (the same literal syntax as Pub/Sub filters). */
export function quote(value: string): string {
  return escapeTerraform(literal(value));
}
