import { App, Testing } from "cdktf";
import { Cloud, EnvironmentConfig, ServiceSpec } from "@polycloud/core";
import { parsePolicy } from "@polycloud/aws";
import { environments } from "../fixtures/sample/environments";
import { PlatformStack } from "@polycloud/stacks";
import { referenceService } from "../../stacks/reference-service";

/** Parsed cdk.tf.json of one stack. */
export interface SynthJson {
  terraform: Record<string, any>;
  provider?: Record<string, any[]>;
  resource: Record<string, Record<string, any>>;
  data?: Record<string, Record<string, any>>;
  output?: Record<string, any>;
}

export function envByName(name: string): EnvironmentConfig {
  const env = environments.find((e) => e.name === name);
  if (!env) throw new Error(`no environment ${name}`);
  return env;
}

/** Builds one PlatformStack (no validation run) and returns it with its synthesized JSON. */
export function synthPlatform(env: EnvironmentConfig, service: ServiceSpec = referenceService(env), cloud: Cloud = "aws") {
  const app = Testing.app();
  const stack = new PlatformStack(app, `${env.name}-${cloud}`, { env, cloud, service });
  const json = JSON.parse(Testing.synth(stack)) as SynthJson;
  return { app, stack, json };
}

/** Runs the stack's cdktf validations and returns the messages (empty when valid). */
export function validationMessages(env: EnvironmentConfig, service: ServiceSpec = referenceService(env), cloud: Cloud = "aws"): string[] {
  const app = new App({ outdir: "/tmp/polycloud-unused", skipValidation: true });
  const stack = new PlatformStack(app, `${env.name}-${cloud}`, { env, cloud, service });
  try {
    stack.runAllValidations();
    return [];
  } catch (e) {
    return (e as Error).message.split("\n").slice(1).map((l) => l.trim()).filter(Boolean);
  }
}

/** All resources of a type: address name → config. */
export function resources(json: SynthJson, type: string): Record<string, any> {
  return json.resource[type] ?? {};
}

export function only(json: SynthJson, type: string): any {
  const all = Object.values(resources(json, type));
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}

/** Finds the single resource of a type whose config matches the predicate. */
export function find(json: SynthJson, type: string, pred: (r: any) => boolean): any {
  const hits = Object.values(resources(json, type)).filter(pred);
  if (hits.length !== 1) throw new Error(`expected one ${type} matching, found ${hits.length}`);
  return hits[0];
}

/** Parses an IAM policy JSON string. */
export function policy(text: string): { Statement: any[] } {
  return parsePolicy(text) as { Statement: any[] };
}
