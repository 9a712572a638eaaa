import { Annotations, Fn, Lazy, Token } from "cdktf";
import { Construct } from "constructs";
import { AlarmInfo, DEFAULTS, DatabaseProxySpec, MigrationRoleSpec, NAME_RULES, Namer, PlatformDatabaseProxy, functionRoleName, platformName, resolvePool, envVarPart } from "@polycloud/core";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DbProxy } from "@cdktf/provider-aws/lib/db-proxy";
import { DbProxyDefaultTargetGroup } from "@cdktf/provider-aws/lib/db-proxy-default-target-group";
import { DbProxyTarget } from "@cdktf/provider-aws/lib/db-proxy-target";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster";
import { RdsClusterInstance } from "@cdktf/provider-aws/lib/rds-cluster-instance";
import { RdsClusterParameterGroup } from "@cdktf/provider-aws/lib/rds-cluster-parameter-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { createAlarm } from "./alarm";
import { AwsContext } from "./context";
import { AwsFunction } from "./function";
import { Statement, assumeRolePolicy, policyDocument } from "./iam";
import { AURORA_CAPACITY, logRetention } from "./limits";
import { AwsRdsCaLayer, RDS_CA_PATH } from "./rds-ca-layer";
import { sid } from "./queue";

/** Aurora PostgreSQL's default max_connections: LEAST(DBInstanceClassMemory / 9531392, 5000); one ACU is 2 GiB. */
export function auroraMaxConnections(maxAcu: number): number {
  return Math.min(Math.floor((maxAcu * 2 * 1024 ** 3) / 9531392), 5000);
}

export interface AwsDatabaseProxyProps {
  readonly context: AwsContext;
  readonly logicalId: string;
  readonly spec: DatabaseProxySpec;
  /**
   * Shortest timeout (seconds) among the functions allowed to connect; the pool's borrow-timeout
   * default stays below it. @default none (the core default applies)
   */
  readonly shortestCallerTimeoutSeconds?: number;
  /**
   * The environment's shared server (the shared tier): no initial database (each service's
   * migration step creates its own), and no proxy policy of its own (each service database adds
   * one for its roles, see AwsServiceDatabase). @default false: a server of one service database
   */
  readonly shared?: boolean;
}

/** Where a function connects: its role, the database and the id its DB_<ID>_* variables carry. */
export interface AwsConnectTarget {
  readonly role: string;
  readonly databaseName: string;
  readonly databaseId: string;
}

const PORT = 5432;
/** Master user: owns the schema; only the migration step (AwsDatabaseMigration) logs in as it. */
export const MASTER_USER = "platform_admin";
/** The RDS role whose members authenticate with IAM tokens instead of passwords. */
export const RDS_IAM_ROLE = "rds_iam";

/**
 * The per-function roles the migration step creates: one login role per allowed function
 * (`fn_<id>`), a member of `rds_iam` (IAM tokens only); objects stay with the master user.
 */
export function awsMigrationRoles(spec: DatabaseProxySpec): MigrationRoleSpec[] {
  return (spec.allowedFunctions ?? []).map((f) => ({ name: functionRoleName(f), create: "role" as const, memberOf: spec.iamAuth === false ? [] : [RDS_IAM_ROLE] }));
}

/**
 * Aurora PostgreSQL Serverless v2 behind RDS Proxy.
 *
 * Why Aurora Serverless v2 rather than RDS PostgreSQL: capacity follows load in 0.5 ACU steps, so
 * the cloud-neutral sizes map to capacity ranges instead of fixed instance classes, storage grows by
 * itself, and prod gets a reader in a second AZ for fail-over. The master password is created and
 * rotated by RDS in Secrets Manager (`manage_master_user_password`), so it never enters plan or state.
 * The proxy requires TLS and IAM auth; only security groups of granted functions reach it, and only
 * the proxy reaches the database.
 *
 * With `clouds.aws.database.proxy: false` (accepted by `acceptNoPooling`) there is no proxy: the
 * granted functions reach the cluster directly, with TLS and an IAM token for their own role (the
 * role migration makes it a member of `rds_iam`), without pooling and without the proxy's pinning
 * and saturation alarms. `autoPauseSeconds` then lets the cluster scale to 0 ACU and pause.
 * Synth warns about both; they are deviations of that environment, not defaults.
 */
