import { Construct } from "constructs";
import { NAME_RULES } from "@polycloud/core";
import { ApiManagement } from "@cdktf/provider-azurerm/lib/api-management";
import { ApiManagementLogger } from "@cdktf/provider-azurerm/lib/api-management-logger";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { AzureContext } from "./context";

/** True for the classic tiers (Developer, Basic, Standard, Premium), where cipher settings can change. */
export function apimSupportsCipherSettings(sku: string): boolean {
  return /^(Developer|Basic|Standard|Premium)_\d+$/.test(sku);
}

/**
 * The environment's one API Management instance (shared tier; SKU from the environment:
 * Consumption in dev, a v2 tier in prod), its system identity (the identity every service's
 * function admits), an Application Insights logger the services' API diagnostics write to, and
 * GatewayLogs to Log Analytics. Each service's gateway is an API on it (AzureApiGateway).
 */
export class AzureApiManagement extends Construct {
  readonly service: ApiManagement;
  readonly logger: ApiManagementLogger;
  readonly sku: string;

  constructor(scope: Construct, id: string, ctx: AzureContext) {
    super(scope, id);
    const rg = ctx.resourceGroup;
    this.sku = ctx.spec.apiManagementSku ?? "Consumption_0";
    this.service = new ApiManagement(this, "apim", {
      name: ctx.globalName(NAME_RULES.azure.apim, "gateway"),
      resourceGroupName: rg.name,
      location: rg.location,
      publisherName: `${ctx.namer.name(NAME_RULES.azure.generic)} platform`,
      publisherEmail: ctx.env.alarms?.recipients?.[0] ?? "platform@example.com",
      skuName: this.sku,
      identity: { type: "SystemAssigned" },
      minApiVersion: "2021-08-01",
      protocols: { http2Enabled: true },
      // Cipher and protocol flags only exist on the classic tiers; Consumption and the v2 tiers
      // (BasicV2, StandardV2, PremiumV2) do not let them change (a 400, or a diff on every plan).
      security: apimSupportsCipherSettings(this.sku) ? { tlsRsaWithAes128CbcShaCiphersEnabled: false, tlsRsaWithAes256CbcShaCiphersEnabled: false } : undefined,
    });
    this.logger = new ApiManagementLogger(this, "logger", {
      resourceGroupName: rg.name, apiManagementName: this.service.name, name: "insights", resourceId: ctx.insights.id, applicationInsights: { connectionString: ctx.insights.connectionString },
    });
    new MonitorDiagnosticSetting(this, "gateway-logs", {
      name: "gateway-logs",
      targetResourceId: this.service.id,
      logAnalyticsWorkspaceId: ctx.workspace.id,
      enabledLog: [{ category: "GatewayLogs" }],
    });
  }
}
