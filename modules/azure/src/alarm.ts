import { Construct } from "constructs";
import { AlarmInfo, AlarmSignal, COUNT_SIGNALS } from "@polycloud/core";
import { MonitorMetricAlert } from "@cdktf/provider-azurerm/lib/monitor-metric-alert";
import { MonitorScheduledQueryRulesAlertV2 } from "@cdktf/provider-azurerm/lib/monitor-scheduled-query-rules-alert-v2";
import { AzureContext } from "./context";

export interface AzureAlarmProps {
  readonly signal: AlarmSignal;
  readonly name: string;
  readonly scope: string;
  readonly namespace: string;
  readonly metric: string;
  readonly aggregation: "Total" | "Average" | "Minimum" | "Maximum" | "Count";
  readonly threshold: number;
  readonly dimension?: { readonly name: string; readonly values: readonly string[] };
  /** More dimensions, all of which must match (e.g. one API on the shared API Management instance). */
  readonly dimensions?: readonly { readonly name: string; readonly values: readonly string[] }[];
  readonly description: string;
  /** Look-back window. @default "PT5M" */
  readonly windowSize?: string;
}

/** Metric alert look-back windows Azure Monitor accepts, in seconds. */
const WINDOWS: [number, string][] = [[60, "PT1M"], [300, "PT5M"], [900, "PT15M"], [1800, "PT30M"], [3600, "PT1H"], [21600, "PT6H"], [43200, "PT12H"], [86400, "P1D"]];

/** The smallest accepted window of at least `seconds` (at most one day). */
export function alertWindow(seconds: number): string {
  return (WINDOWS.find(([s]) => s >= seconds) ?? WINDOWS[WINDOWS.length - 1])[1];
}

/** One Azure Monitor metric alert to the environment's action group. */
export function createMetricAlert(scope: Construct, id: string, ctx: AzureContext, props: AzureAlarmProps): AlarmInfo {
  new MonitorMetricAlert(scope, id, {
    name: props.name,
    resourceGroupName: ctx.resourceGroup.name,
    scopes: [props.scope],
    description: props.description,
    severity: props.signal.endsWith("dlqDepth") || props.signal === "bus.sentToDlq" ? 1 : 2,
    // Evaluated every minute up to one-hour windows, every 5 minutes beyond.
    frequency: /^PT(1|5|15|30)M$|^PT1H$/.test(props.windowSize ?? "PT5M") ? "PT1M" : "PT5M",
    windowSize: props.windowSize ?? "PT5M",
    autoMitigate: true,
    criteria: [{
      metricNamespace: props.namespace,
      metricName: props.metric,
      aggregation: props.aggregation,
      // The same condition as the other clouds: counts fire at "≥ N" (N at least 1).
      operator: COUNT_SIGNALS.has(props.signal) ? "GreaterThanOrEqual" : "GreaterThan",
      threshold: COUNT_SIGNALS.has(props.signal) ? Math.max(1, props.threshold) : props.threshold,
      dimension: props.dimension || props.dimensions?.length
        ? [...(props.dimension ? [props.dimension] : []), ...(props.dimensions ?? [])].map((d) => ({ name: d.name, operator: "Include", values: [...d.values] }))
        : undefined,
    }],
    action: [{ actionGroupId: ctx.actionGroup.id }],
  });
  return { name: props.name, signal: props.signal, threshold: props.threshold };
}

export interface AzureLogAlertProps {
  readonly signal: AlarmSignal;
  readonly name: string;
  /** Application Insights (classic table names: requests, traces) or a workspace. */
  readonly scope: string;
  /** KQL returning one row per counted event. */
  readonly query: string;
  /** Fires at ≥ threshold rows in the window. */
  readonly threshold: number;
  readonly description: string;
  /** @default "PT5M" */
  readonly windowSize?: string;
}

/**
 * A log search alert (`≥ N` rows in the window) to the action group: for what no metric counts,
 * such as Service Bus attempts the runtime retries by a scheduled copy (their invocation succeeds).
 */
export function createLogAlert(scope: Construct, id: string, ctx: AzureContext, props: AzureLogAlertProps): AlarmInfo {
  new MonitorScheduledQueryRulesAlertV2(scope, id, {
    name: props.name,
    resourceGroupName: ctx.resourceGroup.name,
    location: ctx.resourceGroup.location,
    scopes: [props.scope],
    description: props.description,
    severity: 2,
    windowDuration: props.windowSize ?? "PT5M",
    evaluationFrequency: props.windowSize ?? "PT5M",
    autoMitigationEnabled: true,
    criteria: [{
      query: props.query,
      timeAggregationMethod: "Count",
      operator: COUNT_SIGNALS.has(props.signal) ? "GreaterThanOrEqual" : "GreaterThan",
      threshold: COUNT_SIGNALS.has(props.signal) ? Math.max(1, props.threshold) : props.threshold,
      failingPeriods: { minimumFailingPeriodsToTriggerAlert: 1, numberOfEvaluationPeriods: 1 },
    }],
    action: { actionGroups: [ctx.actionGroup.id] },
  });
  return { name: props.name, signal: props.signal, threshold: props.threshold };
}
