import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import {
  CLOUDS, Cloud, EnvironmentConfig, cloudBudget, Namer, PlatformService, ServiceSpec, TagMap, buildTags, validateEnvironment,
} from "@polycloud/core";
import { AwsBudget, AwsContext, AwsFoundation, AwsService, AwsServiceProps, configureAwsStack } from "@polycloud/aws";
import { GcpBudget, GcpContext, GcpFoundation, GcpProjectServices, GcpService, configureGcpStack } from "@polycloud/gcp";
import { AzureBudget, AzureContext, AzureFoundation, AzureService, configureAzureStack } from "@polycloud/azure";

export interface PlatformStackProps {
  readonly env: EnvironmentConfig;
  readonly cloud: Cloud;
  /** The one service of this stack (the usual case). */
  readonly service?: ServiceSpec;
  /** Several services on one foundation; an empty list renders the foundation alone. */
  readonly services?: readonly ServiceSpec[];
  /**
   * Partitioned environments: render the services on this other stack's foundation. The stack
   * gets its own provider and state; foundation outputs arrive as cross-stack references.
   */
  readonly foundation?: PlatformStack;
  /** AWS-only options passed to AwsService. */
  readonly aws?: AwsServiceProps["aws"];
}

type AnyContext = AwsContext | GcpContext | AzureContext;

/**
 * One environment × cloud (or, partitioned, its shared foundation or one service): provider,
 * backend, tags, alarm channel, network, the rendered services and the budget. Each stack has its
 * own state, so no plan spans clouds.
 */
export class PlatformStack extends TerraformStack {
  readonly cloud: Cloud;
  readonly tags: TagMap;
  readonly services: PlatformService[] = [];
  /** The foundation context services render on (set on foundation-owning stacks). */
  context?: AnyContext;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id);
    const { env } = props;
    this.cloud = props.cloud;
    const services = props.services ?? (props.service ? [props.service] : []);
    // Stacks that serve several services (or none) carry `service=shared`.
    const single = services.length === 1 && (props.foundation !== undefined || props.services === undefined);
    const stateName = single ? services[0].name : "shared";
    this.tags = buildTags({ ...env.tags, environment: env.name, service: stateName });
    if (services.length === 0) this.node.addValidation({ validate: () => validateEnvironment(env).messages() });

    const base = props.foundation?.context;
    const per = <C extends AnyContext>(ctx: C, svc: ServiceSpec): C => ({ ...ctx, namer: new Namer(svc.name, env.name) });
    switch (props.cloud) {
      case "aws": {
        let ctx = base as AwsContext | undefined;
        if (ctx) configureAwsStack(this, env, this.tags, stateName);
        else {
          ctx = this.context = new AwsFoundation(this, "foundation", { env, serviceName: stateName, tags: this.tags }).context;
          if (env.budget) new AwsBudget(this, "budget", { context: ctx, spec: cloudBudget(env, "aws") });
        }
        for (const svc of services) this.services.push(new AwsService(this, svc.name, { context: per(ctx, svc), service: svc, aws: props.aws }));
        break;
      }
      case "gcp": {
        let ctx = base as GcpContext | undefined;
        if (ctx) {
          configureGcpStack(this, env, this.tags, stateName);
          // API enablement is per state: each stack enables what it uses (never disabled on destroy).
          ctx = { ...ctx, services: new GcpProjectServices(this, "apis", ctx.projectId) };
        } else {
          ctx = this.context = new GcpFoundation(this, "foundation", { env, serviceName: stateName, tags: this.tags, shared: !single }).context;
          if (env.budget) new GcpBudget(this, "budget", { context: ctx, spec: cloudBudget(env, "gcp"), serviceName: stateName });
        }
        for (const svc of services) this.services.push(new GcpService(this, svc.name, { context: per(ctx, svc), service: svc }));
        break;
      }
      case "azure": {
        let ctx = base as AzureContext | undefined;
        if (ctx) configureAzureStack(this, env, this.tags, stateName);
        else {
          ctx = this.context = new AzureFoundation(this, "foundation", { env, serviceName: stateName, tags: this.tags }).context;
          if (env.budget) new AzureBudget(this, "budget", { context: ctx, spec: cloudBudget(env, "azure"), serviceName: stateName });
        }
        for (const svc of services) this.services.push(new AzureService(this, svc.name, { context: per(ctx, svc), service: svc }));
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

  /** The first (usually only) service. */
  get service(): PlatformService | undefined {
    return this.services[0];
  }
}
