import { AlarmState, componentKeyOf } from "@polycloud/core";
import { EventGrid } from "./event-grid";
import { ServiceBus } from "./service-bus";
import { AzureValues } from "./values";

const OPS: Record<string, { sign: string; test: (v: number, t: number) => boolean }> = {
  GreaterThan: { sign: ">", test: (v, t) => v > t }, GreaterThanOrEqual: { sign: ">=", test: (v, t) => v >= t },
  LessThan: { sign: "<", test: (v, t) => v < t }, LessThanOrEqual: { sign: "<=", test: (v, t) => v <= t },
};

/**
 * Metric alerts whose metric the runner computes: Service Bus DeadletteredMessages and
 * ActiveMessages (by EntityName), Event Grid DeadLetteredCount and DeliveryAttemptFailCount.
 */
export function azureAlarms(values: AzureValues, bus: ServiceBus, grid: EventGrid, now: number): AlarmState[] {
  const out: AlarmState[] = [];
  for (const [address, raw] of values.resources("azurerm_monitor_metric_alert")) {
    const alert = values.resolve(raw);
    const scope = String(alert.scopes?.[0] ?? "");
    for (const c of alert.criteria ?? []) {
      const op = OPS[c.operator];
      if (!op) continue;
      let value: number | undefined;
      if (c.metric_namespace === "Microsoft.ServiceBus/namespaces") {
        const entity = (c.dimension ?? []).find((d: any) => d.name === "EntityName")?.values?.[0];
        const q = [...bus.queues.values()].find((x) => x.name === entity && x.id.toLowerCase().startsWith(scope.toLowerCase()));
        if (!q) continue;
        if (c.metric_name === "DeadletteredMessages") value = q.deadLetter.length;
        if (c.metric_name === "ActiveMessages") value = q.active.filter((m) => m.visibleAt <= now).length;
      } else if (c.metric_namespace === "Microsoft.EventGrid/topics") {
        const topic = [...grid.topics.values()].find((t) => t.id.toLowerCase() === scope.toLowerCase());
        if (!topic) continue;
        if (c.metric_name === "DeadLetteredCount") value = grid.deadLettered.get(topic.address) ?? 0;
        if (c.metric_name === "DeliveryAttemptFailCount") value = grid.failedAttempts.get(topic.address) ?? 0;
      }
      if (value === undefined) continue;
      out.push({ address, component: componentKeyOf(address) ?? address, metric: `${c.metric_namespace} ${c.metric_name}`, value, condition: `${op.sign} ${c.threshold}`, firing: op.test(value, Number(c.threshold)) });
    }
  }
  return out;
}
