import { Cloud } from "../environment";
import { TerraformJson } from "../capabilities";

export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The environment's retention, in days (`EnvironmentConfig.retention`). */
export interface PolicyRetention {
  readonly logDays: number;
  readonly archiveDays: number;
  readonly backupDays: number;
}

/** One synthesized stack as the rules see it. */
export interface PolicyStack {
  /** Stack name, `<env>-<cloud>` (or `<env>-<cloud>-<service>` with service partitioning). */
  readonly name: string;
  readonly cloud: Cloud;
  readonly environment: string;
  readonly json: TerraformJson;
  /** The environment's log retention; retention below it is a finding. */
  readonly minLogDays?: number;
  /** The environment's retention; expiry and backup settings shorter than it are findings (PC061). */
  readonly retention?: PolicyRetention;
}

/** The condition every rule has implicitly: a value the rule could not read. */
export const CANNOT_EVALUATE = "cannot-evaluate";

/**
 * What a rule reports: the resource address (`type.name`, `data.type.name`, or `provider.x` /
 * `terraform.backend`), the condition it found and why.
 */
export interface Violation {
  readonly address: string;
  /**
   * The rule's condition this finding is for: a key of the rule's `conditions`, or
   * `cannot-evaluate` for a note. A suppression accepts one condition, never a whole rule.
   */
  readonly condition: string;
  readonly message: string;
  /**
   * Set on a "cannot evaluate" note: the attribute whose value the rule could not read (an
   * expression, a reference, a block given as a string). Notes are reported but never fail a run
   * unless the caller asks (`--fail-on-unevaluated`), and never replace other findings.
   */
  readonly unevaluated?: string;
}

/** One thing a rule can find wrong. Its id is `<rule>.<key>` (`PC006.local-auth`). */
export interface PolicyCondition {
  /** What is wrong, in a few words. */
  readonly title: string;
  /**
   * Scanner checks that flag the same resources for the same reason: checkov ids (`CKV_AWS_24`,
   * `CKV2_AZURE_26`) and trivy ids (`AVD-AWS-0107`), each read in the scanner's sources. A
   * finding carries those whose resource types (`SCANNER_CHECKS`) include the finding's type. A
   * check is cited by one condition only.
   */
  readonly checks?: readonly string[];
  /** Where this condition deliberately differs from a check it cites (shown in docs/policy.md). */
  readonly differs?: string;
}

export interface PolicyRule {
  /** Stable id, `PC###`. */
  readonly id: string;
  readonly severity: Severity;
  readonly title: string;
  readonly rationale: string;
  /** Everything the rule can find, by key (`local-auth`); findings name one of these. */
  readonly conditions: Readonly<Record<string, PolicyCondition>>;
  readonly fix: string;
  /** Clouds where the rule cannot apply, with the reason. */
  readonly notApplicable?: Partial<Record<Cloud, string>>;
  /**
   * Resource types the rule reads, each with the attribute paths (dot-separated; lists are
   * walked element by element) whose literal value it needs. The engine turns an expression or a
   * wrongly shaped value on one of those paths into a "cannot evaluate" note, and the coverage
   * test derives the set of types with a rule from the keys. Data sources are keyed `data.<type>`.
   */
  readonly reads: Readonly<Record<string, readonly string[]>>;
  check(stack: PolicyStack): Violation[];
}

export interface Finding extends Violation {
  readonly rule: string;
  /** In a finding, the condition's full id: `<rule>.<key>` (`PC006.local-auth`). */
  readonly condition: string;
  readonly severity: Severity;
  readonly stack: string;
  /**
   * The resource's logical target: its construct path without the stack and without cdktf's
   * hash suffix (`orders/servicebus`), or the address when the JSON carries no construct path
   * (Terraform a team converted from HCL).
   */
  readonly target: string;
  /** Scanner checks this finding corresponds to (its condition's checks for this resource type). */
  readonly checks: readonly string[];
  /** Set when a suppression matched; suppressed findings are reported but never fail a run. */
  readonly suppressed?: string;
  /** A "cannot evaluate" note rather than a finding. */
  readonly note?: true;
}

/**
 * Explicit acceptance of one condition on one logical target in named environments × clouds, with
 * a written justification. A finding for another condition on the same resource is not suppressed.
 */
export interface Suppression {
  /** The accepted condition, `<rule>.<key>` (`PC006.public-network`). */
  readonly condition: string;
  /**
   * The logical target (`orders/servicebus`, `foundation/vault`): the construct path without the
   * stack and the hash suffix; `*` matches within one path segment (`*` / `servicebus` for every
   * service's namespace). For Terraform without construct paths, the resource address.
   */
  readonly target: string;
  /** Where it applies: `<environment>-<cloud>` (`dev-azure`) or a stack name; `*` matches any run of characters. */
  readonly stacks: readonly string[];
  readonly justification: string;
}
