import { KeyObject, createPublicKey, verify } from "node:crypto";

/**
 * Bearer token verification for the checks a gateway leaves to the function (see edge.ts): RS256/
 * 384/512 and ES256/384 signatures against the issuer's JWKS, then `iss`, `aud`, `exp` and `nbf`.
 * Mirrored by python/polycloud_runtime/jwt.py; __tests__/runtime/edge-parity.test.ts feeds both
 * the same tokens.
 */
export interface JwtSettings {
  readonly issuer?: string;
  readonly audiences?: readonly string[];
  readonly jwksUri?: string;
  /**
   * Where the issuer's OpenID configuration names its `jwks_uri`, when no JWKS URI is given: how
   * API Management finds the keys (its validate-jwt `openid-config`), so the function on Azure
   * checks tokens against the same keys as its gateway.
   */
  readonly openidConfigUri?: string;
}

/** Why a token was refused: logged, never sent to the caller (who gets a fixed `invalid_token`). */
export class TokenError extends Error {}

const ALGS: Record<string, { hash: string; kty: "RSA" | "EC"; crv?: string }> = {
  RS256: { hash: "sha256", kty: "RSA" },
  RS384: { hash: "sha384", kty: "RSA" },
  RS512: { hash: "sha512", kty: "RSA" },
  ES256: { hash: "sha256", kty: "EC", crv: "P-256" },
  ES384: { hash: "sha384", kty: "EC", crv: "P-384" },
};

/** Leeway for `nbf` (clock skew between the issuer and the function). */
const NBF_LEEWAY_SECONDS = 60;

export interface Jwk { kid?: string; kty?: string; alg?: string; use?: string; crv?: string; [k: string]: unknown }

export interface JwksOptions {
  /** How long fetched keys are trusted before they are fetched again (a removed key stops verifying). */
  readonly ttlMs?: number;
  /** After a fetch (or a failed one), an unknown `kid` waits this long before it may trigger another. */
  readonly cooldownMs?: number;
  /** A JWKS request taking longer is abandoned. */
  readonly timeoutMs?: number;
  /** Larger JWKS responses are refused. */
  readonly maxBytes?: number;
  readonly now?: () => number;
  /** Fetches and parses the JWKS document (tests). The default uses fetch with the timeout and size limit. */
  readonly fetchJson?: (uri: string, timeoutMs: number, maxBytes: number) => Promise<unknown>;
}

export const JWKS_DEFAULTS = { ttlMs: 10 * 60_000, cooldownMs: 30_000, timeoutMs: 5_000, maxBytes: 256 * 1024 } as const;

const LOOPBACK = new Set(["127.0.0.1", "::1", "[::1]", "localhost"]);

/** https only; plain http only to a loopback issuer (a local runner's). */
export function checkJwksUri(uri: string): URL {
  let url: URL;
  try { url = new URL(uri); } catch { throw new TokenError(`JWKS URI '${uri}' is not a URL`); }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname))) throw new TokenError(`JWKS URI '${uri}' is not https`);
  return url;
}

async function fetchJson(uri: string, timeoutMs: number, maxBytes: number): Promise<unknown> {
  const res = await fetch(checkJwksUri(uri), { signal: AbortSignal.timeout(timeoutMs), redirect: "error", headers: { accept: "application/json" } });
  if (!res.ok) throw new TokenError(`${uri} answered ${res.status}`);
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) throw new TokenError(`${uri} is larger than ${maxBytes} bytes`);
  const text = await res.text();
  if (Buffer.byteLength(text) > maxBytes) throw new TokenError(`${uri} is larger than ${maxBytes} bytes`);
  return JSON.parse(text);
}

interface Entry { keys: Jwk[]; fetchedAt: number; attemptedAt: number; inflight?: Promise<void> }
interface Discovery { jwksUri?: string; fetchedAt: number; attemptedAt: number; inflight?: Promise<void> }

