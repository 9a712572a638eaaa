import * as path from "node:path";
import { Annotations, AssetType, ITerraformDependable, Lazy, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import { AlarmInfo, NAME_RULES, PlatformFunction, ResolvedFunction, neutralRuntimeVariable, packageFunction, packageable, runtimeBaseVariables, splitConcurrency } from "@polycloud/core";
import { Cloudfunctions2Function } from "@cdktf/provider-google/lib/cloudfunctions2-function";
import { CloudRunV2ServiceIamMember } from "@cdktf/provider-google/lib/cloud-run-v2-service-iam-member";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { SecretManagerSecret } from "@cdktf/provider-google/lib/secret-manager-secret";
import { SecretManagerSecretIamMember } from "@cdktf/provider-google/lib/secret-manager-secret-iam-member";
import { SecretManagerSecretVersion } from "@cdktf/provider-google/lib/secret-manager-secret-version";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member";
import { StorageBucketObject } from "@cdktf/provider-google/lib/storage-bucket-object";
import { Sleep } from "@cdktf/provider-time/lib/sleep";
import { resourceVariable } from "./alert-conditions";
import { GcpContext } from "./context";
import { GCF_DEFAULT_INSTANCES, GCF_MAX_INSTANCES, GCF_RUNTIMES, functionCpu, BUILD_IAM_PROPAGATION } from "./limits";

export interface GcpFunctionProps {
  readonly context: GcpContext;
  readonly logicalId: string;
  readonly spec: ResolvedFunction;
  /** Declared secrets by id, for the spec's `secrets`. */
  readonly secrets?: Readonly<Record<string, SecretManagerSecret>>;
  /** The version each declared secret starts with, so that `latest` resolves on the first start. */
  readonly secretVersions?: Readonly<Record<string, SecretManagerSecretVersion>>;
  /** An already built package (the platform's own functions, e.g. a database's migration step) instead of packaging `spec.source`. */
  readonly package?: { readonly path: string; readonly hash: string };
}

/** Project roles every function runtime needs for its own telemetry (write-only). */
const RUNTIME_ROLES = ["roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/cloudtrace.agent"];
/**
 * What the dedicated build identity needs to turn the source into an image: the roles of the
 * provider's "Cloudfunctions2 Basic Builder" example (google 6.50). Its `storage.objectAdmin` is
 * granted on the Google-managed `gcf-v2-sources-<number>-<region>` bucket only (an IAM condition),
 * where the gen2 build fetches the source from.
 */
const BUILD_ROLES = ["roles/logging.logWriter", "roles/artifactregistry.writer"];

/**
 * Cloud Functions gen2 (a Cloud Run service built from source) with its own runtime and build
 * service accounts, a content-hashed source object, memory/timeout/instances/concurrency from
 * the spec, Secret Manager secrets as secret environment variables and restricted ingress:
 * internal only, or all ingress with IAM-only invocation once an API Gateway routes to it.
 *
 * Why gen2 and not Cloud Run v2 directly: gen2 builds the same source folder the other clouds
 * deploy, so no container pipeline is needed; it still exposes every Cloud Run knob the spec uses.
 */
export class GcpFunction extends Construct implements PlatformFunction {
  readonly logicalId: string;
  readonly spec: ResolvedFunction;
  /** Concurrent requests at most: max instances × requests per instance. */
  readonly concurrencyCap: number;
  readonly functionName: string;
  readonly fn: Cloudfunctions2Function;
  readonly serviceAccount: ServiceAccount;
  readonly buildServiceAccount: ServiceAccount;
  readonly alarms: AlarmInfo[] = [];
  private readonly environment: Record<string, string>;
  private readonly secretEnv: { key: string; projectId: string; secret: string; version: string }[] = [];
  private behindGateway = false;
  private connector?: string;
  private readonly ctx: GcpContext;

  constructor(scope: Construct, id: string, props: GcpFunctionProps) {
    super(scope, id);
    const { context: ctx, spec } = props;
    this.ctx = ctx;
    this.logicalId = props.logicalId;
    this.spec = spec;
    this.functionName = ctx.namer.name(NAME_RULES.gcp.function, props.logicalId);
    const apis = ctx.services.enable("cloudfunctions.googleapis.com", "cloudbuild.googleapis.com", "artifactregistry.googleapis.com", "run.googleapis.com");

    const [iamApi] = ctx.services.enable("iam.googleapis.com");
    this.serviceAccount = new ServiceAccount(this, "runtime-sa", {
      accountId: ctx.namer.name(NAME_RULES.gcp.serviceAccount, props.logicalId, "fn"),
      displayName: `${this.functionName} runtime`,
      dependsOn: [iamApi],
    });
    this.buildServiceAccount = new ServiceAccount(this, "build-sa", {
      accountId: ctx.namer.name(NAME_RULES.gcp.serviceAccount, props.logicalId, "build"),
      displayName: `${this.functionName} build`,
      dependsOn: [iamApi],
    });
    RUNTIME_ROLES.forEach((role) => this.projectRole(`runtime-${role.split(".").pop()}`, role, this.serviceAccount));
    const buildGrants: ITerraformDependable[] = BUILD_ROLES.map((role) => this.projectRole(`build-${role.split(".").pop()}`, role, this.buildServiceAccount));
    buildGrants.push(
      this.projectRole("build-objectAdmin", "roles/storage.objectAdmin", this.buildServiceAccount, {
        title: "gcf-v2-sources-only",
        expression: `resource.name.startsWith("projects/_/buckets/gcf-v2-sources-${ctx.project.number}-${ctx.region}")`,
      }),
      new StorageBucketIamMember(this, "build-reads-source", {
        bucket: ctx.sourceBucket.name,
        role: "roles/storage.objectViewer",
        member: `serviceAccount:${this.buildServiceAccount.email}`,
        // The bucket may live in the (partitioned) foundation stack: wait for this stack's API too.
        dependsOn: ctx.services.enable("storage.googleapis.com"),
      }),
    );
    // IAM is eventually consistent: a build started right after the grants is refused the source.
    const buildIamPropagated = new Sleep(this, "build-iam-propagation", { createDuration: BUILD_IAM_PROPAGATION, dependsOn: buildGrants });

    this.environment = { ...spec.environment, ...runtimeBaseVariables("gcp", props.logicalId) };
    const secretReady: ITerraformDependable[] = [];
    const secretGrants: SecretManagerSecretIamMember[] = [];
    for (const [name, secretId] of Object.entries(spec.secrets)) {
      const secret = props.secrets?.[secretId];
      if (!secret) continue; // reported by validation
      // Resolved by Cloud Run when an instance starts; the value never enters Terraform.
      this.secretEnv.push({ key: name, projectId: ctx.projectId, secret: secret.secretId, version: "latest" });
      secretGrants.push(new SecretManagerSecretIamMember(this, `reads-${secretId}`, {
        secretId: secret.id,
        role: "roles/secretmanager.secretAccessor",
        member: `serviceAccount:${this.serviceAccount.email}`,
      }));
      const version = props.secretVersions?.[secretId];
      if (version) secretReady.push(version);
    }
    // The revision reads its secrets when it starts: wait out IAM propagation after the accessor
    // grants, as after the build grants, or the first start is refused the secret.
    if (secretGrants.length) secretReady.push(new Sleep(this, "secrets-iam-propagation", { createDuration: BUILD_IAM_PROPAGATION, dependsOn: secretGrants }));

    // A missing folder, or a handler naming no code in it, is reported by validation; nothing is packaged then.
    const sourceDir = path.resolve(spec.source ?? ".");
    const pkg = props.package ?? (packageable(sourceDir, spec.handler, spec.runtime, "gcp") ? packageFunction(sourceDir, { cloud: "gcp", logicalId: props.logicalId, handler: spec.handler, runtime: spec.runtime }) : { path: "", hash: "" });
    const asset = pkg.path ? new TerraformAsset(this, "code", { path: pkg.path, type: AssetType.FILE, assetHash: pkg.hash }) : undefined;
    const object = new StorageBucketObject(this, "source", {
      bucket: ctx.sourceBucket.name,
      name: `${props.logicalId}/${pkg.hash}.zip`,
      source: asset?.path ?? "",
      dependsOn: ctx.services.enable("storage.googleapis.com"),
    });

    // instances × requests per instance = the spec's cap exactly (the per-instance share shrinks to a divisor).
    const scale = splitConcurrency(spec.maxConcurrency, spec.perInstanceConcurrency, GCF_MAX_INSTANCES, GCF_DEFAULT_INSTANCES);
    this.concurrencyCap = scale.total;
    if (spec.maxConcurrency !== undefined && (scale.perInstance !== spec.perInstanceConcurrency || scale.total !== spec.maxConcurrency)) {
      Annotations.of(this).addWarning(`GcpFunction(${props.logicalId}): property 'concurrency' (max ${spec.maxConcurrency}, perInstance ${spec.perInstanceConcurrency}) runs as ${scale.instances} instances × ${scale.perInstance} requests per instance = ${scale.total}, the nearest exact split of the cap (1..${GCF_MAX_INSTANCES} instances).`);
    }
    const perInstance = scale.perInstance;
    this.fn = new Cloudfunctions2Function(this, "fn", {
      name: this.functionName,
      location: ctx.region,
      description: `${props.logicalId} (${ctx.env.name})`,
      buildConfig: {
        runtime: GCF_RUNTIMES[spec.runtime] ?? spec.runtime,
        entryPoint: spec.handler.split(".").pop(),
        serviceAccount: this.buildServiceAccount.id,
        source: { storageSource: { bucket: ctx.sourceBucket.name, object: object.name } },
      },
      serviceConfig: {
        // Binary units: Lambda's and Azure's "MB" are MiB (1024M would be about 977 MiB).
        availableMemory: `${spec.memoryMb}Mi`,
        availableCpu: functionCpu(spec.memoryMb, perInstance),
        timeoutSeconds: spec.timeoutSeconds,
        minInstanceCount: spec.minWarmInstances,
        maxInstanceCount: scale.instances,
        maxInstanceRequestConcurrency: perInstance,
        serviceAccountEmail: this.serviceAccount.email,
        allTrafficOnLatestRevision: true,
        ingressSettings: Lazy.stringValue({ produce: () => (this.behindGateway ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY") }),
        environmentVariables: Lazy.anyValue({ produce: () => (Object.keys(this.environment).length ? this.environment : undefined) }) as any,
        secretEnvironmentVariables: this.secretEnv.length ? this.secretEnv : undefined,
        vpcConnector: Lazy.stringValue({ produce: () => this.connector }),
        vpcConnectorEgressSettings: Lazy.stringValue({ produce: () => (this.connector ? "PRIVATE_RANGES_ONLY" : undefined) }),
      },
      labels: { ...ctx.labels, component: "function" },
      dependsOn: [...apis, buildIamPropagated, ...secretReady],
    });

    const t = ctx.thresholds;
    // One condition per measurement and threshold for the whole stack (alert-conditions.ts), each function its own series.
    const run = (m: string) => `metric.type="run.googleapis.com/${m}" AND resource.type="cloud_run_revision"`;
    const watch = { nameLabel: "service_name", resourceName: this.functionName };
    this.alarms.push(
      ctx.alerts.watch({
        ...watch, id: "function-errors", signal: "function.errors", name: `${this.functionName} 5xx`, title: "Function 5xx", threshold: t.functionErrors,
        filter: `${run("request_count")} AND metric.labels.response_code_class="5xx"`,
        documentation: `Function ${resourceVariable("service_name")} answered with 5xx (errors or crashes) more than ${t.functionErrors} times in 5 minutes.`,
      }),
      ctx.alerts.watch({
        ...watch, id: "function-throttles", signal: "function.throttles", name: `${this.functionName} 429`, title: "Function 429", threshold: t.functionThrottles,
        // Cloud Run answers 429 when every allowed instance is busy: the gen2 form of a throttle.
        filter: `${run("request_count")} AND metric.labels.response_code="429"`,
        documentation: `Function ${resourceVariable("service_name")} hit its instance cap (429) more than ${t.functionThrottles} times in 5 minutes.`,
      }),
      ctx.alerts.watch({
        ...watch, id: "function-latency", signal: "function.durationP99", name: `${this.functionName} p99 latency`, title: "Function p99 latency (ms)",
        threshold: Math.round((spec.timeoutSeconds * 1000 * t.functionDurationP99PercentOfTimeout) / 100),
        filter: run("request_latencies"), aligner: "ALIGN_PERCENTILE_99",
        documentation: `Function ${resourceVariable("service_name")}'s p99 latency is above ${t.functionDurationP99PercentOfTimeout}% of its timeout (${spec.timeoutSeconds}s for the functions of this condition).`,
      }),
    );
  }

  /**
   * HTTPS endpoint of the function: its Cloud Run service's `run.app` URI. Cloud Run counts a
   * Pub/Sub push as internal traffic (ingress `ALLOW_INTERNAL_ONLY`) only on this URI, not on the
   * `cloudfunctions.net` URL.
   */
  get url(): string {
    return this.fn.serviceConfig.uri;
  }

  /** Runtime identity as an IAM member. */
  get member(): string {
    return `serviceAccount:${this.serviceAccount.email}`;
  }

  addEnvironment(name: string, value: string): void {
    this.environment[name] = value;
    // The same binding under its cloud-neutral name, for @polycloud/runtime.
    const neutral = neutralRuntimeVariable(name);
    if (neutral) this.environment[neutral] = value;
  }

  /**
   * Lets API Gateway reach the function. Its calls do not count as internal traffic, so ingress is
   * ALLOW_ALL; IAM is then the guard: the gateway grants roles/run.invoker to its own service
   * account only, so any other caller (no token, or another identity) gets 403 from Cloud Run.
   */
  exposeToApiGateway(): void {
    this.behindGateway = true;
  }

  /** Routes private-range egress through the VPC connector (database access). */
  useVpcConnector(): void {
    this.connector = this.ctx.network.connector().id;
  }

  /** Grants `roles/run.invoker` on this function's Cloud Run service only. */
  grantInvoke(id: string, member: string): CloudRunV2ServiceIamMember {
    return new CloudRunV2ServiceIamMember(this, `invoker-${id}`, {
      name: this.fn.serviceConfig.service,
      location: this.ctx.region,
      role: "roles/run.invoker",
      member,
    });
  }

  projectRole(id: string, role: string, sa: ServiceAccount, condition?: { title: string; expression: string }): ProjectIamMember {
    // Project IAM policy reads and writes go through Resource Manager.
    const api = this.ctx.services.enable("cloudresourcemanager.googleapis.com");
    return new ProjectIamMember(this, id, { project: this.ctx.projectId, role, member: `serviceAccount:${sa.email}`, condition, dependsOn: api });
  }
}
