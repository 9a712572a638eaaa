import { Construct } from "constructs";
import { BudgetSpec } from "@polycloud/core";
import { ConsumptionBudgetResourceGroup } from "@cdktf/provider-azurerm/lib/consumption-budget-resource-group";
import { AzureContext } from "./context";

export interface AzureBudgetProps {
  readonly context: AzureContext;
  readonly spec: BudgetSpec;
  readonly serviceName: string;
}

/**
 * A monthly consumption budget on the resource group with actual and forecast notifications to
 * the action group and the budget recipients. The start date comes from the environment and is
 * never computed from the clock: the same commit synthesizes the same JSON in any month.
 */
export class AzureBudget extends Construct {
  readonly budget: ConsumptionBudgetResourceGroup;

  constructor(scope: Construct, id: string, props: AzureBudgetProps) {
    super(scope, id);
    const { context: ctx, spec } = props;
    const notification = (thresholdType: "Actual" | "Forecasted") => (threshold: number) => ({
      enabled: true, threshold, operator: "GreaterThan", thresholdType,
      contactEmails: [...spec.recipients], contactGroups: [ctx.actionGroup.id],
    });
    this.budget = new ConsumptionBudgetResourceGroup(this, "budget", {
      name: `${props.serviceName}-${ctx.env.name}-monthly`,
      resourceGroupId: ctx.resourceGroup.id,
      amount: spec.monthlyAmount,
      timeGrain: "Monthly",
      timePeriod: { startDate: `${ctx.spec.budgetStartDate}T00:00:00Z` },
      notification: [
        ...spec.actualThresholdsPercent.map(notification("Actual")),
        ...spec.forecastThresholdsPercent.map(notification("Forecasted")),
      ],
    });
  }
}