/**
 * Signing keys per JWKS URI: fetched on first use, trusted for `ttlMs`, then fetched again. A `kid`
 * the cached set does not have triggers a fetch only when the last attempt is `cooldownMs` old,
 * so a stream of tokens with made-up `kid`s costs at most one request per cooldown; concurrent
 * lookups share one request. A failed fetch fails the lookup (no stale keys are used).
 */
export class JwksCache {
  private readonly entries = new Map<string, Entry>();
  private readonly discovered = new Map<string, Discovery>();
  private readonly o: Required<Omit<JwksOptions, "fetchJson" | "now">> & Pick<JwksOptions, "fetchJson"> & { now: () => number };
  /** Requests made, for tests and logs. */
  fetches = 0;

  constructor(options: JwksOptions = {}) {
    this.o = { ...JWKS_DEFAULTS, now: Date.now, ...options };
  }

  private refresh(uri: string, entry: Entry): Promise<void> {
    entry.inflight ??= (async () => {
      entry.attemptedAt = this.o.now();
      this.fetches++;
      try {
        const doc = (await (this.o.fetchJson ?? fetchJson)(uri, this.o.timeoutMs, this.o.maxBytes)) as { keys?: unknown };
        if (!doc || !Array.isArray(doc.keys)) throw new TokenError(`JWKS ${uri} has no keys array`);
        entry.keys = doc.keys.filter((k): k is Jwk => !!k && typeof k === "object");
        entry.fetchedAt = this.o.now();
      } finally {
        entry.inflight = undefined;
      }
    })();
    return entry.inflight;
  }

  /** The `jwks_uri` of an OpenID configuration, fetched with the same TTL, cooldown, timeout and size limit. */
  async jwksUriOf(openidConfigUri: string): Promise<string> {
    let d = this.discovered.get(openidConfigUri);
    if (!d) {
      d = { fetchedAt: -Infinity, attemptedAt: -Infinity };
      this.discovered.set(openidConfigUri, d);
    }
    const now = this.o.now();
    if (now - d.fetchedAt >= this.o.ttlMs) {
      d.jwksUri = undefined;
      if (!d.inflight && now - d.attemptedAt < this.o.cooldownMs) throw new TokenError(`OpenID configuration ${openidConfigUri} unavailable (last fetch failed less than ${this.o.cooldownMs} ms ago)`);
      const entry = d;
      entry.inflight ??= (async () => {
        entry.attemptedAt = this.o.now();
        this.fetches++;
        try {
          const doc = (await (this.o.fetchJson ?? fetchJson)(openidConfigUri, this.o.timeoutMs, this.o.maxBytes)) as { jwks_uri?: unknown };
          if (!doc || typeof doc.jwks_uri !== "string") throw new TokenError(`OpenID configuration ${openidConfigUri} has no jwks_uri`);
          checkJwksUri(doc.jwks_uri);
          entry.jwksUri = doc.jwks_uri;
          entry.fetchedAt = this.o.now();
        } finally {
          entry.inflight = undefined;
        }
      })();
      await entry.inflight;
    }
    if (!d.jwksUri) throw new TokenError(`OpenID configuration ${openidConfigUri} unavailable`);
    return d.jwksUri;
  }

  async key(uri: string, kid: string | undefined): Promise<Jwk> {
    let entry = this.entries.get(uri);
    if (!entry) {
      entry = { keys: [], fetchedAt: -Infinity, attemptedAt: -Infinity };
      this.entries.set(uri, entry);
    }
    const now = this.o.now();
    const find = () => entry!.keys.find((k) => k.kid === kid && (k.use === undefined || k.use === "sig"));
    if (now - entry.fetchedAt >= this.o.ttlMs) {
      // Expired (or never fetched): keys are not used past their time, whatever the cooldown.
      entry.keys = [];
      if (now - entry.attemptedAt < this.o.cooldownMs && !entry.inflight) throw new TokenError(`JWKS ${uri} unavailable (last fetch failed less than ${this.o.cooldownMs} ms ago)`);
      await this.refresh(uri, entry);
    } else if (!find() && (entry.inflight || now - entry.attemptedAt >= this.o.cooldownMs)) {
      await this.refresh(uri, entry);
    }
    const jwk = find();
    if (!jwk) throw new TokenError(`unknown signing key ${JSON.stringify(kid)}`);
    return jwk;
  }
}

