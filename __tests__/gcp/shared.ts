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

/**
 * The aggregated alert conditions (alert-conditions.ts) that watch a resource: its name (or a
 * Cloud SQL `<project>:<instance>`) is one of the condition's `one_of(…)` names.
 */
export function watching(json: any, name: string): any[] {
  return Object.values<any>(json.resource?.google_monitoring_alert_policy ?? {}).filter((p) => {
    const list = /=one_of\(([^)]*)\)/.exec(String(p.conditions?.[0]?.condition_threshold?.filter ?? ""))?.[1] ?? "";
    return [...list.matchAll(/"([^"]*)"/g)].some((m) => m[1] === name || m[1].endsWith(`:${name}`));
  });
}
