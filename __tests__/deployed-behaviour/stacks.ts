import { Cloud, EnvironmentConfig, ServiceSpec } from "@polycloud/core";
import { referenceService } from "../../stacks/reference-service";
import { cartService } from "../../stacks/cart-service";
import { allStacks } from "../helpers/all-stacks";
import { clone } from "../helpers/cloud-fixtures";
import { envByName, synthPlatform } from "../helpers/synth";
import { coffeeService, useCoffeeWheels } from "../fixtures/coffee-service";

export interface SynthesizedStack { readonly cloud: Cloud; readonly json: any; readonly env: EnvironmentConfig; readonly service?: ServiceSpec }

/**
 * The reference service with what the samples leave out: an `ANY` route behind CORS with
 * credentials, a rule into a function (async invocation), a rate and a cron schedule, and a rule
 * whose long filter has overlapping prefixes (split on Pub/Sub).
 */
export function variantService(env: EnvironmentConfig): ServiceSpec {
  const s = clone(referenceService(env)) as any;
  s.gateways.public.routes.push({ method: "ANY", path: "/admin/{proxy+}", function: "api" });
  const long = Array.from({ length: 12 }, (_, i) => `Order.Segment${i}.Something.Long`);
  s.buses.events.rules = {
    ...s.buses.events.rules,
    // The example: an hour of event age, the default attempts.
    audit: { filter: { source: ["orders.api"] }, target: { function: "worker" }, retry: { maxEventAgeSeconds: 3600 } },
    "order-prefixes": { filter: { prefix: { type: ["Order.", ...long, "Order.Created"] } }, target: { queue: "orders" } },
    every5: { schedule: "rate(5 minutes)", target: { queue: "orders" } },
    nightly: { schedule: "cron(15 2 * * MON-FRI)", target: { function: "worker" }, retry: { maxAttempts: 5, maxEventAgeSeconds: 3600 } },
  };
  return s;
}

let cache: Record<string, SynthesizedStack> | undefined;

/**
 * Every stack the repository synthesizes (the nine reference stacks, the second and third sample
 * services) and the variants on every cloud and environment: the class an item belongs to is
 * checked on all of them.
 */
export function everyStack(): Record<string, SynthesizedStack> {
  if (cache) return cache;
  useCoffeeWheels();
  const out: Record<string, SynthesizedStack> = {};
  for (const [name, json] of Object.entries(allStacks())) {
    const [env, cloud] = name.split("-") as [string, Cloud];
    out[name] = { cloud, json, env: envByName(env), service: referenceService(envByName(env)) };
  }
  for (const cloud of ["aws", "gcp", "azure"] as Cloud[]) {
    const dev = envByName("dev");
    out[`dev-${cloud}+coffee`] = { cloud, json: synthPlatform(dev, coffeeService(dev), cloud).json, env: dev, service: coffeeService(dev) };
    if (cloud !== "azure") out[`dev-${cloud}+cart`] = { cloud, json: synthPlatform(dev, cartService(dev), cloud).json, env: dev, service: cartService(dev) };
    for (const envName of ["dev", "prod"]) {
      const env = envByName(envName);
      out[`${envName}-${cloud}+variants`] = { cloud, json: synthPlatform(env, variantService(env), cloud).json, env, service: variantService(env) };
    }
  }
  cache = out;
  return out;
}

export const ofCloud = (cloud: Cloud) => Object.entries(everyStack()).filter(([, s]) => s.cloud === cloud);
export const resourcesOf = (json: any, type: string): [string, any][] => Object.entries(json.resource?.[type] ?? {});
/** `${type.name.attr}` → `type.name`. */
export const ref = (v: unknown) => /^\$\{([a-z0-9_]+\.[A-Za-z0-9_-]+)[.}\[]/.exec(String(v ?? ""))?.[1];