export class AwsDatabaseProxy extends Construct implements PlatformDatabaseProxy {
  readonly logicalId: string;
  readonly spec: DatabaseProxySpec;
  readonly cluster: RdsCluster;
  /** Undefined on the direct path (`clouds.aws.database.proxy: false`). */
  readonly proxy?: DbProxy;
  readonly proxySecurityGroup?: SecurityGroup;
  readonly databaseSecurityGroup: SecurityGroup;
  /** The proxy's role (undefined on the direct path): granted roles' rds-db:connect is added to it. */
  readonly proxyRole?: IamRole;
  readonly alarms: AlarmInfo[] = [];
  readonly endpoint: string;
  readonly port = PORT;
  readonly databaseName: string;
  /** The cluster's instances (the migration step waits for them). */
  readonly instances: RdsClusterInstance[] = [];
  /** The RDS-managed master user secret: read by the migration step only. */
  readonly masterSecretArn: string;
  /** The stack's RDS CA layer (/opt/polycloud/rds-ca.pem). */
  readonly caLayerArn: string;
  private readonly ctx: AwsContext;
  /** Statements of the proxy role; grantConnect adds one rds-db:connect per function role. */
  private readonly proxyStatements: Statement[] = [];
  /** Security group the granted functions are let into, and the resource id in their `rds-db:connect`. */
  private readonly entryGroup: SecurityGroup;
  private readonly connectResourceId: string;

