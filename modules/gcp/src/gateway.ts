import { Annotations, Fn, ITerraformDependable, TerraformOutput, Token } from "cdktf";
import { Construct } from "constructs";
import { AlarmInfo, GatewaySpec, NAME_RULES, PlatformGateway, Problems, escapeTerraform, gatewayRuntimeEnvironment, jwksUriOf, usesRuntime } from "@polycloud/core";
import { GoogleApiGatewayApi } from "@cdktf/provider-google-beta/lib/google-api-gateway-api";
import { GoogleApiGatewayApiConfigA } from "@cdktf/provider-google-beta/lib/google-api-gateway-api-config";
import { GoogleApiGatewayGateway } from "@cdktf/provider-google-beta/lib/google-api-gateway-gateway";
import { GoogleComputeRegionNetworkEndpointGroup } from "@cdktf/provider-google-beta/lib/google-compute-region-network-endpoint-group";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { ComputeBackendService } from "@cdktf/provider-google/lib/compute-backend-service";
import { ComputeGlobalAddress } from "@cdktf/provider-google/lib/compute-global-address";
import { ComputeGlobalForwardingRule } from "@cdktf/provider-google/lib/compute-global-forwarding-rule";
import { ComputeManagedSslCertificate } from "@cdktf/provider-google/lib/compute-managed-ssl-certificate";
import { ComputeSecurityPolicy } from "@cdktf/provider-google/lib/compute-security-policy";
import { ComputeSslPolicy } from "@cdktf/provider-google/lib/compute-ssl-policy";
import { ComputeTargetHttpProxy } from "@cdktf/provider-google/lib/compute-target-http-proxy";
import { ComputeTargetHttpsProxy } from "@cdktf/provider-google/lib/compute-target-https-proxy";
import { ComputeUrlMap } from "@cdktf/provider-google/lib/compute-url-map";
import { resourceVariable } from "./alert-conditions";
import { GcpContext, betaProvider } from "./context";
import { GcpFunction } from "./function";
import { ARMOR_INTERVALS, ARMOR_MAX_THROTTLE_COUNT } from "./limits";

export interface GcpHttpGatewayProps {
  readonly context: GcpContext;
  readonly logicalId: string;
  readonly spec: GatewaySpec;
  readonly functions: Readonly<Record<string, GcpFunction>>;
}

/**
 * Cloud Armor's throttle counts requests per fixed interval, while API Gateway's stage limit is a
 * token bucket (rate R per second, burst B): in any T seconds it admits at most B + R·T. The rule
 * uses the shortest interval Cloud Armor accepts (10 s; see ARMOR_INTERVALS) with B + R·T, so a
 * full burst always passes and the sustained rate is R. The approximation: within one interval the
 * B + R·T requests may all arrive at once (at most R·(T−1) more in one second than a token bucket
 * admits), and each interval starts afresh instead of refilling gradually.
 */
export function throttleThreshold(rateLimit: number, burstLimit: number): { count: number; intervalSec: number } {
  const intervalSec = ARMOR_INTERVALS[0];
  return { count: burstLimit + rateLimit * intervalSec, intervalSec };
}

/**
 * The spec's edge settings handed to each routed function. API Gateway routes by method and path
 * and checks JWTs, but forwards CORS preflights to the backend and adds no CORS headers; Cloud
 * Armor rate-limits. `@polycloud/runtime` (Node and Python) answers CORS from these variables
 * and checks methods, paths and the bearer token again itself, so the function holds the verified
 * claims (see core's `gatewayRuntimeEnvironment`). The JWKS URL is the one API Gateway is given.
 */
export function edgeEnvironment(spec: GatewaySpec, fnId: string): Record<string, string> {
  return gatewayRuntimeEnvironment(spec, fnId, { cors: true, jwt: true }, jwksUriOf);
}

/** Seconds API Gateway waits for a function (`x-google-backend.deadline`; its default is 15). */
export const GATEWAY_DEADLINE_SECONDS = 60;

/** OpenAPI 2.0 method keys for the spec's methods (`ANY` expands to all of them). */
const OPENAPI_METHODS = ["get", "post", "put", "patch", "delete", "head", "options"] as const;

