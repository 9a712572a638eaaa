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
      await prepareDatabase(su, (db) => this.client(db), spec);
    } finally {
      await su.end();
    }
    const direct = { host: "127.0.0.1", port: server.port };
    let pooled = direct;
    if (spec.pool) {
      const bouncer = await startPgBouncer(path.join(this.stateDir, spec.key.replace(/[^A-Za-z0-9_-]/g, "_")), {
        database: spec.database, serverPort: server.port, users: [...new Set([spec.admin, ...spec.roles.map((r) => r.name), ...(spec.clients ?? [])])], mode: spec.pool.mode, size: spec.pool.size,
      });
      this.stops.push(() => bouncer.stop());
      pooled = { host: "127.0.0.1", port: bouncer.port };
    }
    const databases = [spec.database, ...(spec.otherDatabases ?? [])];
    for (const endpoint of spec.endpoints) {
      const gate = await startGate({
        certificate: endpoint.authority.issue(endpoint.hostnames, { commonName: endpoint.commonName }),
        requireTls: endpoint.requireTls,
        backend: endpoint.pooled && spec.pool ? pooled : direct,
        verify: async (user, password, database) => {
          if (!databases.includes(database)) return `database "${database}" does not exist on this server`;
          if (endpoint.pooled && spec.pool && database !== spec.database) return `the pooler serves ${spec.database} only`;
          return spec.verify(user, password, database);
        },
        log: this.log,
      });
      this.stops.push(() => gate.stop());
      for (const host of endpoint.hostnames) this.network.tcp(host, endpoint.port, { host: "127.0.0.1", port: gate.port });
    }
    const instance: DatabaseInstance = {
      query: async (sql, params, database) => {
        const c = await this.client(database ?? spec.database);
        try {
          return { rows: (await c.query(sql, params as unknown[])).rows };
        } finally {
          await c.end();
        }
      },
    };
    const shown = spec.endpoints.find((e) => e.pooled) ?? spec.endpoints[0];
    this.launched.push({ key: spec.key, database: spec.database, endpoint: `${shown.hostnames[0]}:${shown.port}${shown.pooled && spec.pool ? ` (PgBouncer, ${spec.pool.mode} pooling)` : ""}`, instance });
    return instance;
  }

  async stop(): Promise<void> {
    for (const stop of this.stops.reverse()) await stop();
    this.stops.length = 0;
    const server = await this.server?.catch(() => undefined);
    await server?.stop();
  }
}
