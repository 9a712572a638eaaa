import { App, TerraformStack, Testing } from "cdktf";
import { CLOUDS, Cloud, EnvironmentConfig, ServiceSpec, TerraformJson } from "@polycloud/core";
import { buildStacks } from "@polycloud/stacks";
import { environments as projectEnvironments } from "../../environments";
import { cartService } from "../../stacks/cart-service";
import { composition } from "../../stacks/composition";
import { referenceService } from "../../stacks/reference-service";
import { environments } from "../fixtures/sample/environments";

export { synthesizeApp } from "../../stacks/synth-json";

/**
 * The sample stacks the tests judge: the sample environments (__tests__/fixtures/sample, never the
 * project's environments/, which a team replaces) with the reference service.
 */

/**
 * True while main.ts builds exactly the sample composition (the project's environments equal the
 * sample's, the reference service alone): then its stacks are the sample stacks, synthesized once.
 */
export function appIsReference(): boolean {
  return composition.environments === projectEnvironments && JSON.stringify(projectEnvironments) === JSON.stringify(environments)
    && composition.service === referenceService && composition.services === undefined;
}

/** Every stack of the reference composition as JSON, in-process (no files written, no validation). */
export function synthesizeAll(filter?: string): Record<string, TerraformJson> {
  const app = Testing.app() as App;
  const stacks: TerraformStack[] = buildStacks(app, { environments, service: referenceService, filter });
  return Object.fromEntries(stacks.map((s) => [s.node.id, JSON.parse(Testing.synth(s)) as TerraformJson]));
}

/** dev with remote state on every cloud: the environment the composition tests and snapshot use. */
export function devWithRemoteState(partitioning: "environment" | "service"): EnvironmentConfig {
  const dev = environments.find((e) => e.name === "dev")!;
  const { aws, gcp, azure } = dev.clouds;
  return {
    ...dev,
    partitioning,
    clouds: {
      aws: aws && { ...aws, backend: { bucket: "polycloud-dev-state" } },
      gcp: gcp && { ...gcp, backend: { bucket: "polycloud-dev-state" } },
      azure: azure && { ...azure, backend: { resourceGroupName: "tfstate", storageAccountName: "polyclouddevstate", containerName: "tfstate" } },
    },
  };
}

/**
 * One environment on one cloud rendering `services` in that order, as JSON per stack. A single
 * service goes through `service` (how main.ts renders the reference service), several through `services`.
 */
export function synthesizeComposition(
  env: EnvironmentConfig, cloud: Cloud, services: readonly ((env: EnvironmentConfig) => ServiceSpec)[],
): Record<string, TerraformJson> {
  const one = { ...env, clouds: { [cloud]: env.clouds[cloud] } } as EnvironmentConfig;
  const app = Testing.app() as App;
  const stacks = services.length === 1
    ? buildStacks(app, { environments: [one], service: services[0] })
    : buildStacks(app, { environments: [one], services: (e) => services.map((s) => s(e)) });
  return Object.fromEntries(stacks.map((s) => [s.node.id, JSON.parse(Testing.synth(s)) as TerraformJson]));
}

/** Snapshot keys of the two-service environment: `two-services/<partitioning>/<stack>`. */
export const TWO_SERVICES = [referenceService, cartService] as const;
export function twoServiceKey(partitioning: string, stack: string): string {
  return `two-services/${partitioning}/${stack}`;
}

/** The two-service environment (orders and cart) on every cloud, in both partitionings, keyed for the snapshot. */
export function synthesizeTwoServices(): Record<string, TerraformJson> {
  const out: Record<string, TerraformJson> = {};
  for (const partitioning of ["environment", "service"] as const) {
    for (const cloud of CLOUDS) {
      for (const [stack, json] of Object.entries(synthesizeComposition(devWithRemoteState(partitioning), cloud, TWO_SERVICES))) {
        out[twoServiceKey(partitioning, stack)] = json;
      }
    }
  }
  return out;
}
