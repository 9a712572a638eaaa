import { X509Certificate } from "node:crypto";
import { rootCertificates } from "node:tls";

/**
 * The root CAs Azure documents for Azure Database for PostgreSQL flexible server: DigiCert Global
 * Root G2 and Microsoft RSA Root Certificate Authority 2017, with DigiCert Global Root CA during
 * the rotation ("combined" root bundle in learn.microsoft.com/azure/postgresql/flexible-server/
 * concepts-networking-ssl-tls). They are public roots, taken from the Mozilla store that Node.js
 * ships, so nothing is downloaded at synth; functions trust these three only (not every public CA).
 */
export const AZURE_POSTGRES_ROOT_NAMES = ["DigiCert Global Root G2", "Microsoft RSA Root Certificate Authority 2017", "DigiCert Global Root CA"] as const;

let cached: string | undefined;
export function azurePostgresRoots(): string {
  if (cached) return cached;
  const byName = new Map<string, string>();
  for (const pem of rootCertificates) {
    const cn = /(?:^|\n)CN=([^\n]*)/.exec(new X509Certificate(pem).subject)?.[1];
    if (cn && (AZURE_POSTGRES_ROOT_NAMES as readonly string[]).includes(cn)) byName.set(cn, pem);
  }
  const missing = AZURE_POSTGRES_ROOT_NAMES.filter((n) => !byName.has(n));
  if (missing.length) throw new Error(`Node.js ${process.version} does not ship the root CA(s) Azure documents for PostgreSQL: ${missing.join(", ")}`);
  cached = AZURE_POSTGRES_ROOT_NAMES.map((n) => `${byName.get(n)!.trim()}\n`).join("");
  return cached;
}
