import { Construct } from "constructs";
import { BudgetSpec, unitsAndNanos } from "@polycloud/core";
import { BillingBudget } from "@cdktf/provider-google/lib/billing-budget";
import { GcpContext } from "./context";

export interface GcpBudgetProps {
  readonly context: GcpContext;
  readonly spec: BudgetSpec;
  readonly serviceName: string;
}

/** Budgets notify at most five monitoring channels. */
export const MAX_BUDGET_CHANNELS = 5;

/**
 * A Cloud Billing budget on the environment's project and the service's label, with current
 * and forecasted spend thresholds, notifying the budget recipients' monitoring channels.
 * The budget itself cannot carry labels; it can only filter by them.
 */
export class GcpBudget extends Construct {
  readonly budget: BillingBudget;

  constructor(scope: Construct, id: string, props: GcpBudgetProps) {
    super(scope, id);
    const { context: ctx, spec } = props;
    const [api] = ctx.services.enable("billingbudgets.googleapis.com");
    // Cloud Billing takes whole units plus nanos; a split budget can have cents.
    const { units, nanos } = unitsAndNanos(spec.monthlyAmount);
    const channels = spec.recipients.map((r) => ctx.channels[r]?.id).filter(Boolean).slice(0, MAX_BUDGET_CHANNELS);
    this.budget = new BillingBudget(this, "budget", {
      billingAccount: ctx.spec.billingAccount,
      displayName: `${props.serviceName}-${ctx.env.name} monthly`,
      amount: { specifiedAmount: { currencyCode: spec.currency ?? "USD", units, ...(nanos ? { nanos } : {}) } },
      budgetFilter: {
        projects: [`projects/${ctx.project.number}`],
        calendarPeriod: "MONTH",
        creditTypesTreatment: "INCLUDE_ALL_CREDITS",
      },
      thresholdRules: [
        ...spec.actualThresholdsPercent.map((p) => ({ thresholdPercent: p / 100, spendBasis: "CURRENT_SPEND" })),
        ...spec.forecastThresholdsPercent.map((p) => ({ thresholdPercent: p / 100, spendBasis: "FORECASTED_SPEND" })),
      ],
      allUpdatesRule: { monitoringNotificationChannels: channels, disableDefaultIamRecipients: true, schemaVersion: "1.0" },
      dependsOn: [api],
    });
  }
}
