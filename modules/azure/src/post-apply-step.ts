import { TerraformMetaArguments, TerraformResource, anyToTerraform, hashMapper } from "cdktf";
import { Construct } from "constructs";

export interface PostApplyStepConfig extends TerraformMetaArguments {
  /** Stored in state; the step's provisioners run when the resource is created or replaced. */
  readonly input?: Record<string, unknown>;
  /** A change to any value replaces the resource, so its provisioners run again (`triggers_replace`). */
  readonly triggersReplace?: Record<string, string>;
}

/**
 * Terraform's built-in `terraform_data` resource, as a host for a provisioner that runs after
 * apply. cdktf's own `DataResource` adds a validation that runs `terraform version` at synth time:
 * a synth on a machine without Terraform then fails, and every synth spends a process start on it.
 * This class emits the same JSON without that validation (`terraform_data` needs Terraform >= 1.4,
 * which the pipelines and the offline tests use).
 */
export class PostApplyStep extends TerraformResource {
  private readonly input?: Record<string, unknown>;
  private readonly triggersReplace?: Record<string, string>;

  constructor(scope: Construct, id: string, config: PostApplyStepConfig = {}) {
    super(scope, id, {
      terraformResourceType: "terraform_data",
      terraformGeneratorMetadata: { providerName: "terraform" },
      provider: config.provider,
      dependsOn: config.dependsOn,
      count: config.count,
      lifecycle: config.lifecycle,
      provisioners: config.provisioners,
      connection: config.connection,
      forEach: config.forEach,
    });
    this.input = config.input;
    this.triggersReplace = config.triggersReplace;
  }

  get id(): string {
    return this.getStringAttribute("id");
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return { input: hashMapper(anyToTerraform)(this.input), triggers_replace: hashMapper(anyToTerraform)(this.triggersReplace) };
  }
}
