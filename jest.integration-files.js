/**
 * Test files outside the integration folders that are integration-sized (issue 24 keeps `npm test`
 * under 120 s on a 2-core machine): they start real servers or run real tools for most of their
 * time, or synthesize many services several times over. They run in the integration project
 * (`npm run test:integration`, which .ci/run runs after `npm test`) and not in `npm test`; every
 * test in them still runs in CI, unchanged. Run one on its own with
 * `npx jest -c jest.integration.config.js <file>`.
 */
module.exports = [
  // A real PostgreSQL: the migration step against a server, database TLS, the shared tier's
  // server, the PostgreSQL harness itself, `polycloud dev`/`db` against a server.
  "<rootDir>/__tests__/migrations/apply-migrations.test.ts",
  "<rootDir>/__tests__/migrations/database-tls.test.ts",
  "<rootDir>/__tests__/migrations/migration-step-packages.test.ts",
  "<rootDir>/__tests__/migrations/shared-server.test.ts",
  "<rootDir>/__tests__/core/postgres-harness.test.ts",
  "<rootDir>/__tests__/cli/dev-db.test.ts",
  // The terraform CLI: init, validate and plan offline against every stack.
  "<rootDir>/__tests__/terraform/offline-terraform.test.ts",
  // Many-service syntheses: 70 partitioned services; four services on every environment and cloud
  // (cost of the shared tier; synthesize's reports against synthAll's, fresh, reused and filtered);
  // every stack synthesized twice, through cdktf's own passes and ours, compared byte for byte.
  "<rootDir>/__tests__/stacks/partitioning.test.ts",
  "<rootDir>/__tests__/cost/shared-tier.test.ts",
  "<rootDir>/__tests__/stacks/synthesize-reports.test.ts",
  "<rootDir>/__tests__/stacks/synth-passes.test.ts",
];
