import { Construct } from "constructs";
import { DatabaseProxySpec, MigrationRoleSpec, PlatformDatabaseProxy, PlatformFunction, sharedDatabaseName } from "@polycloud/core";
import { SqlDatabase } from "@cdktf/provider-google/lib/sql-database";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";
import { SqlUser } from "@cdktf/provider-google/lib/sql-user";
import { GcpContext } from "./context";
import { GcpDatabaseProxy, GcpDatabaseTarget } from "./database-proxy";
import { cloudSqlIamUser } from "./database-roles";
import { GcpFunction } from "./function";

export interface GcpServiceDatabaseProps {
  readonly context: GcpContext;
  /** The environment's shared Cloud SQL instance (the shared tier). */
  readonly server: GcpDatabaseProxy;
  readonly service: string;
  readonly logicalId: string;
  readonly spec: DatabaseProxySpec;
}

/**
 * One service's database on the environment's shared Cloud SQL instance (service tier): the
 * database `<service>_<name>`, an IAM database user per allowed function and the migration step's
 * admin user, all in this service's construct (and state). The step's bootstrap closes the
 * database to PUBLIC, so other services' IAM users cannot connect to it.
 */
export class GcpServiceDatabase extends Construct implements PlatformDatabaseProxy, GcpDatabaseTarget {
  readonly logicalId: string;
  readonly spec: DatabaseProxySpec;
  readonly database: SqlDatabase;
  readonly functionSqlUsers: SqlUser[] = [];
  readonly alarms = [];
  private readonly functionUsers: string[] = [];
  /** The Cloud SQL Admin API of this stack (a partitioned service stack enables its own). */
  private readonly api: ProjectService[];

  constructor(scope: Construct, id: string, private readonly props: GcpServiceDatabaseProps) {
    super(scope, id);
    this.logicalId = props.logicalId;
    this.spec = props.spec;
    this.api = props.context.services.enable("sqladmin.googleapis.com");
    this.database = new SqlDatabase(this, "database", {
      name: sharedDatabaseName(props.service, props.spec),
      instance: props.server.instance.name,
      deletionPolicy: props.context.env.deletionProtection ? "ABANDON" : "DELETE",
      dependsOn: this.api,
    });
  }

  get endpoint(): string { return this.props.server.endpoint; }
  get port(): number { return this.props.server.port; }
  get serverCa(): string { return this.props.server.serverCa; }
  get serverName(): string { return this.props.server.serverName; }

  addIamUser(id: string, name: string): SqlUser {
    return this.props.server.addIamUser(id, name, this, this.api);
  }

  instanceCondition() {
    return this.props.server.instanceCondition();
  }

  migrationRoles(): MigrationRoleSpec[] {
    return this.functionUsers.map((name) => ({ name, create: "existing" as const }));
  }

  grantConnect(fn: PlatformFunction): void {
    const f = fn as GcpFunction;
    this.functionUsers.push(cloudSqlIamUser(f.serviceAccount.accountIdInput!, this.props.context.projectId));
    this.functionSqlUsers.push(this.props.server.connect(this, f, { databaseId: this.logicalId, databaseName: this.database.name }, this.api));
  }
}
