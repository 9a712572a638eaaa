import { EmulationHost, HttpAnswer, HttpExchange, componentKeyOf, jsonAnswer } from "@polycloud/core";
import { payloadV2, responseV2 } from "./http-payload";
import { LambdaService } from "./lambda";
import { AwsValues } from "./values";

interface Route { key: string; method: string; path: string; authorizer?: any; integration?: any }

/** `GET /orders/{id}` against `/orders/o-1`: the path parameters, or undefined. `{proxy+}` is greedy. */
function matchPath(template: string, path: string): Record<string, string> | undefined {
  const t = template.split("/").filter(Boolean);
  const p = path.split("/").filter(Boolean);
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const greedy = /^\{(.+)\+\}$/.exec(t[i]);
    if (greedy) { if (i >= p.length) return undefined; params[greedy[1]] = p.slice(i).map(decodeURIComponent).join("/"); return params; }
    if (i >= p.length) return undefined;
    const param = /^\{(.+)\}$/.exec(t[i]);
    if (param) params[param[1]] = decodeURIComponent(p[i]);
    else if (t[i] !== p[i]) return undefined;
  }
  return t.length === p.length ? params : undefined;
}

/** A token bucket: `rate` per second, `burst` deep (API Gateway's stage throttling). */
class TokenBucket {
  private tokens: number;
  private at: number;
  constructor(private readonly rate: number, private readonly burst: number, now: number) { this.tokens = burst; this.at = now; }
  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * An API Gateway HTTP API with its $default stage as the JSON configures it: routes
 * (`METHOD /path`, path parameters, `{proxy+}`, ANY, `$default`), JWT authorizers (identity
 * source, issuer, audience), CORS (preflights answered by the API, headers added to responses),
 * stage throttling (token bucket), and AWS_PROXY integrations with payload format 2.0. Invoking
 * the integration's function needs an aws_lambda_permission for apigateway.amazonaws.com.
 */
export class HttpApi {
  readonly key: string;
  readonly id: string;
  readonly domain: string;
  private readonly routes: Route[] = [];
  private readonly cors?: any;
  private readonly bucket?: TokenBucket;
  private readonly executionArn: string;

