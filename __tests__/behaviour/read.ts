import { CLOUDS, Cloud, EnvironmentConfig, ServiceBehaviour, ServiceSpec, compareBehaviours } from "@polycloud/core";
import { readAwsBehaviour } from "@polycloud/aws";
import { readGcpBehaviour } from "@polycloud/gcp";
import { readAzureBehaviour } from "@polycloud/azure";

export const READERS: Record<Cloud, (json: any) => ServiceBehaviour> = { aws: readAwsBehaviour, gcp: readGcpBehaviour, azure: readAzureBehaviour };

/** Each cloud's record read from its stack. */
export const read = (stacks: Record<Cloud, any>) => Object.fromEntries(CLOUDS.map((c) => [c, READERS[c](stacks[c])])) as Record<Cloud, ServiceBehaviour>;

/** What the equivalence tests report for three stacks of one service: every difference from the intent and between clouds. */
export const equivalenceProblems = (stacks: Record<Cloud, any>, service: ServiceSpec, env: EnvironmentConfig) =>
  compareBehaviours(read(stacks), service, env).problems;
