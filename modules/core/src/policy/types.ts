import { Cloud } from "../environment";
import { TerraformJson } from "../capabilities";

export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One synthesized stack as the rules see it. */
export interface PolicyStack {
  /** Stack name, `<env>-<cloud>`. */
  readonly name: string;
  readonly cloud: Cloud;
  readonly environment: string;
  readonly json: TerraformJson;
  /** The environment's log retention; retention below it is a finding. */
  readonly minLogDays?: number;
}

/** What a rule reports: the resource address (`type.name`, or `provider.x` / `terraform.backend`) and why. */
export interface Violation {
  readonly address: string;
  readonly message: string;
}

export interface PolicyRule {
  /** Stable id, `PC###`. */
  readonly id: string;
  readonly severity: Severity;
  readonly title: string;
  readonly rationale: string;
  /**
   * Checkov checks with the same intent, each looked up in the bridgecrewio/checkov sources
   * (id, name and supported resources). Empty where no checkov check covers these resources.
   */
  readonly checkov: readonly string[];
  readonly fix: string;
  /** Clouds where the rule cannot apply, with the reason. */
  readonly notApplicable?: Partial<Record<Cloud, string>>;
  check(stack: PolicyStack): Violation[];
}

export interface Finding extends Violation {
  readonly rule: string;
  readonly severity: Severity;
  readonly stack: string;
  /** Set when a suppression matched; suppressed findings are reported but never fail a run. */
  readonly suppressed?: string;
}

/** Explicit, scoped to one resource in one stack, with a written justification. */
export interface Suppression {
  readonly rule: string;
  readonly stack: string;
  readonly address: string;
  readonly justification: string;
}
