import { cloudFixtures } from "../helpers/cloud-fixtures";

export { clone, warnings } from "../helpers/cloud-fixtures";

/** Each Gcp environment synthesized once per test file. */
const fixtures = cloudFixtures("gcp");
export const { dev, staging, prod } = fixtures;
export const gcpProblems = fixtures.problems;
export const synthGcp = fixtures.synth;
