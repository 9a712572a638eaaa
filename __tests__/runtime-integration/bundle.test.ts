import * as path from "node:path";
import { BUNDLE_LIMIT_BYTES, measureFunctionBundles } from "../../scripts/runtime-bench";

/**
 * The reference functions bundled per cloud: under 300 KB, loaded in a fresh process (a
 * bundle that throws on load fails `measureFunctionBundles`), and
 * carrying no other cloud's SDK. How long the load takes (the 50 ms CPU limit) is measured by
 * `npm run bench`, not here: on a loaded CI machine a timing measures the machine.
 */
const rows = measureFunctionBundles(path.resolve(__dirname, "../.."), 0);
const OTHER: Record<string, RegExp> = {
  aws: /^(@azure\/|@google-cloud\/|gcp-metadata|gaxios|google-auth-library)/,
  gcp: /^(@aws-sdk\/|@smithy\/|@azure\/)/,
  azure: /^(@aws-sdk\/|@smithy\/|@google-cloud\/|gcp-metadata|gaxios|google-auth-library)/,
};

test.each(rows.map((r) => [`${r.fn} on ${r.cloud}`, r] as const))("%s: size, only its own cloud's SDKs", (_name, r) => {
  expect(r.bytes).toBeLessThan(BUNDLE_LIMIT_BYTES);
  expect(r.packages.filter((p) => OTHER[r.cloud].test(p))).toEqual([]);
  expect(r.packages).toContain("pg");
  expect(r.packages).toEqual(expect.arrayContaining({ aws: ["@smithy/signature-v4"], gcp: ["gcp-metadata"], azure: ["@azure/functions"] }[r.cloud]));
});
