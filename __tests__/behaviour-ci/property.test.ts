import fc from "fast-check";
import { coverage, runProperty } from "../behaviour/property";

/**
 * The generated-spec property with many more cases than `npm test` runs (PROPERTY_RUNS, default
 * 100; about 0.3 s a case on an idle 2-core machine), run by `npm run test:behaviour` in CI.
 */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 100);
const SEED = Number(process.env.PROPERTY_SEED ?? 2027);

test(`generated valid specs behave as intended on every cloud (${RUNS} cases, seed ${SEED})`, () => {
  const { result, reads, seen } = runProperty(RUNS, SEED);
  expect(result.failed ? fc.defaultReportMessage(result) : "").toBe("");
  expect(Object.entries(seen).filter(([, v]) => v.size < 2).map(([k]) => k)).toEqual([]);
  const cov = coverage(reads);
  // Coverage on the synthesized JSON: the attributes each reader lists, read and varied by the runs.
  console.log(["behaviour property coverage (attributes the readers list, read in the runs, and taking 2+ values):",
    ...cov.map((c) => `  ${c.cloud}: ${c.read}/${c.listed} read, ${c.varied}/${c.listed} varied; constant: ${c.constant.join(", ") || "none"}`)].join("\n"));
  for (const c of cov) expect([c.cloud, c.unread]).toEqual([c.cloud, []]);
});
