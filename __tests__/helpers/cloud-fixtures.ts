import { IConstruct } from "constructs";
import { Cloud, EnvironmentConfig, ServiceSpec } from "@polycloud/core";
import { referenceService } from "../../stacks/reference-service";
import { envByName, synthPlatform, validationMessages } from "./synth";

export const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** Warnings (cdktf annotations) anywhere under a construct. */
export function warnings(root: IConstruct): string[] {
  return root.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data)));
}

type Mutate = (x: any) => void;

/** An environment and the reference service, each changed by a mutation. */
function inputs(envName: string, mutateEnv: Mutate, mutateService: Mutate): { env: EnvironmentConfig; service: ServiceSpec } {
  const env = clone(envByName(envName)) as any;
  mutateEnv(env);
  const service = clone(referenceService(env as EnvironmentConfig)) as any;
  mutateService(service);
  return { env, service };
}

/** One cloud's fixtures: its three stacks synthesized once per test file, plus builders for variants. */
export function cloudFixtures(cloud: Cloud) {
  return {
    dev: synthPlatform(envByName("dev"), undefined, cloud),
    staging: synthPlatform(envByName("staging"), undefined, cloud),
    prod: synthPlatform(envByName("prod"), undefined, cloud),
    /** Validation messages of a stack built from a modified environment and/or service. */
    problems(envName: string, mutateEnv: Mutate = () => {}, mutateService: Mutate = () => {}): string[] {
      const { env, service } = inputs(envName, mutateEnv, mutateService);
      return validationMessages(env, service, cloud);
    },
    synth(envName: string, mutateEnv: Mutate = () => {}, mutateService: Mutate = () => {}) {
      const { env, service } = inputs(envName, mutateEnv, mutateService);
      return synthPlatform(env, service, cloud);
    },
  };
}
