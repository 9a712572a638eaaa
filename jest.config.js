/** Tests run through @swc/jest (no type-checking here; `tsc -b` does that once). */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  // Real PostgreSQL + PgBouncer and timing-sensitive bundle checks: their own project
  // (jest.integration.config.js, `npm run test:integration`), which .ci/run runs after `npm test`.
  // End-to-end tests that start servers or install packages (a real PostgreSQL + PgBouncer, the
  // Verdaccio publish -> consume round trip, the local runner's journeys on three clouds) run in
  // jest.integration.config.js; .ci/run runs both.
  // The mutation test and the long property run in jest.behaviour.config.js (`npm run test:behaviour`), which .ci/run runs too.
  // Integration-sized files elsewhere (real PostgreSQL, the terraform CLI, many-service syntheses)
  // are listed in jest.integration-files.js and run in the integration project (issue 24: npm test < 120 s).
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/__tests__/runtime-integration/", "<rootDir>/__tests__/registry/publish-consume.test.ts", "<rootDir>/__tests__/behaviour-ci/", "<rootDir>/__tests__/journeys/", ...require("./jest.integration-files.js")],
  transform: {
    "^.+\\.tsx?$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } }],
    // Reference function code (ESM) is tested in-process too.
    "^.+\\.mjs$": ["@swc/jest", { jsc: { parser: { syntax: "ecmascript" }, target: "es2022" }, module: { type: "commonjs" } }],
  },
  // Tests use the workspace sources directly, so they never depend on a stale build.
  moduleNameMapper: { "^@polycloud/(core|aws|gcp|azure|runtime|runner|stacks|cli|create)$": "<rootDir>/modules/$1/src" },
  testTimeout: 120000,
  setupFiles: ["<rootDir>/__tests__/helpers/setup.ts"],
  // Jest's default is one worker fewer than the CPUs: a single worker on the 2-core machines we run on.
  maxWorkers: 2,
};
