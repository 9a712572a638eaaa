import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CloudEmulation, EmulateCloud, EmulationHost, InvocationRecord } from "@polycloud/core";
import { VirtualClock } from "./clock";
import { PostgresLauncher } from "./database/launcher";
import { ProcessLauncher } from "./functions/launcher";
import { LocalIssuer } from "./identity/issuer";
import { RunnerTokens, keyPair } from "./identity/tokens";
import { RunnerLog } from "./logs";
import { RunnerNetwork } from "./network/network";
import { Cloud, cloudOf, readStack } from "./stack";

/**
 * Endpoints by full key (`orders/gateway:public`) and, where only one service of the stack has
 * that component, by `<kind>:<id>` too (`gateway:public`).
 */
export function withShortNames(endpoints: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = { ...endpoints };
  const short = (key: string) => key.slice(key.indexOf("/") + 1);
  const counts = new Map<string, number>();
  for (const key of Object.keys(endpoints)) counts.set(short(key), (counts.get(short(key)) ?? 0) + 1);
  for (const [key, url] of Object.entries(endpoints)) if (key.includes("/") && counts.get(short(key)) === 1) out[short(key)] = url;
  return out;
}

export interface RunnerOptions {
  /** `cdktf.out/stacks/<stack>`: the synthesized JSON and its assets. */
  readonly stackDir: string;
  /**
   * Where the runner keeps its state (packages, certificates, PostgreSQL). A folder given here is
   * kept: the next runner on it starts the same PostgreSQL data (`npm run dev` keeps its databases
   * between runs). @default a new temporary folder, removed by stop()
   */
  readonly stateDir?: string;
}

export interface Runner {
  readonly cloud: Cloud;
  readonly stackName: string;
  readonly emulation: CloudEmulation;
  /** Loopback URLs of the entry points by full key (`orders/gateway:public`), and by `<kind>:<id>` where only one service has it (`gateway:public`). */
  readonly endpoints: Readonly<Record<string, string>>;
  readonly log: RunnerLog;
  readonly invocations: readonly InvocationRecord[];
  readonly clock: VirtualClock;
  /** SQL as the server's superuser on a database of the stack (default: the only server's; else a database's name on any server, or a server's key). */
  query<T = any>(sql: string, params?: readonly unknown[], database?: string): Promise<T[]>;
  /**
   * Connects straight to the server holding `database` as the role `user` (its identity taken as
   * checked, as the gate does before handing a connection over): "ok", or PostgreSQL's SQLSTATE
   * (`42501`: the role may not CONNECT to it). Shows what a role can reach on a shared server.
   */
  connectAs(user: string, database: string): Promise<string>;
  /** The database servers the stack's emulation started, each with the databases on it after the deploy steps ran. */
  readonly databases: readonly { key: string; database: string; databases: readonly string[]; endpoint: string }[];
  /** The local identity provider standing in for `issuer` (default: the only one). */
  issuer(issuer?: string): LocalIssuer;
  /** Runs until nothing is in flight and no timer is due within the horizon, fast-forwarding idle time. */
  settle(options?: { horizonSeconds?: number }): Promise<void>;
  /** Re-reads the stack folder and restarts the functions whose package changed. */
  reload(): Promise<string[]>;
  stop(): Promise<void>;
}

const EMULATORS: Record<Cloud, { pkg: string; name: string }> = {
  aws: { pkg: "@polycloud/aws", name: "emulateAws" },
  gcp: { pkg: "@polycloud/gcp", name: "emulateGcp" },
  azure: { pkg: "@polycloud/azure", name: "emulateAzure" },
};

/**
 * The stack's cloud emulation, which sits next to that cloud's constructs
 * (`modules/<cloud>/src/emulation`, exported by the package). Its folder is loaded directly: the
 * package's index would load every construct and its provider bindings, seconds of start-up the
 * runner does not need (built: lib/emulation; under the tests: src/emulation).
 */
function emulatorFor(cloud: Cloud): EmulateCloud {
  const { pkg, name } = EMULATORS[cloud];
  const root = path.dirname(require.resolve(`${pkg}/package.json`));
  const built = path.join(root, "lib", "emulation", "index.js");
  const source = path.join(root, "src", "emulation", "index.ts");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(__filename.endsWith(".ts") && fs.existsSync(source) ? source : built) as Record<string, EmulateCloud>;
  return mod[name];
}

