/**
 * The parts of `terraform show -json <planfile>` the plan tools read (format_version 1.x).
 * https://developer.hashicorp.com/terraform/internals/json-format#plan-representation
 */
export type PlanAction = "no-op" | "create" | "read" | "update" | "delete" | "forget";

export interface ResourceChange {
  readonly address: string;
  readonly module_address?: string;
  readonly mode: "managed" | "data";
  readonly type: string;
  readonly name: string;
  readonly index?: string | number;
  readonly provider_name?: string;
  readonly action_reason?: string;
  readonly change: OutputChange & {
    /** Attribute paths that force a replacement. */
    readonly replace_paths?: ReadonlyArray<ReadonlyArray<string | number>>;
    readonly importing?: { readonly id?: string; readonly identity?: unknown };
  };
  /** Set on the change of a deposed object (left over by a failed create-before-destroy). */
  readonly deposed?: string;
}

/** One planned change: of an output, and the common part of a resource's change. */
export interface OutputChange {
  readonly actions: readonly PlanAction[];
  readonly before?: unknown;
  readonly after?: unknown;
  readonly after_unknown?: unknown;
  readonly before_sensitive?: unknown;
  readonly after_sensitive?: unknown;
}

export interface TerraformPlan {
  readonly format_version: string;
  readonly terraform_version?: string;
  readonly resource_changes?: readonly ResourceChange[];
  /** Changes made outside Terraform, found while refreshing. */
  readonly resource_drift?: readonly ResourceChange[];
  readonly output_changes?: Readonly<Record<string, OutputChange>>;
  /** Redacted plans: names the PLAN_REVIEW_KEY the sensitive values were hashed with (never the key). */
  readonly review_key_id?: string;
  readonly errored?: boolean;
  readonly [key: string]: unknown;
}

export type ChangeKind = "create" | "update" | "delete" | "replace" | "forget" | "import";

/** The one kind a resource change counts as: delete+create in either order is a replace. */
export function changeKind(rc: ResourceChange): ChangeKind | undefined {
  const a = rc.change.actions;
  if (rc.mode !== "managed") return undefined;
  if (a.includes("delete") && a.includes("create")) return "replace";
  if (a.includes("delete")) return "delete";
  if (a.includes("create")) return "create";
  if (a.includes("update")) return "update";
  if (a.includes("forget")) return "forget";
  if (rc.change.importing) return "import";
  return undefined;
}

/** Reads and sanity-checks plan JSON, with an error that names the file. */
export function parsePlan(text: string, source: string): TerraformPlan {
  let plan: TerraformPlan;
  try {
    plan = JSON.parse(text) as TerraformPlan;
  } catch (e) {
    throw new Error(`${source}: not JSON (${(e as Error).message}); pass the output of \`terraform show -json <planfile>\``);
  }
  if (typeof plan !== "object" || plan === null || typeof plan.format_version !== "string") {
    throw new Error(`${source}: no format_version; pass the output of \`terraform show -json <planfile>\`, not the configuration`);
  }
  if (!/^1\./.test(plan.format_version)) throw new Error(`${source}: plan format_version ${plan.format_version} is not supported (1.x expected)`);
  return plan;
}
