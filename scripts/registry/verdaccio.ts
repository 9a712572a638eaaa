import { ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/**
 * A throw-away Verdaccio registry for tests and local trials: 127.0.0.1 on a free port, its own
 * storage and htpasswd file in a temp dir, one user, private scopes that are never proxied, and
 * everything else proxied to an uplink (the registry this machine is configured with).
 */
export interface VerdaccioOptions {
  /** Registry every non-private package is proxied to, e.g. the output of `npm config get registry`. */
  readonly uplink: string;
  /** Scopes served only by this registry, never looked up upstream (dependency confusion). */
  readonly privateScopes: readonly string[];
  /** @default a fresh dir under the OS temp dir */
  readonly workDir?: string;
  /** @default 30 s */
  readonly startTimeoutMs?: number;
}

export interface RunningVerdaccio {
  /** `http://127.0.0.1:<port>/` (trailing slash, as npm writes it). */
  readonly url: string;
  readonly port: number;
  readonly workDir: string;
  readonly user: string;
  /** Bearer token of the test user, obtained by logging in as npm does. */
  readonly token: string;
  /** `//127.0.0.1:<port>/:_authToken=<token>`, the line an `.npmrc` needs. */
  readonly authLine: string;
  /** Verdaccio's own log (stdout + stderr), for failure messages. */
  log(): string;
  /** Stops the process and deletes the storage. Safe to call twice. */
  stop(): Promise<void>;
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** One htpasswd line. `{SHA}` is one of the formats verdaccio-htpasswd verifies; the user exists only for this run. */
export function htpasswdLine(user: string, password: string): string {
  return `${user}:{SHA}${createHash("sha1").update(password, "utf8").digest("base64")}`;
}

/** Verdaccio configuration as JSON (valid YAML), so no YAML writer is needed. */
export function verdaccioConfig(workDir: string, options: Pick<VerdaccioOptions, "uplink" | "privateScopes">): Record<string, unknown> {
  const packages: Record<string, unknown> = {};
  for (const scope of options.privateScopes) {
    // No `proxy`: a private name is never resolved from the public registry.
    packages[`${scope}/*`] = { access: "$authenticated", publish: "$authenticated", unpublish: "$authenticated" };
  }
  packages["**"] = { access: "$all", publish: "$authenticated", unpublish: "$authenticated", proxy: "upstream" };
  return {
    storage: path.join(workDir, "storage"),
    auth: { htpasswd: { file: path.join(workDir, "htpasswd"), max_users: -1 } },
    uplinks: { upstream: { url: options.uplink, timeout: "120s", maxage: "30m", cache: true } },
    packages,
    web: { enable: false },
    server: { keepAliveTimeout: 60 },
    max_body_size: "200mb",
    middlewares: { audit: { enabled: false } },
    log: { type: "stdout", format: "json", level: "warn" },
  };
}

export async function startVerdaccio(options: VerdaccioOptions): Promise<RunningVerdaccio> {
  const workDir = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-verdaccio-"));
  fs.mkdirSync(path.join(workDir, "storage"), { recursive: true });
  const user = "ci-publisher";
  const password = randomBytes(18).toString("base64url");
  fs.writeFileSync(path.join(workDir, "htpasswd"), htpasswdLine(user, password) + "\n", { mode: 0o600 });
  const configFile = path.join(workDir, "config.yaml");
  fs.writeFileSync(configFile, JSON.stringify(verdaccioConfig(workDir, options), null, 2));
  const logFile = path.join(workDir, "verdaccio.log");
  const bin = require.resolve("verdaccio/bin/verdaccio");

  let child: ChildProcess | undefined;
  let port = 0;
  // If this process dies without stop() (a killed test run), the registry must not outlive it.
  const killOnExit = () => child?.kill("SIGKILL");
  process.once("exit", killOnExit);
  const stopChild = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => c.kill("SIGKILL"), 5000);
      c.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      c.kill("SIGTERM");
    });
  };
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "");

  try {
    // A port found free can be taken before Verdaccio binds it; try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const out = fs.openSync(logFile, "a");
      child = spawn(process.execPath, [bin, "--config", configFile, "--listen", `127.0.0.1:${port}`], {
        cwd: workDir,
        stdio: ["ignore", out, out],
        env: { ...process.env, NODE_ENV: "production" },
      });
      fs.closeSync(out);
      const up = await waitForPing(`http://127.0.0.1:${port}/-/ping`, child, options.startTimeoutMs ?? 30000);
      if (up) break;
      await stopChild();
      if (attempt >= 3) throw new Error(`Verdaccio did not start on 127.0.0.1 after ${attempt} attempts. Log:\n${log()}`);
    }
    const url = `http://127.0.0.1:${port}/`;
    const token = await login(url, user, password);
    const authLine = `//127.0.0.1:${port}/:_authToken=${token}`;
    let stopped = false;
    return {
      url,
      port,
      workDir,
      user,
      token,
      authLine,
      log,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await stopChild();
        process.removeListener("exit", killOnExit);
        if (!options.workDir) fs.rmSync(workDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await stopChild();
    process.removeListener("exit", killOnExit);
    if (!options.workDir) fs.rmSync(workDir, { recursive: true, force: true });
    throw e;
  }
}

/** Resolves true once `/-/ping` answers, false when the process exits or the time runs out. */
async function waitForPing(url: string, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return true;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return false;
}

/**
 * Logs in the way `npm login --auth-type=legacy` does for an existing user (credentials in the
 * body and as Basic auth; registration is disabled) and returns the bearer token.
 */
async function login(registry: string, user: string, password: string): Promise<string> {
  const res = await fetch(new URL(`-/user/org.couchdb.user:${encodeURIComponent(user)}`, registry), {
    method: "PUT",
    headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` },
    body: JSON.stringify({ _id: `org.couchdb.user:${user}`, name: user, password, type: "user", roles: [], date: new Date().toISOString() }),
  });
  const body = (await res.json().catch(() => ({}))) as { token?: string; error?: string };
  if (!res.ok || !body.token) throw new Error(`Login to ${registry} as ${user} failed: HTTP ${res.status} ${body.error ?? ""}`);
  return body.token;
}
