import * as fs from "node:fs";
import * as path from "node:path";
import { DatabaseInstance, DatabaseLaunch, DatabaseLauncher, EmulatedNetwork } from "@polycloud/core";
import type { Client } from "pg";
import { startGate } from "./gate";
import { startPgBouncer } from "./pgbouncer";
import { PostgresServer, startPostgres } from "./postgres";
import { prepareDatabase } from "./prepare";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pg = (): typeof import("pg") => require("pg");

/** A server started ahead of the database that will claim it, and its folder in the state folder. */
export interface PrewarmedServer { readonly dir: string; readonly server: Promise<PostgresServer> }

/** The first `postgres-<n>` folder no database of the state folder's `servers.json` names and that does not exist. */
function freeFolder(stateDir: string, also?: string): string {
  let named: Record<string, string> = {};
  try { named = JSON.parse(fs.readFileSync(path.join(stateDir, "servers.json"), "utf8")); } catch { named = {}; }
  const taken = new Set([...Object.values(named), also]);
  let i = 0;
  while (taken.has(`postgres-${i}`) || fs.existsSync(path.join(stateDir, `postgres-${i}`))) i++;
  return `postgres-${i}`;
}

/**
 * One PostgreSQL server per database server of the stack (an Aurora cluster, a Cloud SQL
 * instance, a Flexible Server), with every database the JSON and the deploy put on it (a shared
 * server holds a database per service, each made by that service's migration step or its
 * google_sql_database / flexible server database) and the roles that cloud gives it, so two
 * servers share nothing (roles are server-wide in PostgreSQL, database names may repeat);
 * PgBouncer where the cloud pools (one pooler per server, serving each of its databases as RDS
 * Proxy, Cloud SQL's managed pooling and Flexible Server's PgBouncer do), and a gate on each
 * endpoint the functions were told. Which database a client may reach is PostgreSQL's own check
 * (CONNECT), after the gate checked who it is. A server's data folder is named in `servers.json`
 * of the state folder, so a kept state folder (npm run dev) starts each server on its own data again.
 */
export interface LaunchedServer {
  /** Key of the server resource. */
  readonly key: string;
  /** The database the cloud creates with the server (the first the JSON names, or `postgres`). */
  readonly database: string;
  /** The databases on the server the functions may use (not `postgres` nor templates), as of the last `listDatabases()`. */
  databases: string[];
  /** Where the functions connect, as they are told. */
  readonly endpoint: string;
  readonly instance: DatabaseInstance;
  /** Connects to the server as `user` (as if the gate had accepted its identity) to `database`: "ok", or PostgreSQL's SQLSTATE of the refusal. */
  connectAs(user: string, database: string): Promise<string>;
}

export class PostgresLauncher implements DatabaseLauncher {
  private prewarmed?: { dir: string; server: Promise<PostgresServer> };
  private readonly servers: PostgresServer[] = [];
  private readonly stops: (() => unknown)[] = [];
  /** Every database server launched, by key (for tests and `npm run dev`); `databases` is filled by `listDatabases()`. */
  readonly launched: LaunchedServer[] = [];

  constructor(private readonly stateDir: string, private readonly network: EmulatedNetwork, private readonly log: (line: string) => void) {}

  private async client(server: PostgresServer, database: string, user = "postgres"): Promise<Client> {
    const c = new (pg().Client)({ host: server.socketDir, port: server.port, user, database });
    await c.connect();
    return c;
  }

  private get mapFile(): string {
    return path.join(this.stateDir, "servers.json");
  }

  private folders(): Record<string, string> {
    try { return JSON.parse(fs.readFileSync(this.mapFile, "utf8")); } catch { return {}; }
  }

  private newFolder(): string {
    return freeFolder(this.stateDir, this.prewarmed?.dir);
  }

  /**
   * Starts a server now, for the first database that has no data folder yet (the runner does it
   * before it makes its certificate authorities and while the emulation reads the stack), or takes
   * the one `startEarly` started.
   */
  prewarm(early?: PrewarmedServer): void {
    if (this.prewarmed) return;
    if (early) {
      this.prewarmed = early;
      return;
    }
    const dir = this.newFolder();
    this.prewarmed = { dir, server: startPostgres(path.join(this.stateDir, dir)) };
    this.prewarmed.server.catch(() => undefined);
  }

  /** A server started before the launcher exists (hand it to `prewarm`); stop it with `discardEarly` if the start fails first. */
  static startEarly(stateDir: string): PrewarmedServer {
    const dir = freeFolder(stateDir);
    const early = { dir, server: startPostgres(path.join(stateDir, dir)) };
    early.server.catch(() => undefined);
    return early;
  }

  static async discardEarly(stateDir: string, early: PrewarmedServer): Promise<void> {
    await (await early.server.catch(() => undefined))?.stop();
    fs.rmSync(path.join(stateDir, early.dir), { recursive: true, force: true });
  }

