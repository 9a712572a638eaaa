import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { AlarmInfo, DatabaseProxySpec, MigrationRoleSpec, PlatformDatabaseProxy, PlatformFunction, sharedDatabaseName } from "@polycloud/core";
import { PostgresqlFlexibleServerConfiguration } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server-configuration";
import { PostgresqlFlexibleServerDatabase } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server-database";
import { AzureDatabaseProxy, AzureDatabaseTarget } from "./database-proxy";
import { AzureFunction } from "./function";

export interface AzureServiceDatabaseProps {
  /** The environment's shared PostgreSQL Flexible Server (the shared tier). */
  readonly server: AzureDatabaseProxy;
  readonly service: string;
  readonly logicalId: string;
  readonly spec: DatabaseProxySpec;
}

/**
 * One service's database on the environment's shared PostgreSQL Flexible Server (service tier):
 * the database `<service>_<name>` in this service's construct (and, partitioned, its state). Its
 * functions log in with their own Entra principals, created by the service's migration step, which
 * closes the database to PUBLIC and grants CONNECT to those principals only: another service's
 * functions are refused. azurerm serialises database and administrator changes per server
 * (`locks.ByName(<server>)` in postgresql_flexible_server_database_resource.go and
 * …_active_directory_administrator_resource.go, v4.73.0).
 */
export class AzureServiceDatabase extends Construct implements PlatformDatabaseProxy, AzureDatabaseTarget {
  readonly logicalId: string;
  readonly spec: DatabaseProxySpec;
  readonly database: PostgresqlFlexibleServerDatabase;
  /** The shared server's alarms watch it (named after the platform, in the shared tier). */
  readonly alarms: AlarmInfo[] = [];
  private readonly granted: AzureFunction[] = [];

  constructor(scope: Construct, id: string, private readonly props: AzureServiceDatabaseProps) {
    super(scope, id);
    this.logicalId = props.logicalId;
    this.spec = props.spec;
    this.database = new PostgresqlFlexibleServerDatabase(this, "database", {
      name: sharedDatabaseName(props.service, props.spec), serverId: props.server.server.id, charset: "UTF8", collation: "en_US.utf8",
    });
  }

  get server() { return this.props.server.server; }
  get endpoint(): string { return this.props.server.endpoint; }
  get port(): number { return this.props.server.port; }

  /** The server's settings, when the server is in this stack (a partitioned service's server was applied first). */
  get configurations(): readonly PostgresqlFlexibleServerConfiguration[] {
    return TerraformStack.of(this.props.server) === TerraformStack.of(this) ? this.props.server.configurations : [];
  }

  poolPerInstance(): number {
    return this.props.server.poolPerInstance();
  }

  /** The roles the migration step creates and grants on this database: each granted function's Entra principal. */
  migrationRoles(): MigrationRoleSpec[] {
    return this.granted.map((f) => ({ name: f.identity.name, create: "entra" as const, objectId: f.identity.principalId }));
  }

  grantConnect(fn: PlatformFunction): void {
    const f = fn as AzureFunction;
    this.granted.push(f);
    this.props.server.connect(f, this.logicalId, this.database.name);
  }
}
