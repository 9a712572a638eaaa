/**
 * End-to-end tests that start servers or install packages, apart from the main suite's workers:
 * the runtime against a real PostgreSQL behind PgBouncer (transaction pooling), the per-cloud
 * bundle size and load checks (the module-init time is `npm run bench`'s, never asserted), and the private-registry round trip
 * (Verdaccio: publish, consume, upgrade), and the local runner's journeys (the reference and coffee
 * services synthesized and run on the three clouds' emulations against a real PostgreSQL), and the
 * files jest.integration-files.js lists from the other folders (real PostgreSQL, the terraform
 * CLI, many-service syntheses).
 * `npm run test:integration`; .ci/run runs it after `npm test`.
 */
const base = require("./jest.config");

module.exports = {
  ...base,
  testPathIgnorePatterns: ["/node_modules/"],
  testMatch: ["<rootDir>/__tests__/runtime-integration/**/*.test.ts", "<rootDir>/__tests__/registry/publish-consume.test.ts", "<rootDir>/__tests__/journeys/**/*.test.ts", ...require("./jest.integration-files.js")],
};