/**
 * The API Gateway (ESPv2) OpenAPI 2.0 document for the spec's routes: one operation per
 * method × path, each with an `x-google-backend` to its function's URL (path appended, the
 * function URL as the ID-token audience), and the JWT security requirement on every route whose
 * `authorized` is not false. Built as an object and serialized with JSON.stringify, so user
 * strings (paths, issuer, audiences) are always escaped; JSON is valid YAML for API Gateway.
 * `addresses` maps function id → URL (a Terraform token in the stack, a literal in tests).
 */
export function openApiDocument(spec: GatewaySpec, title: string, addresses: Readonly<Record<string, string>>, p?: Problems): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  spec.routes.forEach((route, i) => {
    if (/\{[^}]*\+\}/.test(route.path)) {
      p?.add(`routes[${i}].path`, route.path, "a path without a greedy {name+} segment on GCP (API Gateway matches whole segments only)");
      return;
    }
    const address = addresses[route.function];
    if (!address) return; // unknown function: reported by validation
    const params = [...route.path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => ({ in: "path", name: m[1], required: true, type: "string" }));
    const item = (paths[route.path] ??= {});
    const methods = route.method === "ANY" ? OPENAPI_METHODS : [route.method.toLowerCase()];
    for (const method of methods) {
      if (item[method]) {
        p?.add(`routes[${i}]`, `${route.method} ${route.path}`, "one route per method and path");
        continue;
      }
      item[method] = {
        operationId: `r${i}-${method}`,
        ...(params.length ? { parameters: params } : {}),
        "x-google-backend": { address, path_translation: "APPEND_PATH_TO_ADDRESS", jwt_audience: address, deadline: GATEWAY_DEADLINE_SECONDS },
        // A CORS preflight carries no credentials: the OPTIONS that ANY expands to stays open when
        // CORS is on (on AWS, ANY is split so that API Gateway answers the preflight itself).
        ...(spec.auth && route.authorized !== false && !(spec.cors && route.method === "ANY" && method === "options") ? { security: [{ jwt: [] }] } : {}),
        responses: { default: { description: "response of the function" } },
      };
    }
  });
  // Browsers send CORS preflights without credentials: answered by the path's function, unauthenticated.
  if (spec.cors) {
    for (const [path, item] of Object.entries(paths)) {
      if (item.options) continue;
      const first = Object.values(item)[0] as { parameters?: unknown; "x-google-backend": unknown };
      item.options = { operationId: `cors-${Object.keys(paths).indexOf(path)}`, ...(first.parameters ? { parameters: first.parameters } : {}), "x-google-backend": first["x-google-backend"], responses: { default: { description: "CORS preflight" } } };
    }
  }
  const doc: Record<string, unknown> = {
    swagger: "2.0",
    info: { title, version: "1.0.0" },
    schemes: ["https"],
    produces: ["application/json"],
    paths,
  };
  if (spec.auth) {
    doc.securityDefinitions = {
      jwt: {
        type: "oauth2",
        flow: "implicit",
        authorizationUrl: "",
        "x-google-issuer": spec.auth.issuer,
        "x-google-jwks_uri": jwksUriOf(spec.auth),
        "x-google-audiences": spec.auth.audiences.join(","),
      },
    };
  }
  return doc;
}

/**
 * CDKTF writes the strings of an object passed to a Terraform function (here jsonencode) between
 * quotes without escaping them, so a quote, backslash or newline in a user string would end the
 * HCL literal and inject an expression. Every plain string and key is escaped as an HCL string
 * body (template sequences doubled too); Terraform references (tokens) are left alone.
 */
export function hclLiterals(value: unknown): unknown {
  const esc = (t: string) => Token.isUnresolved(t) ? t : escapeTerraform(t.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t"));
  if (typeof value === "string") return esc(value);
  if (Array.isArray(value)) return value.map(hclLiterals);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [esc(k), hclLiterals(v)]));
  return value;
}

/**
 * Global external HTTPS load balancer in front of API Gateway: Cloud Armor (throttle) on the one
 * backend service, whose serverless NEG points at an API Gateway gateway
 * (`serverless_deployment.platform = apigateway.googleapis.com`, google-beta only in provider 6.50).
 * API Gateway routes by method and path, and checks the JWT (signature from the issuer's JWKS,
 * `iss`, `aud`, `exp`) on every authorized route before any function runs, whatever its runtime.
 * It calls each function with an ID token of its own service account, the only invoker of the
 * routed functions. A managed certificate (TLS 1.2+ policy), or HTTP only in dev.
 */
