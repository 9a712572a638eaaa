import { edgeEnvironment } from "@polycloud/gcp";
import { gatewayRuntimeEnvironment } from "@polycloud/core";
import { checkRequest, edgeConfig, matchPath } from "../../modules/runtime/src/edge";
import { JwksCache, TokenError, verifyJwt } from "../../modules/runtime/src/jwt";
import { JwksServer, ecKey, jwksServer, rsaKey, token } from "../helpers/jwt";
import { envByName } from "../helpers/synth";
import { referenceService } from "../../stacks/reference-service";

/**
 * The checks the runtime makes in front of every http() handler, from the environment the gateway
 * constructs synthesize (GcpHttpGateway: routes, CORS, token settings), with real RS256/ES256
 * tokens and a JWKS server on loopback. Issue 33 items 3-6 each have a case here.
 */
const spec = referenceService(envByName("prod")).gateways!.public;
const k1 = rsaKey("k1");
const e1 = ecKey("e1");
const other = rsaKey("k1"); // same kid, other key: a forgery
let server: JwksServer;
let env: Record<string, string>;
beforeAll(async () => {
  server = await jwksServer([k1, e1]);
  env = { ...edgeEnvironment(spec, "api"), PLATFORM_JWT_JWKS_URI: `${server.url}/jwks.json` };
});
afterAll(() => server.close());
beforeEach(() => { server.keys = [k1, e1]; server.mode = "ok"; });

const now = Math.floor(Date.now() / 1000);
const good = { iss: "https://auth.example.com/", aud: "orders-api", exp: now + 300, sub: "u1" };
const warnings: string[] = [];
let warn: jest.SpyInstance;
beforeEach(() => { warnings.length = 0; warn = jest.spyOn(console, "warn").mockImplementation((m: string) => { warnings.push(m); }); });
afterEach(() => warn.mockRestore());

function call(method: string, path: string, headers: Record<string, string> = {}, e: Record<string, string | undefined> = env, jwks = new JwksCache()) {
  return checkRequest({ method, path, headers }, edgeConfig(e)!, { jwks });
}

test("the environment GcpHttpGateway synthesizes: this function's routes, CORS with every gateway route, the token settings", () => {
  const synthesized = edgeEnvironment(spec, "api");
  expect(JSON.parse(synthesized.PLATFORM_ROUTES)).toEqual([
    { method: "POST", path: "/orders", authorized: true }, { method: "GET", path: "/orders/{id}", authorized: true }, { method: "GET", path: "/health", authorized: false },
  ]);
  expect(JSON.parse(synthesized.PLATFORM_CORS)).toMatchObject({ allowOrigins: ["https://shop.example.com"], allowCredentials: true, routes: expect.arrayContaining([{ method: "POST", path: "/orders" }]) });
  expect(synthesized).toMatchObject({ PLATFORM_JWT_ISSUER: "https://auth.example.com/", PLATFORM_JWT_AUDIENCES: '["orders-api"]', PLATFORM_JWT_JWKS_URI: "https://auth.example.com/.well-known/jwks.json" });
  // Azure: API Management answers CORS; the runtime checks tokens against the keys APIM finds.
  const azure = gatewayRuntimeEnvironment({ ...spec, auth: { issuer: "https://login.example.com/t/v2.0", audiences: ["a"] } }, "api", { cors: false, jwt: true });
  expect(azure.PLATFORM_CORS).toBeUndefined();
  expect(azure.PLATFORM_JWT_OPENID_CONFIG).toBe("https://login.example.com/t/v2.0/.well-known/openid-configuration");
  expect(azure.PLATFORM_JWT_JWKS_URI).toBeUndefined();
});

test("a valid RS256 or ES256 token on a declared route passes with its claims and the CORS headers", async () => {
  for (const key of [k1, e1]) {
    const r = await call("POST", "/orders", { authorization: `Bearer ${token(good, key)}`, origin: "https://shop.example.com" });
    expect(r.response).toBeUndefined();
    expect(r.response === undefined && r.claims?.sub).toBe("u1");
    expect(r.response === undefined && r.headers).toEqual({ "access-control-allow-origin": "https://shop.example.com", "access-control-allow-credentials": "true", vary: "origin" });
  }
});

