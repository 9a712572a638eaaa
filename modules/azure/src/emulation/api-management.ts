import { EmulationHost, HttpAnswer, HttpExchange, componentKeyOf, jsonAnswer } from "@polycloud/core";
import { FunctionApps } from "./function-app";
import { matchRoute } from "./routes";
import { Entra } from "./entra";
import { evaluateExpression } from "./policy-expressions";
import { AzureValues } from "./values";
import { XmlElement, child, children, parsePolicyXml } from "./xml";

const apimError = (status: number, message: string) => jsonAnswer(status, { statusCode: status, message });

/**
 * API Management as the JSON configures it: APIs by path, operations by method and URL
 * template, and the inbound policies of the operation with `<base/>` standing for the API's
 * (and those for the global policy): cors (preflights answered, headers added to responses),
 * validate-jwt (OpenID configuration fetched over the runner's network, issuers, audiences,
 * failed-validation-httpcode), rate-limit and rate-limit-by-key (fixed renewal periods; the key
 * expression is not evaluated, one counter), set-header and choose/when (with the expressions of
 * `policy-expressions.ts`), authentication-managed-identity (a token of the service's system
 * identity for the resource, in Authorization), set-backend-service (the backend's URL and its
 * credential headers with named values). Other policies are logged and skipped.
 */
