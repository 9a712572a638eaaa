import { EmulationHost, HttpAnswer, HttpExchange, componentKeyOf, jsonAnswer, parseTraversal } from "@polycloud/core";
import { openApiOf } from "../behaviour";
import { CloudFunctions } from "./cloud-functions";
import { GcpIdentity } from "./identity";
import { GcpValues } from "./values";

function matchPath(template: string, path: string): Record<string, string> | undefined {
  const t = template.split("/").filter(Boolean);
  const p = path.split("/").filter(Boolean);
  if (t.length !== p.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const m = /^\{(.+)\}$/.exec(t[i]);
    if (m) params[m[1]] = decodeURIComponent(p[i]);
    else if (t[i] !== p[i]) return undefined;
  }
  return params;
}

/**
 * API Gateway as its API config's OpenAPI 2.0 document describes it: operations by path and
 * method, JWT checks from the security definitions (x-google-issuer, x-google-jwks_uri,
 * x-google-audiences), and x-google-backend: the address and path translation, and a Google ID
 * token of the gateway's backend service account for `jwt_audience` in Authorization, the
 * caller's Authorization moved to X-Forwarded-Authorization.
 */
export class GcpApiGateway {
  readonly key: string;
  readonly hostname: string;
  private readonly doc: any;
  private readonly backendAccount?: string;

  constructor(private readonly host: EmulationHost, values: GcpValues, private readonly functions: CloudFunctions, private readonly identity: GcpIdentity, readonly address: string) {
    const raw = values.resource("google_api_gateway_gateway", address);
    this.key = componentKeyOf(address) ?? address;
    this.hostname = String(values.value("google_api_gateway_gateway", address, raw, ["default_hostname"]));
    const t = parseTraversal(String(raw.api_config).replace(/^\$\{|\}$/g, ""));
    const config = t ? values.resource(t.type, t.name) : undefined;
    const deep = (v: any): any => (typeof v === "string" && /^google_[a-z0-9_]+\./.test(v) && parseTraversal(v) ? values.attribute(parseTraversal(v)!) : Array.isArray(v) ? v.map(deep) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x)])) : v);
    this.doc = deep(openApiOf((config?.openapi_documents ?? [])[0]?.document?.contents) ?? { paths: {} });
    this.backendAccount = config?.gateway_config?.backend_config?.google_service_account ? String(values.resolve(config.gateway_config.backend_config.google_service_account)) : undefined;
  }

  issuers(): { issuer: string; audiences: string[]; jwksUri?: string }[] {
    return Object.values<any>(this.doc.securityDefinitions ?? {}).filter((d) => d["x-google-issuer"]).map((d) => ({
      issuer: String(d["x-google-issuer"]), audiences: String(d["x-google-audiences"] ?? "").split(",").filter(Boolean), jwksUri: d["x-google-jwks_uri"],
    }));
  }

  async handle(req: HttpExchange): Promise<HttpAnswer> {
    const url = new URL(req.url, `https://${this.hostname}`);
    let op: any;
    let params: Record<string, string> | undefined;
    for (const [template, ops] of Object.entries<any>(this.doc.paths ?? {})) {
      const p = matchPath(template, url.pathname);
      if (p && ops[req.method.toLowerCase()]) { op = ops[req.method.toLowerCase()]; params = p; break; }
    }
    if (!op) return jsonAnswer(404, { code: 404, message: "The current request is not defined by this API." });
    for (const requirement of op.security ?? []) {
      for (const name of Object.keys(requirement)) {
        const def = this.doc.securityDefinitions?.[name] ?? {};
        const bearer = (req.headers.authorization ?? "").replace(/^Bearer\s+/i, "") || url.searchParams.get("access_token") || "";
        if (!bearer) return jsonAnswer(401, { code: 401, message: "Jwt is missing" }, { "www-authenticate": "Bearer" });
        const audiences = String(def["x-google-audiences"] ?? "").split(",").filter(Boolean);
        const verdict = await this.host.tokens.verifyJwt(bearer, { issuer: String(def["x-google-issuer"]), audiences, jwksUri: def["x-google-jwks_uri"] });
        if (!verdict.ok) {
          this.host.log(`api gateway ${this.key}`, `JWT refused for ${req.method} ${url.pathname}: ${verdict.reason}`);
          return jsonAnswer(401, { code: 401, message: "Jwt verification fails" }, { "www-authenticate": 'Bearer error="invalid_token"' });
        }
      }
    }
    const backend = op["x-google-backend"] ?? this.doc["x-google-backend"];
    if (!backend?.address) return jsonAnswer(503, { code: 503, message: "no backend" });
    const address = String(backend.address).replace(/\/$/, "");
    const target = backend.path_translation === "CONSTANT_ADDRESS"
      ? `${address}${url.search ? `${url.search}&` : "?"}${new URLSearchParams(params).toString()}`
      : `${address}${url.pathname}${url.search}`;
    const headers: Record<string, string> = { ...req.headers };
    delete headers.host;
    if (!backend.disable_auth && this.backendAccount) {
      if (headers.authorization) headers["x-forwarded-authorization"] = headers.authorization;
      headers.authorization = `Bearer ${await this.identity.idToken(this.backendAccount, String(backend.jwt_audience ?? address))}`;
    }
    const t = new URL(target);
    const fn = this.functions.byUrl(target);
    if (!fn) return jsonAnswer(503, { code: 503, message: `backend ${address} is not a function of the stack` });
    return this.functions.handle(fn, { method: req.method, url: `${t.pathname}${t.search}`, headers, body: req.body, hostname: t.hostname }, "internet", `http:${this.key}`);
  }
}