describe("33.3: a refused token gets a fixed answer; the reason is logged, never sent", () => {
  test.each([
    ["wrong issuer", () => token({ ...good, iss: "https://evil.example.com/" }, k1), /wrong issuer/],
    ["no issuer", () => token({ ...good, iss: undefined }, k1), /wrong issuer/],
    ["wrong audience", () => token({ ...good, aud: "other" }, k1), /wrong audience/],
    ["expired", () => token({ ...good, exp: now - 1 }, k1), /expired/],
    ["no expiry", () => token({ ...good, exp: undefined }, k1), /expired/],
    ["not yet valid", () => token({ ...good, nbf: now + 3600 }, k1), /not yet valid/],
    ["bad signature (same kid, other key)", () => token(good, other), /bad signature/],
    ["alg none", () => token(good, k1, { alg: "none" }), /not accepted/],
    ["HS256 with the public key as secret", () => token(good, k1, { alg: "HS256" }), /not accepted/],
    ["an RSA key named for an ES256 token", () => token(good, e1, { kid: "k1" }), /does not fit ES256/],
    ["unknown kid", () => token(good, k1, { kid: "nope" }), /unknown signing key/],
    ["malformed", () => "a.b", /malformed/],
    ["garbage header", () => `${Buffer.from("{").toString("base64url")}.e30.AA`, /malformed token header/],
  ])("%s", async (_name, make, reason) => {
    const r = await call("GET", "/orders/42", { authorization: `Bearer ${make()}` });
    expect(r.response).toEqual({ status: 401, headers: { "content-type": "application/json", "www-authenticate": 'Bearer error="invalid_token"' }, body: { error: "invalid_token" } });
    expect(warnings.join("\n")).toMatch(reason);
  });

  test("a JWKS that cannot be fetched (an internal address in the error, a TypeError) answers the same invalid_token", async () => {
    server.mode = "error";
    const r = await call("GET", "/orders/42", { authorization: `Bearer ${token(good, k1)}` });
    expect(r.response).toMatchObject({ status: 401, body: { error: "invalid_token" } });
    expect(JSON.stringify(r.response)).not.toMatch(/10\.0\.3\.7|500|127\.0\.0\.1/);
    const refused = await call("GET", "/orders/42", { authorization: `Bearer ${token(good, k1)}` }, { ...env, PLATFORM_JWT_JWKS_URI: "http://127.0.0.1:1/jwks.json" });
    expect(refused.response).toMatchObject({ status: 401, body: { error: "invalid_token" } });
    expect(warnings.join("\n")).toMatch(/TypeError: fetch failed/);
  });

  test("no token: 401 unauthorized, also fixed", async () => {
    const r = await call("GET", "/orders/42");
    expect(r.response).toEqual({ status: 401, headers: { "content-type": "application/json", "www-authenticate": "Bearer" }, body: { error: "unauthorized" } });
  });
});

describe("33.4: JWKS keys expire, unknown kids are rate-limited, fetches time out", () => {
  test("a key removed from the JWKS stops verifying once the cached set expires", async () => {
    let clock = 1_000_000;
    const jwks = new JwksCache({ now: () => clock, ttlMs: 600_000 });
    const t = token(good, k1);
    expect((await call("GET", "/orders/1", { authorization: `Bearer ${t}` }, env, jwks)).response).toBeUndefined();
    server.keys = [e1]; // k1 revoked
    clock += 599_000;
    expect((await call("GET", "/orders/1", { authorization: `Bearer ${t}` }, env, jwks)).response).toBeUndefined();
    clock += 2_000;
    expect((await call("GET", "/orders/1", { authorization: `Bearer ${t}` }, env, jwks)).response).toMatchObject({ status: 401 });
    expect(jwks.fetches).toBe(2);
  });

  test("tokens with made-up kids cost one JWKS request per cooldown, however many arrive", async () => {
    let clock = 5_000_000;
    const jwks = new JwksCache({ now: () => clock, cooldownMs: 30_000 });
    const before = server.requests;
    await call("GET", "/orders/1", { authorization: `Bearer ${token(good, k1)}` }, env, jwks);
    const flood = await Promise.all(Array.from({ length: 50 }, (_, i) => call("GET", "/orders/1", { authorization: `Bearer ${token(good, k1, { kid: `made-up-${i}` })}` }, env, jwks)));
    expect(flood.every((r) => r.response?.status === 401)).toBe(true);
    expect(server.requests - before).toBe(1);
    clock += 30_000;
    server.keys = [k1, e1, rsaKey("k2")];
    const k2 = server.keys[2];
    // After the cooldown a new kid (a rotation) is fetched once and verifies.
    expect((await call("GET", "/orders/1", { authorization: `Bearer ${token(good, k2)}` }, env, jwks)).response).toBeUndefined();
    expect(server.requests - before).toBe(2);
  });

  test("a JWKS server that never answers is abandoned after the timeout; a huge answer is refused", async () => {
    server.mode = "hang";
    const jwks = new JwksCache({ timeoutMs: 300 });
    expect((await call("GET", "/orders/1", { authorization: `Bearer ${token(good, k1)}` }, env, jwks)).response).toMatchObject({ status: 401 });
    expect(warnings.join("\n")).toMatch(/TimeoutError/);
    server.mode = "huge";
    await expect(verifyJwt(token(good, k1), { issuer: good.iss, audiences: ["orders-api"], jwksUri: `${server.url}/jwks.json` }, new JwksCache())).rejects.toThrow(/larger than 262144 bytes/);
  });

  test("a JWKS URI that is not https (other than loopback) is refused", async () => {
    await expect(verifyJwt(token(good, k1), { issuer: good.iss, audiences: ["orders-api"], jwksUri: "http://auth.example.com/jwks.json" }, new JwksCache())).rejects.toThrow(TokenError);
  });

  test("without a JWKS URI the keys are found through the OpenID configuration, as API Management finds them", async () => {
    const jwks = new JwksCache();
    const { PLATFORM_JWT_JWKS_URI: _, ...rest } = env;
    const r = await call("GET", "/orders/1", { authorization: `Bearer ${token(good, e1)}` }, { ...rest, PLATFORM_JWT_OPENID_CONFIG: `${server.url}/.well-known/openid-configuration` }, jwks);
    expect(r.response).toBeUndefined();
    expect(jwks.fetches).toBe(2);
  });
});

