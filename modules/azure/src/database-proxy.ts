import { Annotations, Aspects, Lazy } from "cdktf";
import { Construct } from "constructs";
import { AlarmInfo, DEFAULTS, DatabaseProxySpec, MigrationRoleSpec, NAME_RULES, PlatformDatabaseProxy, PlatformFunction, Problems, SharedDatabaseServerSpec, resolvePool, envVarPart } from "@polycloud/core";
import { ManagementLock } from "@cdktf/provider-azurerm/lib/management-lock";
import { PostgresqlFlexibleServer } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server";
import { PostgresqlFlexibleServerConfiguration } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server-configuration";
import { PostgresqlFlexibleServerDatabase } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server-database";
import { createMetricAlert } from "./alarm";
import { AzureContext } from "./context";
import { AzureFunction } from "./function";
import { AZURE_RESERVED_CONNECTIONS, PGBOUNCER_PORT, POSTGRES_SIZES } from "./limits";
import { azurePostgresRoots } from "./postgres-roots";

export interface AzureDatabaseProxyProps {
  readonly context: AzureContext;
  readonly logicalId: string;
  readonly spec: DatabaseProxySpec;
  /**
   * Shortest timeout (seconds) among the functions allowed to connect; the pool's borrow-timeout
   * default stays below it, as on AWS. @default none (the core default applies)
   */
  readonly shortestCallerTimeoutSeconds?: number;
  /**
   * The environment's shared server (the shared tier): no database of its own (each service's is an
   * AzureServiceDatabase), PgBouncer pools sized for every member's logins. @default a server of its own
   */
  readonly shared?: SharedDatabaseServerSpec;
}

/** What a migration step needs of a database: a server's own, or a service's on the shared server. */
export interface AzureDatabaseTarget {
  readonly logicalId: string;
  /** The server the step's identity administers. */
  readonly server: Pick<PostgresqlFlexibleServer, "name">;
  readonly database: { readonly name: string };
  readonly endpoint: string;
  /** Server settings the step waits for (TLS enforced before the first connection); empty across stacks. */
  readonly configurations: readonly PostgresqlFlexibleServerConfiguration[];
  migrationRoles(): MigrationRoleSpec[];
}

/**
 * PostgreSQL Flexible Server in the delegated subnet (no public access), TLS enforced, Entra ID
 * authentication only (no password anywhere), built-in PgBouncer on port 6432 configured from
 * the spec's pool limits, backups (geo-redundant in prod) and a CanNotDelete lock in prod.
 * The server configurations are chained with depends_on: `pgbouncer.*` parameters only exist
 * once `pgbouncer.enabled` is on, and Azure rejects concurrent configuration updates.
 */
export class AzureDatabaseProxy extends Construct implements PlatformDatabaseProxy, AzureDatabaseTarget {
  readonly spec: DatabaseProxySpec;
  readonly server: PostgresqlFlexibleServer;
  /** The server's own database (on the shared server, a placeholder naming `postgres`: each service has its own). */
  readonly database: { readonly name: string };
  readonly configurations: PostgresqlFlexibleServerConfiguration[] = [];
  readonly alarms: AlarmInfo[] = [];
  readonly pooled: boolean;
  readonly port: number;
  readonly problems: Problems;
  /** max_connections less what Azure reserves: what clients can open. */
  readonly userConnections: number;
  private readonly granted: AzureFunction[] = [];
  readonly logicalId: string;

