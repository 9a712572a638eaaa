/**
 * The runtime's integration tests: a real PostgreSQL behind PgBouncer (transaction pooling) and the
 * per-cloud bundle size / module-init checks, which measure time and so run apart from the main
 * suite's workers. `npm run test:integration`; .ci/run runs it after `npm test`.
 */
const base = require("./jest.config");

module.exports = {
  ...base,
  testPathIgnorePatterns: ["/node_modules/"],
  testMatch: ["<rootDir>/__tests__/runtime-integration/**/*.test.ts"],
};
