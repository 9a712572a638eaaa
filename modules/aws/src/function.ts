import * as path from "node:path";
import { Annotations, AssetType, Lazy, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import { AlarmInfo, NAME_RULES, PlatformFunction, ResolvedFunction, neutralRuntimeVariable, packageFunction, packageable, runtimeBaseVariables } from "@polycloud/core";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaAlias } from "@cdktf/provider-aws/lib/lambda-alias";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import { LambdaProvisionedConcurrencyConfig } from "@cdktf/provider-aws/lib/lambda-provisioned-concurrency-config";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { createAlarm, dlqDepthAlarm } from "./alarm";
import { AwsContext } from "./context";
import { Statement, assumeRolePolicy, policyDocument } from "./iam";
import { LAMBDA_RUNTIMES, logRetention } from "./limits";
import { EndpointService } from "./network";

export interface AwsFunctionProps {
  readonly context: AwsContext;
  readonly logicalId: string;
  readonly spec: ResolvedFunction;
  /** Secret ARNs by secret id, for the spec's `secrets`. */
  readonly secretArns?: Readonly<Record<string, string>>;
  /** An already built package (the platform's own functions, e.g. a database's migration step) instead of packaging `spec.source`. */
  readonly package?: { readonly path: string; readonly hash: string };
}

/**
 * Lambda on arm64 with its own role, a log group created first (retention per environment),
 * JSON logs, active tracing, a content-hashed package and a `live` alias; an async-failure DLQ
 * only when something invokes it asynchronously (acceptAsyncInvocations).
 * Grants from other components add statements to its role through `addToRolePolicy`.
 */
export class AwsFunction extends Construct implements PlatformFunction {
  readonly logicalId: string;
  readonly spec: ResolvedFunction;
  readonly functionName: string;
  readonly lambda: LambdaFunction;
  readonly alias: LambdaAlias;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  /** Failed asynchronous invocations; only for a function something invokes asynchronously (see acceptAsyncInvocations). */
  asyncDlq?: SqsQueue;
  readonly alarms: AlarmInfo[] = [];
  /** Set once the function is attached to the VPC (it connects to a database). */
  securityGroup?: SecurityGroup;
  private readonly statements: Statement[] = [];
  private readonly environment: Record<string, string>;
  private readonly endpointNeeds = new Set<EndpointService>();
  private readonly layers: string[] = [];
  private readonly ctx: AwsContext;
  private readonly policy: IamRolePolicy;

  constructor(scope: Construct, id: string, props: AwsFunctionProps) {
    super(scope, id);
    const { context: ctx, spec } = props;
    this.ctx = ctx;
    this.logicalId = props.logicalId;
    this.spec = spec;
    this.functionName = ctx.namer.name(NAME_RULES.aws.lambda, props.logicalId);

    if (spec.perInstanceConcurrency > 1) {
      Annotations.of(this).addWarning(
        `AwsFunction: property 'concurrency.perInstance' = ${spec.perInstanceConcurrency} cannot be honoured on AWS Lambda, which runs one request per execution environment; concurrency.max still caps concurrent executions.`,
      );
    }

    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/lambda/${this.functionName}`,
      retentionInDays: logRetention(ctx.env.retention?.logDays ?? 30),
      kmsKeyId: ctx.key.arn,
    });

    this.role = new IamRole(this, "role", {
      name: ctx.namer.name(NAME_RULES.aws.iamRole, props.logicalId, "fn"),
      assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com", {
        StringEquals: { "aws:SourceAccount": ctx.accountId },
      }),
    });

    this.addToRolePolicy(
      { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${this.logGroup.arn}:*` },
      // X-Ray has no resource-level permissions; the actions are write-only telemetry.
      { Sid: "Tracing", Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" },
      { Sid: "DecryptEnvironment", Effect: "Allow", Action: "kms:Decrypt", Resource: ctx.key.arn, Condition: { StringEquals: { "kms:ViaService": `lambda.${ctx.region}.amazonaws.com` } } },
    );