  constructor(scope: Construct, id: string, private readonly props: AzureDatabaseProxyProps) {
    super(scope, id);
    const { context: ctx, spec, logicalId } = props;
    this.spec = spec;
    this.problems = new Problems(`AzureDatabaseProxy(${logicalId})`);
    this.logicalId = logicalId;
    const rg = ctx.resourceGroup;
    const prod = ctx.env.deletionProtection;
    const size = POSTGRES_SIZES[spec.size] ?? POSTGRES_SIZES.small;
    const sku = ctx.spec.database?.skuName ?? size.sku;
    const burstable = sku.startsWith("B_");
    this.pooled = !burstable;
    if (burstable) {
      if (ctx.spec.database?.acceptNoPooling) {
        Annotations.of(this).addWarning(`AzureDatabaseProxy(${logicalId}): environments/${ctx.env.name} clouds.azure.database.skuName = "${sku}" is Burstable, which cannot run PgBouncer; functions connect directly on 5432 (accepted by acceptNoPooling).`);
      } else {
        this.problems.add(`environments/${ctx.env.name}.clouds.azure.database.skuName`, sku, "a General Purpose or Memory Optimized SKU (Burstable cannot run PgBouncer), or set clouds.azure.database.acceptNoPooling: true");
      }
    }
    if (spec.requireTls === false) this.problems.add("requireTls", false, "true (TLS is always required)");
    // max_connections of the SKU actually deployed (an environment's skuName may differ from the size's).
    const maxConnections = burstable ? 50 : Object.values(POSTGRES_SIZES).find((s) => s.sku === sku)?.maxConnections ?? size.maxConnections;
    // Azure keeps some of them for itself (superuser, replication, monitoring): pools and alarms are
    // sized from what clients can actually open.
    this.userConnections = maxConnections - AZURE_RESERVED_CONNECTIONS;

    this.server = new PostgresqlFlexibleServer(this, "server", {
      name: ctx.globalName(NAME_RULES.azure.generic, logicalId, "pg"),
      resourceGroupName: rg.name,
      location: rg.location,
      version: spec.postgresVersion,
      skuName: sku,
      storageMb: 32768,
      autoGrowEnabled: true,
      delegatedSubnetId: ctx.network.databaseSubnetId,
      privateDnsZoneId: ctx.network.privateDnsZoneId,
      publicNetworkAccessEnabled: false,
      authentication: { activeDirectoryAuthEnabled: true, passwordAuthEnabled: false, tenantId: ctx.spec.tenantId },
      backupRetentionDays: Math.max(7, ctx.env.retention?.backupDays ?? 7),
      geoRedundantBackupEnabled: prod,
      highAvailability: prod && !burstable ? { mode: "ZoneRedundant" } : undefined,
      zone: "1",
      dependsOn: ctx.network.dnsLink ? [ctx.network.dnsLink] : undefined,
      // After a failover Azure reports the primary in the other zone; applying "1" again would fail or fail back.
      lifecycle: { ignoreChanges: ["zone", "high_availability[0].standby_availability_zone"] },
    });
    // The Entra administrators are the migration steps' identities (AzureDatabaseMigration), nobody else.
    this.database = props.shared ? { name: "postgres" }
      : new PostgresqlFlexibleServerDatabase(this, "database", { name: spec.databaseName ?? DEFAULTS.databaseName, serverId: this.server.id, charset: "UTF8", collation: "en_US.utf8" });

    const pool = resolvePool(spec.pool, props.shortestCallerTimeoutSeconds);
    // PgBouncer keeps one pool per (user, database): every granted function and the Entra
    // administrator that runs migrations (on the shared server: every member's, each on its own
    // database), so the pools together stay within the spec's share.
    const clients = props.shared ? Math.max(1, props.shared.clients) : (spec.allowedFunctions?.length ?? 0) + 1;
    const settings: [string, string][] = [["require_secure_transport", "ON"]];
    if (this.pooled) {
      settings.push(
        ["pgbouncer.enabled", "true"],
        ["pgbouncer.pool_mode", "TRANSACTION"],
        ["pgbouncer.default_pool_size", String(Math.max(1, Math.floor((this.userConnections * pool.maxConnectionsPercent) / 100 / clients)))],
        // min_pool_size is a floor of open server connections; the spec's idle share is a ceiling
        // (RDS Proxy semantics) that PgBouncer cannot express, so no floor is kept.
        ["pgbouncer.min_pool_size", "0"],
        ["pgbouncer.query_wait_timeout", String(pool.borrowTimeoutSeconds)],
        ["metrics.pgbouncer_diagnostics", "on"],
      );
    }
    let previous: PostgresqlFlexibleServerConfiguration | undefined;
    for (const [name, value] of settings) {
      previous = new PostgresqlFlexibleServerConfiguration(this, `config-${name.replace(/[^a-z0-9]/gi, "-")}`, {
        name, value, serverId: this.server.id, dependsOn: previous ? [previous] : undefined,
      });
      this.configurations.push(previous);
    }
    if (prod) {
      new ManagementLock(this, "lock", { name: "do-not-delete", scope: this.server.id, lockLevel: "CanNotDelete", notes: "Production database: remove this lock in a reviewed change before any delete." });
    }
    this.port = this.pooled ? PGBOUNCER_PORT : 5432;

    const t = ctx.thresholds;
    const ns = "Microsoft.DBforPostgreSQL/flexibleServers";
    const n = (s: string) => ctx.namer.name(NAME_RULES.azure.generic, logicalId, s);
    this.alarms.push(
      createMetricAlert(this, "alarm-connections", ctx, {
        signal: "proxy.connectionSaturation", name: n("connections"), scope: this.server.id, namespace: ns, metric: "active_connections", aggregation: "Maximum", windowSize: "PT1M",
        threshold: Math.floor((this.userConnections * t.proxyConnectionSaturationPercent) / 100),
        description: `Active connections above ${t.proxyConnectionSaturationPercent}% of the ${this.userConnections} user connections (max_connections ${maxConnections} less ${AZURE_RESERVED_CONNECTIONS} Azure keeps).`,
      }),
      // Storage grows by itself (autoGrowEnabled) up to the SKU's limit; as on Cloud SQL, an alarm at
      // 85 % says the growth needs a look.
      createMetricAlert(this, "alarm-storage", ctx, {
        signal: "database.storage", name: n("storage"), scope: this.server.id, namespace: ns, metric: "storage_percent", aggregation: "Maximum", threshold: 85,
        description: "Database storage above 85% (auto-grow is on; check the growth).",
      }),
      createMetricAlert(this, "alarm-cpu", ctx, {
        signal: "database.cpu", name: n("cpu"), scope: this.server.id, namespace: ns, metric: "cpu_percent", aggregation: "Average", threshold: 80, windowSize: "PT15M",
        description: "Database CPU above 80% on average over 15 minutes.",
      }),
    );
    if (this.pooled) {
      this.alarms.push(createMetricAlert(this, "alarm-waiting", ctx, {
        signal: "proxy.pinnedConnections", name: n("pool-waiting"), scope: this.server.id, namespace: ns, metric: "client_connections_waiting", aggregation: "Maximum", windowSize: "PT1M",
        threshold: t.proxyPinnedConnections,
        description: `More than ${t.proxyPinnedConnections} clients wait for a PgBouncer connection: the pool is exhausted.`,
      }));
    }
    this.node.addValidation({ validate: () => this.problems.messages() });
    // Known once every grant is made (grants come after construction): checked lazily at synth.
    Aspects.of(this).add({ visit: (node) => { if (node === this) this.warnWhenDirectPoolOverflows(); } });
  }

