import * as http from "node:http";
import * as https from "node:https";
import { AddressInfo } from "node:net";
import * as tls from "node:tls";
import { HttpAnswer, HttpExchange, HttpHandler } from "@polycloud/core";

/** Reads a Node request into the emulations' request shape. */
export function readExchange(req: http.IncomingMessage, hostname: string): Promise<HttpExchange> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", reject);
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
      resolve({ method: (req.method ?? "GET").toUpperCase(), url: req.url ?? "/", headers, body: Buffer.concat(chunks), hostname });
    });
  });
}

export function writeAnswer(res: http.ServerResponse, answer: HttpAnswer): void {
  const body = answer.body === undefined ? "" : answer.body;
  res.writeHead(answer.status, { ...(answer.headers ?? {}), "content-length": String(Buffer.byteLength(body)) });
  res.end(body);
}

/** Serves one request with `handler`; a handler that throws answers 502 with the reason (and logs it). */
export async function serveWith(handler: HttpHandler | undefined, req: http.IncomingMessage, res: http.ServerResponse, hostname: string, log: (line: string) => void): Promise<void> {
  try {
    const exchange = await readExchange(req, hostname);
    if (!handler) { writeAnswer(res, { status: 404, headers: { "content-type": "text/plain" }, body: `no such host on the runner's network: ${hostname}` }); return; }
    writeAnswer(res, await handler(exchange));
  } catch (err) {
    log(`${hostname} ${req.method} ${req.url}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    if (!res.headersSent) writeAnswer(res, { status: 502, headers: { "content-type": "text/plain" }, body: `runner: ${err instanceof Error ? err.message : String(err)}` });
    else res.end();
  }
}

const hostOf = (req: http.IncomingMessage) => String(req.headers.host ?? "").replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1").toLowerCase();

/**
 * The two listeners behind every name on the runner's network: one TLS server choosing the
 * certificate by SNI, one plain HTTP server; both dispatch on the Host header.
 */
export class FrontServers {
  private readonly handlers = new Map<string, HttpHandler>();
  private readonly contexts = new Map<string, () => tls.SecureContext>();
  private secure?: https.Server;
  private plain?: http.Server;
  securePort = 0;
  plainPort = 0;

  constructor(private readonly log: (line: string) => void) {}

  async start(): Promise<void> {
    this.secure = https.createServer({
      SNICallback: (servername, cb) => {
        const make = this.contexts.get(servername.toLowerCase());
        if (!make) { cb(new Error(`no certificate for ${servername}`)); return; }
        try { cb(null, make()); } catch (err) { cb(err as Error); }
      },
    }, (req, res) => void serveWith(this.handlers.get(`https://${hostOf(req)}`), req, res, hostOf(req), this.log));
    this.plain = http.createServer((req, res) => void serveWith(this.handlers.get(`http://${hostOf(req)}`), req, res, hostOf(req), this.log));
    this.securePort = await listen(this.secure);
    this.plainPort = await listen(this.plain);
  }

  add(scheme: "https" | "http", hostname: string, handler: HttpHandler, certificate?: () => { key: string; cert: string }): void {
    const host = hostname.toLowerCase();
    this.handlers.set(`${scheme}://${host}`, handler);
    if (scheme === "https" && certificate) {
      let ctx: tls.SecureContext | undefined;
      this.contexts.set(host, () => (ctx ??= tls.createSecureContext(certificate())));
    }
  }

  handler(scheme: "https" | "http", hostname: string): HttpHandler | undefined {
    return this.handlers.get(`${scheme}://${hostname.toLowerCase()}`);
  }

  async stop(): Promise<void> {
    await Promise.all([this.secure, this.plain].map((s) => s && close(s)));
  }
}

export function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

export function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}