  constructor(scope: Construct, id: string, props: AwsDatabaseProxyProps) {
    super(scope, id);
    const { context: ctx, spec } = props;
    this.ctx = ctx;
    this.spec = spec;
    this.logicalId = props.logicalId;
    // The shared server starts with PostgreSQL's own `postgres` only: each service's step creates its database.
    this.databaseName = props.shared ? "postgres" : spec.databaseName ?? DEFAULTS.databaseName;
    const prod = ctx.env.deletionProtection === true;
    const identifier = ctx.namer.name(NAME_RULES.aws.rdsIdentifier, props.logicalId);
    const major = spec.postgresVersion ?? "16";
    const capacity = AURORA_CAPACITY[spec.size] ?? AURORA_CAPACITY.small;
    const path = ctx.env.clouds.aws?.database;
    const direct = path?.proxy === false;
    const autoPause = direct ? path?.autoPauseSeconds : undefined;

    this.databaseSecurityGroup = new SecurityGroup(this, "db-sg", {
      name: ctx.namer.name(NAME_RULES.aws.securityGroup, props.logicalId, "db"),
      description: direct ? `Aurora ${identifier}: Postgres from granted functions only` : `Aurora ${identifier}: Postgres from its proxy only`,
      vpcId: ctx.network.vpcId,
    });
    if (!direct) {
      this.proxySecurityGroup = new SecurityGroup(this, "proxy-sg", {
        name: ctx.namer.name(NAME_RULES.aws.securityGroup, props.logicalId, "proxy"),
        description: `RDS Proxy ${identifier}: Postgres from granted functions only`,
        vpcId: ctx.network.vpcId,
      });
      new VpcSecurityGroupIngressRule(this, "db-from-proxy", {
        securityGroupId: this.databaseSecurityGroup.id,
        referencedSecurityGroupId: this.proxySecurityGroup.id,
        ipProtocol: "tcp", fromPort: PORT, toPort: PORT, description: "Postgres from the proxy",
      });
      new VpcSecurityGroupEgressRule(this, "proxy-to-db", {
        securityGroupId: this.proxySecurityGroup.id,
        referencedSecurityGroupId: this.databaseSecurityGroup.id,
        ipProtocol: "tcp", fromPort: PORT, toPort: PORT, description: "Postgres to the database",
      });
    }

    const subnets = new DbSubnetGroup(this, "subnets", {
      name: identifier,
      subnetIds: ctx.network.privateSubnetIds,
      description: `Private subnets of ${identifier}`,
    });
    // RDS and RDS Proxy create these log groups on first write, unencrypted and never expiring,
    // unless they exist already: create them first, with the key and the environment's retention.
    const retentionInDays = logRetention(ctx.env.retention?.logDays ?? 30);
    const clusterLogs = new CloudwatchLogGroup(this, "cluster-logs", {
      name: `/aws/rds/cluster/${identifier}/postgresql`,
      retentionInDays,
      kmsKeyId: ctx.key.arn,
    });
    const params = new RdsClusterParameterGroup(this, "params", {
      name: identifier,
      family: `aurora-postgresql${major}`,
      description: `TLS-only connections and connection logging for ${identifier}`,
      parameter: [
        { name: "rds.force_ssl", value: "1" },
        { name: "log_connections", value: "1" },
        { name: "log_disconnections", value: "1" },
      ],
    });

    this.cluster = new RdsCluster(this, "cluster", {
      clusterIdentifier: identifier,
      engine: "aurora-postgresql",
      engineMode: "provisioned",
      // Major version only: AWS applies minor upgrades (auto_minor_version_upgrade), and the provider
      // treats "16" as matching "16.x" in state, so a minor upgrade never shows as drift to undo.
      engineVersion: major,
      databaseName: props.shared ? undefined : this.databaseName,
      masterUsername: MASTER_USER,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: ctx.key.arn,
      iamDatabaseAuthenticationEnabled: spec.iamAuth !== false,
      storageEncrypted: true,
      kmsKeyId: ctx.key.arn,
      dbSubnetGroupName: subnets.name,
      vpcSecurityGroupIds: [this.databaseSecurityGroup.id],
      dbClusterParameterGroupName: params.name,
      // 0 ACU with auto-pause only on the direct path: RDS Proxy would keep the cluster awake.
      serverlessv2ScalingConfiguration: autoPause === undefined
        ? { minCapacity: capacity.min, maxCapacity: capacity.max }
        : { minCapacity: 0, maxCapacity: capacity.max, secondsUntilAutoPause: autoPause },
      backupRetentionPeriod: ctx.env.retention?.backupDays ?? 7,
      preferredBackupWindow: "02:00-03:00",
      copyTagsToSnapshot: true,
      enabledCloudwatchLogsExports: ["postgresql"],
      deletionProtection: prod,
      skipFinalSnapshot: !prod,
      finalSnapshotIdentifier: prod ? `${identifier}-final` : undefined,
      lifecycle: prod ? { preventDestroy: true } : undefined,
      dependsOn: [clusterLogs],
    });
    this.masterSecretArn = this.cluster.masterUserSecret.get(0).secretArn;
    this.caLayerArn = AwsRdsCaLayer.of(this, ctx.region, new Namer(platformName(ctx.env), ctx.env.name).name(NAME_RULES.aws.lambda, "rds-ca")).arn;
    // Prod gets a second instance (a reader) for fail-over. Each instance is placed in the zone of a
    // different subnet of the group: left to RDS, both can land in one zone, and a zone outage then
    // takes the writer and its fail-over target together.
    const instanceCount = prod ? 2 : 1;
    const zones = ctx.network.availabilityZones;
    if (instanceCount > new Set(zones).size && !(zones.some((z) => Token.isUnresolved(z)))) {
      Annotations.of(this).addWarning(`AwsDatabaseProxy(${props.logicalId}): ${instanceCount} instances but the private subnets span ${new Set(zones).size} availability zone(s); the reader shares a zone with the writer.`);
    }
    const instances = this.instances;
    for (let i = 0; i < instanceCount; i++) {
      instances.push(new RdsClusterInstance(this, `instance-${i}`, {
        identifier: `${identifier.slice(0, 60)}-${i}`,
        clusterIdentifier: this.cluster.id,
        instanceClass: "db.serverless",
        engine: "aurora-postgresql",
        availabilityZone: zones[i % zones.length],
        // No engine_version: instances follow the cluster's (major-only) version.
        publiclyAccessible: false,
        dbSubnetGroupName: subnets.name,
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: ctx.key.arn,
        autoMinorVersionUpgrade: true,
      }));
    }

    // The same CPU alarm as Cloud SQL and Flexible Server: average above 80 % over 15 minutes. For
    // Aurora Serverless v2, CPUUtilization is the CPU used over the CPU of the cluster's maximum ACU
    // ("Important Amazon CloudWatch metrics for Aurora Serverless v2"), so it fires when the
    // cluster runs near its capacity ceiling.
    this.alarms.push(createAlarm(this, "cpu-alarm", ctx, {
      signal: "database.cpu", nameParts: [props.logicalId, "cpu"], description: `Aurora ${identifier}: CPU above 80% on average over 15 minutes`,
      threshold: 80, comparison: "GreaterThanThreshold", periodSeconds: 900,
      metric: { namespace: "AWS/RDS", metricName: "CPUUtilization", dimensions: { DBClusterIdentifier: identifier }, statistic: "Average" },
    }));

    if (direct) {
      this.entryGroup = this.databaseSecurityGroup;
      this.connectResourceId = this.cluster.clusterResourceId;
      this.endpoint = this.cluster.endpoint;
      Annotations.of(this).addWarning(`AwsDatabaseProxy(${props.logicalId}): environments/${ctx.env.name} clouds.aws.database.proxy = false: functions connect to Aurora directly ` +
        "(TLS, IAM token for their own role), without RDS Proxy pooling and without its pinned-connection and saturation alarms" +
        `${autoPause === undefined ? "" : `; the cluster scales to 0 ACU and pauses after ${autoPause} s idle, so the first connection after a pause waits for it to resume`} (accepted by acceptNoPooling).`);
      // Without a proxy the saturation signal is the cluster's own connections against the
      // max_connections Aurora derives from the maximum capacity (no pinned sessions exist).
      const maxConnections = auroraMaxConnections(capacity.max);
      this.alarms.push(createAlarm(this, "saturation-alarm", ctx, {
        signal: "proxy.connectionSaturation", nameParts: [props.logicalId, "connection-saturation"],
        description: `Aurora ${identifier}: connections above ${ctx.thresholds.proxyConnectionSaturationPercent}% of max_connections (${maxConnections} at ${capacity.max} ACU)`,
        threshold: ctx.thresholds.proxyConnectionSaturationPercent, comparison: "GreaterThanThreshold",
        metricQuery: [
          // Instance metrics aggregated to the cluster: Sum per minute is the cluster's total.
          { id: "used", metric: { namespace: "AWS/RDS", metricName: "DatabaseConnections", dimensions: { DBClusterIdentifier: identifier }, stat: "Sum", period: 60 } },
          { id: "saturation", expression: `100 * used / ${maxConnections}`, label: "Connection saturation %", returnData: true },
        ],
      }));
      return;
    }

    const proxyRole = this.proxyRole = new IamRole(this, "proxy-role", {
      name: ctx.namer.name(NAME_RULES.aws.iamRole, props.logicalId, "proxy"),
      assumeRolePolicy: assumeRolePolicy("rds.amazonaws.com", { StringEquals: { "aws:SourceAccount": ctx.accountId } }),
    });
    // End-to-end IAM only: the proxy logs in to the cluster as each granted role with an IAM token
    // and never reads the master secret (the migration step reaches the cluster directly).
    if (!props.shared && (spec.allowedFunctions ?? []).length > 0) {
      new IamRolePolicy(this, "proxy-policy", {
        name: "connect-as-granted-roles",
        role: proxyRole.id,
        policy: Lazy.stringValue({ produce: () => policyDocument(this.proxyStatements) }),
      });
    }

    const proxyName = ctx.namer.name(NAME_RULES.aws.dbProxy, props.logicalId);
    const proxyLogs = new CloudwatchLogGroup(this, "proxy-logs", {
      name: `/aws/rds/proxy/${proxyName}`,
      retentionInDays,
      kmsKeyId: ctx.key.arn,
    });
    const iam = spec.iamAuth !== false;
    this.proxy = new DbProxy(this, "proxy", {
      name: proxyName,
      engineFamily: "POSTGRESQL",
      roleArn: proxyRole.arn,
      vpcSubnetIds: ctx.network.privateSubnetIds,
      vpcSecurityGroupIds: [this.proxySecurityGroup!.id],
      requireTls: true,
      debugLogging: false,
      idleClientTimeout: 1800,
      // End-to-end IAM (provider >= 6.x): a function's IAM token for its own database role is checked
      // by the proxy, which then logs in to the database as that role with IAM too (the proxy role
      // holds rds-db:connect for exactly the granted roles). No `auth` entry: the proxy holds no
      // secret (provider 6.25 makes `auth` optional; the API needs none with IAM_AUTH), so the
      // master secret is readable by the migration step alone.
      defaultAuthScheme: iam ? "IAM_AUTH" : undefined,
      dependsOn: [proxyLogs],
    });
    const pool = resolvePool(spec.pool, props.shortestCallerTimeoutSeconds);
    new DbProxyDefaultTargetGroup(this, "pool", {
      dbProxyName: this.proxy.name,
      connectionPoolConfig: {
        maxConnectionsPercent: pool.maxConnectionsPercent,
        maxIdleConnectionsPercent: pool.maxIdleConnectionsPercent,
        connectionBorrowTimeout: pool.borrowTimeoutSeconds,
        // No session_pinning_filters: EXCLUDE_VARIABLE_SETS is MySQL-only.
      },
    });
    new DbProxyTarget(this, "target", {
      dbProxyName: this.proxy.name,
      targetGroupName: "default",
      dbClusterIdentifier: this.cluster.clusterIdentifier,
      // RegisterDBProxyTargets fails while the cluster's instances are still being created.
      dependsOn: instances,
    });
    this.endpoint = this.proxy.endpoint;
    this.entryGroup = this.proxySecurityGroup!;
    // arn:aws:rds-db:<region>:<account>:dbuser:<proxy resource id>/<user>; the id is the last ARN segment.
    this.connectResourceId = Fn.element(Fn.split(":", this.proxy.arn), 6);

    const t = ctx.thresholds;
    this.alarms.push(
      createAlarm(this, "pinned-alarm", ctx, {
        signal: "proxy.pinnedConnections", nameParts: [props.logicalId, "pinned-connections"],
        description: `Proxy ${proxyName}: sessions pinned (not pooled)`,
        threshold: t.proxyPinnedConnections,
        // Proxy metrics come once per proxy node: Sum over one-minute periods gives the proxy's total.
        periodSeconds: 60,
        metric: { namespace: "AWS/RDS", metricName: "DatabaseConnectionsCurrentlySessionPinned", dimensions: { ProxyName: proxyName }, statistic: "Sum" },
      }),
      createAlarm(this, "saturation-alarm", ctx, {
        signal: "proxy.connectionSaturation", nameParts: [props.logicalId, "connection-saturation"],
        description: `Proxy ${proxyName}: database connections above ${t.proxyConnectionSaturationPercent}% of the allowed maximum`,
        threshold: t.proxyConnectionSaturationPercent, comparison: "GreaterThanThreshold",
        metricQuery: [
          { id: "used", metric: { namespace: "AWS/RDS", metricName: "DatabaseConnections", dimensions: { ProxyName: proxyName }, stat: "Sum", period: 60 } },
          { id: "allowed", metric: { namespace: "AWS/RDS", metricName: "MaxDatabaseConnectionsAllowed", dimensions: { ProxyName: proxyName }, stat: "Sum", period: 60 } },
          { id: "saturation", expression: "100 * used / allowed", label: "Connection saturation %", returnData: true },
        ],
      }),
    );
  }

