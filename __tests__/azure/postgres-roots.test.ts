import { X509Certificate } from "node:crypto";
import { rootCertificates } from "node:tls";
import { AZURE_POSTGRES_ROOT_NAMES, azurePostgresRoots } from "@polycloud/azure";

/**
 * The Azure PostgreSQL roots are kept in the package, not read from Node's store: Node 22.23 no
 * longer ships DigiCert Global Root CA, and the synthesized setting must not depend on the Node version.
 */
test("the kept roots are Azure's three, in order, and equal the Node store's copy wherever it still has one", () => {
  const pems = azurePostgresRoots().split(/(?<=-----END CERTIFICATE-----\n)/).filter(Boolean);
  const certs = pems.map((p) => new X509Certificate(p));
  expect(certs.map((c) => /(?:^|\n)CN=([^\n]*)/.exec(c.subject)?.[1])).toEqual([...AZURE_POSTGRES_ROOT_NAMES]);
  for (const c of certs) {
    const inStore = rootCertificates.map((p) => new X509Certificate(p)).find((s) => s.subject === c.subject);
    if (inStore) expect(inStore.fingerprint256).toBe(c.fingerprint256);
    // Roots, not intermediates, and still valid for years.
    expect([c.subject === c.issuer, new Date(c.validTo).getFullYear() >= 2031]).toEqual([true, true]);
  }
});
