import { createHash, createHmac } from "node:crypto";

/**
 * GetSecretValue over Secrets Manager's JSON API, signed with SigV4 from the function role's
 * credentials (Lambda puts them in the environment): no SDK client in the package. The endpoint
 * follows the SDK's conventions (AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL) for local runs.
 */
export async function secretsManagerValue(secretId: string, env: Record<string, string | undefined> = process.env): Promise<string> {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken, AWS_REGION: region } = env;
  if (!accessKeyId || !secretAccessKey || !region) throw new Error("@polycloud/runtime: no AWS credentials/region in the environment for Secrets Manager");
  const endpoint = new URL(env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? env.AWS_ENDPOINT_URL ?? `https://secretsmanager.${region}.amazonaws.com/`);
  const body = JSON.stringify({ SecretId: secretId });
  const { SignatureV4 } = await import("@smithy/signature-v4");
  class Sha256 {
    private readonly h;
    constructor(secret?: string | Uint8Array) { this.h = secret ? createHmac("sha256", secret) : createHash("sha256"); }
    update(data: string | Uint8Array): void { this.h.update(data); }
    async digest(): Promise<Uint8Array> { return new Uint8Array(this.h.digest()); }
  }
  const signer = new SignatureV4({ service: "secretsmanager", region, credentials: { accessKeyId, secretAccessKey, sessionToken }, sha256: Sha256 as any });
  const signed = await signer.sign({
    method: "POST", protocol: endpoint.protocol, hostname: endpoint.hostname, port: endpoint.port ? Number(endpoint.port) : undefined, path: endpoint.pathname || "/",
    headers: { host: endpoint.host, "content-type": "application/x-amz-json-1.1", "x-amz-target": "secretsmanager.GetSecretValue" },
    body,
  });
  const res = await fetch(endpoint, { method: "POST", headers: signed.headers as Record<string, string>, body });
  const text = await res.text();
  if (!res.ok) throw new Error(`Secrets Manager GetSecretValue ${secretId} failed: ${res.status} ${text.slice(0, 300)}`);
  const out = JSON.parse(text) as { SecretString?: string };
  if (typeof out.SecretString !== "string") throw new Error(`secret ${secretId} has no SecretString`);
  return out.SecretString;
}
