import { Annotations } from "cdktf";
import { Construct } from "constructs";
import { AlarmInfo, GatewaySpec, PlatformGateway, NAME_RULES, gatewayRuntimeEnvironment } from "@polycloud/core";
import { ApiManagement } from "@cdktf/provider-azurerm/lib/api-management";
import { ApiManagementApi } from "@cdktf/provider-azurerm/lib/api-management-api";
import { ApiManagementApiDiagnostic } from "@cdktf/provider-azurerm/lib/api-management-api-diagnostic";
import { ApiManagementApiOperation } from "@cdktf/provider-azurerm/lib/api-management-api-operation";
import { ApiManagementApiOperationPolicy } from "@cdktf/provider-azurerm/lib/api-management-api-operation-policy";
import { ApiManagementApiPolicy } from "@cdktf/provider-azurerm/lib/api-management-api-policy";
import { ApiManagementBackend } from "@cdktf/provider-azurerm/lib/api-management-backend";
import { ApiManagementLogger } from "@cdktf/provider-azurerm/lib/api-management-logger";
import { ApiManagementNamedValue } from "@cdktf/provider-azurerm/lib/api-management-named-value";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { createMetricAlert } from "./alarm";
import { AzureContext } from "./context";
import { AzureFunction } from "./function";
import { apiPolicyXml, operationPolicyXml } from "./policy-xml";

export interface AzureApiGatewayProps {
  readonly context: AzureContext;
  readonly logicalId: string;
  readonly spec: GatewaySpec;
  readonly functions: Readonly<Record<string, AzureFunction>>;
}

/** `/orders/{id}` stays; `{proxy+}` becomes APIM's `{*proxy}` wildcard. */
export function urlTemplate(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\+\}/g, "{*$1}");
}

/** True for the classic tiers (Developer, Basic, Standard, Premium), where cipher settings can change. */
export function apimSupportsCipherSettings(sku: string): boolean {
  return /^(Developer|Basic|Standard|Premium)_\d+$/.test(sku);
}

/**
 * API Management (SKU from the environment: Consumption in dev, a v2 tier in prod), one API with
 * an operation per route, a backend per function that admits only this gateway's managed identity
 * (Easy Auth on the app; the operation policy sends a token for the app's audience, the client's
 * own Authorization moves to X-Forwarded-Authorization),
 * an API policy with CORS and rate-limit-by-key, operation policies with validate-jwt, an
 * Application Insights logger and diagnostic, and GatewayLogs to Log Analytics.
 */
export class AzureApiGateway extends Construct implements PlatformGateway {
  readonly spec: GatewaySpec;
  readonly url: string;
  readonly service: ApiManagement;
  readonly alarms: AlarmInfo[] = [];

