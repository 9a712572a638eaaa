import * as net from "node:net";
import * as tls from "node:tls";

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

function errorResponse(code: string, message: string): Buffer {
  const fields = Buffer.concat([
    Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0`, "utf8"), Buffer.from([0]),
  ]);
  const head = Buffer.alloc(5);
  head.write("E", 0);
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}

/** Reads exactly the bytes of one message from a socket, keeping what follows for the next read. */
class Reader {
  private buf = Buffer.alloc(0);
  private waiting?: () => void;
  constructor(private socket: net.Socket) { this.attach(socket); }
  attach(socket: net.Socket): void {
    this.socket = socket;
    socket.on("data", (d: Buffer) => { this.buf = Buffer.concat([this.buf, d]); this.waiting?.(); });
    socket.on("close", () => this.waiting?.());
  }
  async take(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (this.socket.destroyed) throw new Error("client went away");
      await new Promise<void>((r) => { this.waiting = r; });
      this.waiting = undefined;
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
  rest(): Buffer { const b = this.buf; this.buf = Buffer.alloc(0); return b; }
  detach(): void { this.socket.removeAllListeners("data"); }
}

export interface GateOptions {
  /** Server certificate for the names functions connect to. */
  readonly certificate: { key: string; cert: string };
  /** Refuse clients that do not ask for TLS (the cloud requires it). */
  readonly requireTls: boolean;
  /** Where authenticated connections go (PgBouncer or PostgreSQL, trusting loopback). */
  readonly backend: { host: string; port: number };
  /** undefined when `password` is a valid identity token for `user`, else the reason. */
  verify(user: string, password: string, database: string): Promise<string | undefined>;
  log(line: string): void;
}

/**
 * The endpoint functions connect to, in place of RDS Proxy / Aurora, Cloud SQL or Flexible
 * Server: TLS with a certificate from the cloud's authority, then the password (an identity
 * token: an RDS IAM token, a Cloud SQL IAM access token, an Entra token) checked the way that
 * cloud checks it, and only then the connection handed to the pooler or server as that role.
 */
export async function startGate(options: GateOptions): Promise<{ port: number; stop(): Promise<void> }> {
  const context = tls.createSecureContext(options.certificate);
  const server = net.createServer((raw) => {
    raw.on("error", () => undefined);
    // A client that hangs up during the handshake (a TLS verification failure on its side) is not news.
    void handle(raw).catch((err) => { if (!/client went away/.test(String(err?.message))) options.log(`database gate: ${err instanceof Error ? err.message : err}`); raw.destroy(); });
  });

  async function handle(raw: net.Socket): Promise<void> {
    let socket: net.Socket = raw;
    let reader = new Reader(raw);
    let encrypted = false;
    let startup: Buffer | undefined;
    while (!startup) {
      const len = (await reader.take(4)).readInt32BE(0);
      const body = await reader.take(len - 4);
      const code = body.readInt32BE(0);
      if (code === SSL_REQUEST && !encrypted) {
        reader.detach();
        raw.write("S");
        const secure = new tls.TLSSocket(raw, { isServer: true, secureContext: context });
        secure.on("error", () => undefined);
        socket = secure;
        reader = new Reader(secure);
        encrypted = true;
      } else if (code === GSSENC_REQUEST) {
        raw.write("N");
      } else if (code === CANCEL_REQUEST) {
        raw.end();
        return;
      } else {
        startup = Buffer.concat([Buffer.alloc(4), body]);
        startup.writeInt32BE(len, 0);
      }
    }
    const params: Record<string, string> = {};
    const parts = startup.subarray(8).toString("utf8").split("\0");
    for (let i = 0; i + 1 < parts.length && parts[i]; i += 2) params[parts[i]] = parts[i + 1];
    const user = params.user ?? "";
    const database = params.database ?? user;
    if (options.requireTls && !encrypted) {
      socket.end(errorResponse("28000", `no pg_hba.conf entry for user "${user}", database "${database}", no encryption`));
      return;
    }
    const ask = Buffer.alloc(9);
    ask.write("R", 0);
    ask.writeInt32BE(8, 1);
    ask.writeInt32BE(3, 5); // AuthenticationCleartextPassword: the token is the password
    socket.write(ask);
    const type = (await reader.take(1)).toString("latin1");
    const len = (await reader.take(4)).readInt32BE(0);
    const password = (await reader.take(len - 4)).toString("utf8").replace(/\0$/, "");
    if (type !== "p") { socket.end(errorResponse("08P01", "expected a password message")); return; }
    const refused = await options.verify(user, password, database);
    if (refused) {
      options.log(`database gate: refused ${user}@${database}: ${refused}`);
      socket.end(errorResponse("28P01", `password authentication failed for user "${user}"`));
      return;
    }
    const backend = net.connect(options.backend.port, options.backend.host);
    backend.on("error", () => socket.destroy());
    socket.on("error", () => backend.destroy());
    await new Promise<void>((resolve, reject) => { backend.once("connect", resolve); backend.once("error", reject); });
    reader.detach();
    backend.write(startup);
    const rest = reader.rest();
    if (rest.length) backend.write(rest);
    socket.pipe(backend);
    backend.pipe(socket);
    socket.on("close", () => backend.destroy());
    backend.on("close", () => socket.destroy());
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
