import fc from "fast-check";
import { coverage, runProperty } from "./property";

/**
 * Runs of the generated-spec property in `npm test` (3 syntheses each): the fewest that reach every
 * option of the generator and every attribute the readers list with this seed. The CI project
 * (`npm run test:behaviour`, __tests__/behaviour-ci/property.test.ts) runs many more.
 */
const RUNS = 8;
const SEED = 69;

test("generated valid specs behave as intended on every cloud (fixed seed, every option reached, every listed attribute read)", () => {
  const { result, reads, seen } = runProperty(RUNS, SEED);
  expect(result.failed ? fc.defaultReportMessage(result) : "").toBe("");
  expect(Object.entries(seen).filter(([, v]) => v.size < 2).map(([k]) => k)).toEqual([]);
  // Coverage on the synthesized JSON: every attribute the readers list was read in these runs.
  const cov = coverage(reads);
  for (const c of cov) expect([c.cloud, c.unread]).toEqual([c.cloud, []]);
});

test("negative control: the same property fails when one cloud's stacks change", () => {
  const { result } = runProperty(3, SEED, (stacks) => {
    for (const s of Object.values<any>(stacks.gcp.resource.google_pubsub_subscription)) if (s.dead_letter_policy) s.dead_letter_policy.max_delivery_attempts += 1;
  });
  expect(result.failed).toBe(true);
  expect(String(result.errorInstance)).toMatch(/attempts: gcp=\d+/);
});
