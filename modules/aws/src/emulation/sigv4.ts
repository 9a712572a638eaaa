import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { HttpExchange } from "@polycloud/core";

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it (unreserved characters kept, everything else %XX upper case). */
export const uriEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), "aws4_request");
}

function same(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

export interface SignedBy {
  readonly accessKeyId: string;
  readonly region: string;
  readonly service: string;
}

/**
 * Checks a SigV4-signed request (the Authorization header the AWS SDK sends) against the secret
 * of its access key: undefined when unsigned, the signer when the signature matches, an error
 * string otherwise.
 */
export function verifySignedRequest(req: HttpExchange, secretOf: (accessKeyId: string) => string | undefined): SignedBy | string | undefined {
  const auth = req.headers.authorization;
  if (!auth) return undefined;
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$/.exec(auth);
  if (!m) return "IncompleteSignature: the Authorization header is not a SigV4 signature";
  const [, accessKeyId, date, region, service, signedHeaders, signature] = m;
  const secret = secretOf(accessKeyId);
  if (!secret) return `UnrecognizedClientException: the security token included in the request is invalid (${accessKeyId})`;
  const amzDate = req.headers["x-amz-date"] ?? "";
  const url = new URL(req.url, "https://x");
  const path = url.pathname.split("/").map((seg) => uriEncode(decodeURIComponent(seg))).join("/") || "/";
  const query = [...url.searchParams.entries()].map(([k, v]) => [uriEncode(k), uriEncode(v)]).sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join("&");
  const names = signedHeaders.split(";");
  const canonicalHeaders = names.map((h) => `${h}:${(req.headers[h] ?? "").trim().replace(/\s+/g, " ")}\n`).join("");
  const payload = req.headers["x-amz-content-sha256"] ?? sha256(req.body);
  const canonical = [req.method, path, query, canonicalHeaders, signedHeaders, payload].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
  const expected = createHmac("sha256", signingKey(secret, date, region, service)).update(toSign).digest("hex");
  if (!same(expected, signature)) return "SignatureDoesNotMatch: the request signature does not match";
  return { accessKeyId, region, service };
}

/**
 * Checks an RDS IAM authentication token: a presigned `connect` URL without its scheme
 * (`host:port/?Action=connect&DBUser=…&X-Amz-…`). Returns the signer and the database user, or why
 * it is not valid (wrong endpoint, expired, bad signature).
 */
export function verifyRdsToken(token: string, endpoint: { host: string; port: number }, now: number, secretOf: (accessKeyId: string) => string | undefined): { accessKeyId: string; dbUser: string } | string {
  let url: URL;
  try { url = new URL(`https://${token}`); } catch { return "not an RDS IAM token"; }
  if (url.hostname !== endpoint.host.toLowerCase() || Number(url.port || 443) !== endpoint.port) return `the token is for ${url.host}, not ${endpoint.host}:${endpoint.port}`;
  const q = url.searchParams;
  if (q.get("Action") !== "connect" || q.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256") return "not an RDS IAM token (Action=connect, SigV4)";
  const cred = /^([^/]+)\/(\d{8})\/([^/]+)\/rds-db\/aws4_request$/.exec(q.get("X-Amz-Credential") ?? "");
  if (!cred) return "the token's credential scope is not rds-db";
  const [, accessKeyId, date, region] = cred;
  const secret = secretOf(accessKeyId);
  if (!secret) return `unknown access key ${accessKeyId}`;
  const amzDate = q.get("X-Amz-Date") ?? "";
  const issued = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
  if (!(now <= issued + Number(q.get("X-Amz-Expires") ?? 0) * 1000)) return "the token has expired";
  const signature = q.get("X-Amz-Signature") ?? "";
  const query = [...q.entries()].filter(([k]) => k !== "X-Amz-Signature").map(([k, v]) => [uriEncode(k), uriEncode(v)]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join("&");
  const canonical = ["GET", "/", query, `host:${url.host}\n`, q.get("X-Amz-SignedHeaders") ?? "host", sha256("")].join("\n");
  const scope = `${date}/${region}/rds-db/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
  const expected = createHmac("sha256", signingKey(secret, date, region, "rds-db")).update(toSign).digest("hex");
  if (!same(expected, signature)) return "the token's signature does not match";
  return { accessKeyId, dbUser: q.get("DBUser") ?? "" };
}
