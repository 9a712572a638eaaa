import { Construct } from "constructs";
import { DatabaseMigrations, MigrationRoleSpec, envVarPart, MIGRATION_STEP_FUNCTION, migrationStepId, packageMigrationStep, resolveFunction } from "@polycloud/core";
import { LambdaInvocation } from "@cdktf/provider-aws/lib/lambda-invocation";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { AwsContext } from "./context";
import { AwsDatabaseProxy, MASTER_USER } from "./database-proxy";
import { AwsFunction } from "./function";
import { RDS_CA_PATH } from "./rds-ca-layer";
import { sid } from "./queue";

export interface AwsDatabaseMigrationProps {
  readonly context: AwsContext;
  readonly database: AwsDatabaseProxy;
  readonly migrations: DatabaseMigrations;
  readonly roles: readonly MigrationRoleSpec[];
  /**
   * A service database on the environment's shared server: its id (DB_<ID>_* and the step's
   * function id) and name on the server. The step creates the database when it is missing and
   * closes it to every role but the service's own (POLYCLOUD_MIGRATE_CREATE_DATABASE).
   * @default the server's own database (a server of one service database)
   */
  readonly member?: { readonly databaseId: string; readonly databaseName: string };
}

const STEP_TIMEOUT_SECONDS = MIGRATION_STEP_FUNCTION.timeoutSeconds;

/**
 * The database's migration step on AWS: a Lambda function in the VPC (the package holds the
 * runtime's migration step and the database's migration files) that logs in to the Aurora cluster
 * directly (never through RDS Proxy: a migration needs one session) as the master user, with the
 * password from the RDS-managed master secret, which only this function's role may read. It is
 * invoked during apply by `aws_lambda_invocation` (synchronous RequestResponse: a function error
 * fails the apply with the function's error payload), qualified by the published version and
 * re-created when the migrations, the roles or the package change (hashicorp/terraform-provider-aws
 * internal/service/lambda/invocation.go: `input` changes force a new invocation in the default
 * CREATE_ONLY scope, `qualifier` and `triggers` are ForceNew). Every function allowed to connect
 * depends on the invocation, so new code never runs against the old schema.
 */
export class AwsDatabaseMigration extends Construct {
  readonly fn: AwsFunction;
  readonly invocation: LambdaInvocation;

  constructor(scope: Construct, id: string, props: AwsDatabaseMigrationProps) {
    super(scope, id);
    const { context: ctx, database: server, migrations, roles } = props;
    const db = { logicalId: props.member?.databaseId ?? server.logicalId, databaseName: props.member?.databaseName ?? server.databaseName };
    const pkg = packageMigrationStep("aws", migrations);
    this.fn = new AwsFunction(this, "fn", {
      context: ctx,
      logicalId: migrationStepId(db.logicalId),
      spec: resolveFunction({
        source: pkg.folder, runtime: "nodejs22", handler: "index.handler", memoryMb: MIGRATION_STEP_FUNCTION.memoryMb, timeoutSeconds: STEP_TIMEOUT_SECONDS,
        // One run at a time (the step also takes a database lock).
        concurrency: { max: MIGRATION_STEP_FUNCTION.maxConcurrency },
      }),
      package: pkg,
    });
    const fn = this.fn;

    // Network: the migration function reaches the cluster itself on 5432, nothing else.
    const sg = fn.attachToVpc();
    const ingress = new VpcSecurityGroupIngressRule(this, "db-from-step", {
      securityGroupId: server.databaseSecurityGroup.id,
      referencedSecurityGroupId: sg.id,
      ipProtocol: "tcp", fromPort: 5432, toPort: 5432, description: `Postgres from the migration step of ${db.logicalId}`,
    });
    const egress = new VpcSecurityGroupEgressRule(this, "step-to-db", {
      securityGroupId: sg.id,
      referencedSecurityGroupId: server.databaseSecurityGroup.id,
      ipProtocol: "tcp", fromPort: 5432, toPort: 5432, description: `Postgres to the cluster of ${db.logicalId}`,
    });

    // The admin identity: the master user's secret, readable by this role alone.
    const secretArn = server.masterSecretArn;
    fn.addToRolePolicy(
      { Sid: `ReadMasterSecret${sid(db.logicalId)}`, Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secretArn },
      { Sid: "DecryptMasterSecret", Effect: "Allow", Action: "kms:Decrypt", Resource: ctx.key.arn, Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${ctx.region}.amazonaws.com` } } },
    );
    fn.needsEndpoint("secretsmanager");

    const prefix = `DB_${envVarPart(db.logicalId)}`;
    fn.addLayer(server.caLayerArn);
    fn.addEnvironment("POLYCLOUD_MIGRATE_DATABASE", db.logicalId);
    fn.addEnvironment("POLYCLOUD_MIGRATE_ROLES", JSON.stringify(roles));
    fn.addEnvironment(`${prefix}_HOST`, server.cluster.endpoint);
    fn.addEnvironment(`${prefix}_PORT`, "5432");
    fn.addEnvironment(`${prefix}_NAME`, db.databaseName);
    fn.addEnvironment(`${prefix}_USER`, MASTER_USER);
    fn.addEnvironment(`${prefix}_SSLMODE`, "verify-full");
    fn.addEnvironment(`${prefix}_SSLROOTCERT`, RDS_CA_PATH);
    fn.addEnvironment(`${prefix}_PASSWORD_SECRET_ARN`, secretArn);
    // On the shared server: create the service's database from the `postgres` maintenance database first.
    if (props.member) fn.addEnvironment("POLYCLOUD_MIGRATE_CREATE_DATABASE", "postgres");

    const endpoint = ctx.network.endpoint("secretsmanager");
    const toEndpoints = fn.node.tryFindChild("egress-endpoints") as VpcSecurityGroupEgressRule | undefined;
    this.invocation = new LambdaInvocation(this, "run", {
      functionName: fn.lambda.functionName,
      // The version just published: the invocation runs the code and configuration of this apply.
      qualifier: fn.lambda.version,
      input: JSON.stringify({ polycloud: "migrate", database: db.logicalId, migrations: migrations.hash, files: migrations.files.map((f) => f.id), roles: roles.map((r) => r.name) }),
      triggers: { migrations: migrations.hash, package: pkg.hash },
      // The cluster must have a writer and the network path must exist before the first run.
      dependsOn: [...server.instances, ingress, egress, ...(endpoint ? [endpoint] : []), ...(toEndpoints ? [toEndpoints] : [])],
    });
  }
}
