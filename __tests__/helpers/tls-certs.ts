// Throwaway certificate authorities and server certificates for TLS tests, made with the openssl
// command line (Debian's openssl package; .ci/run installs it when missing).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCa { readonly dir: string; readonly certFile: string; readonly keyFile: string; readonly pem: string }
export interface TestServerCert { readonly certFile: string; readonly keyFile: string }

const openssl = (args: string[], cwd: string) => execFileSync("openssl", args, { cwd, stdio: "pipe" });

export function makeCa(name: string): TestCa {
  const dir = mkdtempSync(join(tmpdir(), "polycloud-ca-"));
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${name}`, "-keyout", "ca.key", "-out", "ca.crt",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
  return { dir, certFile: join(dir, "ca.crt"), keyFile: join(dir, "ca.key"), pem: readFileSync(join(dir, "ca.crt"), "utf8") };
}

/** A server certificate signed by `ca`: common name `cn`, and subjectAltName entries (`DNS:x`, `IP:y`) when given. */
export function issueServerCert(ca: TestCa, name: string, cn: string, altNames: string[] = []): TestServerCert {
  const ext = join(ca.dir, `${name}.ext`);
  writeFileSync(ext, ["basicConstraints=CA:FALSE", "keyUsage=digitalSignature,keyEncipherment", "extendedKeyUsage=serverAuth", ...(altNames.length ? [`subjectAltName=${altNames.join(",")}`] : [])].join("\n"));
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${cn}`, "-keyout", `${name}.key`, "-out", `${name}.csr`], ca.dir);
  openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", `${name}.crt`], ca.dir);
  return { certFile: join(ca.dir, `${name}.crt`), keyFile: join(ca.dir, `${name}.key`) };
}
