import { Annotations, Fn, TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { AlarmInfo, GatewaySpec, NAME_RULES, PlatformGateway, Problems, RouteSpec, resolveCors } from "@polycloud/core";
import { ComputeBackendService } from "@cdktf/provider-google/lib/compute-backend-service";
import { ComputeGlobalAddress } from "@cdktf/provider-google/lib/compute-global-address";
import { ComputeGlobalForwardingRule } from "@cdktf/provider-google/lib/compute-global-forwarding-rule";
import { ComputeManagedSslCertificate } from "@cdktf/provider-google/lib/compute-managed-ssl-certificate";
import { ComputeRegionNetworkEndpointGroup } from "@cdktf/provider-google/lib/compute-region-network-endpoint-group";
import { ComputeSecurityPolicy } from "@cdktf/provider-google/lib/compute-security-policy";
import { ComputeSslPolicy } from "@cdktf/provider-google/lib/compute-ssl-policy";
import { ComputeTargetHttpProxy } from "@cdktf/provider-google/lib/compute-target-http-proxy";
import { ComputeTargetHttpsProxy } from "@cdktf/provider-google/lib/compute-target-https-proxy";
import { ComputeUrlMap } from "@cdktf/provider-google/lib/compute-url-map";
import { createAlertPolicy, quote } from "./alarm";
import { GcpContext } from "./context";
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

/** `/orders/{id}` → `/orders/{id=*}`, `/files/{proxy+}` → `/files/{proxy=**}` (URL map path templates). */
export function pathTemplate(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\+\}/g, "{$1=**}").replace(/\{([A-Za-z0-9_]+)\}/g, "{$1=*}");
}

/**
 * The spec's edge settings handed to each routed function. The global load balancer routes by
 * path, rate-limits with Cloud Armor and logs every request, but it cannot check methods, JWTs
 * or answer CORS preflights. The function enforces those from these variables (see
 * `stacks/reference/functions/api/edge.mjs`): it answers OPTIONS with the CORS headers, returns
 * 405/404 for routes not declared, and verifies the bearer token's signature (JWKS of the issuer),
 * `iss`, `aud` and `exp` on every route whose `authorized` is not false.
 */
export function edgeEnvironment(spec: GatewaySpec, fnId: string): Record<string, string> {
  const env: Record<string, string> = {
    PLATFORM_ROUTES: JSON.stringify(spec.routes.filter((r) => r.function === fnId).map((r) => ({ method: r.method, path: r.path, authorized: spec.auth ? r.authorized !== false : false }))),
  };
  if (spec.auth) {
    env.PLATFORM_JWT_ISSUER = spec.auth.issuer;
    env.PLATFORM_JWT_AUDIENCES = JSON.stringify(spec.auth.audiences);
    env.PLATFORM_JWT_JWKS_URI = `${spec.auth.issuer.replace(/\/$/, "")}/.well-known/jwks.json`;
  }
  if (spec.cors) env.PLATFORM_CORS = JSON.stringify(resolveCors(spec.cors, spec));
  return env;
}

/**
 * Global external HTTPS load balancer: a serverless NEG and a logged backend service per routed
 * function, a URL map from the spec's routes, a Cloud Armor policy whose throttle rule implements
 * rate and burst, a managed certificate (TLS 1.2+ policy) or HTTP only in dev.
 */
export class GcpHttpGateway extends Construct implements PlatformGateway {
  readonly spec: GatewaySpec;
  readonly url: string;
  readonly urlMap: ComputeUrlMap;
  readonly securityPolicy: ComputeSecurityPolicy;
  readonly alarms: AlarmInfo[] = [];
  readonly problems: Problems;

