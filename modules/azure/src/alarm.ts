import { Construct } from "constructs";
import { AlarmInfo, AlarmSignal } from "@polycloud/core";
import { MonitorMetricAlert } from "@cdktf/provider-azurerm/lib/monitor-metric-alert";
import { AzureContext } from "./context";

export interface AzureAlarmProps {
  readonly signal: AlarmSignal;
  readonly name: string;
  readonly scope: string;
  readonly namespace: string;
  readonly metric: string;
  readonly aggregation: "Total" | "Average" | "Maximum" | "Count";
  readonly threshold: number;
  readonly dimension?: { readonly name: string; readonly values: readonly string[] };
  readonly description: string;
}

/** One Azure Monitor metric alert to the environment's action group. */
export function createMetricAlert(scope: Construct, id: string, ctx: AzureContext, props: AzureAlarmProps): AlarmInfo {
  new MonitorMetricAlert(scope, id, {
    name: props.name,
    resourceGroupName: ctx.resourceGroup.name,
    scopes: [props.scope],
    description: props.description,
    severity: props.signal.endsWith("dlqDepth") || props.signal === "bus.sentToDlq" ? 1 : 2,
    frequency: "PT1M",
    windowSize: "PT5M",
    autoMitigate: true,
    criteria: [{
      metricNamespace: props.namespace,
      metricName: props.metric,
      aggregation: props.aggregation,
      operator: "GreaterThan",
      threshold: props.threshold,
      dimension: props.dimension ? [{ name: props.dimension.name, operator: "Include", values: [...props.dimension.values] }] : undefined,
    }],
    action: [{ actionGroupId: ctx.actionGroup.id }],
  });
  return { name: props.name, signal: props.signal, threshold: props.threshold };
}
