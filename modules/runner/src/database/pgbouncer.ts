import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { freePort } from "./postgres";

let found: string | undefined;
/** Debian's pgbouncer binary (looked up once per process), or undefined. */
export function pgbouncerBinary(): string | undefined {
  if (found) return found;
  const r = spawnSync("sh", ["-c", "command -v pgbouncer || ls /usr/sbin/pgbouncer 2>/dev/null"], { encoding: "utf8" });
  found = r.stdout.trim().split("\n")[0] || undefined;
  return found;
}

const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

/**
 * Debian's PgBouncer in front of one server, as the cloud's pooler: every database of the server
 * (a pool per database and user, as RDS Proxy, Cloud SQL's managed pooling and Flexible Server's
 * PgBouncer keep them), the pool mode and size the JSON gives. It trusts its callers (only the
 * runner's gate reaches it, after checking the caller's identity token) and the server trusts it
 * on loopback, so the server's own CONNECT check decides which database a role may reach.
 */
export async function startPgBouncer(stateDir: string, options: { serverPort: number; users: readonly string[]; mode: "transaction" | "session"; size: number }): Promise<{ port: number; stop(): Promise<void> }> {
  const bin = pgbouncerBinary();
  if (!bin) throw new Error("the local runner needs PgBouncer where the cloud pools connections (apt-get install pgbouncer)");
  const dir = path.join(stateDir, "pgbouncer");
  fs.mkdirSync(dir, { recursive: true, mode: 0o777 });
  fs.chmodSync(dir, 0o777);
  const port = await freePort();
  const authFile = path.join(dir, "userlist.txt");
  fs.writeFileSync(authFile, options.users.map((u) => `${quote(u)} ""`).join("\n") + "\n", { mode: 0o644 });
  const config = path.join(dir, "pgbouncer.ini");
  fs.writeFileSync(config, [
    "[databases]",
    // The fallback entry: any database the client names, on this server.
    `* = host=127.0.0.1 port=${options.serverPort}`,
    "[pgbouncer]",
    "listen_addr = 127.0.0.1",
    `listen_port = ${port}`,
    "unix_socket_dir =",
    "auth_type = trust",
    `auth_file = ${authFile}`,
    `pool_mode = ${options.mode}`,
    `default_pool_size = ${options.size}`,
    "max_client_conn = 500",
    "ignore_startup_parameters = extra_float_digits,options",
    `logfile = ${path.join(dir, "pgbouncer.log")}`,
    "",
  ].join("\n"), { mode: 0o644 });
  const child: ChildProcess = spawn(bin, process.getuid?.() === 0 ? ["-u", "postgres", config] : [config], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // SIGTERM: PgBouncer 1.18's immediate shutdown (SIGINT pauses first, waiting for the server
  // connections to be released). Resolves when it has exited: nothing outlives the runner.
  const kill = () => { if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM"); };
  const stop = async () => {
    kill();
    await exited;
  };
  process.once("exit", kill);
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => { s.end(); resolve(true); });
      s.on("error", () => resolve(false));
    });
    if (up) break;
    if (i > 200 || child.exitCode !== null) { await stop(); throw new Error(`pgbouncer did not start (exit ${child.exitCode}); see ${path.join(dir, "pgbouncer.log")}`); }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { port, stop };
}
