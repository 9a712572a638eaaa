import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { createPool } from "@polycloud/runtime";
import { LocalPostgres, describeWithPostgres, startPostgres } from "../helpers/postgres";
import { TestCa, issueServerCert, makeCa } from "../helpers/tls-certs";

/**
 * Database TLS as the functions use it, against real PostgreSQL servers serving TLS: the chain is
 * verified against DB_<ID>_SSLROOTCERT (a CA that is not in Node's or Python's store, as the RDS and
 * Cloud SQL CAs are not), and so is the server's identity: the host (DNS name or IP address), or
 * DB_<ID>_SSLSERVERNAME, including Cloud SQL's per-instance form `<project>:<instance>` (only a
 * common name, no subjectAltName). `sslmode=require` (encrypt, verify nothing) is refused.
 */
const python = spawnSync("python3", ["--version"]).status === 0 ? "python3" : undefined;

describeWithPostgres("database TLS is verified (Node runtime, Python twin, libpq)", () => {
  let ca: TestCa;
  let stranger: TestCa;
  let named: LocalPostgres; // certificate for db.internal.test and 127.0.0.1
  let cloudSql: LocalPostgres; // certificate whose only name is CN=proj-1:orders-dev-main

  beforeAll(async () => {
    ca = makeCa("polycloud test root");
    stranger = makeCa("someone else's root");
    named = await startPostgres({ ssl: issueServerCert(ca, "named", "db.internal.test", ["DNS:db.internal.test", "IP:127.0.0.1"]) });
    cloudSql = await startPostgres({ ssl: issueServerCert(ca, "cloudsql", "proj-1:orders-dev-main") });
  });
  afterAll(() => { named?.stop(); cloudSql?.stop(); });

  const env = (server: LocalPostgres, extra: Record<string, string>) => ({
    POLYCLOUD_CLOUD: "gcp", DB_MAIN_HOST: "127.0.0.1", DB_MAIN_PORT: String(server.port), DB_MAIN_NAME: "postgres", DB_MAIN_USER: "postgres", DB_MAIN_SSLMODE: "verify-full", ...extra,
  });
  async function connects(server: LocalPostgres, extra: Record<string, string>): Promise<string> {
    const pool = createPool("main", { token: async () => "unused", max: 1 }, env(server, extra));
    try {
      const r = await pool.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
      return r.rows[0].ssl ? "tls" : "plain";
    } catch (err) {
      return `refused: ${(err as Error).message}`;
    } finally {
      await pool.end();
    }
  }

  test("the right CA (inline PEM or file) and the host's IP address in the certificate: connected over TLS", async () => {
    expect(await connects(named, { DB_MAIN_SSLROOTCERT: ca.pem })).toBe("tls");
    expect(await connects(named, { DB_MAIN_SSLROOTCERT: ca.certFile })).toBe("tls");
    expect(await connects(named, { DB_MAIN_SSLROOTCERT: ca.pem, DB_MAIN_SSLSERVERNAME: "db.internal.test" })).toBe("tls");
  });

  test("another CA, or Node's own store, does not trust the server: refused", async () => {
    expect(await connects(named, { DB_MAIN_SSLROOTCERT: stranger.pem })).toMatch(/^refused: .*(self[- ]signed|unable to (get|verify))/);
    expect(await connects(named, {})).toMatch(/^refused: .*(self[- ]signed|unable to (get|verify))/);
  });

  test("the right CA but another name: refused", async () => {
    expect(await connects(named, { DB_MAIN_SSLROOTCERT: ca.pem, DB_MAIN_SSLSERVERNAME: "other.internal.test" })).toMatch(/^refused: .*(Hostname\/IP does not match|altnames)/);
  });

  test("Cloud SQL's per-instance form: the instance name in the common name is checked", async () => {
    expect(await connects(cloudSql, { DB_MAIN_SSLROOTCERT: ca.pem, DB_MAIN_SSLSERVERNAME: "proj-1:orders-dev-main" })).toBe("tls");
    expect(await connects(cloudSql, { DB_MAIN_SSLROOTCERT: ca.pem, DB_MAIN_SSLSERVERNAME: "proj-1:orders-prod-main" })).toMatch(/^refused: database certificate names proj-1:orders-dev-main, not proj-1:orders-prod-main/);
    // Without the expected name the IP address is checked, and the certificate has none.
    expect(await connects(cloudSql, { DB_MAIN_SSLROOTCERT: ca.pem })).toMatch(/^refused: .*(IP: 127\.0\.0\.1 is not in the cert's list|Hostname\/IP does not match)/);
  });

  test("sslmode=require (encrypt without verifying) is refused before connecting", () => {
    expect(() => createPool("main", {}, env(named, { DB_MAIN_SSLMODE: "require" }))).toThrow(/sslmode 'require' encrypts without verifying the server, and is refused for 127\.0\.0\.1/);
  });

  (python ? test : test.skip)("the Python twin's ssl_context verifies the same way (handshake after PostgreSQL's SSLRequest)", () => {
    const script = `
import json, socket, struct, sys
sys.path.insert(0, ${JSON.stringify(path.resolve(__dirname, "../../modules/runtime/python"))})
from polycloud_runtime import ssl_context, libpq_params
out = {}
for label, port, extra in json.loads(sys.argv[1]):
    env = {"DB_MAIN_HOST": "127.0.0.1", "DB_MAIN_PORT": str(port), "DB_MAIN_NAME": "postgres", "DB_MAIN_USER": "postgres", "DB_MAIN_SSLMODE": "verify-full", **extra}
    try:
        ctx = ssl_context("main", env)
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(struct.pack("!ii", 8, 80877103))
        assert s.recv(1) == b"S"
        t = ctx.wrap_socket(s, server_hostname="127.0.0.1")
        out[label] = "tls " + t.version()
        t.close()
    except Exception as e:
        out[label] = "refused: " + str(e)
out["libpq"] = libpq_params("main", {"DB_MAIN_HOST": "10.0.0.5", "DB_MAIN_PORT": "5432", "DB_MAIN_NAME": "app", "DB_MAIN_USER": "u", "DB_MAIN_SSLROOTCERT": "/opt/ca.pem", "DB_MAIN_SSLSERVERNAME": "proj-1:orders-dev-main"})
try:
    ssl_context("main", {"DB_MAIN_HOST": "db", "DB_MAIN_PORT": "1", "DB_MAIN_NAME": "x", "DB_MAIN_USER": "u", "DB_MAIN_SSLMODE": "require"})
except RuntimeError as e:
    out["require"] = str(e)
print(json.dumps(out))
`;
    const cases = [
      ["named", named.port, { DB_MAIN_SSLROOTCERT: ca.pem }],
      ["named-file", named.port, { DB_MAIN_SSLROOTCERT: ca.certFile }],
      ["stranger", named.port, { DB_MAIN_SSLROOTCERT: stranger.pem }],
      ["wrong-name", named.port, { DB_MAIN_SSLROOTCERT: ca.pem, DB_MAIN_SSLSERVERNAME: "other.internal.test" }],
      ["cloudsql", cloudSql.port, { DB_MAIN_SSLROOTCERT: ca.pem, DB_MAIN_SSLSERVERNAME: "proj-1:orders-dev-main" }],
      ["cloudsql-wrong", cloudSql.port, { DB_MAIN_SSLROOTCERT: ca.pem, DB_MAIN_SSLSERVERNAME: "proj-1:other" }],
    ];
    const r = spawnSync(python!, ["-I", "-B", "-c", script, JSON.stringify(cases)], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout);
    expect(out.named).toMatch(/^tls TLSv1\.[23]$/);
    expect(out["named-file"]).toMatch(/^tls /);
    expect(out.stranger).toMatch(/^refused: .*certificate verify failed/);
    expect(out["wrong-name"]).toMatch(/^refused: .*(Hostname mismatch|certificate verify failed)/);
    expect(out.cloudsql).toMatch(/^tls /);
    expect(out["cloudsql-wrong"]).toMatch(/^refused: .*database certificate names proj-1:orders-dev-main, not proj-1:other/);
    expect(out.libpq).toEqual({ host: "proj-1:orders-dev-main", hostaddr: "10.0.0.5", port: "5432", dbname: "app", user: "u", sslmode: "verify-full", sslrootcert: "/opt/ca.pem" });
    expect(out.require).toMatch(/sslmode 'require' encrypts without verifying the server, and is refused/);
  });

  test("libpq checks the same parameters: psql with verify-full, the CA, and host=<identity> hostaddr=<address>", () => {
    const psql = (server: LocalPostgres, conn: string) => spawnSync(path.join(server.binDir, "psql"), [conn, "-Atc", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"], { encoding: "utf8" });
    const ok = psql(cloudSql, `host=proj-1:orders-dev-main hostaddr=127.0.0.1 port=${cloudSql.port} dbname=postgres user=postgres sslmode=verify-full sslrootcert=${ca.certFile}`);
    expect({ out: ok.stdout.trim(), err: ok.stderr }).toEqual({ out: "t", err: "" });
    const bad = psql(cloudSql, `host=proj-1:other hostaddr=127.0.0.1 port=${cloudSql.port} dbname=postgres user=postgres sslmode=verify-full sslrootcert=${ca.certFile}`);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/server certificate for "proj-1:orders-dev-main" does not match host name "proj-1:other"/);
  });
});