export class GcpHttpGateway extends Construct implements PlatformGateway {
  readonly spec: GatewaySpec;
  readonly url: string;
  readonly urlMap: ComputeUrlMap;
  readonly securityPolicy: ComputeSecurityPolicy;
  readonly apiConfig: GoogleApiGatewayApiConfigA;
  readonly alarms: AlarmInfo[] = [];
  readonly problems: Problems;

  constructor(scope: Construct, id: string, props: GcpHttpGatewayProps) {
    super(scope, id);
    const { context: ctx, spec, logicalId } = props;
    this.spec = spec;
    this.problems = new Problems(`GcpHttpGateway(${logicalId})`);
    const name = (...parts: string[]) => ctx.namer.name(NAME_RULES.gcp.compute, logicalId, ...parts);
    const [computeApi] = ctx.services.enable("compute.googleapis.com");
    const gatewayApis = ctx.services.enable("apigateway.googleapis.com", "servicemanagement.googleapis.com", "servicecontrol.googleapis.com");

    const { rateLimit, burstLimit } = spec.throttle;
    const threshold = throttleThreshold(rateLimit, burstLimit);
    if (threshold.count > ARMOR_MAX_THROTTLE_COUNT) {
      this.problems.add("throttle", { rateLimit, burstLimit },
        `burstLimit + rateLimit × ${threshold.intervalSec} at most ${ARMOR_MAX_THROTTLE_COUNT} (Cloud Armor's throttle count limit per ${threshold.intervalSec} s interval)`);
    }
    this.securityPolicy = new ComputeSecurityPolicy(this, "armor", {
      name: name("armor"),
      description: `rate ${rateLimit}/s, burst ${burstLimit}`,
      type: "CLOUD_ARMOR",
      rule: [
        {
          action: "throttle",
          priority: 1000,
          description: `spec throttle: ${rateLimit} req/s with a burst of ${burstLimit}`,
          match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } },
          rateLimitOptions: {
            conformAction: "allow",
            exceedAction: "deny(429)",
            // Gateway-wide, like the API Gateway stage limit (not per client).
            enforceOnKey: "ALL",
            rateLimitThreshold: threshold,
          },
        },
        { action: "allow", priority: 2147483647, description: "default", match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } } },
      ],
      dependsOn: [computeApi],
    });

    // The identity API Gateway calls the functions with: their only invoker.
    const [iamApi] = ctx.services.enable("iam.googleapis.com");
    const invoker = new ServiceAccount(this, "backend-sa", {
      accountId: ctx.namer.name(NAME_RULES.gcp.serviceAccount, logicalId, "gw"),
      displayName: `${name()} API Gateway backend identity`,
      dependsOn: [iamApi],
    });
    if (spec.auth && spec.auth.jwksUri === undefined) {
      // API Gateway has no OpenID discovery: a wrong JWKS URL rejects every token on GCP only.
      const discovery = `${spec.auth.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
      Annotations.of(this).addWarning(
        `GcpHttpGateway(${logicalId}): property 'auth.jwksUri' is unset, so API Gateway checks tokens against ${jwksUriOf(spec.auth)} (GCP has no OpenID discovery; right for Auth0 and Cognito, not for Google, Okta or Entra ID). Set it to the jwks_uri in ${discovery}.`,
      );
    }
    // API Gateway always serves its own `<gateway>-<hash>.<region>.gateway.dev` host too, and it
    // cannot be switched off or fronted by Cloud Armor: the JWT check and routes hold there, the
    // rate limit does not (docs/parity.md, "Settings a cloud cannot honour").
    Annotations.of(this).addWarning(
      `GcpHttpGateway(${logicalId}): property 'throttle' (rate ${spec.throttle.rateLimit}/s, burst ${spec.throttle.burstLimit}) is enforced by Cloud Armor on the load balancer only; API Gateway's own *.gateway.dev hostname stays reachable and skips it (JWT and routes still apply there), so a client that calls it directly is not rate limited.`,
    );
    const beta = betaProvider(this);
    const addresses: Record<string, string> = {};
    const grants: ITerraformDependable[] = [];
    for (const fnId of [...new Set(spec.routes.map((r) => r.function))]) {
      const fn = props.functions[fnId];
      if (!fn) continue; // reported by validation
      addresses[fnId] = fn.url;
      if (fn.spec.timeoutSeconds > GATEWAY_DEADLINE_SECONDS) {
        Annotations.of(this).addWarning(
          `GcpHttpGateway(${logicalId}): function '${fnId}' has timeoutSeconds = ${fn.spec.timeoutSeconds}, but API Gateway stops waiting for the backend after ${GATEWAY_DEADLINE_SECONDS} seconds (x-google-backend deadline): longer requests get 504 at the edge while the function runs on.`,
        );
      }
      if ((spec.cors || spec.auth) && fn.spec.runtime.startsWith("nodejs") && !usesRuntime(fn.spec.source ?? ".")) {
        // API Gateway forwards preflights and adds no CORS headers; only the runtime answers them.
        Annotations.of(this).addWarning(
          `GcpHttpGateway(${logicalId}): function '${fnId}' does not depend on @polycloud/runtime, so on GCP nothing answers its CORS preflights or adds CORS headers, and its handler gets the raw Functions Framework request (Authorization holds API Gateway's ID token; the client's is X-Forwarded-Authorization). Build it on @polycloud/runtime's http().`,
        );
      }
      fn.exposeToApiGateway();
      grants.push(fn.grantInvoke(`gateway-${logicalId}`, `serviceAccount:${invoker.email}`));
      for (const [k, v] of Object.entries(edgeEnvironment(spec, fnId))) fn.addEnvironment(k, v);
    }
    const document = Fn.jsonencode(hclLiterals(openApiDocument(spec, `${ctx.env.name} ${logicalId}`, addresses, this.problems)));

    const api = new GoogleApiGatewayApi(this, "api", {
      provider: beta,
      apiId: name(),
      labels: { ...ctx.labels, component: "gateway" },
      dependsOn: gatewayApis,
    });
    this.apiConfig = new GoogleApiGatewayApiConfigA(this, "api-config", {
      provider: beta,
      api: api.apiId,
      // The provider appends a 26-character unique suffix; config ids are at most 63 characters.
      apiConfigIdPrefix: `${name().slice(0, 63 - 26 - 1)}-`,
      openapiDocuments: [{ document: { path: "openapi.json", contents: Fn.base64encode(document) } }],
      gatewayConfig: { backendConfig: { googleServiceAccount: invoker.email } },
      labels: { ...ctx.labels, component: "gateway" },
      // A new config replaces the one the gateway serves before the old one is deleted.
      lifecycle: { createBeforeDestroy: true },
      dependsOn: gatewayApis,
    });
    const gateway = new GoogleApiGatewayGateway(this, "gateway", {
      provider: beta,
      gatewayId: ctx.namer.name(NAME_RULES.gcp.apiGatewayGateway, logicalId),
      apiConfig: this.apiConfig.id,
      region: ctx.region,
      labels: { ...ctx.labels, component: "gateway" },
      dependsOn: [...gatewayApis, ...grants],
    });
    const neg = new GoogleComputeRegionNetworkEndpointGroup(this, "neg", {
      provider: beta,
      name: name("apigw"),
      region: ctx.region,
      networkEndpointType: "SERVERLESS",
      serverlessDeployment: { platform: "apigateway.googleapis.com", resource: gateway.gatewayId },
      dependsOn: [computeApi],
    });
    const backend = new ComputeBackendService(this, "backend", {
      name: name("apigw"),
      loadBalancingScheme: "EXTERNAL_MANAGED",
      protocol: "HTTPS",
      backend: [{ group: neg.id }],
      securityPolicy: this.securityPolicy.id,
      logConfig: { enable: true, sampleRate: 1 },
    });
    this.urlMap = new ComputeUrlMap(this, "url-map", {
      name: name(),
      defaultService: backend.id,
      dependsOn: [computeApi],
    });

    const domains = ctx.spec.gatewayDomains ?? [];
    const address = new ComputeGlobalAddress(this, "address", { name: name("ip"), addressType: "EXTERNAL", ipVersion: "IPV4", dependsOn: [computeApi] });
    if (domains.length > 0) {
      const cert = new ComputeManagedSslCertificate(this, "cert", { name: name("cert"), managed: { domains: [...domains] }, dependsOn: [computeApi] });
      const sslPolicy = new ComputeSslPolicy(this, "tls", { name: name("tls"), minTlsVersion: "TLS_1_2", profile: "MODERN", dependsOn: [computeApi] });
      const proxy = new ComputeTargetHttpsProxy(this, "https-proxy", { name: name("https"), urlMap: this.urlMap.id, sslCertificates: [cert.id], sslPolicy: sslPolicy.id });
      new ComputeGlobalForwardingRule(this, "https", { name: name("https"), target: proxy.id, portRange: "443", ipAddress: address.id, loadBalancingScheme: "EXTERNAL_MANAGED" });
      this.url = `https://${domains[0]}`;
      // Plain HTTP on the same address only redirects to HTTPS (301), keeping the query string.
      const redirect = new ComputeUrlMap(this, "http-redirect", {
        name: name("redirect"),
        defaultUrlRedirect: { httpsRedirect: true, redirectResponseCode: "MOVED_PERMANENTLY_DEFAULT", stripQuery: false },
        dependsOn: [computeApi],
      });
      const httpProxy = new ComputeTargetHttpProxy(this, "http-redirect-proxy", { name: name("redirect"), urlMap: redirect.id });
      new ComputeGlobalForwardingRule(this, "http-redirect-rule", { name: name("redirect"), target: httpProxy.id, portRange: "80", ipAddress: address.id, loadBalancingScheme: "EXTERNAL_MANAGED" });
      // The managed certificate stays PROVISIONING until each domain resolves to the load balancer.
      new TerraformOutput(this, "dns-records", {
        description: `DNS records the managed certificate of gateway ${logicalId} waits for: an A record per domain to the load balancer address`,
        value: domains.map((domain) => ({ name: `${domain}.`, type: "A", ttl: 300, rrdatas: [address.address] })),
      });
    } else {
      if (ctx.env.name === "dev") {
        Annotations.of(this).addWarning(`GcpHttpGateway(${logicalId}): environments/dev has no clouds.gcp.gatewayDomains, so the load balancer serves plain HTTP on port 80 (dev only).`);
      } else {
        this.problems.add(`environments/${ctx.env.name}.clouds.gcp.gatewayDomains`, domains, "at least one domain for the managed certificate (plain HTTP is allowed in dev only)");
      }
      const proxy = new ComputeTargetHttpProxy(this, "http-proxy", { name: name("http"), urlMap: this.urlMap.id });
      new ComputeGlobalForwardingRule(this, "http", { name: name("http"), target: proxy.id, portRange: "80", ipAddress: address.id, loadBalancingScheme: "EXTERNAL_MANAGED" });
      this.url = `http://${address.address}`;
    }

    const t = ctx.thresholds;
    // One condition per measurement and threshold for the whole stack (alert-conditions.ts), each load balancer its own series.
    const lb = (m: string) => `metric.type="loadbalancing.googleapis.com/https/${m}" AND resource.type="https_lb_rule"`;
    const on = { nameLabel: "url_map_name", resourceName: name() };
    this.alarms.push(
      ctx.alerts.watch({
        ...on, id: "gateway-5xx", signal: "gateway.5xx", name: `${name()} 5xx`, title: "Load balancer 5xx", threshold: t.gateway5xx, reducer: "REDUCE_SUM",
        filter: `${lb("request_count")} AND metric.labels.response_code_class=500`,
        documentation: `The load balancer ${resourceVariable("url_map_name")} returned more than ${t.gateway5xx} 5xx responses in 5 minutes.`,
      }),
      ctx.alerts.watch({
        ...on, id: "gateway-latency", signal: "gateway.latencyP99", name: `${name()} p99 latency`, title: "Load balancer p99 latency (ms)", threshold: t.gatewayLatencyP99Ms, aligner: "ALIGN_PERCENTILE_99",
        filter: lb("total_latencies"),
        documentation: `The load balancer ${resourceVariable("url_map_name")}'s p99 latency is above ${t.gatewayLatencyP99Ms} ms.`,
      }),
    );
    this.node.addValidation({ validate: () => this.problems.messages() });
  }
}
