import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/** The newest PostgreSQL server binaries on this machine (Debian's postgresql package), or undefined. */
export function postgresBinDir(): string | undefined {
  const fromEnv = process.env.POSTGRES_BIN_DIR;
  if (fromEnv && fs.existsSync(path.join(fromEnv, "initdb"))) return fromEnv;
  const root = "/usr/lib/postgresql";
  if (!fs.existsSync(root)) return undefined;
  const versions = fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, "bin", "postgres"))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(root, versions[0], "bin") : undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const isRoot = () => process.getuid?.() === 0;
/** initdb and postgres refuse to run as root: run them as the `postgres` OS user then. */
const asServerUser = (cmd: string, args: string[]): [string, string[]] => (isRoot() ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args]);

function run(cmd: string, args: string[]): void {
  const [c, a] = asServerUser(cmd, args);
  execFileSync(c, a, { stdio: "pipe" });
}

/**
 * A data directory made by initdb once per machine and PostgreSQL version, copied for every
 * runner: initdb takes seconds, a copy a fraction of one.
 */
function template(bin: string): string {
  const version = path.basename(path.dirname(bin));
  const dir = path.join(os.tmpdir(), `polycloud-runner-pgdata-${version}-${isRoot() ? "root" : process.getuid?.()}`);
  if (fs.existsSync(path.join(dir, "PG_VERSION"))) return dir;
  const tmp = `${dir}.${process.pid}`;
  fs.mkdirSync(tmp, { recursive: true, mode: 0o700 });
  if (isRoot()) execFileSync("chown", ["postgres", tmp]);
  run(path.join(bin, "initdb"), ["-D", tmp, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
  try { fs.renameSync(tmp, dir); } catch { fs.rmSync(tmp, { recursive: true, force: true }); }
  return dir;
}

export interface PostgresServer {
  readonly port: number;
  readonly bin: string;
  /** Folder of the server's Unix socket. */
  readonly socketDir: string;
  stop(): void;
}

/** Starts a PostgreSQL server on loopback (trust authentication: the runner's gates authenticate callers). */
export async function startPostgres(stateDir: string, maxConnections = 100): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error("the local runner needs PostgreSQL server binaries (apt-get install postgresql)");
  const dir = path.join(stateDir, "postgres");
  const data = path.join(dir, "data");
  fs.mkdirSync(dir, { recursive: true, mode: 0o777 });
  fs.chmodSync(dir, 0o777);
  execFileSync("cp", ["-a", template(bin), data]);
  const port = await freePort();
  const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=${maxConnections}`;
  run(path.join(bin, "pg_ctl"), ["-D", data, "-o", options, "-l", path.join(dir, "server.log"), "-w", "-t", "30", "start"]);
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    const [c, a] = asServerUser(path.join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
    spawnSync(c, a, { stdio: "ignore" });
  };
  process.once("exit", stop);
  return { port, bin, socketDir: dir, stop };
}
