import { cloudFixtures } from "../helpers/cloud-fixtures";

export { clone, warnings } from "../helpers/cloud-fixtures";

/** Each Azure environment synthesized once per test file. */
const fixtures = cloudFixtures("azure", "own");
export const { dev, staging, prod } = fixtures;
export const azureProblems = fixtures.problems;
export const synthAzure = fixtures.synth;

/** A globally unique Azure name of the reference service: `orders-<env>-<part>-<subscription suffix>` (storage: no dashes). */
export function globalNameOf(env: "dev" | "staging" | "prod", part: string, joiner = "-", prefix = "orders"): string {
  const fixture = { dev, staging, prod }[env];
  const subscription = (fixture.json.provider as any).azurerm[0].subscription_id as string;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { subscriptionSuffix } = require("@polycloud/azure");
  return [prefix, env, part, subscriptionSuffix(subscription)].join(joiner);
}
