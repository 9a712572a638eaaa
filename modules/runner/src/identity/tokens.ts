import { EmulatedClock, EmulatedNetwork, TokenTools } from "@polycloud/core";
import * as jose from "jose";

type KeyPair = { privateKey: jose.KeyLike; publicKey: jose.KeyLike; kid: string };

export async function keyPair(kid: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await jose.generateKeyPair("RS256");
  return { privateKey, publicKey, kid };
}

/**
 * Gateway-side JWT checks (signature from the issuer's JWKS over the runner's network, issuer,
 * audience, expiry on the runner's clock) and the runner's own signers (Google ID tokens for
 * Pub/Sub push and API Gateway, identity tokens): jose 5 does the JOSE work.
 */
export class RunnerTokens implements TokenTools {
  private readonly signers = new Map<string, Promise<KeyPair>>();

  constructor(private readonly network: EmulatedNetwork, private readonly clock: EmulatedClock) {}

  private signer(name: string): Promise<KeyPair> {
    let k = this.signers.get(name);
    if (!k) { k = keyPair(`${name}-1`); this.signers.set(name, k); }
    return k;
  }

  async sign(signer: string, claims: Record<string, unknown>): Promise<string> {
    const k = await this.signer(signer);
    const now = Math.floor(this.clock.now() / 1000);
    return new jose.SignJWT({ iat: now, exp: now + 3600, ...claims }).setProtectedHeader({ alg: "RS256", kid: k.kid, typ: "JWT" }).sign(k.privateKey);
  }

  async verify(signer: string, token: string): Promise<Record<string, unknown> | undefined> {
    try {
      const k = await this.signer(signer);
      return (await jose.jwtVerify(token, k.publicKey, { currentDate: new Date(this.clock.now()) })).payload as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }

  async verifyJwt(token: string, options: { issuer: string; audiences: readonly string[]; jwksUri?: string }): Promise<{ ok: true; claims: Record<string, unknown> } | { ok: false; reason: string }> {
    try {
      let jwksUri = options.jwksUri;
      if (!jwksUri) {
        const discovery = await this.network.fetch(`${options.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`);
        if (discovery.status !== 200) return { ok: false, reason: `OpenID configuration of ${options.issuer}: ${discovery.status}` };
        jwksUri = String(discovery.json().jwks_uri);
      }
      const keys = await this.network.fetch(jwksUri);
      if (keys.status !== 200) return { ok: false, reason: `JWKS ${jwksUri}: ${keys.status}` };
      const jwks = jose.createLocalJWKSet(keys.json());
      const { payload } = await jose.jwtVerify(token, jwks, { issuer: options.issuer, audience: [...options.audiences], currentDate: new Date(this.clock.now()) });
      return { ok: true, claims: payload as Record<string, unknown> };
    } catch (err) {
      return { ok: false, reason: err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err) };
    }
  }
}
