import { Lazy } from "cdktf";
import { Construct } from "constructs";
import { DatabaseProxySpec, PlatformDatabaseProxy, sharedDatabaseName, sharedFunctionRoleName } from "@polycloud/core";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { AwsDatabaseProxy, RDS_IAM_ROLE } from "./database-proxy";
import { AwsFunction } from "./function";
import { Statement, policyDocument } from "./iam";

export interface AwsServiceDatabaseProps {
  /** The environment's shared server (the shared tier). */
  readonly server: AwsDatabaseProxy;
  readonly service: string;
  readonly logicalId: string;
  readonly spec: DatabaseProxySpec;
}

/**
 * One service's database on the environment's shared Aurora cluster (service tier): its name on
 * the server (`<service>_<name>`), a role per allowed function (`fn_<service>_<id>`, so no two
 * services share a role), the functions' network path and `rds-db:connect`, and the proxy role's
 * right to log in as exactly these roles (an inline policy of this service on the shared proxy
 * role, so adding or removing a service changes no other service's resources). The database and
 * roles are created by the service's migration step, which closes the database to every other role.
 */
export class AwsServiceDatabase extends Construct implements PlatformDatabaseProxy {
  readonly logicalId: string;
  readonly spec: DatabaseProxySpec;
  readonly databaseName: string;
  /** The server's alarms are the shared tier's; the service database adds none. */
  readonly alarms = [];
  private readonly statements: Statement[] = [];

  constructor(scope: Construct, id: string, private readonly props: AwsServiceDatabaseProps) {
    super(scope, id);
    this.logicalId = props.logicalId;
    this.spec = props.spec;
    this.databaseName = sharedDatabaseName(props.service, props.spec);
    const role = props.server.proxyRole;
    if (role && props.spec.iamAuth !== false && (props.spec.allowedFunctions ?? []).length > 0) {
      new IamRolePolicy(this, "proxy-policy", {
        role: role.id,
        name: `connect-${props.service}-${props.logicalId}`.slice(0, 128),
        policy: Lazy.stringValue({ produce: () => policyDocument(this.statements) }),
      });
    }
  }

  get endpoint(): string {
    return this.props.server.endpoint;
  }

  get port(): number {
    return this.props.server.port;
  }

  /** The function's role on the shared server. */
  roleOf(functionId: string): string {
    return sharedFunctionRoleName(this.props.service, functionId);
  }

  /** The roles the service's migration step creates (members of rds_iam: IAM tokens only). */
  migrationRoles() {
    return (this.spec.allowedFunctions ?? []).map((f) => ({ name: this.roleOf(f), create: "role" as const, memberOf: this.spec.iamAuth === false ? [] : [RDS_IAM_ROLE] }));
  }

  grantConnect(fn: AwsFunction): void {
    this.statements.push(...this.props.server.connect(this, fn, { role: this.roleOf(fn.logicalId), databaseName: this.databaseName, databaseId: this.logicalId }));
  }
}
