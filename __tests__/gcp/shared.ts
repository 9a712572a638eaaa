import { IConstruct } from "constructs";
import { EnvironmentConfig, ServiceSpec } from "@polycloud/core";
import { envByName, synthPlatform, validationMessages } from "../helpers/synth";
import { referenceService } from "../../stacks/reference-service";

/** Each GCP environment synthesized once per test file. */
export const dev = synthPlatform(envByName("dev"), undefined, "gcp");
export const staging = synthPlatform(envByName("staging"), undefined, "gcp");
export const prod = synthPlatform(envByName("prod"), undefined, "gcp");

export const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** Warnings (cdktf annotations) anywhere under a construct. */
export function warnings(root: IConstruct): string[] {
  return root.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data)));
}

/** Validation messages of a GCP stack built from a modified environment and/or service. */
export function gcpProblems(envName: string, mutateEnv: (e: any) => void = () => {}, mutateService: (s: any) => void = () => {}): string[] {
  const env = clone(envByName(envName)) as any;
  mutateEnv(env);
  const service = clone(referenceService(env as EnvironmentConfig)) as any;
  mutateService(service);
  return validationMessages(env as EnvironmentConfig, service as ServiceSpec, "gcp");
}

export function synthGcp(envName: string, mutateEnv: (e: any) => void = () => {}, mutateService: (s: any) => void = () => {}) {
  const env = clone(envByName(envName)) as any;
  mutateEnv(env);
  const service = clone(referenceService(env as EnvironmentConfig)) as any;
  mutateService(service);
  return synthPlatform(env as EnvironmentConfig, service as ServiceSpec, "gcp");
}
