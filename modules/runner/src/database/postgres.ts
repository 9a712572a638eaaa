import { ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
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
 * runner: initdb takes seconds, a copy a fraction of one. WAL segments of 1 MB instead of 16: a
 * fresh cluster holds a few, and the copy is 28 MB instead of 39 (the runner's databases
 * are small; the segment size changes no behaviour a function can see).
 */
function template(bin: string): string {
  const version = path.basename(path.dirname(bin));
  const dir = path.join(os.tmpdir(), `polycloud-runner-pgdata-${version}-wal1-${isRoot() ? "root" : process.getuid?.()}`);
  if (fs.existsSync(path.join(dir, "PG_VERSION"))) return dir;
  const tmp = `${dir}.${process.pid}`;
  fs.mkdirSync(tmp, { recursive: true, mode: 0o700 });
  if (isRoot()) execFileSync("chown", ["postgres", tmp]);
  run(path.join(bin, "initdb"), ["-D", tmp, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C", "--wal-segsize=1"]);
  try { fs.renameSync(tmp, dir); } catch { fs.rmSync(tmp, { recursive: true, force: true }); }
  return dir;
}

export interface PostgresServer {
  readonly port: number;
  readonly bin: string;
  /** Folder of the server's Unix socket. */
  readonly socketDir: string;
  /** Fast shutdown; resolves when the server has exited. */
  stop(): Promise<void>;
}

let postgresUser: { uid: number; gid: number } | undefined;
/** The uid and gid of the `postgres` OS user (the server refuses to run as root); looked up once. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (!isRoot()) return undefined;
  postgresUser ??= { uid: Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim()), gid: Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim()) };
  return postgresUser;
}

/** `cp -a` without blocking the event loop: the runner starts functions while the copy runs. */
function copyTree(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => execFile("cp", ["-a", from, to], (err, _out, stderr) => (err ? reject(new Error(`cp -a ${from} ${to}: ${stderr || err.message}`)) : resolve())));
}

/** Resolves when the server accepts connections on its socket (polled every 20 ms). */
async function ready(socketDir: string, port: number, child: ChildProcess, log: string): Promise<void> {
  const socket = path.join(socketDir, `.s.PGSQL.${port}`);
  for (let i = 0; i < 1500; i++) {
    if (child.exitCode !== null) throw new Error(`PostgreSQL exited (code ${child.exitCode}); see ${log}`);
    if (fs.existsSync(socket)) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect(socket, () => { s.end(); resolve(true); });
        s.on("error", () => resolve(false));
      });
      if (ok && fs.existsSync(path.join(path.dirname(log), "data", "postmaster.pid")) && /\nready\s*$/m.test(fs.readFileSync(path.join(path.dirname(log), "data", "postmaster.pid"), "utf8"))) return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`PostgreSQL did not accept connections; see ${log}`);
}

/** Starts a PostgreSQL server on loopback (trust authentication: the runner's gates authenticate callers). */
export async function startPostgres(stateDir: string, maxConnections = 100): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error("the local runner needs PostgreSQL server binaries (apt-get install postgresql)");
  const dir = path.join(stateDir, "postgres");
  const data = path.join(dir, "data");
  fs.mkdirSync(dir, { recursive: true, mode: 0o777 });
  fs.chmodSync(dir, 0o777);
  // A state folder kept between runs (npm run dev) keeps its data: no copy, and the databases survive.
  if (!fs.existsSync(path.join(data, "PG_VERSION"))) {
    fs.rmSync(data, { recursive: true, force: true });
    await copyTree(template(bin), data);
  }
  fs.rmSync(path.join(data, "postmaster.pid"), { force: true });
  const port = await freePort();
  const log = path.join(dir, "server.log");
  const out = fs.openSync(log, "a");
  // The server itself, not pg_ctl: readiness is polled every 20 ms instead of pg_ctl's 100 ms steps.
  const child = spawn(path.join(bin, "postgres"), [
    "-D", data, "-c", "listen_addresses=127.0.0.1", "-c", `port=${port}`, "-c", `unix_socket_directories=${dir}`,
    "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", `max_connections=${maxConnections}`,
  ], { stdio: ["ignore", out, out], ...serverUser() });
  fs.closeSync(out);
  // A server still running when this process exits is told to shut down; the listener goes with
  // the server (one per server would pile up over a test file's runners).
  const onExit = () => { if (child.exitCode === null) child.kill("SIGINT"); };
  process.once("exit", onExit);
  const exited = new Promise<void>((resolve) => child.once("exit", () => { process.off("exit", onExit); resolve(); }));
  const stop = async () => {
    // Fast shutdown: a kept data folder starts again without recovery.
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
    await exited;
  };
  try {
    await ready(dir, port, child, log);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, bin, socketDir: dir, stop };
}
