import { KeyObject, generateKeyPairSync, sign } from "node:crypto";
import * as http from "node:http";
import { AddressInfo } from "node:net";

/** Signing keys, tokens and a JWKS server on loopback for the runtime's token checks. */
export interface SigningKey { kid: string; alg: "RS256" | "ES256"; privateKey: KeyObject; jwk: Record<string, unknown> }

export function rsaKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { kid, alg: "RS256", privateKey, jwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" } };
}

export function ecKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { kid, alg: "ES256", privateKey, jwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" } };
}

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");

/** A compact JWS. `header` overrides the default header; `key` may differ from the header's kid (forgeries). */
export function token(claims: object, key: SigningKey, header: Record<string, unknown> = {}): string {
  const h = { alg: key.alg, kid: key.kid, typ: "JWT", ...header };
  const data = `${b64(h)}.${b64(claims)}`;
  const sig = key.alg === "ES256"
    ? sign("sha256", Buffer.from(data), { key: key.privateKey, dsaEncoding: "ieee-p1363" })
    : sign("RSA-SHA256", Buffer.from(data), key.privateKey);
  return `${data}.${sig.toString("base64url")}`;
}

export interface JwksServer {
  url: string;
  /** Requests the server received. */
  requests: number;
  /** Keys served (change it to rotate). */
  keys: SigningKey[];
  /** "ok", "hang" (never answers), "error" (500), "huge" (a 1 MB body), "discovery" handled by path. */
  mode: "ok" | "hang" | "error" | "huge";
  close(): Promise<void>;
}

/** Serves `/jwks.json` and `/.well-known/openid-configuration` (jwks_uri pointing at the former). */
export async function jwksServer(keys: SigningKey[]): Promise<JwksServer> {
  const hanging: http.ServerResponse[] = [];
  const state: JwksServer = { url: "", requests: 0, keys, mode: "ok", close: async () => undefined };
  const server = http.createServer((req, res) => {
    state.requests++;
    if (state.mode === "hang") { hanging.push(res); return; }
    if (state.mode === "error") { res.writeHead(500).end("internal error at 10.0.3.7:8443"); return; }
    if (state.mode === "huge") { res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [], pad: "x".repeat(1024 * 1024) })); return; }
    const body = req.url === "/.well-known/openid-configuration"
      ? { issuer: "https://auth.example.com/", jwks_uri: `${state.url}/jwks.json` }
      : { keys: state.keys.map((k) => k.jwk) };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise((resolve) => { hanging.forEach((r) => r.destroy()); server.close(() => resolve()); });
  return state;
}