/**
 * Starts the local runner on one synthesized stack: reads the JSON and the function packages,
 * starts the runner's network, identity providers, PostgreSQL, and hands them to the stack's
 * cloud emulation, which starts the functions and the emulated services as the JSON describes.
 */
export async function startRunner(options: RunnerOptions): Promise<Runner> {
  // POLYCLOUD_RUNNER_TIMING=1 prints how long each start-up phase took (stderr).
  let lapAt = Date.now();
  const lap = (phase: string) => {
    if (process.env.POLYCLOUD_RUNNER_TIMING) process.stderr.write(`runner: ${phase} ${Date.now() - lapAt} ms\n`);
    lapAt = Date.now();
  };
  const stack = readStack(options.stackDir);
  const cloud = cloudOf(stack);
  const stateDir = options.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-runner-"));
  fs.mkdirSync(stateDir, { recursive: true });
  // PostgreSQL and PgBouncer run as the postgres user when the runner is root: they must reach their folders.
  fs.chmodSync(stateDir, 0o755);
  const log = new RunnerLog();
  const runnerLog = (line: string) => log.write("runner", line);
  const clockFile = path.join(stateDir, "clock-skew");
  fs.writeFileSync(clockFile, "0");
  const clock = new VirtualClock((skew) => fs.writeFileSync(clockFile, String(skew)));
  lap("read the stack");
  // Started first, while the runner makes its certificate authorities and the emulation reads the
  // stack: a PostgreSQL server (its data folder copied from the template, then the server's own
  // start) and an RSA key for the local identity provider take the longest (the server is stopped
  // again if no database claims it).
  const early = PostgresLauncher.startEarly(stateDir);
  let network: RunnerNetwork;
  try {
    network = new RunnerNetwork(stateDir, runnerLog);
    await network.start();
  } catch (err) {
    await PostgresLauncher.discardEarly(stateDir, early);
    throw err;
  }
  lap("network and public CA");
  const databases = new PostgresLauncher(stateDir, network, runnerLog);
  databases.prewarm(early);
  const issuerKey = keyPair("local-1");
  issuerKey.catch(() => undefined);
  const invocations: InvocationRecord[] = [];
  const launcher = new ProcessLauncher(stateDir, network.mapFile, clockFile, network.publicAuthority.certificateFile, (source, line, component) => log.write(source, line, component), (pem) => network.substituteCertificates(pem));
  const host: EmulationHost = {
    clock,
    network,
    functions: launcher,
    databases,
    tokens: new RunnerTokens(network, clock),
    log: (source, line) => log.write(source, line),
    record: (r) => { invocations.push(r); },
  };
  let emulation: CloudEmulation;
  try {
    emulation = await emulatorFor(cloud)(host, stack);
    lap(`${cloud} emulation (functions, services, databases)`);
    await databases.releaseUnclaimed();
    await databases.listDatabases();
  } catch (err) {
    await launcher.stopAll();
    await databases.stop();
    await network.stop();
    throw err;
  }
  const issuers = new Map<string, LocalIssuer>();
  for (const i of emulation.issuers) issuers.set(i.issuer, await LocalIssuer.start(network, clock, i, issuerKey));
  lap("identity providers");
  return {
    cloud,
    stackName: stack.name,
    emulation,
    endpoints: withShortNames(emulation.endpoints),
    log,
    invocations,
    clock,
    databases: databases.launched,
    async query(sql, params, database) {
      const server = await databases.serverOf(database);
      if (typeof server === "string") throw new Error(server);
      // By default the server's one database of the functions (a shared server created without one: the service's, as the deploy made it).
      const name = !database || database === server.key ? (server.databases.length === 1 ? server.databases[0] : server.database) : database;
      return (await server.instance.query(sql, params, name)).rows;
    },
    async connectAs(user, database) {
      const server = await databases.serverOf(database);
      if (typeof server === "string") throw new Error(server);
      return server.connectAs(user, database);
    },
    issuer(name?: string) {
      const found = name ? issuers.get(name) : issuers.size === 1 ? [...issuers.values()][0] : undefined;
      if (!found) throw new Error(`runner: no identity provider ${name ?? ""} (the stack's gateways trust: ${[...issuers.keys()].join(", ") || "none"})`);
      return found;
    },
    settle: (o) => clock.settle(o),
    async reload() {
      const changed = await emulation.reload(readStack(options.stackDir));
      await databases.listDatabases();
      return changed;
    },
    async stop() {
      clock.stop();
      await emulation.stop();
      await databases.stop();
      await network.stop();
      if (!options.stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
