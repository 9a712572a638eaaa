import { IConstruct } from "constructs";
import { EnvironmentConfig, ServiceSpec } from "@polycloud/core";
import { envByName, synthPlatform, validationMessages } from "../helpers/synth";
import { referenceService } from "../../stacks/reference-service";

/** Each Azure environment synthesized once per test file. */
export const dev = synthPlatform(envByName("dev"), undefined, "azure");
export const staging = synthPlatform(envByName("staging"), undefined, "azure");
export const prod = synthPlatform(envByName("prod"), undefined, "azure");

export const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** Warnings (cdktf annotations) anywhere under a construct. */
export function warnings(root: IConstruct): string[] {
  return root.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data)));
}

/** Validation messages of an Azure stack built from a modified environment and/or service. */
export function azureProblems(envName: string, mutateEnv: (e: any) => void = () => {}, mutateService: (s: any) => void = () => {}): string[] {
  const env = clone(envByName(envName)) as any;
  mutateEnv(env);
  const service = clone(referenceService(env as EnvironmentConfig)) as any;
  mutateService(service);
  return validationMessages(env as EnvironmentConfig, service as ServiceSpec, "azure");
}

export function synthAzure(envName: string, mutateEnv: (e: any) => void = () => {}, mutateService: (s: any) => void = () => {}) {
  const env = clone(envByName(envName)) as any;
  mutateEnv(env);
  const service = clone(referenceService(env as EnvironmentConfig)) as any;
  mutateService(service);
  return synthPlatform(env as EnvironmentConfig, service as ServiceSpec, "azure");
}