export class ApiManagement {
  readonly key: string;
  readonly hostname: string;
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly host: EmulationHost, private readonly values: AzureValues, private readonly apps: FunctionApps, private readonly entra: Entra, readonly address: string) {
    const raw = values.resource("azurerm_api_management", address);
    this.key = componentKeyOf(address) ?? address;
    this.hostname = new URL(String(values.value("azurerm_api_management", address, raw, ["gateway_url"]))).hostname;
  }

  private mine(r: any): boolean {
    return String(r.api_management_name).includes(`azurerm_api_management.${this.address}.`);
  }

  /**
   * The APIs of this instance by component key (`<service>/gateway:<id>`, from the API's address)
   * and path: the environment's one instance serves every service's gateway below its own path.
   */
  apis(): { key: string; path: string }[] {
    return this.values.resources("azurerm_api_management_api").filter(([, r]) => this.mine(r))
      .map(([address, r]) => ({ key: componentKeyOf(address) ?? address, path: String(this.values.resolve(r).path ?? "").replace(/^\/|\/$/g, "") }));
  }

  issuers(): { issuer: string; audiences: string[] }[] {
    const out: { issuer: string; audiences: string[] }[] = [];
    for (const [, p] of [...this.values.resources("azurerm_api_management_api_operation_policy"), ...this.values.resources("azurerm_api_management_api_policy")].filter(([, r]) => this.mine(r))) {
      const doc = parsePolicyXml(String(p.xml_content));
      for (const v of children(child(doc, "inbound"), "validate-jwt")) {
        for (const i of children(child(v, "issuers"), "issuer")) out.push({ issuer: i.text, audiences: children(child(v, "audiences"), "audience").map((a) => a.text) });
      }
    }
    return out;
  }

  /** The inbound policy elements in effect, `<base/>` expanded (global → API → operation). */
  private inbound(apiName: string, operationId?: string): XmlElement[] {
    const doc = (xml: unknown) => child(parsePolicyXml(String(xml)), "inbound")?.children ?? [];
    const global = this.values.resources("azurerm_api_management_policy").filter(([, r]) => String(r.api_management_id ?? "").includes(`azurerm_api_management.${this.address}.`)).flatMap(([, r]) => doc(r.xml_content));
    const apiPolicy = this.values.resources("azurerm_api_management_api_policy").find(([, r]) => this.mine(r) && String(this.values.resolve(r.api_name)) === apiName)?.[1];
    const api = (apiPolicy ? doc(apiPolicy.xml_content) : [{ name: "base", attrs: {}, children: [], text: "" }]).flatMap((e) => (e.name === "base" ? global : [e]));
    if (!operationId) return api;
    const opPolicy = this.values.resources("azurerm_api_management_api_operation_policy").find(([, r]) => this.mine(r) && String(this.values.resolve(r.api_name)) === apiName && String(this.values.resolve(r.operation_id)) === operationId)?.[1];
    return (opPolicy ? doc(opPolicy.xml_content) : [{ name: "base", attrs: {}, children: [], text: "" }]).flatMap((e) => (e.name === "base" ? api : [e]));
  }

  private cors(policy: XmlElement, req: HttpExchange, preflight: boolean): Record<string, string> | undefined {
    const origin = req.headers.origin;
    if (!origin) return undefined;
    const origins = children(child(policy, "allowed-origins"), "origin").map((o) => o.text);
    if (!origins.includes("*") && !origins.includes(origin)) return undefined;
    const credentials = policy.attrs["allow-credentials"] === "true";
    const out: Record<string, string> = { "access-control-allow-origin": origins.includes("*") && !credentials ? "*" : origin };
    if (credentials) out["access-control-allow-credentials"] = "true";
    if (preflight) {
      const methodsEl = child(policy, "allowed-methods");
      const methods = children(methodsEl, "method").map((m) => m.text.toUpperCase());
      const asked = String(req.headers["access-control-request-method"] ?? "").toUpperCase();
      if (!methods.includes("*") && !methods.includes(asked)) return undefined;
      const headers = children(child(policy, "allowed-headers"), "header").map((h) => h.text.toLowerCase());
      const askedHeaders = String(req.headers["access-control-request-headers"] ?? "").split(",").map((h) => h.trim().toLowerCase()).filter(Boolean);
      if (!headers.includes("*") && askedHeaders.some((h) => !headers.includes(h))) return undefined;
      out["access-control-allow-methods"] = methods.join(",");
      if (headers.length) out["access-control-allow-headers"] = headers.join(",");
      if (methodsEl?.attrs["preflight-result-max-age"]) out["access-control-max-age"] = methodsEl.attrs["preflight-result-max-age"];
    } else {
      const expose = children(child(policy, "expose-headers"), "header").map((h) => h.text);
      if (expose.length) out["access-control-expose-headers"] = expose.join(",");
    }
    return out;
  }

  private namedValues(text: string): string {
    return text.replace(/\{\{([^}]+)\}\}/g, (_, name) => {
      const nv = this.values.resources("azurerm_api_management_named_value").find(([, r]) => this.mine(r) && String(this.values.resolve(r.name)) === name);
      if (!nv) throw new Error(`named value ${name} does not exist`);
      return String(this.values.resolve(nv[1].value));
    });
  }

  async handle(req: HttpExchange): Promise<HttpAnswer> {
    const url = new URL(req.url, `https://${this.hostname}`);
    const apis = this.values.resources("azurerm_api_management_api").filter(([, r]) => this.mine(r)).map(([, r]) => this.values.resolve(r))
      .sort((a, b) => String(b.path ?? "").length - String(a.path ?? "").length);
    const api = apis.find((a) => { const p = `/${String(a.path ?? "").replace(/^\/|\/$/g, "")}`; return p === "/" || url.pathname === p || url.pathname.startsWith(`${p}/`); });
    if (!api) return apimError(404, "Resource not found");
    const base = `/${String(api.path ?? "").replace(/^\/|\/$/g, "")}`.replace(/^\/$/, "");
    const rest = url.pathname.slice(base.length) || "/";
    const ops = this.values.resources("azurerm_api_management_api_operation").filter(([, r]) => this.mine(r) && String(this.values.resolve(r.api_name)) === String(api.name)).map(([, r]) => this.values.resolve(r));
    const op = ops.find((o) => String(o.method).toUpperCase() === req.method && matchRoute("", String(o.url_template), rest));
    const preflight = req.method === "OPTIONS" && !!req.headers.origin && !!req.headers["access-control-request-method"];
    const inbound = this.inbound(String(api.name), op ? String(op.operation_id) : undefined);
    if (!op && !(preflight && inbound.some((e) => e.name === "cors"))) return apimError(404, "Resource not found");
    const headers: Record<string, string> = { ...req.headers };
    let backendUrl: string | undefined;
    let backendHeaders: Record<string, string> = {};
    let outboundCors: Record<string, string> | undefined;
    const expression = (text: string, what: string): string | boolean => {
      const v = evaluateExpression(text, headers);
      if (v === undefined) this.host.log(`api management ${this.key}`, `policy expression not evaluated by the runner (${what}): ${text}`);
      return v ?? "";
    };
    const run = async (elements: XmlElement[]): Promise<HttpAnswer | undefined> => {
      for (const e of elements) {
        const answer = await step(e);
        if (answer) return answer;
      }
      return undefined;
    };
    const step = async (e: XmlElement): Promise<HttpAnswer | undefined> => {
      switch (e.name) {
        case "choose": {
          const branch = children(e, "when").find((w) => expression(w.attrs.condition ?? "", "when") === true) ?? child(e, "otherwise");
          return branch ? run(branch.children) : undefined;
        }
        case "authentication-managed-identity": {
          const resource = this.namedValues(e.attrs.resource ?? "");
          const token = this.entra.issue(this.entra.systemAssigned("azurerm_api_management", this.address), resource).token;
          if (e.attrs["output-token-variable-name"]) break;
          headers.authorization = `Bearer ${token}`;
          break;
        }
        case "cors": {
          if (preflight) return { status: 200, headers: this.cors(e, req, true) ?? {}, body: "" };
          outboundCors = this.cors(e, req, false);
          break;
        }
        case "validate-jwt": {
          const header = e.attrs["header-name"] ?? "Authorization";
          let token = headers[header.toLowerCase()] ?? "";
          const code = Number(e.attrs["failed-validation-httpcode"] ?? 401);
          const message = e.attrs["failed-validation-error-message"] ?? "JWT not present.";
          if (e.attrs["require-scheme"]) {
            if (!token.toLowerCase().startsWith(`${e.attrs["require-scheme"].toLowerCase()} `)) return apimError(code, message);
            token = token.slice(e.attrs["require-scheme"].length + 1);
          }
          if (!token) return apimError(code, message);
          const issuers = children(child(e, "issuers"), "issuer").map((i) => i.text);
          const audiences = children(child(e, "audiences"), "audience").map((a) => a.text);
          const config = child(e, "openid-config")?.attrs.url;
          let jwksUri: string | undefined;
          if (config) {
            const d = await this.host.network.fetch(config);
            jwksUri = d.status === 200 ? String(d.json().jwks_uri) : undefined;
          }
          const verdicts = await Promise.all(issuers.map((issuer) => this.host.tokens.verifyJwt(token, { issuer, audiences, jwksUri })));
          if (!verdicts.some((v) => v.ok)) {
            this.host.log(`api management ${this.key}`, `validate-jwt refused ${req.method} ${url.pathname}: ${verdicts.map((v) => (v.ok ? "" : v.reason)).join("; ")}`);
            return apimError(code, message);
          }
          break;
        }
        case "rate-limit":
        case "rate-limit-by-key": {
          const period = Number(e.attrs["renewal-period"] ?? 60) * 1000;
          const now = this.host.clock.now();
          const id = `${e.name}/${api.name}/${e.name === "rate-limit" ? "" : "key"}`;
          let w = this.windows.get(id);
          if (!w || now - w.start >= period) { w = { start: now, count: 0 }; this.windows.set(id, w); }
          if (++w.count > Number(e.attrs.calls ?? Infinity)) return apimError(429, `Rate limit is exceeded. Try again in ${Math.ceil((w.start + period - now) / 1000)} seconds.`);
          break;
        }
        case "set-header": {
          const name = String(e.attrs.name).toLowerCase();
          const action = e.attrs["exists-action"] ?? "override";
          if (action === "delete") delete headers[name];
          else if (action !== "skip" || headers[name] === undefined) headers[name] = children(e, "value").map((v) => String(expression(this.namedValues(v.text), "set-header"))).join(",");
          break;
        }
        case "set-backend-service": {
          if (e.attrs["base-url"]) { backendUrl = this.namedValues(e.attrs["base-url"]); break; }
          const backend = this.values.resources("azurerm_api_management_backend").find(([, r]) => this.mine(r) && String(this.values.resolve(r.name)) === e.attrs["backend-id"])?.[1];
          if (!backend) return apimError(500, `backend ${e.attrs["backend-id"]} does not exist`);
          const b = this.values.resolve(backend);
          backendUrl = String(b.url);
          backendHeaders = Object.fromEntries(Object.entries<string>(b.credentials?.header ?? {}).map(([k, v]) => [k.toLowerCase(), this.namedValues(String(v))]));
          break;
        }
        default:
          this.host.log(`api management ${this.key}`, `policy <${e.name}> is not emulated; skipped`);
      }
      return undefined;
    };
    const refused = await run(inbound);
    if (refused) return refused;
    backendUrl ??= api.service_url ? String(api.service_url) : undefined;
    if (!backendUrl) return apimError(500, "no backend service");
    const target = new URL(`${backendUrl.replace(/\/$/, "")}${rest}${url.search}`);
    delete headers.host;
    const forwarded: HttpExchange = { method: req.method, url: `${target.pathname}${target.search}`, headers: { ...headers, ...backendHeaders, "x-forwarded-for": "127.0.0.1" }, body: req.body, hostname: target.hostname };
    const app = [...this.apps.apps.values()].find((a) => a.hostname === target.hostname);
    const answer = app
      ? await this.apps.handle(app, forwarded, "api-management", `http:${this.key}`)
      : await this.host.network.fetch(target.href, { method: req.method, headers: forwarded.headers, body: req.body });
    return outboundCors ? { ...answer, headers: { ...(answer.headers ?? {}), ...outboundCors } } : answer;
  }
}
