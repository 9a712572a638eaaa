import { Aspects, LocalBackend, S3Backend, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { EnvironmentConfig, protectStatefulResources, NAME_RULES, Namer, TagMap, resolveThresholds } from "@polycloud/core";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { AwsContext } from "./context";
import { denyInsecureTransport, policyDocument } from "./iam";
import { AwsNetwork } from "./network";
import { AWS_PROVIDER_RANGE } from "./limits";

export interface AwsFoundationProps {
  readonly env: EnvironmentConfig;
  readonly serviceName: string;
  readonly tags: TagMap;
}

/**
 * What every AWS stack needs, shared foundation or not: the provider (default tags, allowed
 * account), its own state (S3 with native locking, or local) and the prod protection aspect.
 * `stateName` keys the state: the service, or `shared` / a service in partitioned environments.
 */
export function configureAwsStack(scope: TerraformStack, env: EnvironmentConfig, tags: TagMap, stateName: string): AwsProvider {
  const spec = env.clouds.aws ?? { accountId: "", region: "" };
  // Stateful resources (databases, queues, buses, secrets, keys, buckets) survive plans in prod.
  Aspects.of(scope).add(protectStatefulResources(env.deletionProtection));
  const provider = new AwsProvider(scope, "aws", {
    region: spec.region,
    allowedAccountIds: spec.accountId ? [spec.accountId] : undefined,
    defaultTags: [{ tags: { ...tags } }],
  });
  // The bindings would pin their own version (6.25.0) exactly: state the supported range instead.
  // Each deployment's lock file records the version it actually runs.
  scope.addOverride("terraform.required_providers.aws", { source: "aws", version: AWS_PROVIDER_RANGE });
  if (spec.backend) {
    const backend = new S3Backend(scope, {
      bucket: spec.backend.bucket,
      key: spec.backend.key ?? `${env.name}/aws/${stateName}/terraform.tfstate`,
      region: spec.backend.region ?? spec.region,
      encrypt: true,
      kmsKeyId: spec.backend.kmsKeyId,
      assumeRole: spec.backend.roleArn ? { roleArn: spec.backend.roleArn } : undefined,
    });
    // Native S3 locking (Terraform >= 1.10) is not in S3BackendConfig yet.
    backend.addOverride("use_lockfile", true);
  } else {
    new LocalBackend(scope, { path: `terraform.${scope.node.id}.tfstate` });
  }
  return provider;
}

/**
 * Provider with default tags, state backend, the stack's KMS key, the alarm topic and the network.
 * One per `<env>-aws` stack.
 */
export class AwsFoundation extends Construct {
  readonly context: AwsContext;
  readonly provider: AwsProvider;

  constructor(scope: TerraformStack, id: string, props: AwsFoundationProps) {
    super(scope, id);
    this.provider = configureAwsStack(scope, props.env, props.tags, props.serviceName);
    const spec = props.env.clouds.aws ?? { accountId: "", region: "" };
    const namer = new Namer(props.serviceName, props.env.name);
    const { accountId, region } = spec;

    const account = `arn:aws:iam::${accountId}:root`;
    const key = new KmsKey(this, "key", {
      description: `${props.serviceName} ${props.env.name}: logs, secrets, alarms, function environment, database`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policyDocument([
        {
          Sid: "AccountAdministers",
          Effect: "Allow",
          Principal: { AWS: account },
          Action: ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand"],
          Resource: "*",
        },
        {
          Sid: "AccountPrincipalsUseViaIam",
          Effect: "Allow",
          Principal: { AWS: account },
          Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:ListGrants"],
          Resource: "*",
        },
        {
          Sid: "CloudWatchLogs",
          Effect: "Allow",
          Principal: { Service: `logs.${region}.amazonaws.com` },
          Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
          Resource: "*",
          Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${region}:${accountId}:log-group:*` } },
        },
        {
          // Encrypted SNS topics only accept alarms and budget notices when these services may use the key.
          // Only the topic's publishers: EventBridge never publishes to it.
          Sid: "AlarmPublishers",
          Effect: "Allow",
          Principal: { Service: ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"] },
          Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
          Resource: "*",
          Condition: { StringEquals: { "aws:SourceAccount": accountId } },
        },
      ]),
    });
    new KmsAlias(this, "key-alias", { name: `alias/${namer.name(NAME_RULES.aws.generic, "platform")}`, targetKeyId: key.keyId });

    const alarmTopic = new SnsTopic(this, "alarm-topic", {
      name: namer.name(NAME_RULES.aws.snsTopic, "alarms"),
      kmsMasterKeyId: key.arn,
    });
    new SnsTopicPolicy(this, "alarm-topic-policy", {
      arn: alarmTopic.arn,
      policy: policyDocument([
        {
          Sid: "AlarmAndBudgetPublish",
          Effect: "Allow",
          Principal: { Service: ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"] },
          Action: "SNS:Publish",
          Resource: alarmTopic.arn,
          Condition: { StringEquals: { "aws:SourceAccount": accountId } },
        },
        denyInsecureTransport("SNS:Publish", alarmTopic.arn),
      ]),
    });
    (props.env.alarms?.recipients ?? []).forEach((email, i) => {
      new SnsTopicSubscription(this, `alarm-email-${i}`, { topicArn: alarmTopic.arn, protocol: "email", endpoint: email });
    });

    const network = new AwsNetwork(this, "network", { spec, namer });
    this.context = {
      env: props.env,
      accountId,
      region,
      namer,
      tags: props.tags,
      key,
      alarmTopic,
      network,
      thresholds: resolveThresholds(props.env.alarms?.thresholds),
    };
  }
}
