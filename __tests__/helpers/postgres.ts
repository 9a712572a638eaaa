// A throwaway PostgreSQL server on loopback for tests that must run real SQL (role migrations,
// grants, pooling). It uses Debian's `postgresql` package, found on disk rather than at a fixed
// path; `.ci/run` installs the package when it is missing. Tests skip loudly when no server
// binary exists here (outside CI).
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface LocalPostgres {
  readonly host: "127.0.0.1";
  readonly port: number;
  /** The bootstrap superuser (trust auth on loopback only). */
  readonly superuser: "postgres";
  readonly binDir: string;
  /** Runs SQL through psql with ON_ERROR_STOP; returns stdout (unaligned, tuples only). */
  psql(sql: string, options?: { user?: string; database?: string }): string;
  /** Like psql, but returns the exit status and stderr instead of throwing. */
  tryPsql(sql: string, options?: { user?: string; database?: string }): { ok: boolean; stdout: string; stderr: string };
  stop(): void;
}

/** The newest PostgreSQL server binary directory on this machine, or undefined. */
export function findPostgresBinDir(): string | undefined {
  const fromEnv = process.env.POSTGRES_BIN_DIR;
  if (fromEnv && existsSync(join(fromEnv, "initdb"))) return fromEnv;
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")) && existsSync(join(root, v, "bin", "postgres")))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0], "bin") : undefined;
}

/** A free TCP port on loopback (for test servers). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** initdb refuses to run as root: run the server commands as the `postgres` OS user then. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, args];
  return ["runuser", ["-u", "postgres", "--", command, ...args]];
}

export interface PostgresOptions {
  /** Serve TLS with this certificate and key (PEM files); the server also accepts plain TCP unless `hostssl`. */
  readonly ssl?: { readonly certFile: string; readonly keyFile: string };
}

export async function startPostgres(options: PostgresOptions = {}): Promise<LocalPostgres> {
  const binDir = findPostgresBinDir();
  if (!binDir) throw new Error("no PostgreSQL server binaries (install Debian's postgresql package)");
  const dir = mkdtempSync(join(tmpdir(), "polycloud-pg-"));
  chmodSync(dir, 0o777);
  const data = join(dir, "data");
  if (process.getuid?.() === 0) execFileSync("chown", ["postgres", dir]);
  const run = (cmd: string, args: string[]) => {
    const [c, a] = asServerUser(join(binDir, cmd), args);
    execFileSync(c, a, { stdio: "pipe" });
  };
  run("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
  const port = await freePort();
  let ssl = "";
  if (options.ssl) {
    // The server reads its key as the server user, and refuses a key others can read.
    const cert = join(dir, "server.crt");
    const key = join(dir, "server.key");
    copyFileSync(options.ssl.certFile, cert);
    copyFileSync(options.ssl.keyFile, key);
    chmodSync(key, 0o600);
    if (process.getuid?.() === 0) execFileSync("chown", ["postgres", cert, key]);
    ssl = ` -c ssl=on -c ssl_cert_file=${cert} -c ssl_key_file=${key}`;
  }
  const serverOptions = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c max_connections=50${ssl}`;
  run("pg_ctl", ["-D", data, "-o", serverOptions, "-l", join(dir, "server.log"), "-w", "-t", "30", "start"]);
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  // A killed test run must not leave a server behind.
  process.once("exit", stop);
  const tryPsql = (sql: string, o: { user?: string; database?: string } = {}) => {
    const r = spawnSync(
      join(binDir, "psql"),
      ["-h", "127.0.0.1", "-p", String(port), "-U", o.user ?? "postgres", "-d", o.database ?? "postgres",
        "-v", "ON_ERROR_STOP=1", "-X", "-q", "-A", "-t", "-f", "-"],
      { input: sql, encoding: "utf8", env: { ...process.env, PGCONNECT_TIMEOUT: "10" } },
    );
    return { ok: r.status === 0, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
  };
  const psql = (sql: string, o: { user?: string; database?: string } = {}) => {
    const r = tryPsql(sql, o);
    if (!r.ok) throw new Error(`psql failed (user ${o.user ?? "postgres"}): ${r.stderr}`);
    return r.stdout;
  };
  return { host: "127.0.0.1", port, superuser: "postgres", binDir, psql, tryPsql, stop };
}

/** `describe` when a server can run here, otherwise a loud skip (CI installs the package). */
export function describeWithPostgres(name: string, body: () => void): void {
  if (findPostgresBinDir()) {
    describe(name, body);
    return;
  }
  console.warn(`SKIPPED "${name}": no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)`);
  describe.skip(name, body);
}
