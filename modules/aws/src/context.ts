import { EnvironmentConfig, Namer, TagMap, resolveThresholds } from "@polycloud/core";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import type { AwsDatabaseProxy } from "./database-proxy";
import { AwsNetwork } from "./network";

/** Everything the component constructs share within one environment × service. */
export interface AwsContext {
  readonly env: EnvironmentConfig;
  readonly accountId: string;
  readonly region: string;
  readonly namer: Namer;
  readonly tags: TagMap;
  /** Customer-managed key for logs, secrets, SNS, function environment and the database. */
  readonly key: KmsKey;
  /** Alarm notifications go here. */
  readonly alarmTopic: SnsTopic;
  readonly network: AwsNetwork;
  readonly thresholds: ReturnType<typeof resolveThresholds>;
  /** The environment's shared database server (shared tier), when a service database uses it. */
  readonly sharedDatabase?: AwsDatabaseProxy;
}
