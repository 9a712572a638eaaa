import { EmulationHost, HttpAnswer, HttpExchange, componentKeyOf, parseTraversal, textAnswer } from "@polycloud/core";
import { GcpApiGateway } from "./api-gateway";
import { CloudFunctions } from "./cloud-functions";
import { GcpValues } from "./values";

const ref = (v: unknown) => parseTraversal(String(v ?? "").replace(/^\$\{|\}$/g, ""));

/**
 * The external HTTPS load balancer in front of a service: forwarding rule → proxy → URL map
 * (default service and path rules) → backend service with its Cloud Armor policy → serverless
 * NEG (API Gateway, a Cloud Run service or a function). Cloud Armor rules are evaluated by
 * priority: source ranges (the caller is 127.0.0.1 here, `*` matches everyone), allow, deny and
 * throttle (fixed windows of interval_sec, per key ALL or IP). CEL expressions are not evaluated
 * (logged once and skipped).
 */
export class LoadBalancer {
  readonly key: string;
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly host: EmulationHost, private readonly values: GcpValues, private readonly functions: CloudFunctions, private readonly gateways: GcpApiGateway[], readonly urlMap: string) {
    this.key = componentKeyOf(urlMap) ?? urlMap;
  }

  private backendFor(path: string): { service: any; address: string } | undefined {
    const map = this.values.resource("google_compute_url_map", this.urlMap);
    let serviceRef = map.default_service;
    for (const matcher of map.path_matcher ?? []) {
      for (const rule of matcher.path_rule ?? []) {
        if ((rule.paths ?? []).some((p: string) => (p.endsWith("/*") ? path.startsWith(p.slice(0, -1)) || path === p.slice(0, -2) : path === p))) serviceRef = rule.service;
      }
    }
    const t = ref(serviceRef);
    return t && t.type === "google_compute_backend_service" ? { service: this.values.resource(t.type, t.name), address: t.name } : undefined;
  }

  private armor(service: any): HttpAnswer | undefined {
    const t = ref(service.security_policy);
    if (!t) return undefined;
    const policy = this.values.resolve(this.values.resource(t.type, t.name));
    const rules = [...(policy.rule ?? [])].sort((a: any, b: any) => Number(a.priority) - Number(b.priority));
    const deny = (action: string) => { const m = /^deny\((\d+)\)$/.exec(action); return textAnswer(m ? Number(m[1]) : 403, "Forbidden by Cloud Armor"); };
    for (const rule of rules) {
      const ranges: string[] = rule.match?.config?.src_ip_ranges ?? [];
      if (rule.match?.expr) { this.host.log("cloud armor", `rule ${rule.priority}: CEL expressions are not evaluated by the runner; skipped`); continue; }
      if (!ranges.includes("*") && !ranges.some((r) => r === "127.0.0.1" || r === "127.0.0.1/32")) continue;
      if (rule.action === "allow") return undefined;
      if (String(rule.action).startsWith("deny")) return deny(String(rule.action));
      if (rule.action === "throttle" || rule.action === "rate_based_ban") {
        const o = rule.rate_limit_options ?? {};
        const interval = Number(o.rate_limit_threshold?.interval_sec ?? 60) * 1000;
        const key = `${rule.priority}/${o.enforce_on_key === "IP" ? "127.0.0.1" : "all"}`;
        const now = this.host.clock.now();
        let w = this.windows.get(key);
        if (!w || now - w.start >= interval) { w = { start: now - (now % interval), count: 0 }; this.windows.set(key, w); }
        w.count++;
        if (w.count > Number(o.rate_limit_threshold?.count ?? Infinity)) return deny(String(o.exceed_action ?? "deny(429)"));
        if (o.conform_action === "allow") return undefined;
      }
    }
    return undefined;
  }

  async handle(req: HttpExchange): Promise<HttpAnswer> {
    const backend = this.backendFor(new URL(req.url, "https://lb").pathname);
    if (!backend) return textAnswer(404, "no backend for this path");
    const refused = this.armor(backend.service);
    if (refused) return refused;
    const neg = ref(backend.service.backend?.[0]?.group);
    const n = neg ? this.values.resource(neg.type, neg.name) : undefined;
    if (n?.serverless_deployment?.platform === "apigateway.googleapis.com") {
      const gatewayId = String(this.values.resolve(n.serverless_deployment.resource));
      const gw = this.gateways.find((g) => String(this.values.resolve(this.values.resource("google_api_gateway_gateway", g.address).gateway_id)) === gatewayId);
      return gw ? gw.handle(req) : textAnswer(502, `no API Gateway ${gatewayId}`);
    }
    const fnRef = ref(n?.cloud_function?.function ?? n?.cloud_run?.service);
    const fn = fnRef ? this.functions.functions.get(fnRef.name) : undefined;
    if (!fn) return textAnswer(502, "the serverless NEG points at nothing the runner emulates");
    return this.functions.handle(fn, req, "load-balancer", `http:${this.key}`);
  }
}