  constructor(scope: Construct, id: string, props: GcpHttpGatewayProps) {
    super(scope, id);
    const { context: ctx, spec, logicalId } = props;
    this.spec = spec;
    this.problems = new Problems(`GcpHttpGateway(${logicalId})`);
    const name = (...parts: string[]) => ctx.namer.name(NAME_RULES.gcp.compute, logicalId, ...parts);
    const [computeApi] = ctx.services.enable("compute.googleapis.com");

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

    const backends: Record<string, ComputeBackendService> = {};
    for (const fnId of [...new Set(spec.routes.map((r) => r.function))]) {
      const fn = props.functions[fnId];
      if (!fn) continue; // reported by validation
      const neg = new ComputeRegionNetworkEndpointGroup(this, `neg-${fnId}`, {
        name: name(fnId),
        region: ctx.region,
        networkEndpointType: "SERVERLESS",
        // A gen2 function is a Cloud Run service: the documented NEG form is cloud_run { service }
        // (cloud_function is for 1st gen). The NEG wants the short service name, while the function
        // reports `projects/…/locations/…/services/<name>`: keep the last segment.
        cloudRun: { service: Fn.regex("[^/]+$", fn.fn.serviceConfig.service) },
        dependsOn: [computeApi],
      });
      backends[fnId] = new ComputeBackendService(this, `backend-${fnId}`, {
        name: name(fnId),
        loadBalancingScheme: "EXTERNAL_MANAGED",
        protocol: "HTTPS",
        backend: [{ group: neg.id }],
        securityPolicy: this.securityPolicy.id,
        logConfig: { enable: true, sampleRate: 1 },
      });
      fn.exposeToLoadBalancer();
      // The serverless NEG forwards without an identity, so the invoker must be allUsers; the
      // function's ingress (internal + load balancer) is what keeps everyone else out.
      fn.grantInvoke(`gateway-${logicalId}`, "allUsers");
      for (const [k, v] of Object.entries(edgeEnvironment(spec, fnId))) fn.addEnvironment(k, v);
    }

    const routeRules = this.routeRules(spec.routes, backends);
    const first = Object.values(backends)[0];
    this.urlMap = new ComputeUrlMap(this, "url-map", {
      name: name(),
      defaultService: first?.id,
      hostRule: [{ hosts: ["*"], pathMatcher: "routes" }],
      pathMatcher: [{ name: "routes", defaultService: first?.id, routeRules }],
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
    const rule = `resource.type="https_lb_rule" AND resource.labels.url_map_name=${quote(name())}`;
    this.alarms.push(
      createAlertPolicy(this, "alarm-5xx", ctx, {
        signal: "gateway.5xx", name: `${name()} 5xx`, threshold: t.gateway5xx, reducer: "REDUCE_SUM",
        filter: `metric.type="loadbalancing.googleapis.com/https/request_count" AND ${rule} AND metric.labels.response_code_class=500`,
        documentation: `The ${logicalId} load balancer returned more than ${t.gateway5xx} 5xx responses in 5 minutes.`,
      }),
      createAlertPolicy(this, "alarm-latency", ctx, {
        signal: "gateway.latencyP99", name: `${name()} p99 latency`, threshold: t.gatewayLatencyP99Ms, aligner: "ALIGN_PERCENTILE_99",
        filter: `metric.type="loadbalancing.googleapis.com/https/total_latencies" AND ${rule}`,
        documentation: `The ${logicalId} load balancer's p99 latency is above ${t.gatewayLatencyP99Ms} ms.`,
      }),
    );
    this.node.addValidation({ validate: () => this.problems.messages() });
  }

  /** One route rule per distinct path; methods are checked by the function (the URL map cannot). */
  private routeRules(routes: readonly RouteSpec[], backends: Record<string, ComputeBackendService>) {
    const byPath = new Map<string, RouteSpec>();
    const rules: { priority: number; matchRules: object[]; service: string }[] = [];
    for (const route of routes) {
      const seen = byPath.get(route.path);
      if (seen) {
        if (seen.function !== route.function) {
          this.problems.add(`routes[${route.method} ${route.path}].function`, route.function, `"${seen.function}": the load balancer routes by path only, so one path cannot go to two functions on GCP`);
        }
        continue;
      }
      byPath.set(route.path, route);
      const backend = backends[route.function];
      if (!backend) continue;
      const match = /\{/.test(route.path) ? { pathTemplateMatch: pathTemplate(route.path) } : { fullPathMatch: route.path };
      rules.push({ priority: rules.length + 1, matchRules: [match], service: backend.id });
    }
    return rules;
  }
}
