// Edge checks for functions behind the GCP load balancer, which routes by path and rate-limits
// but cannot check methods, JWTs or answer CORS preflights. GcpHttpGateway passes the spec in:
//   PLATFORM_ROUTES        [{ method, path, authorized }] declared for this function
//   PLATFORM_CORS          resolved CORS settings (allowOrigins, allowMethods, ...)
//   PLATFORM_JWT_ISSUER    expected `iss`
//   PLATFORM_JWT_AUDIENCES accepted `aud` values (JSON array)
//   PLATFORM_JWT_JWKS_URI  signing keys of the issuer
// `checkRequest` returns { response } to send as is, or { route, claims } to continue.
import { createPublicKey, verify } from "node:crypto";

const ALGS = { RS256: "RSA-SHA256", RS384: "RSA-SHA384", RS512: "RSA-SHA512", ES256: "SHA256", ES384: "SHA384" };
const jwksCache = new Map();

function parseJson(text, fallback) {
  try { return text ? JSON.parse(text) : fallback; } catch { return fallback; }
}

/** Matches `/orders/{id}` and a trailing `{proxy+}` against a concrete path. */
export function matchPath(template, path) {
  const t = template.split("/").filter(Boolean);
  const p = path.split("?")[0].split("/").filter(Boolean);
  for (let i = 0; i < t.length; i++) {
    if (/^\{[^}]+\+\}$/.test(t[i])) return p.length > i;
    if (p[i] === undefined) return false;
    if (!/^\{[^}]+\}$/.test(t[i]) && t[i] !== p[i]) return false;
  }
  return t.length === p.length;
}

function corsHeaders(cors, origin) {
  if (!cors || !origin || !(cors.allowOrigins.includes(origin) || cors.allowOrigins.includes("*"))) return {};
  const h = { "access-control-allow-origin": cors.allowOrigins.includes("*") && !cors.allowCredentials ? "*" : origin, vary: "origin" };
  if (cors.allowCredentials) h["access-control-allow-credentials"] = "true";
  if (cors.exposeHeaders?.length) h["access-control-expose-headers"] = cors.exposeHeaders.join(",");
  return h;
}

const b64url = (s) => Buffer.from(s.replace(/-/g, "+").replace(/_/g, "/"), "base64");

async function signingKey(jwksUri, kid, fetchJson) {
  let keys = jwksCache.get(jwksUri);
  if (!keys || !keys.find((k) => k.kid === kid)) {
    keys = (await fetchJson(jwksUri)).keys ?? [];
    jwksCache.set(jwksUri, keys);
  }
  const jwk = keys.find((k) => k.kid === kid);
  return jwk ? createPublicKey({ key: jwk, format: "jwk" }) : undefined;
}

/** Verifies signature, issuer, audience and time claims. Returns the claims or throws. */
export async function verifyJwt(token, { issuer, audiences, jwksUri, fetchJson, now = Date.now() / 1000 }) {
  const parts = String(token).split(".");
  if (parts.length !== 3) throw new Error("malformed token");
  const header = JSON.parse(b64url(parts[0]).toString("utf8"));
  const claims = JSON.parse(b64url(parts[1]).toString("utf8"));
  const alg = ALGS[header.alg];
  if (!alg) throw new Error(`algorithm ${header.alg} not accepted`);
  const key = await signingKey(jwksUri, header.kid, fetchJson);
  if (!key) throw new Error("unknown signing key");
  const ok = verify(alg, Buffer.from(`${parts[0]}.${parts[1]}`), header.alg.startsWith("ES") ? { key, dsaEncoding: "ieee-p1363" } : key, b64url(parts[2]));
  if (!ok) throw new Error("bad signature");
  if (claims.iss !== issuer) throw new Error("wrong issuer");
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.some((a) => audiences.includes(a))) throw new Error("wrong audience");
  if (typeof claims.exp !== "number" || claims.exp <= now) throw new Error("expired");
  if (typeof claims.nbf === "number" && claims.nbf > now + 60) throw new Error("not yet valid");
  return claims;
}

const json = (statusCode, body, headers = {}) => ({ response: { statusCode, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) } });

/** request: { method, path, headers (lower-case keys) }. */
export async function checkRequest(request, env = process.env, fetchJson = async (u) => (await fetch(u)).json()) {
  const routes = parseJson(env.PLATFORM_ROUTES, []);
  const cors = parseJson(env.PLATFORM_CORS, undefined);
  const origin = request.headers.origin;
  const baseHeaders = corsHeaders(cors, origin);
  const method = request.method.toUpperCase();
  if (method === "OPTIONS" && cors && request.headers["access-control-request-method"]) {
    if (!baseHeaders["access-control-allow-origin"]) return { response: { statusCode: 403, headers: {}, body: "" } };
    return { response: { statusCode: 204, body: "", headers: {
      ...baseHeaders,
      "access-control-allow-methods": cors.allowMethods.join(","),
      "access-control-allow-headers": cors.allowHeaders.join(","),
      "access-control-max-age": String(cors.maxAgeSeconds),
    } } };
  }
  const onPath = routes.filter((r) => matchPath(r.path, request.path));
  if (onPath.length === 0) return json(404, { error: "not found" }, baseHeaders);
  const route = onPath.find((r) => r.method === method || r.method === "ANY");
  if (!route) return json(405, { error: "method not allowed" }, { ...baseHeaders, allow: onPath.map((r) => r.method).join(",") });
  if (!route.authorized) return { route, claims: undefined, headers: baseHeaders };
  // Behind API Gateway (x-google-backend with jwt_audience) Authorization holds the gateway's own ID
  // token for Cloud Run, and the client's header arrives as X-Forwarded-Authorization.
  const auth = request.headers["x-forwarded-authorization"] ?? request.headers.authorization ?? "";
  if (!/^Bearer\s+\S+$/i.test(auth)) return json(401, { error: "missing bearer token" }, { ...baseHeaders, "www-authenticate": "Bearer" });
  try {
    const claims = await verifyJwt(auth.replace(/^Bearer\s+/i, ""), {
      issuer: env.PLATFORM_JWT_ISSUER, audiences: parseJson(env.PLATFORM_JWT_AUDIENCES, []), jwksUri: env.PLATFORM_JWT_JWKS_URI, fetchJson,
    });
    return { route, claims, headers: baseHeaders };
  } catch (err) {
    return json(401, { error: "invalid token", reason: err.message }, { ...baseHeaders, "www-authenticate": 'Bearer error="invalid_token"' });
  }
}
