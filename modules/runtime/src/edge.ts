import { JwksCache, JwtSettings, TokenError, verifyJwt } from "./jwt";
import { HttpResponse } from "./types";

/**
 * The checks a gateway cannot make, made by the runtime in front of every `http()` handler, from
 * what the gateway construct synthesized into the function's environment (core's
 * `gatewayRuntimeEnvironment`):
 *   PLATFORM_ROUTES         [{ method, path, authorized }]: this function's routes
 *   PLATFORM_CORS           resolved CORS settings and every route of the gateway (set where the
 *                           function answers CORS: GCP, whose API Gateway forwards preflights)
 *   PLATFORM_JWT_ISSUER, PLATFORM_JWT_AUDIENCES (JSON array), and PLATFORM_JWT_JWKS_URI or
 *   PLATFORM_JWT_OPENID_CONFIG (where the JWKS URI is found)
 *                           set where the function verifies bearer tokens itself (GCP, Azure)
 * No variable, no check: on AWS, API Gateway makes them all and passes the verified claims.
 * Mirrored by python/polycloud_runtime/edge.py.
 */
export interface EdgeRoute { readonly method: string; readonly path: string; readonly authorized?: boolean }

export interface EdgeCors {
  readonly allowOrigins: readonly string[];
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAgeSeconds: number;
  readonly allowCredentials: boolean;
  /** Every route of the gateway: preflights are answered for these only. */
  readonly routes?: readonly EdgeRoute[];
}

export interface EdgeConfig {
  readonly routes: readonly EdgeRoute[];
  readonly cors?: EdgeCors;
  readonly jwt?: JwtSettings;
}

export interface EdgeRequest { readonly method: string; readonly path: string; readonly headers: Readonly<Record<string, string>> }

export type EdgeOutcome =
  | { readonly response: HttpResponse }
  | { readonly response?: undefined; readonly claims?: Record<string, unknown>; readonly headers: Record<string, string> };

type Env = Record<string, string | undefined>;

function parse(env: Env, name: string): unknown {
  const text = env[name];
  if (text === undefined || text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`@polycloud/runtime: ${name} is not JSON`);
  }
}

let memo: { key: string; config: EdgeConfig | undefined } | undefined;

/** The edge configuration in the environment, or undefined when the function has no routes (no checks). */
export function edgeConfig(env: Env = process.env): EdgeConfig | undefined {
  const names = ["PLATFORM_ROUTES", "PLATFORM_CORS", "PLATFORM_JWT_ISSUER", "PLATFORM_JWT_AUDIENCES", "PLATFORM_JWT_JWKS_URI", "PLATFORM_JWT_OPENID_CONFIG"];
  const key = names.map((n) => env[n] ?? "\u0000").join("\u0001");
  if (memo?.key === key) return memo.config;
  const routes = parse(env, "PLATFORM_ROUTES");
  let config: EdgeConfig | undefined;
  if (routes !== undefined) {
    if (!Array.isArray(routes)) throw new Error("@polycloud/runtime: PLATFORM_ROUTES is not a JSON array");
    const jwt = ["PLATFORM_JWT_ISSUER", "PLATFORM_JWT_AUDIENCES", "PLATFORM_JWT_JWKS_URI", "PLATFORM_JWT_OPENID_CONFIG"].some((n) => env[n] !== undefined)
      ? { issuer: env.PLATFORM_JWT_ISSUER, audiences: parse(env, "PLATFORM_JWT_AUDIENCES") as string[] | undefined, jwksUri: env.PLATFORM_JWT_JWKS_URI, openidConfigUri: env.PLATFORM_JWT_OPENID_CONFIG }
      : undefined;
    config = { routes: routes as EdgeRoute[], cors: parse(env, "PLATFORM_CORS") as EdgeCors | undefined, jwt };
  }
  memo = { key, config };
  return config;
}

/** Matches `/orders/{id}` and a trailing `{proxy+}` against a concrete path (segments compared decoded). */
export function matchPath(template: string, path: string): boolean {
  const t = template.split("/").filter(Boolean);
  const p = path.split("?")[0].split("/").filter(Boolean);
  for (let i = 0; i < t.length; i++) {
    if (/^\{[^}]+\+\}$/.test(t[i])) return p.length > i;
    if (p[i] === undefined) return false;
    if (!/^\{[^}]+\}$/.test(t[i]) && t[i] !== p[i]) return false;
  }
  return t.length === p.length;
}

