import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { CertificateAuthority } from "@polycloud/core";

/**
 * A certificate authority made with the openssl CLI (P-256 keys): the runner's stand-in for the
 * public web PKI, and one private authority per database the way each cloud has its own (RDS, a
 * Cloud SQL instance's server CA). Server certificates are issued on demand and kept per name set.
 */
export class OpensslAuthority implements CertificateAuthority {
  readonly certificatePem: string;
  readonly certificateFile: string;
  private readonly keyFile: string;
  private readonly issued = new Map<string, { key: string; cert: string }>();

  constructor(readonly name: string, private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    this.keyFile = path.join(dir, "ca.key");
    this.certificateFile = path.join(dir, "ca.pem");
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", this.keyFile, "-out", this.certificateFile, "-days", "30", "-subj", `/CN=${`${name} (polycloud local runner)`.slice(0, 64)}`,
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    ], { stdio: "pipe" });
    this.certificatePem = fs.readFileSync(this.certificateFile, "utf8");
  }

  issue(hostnames: readonly string[], options: { commonName?: string } = {}): { key: string; cert: string } {
    const names = [...new Set(hostnames)].sort();
    const cn = options.commonName ?? names[0];
    const id = `${cn}|${names.join(",")}`;
    const hit = this.issued.get(id);
    if (hit) return hit;
    const base = path.join(this.dir, `leaf-${this.issued.size}`);
    const san = names.map((n) => (net.isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", `${base}.key`, "-out", `${base}.pem`, "-days", "7", "-subj", `/CN=${cn.replace(/[/=]/g, "_").slice(0, 64)}`,
      "-CA", this.certificateFile, "-CAkey", this.keyFile,
      "-addext", `subjectAltName=${san}`, "-addext", "basicConstraints=CA:FALSE", "-addext", "extendedKeyUsage=serverAuth",
    ], { stdio: "pipe" });
    const out = { key: fs.readFileSync(`${base}.key`, "utf8"), cert: fs.readFileSync(`${base}.pem`, "utf8") };
    this.issued.set(id, out);
    return out;
  }
}