const b64url = (s: string) => Buffer.from(s, "base64url");

function decodePart(part: string, what: string): Record<string, unknown> {
  let v: unknown;
  try { v = JSON.parse(b64url(part).toString("utf8")); } catch { throw new TokenError(`malformed token ${what}`); }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new TokenError(`malformed token ${what}`);
  return v as Record<string, unknown>;
}

function publicKey(jwk: Jwk, alg: string): KeyObject {
  const want = ALGS[alg];
  if (jwk.kty !== want.kty || (want.crv && jwk.crv !== want.crv)) throw new TokenError(`key ${JSON.stringify(jwk.kid)} (${jwk.kty}${jwk.crv ? ` ${jwk.crv}` : ""}) does not fit ${alg}`);
  if (jwk.alg !== undefined && jwk.alg !== alg) throw new TokenError(`key ${JSON.stringify(jwk.kid)} is for ${jwk.alg}, not ${alg}`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as import("node:crypto").JsonWebKey, format: "jwk" });
  } catch {
    throw new TokenError(`key ${JSON.stringify(jwk.kid)} is not a usable public key`);
  }
  if (want.kty === "RSA" && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new TokenError(`key ${JSON.stringify(jwk.kid)} is shorter than 2048 bits`);
  return key;
}

/**
 * Verifies the signature and the claims. Fails closed: without an issuer, at least one audience
 * and a JWKS URI nothing verifies. Returns the claims or throws a TokenError.
 */
export async function verifyJwt(token: string, settings: JwtSettings, cache: JwksCache, nowSeconds = Date.now() / 1000): Promise<Record<string, unknown>> {
  const { issuer, audiences } = settings;
  if (!issuer || !audiences?.length || !(settings.jwksUri || settings.openidConfigUri)) {
    throw new TokenError("token checks are not configured (issuer, audiences and a JWKS URI or OpenID configuration are all required)");
  }
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) throw new TokenError("malformed token");
  const header = decodePart(parts[0], "header");
  const claims = decodePart(parts[1], "payload");
  const alg = typeof header.alg === "string" && Object.prototype.hasOwnProperty.call(ALGS, header.alg) ? header.alg : undefined;
  if (!alg) throw new TokenError(`algorithm ${JSON.stringify(header.alg)} not accepted`);
  if (header.crit !== undefined) throw new TokenError("critical header parameters are not supported");
  const kid = typeof header.kid === "string" ? header.kid : undefined;
  const jwksUri = settings.jwksUri || await cache.jwksUriOf(settings.openidConfigUri!);
  const key = publicKey(await cache.key(jwksUri, kid), alg);
  const ok = verify(ALGS[alg].hash, Buffer.from(`${parts[0]}.${parts[1]}`), ALGS[alg].kty === "EC" ? { key, dsaEncoding: "ieee-p1363" } : key, b64url(parts[2]));
  if (!ok) throw new TokenError("bad signature");
  if (claims.iss !== issuer) throw new TokenError("wrong issuer");
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.some((a) => typeof a === "string" && audiences.includes(a))) throw new TokenError("wrong audience");
  if (typeof claims.exp !== "number" || claims.exp <= nowSeconds) throw new TokenError("expired");
  if (claims.nbf !== undefined && (typeof claims.nbf !== "number" || claims.nbf > nowSeconds + NBF_LEEWAY_SECONDS)) throw new TokenError("not yet valid");
  return claims;
}