  constructor(scope: Construct, id: string, props: AzureApiGatewayProps) {
    super(scope, id);
    const { context: ctx, spec, logicalId } = props;
    this.spec = spec;
    const rg = ctx.resourceGroup;
    const sku = ctx.spec.apiManagementSku ?? "Consumption_0";
    this.service = new ApiManagement(this, "apim", {
      name: ctx.globalName(NAME_RULES.azure.apim, logicalId),
      resourceGroupName: rg.name,
      location: rg.location,
      publisherName: `${ctx.namer.name(NAME_RULES.azure.generic)} platform`,
      publisherEmail: ctx.env.alarms?.recipients?.[0] ?? "platform@example.com",
      skuName: sku,
      identity: { type: "SystemAssigned" },
      minApiVersion: "2021-08-01",
      protocols: { http2Enabled: true },
      // Cipher and protocol flags only exist on the classic tiers; Consumption and the v2 tiers
      // (BasicV2, StandardV2, PremiumV2) do not let them change (a 400, or a diff on every plan).
      security: apimSupportsCipherSettings(sku) ? { tlsRsaWithAes128CbcShaCiphersEnabled: false, tlsRsaWithAes256CbcShaCiphersEnabled: false } : undefined,
    });
    const common = { resourceGroupName: rg.name, apiManagementName: this.service.name };
    const api = new ApiManagementApi(this, "api", {
      ...common,
      name: logicalId,
      revision: "1",
      displayName: `${ctx.namer.name(NAME_RULES.azure.generic, logicalId)}`,
      path: "",
      protocols: ["https"],
      subscriptionRequired: false,
    });
    const consumption = sku.startsWith("Consumption");
    if (consumption) {
      Annotations.of(this).addWarning(
        `AzureApiGateway(${logicalId}): property 'throttle' (rate ${spec.throttle.rateLimit}/s, burst ${spec.throttle.burstLimit}) cannot be honoured on the Consumption tier, which has no rate-limit-by-key; choose clouds.azure.apiManagementSku BasicV2_1 or higher to enforce it.`,
      );
    }
    new ApiManagementApiPolicy(this, "api-policy", { ...common, apiName: api.name, xmlContent: apiPolicyXml(spec, { rateLimit: !consumption }) });

    const backends: Record<string, ApiManagementBackend> = {};
    for (const fnId of [...new Set(spec.routes.map((r) => r.function))]) {
      const fn = props.functions[fnId];
      if (!fn) continue; // reported by validation
      // API Management answers CORS and checks tokens; the runtime checks the token again so the
      // handler gets the verified claims (and a call that skips the gateway gets no identity).
      for (const [k, v] of Object.entries(gatewayRuntimeEnvironment(spec, fnId, { cors: false, jwt: true }))) fn.addSetting(k, v);
      // The function admits only this gateway's managed identity (Easy Auth on the app); the
      // operation policy fetches a token for the app's audience. No function key is read.
      const audience = new ApiManagementNamedValue(this, `audience-${fnId}`, {
        ...common, name: `${fnId}-audience`, displayName: `${fnId}-audience`, value: fn.admitOnly(this.service.identity.principalId),
      });
      const backend = new ApiManagementBackend(this, `backend-${fnId}`, {
        ...common,
        name: fnId,
        protocol: "http",
        url: `https://${fn.defaultHostname}/api`,
        resourceId: `https://management.azure.com${fn.app.id}`,
        tls: { validateCertificateChain: true, validateCertificateName: true },
        dependsOn: [audience],
      });
      backends[fnId] = backend;
    }
    spec.routes.forEach((route, i) => {
      if (!backends[route.function]) return;
      const operationId = `r${i}-${route.method.toLowerCase()}`;
      const params = [...route.path.matchAll(/\{([A-Za-z0-9_]+)\+?\}/g)].map((m) => m[1]);
      const op = new ApiManagementApiOperation(this, `op-${i}`, {
        ...common,
        apiName: api.name,
        operationId,
        displayName: `${route.method} ${route.path}`,
        method: route.method === "ANY" ? "*" : route.method,
        urlTemplate: urlTemplate(route.path),
        templateParameter: params.map((name) => ({ name, required: true, type: "string" })),
      });
      new ApiManagementApiOperationPolicy(this, `op-${i}-policy`, {
        ...common,
        apiName: api.name,
        operationId: op.operationId,
        // The literal backend name (a validated id), not a token: the XML escaping must not touch references.
        xmlContent: operationPolicyXml(spec, route.authorized !== false, route.function),
        dependsOn: [backends[route.function]],
      });
    });

    const logger = new ApiManagementLogger(this, "logger", { ...common, name: "insights", resourceId: ctx.insights.id, applicationInsights: { connectionString: ctx.insights.connectionString } });
    new ApiManagementApiDiagnostic(this, "diagnostic", {
      ...common, apiName: api.name, identifier: "applicationinsights", apiManagementLoggerId: logger.id, samplingPercentage: 100, alwaysLogErrors: true, logClientIp: true, verbosity: "information",
    });
    new MonitorDiagnosticSetting(this, "gateway-logs", {
      name: "gateway-logs",
      targetResourceId: this.service.id,
      logAnalyticsWorkspaceId: ctx.workspace.id,
      enabledLog: [{ category: "GatewayLogs" }],
    });
    this.url = this.service.gatewayUrl;

    const t = ctx.thresholds;
    this.alarms.push(
      createMetricAlert(this, "alarm-5xx", ctx, {
        signal: "gateway.5xx", name: ctx.namer.name(NAME_RULES.azure.generic, logicalId, "5xx"), scope: this.service.id, namespace: "Microsoft.ApiManagement/service",
        metric: "Requests", aggregation: "Total", threshold: t.gateway5xx, dimension: { name: "GatewayResponseCodeCategory", values: ["5XX"] },
        description: `API Management ${logicalId} returned more than ${t.gateway5xx} 5xx responses in 5 minutes.`,
      }),
      createMetricAlert(this, "alarm-latency", ctx, {
        signal: "gateway.latencyP99", name: ctx.namer.name(NAME_RULES.azure.generic, logicalId, "duration"), scope: this.service.id, namespace: "Microsoft.ApiManagement/service",
        metric: "Duration", aggregation: "Maximum", threshold: t.gatewayLatencyP99Ms,
        description: `API Management ${logicalId} slowest request above ${t.gatewayLatencyP99Ms} ms (no p99 in metric alerts; the maximum is stricter).`,
      }),
    );
  }
}
