import { Annotations, Aspects } from "cdktf";
import { Construct } from "constructs";
import {
  CLOUDS, Cloud, EnvironmentConfig, NameRule, collectPackagingFailures, packagingProblem, Namer, cloudBudget, platformName, PlatformService, ServiceSpec, TagMap, buildTags, deviationWarnings, normaliseTagValue, sharedDatabaseServer, validateEnvironment,
} from "@polycloud/core";
import type { AwsContext, AwsServiceProps } from "@polycloud/aws";
import type { GcpContext } from "@polycloud/gcp";
import type { AzureContext } from "@polycloud/azure";
import { CloudPackageProblem, CloudPackages, cloudPackage } from "./cloud-packages";
import { ServiceTagAspect } from "./service-tag";
import { FastTerraformStack } from "./synth-passes";

export interface PlatformStackProps {
  readonly env: EnvironmentConfig;
  readonly cloud: Cloud;
  /** The one service of this stack (the usual case). */
  readonly service?: ServiceSpec;
  /** Several services on one foundation; an empty list renders the foundation alone. */
  readonly services?: readonly ServiceSpec[];
  /**
   * Every service of this environment × cloud in the composition, rendered here or not: what the
   * shared tier (one database server, ...) is built for. A foundation stack's content depends on
   * the composition only, never on which service stacks a run builds. @default the services rendered here
   */
  readonly tierServices?: readonly ServiceSpec[];
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
export class PlatformStack extends FastTerraformStack {
  readonly cloud: Cloud;
  /** The environment this stack belongs to (warnings are grouped per environment). */
  readonly env: EnvironmentConfig;
  readonly tags: TagMap;
  readonly services: PlatformService[] = [];
  /** The foundation context services render on (set on foundation-owning stacks). */
  context?: AnyContext;
  /** The services this stack renders, by name (empty for a partitioned environment's shared stack). */
  readonly serviceNames: readonly string[];

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id);
    const { env } = props;
    this.cloud = props.cloud;
    this.env = env;
    const services = props.services ?? (props.service ? [props.service] : []);
    this.serviceNames = services.map((s) => s.name);
    // Shared resources and the state of a stack holding the foundation take their name from the
    // environment's platform name, never from a service: adding, removing or reordering services
    // renames nothing. A partitioned service stack is named and tagged after its service.
    const platform = platformName(env);
    const serviceStack = props.foundation !== undefined && services.length === 1;
    const stateName = serviceStack ? services[0].name : platform;
    this.tags = buildTags({ ...env.tags, environment: env.name, service: stateName });
    if (services.length === 0) this.node.addValidation({ validate: () => validateEnvironment(env).messages() });
    this.node.addValidation({
      // Partitioned, the shared stack's state is keyed by the platform name and each service stack's by its service.
      validate: () => env.partitioning !== "service" ? [] : services.filter((s) => s.name === platform)
        .map((s) => `environments/${env.name}: property 'platform' has value "${platform}"; allowed: a name no service uses with partitioning "service" (service "${s.name}" would share the shared stack's state)`),
    });

