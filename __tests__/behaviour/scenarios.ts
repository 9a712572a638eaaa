import { Cloud, EnvironmentConfig, ServiceSpec } from "@polycloud/core";
import { environments } from "../fixtures/sample/environments";
import { referenceService } from "../../stacks/reference-service";
import { devWithRemoteState, synthesizeComposition } from "../helpers/sample-json";
import { coffeeService, useCoffeeWheels } from "../fixtures/coffee-service";
import { varietyService } from "../fixtures/variety-service";

/** A service in an environment: what the equivalence and mutation tests synthesize on each cloud. */
export interface Scenario {
  readonly name: string;
  readonly env: EnvironmentConfig;
  readonly service: (env: EnvironmentConfig) => ServiceSpec;
}

const env = (name: string) => environments.find((e) => e.name === name)!;

/** The reference service in every environment, the coffee sample and the variety fixture. */
export function scenarios(): Scenario[] {
  useCoffeeWheels();
  return [
    { name: "reference/dev", env: env("dev"), service: referenceService },
    { name: "reference/staging", env: env("staging"), service: referenceService },
    { name: "reference/prod", env: env("prod"), service: referenceService },
    { name: "coffee/dev", env: devWithRemoteState("environment"), service: coffeeService },
    { name: "variety/staging", env: env("staging"), service: varietyService },
  ];
}

/** The scenario's stack on one cloud, as synthesized JSON. */
export function synthScenario(s: Scenario, cloud: Cloud): any {
  return synthesizeComposition(s.env, cloud, [s.service])[`${s.env.name}-${cloud}`];
}
