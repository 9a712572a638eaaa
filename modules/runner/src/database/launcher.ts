import * as path from "node:path";
import { DatabaseInstance, DatabaseLaunch, DatabaseLauncher, EmulatedNetwork } from "@polycloud/core";
import type { Client } from "pg";
import { startGate } from "./gate";
import { startPgBouncer } from "./pgbouncer";
import { PostgresServer, startPostgres } from "./postgres";
import { prepareDatabase } from "./prepare";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pg = (): typeof import("pg") => require("pg");

/**
 * One PostgreSQL server for the runner (started on first use), a database per launch, PgBouncer
 * where the cloud pools, and a gate on the endpoint the functions were told.
 */
export class PostgresLauncher implements DatabaseLauncher {
  private server?: Promise<PostgresServer>;
  private readonly stops: (() => unknown)[] = [];
  /** Every database launched, by key (for tests and `npm run dev`). */
  readonly launched: { key: string; database: string; endpoint: string; instance: DatabaseInstance }[] = [];

  constructor(private readonly stateDir: string, private readonly network: EmulatedNetwork, private readonly log: (line: string) => void) {}

  private async client(database: string, user = "postgres"): Promise<Client> {
    const server = await this.server!;
    const c = new (pg().Client)({ host: server.socketDir, port: server.port, user, database });
    await c.connect();
    return c;
  }

  /** Starts the server now (the runner does it while the emulation reads the stack). */
  prewarm(): void {
    this.server ??= startPostgres(this.stateDir);
    this.server.catch(() => undefined);
  }

  async launch(spec: DatabaseLaunch): Promise<DatabaseInstance> {
    this.server ??= startPostgres(this.stateDir);
    const server = await this.server;
    const su = await this.client("postgres");
    try {
      await prepareDatabase(su, (db) => this.client(db), { database: spec.database, admin: spec.admin, roles: spec.roles });
    } finally {
      await su.end();
    }
    let backend = { host: "127.0.0.1", port: server.port };
    if (spec.pool) {
      const bouncer = await startPgBouncer(path.join(this.stateDir, spec.key.replace(/[^A-Za-z0-9_-]/g, "_")), {
        database: spec.database, serverPort: server.port, users: [spec.admin, ...spec.roles.map((r) => r.name)], mode: spec.pool.mode, size: spec.pool.size,
      });
      this.stops.push(() => bouncer.stop());
      backend = { host: "127.0.0.1", port: bouncer.port };
    }
    const gate = await startGate({
      certificate: spec.endpoint.authority.issue(spec.endpoint.hostnames),
      requireTls: spec.endpoint.requireTls,
      backend,
      verify: async (user, password, database) => {
        if (database !== spec.database) return `database "${database}" is not ${spec.database}`;
        return spec.verify(user, password);
      },
      log: this.log,
    });
    this.stops.push(() => gate.stop());
    for (const host of spec.endpoint.hostnames) this.network.tcp(host, spec.endpoint.port, { host: "127.0.0.1", port: gate.port });
    const instance: DatabaseInstance = {
      query: async (sql, params) => {
        const c = await this.client(spec.database);
        try {
          return { rows: (await c.query(sql, params as unknown[])).rows };
        } finally {
          await c.end();
        }
      },
    };
    this.launched.push({ key: spec.key, database: spec.database, endpoint: `${spec.endpoint.hostnames[0]}:${spec.endpoint.port}${spec.pool ? ` (PgBouncer, ${spec.pool.mode} pooling)` : ""}`, instance });
    return instance;
  }

  async stop(): Promise<void> {
    for (const stop of this.stops.reverse()) await stop();
    this.stops.length = 0;
    const server = await this.server?.catch(() => undefined);
    await server?.stop();
  }
}