    this.environment = { ...spec.environment, ...runtimeBaseVariables("aws", props.logicalId) };
    for (const [name, secretId] of Object.entries(spec.secrets)) {
      const arn = props.secretArns?.[secretId];
      if (!arn) continue; // reported by validation
      // Only the reference reaches the configuration; the function reads the value at run time.
      this.environment[`${name}_SECRET_ARN`] = arn;
      this.addToRolePolicy({ Sid: `ReadSecret${sidPart(name)}`, Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: arn });
      this.endpointNeeds.add("secretsmanager");
    }
    if (Object.keys(spec.secrets).length > 0) {
      this.addToRolePolicy({ Sid: "DecryptSecrets", Effect: "Allow", Action: "kms:Decrypt", Resource: ctx.key.arn, Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${ctx.region}.amazonaws.com` } } });
    }

    const policy = (this.policy = new IamRolePolicy(this, "policy", {
      name: "least-privilege",
      role: this.role.id,
      policy: Lazy.stringValue({ produce: () => policyDocument(this.statements) }),
    }));

    // A missing folder, or a handler naming no code in it, is reported by validation; nothing is packaged then.
    const source = path.resolve(spec.source ?? ".");
    const pkg = props.package ?? (packageable(source, spec.handler, spec.runtime, "aws") ? packageFunction(source, { cloud: "aws", logicalId: props.logicalId, handler: spec.handler, runtime: spec.runtime }) : { path: "", hash: "" });
    const asset = pkg.path ? new TerraformAsset(this, "code", { path: pkg.path, type: AssetType.FILE, assetHash: pkg.hash }) : undefined;

    this.lambda = new LambdaFunction(this, "fn", {
      functionName: this.functionName,
      role: this.role.arn,
      runtime: LAMBDA_RUNTIMES[spec.runtime] ?? spec.runtime,
      handler: spec.handler,
      architectures: ["arm64"],
      memorySize: spec.memoryMb,
      timeout: spec.timeoutSeconds,
      filename: asset?.path ?? "",
      // Content hash of the source folder: a code change always redeploys, an unchanged checkout never does.
      // What Lambda itself computes (base64 SHA-256 of the zip), so plans never show a false diff.
      sourceCodeHash: pkg.hash ? Buffer.from(pkg.hash, "hex").toString("base64") : undefined,
      publish: true,
      kmsKeyArn: ctx.key.arn,
      environment: { variables: Lazy.anyValue({ produce: () => (Object.keys(this.environment).length ? this.environment : undefined) }) as unknown as Record<string, string> },
      loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name, applicationLogLevel: "INFO", systemLogLevel: "WARN" },
      tracingConfig: { mode: "Active" },
      reservedConcurrentExecutions: spec.maxConcurrency,
      layers: Lazy.listValue({ produce: () => (this.layers.length ? this.layers : undefined) }),
      dependsOn: [this.logGroup, policy],
    });

    this.alias = new LambdaAlias(this, "live", {
      name: "live",
      functionName: this.lambda.functionName,
      functionVersion: this.lambda.version,
    });
    if (spec.minWarmInstances > 0) {
      new LambdaProvisionedConcurrencyConfig(this, "warm", {
        functionName: this.lambda.functionName,
        qualifier: this.alias.name,
        provisionedConcurrentExecutions: spec.minWarmInstances,
      });
    }

    const t = ctx.thresholds;
    const dims = { FunctionName: this.functionName };
    this.alarms.push(
      createAlarm(this, "errors-alarm", ctx, {
        signal: "function.errors", nameParts: [props.logicalId, "errors"], description: `${this.functionName}: errors`,
        threshold: t.functionErrors, metric: { namespace: "AWS/Lambda", metricName: "Errors", dimensions: dims, statistic: "Sum" },
      }),
      createAlarm(this, "throttles-alarm", ctx, {
        signal: "function.throttles", nameParts: [props.logicalId, "throttles"], description: `${this.functionName}: throttled invocations`,
        threshold: t.functionThrottles, metric: { namespace: "AWS/Lambda", metricName: "Throttles", dimensions: dims, statistic: "Sum" },
      }),
      createAlarm(this, "duration-alarm", ctx, {
        signal: "function.durationP99", nameParts: [props.logicalId, "duration-p99"],
        description: `${this.functionName}: p99 duration above ${t.functionDurationP99PercentOfTimeout}% of the ${spec.timeoutSeconds}s timeout`,
        threshold: Math.round(spec.timeoutSeconds * 1000 * (t.functionDurationP99PercentOfTimeout / 100)),
        comparison: "GreaterThanThreshold",
        metric: { namespace: "AWS/Lambda", metricName: "Duration", dimensions: dims, extendedStatistic: "p99" },
      }),
    );
  }

  /**
   * Called by whatever invokes the function asynchronously (an EventBridge rule or schedule):
   * an SQS DLQ (14 days) as the on-failure destination of the alias's event invoke config (no
   * `dead_letter_config`, so a failure lands once), the role's permission to send there, and a
   * DLQ-depth alarm. Functions invoked only synchronously (the HTTP API) or by an event source
   * mapping get none of these: nothing could ever reach them. Idempotent.
   */
  acceptAsyncInvocations(): SqsQueue {
    if (this.asyncDlq) return this.asyncDlq;
    const ctx = this.ctx;
    const dlq = (this.asyncDlq = new SqsQueue(this, "async-dlq", {
      name: ctx.namer.name(NAME_RULES.aws.sqs, this.logicalId, "async-dlq"),
      messageRetentionSeconds: 1209600,
      sqsManagedSseEnabled: true,
    }));
    this.addToRolePolicy({ Sid: "AsyncFailures", Effect: "Allow", Action: "sqs:SendMessage", Resource: dlq.arn });
    new LambdaFunctionEventInvokeConfig(this, "async", {
      functionName: this.lambda.functionName,
      qualifier: this.alias.name,
      maximumRetryAttempts: 2,
      maximumEventAgeInSeconds: 21600,
      destinationConfig: { onFailure: { destination: dlq.arn } },
      // Lambda checks the role can send to the destination when the config is saved.
      dependsOn: [this.policy],
    });
    this.alarms.push(createAlarm(this, "async-dlq-alarm", ctx, {
      signal: "queue.dlqDepth", nameParts: [this.logicalId, "async-dlq-depth"], description: `${this.functionName}: failed async invocations waiting in the DLQ`,
      ...dlqDepthAlarm(dlq.name),
    }));
    return dlq;
  }

  /** ARN that callers invoke: the `live` alias, so provisioned concurrency is used. */
  get invokeArn(): string {
    return this.alias.arn;
  }

  addToRolePolicy(...statements: Statement[]): void {
    this.statements.push(...statements);
  }

  addEnvironment(name: string, value: string): void {
    this.environment[name] = value;
    // The same binding under its cloud-neutral name, for @polycloud/runtime.
    const neutral = neutralRuntimeVariable(name);
    if (neutral) this.environment[neutral] = value;
  }

  /** Adds a Lambda layer (unpacked under /opt), once. */
  addLayer(arn: string): void {
    if (!this.layers.includes(arn)) this.layers.push(arn);
  }

  /** Records that the function calls an AWS API from inside the VPC (endpoints are created if attached). */
  needsEndpoint(service: EndpointService): void {
    this.endpointNeeds.add(service);
    if (this.securityGroup) this.ctx.network.ensureEndpoint(service);
  }

  /** Puts the function in the private subnets with its own security group. Idempotent. */
  attachToVpc(): SecurityGroup {
    if (this.securityGroup) return this.securityGroup;
    const ctx = this.ctx;
    this.securityGroup = new SecurityGroup(this, "sg", {
      name: ctx.namer.name(NAME_RULES.aws.securityGroup, this.logicalId, "fn"),
      description: `Function ${this.functionName}: egress only to what it is granted`,
      vpcId: ctx.network.vpcId,
    });
    this.lambda.putVpcConfig({ subnetIds: ctx.network.privateSubnetIds, securityGroupIds: [this.securityGroup.id] });
    // Lambda manages the function's ENIs with this role. Only the two Describe actions take
    // nothing but `*` (AWS Service Authorization Reference); the others are scoped to this
    // account's ENIs in the region and, for creation, to the function's subnets and group.
    const ec2 = (type: string, id: string) => `arn:aws:ec2:${ctx.region}:${ctx.accountId}:${type}/${id}`;
    this.addToRolePolicy({
      Sid: "VpcDescribe",
      Effect: "Allow",
      Action: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
      Resource: "*",
    });
    this.addToRolePolicy({
      Sid: "VpcCreateNetworkInterface",
      Effect: "Allow",
      Action: ["ec2:CreateNetworkInterface"],
      Resource: [ec2("network-interface", "*"), ...ctx.network.privateSubnetIds.map((id) => ec2("subnet", id)), ec2("security-group", this.securityGroup.id)],
    });
    this.addToRolePolicy({
      Sid: "VpcNetworkInterfaces",
      Effect: "Allow",
      Action: ["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"],
      Resource: ec2("network-interface", "*"),
    });
    if (ctx.network.managesEndpoints) {
      this.endpointNeeds.forEach((s) => ctx.network.ensureEndpoint(s));
      new VpcSecurityGroupEgressRule(this, "egress-endpoints", {
        securityGroupId: this.securityGroup.id,
        description: "HTTPS to the AWS API endpoints",
        referencedSecurityGroupId: ctx.network.ensureEndpointSecurityGroup(),
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
      });
    } else {
      this.endpointNeeds.forEach((s) => ctx.network.ensureEndpoint(s));
    }
    return this.securityGroup;
  }
}

function sidPart(name: string): string {
  return name.replace(/[^A-Za-z0-9]/g, "");
}
