/**
 * The shared environment tier, cloud-neutral part. Per environment and cloud, the parts whose
 * price does not scale with traffic are rendered once and shared by the services that need them
 * (docs/architecture: "Two tiers per environment"). This file decides what the shared database
 * server is from the services of the composition: it depends on the composition's services only
 * (never on which stacks a run builds, nor on their order).
 */
import { DATABASE_SIZES, DEFAULT_DATABASE_SERVER, DatabaseProxySpec, DatabaseSize, POSTGRES_VERSIONS, PoolSpec, PostgresVersion, ServiceSpec } from "./specs";
import { shortestCallerTimeout } from "./resolve";
import { envVarPart } from "./naming";
import { POSTGRES_IDENTIFIER_MAX_BYTES } from "./database-roles";
import { DEFAULTS } from "./limits";

/** The logical id of the shared server (its cloud names are built from the platform name and this). */
export const SHARED_DATABASE_ID = "db";

/** Whether a declared database lives on the environment's shared server (the default; `server: "own"` asks for a server of its own). */
export function onSharedServer(spec: Pick<DatabaseProxySpec, "server">): boolean {
  return (spec.server ?? DEFAULT_DATABASE_SERVER) === "shared";
}

/** One service database on the shared server. */
export interface SharedDatabaseMember {
  readonly service: string;
  readonly databaseId: string;
  readonly spec: DatabaseProxySpec;
  /** Its database on the server: `<service>_<databaseName or "app">`. */
  readonly databaseName: string;
}

/** The shared server of one environment × cloud, and the service databases it holds. */
export interface SharedDatabaseServerSpec {
  /** The highest version any member asks for (a member asking for another is a problem). */
  readonly postgresVersion: PostgresVersion;
  /** The largest size any member asks for. */
  readonly size: DatabaseSize;
  /**
   * Pool settings of the one pooler: the largest shares any member asks for, and a borrow timeout
   * below every member's (and below the shortest timeout of any function allowed to connect).
   */
  readonly pool: Required<PoolSpec>;
  readonly shortestCallerTimeoutSeconds?: number;
  /** Members in a stable order (service, then database id): never the composition's order. */
  readonly members: readonly SharedDatabaseMember[];
  /** Login roles the pooler keeps pools for: every allowed function, and each member's migration admin. */
  readonly clients: number;
  /** Problems of members that cannot share (a different major version), each naming its service. */
  readonly problems: readonly string[];
}

/** A member's database name on the shared server: `<service>_<name>`, a PostgreSQL identifier. */
export function sharedDatabaseName(service: string, spec: Pick<DatabaseProxySpec, "databaseName">): string {
  const name = `${envVarPart(service).toLowerCase()}_${spec.databaseName ?? DEFAULTS.databaseName}`.replace(/_+/g, "_");
  return name.slice(0, POSTGRES_IDENTIFIER_MAX_BYTES);
}

/**
 * A function's database role on the shared server: `fn_<service>_<id>`, so two services that both
 * have a function `api` never share a role (a role granted CONNECT on one service's database only).
 */
export function sharedFunctionRoleName(service: string, functionId: string): string {
  return `fn_${envVarPart(service).toLowerCase()}_${envVarPart(functionId).toLowerCase()}`.replace(/_+/g, "_").replace(/_$/, "").slice(0, POSTGRES_IDENTIFIER_MAX_BYTES);
}

/** The shared server the services need, or undefined when none of their databases is shared. */
export function sharedDatabaseServer(services: readonly ServiceSpec[]): SharedDatabaseServerSpec | undefined {
  const members: SharedDatabaseMember[] = [];
  for (const svc of services) {
    for (const [databaseId, spec] of Object.entries(svc.databases ?? {})) {
      if (spec && onSharedServer(spec)) members.push({ service: svc.name, databaseId, spec, databaseName: sharedDatabaseName(svc.name, spec) });
    }
  }
  if (!members.length) return undefined;
  members.sort((a, b) => a.service.localeCompare(b.service) || a.databaseId.localeCompare(b.databaseId));
  const versions = members.map((m) => m.spec.postgresVersion).filter((v) => (POSTGRES_VERSIONS as readonly string[]).includes(v));
  const postgresVersion = (versions.length ? [...versions].sort((a, b) => Number(b) - Number(a))[0] : "16") as PostgresVersion;
  const sizes = members.map((m) => DATABASE_SIZES.indexOf(m.spec.size)).filter((i) => i >= 0);
  const size = DATABASE_SIZES[sizes.length ? Math.max(...sizes) : 0];
  const problems: string[] = [];
  const names = new Map<string, SharedDatabaseMember>();
  for (const m of members) {
    if (m.spec.postgresVersion !== postgresVersion) {
      problems.push(`service ${m.service}: DatabaseProxy: property 'databases.${m.databaseId}.postgresVersion' has value "${m.spec.postgresVersion}"; allowed: "${postgresVersion}", the version of the environment's shared database server (the highest its databases ask for), or databases.${m.databaseId}.server: "own" for a server of its own`);
    }
    const other = names.get(m.databaseName);
    if (other) problems.push(`service ${m.service}: DatabaseProxy: property 'databases.${m.databaseId}.databaseName' gives database "${m.databaseName}" on the shared server, which databases.${other.databaseId} of service ${other.service} already uses; allowed: a databaseName unique within the service`);
    names.set(m.databaseName, m);
  }
  const timeouts = services.flatMap((svc) => Object.values(svc.databases ?? {}).filter((d) => d && onSharedServer(d))
    .map((d) => shortestCallerTimeout(d, svc.functions ?? {})?.seconds).filter((s): s is number => s !== undefined));
  const shortest = timeouts.length ? Math.min(...timeouts) : undefined;
  const fallbackBorrow = shortest === undefined ? DEFAULTS.poolBorrowTimeoutSeconds : Math.min(DEFAULTS.poolBorrowTimeoutSeconds, Math.floor(shortest / 2));
  const pools = members.map((m) => m.spec.pool ?? {});
  const pool: Required<PoolSpec> = {
    maxConnectionsPercent: Math.max(...pools.map((p) => p.maxConnectionsPercent ?? DEFAULTS.poolMaxConnectionsPercent)),
    maxIdleConnectionsPercent: Math.max(...pools.map((p) => p.maxIdleConnectionsPercent ?? DEFAULTS.poolMaxIdleConnectionsPercent)),
    borrowTimeoutSeconds: Math.min(...pools.map((p) => p.borrowTimeoutSeconds ?? fallbackBorrow)),
  };
  const clients = members.reduce((n, m) => n + (m.spec.allowedFunctions?.length ?? 0) + 1, 0);
  return { postgresVersion, size, pool, shortestCallerTimeoutSeconds: shortest, members, clients, problems };
}
