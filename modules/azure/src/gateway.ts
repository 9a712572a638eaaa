import { Annotations } from "cdktf";
import { Construct } from "constructs";
import { AlarmInfo, GatewaySpec, PlatformGateway, NAME_RULES, gatewayRuntimeEnvironment } from "@polycloud/core";
import type { ApiManagement } from "@cdktf/provider-azurerm/lib/api-management";
import { ApiManagementApi } from "@cdktf/provider-azurerm/lib/api-management-api";
import { ApiManagementApiDiagnostic } from "@cdktf/provider-azurerm/lib/api-management-api-diagnostic";
import { ApiManagementApiOperation } from "@cdktf/provider-azurerm/lib/api-management-api-operation";
import { ApiManagementApiOperationPolicy } from "@cdktf/provider-azurerm/lib/api-management-api-operation-policy";
import { ApiManagementApiPolicy } from "@cdktf/provider-azurerm/lib/api-management-api-policy";
import { ApiManagementBackend } from "@cdktf/provider-azurerm/lib/api-management-backend";
import { ApiManagementNamedValue } from "@cdktf/provider-azurerm/lib/api-management-named-value";
import { createMetricAlert } from "./alarm";
import { AzureApiManagement } from "./api-management";
import { AzureContext } from "./context";
import { AzureFunction } from "./function";
import { apiPolicyXml, operationPolicyXml } from "./policy-xml";

export interface AzureApiGatewayProps {
  readonly context: AzureContext;
  readonly logicalId: string;
  readonly spec: GatewaySpec;
  readonly functions: Readonly<Record<string, AzureFunction>>;
  /** The environment's API Management instance (shared tier) this gateway is an API of. */
  readonly front: AzureApiManagement;
  /** The service the gateway belongs to: its API, backends and named values carry its name. */
  readonly serviceName: string;
}

/**
 * The API of a service's gateway on the shared instance: `<service>-<gateway>`, served below the
 * path `<service>/<gateway>` (API Management routes by path; one instance serves every service).
 */
export function apiOf(serviceName: string, gatewayId: string): { name: string; path: string } {
  return { name: `${serviceName}-${gatewayId}`, path: `${serviceName}/${gatewayId}` };
}

/** A function's backend on the shared instance: `<service>-<function>` (its named value: `<backend>-audience`). */
export function backendOf(serviceName: string, functionId: string): string {
  return `${serviceName}-${functionId}`;
}

/** `/orders/{id}` stays; `{proxy+}` becomes APIM's `{*proxy}` wildcard. */
export function urlTemplate(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\+\}/g, "{*$1}");
}

/**
 * One service gateway as an API of the environment's API Management instance (shared tier): an
 * operation per route, a backend per function that admits only the instance's managed identity
 * (Easy Auth on the app; the operation policy sends a token for the app's audience, the client's
 * own Authorization moves to X-Forwarded-Authorization), an API policy with CORS and
 * rate-limit-by-key (this API's own), operation policies with validate-jwt, and a diagnostic to
 * the instance's Application Insights logger. Alarms watch this API only (dimension ApiId).
 */
export class AzureApiGateway extends Construct implements PlatformGateway {
  readonly spec: GatewaySpec;
  readonly url: string;
  readonly service: ApiManagement;
  readonly alarms: AlarmInfo[] = [];

  constructor(scope: Construct, id: string, props: AzureApiGatewayProps) {
    super(scope, id);
    const { context: ctx, spec, logicalId, front } = props;
    this.spec = spec;
    const rg = ctx.resourceGroup;
    const sku = front.sku;
    this.service = front.service;
    const common = { resourceGroupName: rg.name, apiManagementName: this.service.name };
    const names = apiOf(props.serviceName, logicalId);
    const api = new ApiManagementApi(this, "api", {
      ...common,
      name: names.name,
      revision: "1",
      displayName: `${ctx.namer.name(NAME_RULES.azure.generic, logicalId)}`,
      path: names.path,
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
      // The function admits only the instance's managed identity (Easy Auth on the app); the
      // operation policy fetches a token for the app's audience. No function key is read.
      const audience = new ApiManagementNamedValue(this, `audience-${fnId}`, {
        ...common, name: `${backendOf(props.serviceName, fnId)}-audience`, displayName: `${backendOf(props.serviceName, fnId)}-audience`, value: fn.admitOnly(this.service.identity.principalId),
      });
      const backend = new ApiManagementBackend(this, `backend-${fnId}`, {
        ...common,
        name: backendOf(props.serviceName, fnId),
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
        xmlContent: operationPolicyXml(spec, route.authorized !== false, backendOf(props.serviceName, route.function)),
        dependsOn: [backends[route.function]],
      });
    });

    new ApiManagementApiDiagnostic(this, "diagnostic", {
      ...common, apiName: api.name, identifier: "applicationinsights", apiManagementLoggerId: front.logger.id, samplingPercentage: 100, alwaysLogErrors: true, logClientIp: true, verbosity: "information",
    });
    this.url = `${this.service.gatewayUrl}/${names.path}`;
    // The instance serves every service: this gateway's alarms count its own API only (Requests and
    // Duration carry the dimension ApiId, learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/microsoft-apimanagement-service-metrics).
    const onlyThisApi = [{ name: "ApiId", values: [names.name] }];

    const t = ctx.thresholds;
    this.alarms.push(
      createMetricAlert(this, "alarm-5xx", ctx, {
        signal: "gateway.5xx", name: ctx.namer.name(NAME_RULES.azure.generic, logicalId, "5xx"), scope: this.service.id, namespace: "Microsoft.ApiManagement/service",
        metric: "Requests", aggregation: "Total", threshold: t.gateway5xx, dimension: { name: "GatewayResponseCodeCategory", values: ["5XX"] }, dimensions: onlyThisApi,
        description: `API Management ${logicalId} returned more than ${t.gateway5xx} 5xx responses in 5 minutes.`,
      }),
      createMetricAlert(this, "alarm-latency", ctx, {
        signal: "gateway.latencyP99", name: ctx.namer.name(NAME_RULES.azure.generic, logicalId, "duration"), scope: this.service.id, namespace: "Microsoft.ApiManagement/service",
        metric: "Duration", aggregation: "Maximum", threshold: t.gatewayLatencyP99Ms, dimensions: onlyThisApi,
        description: `API Management ${logicalId} slowest request above ${t.gatewayLatencyP99Ms} ms (no p99 in metric alerts; the maximum is stricter).`,
      }),
    );
  }
}
