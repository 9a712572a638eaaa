/**
 * The resource providers azurerm registers in a subscription when it starts, unless they are
 * registered already: the set named by the provider block's `resource_provider_registrations`
 * (4.x default: `legacy`) plus `resource_providers_to_register`. A plan identity cannot register
 * (that is a write), so gitops:setup registers exactly this set once, with an administrator.
 *
 * The namespaces of each set as azurerm 4.73 defines them (internal/resourceproviders/required.go
 * at v4.73.0; `legacy` will not change, the file says).
 */
const CORE = ["Microsoft.Authorization", "Microsoft.Compute", "Microsoft.CostManagement", "Microsoft.ManagedIdentity", "Microsoft.MarketplaceOrdering", "Microsoft.Network", "Microsoft.Resources", "Microsoft.Storage"];
const EXTENDED_EXTRA = [
  "Microsoft.ApiManagement", "Microsoft.AppConfiguration", "Microsoft.AppPlatform", "Microsoft.Automation", "Microsoft.Cache", "Microsoft.Cdn", "Microsoft.ContainerInstance",
  "Microsoft.ContainerRegistry", "Microsoft.ContainerService", "Microsoft.DBforMySQL", "Microsoft.DBforPostgreSQL", "Microsoft.DataFactory", "Microsoft.DataLakeAnalytics",
  "Microsoft.DataLakeStore", "Microsoft.DataMigration", "Microsoft.DataProtection", "Microsoft.Databricks", "Microsoft.DevTestLab", "Microsoft.Devices", "Microsoft.DocumentDB",
  "Microsoft.EventGrid", "Microsoft.EventHub", "Microsoft.HDInsight", "microsoft.insights", "Microsoft.KeyVault", "Microsoft.Kusto", "Microsoft.Logic", "Microsoft.Maintenance",
  "Microsoft.Management", "Microsoft.NotificationHubs", "Microsoft.OperationalInsights", "Microsoft.OperationsManagement", "Microsoft.PowerBIDedicated", "Microsoft.Relay",
  "Microsoft.Security", "Microsoft.SecurityInsights", "Microsoft.ServiceBus", "Microsoft.ServiceFabric", "Microsoft.SignalRService", "Microsoft.Sql", "Microsoft.StreamAnalytics", "Microsoft.Web",
];
const ALL_EXTRA = [
  "Github.Network", "Microsoft.AVS", "Microsoft.AlertsManagement", "Microsoft.Blueprint", "Microsoft.BotService", "Microsoft.CognitiveServices", "Microsoft.CustomProviders",
  "Microsoft.Dashboard", "Microsoft.DesktopVirtualization", "Microsoft.GuestConfiguration", "Microsoft.HealthcareApis", "Microsoft.IoTCentral", "Microsoft.MachineLearningServices",
  "Microsoft.ManagedServices", "Microsoft.Maps", "Microsoft.MixedReality", "Microsoft.Monitor", "Microsoft.PolicyInsights", "Microsoft.RecoveryServices", "Microsoft.Search",
];
const LEGACY = [
  "Microsoft.AVS", "Microsoft.ApiManagement", "Microsoft.AppConfiguration", "Microsoft.AppPlatform", "Microsoft.Authorization", "Microsoft.Automation", "Microsoft.Blueprint",
  "Microsoft.BotService", "Microsoft.Cache", "Microsoft.Cdn", "Microsoft.CognitiveServices", "Microsoft.Compute", "Microsoft.ContainerInstance", "Microsoft.ContainerRegistry",
  "Microsoft.ContainerService", "Microsoft.CostManagement", "Microsoft.CustomProviders", "Microsoft.DBforMariaDB", "Microsoft.DBforMySQL", "Microsoft.DBforPostgreSQL",
  "Microsoft.DataFactory", "Microsoft.DataLakeAnalytics", "Microsoft.DataLakeStore", "Microsoft.DataMigration", "Microsoft.DataProtection", "Microsoft.Databricks", "Microsoft.DesktopVirtualization",
  "Microsoft.DevTestLab", "Microsoft.Devices", "Microsoft.DocumentDB", "Microsoft.EventGrid", "Microsoft.EventHub", "Microsoft.GuestConfiguration", "Microsoft.HDInsight",
  "Microsoft.HealthcareApis", "Microsoft.KeyVault", "Microsoft.Kusto", "Microsoft.Logic", "Microsoft.MachineLearningServices", "Microsoft.Maintenance", "Microsoft.ManagedIdentity",
  "Microsoft.ManagedServices", "Microsoft.Management", "Microsoft.Maps", "Microsoft.MarketplaceOrdering", "Microsoft.MixedReality", "Microsoft.Network",
  "Microsoft.NotificationHubs", "Microsoft.OperationalInsights", "Microsoft.OperationsManagement", "Microsoft.PolicyInsights", "Microsoft.PowerBIDedicated",
  "Microsoft.RecoveryServices", "Microsoft.Relay", "Microsoft.Resources", "Microsoft.Search", "Microsoft.Security", "Microsoft.SecurityInsights", "Microsoft.ServiceBus",
  "Microsoft.ServiceFabric", "Microsoft.SignalRService", "Microsoft.Sql", "Microsoft.Storage", "Microsoft.StreamAnalytics", "Microsoft.Web", "microsoft.insights",
];

export const REGISTRATION_SETS: Readonly<Record<string, readonly string[]>> = {
  none: [],
  core: CORE,
  extended: [...CORE, ...EXTENDED_EXTRA],
  all: [...CORE, ...EXTENDED_EXTRA, ...ALL_EXTRA],
  legacy: LEGACY,
};

/** What azurerm would try to register for one provider block of a synthesized stack. */
export function providersToRegister(provider: Readonly<Record<string, unknown>>): string[] {
  const set = String(provider.resource_provider_registrations ?? "legacy");
  const base = REGISTRATION_SETS[set];
  if (!base) throw new Error(`azurerm resource_provider_registrations has value '${set}'; allowed: ${Object.keys(REGISTRATION_SETS).join(", ")}`);
  const extra = Array.isArray(provider.resource_providers_to_register) ? provider.resource_providers_to_register.map(String) : [];
  return [...new Set([...base, ...extra])].sort((a, b) => a.localeCompare(b));
}
