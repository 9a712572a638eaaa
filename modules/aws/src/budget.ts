import { Construct } from "constructs";
import { BudgetSpec, NAME_RULES } from "@polycloud/core";
import { BudgetsBudget } from "@cdktf/provider-aws/lib/budgets-budget";
import { AwsContext } from "./context";

export interface AwsBudgetProps {
  readonly context: AwsContext;
  readonly spec: BudgetSpec;
}

/**
 * Monthly cost budget filtered to the environment tag, with actual and forecast notifications to
 * e-mail and the alarm topic (whose policy admits budgets.amazonaws.com). The `environment` tag must
 * be activated as a cost-allocation tag in the payer account before the filter matches (about 24 h).
 */
export class AwsBudget extends Construct {
  readonly budget: BudgetsBudget;

  constructor(scope: Construct, id: string, props: AwsBudgetProps) {
    super(scope, id);
    const { context: ctx, spec } = props;
    const notify = (type: "ACTUAL" | "FORECASTED", threshold: number) => ({
      comparisonOperator: "GREATER_THAN",
      threshold,
      thresholdType: "PERCENTAGE",
      notificationType: type,
      subscriberEmailAddresses: [...(spec.recipients ?? [])],
      subscriberSnsTopicArns: [ctx.alarmTopic.arn],
    });
    this.budget = new BudgetsBudget(this, "budget", {
      name: ctx.namer.name(NAME_RULES.aws.budget, "monthly"),
      budgetType: "COST",
      limitAmount: String(spec.monthlyAmount),
      limitUnit: spec.currency ?? "USD",
      timeUnit: "MONTHLY",
      costFilter: [{ name: "TagKeyValue", values: [`user:environment$${ctx.tags.environment}`] }],
      notification: [
        ...(spec.actualThresholdsPercent ?? []).map((t) => notify("ACTUAL", t)),
        ...(spec.forecastThresholdsPercent ?? []).map((t) => notify("FORECASTED", t)),
      ],
    });
  }
}
