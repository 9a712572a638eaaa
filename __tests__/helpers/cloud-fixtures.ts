import { IConstruct } from "constructs";
import { Cloud, DatabaseServer, EnvironmentConfig, ServiceSpec } from "@polycloud/core";
import { referenceService } from "../../stacks/reference-service";
import { envByName, synthPlatform, validationMessages } from "./synth";

export const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** Warnings (cdktf annotations) anywhere under a construct. */
export function warnings(root: IConstruct): string[] {
  return root.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data)));
}

type Mutate = (x: any) => void;

/** An environment and the reference service, each changed by a mutation. */
function inputs(envName: string, mutateEnv: Mutate, mutateService: Mutate, server?: DatabaseServer): { env: EnvironmentConfig; service: ServiceSpec } {
  const env = clone(envByName(envName)) as any;
  mutateEnv(env);
  const service = clone(reference(env as EnvironmentConfig, server)) as any;
  mutateService(service);
  return { env, service };
}

/** The reference service, with `server` on its databases when given. */
function reference(env: EnvironmentConfig, server?: DatabaseServer): ServiceSpec {
  const s = referenceService(env);
  return server && s.databases ? { ...s, databases: Object.fromEntries(Object.entries(s.databases).map(([id, d]) => [id, { ...d, server }])) } : s;
}

/**
 * One cloud's fixtures: its three stacks synthesized once per test file, plus builders for
 * variants. `server` pins the reference service's database (`"own"`: the cases of a server of its own).
 */
export function cloudFixtures(cloud: Cloud, server?: DatabaseServer) {
  return {
    dev: synthPlatform(envByName("dev"), reference(envByName("dev"), server), cloud),
    staging: synthPlatform(envByName("staging"), reference(envByName("staging"), server), cloud),
    prod: synthPlatform(envByName("prod"), reference(envByName("prod"), server), cloud),
    /** Validation messages of a stack built from a modified environment and/or service. */
    problems(envName: string, mutateEnv: Mutate = () => {}, mutateService: Mutate = () => {}): string[] {
      const { env, service } = inputs(envName, mutateEnv, mutateService, server);
      return validationMessages(env, service, cloud);
    },
    synth(envName: string, mutateEnv: Mutate = () => {}, mutateService: Mutate = () => {}) {
      const { env, service } = inputs(envName, mutateEnv, mutateService, server);
      return synthPlatform(env, service, cloud);
    },
  };
}
