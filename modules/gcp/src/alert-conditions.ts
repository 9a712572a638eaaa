import { Construct } from "constructs";
import { Lazy } from "cdktf";
import { AlarmInfo, AlarmSignal, COUNT_SIGNALS } from "@polycloud/core";
import { MonitoringAlertPolicy } from "@cdktf/provider-google/lib/monitoring-alert-policy";
import type { GcpContext } from "./context";

/** One watched resource of an aggregated condition. */
export interface AlertWatch {
  readonly signal: AlarmSignal;
  /**
   * The condition's id in the stack: what is measured, never a service or resource name (e.g.
   * `function-errors`). Conditions are keyed by this id and the threshold: a watch with another
   * threshold gets a condition of its own (`<id>-<threshold>`).
   */
  readonly id: string;
  /** Display name of the condition (the incident names the resource through `group_by_fields`). */
  readonly title: string;
  /** `metric.type="…" AND resource.type="…"` and metric label clauses, without the resource's name. */
  readonly filter: string;
  /** The monitored resource's label that names the resource (e.g. `service_name`, `subscription_id`). */
  readonly nameLabel: string;
  /** The resource's name as the label carries it (may hold a Terraform reference). */
  readonly resourceName: string;
  readonly threshold: number;
  /** @default ALIGN_SUM */
  readonly aligner?: string;
  /** @default REDUCE_SUM for ALIGN_SUM, REDUCE_MAX otherwise */
  readonly reducer?: string;
  /** Alignment period. @default 300 */
  readonly periodSeconds?: number;
  /** What the threshold means, for the documentation (`${resource.label.<nameLabel>}` names the resource). */
  readonly documentation: string;
  /** The AlarmInfo name (the resource's own alarm name, as before aggregation). */
  readonly name: string;
}

interface Condition {
  readonly watch: AlertWatch;
  readonly names: Set<string>;
  /** Names one condition may list (its filter stays within FILTER_MAX_CHARS). */
  readonly perCondition: number;
  /** Conditions rendered so far (`<key>`, `<key>-2`, …): one more each time the names outgrow them. */
  parts: number;
}

/**
 * A threshold condition's filter is kept to at most 2,048 characters (the Monitoring filter limit
 * this code assumes, conservatively): the longest name a label can carry (63 for Cloud Run
 * services, subscriptions and URL maps as named here; `<project>:<instance>` for Cloud SQL)
 * decides how many names one condition lists. More names open another condition with the next
 * part of the sorted names: the count decides how many parts exist, never the order of services.
 */
export const FILTER_MAX_CHARS = 2048;

/**
 * Monitoring alert conditions aggregated per measurement and threshold: Cloud Monitoring bills
 * each condition ($1.50 a month, docs/cost.md), not each resource it watches. One condition
 * watches every resource of the stack that registered the same measurement with the same
 * threshold, filtered to exactly those resources (`resource.labels.<label>=one_of(…)`), and
 * groups by the resource's name label, so each resource's series is compared with the threshold
 * on its own (the same semantics as a condition per resource) and the incident names the
 * resource. Rule: one condition per (measurement, threshold); a resource with another threshold
 * (a function's p99 latency is a share of its own timeout) joins or opens the condition of that
 * threshold. Ids never name a service: adding, removing or reordering services only changes a
 * condition's filter, in place.
 */
export class GcpAlertConditions extends Construct {
  private readonly conditions = new Map<string, Condition>();

  constructor(scope: Construct, id: string, private readonly ctx: Pick<GcpContext, "alarmChannelIds" | "labels" | "services">) {
    super(scope, id);
  }

