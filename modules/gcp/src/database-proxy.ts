import { Annotations, ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import {
  AlarmInfo, DEFAULTS, DatabaseProxySpec, MigrationRoleSpec, NAME_RULES, PlatformDatabaseProxy, PlatformFunction, Problems, SharedDatabaseServerSpec, resolvePool, envVarPart} from "@polycloud/core";
import { SqlDatabase } from "@cdktf/provider-google/lib/sql-database";
import { SqlDatabaseInstance } from "@cdktf/provider-google/lib/sql-database-instance";
import { SqlUser } from "@cdktf/provider-google/lib/sql-user";
import { cloudSqlIamUser } from "./database-roles";
import { resourceVariable } from "./alert-conditions";
import { GcpContext, keyReady } from "./context";
import { recreatableName } from "./recreatable-name";
import { GcpFunction } from "./function";
import { CLOUD_SQL_SIZES, POOLED_PORT, TRANSACTION_LOG_DAYS, poolerCount } from "./limits";

export interface GcpDatabaseProxyProps {
  readonly context: GcpContext;
  readonly logicalId: string;
  readonly spec: DatabaseProxySpec;
  /**
   * Shortest timeout (seconds) among the functions allowed to connect; the pool's borrow-timeout
   * default stays below it, as on AWS. @default none (the core default applies)
   */
  readonly shortestCallerTimeoutSeconds?: number;
  /**
   * The environment's shared server (the shared tier): no database of its own (each service
   * database creates one, GcpServiceDatabase), pools sized for every service's users.
   */
  readonly shared?: SharedDatabaseServerSpec;
}

/** What a migration step and a function's grant need of a database: a server's own, or a service's on the shared server. */
export interface GcpDatabaseTarget {
  readonly logicalId: string;
  readonly database: { readonly name: string };
  readonly endpoint: string;
  readonly serverCa: string;
  readonly serverName: string;
  readonly functionSqlUsers: SqlUser[];
  addIamUser(id: string, name: string): SqlUser;
  instanceCondition(): { title: string; expression: string };
  migrationRoles(): MigrationRoleSpec[];
}

/**
 * Cloud SQL for PostgreSQL with private IP only, TLS required, backups with point-in-time
 * recovery, deletion protection in prod, CMEK, and Managed Connection Pooling (Enterprise Plus).
 * Granted functions log in as IAM service-account users; no built-in password user is created,
 * so no password ever reaches state.
 */
export class GcpDatabaseProxy extends Construct implements PlatformDatabaseProxy, GcpDatabaseTarget {
  readonly spec: DatabaseProxySpec;
  readonly instance: SqlDatabaseInstance;
  /** The server's own database (a placeholder naming `postgres` on the shared server, which has none). */
  readonly database: { readonly name: string };
  readonly port: number;
  readonly alarms: AlarmInfo[] = [];
  readonly pooled: boolean;
  readonly maxConnections: number;
  /** Server connections one pool (one pooler × one database+user pair) may open. */
  readonly maxPoolSize: number;
  readonly problems: Problems;
  readonly logicalId: string;
  /** Granted functions' PostgreSQL role names (Cloud SQL creates them from their IAM users). */
  readonly functionUsers: string[] = [];
  /** The IAM database users of the granted functions (the migration step waits for them). */
  readonly functionSqlUsers: SqlUser[] = [];
  /** The instance's server CA (PEM): functions and the migration step verify the server against it. */
  readonly serverCa: string;
  /**
   * The identity the server certificate carries: `<project>:<instance>`, the common name of the
   * certificates Cloud SQL's per-instance CA signs (and what Google's connectors check).
   */
  readonly serverName: string;
  private readonly ctx: GcpContext;

  constructor(scope: Construct, id: string, private readonly props: GcpDatabaseProxyProps) {
    super(scope, id);
    const { context: ctx, spec, logicalId } = props;
    this.ctx = ctx;
    this.spec = spec;
    this.problems = new Problems(`GcpDatabaseProxy(${logicalId})`);
    this.logicalId = logicalId;
    const db = ctx.spec.database ?? {};
    const edition = db.edition ?? "ENTERPRISE_PLUS";
    const size = CLOUD_SQL_SIZES[spec.size] ?? CLOUD_SQL_SIZES.small;
    this.maxConnections = size.maxConnections;
    this.pooled = edition === "ENTERPRISE_PLUS";
    if (!this.pooled) {
      if (db.acceptNoPooling) {
        Annotations.of(this).addWarning(
          `GcpDatabaseProxy(${logicalId}): environments/${ctx.env.name} clouds.gcp.database.edition = "${edition}" has no managed connection pooling; functions connect directly to Cloud SQL (accepted by acceptNoPooling).`,
        );
      } else {
        this.problems.add(`environments/${ctx.env.name}.clouds.gcp.database.edition`, edition, 'ENTERPRISE_PLUS (managed connection pooling), or set clouds.gcp.database.acceptNoPooling: true to accept no pooling in this environment');
      }
    }
    if (spec.requireTls === false) this.problems.add("requireTls", false, "true (TLS is always required)");
    const pool = resolvePool(spec.pool, props.shortestCallerTimeoutSeconds);
    const tier = db.tier ?? (this.pooled ? size.tier : "db-custom-1-3840");
    // Managed pooling runs one pooler per 4 vCPU (at least one), and each pooler keeps one pool per
    // (database, user): split the spec's share of max_connections so the sum can never exceed it.
    // Users: every granted function and the migration identity (it connects to 5432, but stays counted).
    const pools = poolerCount(tier) * (props.shared ? props.shared.clients : spec.allowedFunctions.length + 1);
    this.maxPoolSize = Math.max(1, Math.floor((size.maxConnections * pool.maxConnectionsPercent) / 100 / pools));
    const prod = ctx.env.deletionProtection;
    const backupDays = ctx.env.retention?.backupDays ?? 7;
    // Point-in-time recovery reaches back as far as the environment keeps backups (AWS: 35 days in prod).
    const logDays = TRANSACTION_LOG_DAYS[edition === "ENTERPRISE_PLUS" ? "ENTERPRISE_PLUS" : "ENTERPRISE"];
    if (!Number.isInteger(backupDays) || backupDays < logDays.min || backupDays > logDays.max) {
      this.problems.add(`environments/${ctx.env.name}.retention.backupDays`, backupDays,
        `${logDays.min}..${logDays.max} (Cloud SQL ${edition} keeps transaction logs for point-in-time recovery at most ${logDays.max} days)`);
    }
    const [sqlApi] = ctx.services.enable("sqladmin.googleapis.com");

    // Outside prod the name ends in its creation time: Cloud SQL keeps a deleted instance's name
    // reserved for about a week, so a dev torn down and recreated needs a new one.
    const generated = recreatableName(this, "instance-generation", ctx.namer.name(NAME_RULES.gcp.sqlInstance, logicalId), NAME_RULES.gcp.sqlInstance.maxLength, prod);
    const instanceName = generated.name;
    this.instance = new SqlDatabaseInstance(this, "instance", {
      name: instanceName,
      region: ctx.region,
      databaseVersion: `POSTGRES_${spec.postgresVersion}`,
      encryptionKeyName: ctx.key.id,
      deletionProtection: prod,
      settings: {
        tier,
        edition,
        availabilityType: prod ? "REGIONAL" : "ZONAL",
        deletionProtectionEnabled: prod,
        retainBackupsOnDelete: prod,
        diskAutoresize: true,
        diskType: "PD_SSD",
        ipConfiguration: {
          ipv4Enabled: false,
          privateNetwork: ctx.network.networkId,
          sslMode: "ENCRYPTED_ONLY",
        },
        backupConfiguration: {
          enabled: true,
          pointInTimeRecoveryEnabled: true,
          transactionLogRetentionDays: backupDays,
          // The Admin API requires more retained (daily) backups than days of transaction logs
          // ("Invalid request: backup retention should be > transaction log retention."): one more
          // backup than log days, so the oldest restorable point still has a base backup.
          backupRetentionSettings: { retainedBackups: backupDays + 1, retentionUnit: "COUNT" },
        },
        databaseFlags: [
          { name: "cloudsql.iam_authentication", value: "on" },
          { name: "max_connections", value: String(size.maxConnections) },
          { name: "log_connections", value: "on" },
          { name: "log_disconnections", value: "on" },
        ],
        connectionPoolConfig: this.pooled
          ? [{
              connectionPoolingEnabled: true,
              // Pool limits from the spec, as shares of max_connections like the RDS Proxy settings.
              flags: [
                { name: "pool_mode", value: "transaction" },
                // No min_pool_size: it is a floor of open connections, while the spec's idle share is a ceiling.
                { name: "max_pool_size", value: String(this.maxPoolSize) },
                { name: "query_wait_timeout", value: String(pool.borrowTimeoutSeconds) },
              ],
            }]
          : undefined,
        insightsConfig: { queryInsightsEnabled: true, recordApplicationTags: true },
        maintenanceWindow: { day: 7, hour: 3, updateTrack: "stable" },
        // Cloud SQL is not reached by the provider's default_labels.
        userLabels: { ...ctx.labels, component: "database" },
      },
      lifecycle: { preventDestroy: prod },
      dependsOn: [sqlApi, ...keyReady(this, ctx, "cloudsql"), ...(ctx.network.peering ? [ctx.network.peering] : [])],
    });
    this.port = this.pooled ? POOLED_PORT : 5432;
    this.database = props.shared ? { name: "postgres" } : new SqlDatabase(this, "database", {
      name: spec.databaseName ?? DEFAULTS.databaseName,
      instance: this.instance.name,
      deletionPolicy: prod ? "ABANDON" : "DELETE",
    });

    this.serverCa = this.instance.serverCaCert.get(0).cert;
    this.serverName = `${ctx.projectId}:${instanceName}`;

    const t = ctx.thresholds;
    // One condition per measurement and threshold for the whole stack (alert-conditions.ts), each instance its own series.
    // The suffix is a reference: the name is interpolated inside the filter's quotes.
    const sql = (m: string) => `metric.type="cloudsql.googleapis.com/database/${m}" AND resource.type="cloudsql_database"`;
    const on = { nameLabel: "database_id", resourceName: `${ctx.projectId}:${generated.base}${generated.suffix}` };
    const named = resourceVariable("database_id");
    const limit = Math.floor((size.maxConnections * t.proxyConnectionSaturationPercent) / 100);
    this.alarms.push(
      ctx.alerts.watch({
        ...on, id: "database-connections", signal: "proxy.connectionSaturation", name: `${instanceName} connections`, title: "Database backends", threshold: limit, aligner: "ALIGN_MAX", reducer: "REDUCE_SUM", periodSeconds: 60,
        filter: sql("postgresql/num_backends"),
        documentation: `Backends of ${named} exceed ${t.proxyConnectionSaturationPercent}% of its max_connections (${size.maxConnections}): its pools are saturating.`,
      }),
      ctx.alerts.watch({
        ...on, id: "database-cpu", signal: "database.cpu", name: `${instanceName} cpu`, title: "Database CPU", threshold: 0.8, aligner: "ALIGN_MEAN", periodSeconds: 900,
        filter: sql("cpu/utilization"),
        documentation: `Database ${named}: CPU above 80% on average over 15 minutes.`,
      }),
      ctx.alerts.watch({
        ...on, id: "database-disk", signal: "database.storage", name: `${instanceName} disk`, title: "Database disk", threshold: 0.85, aligner: "ALIGN_MAX",
        filter: sql("disk/utilization"),
        documentation: `Database ${named}: disk above 85% (autoresize is on; check the growth).`,
      }),
    );
    this.node.addValidation({ validate: () => this.problems.messages() });
  }

  /** A CLOUD_IAM_SERVICE_ACCOUNT user of this instance (the migration step's admin), made in `scope`; counted in the pools. */
  addIamUser(id: string, name: string, scope: Construct = this, dependsOn?: ITerraformDependable[]): SqlUser {
    return new SqlUser(scope, id, { name, instance: this.instance.name, type: "CLOUD_IAM_SERVICE_ACCOUNT", dependsOn });
  }

  /** The roles the migration step grants: the functions' IAM database users, which Cloud SQL creates. */
  migrationRoles(): MigrationRoleSpec[] {
    return this.functionUsers.map((name) => ({ name, create: "existing" as const }));
  }

  /** An IAM condition for roles that apply to this instance only. */
  instanceCondition() {
    return {
      title: `only-${this.props.logicalId}`.slice(0, 100),
      expression: `resource.name == "projects/${this.ctx.projectId}/instances/${this.instance.name}" && resource.service == "sqladmin.googleapis.com"`,
    };
  }

  /** Private IP of the instance; pooled connections use port 6432. */
  get endpoint(): string {
    return this.instance.privateIpAddress;
  }

  /**
   * IAM database login for the function's service account, `cloudsql.client` and
   * `cloudsql.instanceUser` conditioned on this instance, and the VPC connector path.
   */
  grantConnect(fn: PlatformFunction): void {
    const f = fn as GcpFunction;
    this.functionUsers.push(cloudSqlIamUser(f.serviceAccount.accountIdInput!, this.ctx.projectId));
    this.functionSqlUsers.push(this.connect(this, f, { databaseId: this.props.logicalId, databaseName: this.database.name }));
  }

  /**
   * The grant of one function, its IAM database user made in `scope` (a service's own construct
   * when the server is the environment's shared one): returns the user.
   */
  connect(scope: Construct, f: GcpFunction, target: { readonly databaseId: string; readonly databaseName: string }, dependsOn?: ITerraformDependable[]): SqlUser {
    const { projectId } = this.ctx;
    // Postgres IAM user names are the service-account e-mail without ".gserviceaccount.com".
    const user = new SqlUser(scope, `user-${f.logicalId}`, {
      name: `${f.serviceAccount.accountId}@${projectId}.iam`,
      instance: this.instance.name,
      type: "CLOUD_IAM_SERVICE_ACCOUNT",
      dependsOn,
    });
    for (const role of ["roles/cloudsql.client", "roles/cloudsql.instanceUser"]) {
      f.projectRole(`db-${target.databaseId}-${role.split(".").pop()}`, role, f.serviceAccount, this.instanceCondition());
    }
    f.useVpcConnector();
    const prefix = `DB_${envVarPart(target.databaseId)}`;
    f.addEnvironment(`${prefix}_HOST`, this.endpoint);
    f.addEnvironment(`${prefix}_PORT`, String(this.port));
    f.addEnvironment(`${prefix}_NAME`, target.databaseName);
    f.addEnvironment(`${prefix}_USER`, user.name);
    // The server certificate is verified against the instance's own CA and must carry its name.
    f.addEnvironment(`${prefix}_SSLMODE`, "verify-full");
    f.addEnvironment(`${prefix}_SSLROOTCERT`, this.serverCa);
    f.addEnvironment(`${prefix}_SSLSERVERNAME`, this.serverName);
    return user;
  }
}
