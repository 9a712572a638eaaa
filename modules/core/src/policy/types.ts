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
  /**
   * Set on a "cannot evaluate" note: the attribute whose value the rule could not read (an
   * expression, a reference, a block given as a string). Notes are reported but never fail a run
   * unless the caller asks (`--fail-on-unevaluated`), and never replace other findings.
   */
  readonly unevaluated?: string;
  /** The cited checkov check this finding corresponds to (same resource, same reason), if any. */
  readonly checkov?: string;
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
  /**
   * Resource types the rule reads, each with the attribute paths (dot-separated; lists are
   * walked element by element) whose literal value it needs. The engine turns an expression or a
   * wrongly shaped value on one of those paths into a "cannot evaluate" note, and the coverage
   * test derives the set of types with a rule from the keys.
   */
  readonly reads: Readonly<Record<string, readonly string[]>>;
  /** Where this rule deliberately differs from a cited checkov check (shown in the README). */
  readonly differsFromCheckov?: string;
  check(stack: PolicyStack): Violation[];
}

export interface Finding extends Violation {
  readonly rule: string;
  readonly severity: Severity;
  readonly stack: string;
  /** Set when a suppression matched; suppressed findings are reported but never fail a run. */
  readonly suppressed?: string;
  /** A "cannot evaluate" note rather than a finding. */
  readonly note?: true;
}

/** Explicit, scoped to one resource in one stack, with a written justification. */
export interface Suppression {
  readonly rule: string;
  readonly stack: string;
  readonly address: string;
  readonly justification: string;
}
