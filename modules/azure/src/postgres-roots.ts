import { X509Certificate } from "node:crypto";
import { AZURE_POSTGRES_ROOT_CERTIFICATES } from "./postgres-root-certificates";

/**
 * The root CAs Azure documents for Azure Database for PostgreSQL flexible server: DigiCert Global
 * Root G2 and Microsoft RSA Root Certificate Authority 2017, with DigiCert Global Root CA during
 * the rotation ("combined" root bundle in learn.microsoft.com/azure/postgresql/flexible-server/
 * concepts-networking-ssl-tls). They are public roots kept in this package (postgres-root-
 * certificates.ts), so nothing is downloaded at synth and the output does not depend on the Node.js
 * version; functions trust these three only (not every public CA).
 */
export const AZURE_POSTGRES_ROOT_NAMES = ["DigiCert Global Root G2", "Microsoft RSA Root Certificate Authority 2017", "DigiCert Global Root CA"] as const;

let cached: string | undefined;
export function azurePostgresRoots(): string {
  if (cached) return cached;
  cached = AZURE_POSTGRES_ROOT_NAMES.map((n) => {
    const root = AZURE_POSTGRES_ROOT_CERTIFICATES[n];
    const cert = new X509Certificate(root.pem);
    const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
    if (cn !== n || cert.fingerprint256 !== root.sha256) throw new Error(`@polycloud/azure: the kept root certificate ${n} does not match its name or fingerprint ${root.sha256}`);
    return `${root.pem.trim()}\n`;
  }).join("");
  return cached;
}
