import { EmulatedClock, EmulatedNetwork } from "@polycloud/core";
import * as jose from "jose";
import { keyPair } from "./tokens";

export interface TokenRequest {
  readonly sub?: string;
  /** Audience; default the first one a gateway of the stack accepts. */
  readonly aud?: string | string[];
  readonly expiresInSeconds?: number;
  readonly claims?: Record<string, unknown>;
  /** Sign with a key the issuer does not publish (a forged token). */
  readonly forged?: boolean;
}

/**
 * A local stand-in for the identity provider a stack's gateways trust (the JSON's issuer and
 * JWKS URI): it serves the OpenID configuration and the JWKS on the issuer's own host names on
 * the runner's network, and signs tokens for tests and `npm run dev`.
 */
export class LocalIssuer {
  private constructor(
    readonly issuer: string,
    readonly jwksUri: string,
    readonly audiences: readonly string[],
    private readonly keys: { privateKey: jose.KeyLike; publicKey: jose.KeyLike; kid: string },
    private readonly clock: EmulatedClock,
  ) {}

  private forger?: Promise<{ privateKey: jose.KeyLike; kid: string }>;

  static async start(network: EmulatedNetwork, clock: EmulatedClock, config: { issuer: string; audiences: readonly string[]; jwksUri?: string }, key?: Promise<{ privateKey: jose.KeyLike; publicKey: jose.KeyLike; kid: string }>): Promise<LocalIssuer> {
    const base = config.issuer.replace(/\/$/, "");
    const jwksUri = config.jwksUri ?? `${base}/.well-known/jwks.json`;
    const keys = await (key ?? keyPair("local-1"));
    const issuer = new LocalIssuer(config.issuer, jwksUri, config.audiences, keys, clock);
    const jwk = { ...(await jose.exportJWK(keys.publicKey)), kid: keys.kid, alg: "RS256", use: "sig" };
    const discovery = new URL(`${base}/.well-known/openid-configuration`);
    const jwks = new URL(jwksUri);
    const json = (body: unknown) => ({ status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const handler = async (req: { url: string; hostname: string }) => {
      const p = new URL(req.url, `https://${req.hostname}`).pathname;
      if (req.hostname === discovery.hostname && p === discovery.pathname) return json({ issuer: config.issuer, jwks_uri: jwksUri, id_token_signing_alg_values_supported: ["RS256"] });
      if (req.hostname === jwks.hostname && p === jwks.pathname) return json({ keys: [jwk] });
      return { status: 404, body: "not found" };
    };
    for (const host of new Set([discovery.hostname, jwks.hostname])) network.serve(host, handler);
    return issuer;
  }

  /** A signed access token for `sub` and `aud` (RS256), valid for an hour of runner time by default. */
  async token(request: TokenRequest = {}): Promise<string> {
    const now = Math.floor(this.clock.now() / 1000);
    // A forged token: the same key id, signed by a key the issuer never published.
    const key = request.forged ? await (this.forger ??= keyPair(this.keys.kid)) : this.keys;
    return new jose.SignJWT({ scope: "openid", ...request.claims })
      .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" })
      .setIssuer(this.issuer)
      .setSubject(request.sub ?? "user-1")
      .setAudience(request.aud ?? this.audiences[0] ?? "local")
      .setIssuedAt(now)
      .setExpirationTime(now + (request.expiresInSeconds ?? 86400))
      .sign(key.privateKey);
  }
}