  /** Adds one resource to the condition of its measurement and threshold (creating the condition the first time). */
  watch(w: AlertWatch): AlarmInfo {
    const thresholdValue = conditionThreshold(w.signal, w.threshold);
    const key = `${w.id}-${String(thresholdValue).replace(/[^0-9a-z]/gi, "_")}`;
    const existing = this.conditions.get(key);
    if (existing) {
      // Whatever the condition shows must be the same for every resource it watches (else it would depend on which registered first).
      const same = ["filter", "nameLabel", "aligner", "reducer", "periodSeconds", "title", "documentation"] as const;
      const differs = same.filter((k) => existing.watch[k] !== w[k]);
      if (differs.length) throw new Error(`GcpAlertConditions: condition ${key} registered twice with different ${differs.join(", ")}`);
      existing.names.add(w.resourceName);
      if (existing.names.size > existing.parts * existing.perCondition) this.render(key, existing, thresholdValue, ++existing.parts);
    } else {
      const longest = w.nameLabel === "database_id" ? w.resourceName.indexOf(":") + 1 + 98 : 63;
      const base = `${w.filter} AND resource.labels.${w.nameLabel}=one_of()`.length;
      const condition: Condition = { watch: w, names: new Set([w.resourceName]), perCondition: Math.max(1, Math.floor((FILTER_MAX_CHARS - base) / (longest + 3))), parts: 1 };
      this.conditions.set(key, condition);
      this.render(key, condition, thresholdValue, 1);
    }
    return { name: w.name, signal: w.signal, threshold: w.threshold };
  }

  private render(key: string, condition: Condition, thresholdValue: number, part: number): void {
    const { watch: w, names, perCondition } = condition;
    // Sorted, so the order services are added in never changes a filter; part n lists the n-th slice.
    const listed = () => [...names].sort().slice((part - 1) * perCondition, part * perCondition);
    const aligner = w.aligner ?? "ALIGN_SUM";
    const gauge = w.signal.endsWith("dlqDepth") && aligner === "ALIGN_MAX";
    new MonitoringAlertPolicy(this, part === 1 ? key : `${key}-${part}`, {
      displayName: `${w.title} (> ${thresholdValue})`,
      combiner: "OR",
      severity: w.signal.endsWith("dlqDepth") || w.signal === "bus.sentToDlq" ? "ERROR" : "WARNING",
      conditions: [{
        displayName: `${w.title} (> ${thresholdValue})`,
        conditionThreshold: {
          filter: Lazy.stringValue({ produce: () => `${w.filter} AND resource.labels.${w.nameLabel}=one_of(${listed().map((n) => `"${n}"`).join(",")})` }),
          // Monitoring offers only COMPARISON_GT for an upper bound. The other clouds fire at
          // "≥ N" (N at least 1) for counts, so a count alarm fires above N − 1.
          comparison: "COMPARISON_GT",
          thresholdValue,
          duration: "0s",
          aggregations: [{
            alignmentPeriod: `${w.periodSeconds ?? 300}s`,
            perSeriesAligner: aligner,
            // Summed (or maxed) over each resource's series (e.g. 500 and 503 add up), one series per resource.
            crossSeriesReducer: w.reducer ?? (aligner === "ALIGN_SUM" ? "REDUCE_SUM" : "REDUCE_MAX"),
            groupByFields: [`resource.label.${w.nameLabel}`],
          }],
          trigger: { count: 1 },
          // As CloudWatch's treat_missing_data: counts and rates clear when no data arrives; a DLQ
          // depth (a gauge aligned by its maximum) keeps its state, so dead letters that stop being reported are not forgotten.
          evaluationMissingData: gauge ? "EVALUATION_MISSING_DATA_NO_OP" : "EVALUATION_MISSING_DATA_INACTIVE",
        },
      }],
      notificationChannels: [...this.ctx.alarmChannelIds],
      alertStrategy: { autoClose: "86400s" },
      documentation: { content: w.documentation, mimeType: "text/markdown" },
      userLabels: { ...this.ctx.labels },
      dependsOn: this.ctx.services.enable("monitoring.googleapis.com"),
    });
  }
}

/** The value a condition compares with: a count alarm fires at ≥ N elsewhere, so above N − 1 here. */
export function conditionThreshold(signal: AlarmSignal, threshold: number): number {
  return COUNT_SIGNALS.has(signal) ? Math.max(1, threshold) - 1 : threshold;
}

/**
 * The documentation variable that names the resource of an incident (`${resource.label.<label>}`),
 * escaped for Terraform (`$${…}`), which would otherwise read it as an interpolation.
 */
export function resourceVariable(label: string): string {
  return "$${resource.label." + label + "}";
}