  /** The server of `key`: its kept data folder, else the prewarmed server, else a new one. */
  private async serverFor(key: string): Promise<PostgresServer> {
    const folders = this.folders();
    let dir = folders[key];
    let server: Promise<PostgresServer>;
    if (!dir && this.prewarmed) {
      ({ dir, server } = this.prewarmed);
      this.prewarmed = undefined;
    } else {
      dir ??= this.newFolder();
      server = startPostgres(path.join(this.stateDir, dir));
    }
    fs.writeFileSync(this.mapFile, JSON.stringify({ ...folders, [key]: dir }, null, 2));
    const started = await server;
    this.servers.push(started);
    return started;
  }

  /** Stops a prewarmed server no database claimed (a stack without one, or whose servers all had data). */
  async releaseUnclaimed(): Promise<void> {
    const unclaimed = this.prewarmed;
    this.prewarmed = undefined;
    if (!unclaimed) return;
    await (await unclaimed.server.catch(() => undefined))?.stop();
    fs.rmSync(path.join(this.stateDir, unclaimed.dir), { recursive: true, force: true });
  }

  async launch(spec: DatabaseLaunch): Promise<DatabaseInstance> {
    const server = await this.serverFor(spec.key);
    const su = await this.client(server, "postgres");
    try {
      await prepareDatabase(su, (db) => this.client(server, db), spec);
    } finally {
      await su.end();
    }
    const direct = { host: "127.0.0.1", port: server.port };
    let pooled = direct;
    if (spec.pool) {
      const bouncer = await startPgBouncer(path.join(this.stateDir, spec.key.replace(/[^A-Za-z0-9_-]/g, "_")), {
        serverPort: server.port, users: [...new Set([spec.admin, ...spec.roles.map((r) => r.name), ...(spec.clients ?? [])])], mode: spec.pool.mode, size: spec.pool.size,
      });
      this.stops.push(() => bouncer.stop());
      pooled = { host: "127.0.0.1", port: bouncer.port };
    }
    for (const endpoint of spec.endpoints) {
      const gate = await startGate({
        certificate: endpoint.authority.issue(endpoint.hostnames, { commonName: endpoint.commonName }),
        requireTls: endpoint.requireTls,
        backend: endpoint.pooled && spec.pool ? pooled : direct,
        // Whether the database exists and the role may CONNECT is the server's answer, as in the cloud.
        verify: (user, password, database) => spec.verify(user, password, database),
        log: this.log,
      });
      this.stops.push(() => gate.stop());
      for (const host of endpoint.hostnames) this.network.tcp(host, endpoint.port, { host: "127.0.0.1", port: gate.port });
    }
    const instance: DatabaseInstance = {
      query: async (sql, params, database) => {
        const c = await this.client(server, database ?? spec.database);
        try {
          return { rows: (await c.query(sql, params as unknown[])).rows };
        } finally {
          await c.end();
        }
      },
    };
    const shown = spec.endpoints.find((e) => e.pooled) ?? spec.endpoints[0];
    this.launched.push({
      key: spec.key, database: spec.database, databases: [spec.database, ...(spec.otherDatabases ?? [])].filter((d) => d !== "postgres"),
      endpoint: `${shown.hostnames[0]}:${shown.port}${shown.pooled && spec.pool ? ` (PgBouncer, ${spec.pool.mode} pooling)` : ""}`, instance,
      connectAs: async (user, database) => {
        const c = new (pg().Client)({ host: "127.0.0.1", port: server.port, user, database });
        try {
          await c.connect();
          await c.query("SELECT 1");
          return "ok";
        } catch (err) {
          return String((err as { code?: string }).code ?? (err as Error).message);
        } finally {
          await c.end().catch(() => undefined);
        }
      },
    });
    return instance;
  }

  /** Reads each server's databases (after the deploy's migration steps made theirs) into `launched[].databases`. */
  async listDatabases(): Promise<void> {
    for (const server of this.launched) {
      const rows = (await server.instance.query<{ datname: string }>("SELECT datname FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres' ORDER BY datname", [], "postgres")).rows;
      server.databases = rows.map((r) => r.datname);
    }
  }

  /** The server holding `database` (by key, by the database it was created with, or by a database on it), or why there is not exactly one. */
  async serverOf(database?: string): Promise<LaunchedServer | string> {
    const all = this.launched;
    const stack = () => `(the stack has: ${all.map((d) => d.databases.length ? `${d.databases.join(", ")} on ${d.key}` : d.key).join("; ") || "none"})`;
    if (!database) return all.length === 1 ? all[0] : `runner: ${all.length ? "several database servers: name a database" : "no database"} ${stack()}`;
    const byKey = all.filter((d) => d.key === database);
    if (byKey.length === 1) return byKey[0];
    await this.listDatabases();
    const holding = all.filter((d) => d.database === database || d.databases.includes(database));
    if (holding.length === 1) return holding[0];
    // Another database of the only server (Flexible Server's and Cloud SQL's `postgres`).
    if (!holding.length && all.length === 1) return all[0];
    return `runner: ${holding.length ? "several servers hold" : "no database"} ${database} ${stack()}`;
  }

  async stop(): Promise<void> {
    for (const stop of this.stops.reverse()) await stop();
    this.stops.length = 0;
    await this.releaseUnclaimed();
    await Promise.all(this.servers.map((server) => server.stop()));
    this.servers.length = 0;
  }
}
