import * as path from "node:path";
import { BUNDLE_LIMIT_BYTES, INIT_LIMIT_MS, measureFunctionBundles } from "../../scripts/runtime-bench";

/**
 * The reference functions bundled per cloud: under 300 KB, initialised in under 50 ms of CPU on
 * this machine (median of 3 fresh processes; CPU rather than wall time, because the test runs
 * next to other jest workers and wall time there measures the queue for a core), and carrying
 * no other cloud's SDK.
 */
const rows = measureFunctionBundles(path.resolve(__dirname, "../.."), 3);
const OTHER: Record<string, RegExp> = {
  aws: /^(@azure\/|@google-cloud\/|gcp-metadata|gaxios|google-auth-library)/,
  gcp: /^(@aws-sdk\/|@smithy\/|@azure\/)/,
  azure: /^(@aws-sdk\/|@smithy\/|@google-cloud\/|gcp-metadata|gaxios|google-auth-library)/,
};

test.each(rows.map((r) => [`${r.fn} on ${r.cloud}`, r] as const))("%s: size, init time, only its own cloud's SDKs", (_name, r) => {
  expect(r.bytes).toBeLessThan(BUNDLE_LIMIT_BYTES);
  expect(r.initMs).toBeLessThan(INIT_LIMIT_MS);
  expect(r.packages.filter((p) => OTHER[r.cloud].test(p))).toEqual([]);
  expect(r.packages).toContain("pg");
  expect(r.packages).toEqual(expect.arrayContaining({ aws: ["@smithy/signature-v4"], gcp: ["gcp-metadata"], azure: ["@azure/functions"] }[r.cloud]));
});
