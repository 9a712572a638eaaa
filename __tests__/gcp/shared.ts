import { cloudFixtures } from "../helpers/cloud-fixtures";

export { clone, warnings } from "../helpers/cloud-fixtures";

/**
 * Each Gcp environment synthesized once per test file, the reference service's database on a
 * server of its own (`server: "own"`): these cases check GcpDatabaseProxy's instance in detail; the
 * shared server (the default) is checked by the shared-tier tests and the journeys.
 */
const fixtures = cloudFixtures("gcp", "own");
export const { dev, staging, prod } = fixtures;
export const gcpProblems = fixtures.problems;
export const synthGcp = fixtures.synth;
