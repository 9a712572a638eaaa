import { cloudFixtures } from "../helpers/cloud-fixtures";

export { clone, warnings } from "../helpers/cloud-fixtures";

/** Each Azure environment synthesized once per test file. */
const fixtures = cloudFixtures("azure");
export const { dev, staging, prod } = fixtures;
export const azureProblems = fixtures.problems;
export const synthAzure = fixtures.synth;