  constructor(private readonly host: EmulationHost, private readonly values: AwsValues, private readonly lambda: LambdaService, readonly address: string) {
    const raw = values.resource("aws_apigatewayv2_api", address);
    const api = values.resolve(raw);
    this.key = componentKeyOf(address) ?? address;
    this.id = String(values.value("aws_apigatewayv2_api", address, raw, "id"));
    this.domain = `${this.id}.execute-api.${values.region}.amazonaws.com`;
    this.executionArn = String(values.value("aws_apigatewayv2_api", address, raw, "execution_arn"));
    this.cors = api.cors_configuration;
    const ref = (r: any) => String(r.api_id).includes(`aws_apigatewayv2_api.${address}.`);
    const stage = values.resources("aws_apigatewayv2_stage").find(([, s]) => ref(s))?.[1];
    const settings = stage?.default_route_settings;
    if (settings && (settings.throttling_rate_limit !== undefined || settings.throttling_burst_limit !== undefined)) {
      this.bucket = new TokenBucket(Number(settings.throttling_rate_limit ?? 10000), Number(settings.throttling_burst_limit ?? 5000), host.clock.now());
    }
    const byRef = (type: string, target: unknown) => {
      const m = /\$\{aws_apigatewayv2_[a-z]+\.([^.]+)\.id\}/.exec(String(target ?? ""));
      return m ? values.resolve(values.resource(type, m[1])) : undefined;
    };
    for (const [, r] of values.resources("aws_apigatewayv2_route").filter(([, r]) => ref(r))) {
      const [method, path] = r.route_key === "$default" ? ["ANY", "$default"] : String(r.route_key).split(" ");
      this.routes.push({
        key: r.route_key, method, path,
        authorizer: r.authorization_type === "JWT" ? byRef("aws_apigatewayv2_authorizer", r.authorizer_id) : undefined,
        integration: byRef("aws_apigatewayv2_integration", String(r.target ?? "").replace(/^integrations\//, "")),
      });
    }
  }

  /** The identity providers its JWT authorizers trust. */
  issuers(): { issuer: string; audiences: string[] }[] {
    const out = new Map<string, Set<string>>();
    for (const r of this.routes.filter((x) => x.authorizer)) {
      const jwt = r.authorizer.jwt_configuration;
      const set = out.get(String(jwt.issuer)) ?? new Set<string>();
      for (const a of jwt.audience ?? []) set.add(String(a));
      out.set(String(jwt.issuer), set);
    }
    return [...out].map(([issuer, audiences]) => ({ issuer, audiences: [...audiences] }));
  }

  private corsHeaders(origin: string | undefined, preflight?: { method?: string; headers?: string }): Record<string, string> | undefined {
    const c = this.cors;
    if (!c || !origin) return undefined;
    const origins: string[] = c.allow_origins ?? [];
    if (!origins.includes("*") && !origins.includes(origin)) return undefined;
    const out: Record<string, string> = { "access-control-allow-origin": origins.includes("*") && !c.allow_credentials ? "*" : origin };
    if (c.allow_credentials) out["access-control-allow-credentials"] = "true";
    if (preflight) {
      const methods: string[] = (c.allow_methods ?? []).map((m: string) => m.toUpperCase());
      if (preflight.method && !methods.includes("*") && !methods.includes(preflight.method.toUpperCase())) return undefined;
      const allowed: string[] = (c.allow_headers ?? []).map((h: string) => h.toLowerCase());
      const asked = (preflight.headers ?? "").split(",").map((h) => h.trim().toLowerCase()).filter(Boolean);
      if (!allowed.includes("*") && asked.some((h) => !allowed.includes(h))) return undefined;
      out["access-control-allow-methods"] = methods.join(",");
      if (allowed.length) out["access-control-allow-headers"] = allowed.join(",");
      if (c.max_age !== undefined) out["access-control-max-age"] = String(c.max_age);
    } else if ((c.expose_headers ?? []).length) {
      out["access-control-expose-headers"] = c.expose_headers.join(",");
    }
    return out;
  }

  async handle(req: HttpExchange): Promise<HttpAnswer> {
    const url = new URL(req.url, `https://${this.domain}`);
    if (this.bucket && !this.bucket.take(this.host.clock.now())) return jsonAnswer(429, { message: "Too Many Requests" });
    // With CORS configured, the API answers every preflight itself, before routes and authorizers.
    if (this.cors && req.method === "OPTIONS" && req.headers.origin && req.headers["access-control-request-method"]) {
      return { status: 204, headers: this.corsHeaders(req.headers.origin, { method: req.headers["access-control-request-method"], headers: req.headers["access-control-request-headers"] }) ?? {}, body: "" };
    }
    const candidates = this.routes.filter((r) => r.path !== "$default" && (r.method === req.method || r.method === "ANY"));
    let route: Route | undefined;
    let params: Record<string, string> | undefined;
    // Most specific first: exact paths, then parameters, then greedy paths.
    const rank = (r: Route) => (r.path.includes("+}") ? 2 : r.path.includes("{") ? 1 : 0) * 10 + (r.method === "ANY" ? 1 : 0);
    for (const r of candidates.sort((a, b) => rank(a) - rank(b))) {
      const p = matchPath(r.path, url.pathname);
      if (p) { route = r; params = p; break; }
    }
    route ??= this.routes.find((r) => r.path === "$default");
    if (!route) return jsonAnswer(404, { message: "Not Found" });
    let authorizer: Record<string, unknown> | undefined;
    if (route.authorizer) {
      const source = String(route.authorizer.identity_sources?.[0] ?? "$request.header.Authorization");
      const header = /^\$request\.header\.(.+)$/.exec(source)?.[1]?.toLowerCase() ?? "authorization";
      const raw = req.headers[header];
      if (!raw) return jsonAnswer(401, { message: "Unauthorized" }, { "www-authenticate": 'Bearer error="invalid_token"' });
      const token = raw.replace(/^Bearer\s+/i, "");
      const jwt = route.authorizer.jwt_configuration;
      const verdict = await this.host.tokens.verifyJwt(token, { issuer: String(jwt.issuer), audiences: (jwt.audience ?? []).map(String) });
      if (!verdict.ok) {
        this.host.log(`api ${this.key}`, `JWT authorizer refused ${req.method} ${url.pathname}: ${verdict.reason}`);
        return jsonAnswer(401, { message: "Unauthorized" }, { "www-authenticate": 'Bearer error="invalid_token"' });
      }
      const claims = Object.fromEntries(Object.entries(verdict.claims).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
      authorizer = { jwt: { claims, scopes: typeof verdict.claims.scope === "string" ? verdict.claims.scope.split(" ") : null } };
    }
    const integration = route.integration;
    if (!integration || integration.integration_type !== "AWS_PROXY") return jsonAnswer(500, { message: "Internal Server Error" });
    const target = this.lambda.resolve(String(integration.integration_uri));
    const sourceArn = `${this.executionArn}/$default/${req.method}${url.pathname}`;
    if (!this.lambda.mayInvoke(target.fn, { service: "apigateway.amazonaws.com", sourceArn }, target.qualifier)) {
      this.host.log(`api ${this.key}`, `API Gateway may not invoke ${integration.integration_uri} (no aws_lambda_permission for apigateway.amazonaws.com and ${sourceArn})`);
      return jsonAnswer(500, { message: "Internal Server Error" });
    }
    const event = payloadV2(req, { routeKey: route.key, apiId: this.id, domainName: this.domain, stage: "$default", account: this.values.account, now: this.host.clock.now(), pathParameters: params, authorizer });
    const answer = responseV2(await this.lambda.invoke(target.fn, event, `http:${this.key}`));
    const cors = this.corsHeaders(req.headers.origin);
    return cors ? { ...answer, headers: { ...(answer.headers ?? {}), ...cors } } : answer;
  }
}