    const base = props.foundation?.context;
    // The shared tier serves every service of the composition on this cloud (sorted inside, so order never matters).
    const sharedDatabase = base ? undefined : sharedDatabaseServer(props.tierServices ?? services);
    // Each service names its resources after itself and labels them `service=<name>`.
    const per = <C extends AnyContext>(ctx: C, svc: ServiceSpec): C => {
      const own = (m: TagMap) => ({ ...m, service: normaliseTagValue(svc.name) });
      const namer = new Namer(svc.name, env.name);
      if ("labels" in ctx) return { ...ctx, namer, labels: own(ctx.labels) };
      // Azure's globally unique names carry the subscription suffix: rebuild them on the service's namer too.
      const global = "globalName" in ctx
        ? { globalName: (rule: NameRule, ...parts: string[]) => (cloudPackage("azure") as CloudPackages["azure"]).globalName(namer, (ctx as AzureContext).spec.subscriptionId, rule, ...parts) } : {};
      return { ...ctx, namer, ...global, tags: own(ctx.tags) };
    };
    // The cloud's package is loaded here, when an environment enables the cloud (cloud-packages.ts).
    const pkg = (CLOUDS as readonly string[]).includes(props.cloud) ? cloudPackage(props.cloud) : undefined;
    if (pkg instanceof CloudPackageProblem) {
      this.node.addValidation({ validate: () => [`environments/${env.name}: property 'clouds.${props.cloud}' is set, but ${pkg.message}`] });
      return;
    }
    switch (props.cloud) {
      case "aws": {
        const { AwsBudget, AwsFoundation, AwsService, AwsSharedTier, configureAwsStack } = pkg as CloudPackages["aws"];
        let ctx = base as AwsContext | undefined;
        if (ctx) configureAwsStack(this, env, this.tags, stateName);
        else {
          ctx = this.context = new AwsFoundation(this, "foundation", { env, serviceName: platform, tags: this.tags }).context;
          if (env.budget) new AwsBudget(this, "budget", { context: ctx, spec: cloudBudget(env, "aws") });
          const tier = new AwsSharedTier(this, "shared-tier", { context: ctx, database: sharedDatabase });
          ctx = this.context = { ...ctx, sharedDatabase: tier.database };
        }
        for (const svc of services) this.addService(svc, () => new AwsService(this, svc.name, { context: per(ctx, svc), service: svc, aws: props.aws }));
        break;
      }
      case "gcp": {
        const { GcpAlertConditions, GcpBudget, GcpFoundation, GcpProjectServices, GcpService, GcpSharedTier, configureGcpStack } = pkg as CloudPackages["gcp"];
        let ctx = base as GcpContext | undefined;
        if (ctx) {
          configureGcpStack(this, env, this.tags, stateName);
          // API enablement is per state: each stack enables what it uses (never disabled on destroy).
          const services = new GcpProjectServices(this, "apis", ctx.projectId);
          // A partitioned service stack aggregates its own service's alert conditions (per measurement and threshold).
          ctx = { ...ctx, services, alerts: new GcpAlertConditions(this, "alerts", { ...ctx, services }) };
        } else {
          const foundation = new GcpFoundation(this, "foundation", { env, serviceName: platform, tags: this.tags, shared: true }).context;
          if (env.budget) new GcpBudget(this, "budget", { context: foundation, spec: cloudBudget(env, "gcp"), serviceName: platform });
          const tier = new GcpSharedTier(this, "shared-tier", { context: foundation, database: sharedDatabase });
          ctx = this.context = { ...foundation, alerts: tier.alerts, sharedDatabase: tier.database };
        }
        for (const svc of services) this.addService(svc, () => new GcpService(this, svc.name, { context: per(ctx, svc), service: svc }));
        break;
      }
      case "azure": {
        const { AzureBudget, AzureFoundation, AzureService, AzureSharedTier, configureAzureStack } = pkg as CloudPackages["azure"];
        let ctx = base as AzureContext | undefined;
        if (ctx) configureAzureStack(this, env, this.tags, stateName);
        else {
          ctx = this.context = new AzureFoundation(this, "foundation", { env, serviceName: platform, tags: this.tags }).context;
          if (env.budget) new AzureBudget(this, "budget", { context: ctx, spec: cloudBudget(env, "azure"), serviceName: platform });
          const tierServices = props.tierServices ?? services;
          const shared = new AzureSharedTier(this, "shared-tier", {
            context: ctx, database: sharedDatabase,
            gateways: tierServices.some((s) => Object.keys(s.gateways ?? {}).length > 0),
            queues: tierServices.some((s) => Object.keys(s.queues ?? {}).length > 0),
          });
          ctx = this.context = { ...ctx, shared };
        }
        for (const svc of services) this.addService(svc, () => new AzureService(this, svc.name, { context: per(ctx, svc), service: svc }));
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
    // The stack's default tags name the platform (or a service, in a partitioned service stack):
    // each service's own resources carry `service=<its name>` either way.
    if (!serviceStack) for (const svc of this.services) Aspects.of(svc).add(new ServiceTagAspect(svc.node.id));
    this.warnDeviations(env, services);
  }

  /**
   * Renders one service, with packaging failures (a dependency esbuild cannot resolve, a wheel pip
   * cannot find) turned into validation problems of that service's `functions.<id>.source` on this
   * cloud, so every failure of every function is listed in one run instead of a stack trace.
   */
  private addService(svc: ServiceSpec, make: () => PlatformService): void {
    const { result, failures } = collectPackagingFailures(make);
    if (failures.length) result.node.addValidation({ validate: () => failures.map((f) => packagingProblem(svc.name, f, svc.functions?.[f.logicalId]?.source)) });
    this.services.push(result);
  }

  /** One warning per behaviour deviation (modules/core/src/deviations.ts) and component. */
  private warnDeviations(env: EnvironmentConfig, services: readonly ServiceSpec[]): void {
    for (const [i, svc] of services.entries()) {
      const construct = this.services[i];
      if (!construct) continue;
      for (const w of deviationWarnings(svc, env, this.cloud)) Annotations.of(construct).addWarning(w);
    }
  }

  /** The first (usually only) service. */
  get service(): PlatformService | undefined {
    return this.services[0];
  }
}
