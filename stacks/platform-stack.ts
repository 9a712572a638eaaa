import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { CLOUDS, Cloud, EnvironmentConfig, PlatformService, ServiceSpec, TagMap, buildTags } from "@polycloud/core";
import { AwsBudget, AwsFoundation, AwsService, AwsServiceProps } from "@polycloud/aws";
import { GcpBudget, GcpFoundation, GcpService } from "@polycloud/gcp";
import { AzureBudget, AzureFoundation, AzureService } from "@polycloud/azure";

export interface PlatformStackProps {
  readonly env: EnvironmentConfig;
  readonly cloud: Cloud;
  readonly service: ServiceSpec;
  /** AWS-only options passed to AwsService. */
  readonly aws?: AwsServiceProps["aws"];
}

/**
 * One environment × cloud: foundation (provider, backend, tags, alarm channel, network), the
 * rendered service, and the budget. Each stack has its own state, so no plan spans clouds.
 */
export class PlatformStack extends TerraformStack {
  readonly tags: TagMap;
  readonly service?: PlatformService;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id);
    const { env, service } = props;
    this.tags = buildTags({ ...env.tags, environment: env.name, service: service.name });

    switch (props.cloud) {
      case "aws": {
        const foundation = new AwsFoundation(this, "foundation", { env, serviceName: service.name, tags: this.tags });
        this.service = new AwsService(this, service.name, { context: foundation.context, service, aws: props.aws });
        if (env.budget) new AwsBudget(this, "budget", { context: foundation.context, spec: env.budget });
        break;
      }
      case "gcp": {
        const foundation = new GcpFoundation(this, "foundation", { env, serviceName: service.name, tags: this.tags });
        this.service = new GcpService(this, service.name, { context: foundation.context, service });
        if (env.budget) new GcpBudget(this, "budget", { context: foundation.context, spec: env.budget, serviceName: service.name });
        break;
      }
      case "azure": {
        const foundation = new AzureFoundation(this, "foundation", { env, serviceName: service.name, tags: this.tags });
        this.service = new AzureService(this, service.name, { context: foundation.context, service });
        if (env.budget) new AzureBudget(this, "budget", { context: foundation.context, spec: env.budget, serviceName: service.name });
        break;
      }
      default:
        this.node.addValidation({
          validate: () => [
            (CLOUDS as readonly string[]).includes(props.cloud)
              ? `PlatformStack: property 'cloud' has value "${props.cloud}"; allowed: a cloud with an implementation in this release (aws, gcp, azure)`
              : `PlatformStack: property 'cloud' has value "${props.cloud}"; allowed: one of ${CLOUDS.join(", ")} (unknown cloud)`,
          ],
        });
    }
  }
}