  /**
   * Connections each instance of a granted function may open (the runtime's pool, DB_<ID>_POOL_MAX).
   * Through PgBouncer the pooler multiplexes: 2. Directly (Burstable, no PgBouncer), every instance's
   * pool is a server connection: the spec's share of the user connections, divided over every
   * instance that can run (maximum_instance_count of each granted function) and the migration
   * login, so the functions at full scale stay within it and the connections alarm fires first.
   */
  poolPerInstance(): number {
    if (this.pooled) return 2;
    const share = Math.floor((this.userConnections * resolvePool(this.spec.pool).maxConnectionsPercent) / 100) - this.migrationLogins();
    return Math.max(1, Math.floor(share / Math.max(1, this.instances())));
  }

  /** The migration steps' logins: one, or one per member database on the shared server. */
  private migrationLogins(): number {
    return this.props.shared ? Math.max(1, this.props.shared.members.length) : 1;
  }

  private instances(): number {
    return this.granted.reduce((n, f) => n + f.scale.instances, 0);
  }

  private overflowWarned = false;

  private warnWhenDirectPoolOverflows(): void {
    if (this.pooled || this.overflowWarned) return;
    const share = Math.floor((this.userConnections * resolvePool(this.spec.pool).maxConnectionsPercent) / 100) - this.migrationLogins();
    if (this.instances() <= share) return;
    this.overflowWarned = true;
    Annotations.of(this).addWarning(`AzureDatabaseProxy(${this.props.logicalId}): the functions in 'allowedFunctions' (${this.granted.map((f) => f.logicalId).join(", ")}) can run ${this.instances()} instances at full scale, but without PgBouncer the pool's share of the ${this.userConnections} user connections allows ${share} (one connection each, less the migration login): past that, connections are refused. Lower the functions' concurrency.max or choose a General Purpose SKU.`);
  }

  get endpoint(): string {
    return this.server.fqdn;
  }

  /** The roles the migration step creates and grants: each granted function's Entra principal. */
  migrationRoles(): MigrationRoleSpec[] {
    return this.granted.map((f) => ({ name: f.identity.name, create: "entra" as const, objectId: f.identity.principalId }));
  }

  /**
   * VNet path and Entra login settings, TLS verified against Azure's documented roots and the host
   * name; the role itself is created by the migration step (pgaadauth_create_principal_with_oid).
   */
  grantConnect(fn: PlatformFunction): void {
    this.connect(fn as AzureFunction, this.props.logicalId, this.database.name);
  }

  /**
   * The settings of `f` for the database `databaseId` named `databaseName` on this server (its own,
   * or a service's on the shared server); its instances count against this server's connections.
   */
  connect(f: AzureFunction, databaseId: string, databaseName: string): void {
    f.useVnet();
    const prefix = `DB_${envVarPart(databaseId)}`;
    f.addSetting(`${prefix}_HOST`, this.endpoint);
    f.addSetting(`${prefix}_PORT`, String(this.port));
    f.addSetting(`${prefix}_NAME`, databaseName);
    f.addSetting(`${prefix}_USER`, f.identity.name);
    f.addSetting(`${prefix}_SSLMODE`, "verify-full");
    f.addSetting(`${prefix}_SSLROOTCERT`, azurePostgresRoots());
    this.granted.push(f);
    f.addSetting(`${prefix}_POOL_MAX`, Lazy.stringValue({ produce: () => String(this.poolPerInstance()) }));
  }
}
