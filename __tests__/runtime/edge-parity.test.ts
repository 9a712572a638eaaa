import { spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { edgeEnvironment } from "@polycloud/gcp";
import { http } from "@polycloud/runtime";
import { checkRequest, edgeConfig } from "../../modules/runtime/src/edge";
import { JwksCache } from "../../modules/runtime/src/jwt";
import { JwksServer, SigningKey, ecKey, jwksServer, rsaKey, token } from "../helpers/jwt";
import { envByName } from "../helpers/synth";
import { referenceService } from "../../stacks/reference-service";

/**
 * Issue 33.7: the Node and Python runtimes answer the same. The same vectors (the environment
 * GcpHttpGateway synthesizes, real RS256/ES256/ES384 tokens, a JWKS server on loopback) go through
 * both: the edge checks alone, and whole GCP requests through http() (which token the handler
 * sees, repeated query parameters, CORS headers on the answer). Python runs its standard-library
 * verifier (RSA PKCS#1 v1.5 and ECDSA written in Python) against keys Node generated.
 */
const python = spawnSync("python3", ["--version"]).status === 0;
const spec = referenceService(envByName("prod")).gateways!.public;
const k1 = rsaKey("k1");
const e1 = ecKey("e1");
const e384: SigningKey = (() => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-384" });
  return { kid: "e384", alg: "ES256", privateKey, jwk: { ...publicKey.export({ format: "jwk" }), kid: "e384", alg: "ES384", use: "sig" } };
})();
const weak: SigningKey = (() => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
  return { kid: "weak", alg: "RS256", privateKey, jwk: { ...publicKey.export({ format: "jwk" }), kid: "weak", alg: "RS256" } };
})();
const forger = rsaKey("k1");
const ecForger = ecKey("e1");
let server: JwksServer;
beforeAll(async () => { server = await jwksServer([k1, e1, e384, weak]); });
afterAll(() => server.close());

const now = Math.floor(Date.now() / 1000);
const good = { iss: "https://auth.example.com/", aud: "orders-api", exp: now + 300, sub: "u1" };
/** ES384 needs a P-384 signature: sign it with Node's crypto directly. */
function es384(claims: object): string {
  const { sign } = jest.requireActual<typeof import("node:crypto")>("node:crypto");
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const data = `${b64({ alg: "ES384", kid: "e384", typ: "JWT" })}.${b64(claims)}`;
  return `${data}.${sign("sha384", Buffer.from(data), { key: e384.privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url")}`;
}

function vectors() {
  const env: Record<string, string> = { ...edgeEnvironment(spec, "api"), PLATFORM_JWT_JWKS_URI: `${server.url}/jwks.json` };
  const star = { ...env, PLATFORM_CORS: JSON.stringify({ ...JSON.parse(env.PLATFORM_CORS), allowOrigins: ["*"] }) };
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const origin = { origin: "https://shop.example.com" };
  const edge = [
    { method: "POST", path: "/orders", headers: { ...bearer(token(good, k1)), ...origin } },
    { method: "GET", path: "/orders/7", headers: bearer(token(good, e1)) },
    { method: "GET", path: "/orders/7", headers: bearer(es384(good)) },
    { method: "GET", path: "/orders/7", headers: bearer(token({ ...good, aud: ["x", "orders-api"] }, k1)) },
    { method: "GET", path: "/orders/7", headers: bearer(token(good, forger)) },
    { method: "GET", path: "/orders/7", headers: bearer(token(good, ecForger)) },
    { method: "GET", path: "/orders/7", headers: bearer(token({ ...good, iss: "https://evil.example.com/" }, e1)) },
    { method: "GET", path: "/orders/7", headers: bearer(token({ ...good, aud: "other" }, k1)) },
    { method: "GET", path: "/orders/7", headers: bearer(token({ ...good, exp: now - 5 }, k1)) },
    { method: "GET", path: "/orders/7", headers: bearer(token({ ...good, nbf: now + 3600 }, k1)) },
    { method: "GET", path: "/orders/7", headers: bearer(token(good, k1, { alg: "none" })) },
    { method: "GET", path: "/orders/7", headers: bearer(token(good, k1, { kid: "e1" })) },
    { method: "GET", path: "/orders/7", headers: bearer(token(good, weak)) },
    { method: "GET", path: "/orders/7", headers: bearer(token(good, k1, { kid: "unknown" })) },
    { method: "GET", path: "/orders/7", headers: bearer("not.a.jwt") },
    { method: "GET", path: "/orders/7", headers: { authorization: "Basic dTpw" } },
    { method: "GET", path: "/orders/7", headers: {} },
    { method: "GET", path: "/health", headers: origin },
    { method: "DELETE", path: "/orders", headers: origin },
    { method: "GET", path: "/nowhere", headers: {} },
    { method: "OPTIONS", path: "/orders", headers: { ...origin, "access-control-request-method": "POST" } },
    { method: "OPTIONS", path: "/orders", headers: { ...origin, "access-control-request-method": "PATCH" } },
    { method: "OPTIONS", path: "/nowhere", headers: { ...origin, "access-control-request-method": "GET" } },
    { method: "OPTIONS", path: "/orders", headers: { origin: "https://evil.example.com", "access-control-request-method": "POST" } },
  ].map((c) => ({ ...c, env }));
  edge.push({ method: "GET", path: "/health", headers: { origin: "https://evil.example.com" }, env: star });
  edge.push({ method: "GET", path: "/orders/7", headers: bearer(token({ ...good, iss: undefined }, k1)), env: { ...env, PLATFORM_JWT_ISSUER: undefined } as unknown as typeof env });
  const httpCases = [
    { method: "GET", url: "/orders/7?tag=a&tag=b%2Cc&q=x+y&empty", headers: { "x-forwarded-authorization": `Bearer ${token(good, k1)}`, authorization: "Bearer gateway-id-token", ...origin } },
    { method: "GET", url: "/health?x=1&x=2", headers: { authorization: "Bearer gateway-id-token" } },
    { method: "GET", url: "/orders/7", headers: { authorization: "Bearer gateway-id-token" } },
    { method: "OPTIONS", url: "/orders/7", headers: { ...origin, "access-control-request-method": "GET" } },
  ].map((c) => ({ ...c, env: { ...env, POLYCLOUD_CLOUD: "gcp" } }));
  return { edge, http: httpCases };
}

