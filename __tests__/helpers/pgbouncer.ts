// A throwaway PgBouncer on loopback in front of the test PostgreSQL server (Debian's pgbouncer
// package; `.ci/run` installs it when missing). Clients authenticate to PgBouncer with the
// passwords in its auth file, which is how an identity token presented as the password meets an
// IAM-aware pooler (RDS Proxy, the Cloud SQL connector, PgBouncer with Entra): the server itself
// trusts the pooler on loopback.
import { ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalPostgres, freePort } from "./postgres";

export interface LocalPgBouncer {
  readonly host: "127.0.0.1";
  readonly port: number;
  /** `major.minor.patch` of the pgbouncer binary. */
  readonly version: string;
  /** Runs an admin console command (SHOW POOLS, SHOW SERVERS, ...) and returns the rows as objects. */
  show(what: string): Record<string, string>[];
  /** Replaces the auth file (user -> password) and reloads. */
  setPasswords(users: Record<string, string>): void;
  stop(): void;
}

export function pgbouncerBinary(): string | undefined {
  const r = spawnSync("sh", ["-c", "command -v pgbouncer || ls /usr/sbin/pgbouncer 2>/dev/null"], { encoding: "utf8" });
  return r.stdout.trim().split("\n")[0] || undefined;
}

export function pgbouncerVersion(bin = pgbouncerBinary()): string | undefined {
  if (!bin) return undefined;
  return /PgBouncer (\d+\.\d+\.\d+)/.exec(spawnSync(bin, ["--version"], { encoding: "utf8" }).stdout)?.[1];
}

/** true when the installed pgbouncer tracks protocol-level prepared statements (>= 1.21). */
export function supportsProtocolPreparedStatements(version: string): boolean {
  const [maj, min] = version.split(".").map(Number);
  return maj > 1 || (maj === 1 && min >= 21);
}


const ADMIN = { user: "pgb_admin", password: "admin-secret" };
const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

export async function startPgBouncer(pg: LocalPostgres, options: { database: string; users: Record<string, string>; poolSize?: number; maxPreparedStatements?: number }): Promise<LocalPgBouncer> {
  const bin = pgbouncerBinary();
  const version = pgbouncerVersion(bin);
  if (!bin || !version) throw new Error("no pgbouncer binary (install Debian's pgbouncer package)");
  const dir = mkdtempSync(join(tmpdir(), "polycloud-pgb-"));
  chmodSync(dir, 0o777);
  const port = await freePort();
  const authFile = join(dir, "userlist.txt");
  const writeUsers = (users: Record<string, string>) => writeFileSync(authFile, Object.entries({ ...users, [ADMIN.user]: ADMIN.password }).map(([u, p]) => `${quote(u)} ${quote(p)}`).join("\n") + "\n", { mode: 0o644 });
  writeUsers(options.users);
  const lines = [
    "[databases]",
    `${options.database} = host=127.0.0.1 port=${pg.port} dbname=${options.database}`,
    "[pgbouncer]",
    "listen_addr = 127.0.0.1",
    `listen_port = ${port}`,
    "unix_socket_dir =",
    // SCRAM against plain-text passwords in the auth file: the token itself is the secret.
    "auth_type = scram-sha-256",
    `auth_file = ${authFile}`,
    "pool_mode = transaction",
    `default_pool_size = ${options.poolSize ?? 2}`,
    "max_client_conn = 200",
    `admin_users = ${ADMIN.user}`,
    "ignore_startup_parameters = extra_float_digits,options",
    `logfile = ${join(dir, "pgbouncer.log")}`,
    "server_reset_query =",
    ...(options.maxPreparedStatements !== undefined && supportsProtocolPreparedStatements(version) ? [`max_prepared_statements = ${options.maxPreparedStatements}`] : []),
  ];
  const config = join(dir, "pgbouncer.ini");
  writeFileSync(config, lines.join("\n") + "\n", { mode: 0o644 });
  // pgbouncer refuses to run as root; -u drops to the postgres user after reading the config.
  const args = process.getuid?.() === 0 ? ["-u", "postgres", config] : [config];
  const child: ChildProcess = spawn(bin, args, { stdio: "ignore" });
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    child.kill("SIGINT");
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", stop);
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1", () => { s.end(); resolve(true); });
      s.on("error", () => resolve(false));
    });
    if (up) break;
    if (i > 100 || child.exitCode !== null) { stop(); throw new Error(`pgbouncer did not start (exit ${child.exitCode})`); }
    await new Promise((r) => setTimeout(r, 50));
  }
  const admin = (sql: string) => execFileSync(join(pg.binDir, "psql"), ["-h", "127.0.0.1", "-p", String(port), "-U", ADMIN.user, "-d", "pgbouncer", "-X", "-A", "-F", "\t", "-P", "footer=off", "-c", sql], { encoding: "utf8", env: { ...process.env, PGPASSWORD: ADMIN.password } });
  const show = (what: string) => {
    const [head, ...rows] = admin(`SHOW ${what}`).trim().split("\n");
    const cols = head.split("\t");
    return rows.filter(Boolean).map((r) => Object.fromEntries(r.split("\t").map((v, i) => [cols[i], v])));
  };
  const setPasswords = (users: Record<string, string>) => {
    writeUsers(users);
    admin("RELOAD");
  };
  return { host: "127.0.0.1", port, version, show, setPasswords, stop };
}