describe("33.5: fails closed when the token settings are incomplete", () => {
  test.each([
    ["no issuer (a token without iss used to pass)", { PLATFORM_JWT_ISSUER: undefined }, { ...good, iss: undefined }],
    ["no audiences", { PLATFORM_JWT_AUDIENCES: undefined }, good],
    ["empty audiences", { PLATFORM_JWT_AUDIENCES: "[]" }, good],
    ["no JWKS", { PLATFORM_JWT_JWKS_URI: undefined }, good],
    ["no token settings at all on an authorized route", { PLATFORM_JWT_ISSUER: undefined, PLATFORM_JWT_AUDIENCES: undefined, PLATFORM_JWT_JWKS_URI: undefined }, good],
  ])("%s", async (_name, change, claims) => {
    const r = await call("POST", "/orders", { authorization: `Bearer ${token(claims, k1)}` }, { ...env, ...change });
    expect(r.response).toMatchObject({ status: 401, body: { error: "invalid_token" } });
    expect(warnings.join("\n")).toMatch(/not configured/);
  });
});

describe("33.6: CORS", () => {
  const star = (allowCredentials: boolean) => ({ ...env, PLATFORM_CORS: JSON.stringify({ ...JSON.parse(env.PLATFORM_CORS), allowOrigins: ["*"], allowCredentials }) });

  test("allowOrigins [\"*\"] with credentials: any origin gets *, never itself reflected with credentials", async () => {
    const r = await call("GET", "/health", { origin: "https://evil.example.com" }, star(true));
    expect(r.response === undefined && r.headers).toEqual({ "access-control-allow-origin": "*" });
    const pre = await call("OPTIONS", "/orders", { origin: "https://evil.example.com", "access-control-request-method": "POST" }, star(true));
    expect(pre.response?.headers).toMatchObject({ "access-control-allow-origin": "*" });
    expect(pre.response?.headers?.["access-control-allow-credentials"]).toBeUndefined();
  });

  test("preflights are answered for declared routes of the gateway only", async () => {
    const ok = await call("OPTIONS", "/orders", { origin: "https://shop.example.com", "access-control-request-method": "POST" });
    expect(ok.response).toMatchObject({ status: 204, headers: { "access-control-allow-origin": "https://shop.example.com", "access-control-allow-credentials": "true", "access-control-allow-methods": "POST,GET", "access-control-max-age": "600" } });
    expect((await call("OPTIONS", "/admin", { origin: "https://shop.example.com", "access-control-request-method": "POST" })).response?.status).toBe(404);
    expect((await call("OPTIONS", "/orders", { origin: "https://shop.example.com", "access-control-request-method": "DELETE" })).response?.status).toBe(403);
    expect((await call("OPTIONS", "/orders", { origin: "https://evil.example.com", "access-control-request-method": "POST" })).response).toEqual({ status: 403, headers: {}, body: "" });
  });
});

test("routes marked authorized: false need no token; undeclared methods and paths are refused", async () => {
  const health = await call("GET", "/health");
  expect(health.response).toBeUndefined();
  expect(health.response === undefined && health.claims).toBeUndefined();
  const m = await call("DELETE", "/orders");
  expect(m.response).toMatchObject({ status: 405, headers: { allow: "POST" } });
  expect((await call("GET", "/admin")).response?.status).toBe(404);
  expect(matchPath("/files/{proxy+}", "/files/a/b")).toBe(true);
  expect(matchPath("/orders/{id}", "/orders/1/x")).toBe(false);
});

test("no PLATFORM_ROUTES, no checks (AWS: API Gateway made them)", () => {
  expect(edgeConfig({})).toBeUndefined();
});
