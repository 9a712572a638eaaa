import { generateKeyPairSync, sign } from "node:crypto";
// @ts-expect-error: plain ESM reference code without type declarations
import { checkRequest, matchPath } from "../../stacks/reference/functions/api/edge.mjs";
import { edgeEnvironment } from "@polycloud/gcp";
import { envByName } from "../helpers/synth";
import { referenceService } from "../../stacks/reference-service";

/**
 * The function-side half of the GCP gateway: the same environment GcpHttpGateway synthesizes,
 * fed to the reference edge checks with real RS256 tokens signed here.
 */
const spec = referenceService(envByName("prod")).gateways!.public;
const env = edgeEnvironment(spec, "api");
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const { privateKey: otherKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwks = { keys: [{ ...publicKey.export({ format: "jwk" }), kid: "k1", alg: "RS256", use: "sig" }] };
const fetchJson = async (url: string) => {
  expect(url).toBe("https://auth.example.com/.well-known/jwks.json");
  return jwks;
};
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
function token(claims: object, key = privateKey, header: object = { alg: "RS256", kid: "k1", typ: "JWT" }) {
  const data = `${b64(header)}.${b64(claims)}`;
  return `${data}.${sign("RSA-SHA256", Buffer.from(data), key).toString("base64url")}`;
}
const now = Math.floor(Date.now() / 1000);
const good = { iss: "https://auth.example.com/", aud: "orders-api", exp: now + 300, sub: "u1" };
const call = (method: string, path: string, headers: Record<string, string> = {}) => checkRequest({ method, path, headers }, env, fetchJson);

test("a valid token on a declared route passes with its claims", async () => {
  const r = await call("POST", "/orders", { authorization: `Bearer ${token(good)}`, origin: "https://shop.example.com" });
  expect(r.response).toBeUndefined();
  expect(r.claims.sub).toBe("u1");
  expect(r.headers["access-control-allow-origin"]).toBe("https://shop.example.com");
});

test("behind API Gateway: the client's token arrives in X-Forwarded-Authorization, Authorization carries the gateway's own ID token", async () => {
  // ESPv2 with x-google-backend.jwt_audience replaces Authorization with a Google-signed ID token for
  // the backend and keeps the client's header as X-Forwarded-Authorization.
  const gatewayIdToken = token({ iss: "https://accounts.google.com", aud: "https://api-xyz.run.app", exp: now + 300 }, otherKey);
  const r = await call("POST", "/orders", { authorization: `Bearer ${gatewayIdToken}`, "x-forwarded-authorization": `Bearer ${token(good)}` });
  expect(r.response).toBeUndefined();
  expect(r.claims.sub).toBe("u1");
  // A forwarded token is verified like any other.
  const forged = await call("POST", "/orders", { authorization: `Bearer ${gatewayIdToken}`, "x-forwarded-authorization": `Bearer ${token(good, otherKey)}` });
  expect(forged.response.statusCode).toBe(401);
});

test.each([
  ["missing token", {}, /missing bearer/],
  ["wrong issuer", { authorization: `Bearer ${token({ ...good, iss: "https://evil.example.com/" })}` }, /wrong issuer/],
  ["wrong audience", { authorization: `Bearer ${token({ ...good, aud: "other" })}` }, /wrong audience/],
  ["expired", { authorization: `Bearer ${token({ ...good, exp: now - 1 })}` }, /expired/],
  ["bad signature", { authorization: `Bearer ${token(good, otherKey)}` }, /bad signature/],
  ["alg none", { authorization: `Bearer ${token(good, privateKey, { alg: "none", kid: "k1" })}` }, /not accepted/],
])("%s is rejected with 401", async (_name, headers, reason) => {
  const r = await call("GET", "/orders/42", headers as Record<string, string>);
  expect(r.response.statusCode).toBe(401);
  expect(r.response.body).toMatch(reason);
});

test("routes marked authorized: false need no token; undeclared methods and paths are refused", async () => {
  expect((await call("GET", "/health")).response).toBeUndefined();
  const m = await call("DELETE", "/orders");
  expect(m.response.statusCode).toBe(405);
  expect(m.response.headers.allow).toBe("POST");
  expect((await call("GET", "/admin")).response.statusCode).toBe(404);
  expect(matchPath("/files/{proxy+}", "/files/a/b")).toBe(true);
  expect(matchPath("/orders/{id}", "/orders/1/x")).toBe(false);
});

test("CORS preflight is answered for allowed origins only", async () => {
  const ok = await call("OPTIONS", "/orders", { origin: "https://shop.example.com", "access-control-request-method": "POST" });
  expect(ok.response.statusCode).toBe(204);
  expect(ok.response.headers).toMatchObject({ "access-control-allow-origin": "https://shop.example.com", "access-control-allow-credentials": "true", "access-control-allow-methods": "POST,GET", "access-control-max-age": "600" });
  const bad = await call("OPTIONS", "/orders", { origin: "https://evil.example.com", "access-control-request-method": "POST" });
  expect(bad.response.statusCode).toBe(403);
});
