import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { rootCertificates } from "node:tls";
import { AZURE_POSTGRES_ROOT_CERTIFICATES } from "@polycloud/azure";
import { CertificateAuthority, EmulatedNetwork, FetchAnswer, HttpHandler } from "@polycloud/core";
import { OpensslAuthority } from "./authority";
import { FrontServers, close, listen, serveWith } from "./front";

export function fetchAnswer(status: number, headers: Record<string, string>, body: Buffer): FetchAnswer {
  return { status, headers, body, text: () => body.toString("utf8"), json: () => JSON.parse(body.toString("utf8")) };
}

/**
 * The runner's private network. Every name an emulation serves is one entry of a map that
 * function processes load at start (`hosts/net-preload.cjs`, `hosts/python/sitecustomize.py`):
 * their connections to `name:port` land on the front servers (or a TCP service such as a
 * database gate), with TLS certificates from the runner's authorities. Nothing reaches the real
 * internet: a name nobody serves is refused.
 */
export class RunnerNetwork implements EmulatedNetwork {
  readonly publicAuthority: CertificateAuthority;
  private readonly authorities = new Map<string, CertificateAuthority>();
  private readonly routes = new Map<string, string>();
  private readonly standIns: { subject: RegExp; authority: CertificateAuthority }[] = [];
  private publicRoots?: Set<string>;
  private readonly front: FrontServers;
  private readonly exposed: http.Server[] = [];
  /** Exposed entry points by name (for `npm run dev`'s listing). */
  readonly entryPoints = new Map<string, string>();

  /** The shared map function processes read (hosts/net-preload.cjs, hosts/python/runner_net.py). */
  readonly mapFile: string;

  constructor(private readonly dir: string, private readonly log: (line: string) => void) {
    this.mapFile = path.join(dir, "network.json");
    fs.writeFileSync(this.mapFile, "{}");
    this.front = new FrontServers(log);
    this.publicAuthority = new OpensslAuthority("public web PKI", path.join(dir, "ca-public"));
  }

  start(): Promise<void> {
    return this.front.start();
  }

  authority(name: string): CertificateAuthority {
    let ca = this.authorities.get(name);
    if (!ca) {
      ca = new OpensslAuthority(name, path.join(this.dir, `ca-${this.authorities.size}`));
      this.authorities.set(name, ca);
    }
    return ca;
  }

  standIn(subject: RegExp, authority: CertificateAuthority): void {
    this.standIns.push({ subject, authority });
  }

  /**
   * A PEM bundle as the runner gives it to a function: each certificate a runner authority stands
   * in for (a public root: the public authority; a cloud's own root: the authority the cloud's
   * emulation named) becomes that authority's certificate; others stay. Undefined when the text
   * holds no certificate the runner replaces.
   */
  substituteCertificates(pem: string): string | undefined {
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
    if (!blocks) return undefined;
    // Node's store, and the public roots a cloud package keeps itself (Node 22's store no longer has
    // every root Azure documents for PostgreSQL).
    this.publicRoots ??= new Set([...rootCertificates, ...Object.values(AZURE_POSTGRES_ROOT_CERTIFICATES).map((r) => r.pem)].map((c) => new X509Certificate(c).fingerprint256));
    const out: string[] = [];
    let replaced = false;
    for (const block of blocks) {
      let cert: X509Certificate;
      try { cert = new X509Certificate(block); } catch { out.push(block); continue; }
      const standIn = this.standIns.find((s) => s.subject.test(cert.subject))?.authority
        ?? (this.publicRoots.has(cert.fingerprint256) ? this.publicAuthority : undefined);
      if (!standIn) { out.push(block); continue; }
      replaced = true;
      out.push(standIn.certificatePem.trim());
    }
    return replaced ? `${[...new Set(out)].join("\n")}\n` : undefined;
  }

  serve(hostname: string, handler: HttpHandler, options: { scheme?: "https" | "http"; port?: number; authority?: CertificateAuthority } = {}): void {
    const scheme = options.scheme ?? "https";
    const authority = options.authority ?? this.publicAuthority;
    this.front.add(scheme, hostname, handler, () => authority.issue([hostname]));
    const port = options.port ?? (scheme === "https" ? 443 : 80);
    this.route(`${hostname.toLowerCase()}:${port}`, `127.0.0.1:${scheme === "https" ? this.front.securePort : this.front.plainPort}`);
  }

  private route(key: string, to: string): void {
    this.routes.set(key, to);
    const tmp = `${this.mapFile}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.routes)));
    fs.renameSync(tmp, this.mapFile);
  }

  tcp(hostname: string, port: number, target: { host: string; port: number }): void {
    this.route(`${hostname.toLowerCase()}:${port}`, `${target.host}:${target.port}`);
  }

  async listen(handler: HttpHandler): Promise<number> {
    const server = http.createServer((req, res) => void serveWith(handler, req, res, String(req.headers.host ?? "127.0.0.1").replace(/:\d+$/, ""), this.log));
    const port = await listen(server);
    this.exposed.push(server);
    return port;
  }

  async expose(name: string, handler: HttpHandler): Promise<string> {
    const server = http.createServer((req, res) => void serveWith(handler, req, res, String(req.headers.host ?? "127.0.0.1").replace(/:\d+$/, ""), this.log));
    const port = await listen(server);
    this.exposed.push(server);
    const url = `http://127.0.0.1:${port}`;
    this.entryPoints.set(name, url);
    return url;
  }

  async fetch(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<FetchAnswer> {
    const u = new URL(url);
    const scheme = u.protocol === "https:" ? "https" : "http";
    const port = u.port ? Number(u.port) : scheme === "https" ? 443 : 80;
    const hostname = u.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
    const handler = this.routes.has(`${hostname}:${port}`) ? this.front.handler(scheme, hostname) : undefined;
    if (!handler) throw new Error(`runner network: nothing serves ${scheme}://${hostname}:${port} (the runner never reaches the internet)`);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(init.headers ?? {})) headers[k.toLowerCase()] = v;
    headers.host ??= u.host;
    const answer = await handler({ method: (init.method ?? "GET").toUpperCase(), url: `${u.pathname}${u.search}`, headers, body: Buffer.from(init.body ?? ""), hostname });
    const outHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(answer.headers ?? {})) outHeaders[k.toLowerCase()] = v;
    return fetchAnswer(answer.status, outHeaders, Buffer.from(answer.body ?? ""));
  }

  /** `host:port` → `127.0.0.1:<port>`: what function processes load. */
  map(): Record<string, string> {
    return Object.fromEntries(this.routes);
  }

  async stop(): Promise<void> {
    await Promise.all([this.front.stop(), ...this.exposed.map(close)]);
  }
}
