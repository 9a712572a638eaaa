/**
 * Test files outside the integration folders that start real servers or run real tools for most
 * of their time: a real PostgreSQL (the migration step against a server, database TLS, the shared
 * tier's server, the PostgreSQL harness, \`polycloud db\`/\`dev\` against a server) and the
 * terraform CLI (init, validate and plan offline against every stack). They run in the integration
 * project (\`npm run test:integration\`, which .ci/run runs after \`npm test\`), not in \`npm test\`:
 * issue 24 keeps \`npm test\` under 120 s on a 2-core machine. Every test in them still runs in CI.
 */
module.exports = [
  "<rootDir>/__tests__/terraform/offline-terraform.test.ts",
  "<rootDir>/__tests__/migrations/apply-migrations.test.ts",
  "<rootDir>/__tests__/migrations/database-tls.test.ts",
  "<rootDir>/__tests__/migrations/migration-step-packages.test.ts",
  "<rootDir>/__tests__/migrations/shared-server.test.ts",
  "<rootDir>/__tests__/core/postgres-harness.test.ts",
  "<rootDir>/__tests__/cli/dev-db.test.ts",
];