  /**
   * Network path (function SG → proxy SG, or database SG on the direct path, on 5432) and
   * `rds-db:connect` for the function's own database role (`fn_<id>`, created by the role
   * migration), and for the proxy to log in as that role.
   * The function gets DB_<ID>_HOST/PORT/NAME/USER and must connect with TLS and an IAM token.
   */
  grantConnect(fn: AwsFunction): void {
    this.proxyStatements.push(...this.connect(this, fn, { role: functionRoleName(fn.logicalId), databaseName: this.databaseName, databaseId: this.logicalId }));
  }

  /**
   * The grant of one function, its security group rules created in `scope` (a service's own
   * construct when the server is the environment's shared one). Returns the statement the proxy
   * role needs to log in as the function's role (none on the direct path).
   */
  connect(scope: Construct, fn: AwsFunction, target: AwsConnectTarget): Statement[] {
    const sg = fn.attachToVpc();
    const key = sid(fn.logicalId);
    new VpcSecurityGroupIngressRule(scope, `from-${fn.logicalId}`, {
      securityGroupId: this.entryGroup.id,
      referencedSecurityGroupId: sg.id,
      ipProtocol: "tcp", fromPort: PORT, toPort: PORT, description: `Postgres from function ${fn.logicalId}`,
    });
    new VpcSecurityGroupEgressRule(scope, `egress-${fn.logicalId}`, {
      securityGroupId: sg.id,
      referencedSecurityGroupId: this.entryGroup.id,
      ipProtocol: "tcp", fromPort: PORT, toPort: PORT, description: `Postgres to ${this.proxy ? "proxy" : "database"} ${target.databaseId}`,
    });
    const { role } = target;
    fn.addToRolePolicy({
      Sid: `Connect${sid(target.databaseId)}${key}`,
      Effect: "Allow",
      Action: "rds-db:connect",
      Resource: `arn:aws:rds-db:${this.ctx.region}:${this.ctx.accountId}:dbuser:${this.connectResourceId}/${role}`,
    });
    const statements: Statement[] = [];
    if (this.proxy && this.spec.iamAuth !== false) {
      // End-to-end IAM: the proxy logs in to the cluster as the same role (dbuser:<cluster resource id>/<role>).
      statements.push({
        Sid: `ConnectAs${key}`,
        Effect: "Allow",
        Action: "rds-db:connect",
        Resource: `arn:aws:rds-db:${this.ctx.region}:${this.ctx.accountId}:dbuser:${this.cluster.clusterResourceId}/${role}`,
      });
    }
    const prefix = `DB_${envVarPart(target.databaseId)}`;
    fn.addEnvironment(`${prefix}_HOST`, this.endpoint);
    fn.addEnvironment(`${prefix}_PORT`, String(PORT));
    fn.addEnvironment(`${prefix}_NAME`, target.databaseName);
    fn.addEnvironment(`${prefix}_USER`, role);
    fn.addEnvironment(`${prefix}_SSLMODE`, "verify-full");
    // The RDS regional bundle (cluster) and the Amazon roots (proxy), verified with the host name.
    fn.addLayer(this.caLayerArn);
    fn.addEnvironment(`${prefix}_SSLROOTCERT`, RDS_CA_PATH);
    return statements;
  }
}
