import { AlarmState, componentKeyOf } from "@polycloud/core";
import { PubSub } from "./pubsub";
import { GcpValues } from "./values";

/**
 * Monitoring alert policies whose metric the runner computes: a subscription's
 * num_undelivered_messages, dead_letter_message_count and oldest_unacked_message_age, for each
 * subscription a condition watches.
 */
export function gcpAlarms(values: GcpValues, pubsub: PubSub, now: number): AlarmState[] {
  const out: AlarmState[] = [];
  for (const [address, raw] of values.resources("google_monitoring_alert_policy")) {
    const policy = values.resolve(raw);
    for (const c of policy.conditions ?? []) {
      const t = c.condition_threshold;
      if (!t) continue;
      const metric = /metric\.type="([^"]+)"/.exec(t.filter ?? "")?.[1] ?? "";
      // One subscription (`subscription_id="…"`), or every subscription an aggregated condition watches
      // (`subscription_id=one_of(…)`, grouped by it: each compared with the threshold on its own).
      const one = /resource\.labels\.subscription_id="([^"]+)"/.exec(t.filter ?? "")?.[1];
      const list = /resource\.labels\.subscription_id=one_of\(([^)]*)\)/.exec(t.filter ?? "")?.[1];
      const names = one ? [one] : [...(list ?? "").matchAll(/"([^"]*)"/g)].map((m) => m[1]);
      for (const sub of [...pubsub.subscriptions.values()].filter((s) => names.includes(s.name))) {
        let value: number | undefined;
        if (metric.endsWith("num_undelivered_messages")) value = sub.backlog.length;
        if (metric.endsWith("dead_letter_message_count")) value = sub.deadLettered;
        if (metric.endsWith("oldest_unacked_message_age")) value = sub.backlog.length ? Math.floor((now - Math.min(...sub.backlog.map((m) => Date.parse(m.publishTime)))) / 1000) : 0;
        if (value === undefined) continue;
        const threshold = Number(t.threshold_value ?? 0);
        const gt = t.comparison === "COMPARISON_GT";
        const ge = t.comparison === "COMPARISON_GE";
        if (!gt && !ge) continue;
        // An aggregated condition lives in the shared tier: the alarm is the watched subscription's component's.
        out.push({ address, component: componentKeyOf(address) ?? componentKeyOf(sub.address) ?? address, metric, value, condition: `${gt ? ">" : ">="} ${threshold}`, firing: gt ? value > threshold : value >= threshold });
      }
    }
  }
  return out;
}