/**
 * CORS headers for an allowed origin. A listed origin is reflected (with credentials when
 * allowed); an origin allowed only through `*` gets `*`, never with credentials, since a
 * reflected origin with credentials would let any site read responses with the user's cookies.
 */
export function corsHeaders(cors: EdgeCors | undefined, origin: string | undefined): Record<string, string> {
  if (!cors || !origin) return {};
  const listed = cors.allowOrigins.includes(origin);
  if (!listed && !cors.allowOrigins.includes("*")) return {};
  const h: Record<string, string> = { "access-control-allow-origin": listed ? origin : "*" };
  if (listed) h.vary = "origin";
  if (listed && cors.allowCredentials) h["access-control-allow-credentials"] = "true";
  if (cors.exposeHeaders.length) h["access-control-expose-headers"] = cors.exposeHeaders.join(",");
  return h;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): EdgeOutcome => ({ response: { status, headers: { "content-type": "application/json", ...headers }, body } });

function log(msg: string, fields: Record<string, unknown>): void {
  console.warn(JSON.stringify({ level: "warn", msg, ...fields }));
}

const defaultCache = new JwksCache();

export interface CheckOptions {
  readonly jwks?: JwksCache;
  readonly nowSeconds?: number;
}

/**
 * `{ response }` to send as it is, or `{ claims, headers }` to call the handler with (the claims
 * of a verified token on an authorized route; CORS headers to add to its response). 401 bodies
 * are fixed (`unauthorized` without a token, `invalid_token` with a refused one); the reason is
 * logged, never sent.
 */
export async function checkRequest(request: EdgeRequest, config: EdgeConfig, options: CheckOptions = {}): Promise<EdgeOutcome> {
  const { cors } = config;
  const base = corsHeaders(cors, request.headers.origin);
  const method = request.method.toUpperCase();
  const requested = request.headers["access-control-request-method"];
  if (method === "OPTIONS" && cors && requested) {
    const declared = (cors.routes ?? config.routes).filter((r) => matchPath(r.path, request.path));
    if (declared.length === 0) return json(404, { error: "not found" });
    if (!base["access-control-allow-origin"] || !declared.some((r) => r.method === "ANY" || r.method === requested.toUpperCase())) {
      return { response: { status: 403, headers: {}, body: "" } };
    }
    return { response: { status: 204, body: "", headers: {
      ...base,
      "access-control-allow-methods": cors.allowMethods.join(","),
      "access-control-allow-headers": cors.allowHeaders.join(","),
      "access-control-max-age": String(cors.maxAgeSeconds),
    } } };
  }
  const onPath = config.routes.filter((r) => matchPath(r.path, request.path));
  if (onPath.length === 0) return json(404, { error: "not found" }, base);
  const route = onPath.find((r) => r.method === method || r.method === "ANY");
  if (!route) return json(405, { error: "method not allowed" }, { ...base, allow: onPath.map((r) => r.method).join(",") });
  if (!route.authorized) return { headers: base };
  const auth = request.headers.authorization ?? "";
  const bearer = /^Bearer +([^\s]+)$/i.exec(auth)?.[1];
  if (!bearer) {
    log("request refused: no bearer token", { method, path: request.path });
    return json(401, { error: "unauthorized" }, { ...base, "www-authenticate": "Bearer" });
  }
  try {
    if (!config.jwt) throw new TokenError("token checks are not configured, yet the route is authorized");
    const claims = await verifyJwt(bearer, config.jwt, options.jwks ?? defaultCache, options.nowSeconds);
    return { claims, headers: base };
  } catch (err) {
    log("request refused: invalid token", { method, path: request.path, reason: err instanceof TokenError ? err.message : `${(err as Error)?.name}: ${(err as Error)?.message}` });
    return json(401, { error: "invalid_token" }, { ...base, "www-authenticate": 'Bearer error="invalid_token"' });
  }
}
