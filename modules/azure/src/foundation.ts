import { Aspects, AzurermBackend, LocalBackend, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { AzureEnvironmentSpec, EnvironmentConfig, NAME_RULES, NameRule, Namer, TagMap, protectStatefulResources, resolveThresholds } from "@polycloud/core";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { ApplicationInsights } from "@cdktf/provider-azurerm/lib/application-insights";
import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { KeyVault } from "@cdktf/provider-azurerm/lib/key-vault";
import { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";
import { MonitorActionGroup } from "@cdktf/provider-azurerm/lib/monitor-action-group";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { AzureContext } from "./context";
import { AZURERM_PROVIDER_VERSION, EXTRA_RESOURCE_PROVIDERS, insightsRetention } from "./limits";
import { globalName } from "./names";
import { AzureNetwork } from "./network";
import { secureStorageAccount } from "./storage";
import { AzureTagsAspect } from "./tags-aspect";

export interface AzureFoundationProps {
  readonly env: EnvironmentConfig;
  readonly serviceName: string;
  readonly tags: TagMap;
}

/** Action group short names are at most 12 characters. */
export function actionGroupShortName(namer: Namer): string {
  return namer.name(NAME_RULES.azure.actionGroupShort, "alarms");
}

/**
 * What every Azure stack needs: the provider, its own state (azurerm with Entra auth, or local),
 * the tag aspect (azurerm has no default tags) and the prod protection aspect.
 */
export function configureAzureStack(scope: TerraformStack, env: EnvironmentConfig, tags: TagMap, stateName: string): AzurermProvider {
  Aspects.of(scope).add(new AzureTagsAspect(tags));
  Aspects.of(scope).add(protectStatefulResources(env.deletionProtection));
  const spec: AzureEnvironmentSpec = env.clouds.azure ?? { subscriptionId: "", tenantId: "", location: "", budgetStartDate: "" };
  const provider = new AzurermProvider(scope, "azurerm", {
    subscriptionId: spec.subscriptionId,
    tenantId: spec.tenantId,
    features: [{ keyVault: [{ purgeSoftDeleteOnDestroy: false, recoverSoftDeletedKeyVaults: true }] }],
    storageUseAzuread: true,
    // Flex Consumption VNet integration needs Microsoft.App, which azurerm's own registration set lacks.
    resourceProvidersToRegister: [...EXTRA_RESOURCE_PROVIDERS],
  });
  // The 4.55 bindings declare their own version; the stacks run with the pinned provider instead
  // (its schemas for the resource types used are compared with 4.55's by a test).
  scope.addOverride("terraform.required_providers.azurerm", { source: "hashicorp/azurerm", version: AZURERM_PROVIDER_VERSION });
  if (spec.backend) {
    new AzurermBackend(scope, {
      resourceGroupName: spec.backend.resourceGroupName,
      storageAccountName: spec.backend.storageAccountName,
      containerName: spec.backend.containerName,
      key: spec.backend.key ?? `${env.name}/azure/${stateName}.tfstate`,
      subscriptionId: spec.subscriptionId,
      tenantId: spec.tenantId,
      useAzureadAuth: true,
    });
  } else {
    new LocalBackend(scope, { path: `terraform.${scope.node.id}.tfstate` });
  }
  return provider;
}

/**
 * Provider, backend, the tag aspect, one resource group per environment × service, Log
 * Analytics + workspace-based Application Insights, the alarm action group, the storage account
 * for packages and dead letters, the Key Vault (RBAC) and the network. One per `<env>-azure` stack.
 */
export class AzureFoundation extends Construct {
  readonly context: AzureContext;

  constructor(scope: TerraformStack, id: string, props: AzureFoundationProps) {
    super(scope, id);
    configureAzureStack(scope, props.env, props.tags, props.serviceName);
    const spec: AzureEnvironmentSpec = props.env.clouds.azure ?? { subscriptionId: "", tenantId: "", location: "", budgetStartDate: "" };
    const namer = new Namer(props.serviceName, props.env.name);
    const prod = props.env.deletionProtection;
    const global = (rule: NameRule, ...parts: string[]) => globalName(namer, spec.subscriptionId, rule, ...parts);

    const resourceGroup = new ResourceGroup(this, "rg", { name: namer.name(NAME_RULES.azure.resourceGroup, "rg"), location: spec.location });
    const client = new DataAzurermClientConfig(this, "client", {});
    const logDays = props.env.retention?.logDays ?? 30;
    const workspace = new LogAnalyticsWorkspace(this, "logs", {
      name: namer.name(NAME_RULES.azure.generic, "logs"),
      resourceGroupName: resourceGroup.name,
      location: resourceGroup.location,
      sku: "PerGB2018",
      // Log Analytics keeps at least 30 days; shorter environment retention is raised to 30.
      retentionInDays: insightsRetention(logDays),
      localAuthenticationEnabled: false,
    });
    const insights = new ApplicationInsights(this, "insights", {
      name: namer.name(NAME_RULES.azure.generic, "insights"),
      resourceGroupName: resourceGroup.name,
      location: resourceGroup.location,
      applicationType: "web",
      workspaceId: workspace.id,
      retentionInDays: insightsRetention(logDays),
      localAuthenticationDisabled: false,
    });
    const actionGroup = new MonitorActionGroup(this, "alarms", {
      name: namer.name(NAME_RULES.azure.generic, "alarms"),
      resourceGroupName: resourceGroup.name,
      shortName: actionGroupShortName(namer),
      location: "global",
      emailReceiver: (props.env.alarms?.recipients ?? []).map((email, i) => ({ name: `email-${i}`, emailAddress: email, useCommonAlertSchema: true })),
    });
    const storage = secureStorageAccount(this, "storage", { name: global(NAME_RULES.azure.storageAccount, "fn"), resourceGroup, prod });
    const network = new AzureNetwork(this, "network", { spec, namer, resourceGroup });
    // Closed by default: only the functions' subnet (service endpoint Microsoft.KeyVault; functions
    // that read secrets are VNet-integrated there), trusted Azure services, and the environment's
    // operator ranges (to set secret values) reach the data plane. Role assignments and the vault
    // itself are control-plane calls, which the ACL does not govern.
    const vault = new KeyVault(this, "vault", {
      name: global(NAME_RULES.azure.keyVault, "kv"),
      resourceGroupName: resourceGroup.name,
      location: resourceGroup.location,
      tenantId: spec.tenantId,
      skuName: "standard",
      rbacAuthorizationEnabled: true,
      purgeProtectionEnabled: prod,
      softDeleteRetentionDays: prod ? 90 : 7,
      publicNetworkAccessEnabled: true,
      networkAcls: {
        defaultAction: "Deny",
        bypass: "AzureServices",
        virtualNetworkSubnetIds: [network.functionSubnetId],
        ipRules: spec.keyVaultAllowedIpRanges ? [...spec.keyVaultAllowedIpRanges] : undefined,
      },
    });
    this.context = {
      env: props.env, spec, location: spec.location, namer, globalName: global, tags: props.tags, resourceGroup, client, workspace, insights,
      actionGroup, storage, vault, network, thresholds: resolveThresholds(props.env.alarms?.thresholds),
    };
  }
}
