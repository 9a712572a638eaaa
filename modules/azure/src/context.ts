import { AzureEnvironmentSpec, EnvironmentConfig, NameRule, Namer, TagMap, resolveThresholds } from "@polycloud/core";
import { ApplicationInsights } from "@cdktf/provider-azurerm/lib/application-insights";
import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { KeyVault } from "@cdktf/provider-azurerm/lib/key-vault";
import { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";
import { MonitorActionGroup } from "@cdktf/provider-azurerm/lib/monitor-action-group";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { AzureNetwork } from "./network";
import type { AzureSharedTier } from "./shared-tier";

/** Everything the component constructs share within one environment × service. */
export interface AzureContext {
  readonly env: EnvironmentConfig;
  readonly spec: AzureEnvironmentSpec;
  readonly location: string;
  readonly namer: Namer;
  /** Names in a global DNS namespace, with the subscription suffix (see `globalName`). */
  readonly globalName: (rule: NameRule, ...parts: string[]) => string;
  readonly tags: TagMap;
  readonly resourceGroup: ResourceGroup;
  readonly client: DataAzurermClientConfig;
  readonly workspace: LogAnalyticsWorkspace;
  readonly insights: ApplicationInsights;
  readonly actionGroup: MonitorActionGroup;
  /** Holds function deployment packages and Event Grid dead letters; Entra auth only. */
  readonly storage: StorageAccount;
  readonly vault: KeyVault;
  readonly network: AzureNetwork;
  readonly thresholds: ReturnType<typeof resolveThresholds>;
  /**
   * The environment's shared tier (one PostgreSQL server for the databases on `server: "shared"`,
   * one API Management instance, one Service Bus namespace), set on the services' contexts.
   */
  readonly shared?: AzureSharedTier;
}
