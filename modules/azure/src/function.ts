import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Annotations, AssetType, Lazy, TerraformAsset, dependable } from "cdktf";
import { Construct } from "constructs";
import { ATTEMPT_FAILED_EVENT, AlarmInfo, InstanceSplit, NAME_RULES, PlatformFunction, ResolvedFunction, neutralRuntimeVariable, packageFunction, packageable, runtimeBaseVariables, splitConcurrency } from "@polycloud/core";
import { FunctionAppFlexConsumption } from "@cdktf/provider-azurerm/lib/function-app-flex-consumption";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { ServicePlan } from "@cdktf/provider-azurerm/lib/service-plan";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageBlob } from "@cdktf/provider-azurerm/lib/storage-blob";
import { StorageContainer } from "@cdktf/provider-azurerm/lib/storage-container";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { createLogAlert, createMetricAlert } from "./alarm";
import { MonitorScheduledQueryRulesAlertV2 } from "@cdktf/provider-azurerm/lib/monitor-scheduled-query-rules-alert-v2";
import { AzureContext } from "./context";
import { FLEX_DEFAULT_INSTANCES, FLEX_MAX_INSTANCES, FLEX_MEMORY_MB, FLEX_RUNTIMES } from "./limits";
import { PostApplyStep } from "./post-apply-step";
import { secureStorageAccount } from "./storage";

export interface AzureFunctionProps {
  readonly context: AzureContext;
  readonly logicalId: string;
  readonly spec: ResolvedFunction;
  /** Secret ids the service declares (names in the Key Vault). */
  readonly secretNames?: Readonly<Record<string, string>>;
  /**
   * Routed by a gateway: warm instances go to the `http` always-ready group. Otherwise they go to
   * `function:<logicalId>`, so the Azure function inside the app must carry the logical id as its name.
   * @default false
   */
  readonly httpTriggered?: boolean;
  /** An already built package (the platform's own functions, e.g. a database's migration step) instead of packaging `spec.source`. */
  readonly package?: { readonly path: string; readonly hash: string };
}

/** The post-apply step that deletes the provider-injected `AzureWebJobsStorage` (arguments from the environment). */
export const REMOVE_INJECTED_STORAGE_COMMAND =
  'az functionapp config appsettings delete --subscription "$SUBSCRIPTION" --resource-group "$RG" --name "$APP" --setting-names AzureWebJobsStorage --only-show-errors --output none';

/** Flex Consumption loads the package from this blob of the deployment container. */
export const FLEX_PACKAGE_BLOB = "released-package.zip";