async function node(v: ReturnType<typeof vectors>) {
  const edge = [];
  for (const c of v.edge) {
    const o = await checkRequest({ method: c.method, path: c.path, headers: c.headers }, edgeConfig(c.env)!, { jwks: new JwksCache() });
    edge.push(o.response ? { response: [o.response.status, o.response.headers, o.response.body] } : { subject: o.claims?.sub ?? null, headers: o.headers });
  }
  const out = [];
  const saved = process.env;
  for (const c of v.http) {
    process.env = { ...c.env };
    const seen: unknown[] = [];
    const handler = http(async (req) => {
      seen.push({ path: req.path, query: req.query, authorization: req.headers.authorization ?? null, forwarded: req.headers["x-forwarded-authorization"] ?? null, subject: req.auth?.subject ?? null });
      return { status: 200, headers: { "x-handler": "1" }, body: { ok: true } };
    });
    const res = { status: 0, headers: {} as Record<string, string>, body: "" };
    const express = { status(s: number) { res.status = s; return express; }, set(k: string, val: string) { res.headers[k] = val; return express; }, send(b: string) { res.body = b; return express; } };
    await handler({ method: c.method, url: c.url, path: c.url.split("?")[0], headers: c.headers, rawBody: Buffer.from("") }, express);
    out.push({ status: res.status, headers: res.headers, body: res.body ? JSON.parse(res.body) : "", seen: seen[0] ?? null });
  }
  process.env = saved;
  return { edge, http: out };
}

function runPython(file: string): Promise<{ edge: unknown[]; http: unknown[] }> {
  return new Promise((resolve, reject) => {
    const runner = path.resolve(__dirname, "../../modules/runtime/python/tests/parity_runner.py");
    const child = spawn("python3", ["-I", "-B", runner, file], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => { out += d; });
    child.stderr.on("data", (d) => { err += d; });
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`python3 exited ${code}: ${err}`))));
  });
}

(python ? test : test.skip)("the Node and Python runtimes give the same answers to the same requests and tokens", async () => {
  const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
  const error = jest.spyOn(console, "error").mockImplementation(() => undefined);
  const v = vectors();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "edge-parity-")), "vectors.json");
  fs.writeFileSync(file, JSON.stringify(v));
  const [fromNode, fromPython] = [await node(v), await runPython(file)];
  warn.mockRestore();
  error.mockRestore();
  // What the vectors exercise, so an agreement on nothing cannot pass.
  const statuses = fromNode.edge.map((o) => ("response" in o ? (o.response as unknown[])[0] : "pass"));
  expect(statuses).toEqual(["pass", "pass", "pass", "pass", 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, "pass", 405, 404, 204, 403, 404, 403, "pass", 401]);
  fromNode.edge.forEach((o, i) => expect({ i, ...fromPython.edge[i] as object }).toEqual({ i, ...o }));
  expect(fromNode.http.map((h) => [h.status, h.seen])).toEqual([
    [200, { path: "/orders/7", query: { tag: "a,b,c", q: "x y", empty: "" }, authorization: expect.stringMatching(/^Bearer ey/), forwarded: null, subject: "u1" }],
    [200, { path: "/health", query: { x: "1,2" }, authorization: null, forwarded: null, subject: null }],
    [401, null],
    [204, null],
  ]);
  fromNode.http.forEach((o, i) => expect({ i, ...fromPython.http[i] as object }).toEqual({ i, ...o }));
});