/** `90` → `00:01:30`, the host.json timespan format. */
export function hhmmss(seconds: number): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(Math.floor(seconds / 3600))}:${p(Math.floor((seconds % 3600) / 60))}:${p(seconds % 60)}`;
}

/** How a function's concurrency is realised on Flex Consumption (`maximum_instance_count` × `http_concurrency` / `maxConcurrentCalls`). */
export type FlexScale = InstanceSplit;

/** Instances × per-instance concurrency on Flex Consumption (1..1000 instances, 100 without a cap): core's exact split. */
export function flexScale(maxConcurrency: number | undefined, perInstance: number): FlexScale {
  return splitConcurrency(maxConcurrency, perInstance, FLEX_MAX_INSTANCES.max, FLEX_DEFAULT_INSTANCES);
}

/** Flex Consumption memory for a spec memory: 512, 2048 or 4096 MB (rounded up, with a warning). */
export function flexMemory(memoryMb: number): number | undefined {
  return FLEX_MEMORY_MB.find((m) => m >= memoryMb);
}

const md5s = new Map<string, string>();
/** MD5 of a package zip (content-addressed by its SHA-256, so computed once per process). */
function packageMd5(pkg: { path: string; hash: string }): string {
  const key = `${pkg.path}\0${pkg.hash}`;
  let md5 = md5s.get(key);
  if (!md5) md5s.set(key, (md5 = createHash("md5").update(fs.readFileSync(pkg.path)).digest("hex")));
  return md5;
}

/**
 * A Function App on Flex Consumption (its own FC1 plan) with a user-assigned identity, code
 * deployed from the same folder as the other clouds into its own blob container (identity
 * access), Application Insights (Entra-authenticated), HTTPS only, instance memory and scale from
 * the spec and `always_ready` for warm instances.
 *
 * Code: the package is uploaded as `released-package.zip` into the deployment container, which is
 * where Flex instances load it from; `PLATFORM_PACKAGE_SHA256` changes with the content, so a new
 * package restarts the app. azurerm's `zip_deploy_file` is not used: in azurerm 4.55 it pushes to
 * Kudu's `/api/zipdeploy` with basic-auth publishing credentials, which Flex does not serve and
 * which stay disabled here.
 *
 * Host storage: a storage account of its own (keys, leases, timers), reached with the identity
 * (`AzureWebJobsStorage__accountName|credential|clientId`), so no function can read or replace
 * another function's package or keys.
 *
 * Secrets: the Flex resource has no `key_vault_reference_identity_id`, so Key Vault references
 * cannot use the user-assigned identity. The function instead reads secrets at run time with the
 * Azure SDK (`DefaultAzureCredential` picks the identity from `AZURE_CLIENT_ID`) from
 * `KEY_VAULT_URI`, using the names in `<NAME>_SECRET_NAME`; the identity holds
 * "Key Vault Secrets User" on that vault only.
 */
export class AzureFunction extends Construct implements PlatformFunction {
  readonly logicalId: string;
  readonly spec: ResolvedFunction;
  readonly functionName: string;
  readonly app: FunctionAppFlexConsumption;
  readonly identity: UserAssignedIdentity;
  /** The host's own storage (AzureWebJobsStorage), reached with the identity. */
  readonly hostStorage: StorageAccount;
  readonly alarms: AlarmInfo[] = [];
  /** Instances × per-instance concurrency (the spec's cap when it has one). */
  readonly scale: FlexScale;
  /** Queues whose Service Bus trigger runs in this app (maxConcurrentCalls applies to each). */
  readonly serviceBusTriggers: string[] = [];
  /** Removes the provider-injected `AzureWebJobsStorage` after every apply that touches the app. */
  readonly hostStorageFix: PostApplyStep;
  private readonly settings: Record<string, string>;
  private subnet?: string;
  private readsSecrets = false;
  private readonly allowedCallers: string[] = [];
  private readonly ctx: AzureContext;

  constructor(scope: Construct, id: string, props: AzureFunctionProps) {
    super(scope, id);
    const { context: ctx, spec } = props;
    this.ctx = ctx;
    this.logicalId = props.logicalId;
    this.spec = spec;
    this.functionName = ctx.globalName(NAME_RULES.azure.functionApp, props.logicalId);
    const rg = ctx.resourceGroup;

    const memory = flexMemory(spec.memoryMb) ?? 4096;
    if (memory !== spec.memoryMb && spec.memoryMb <= 4096) {
      Annotations.of(this).addWarning(`AzureFunction(${props.logicalId}): property 'memoryMb' = ${spec.memoryMb} is rounded up to ${memory} MB, the nearest Flex Consumption instance size (${FLEX_MEMORY_MB.join(", ")}).`);
    }

    this.scale = flexScale(spec.maxConcurrency, spec.perInstanceConcurrency);
    if (spec.maxConcurrency !== undefined && (this.scale.perInstance !== spec.perInstanceConcurrency || this.scale.total !== spec.maxConcurrency)) {
      Annotations.of(this).addWarning(`AzureFunction(${props.logicalId}): property 'concurrency' (max ${spec.maxConcurrency}, perInstance ${spec.perInstanceConcurrency}) runs as ${this.scale.instances} instances × ${this.scale.perInstance} per instance = ${this.scale.total}, the nearest exact split of the cap on Flex Consumption (1..${FLEX_MAX_INSTANCES.max} instances).`);
    }

    this.identity = new UserAssignedIdentity(this, "identity", { name: `${this.functionName}-id`, resourceGroupName: rg.name, location: rg.location });
    const plan = new ServicePlan(this, "plan", { name: `${this.functionName}-plan`, resourceGroupName: rg.name, location: rg.location, osType: "Linux", skuName: "FC1" });
    const container = new StorageContainer(this, "deployments", {
      name: `deploy-${props.logicalId}`.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 63),
      storageAccountId: ctx.storage.id,
      containerAccessType: "private",
    });
    // Read and write blobs of its own package container; no ACL management (Owner) needed there.
    const deployAccess = new RoleAssignment(this, "deploy-access", {
      scope: container.id,
      roleDefinitionName: "Storage Blob Data Contributor",
      principalId: this.identity.principalId,
      principalType: "ServicePrincipal",
    });
    // Telemetry is sent with the identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING), not the instrumentation key.
    new RoleAssignment(this, "metrics", { scope: ctx.insights.id, roleDefinitionName: "Monitoring Metrics Publisher", principalId: this.identity.principalId, principalType: "ServicePrincipal" });
    this.hostStorage = secureStorageAccount(this, "host-storage", {
      name: ctx.globalName(NAME_RULES.azure.storageAccount, props.logicalId, "host"),
      resourceGroup: rg,
      prod: ctx.env.deletionProtection,
    });
    // The host creates its own containers (keys, leases), so it owns the blobs of its own account, and only those.
    const hostAccess = new RoleAssignment(this, "host-access", { scope: this.hostStorage.id, roleDefinitionName: "Storage Blob Data Owner", principalId: this.identity.principalId, principalType: "ServicePrincipal" });

    this.settings = {
      ...spec.environment,
      ...runtimeBaseVariables("azure", props.logicalId),
      AZURE_CLIENT_ID: this.identity.clientId,
      KEY_VAULT_URI: ctx.vault.vaultUri,
      // Flex has no timeout argument; app settings override host.json keys.
      AzureFunctionsJobHost__functionTimeout: hhmmss(spec.timeoutSeconds),
      AzureWebJobsStorage__accountName: this.hostStorage.name,
      AzureWebJobsStorage__credential: "managedidentity",
      AzureWebJobsStorage__clientId: this.identity.clientId,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${this.identity.clientId};Authorization=AAD`,
      // The concurrency contract, explicit and readable back from the synthesized JSON: per-instance
      // concurrency is fixed (dynamic concurrency would raise it), instances are maximum_instance_count.
      AzureFunctionsJobHost__concurrency__dynamicConcurrencyEnabled: "false",
      PLATFORM_MAX_INSTANCES: String(this.scale.instances),
      PLATFORM_PER_INSTANCE_CONCURRENCY: String(this.scale.perInstance),
    };
    for (const [name, secretId] of Object.entries(spec.secrets)) {
      const secretName = props.secretNames?.[secretId];
      if (!secretName) continue; // reported by validation
      this.settings[`${name}_SECRET_NAME`] = secretName;
    }
    if (Object.keys(spec.secrets).length) {
      new RoleAssignment(this, "reads-secrets", { scope: ctx.vault.id, roleDefinitionName: "Key Vault Secrets User", principalId: this.identity.principalId, principalType: "ServicePrincipal" });
      // The vault admits the functions' subnet only: a function that reads secrets runs in it.
      this.readsSecrets = true;
    }

    const runtime = FLEX_RUNTIMES[spec.runtime] ?? { name: "node", version: "22" };
    // Python 3.12 and before: the worker's own libraries (its azure-functions among them) win over the
    // package's unless the app isolates its dependencies; 3.13 isolates by default (learn.microsoft.com
    // azure-functions/python-313-changes). A func.CloudEvent trigger needs the package's
    // azure-functions>=1.25.0b4 (Azure/azure-functions-python-worker issue 1642).
    if (runtime.name === "python" && Number(runtime.version.split(".")[1]) <= 12) this.settings.PYTHON_ISOLATE_WORKER_DEPENDENCIES = "1";
    // A missing folder, or a handler naming no code in it, is reported by validation; nothing is uploaded then.
    const source = path.resolve(spec.source ?? ".");
    const pkg = props.package ?? (packageable(source, spec.handler, spec.runtime, "azure") ? packageFunction(source, { cloud: "azure", logicalId: props.logicalId, handler: spec.handler, runtime: spec.runtime }) : undefined);
    let upload: StorageBlob | undefined;
    if (pkg) {
      const asset = new TerraformAsset(this, "code", { path: pkg.path, type: AssetType.FILE, assetHash: pkg.hash });
      // Shared keys are off, so Terraform uploads with Entra ID: its own identity may write this container.
      const deployer = new RoleAssignment(this, "deployer-upload", { scope: container.id, roleDefinitionName: "Storage Blob Data Contributor", principalId: ctx.client.objectId });
      upload = new StorageBlob(this, "package", {
        name: FLEX_PACKAGE_BLOB,
        storageAccountName: ctx.storage.name,
        storageContainerName: container.name,
        type: "Block",
        contentType: "application/zip",
        source: asset.path,
        // A new package replaces the blob.
        contentMd5: packageMd5(pkg),
        dependsOn: [deployer],
      });
      this.settings.PLATFORM_PACKAGE_SHA256 = pkg.hash;
    }
    this.app = new FunctionAppFlexConsumption(this, "app", {
      name: this.functionName,
      resourceGroupName: rg.name,
      location: rg.location,
      servicePlanId: plan.id,
      runtimeName: runtime.name,
      runtimeVersion: runtime.version,
      storageContainerType: "blobContainer",
      storageContainerEndpoint: `${ctx.storage.primaryBlobEndpoint}${container.name}`,
      storageAuthenticationType: "UserAssignedIdentity",
      storageUserAssignedIdentityId: this.identity.id,
      instanceMemoryInMb: memory,
      maximumInstanceCount: this.scale.instances,
      // Always set: left out, the platform default (not the spec) decides per-instance HTTP concurrency.
      httpConcurrency: this.scale.perInstance,
      alwaysReady: spec.minWarmInstances > 0 ? [{ name: props.httpTriggered ? "http" : `function:${props.logicalId}`, instanceCount: spec.minWarmInstances }] : undefined,
      identity: { type: "UserAssigned", identityIds: [this.identity.id] },
      appSettings: Lazy.anyValue({ produce: () => this.settings }) as any,
      siteConfig: { applicationInsightsConnectionString: ctx.insights.connectionString, minimumTlsVersion: "1.2", scmMinimumTlsVersion: "1.2" },
      virtualNetworkSubnetId: Lazy.stringValue({ produce: () => this.subnet ?? (this.readsSecrets ? ctx.network.functionSubnetId : undefined) }),
      httpsOnly: true,
      webdeployPublishBasicAuthenticationEnabled: false,
      dependsOn: [deployAccess, hostAccess, ...(upload ? [upload] : [])],
    });

    const t = ctx.thresholds;
    const role = { name: "cloud/roleName", values: [this.functionName] };
    this.alarms.push(
      createMetricAlert(this, "alarm-errors", ctx, {
        signal: "function.errors", name: `${this.functionName}-failures`, scope: ctx.insights.id, namespace: "microsoft.insights/components",
        metric: "requests/failed", aggregation: "Count", threshold: t.functionErrors, dimension: role,
        description: `${this.functionName} failed more than ${t.functionErrors} requests in 5 minutes.`,
      }),
      createMetricAlert(this, "alarm-duration", ctx, {
        signal: "function.durationP99", name: `${this.functionName}-duration`, scope: ctx.insights.id, namespace: "microsoft.insights/components",
        metric: "requests/duration", aggregation: "Maximum", dimension: role,
        threshold: Math.round((spec.timeoutSeconds * 1000 * t.functionDurationP99PercentOfTimeout) / 100),
        description: `${this.functionName} slowest request above ${t.functionDurationP99PercentOfTimeout}% of its ${spec.timeoutSeconds}s timeout (Azure metric alerts have no p99; the maximum is stricter).`,
      }),
    );
    if (props.httpTriggered) {
      // Throttling is HTTP 429 at the front end (instances × http_concurrency exhausted). Functions
      // without an HTTP trigger have no such metric: their backlog alarm shows saturation instead.
      this.alarms.push(createMetricAlert(this, "alarm-throttles", ctx, {
        signal: "function.throttles", name: `${this.functionName}-http429`, scope: this.app.id, namespace: "Microsoft.Web/sites",
        metric: "Http429", aggregation: "Total", threshold: t.functionThrottles,
        description: `${this.functionName} answered 429 (concurrency cap of ${this.scale.total} reached) more than ${t.functionThrottles} times in 5 minutes.`,
      }));
    }

    // azurerm (4.55 and 4.73 alike) writes `AzureWebJobsStorage` = a connection string to the
    // deployment account with an empty key on every create and update of a Flex app, and hides it
    // from state. The host prefers it over the identity settings above, so after every apply that
    // changes the app this removes it again (replace_triggered_by the app). Runs in the apply job,
    // which is logged in with azure/login; names come from validated ids.
    this.hostStorageFix = new PostApplyStep(this, "host-storage-fix", {
      input: { app: this.app.id },
      // A bare reference: Terraform JSON takes meta-argument references without interpolation.
      lifecycle: { replaceTriggeredBy: [`${this.app.terraformResourceType}.${this.app.friendlyUniqueId}`] },
      provisioners: [{
        type: "local-exec",
        command: REMOVE_INJECTED_STORAGE_COMMAND,
        environment: { APP: this.app.name, RG: rg.name, SUBSCRIPTION: ctx.spec.subscriptionId },
      }],
    });
  }

  /**
   * Admits HTTP calls only with an Entra token issued to `principalObjectId` (a caller's managed
   * identity) for this app: App Service authentication (Easy Auth) in front of the host answers
   * 401 to anything else, so the `*.azurewebsites.net` host cannot be called directly, whatever
   * the function's authLevel. The audience is the app identity's client id (a service principal
   * in the tenant, so a managed identity can request a token for it); tokens for such a resource
   * are v1 tokens, hence the `sts.windows.net` issuer. Returns the audience the caller must ask for.
   * No secret is involved: no function key is read into state.
   */
  admitOnly(principalObjectId: string): string {
    if (this.allowedCallers.length === 0) {
      this.app.putAuthSettingsV2({
        authEnabled: true,
        requireAuthentication: true,
        unauthenticatedAction: "Return401",
        requireHttps: true,
        // Event Grid deliveries to an Event Grid trigger authenticate with the extension's own key.
        excludedPaths: ["/runtime/webhooks/eventgrid"],
        activeDirectoryV2: {
          clientId: this.identity.clientId,
          tenantAuthEndpoint: `https://sts.windows.net/${this.ctx.spec.tenantId}/`,
          allowedAudiences: [this.identity.clientId],
          allowedIdentities: Lazy.listValue({ produce: () => this.allowedCallers }),
          wwwAuthenticationDisabled: true,
        },
        login: { tokenStoreEnabled: false },
      });
    }
    if (!this.allowedCallers.includes(principalObjectId)) this.allowedCallers.push(principalObjectId);
    return this.identity.clientId;
  }

  /**
   * For a Service Bus consumer whose failed attempts the runtime retries by a scheduled copy: the
   * invocation then succeeds, so `requests/failed` counts only the last attempt. The errors alarm
   * becomes a log alert over failed requests plus the runtime's `polycloud-attempt-failed` log
   * line, so every failed attempt counts, as Lambda's Errors does on AWS. Idempotent.
   */
  countFailedAttempts(): void {
    if (this.node.tryFindChild("alarm-errors") instanceof MonitorScheduledQueryRulesAlertV2) return;
    this.node.tryRemoveChild("alarm-errors");
    const t = this.ctx.thresholds;
    const app = JSON.stringify(this.functionName);
    const index = this.alarms.findIndex((a) => a.signal === "function.errors");
    const info = createLogAlert(this, "alarm-errors", this.ctx, {
      signal: "function.errors", name: `${this.functionName}-failures`, scope: this.ctx.insights.id, threshold: t.functionErrors,
      query: [
        "union",
        `(requests | where cloud_RoleName == ${app} and success == false),`,
        `(traces | where cloud_RoleName == ${app} and message has ${JSON.stringify(ATTEMPT_FAILED_EVENT)})`,
      ].join("\n"),
      description: `${this.functionName} failed at least ${t.functionErrors} requests or Service Bus attempts (retried by a scheduled copy) in 5 minutes.`,
    });
    this.alarms.splice(index < 0 ? this.alarms.length : index, index < 0 ? 0 : 1, info);
  }

  /** Principal id of the function's identity, for role assignments. */
  get principalId(): string {
    return this.identity.principalId;
  }

  get defaultHostname(): string {
    return this.app.defaultHostname;
  }

  addSetting(name: string, value: string): void {
    this.settings[name] = value;
    // The same binding under its cloud-neutral name, for @polycloud/runtime.
    const neutral = neutralRuntimeVariable(name);
    if (neutral) this.settings[neutral] = value;
  }

  /** Outbound traffic through the delegated function subnet (database access). */
  useVnet(): void {
    this.subnet = this.ctx.network.functionSubnetId;
  }

  /**
   * A role for the function's identity on `scope`. With `beforeStart`, the app waits for the
   * assignment (depends_on), for roles its code needs from its first invocation.
   */
  grantRole(id: string, scope: string, role: string, options: { beforeStart?: boolean } = {}): RoleAssignment {
    const assignment = new RoleAssignment(this, id, { scope, roleDefinitionName: role, principalId: this.identity.principalId, principalType: "ServicePrincipal" });
    if (options.beforeStart) this.app.dependsOn = [...(this.app.dependsOn ?? []), dependable(assignment)];
    return assignment;
  }
}
