import { setCloudLoader } from "./cloud";

// Unbundled use (tests, local runs): load the cloud named by POLYCLOUD_CLOUD on first use.
setCloudLoader(async (cloud) => {
  switch (cloud) {
    case "aws": return (await import("./cloud-aws")).default;
    case "gcp": return (await import("./cloud-gcp")).default;
    case "azure": return (await import("./cloud-azure")).default;
  }
});

export * from "./api";
export { stageFunction, StageTarget, bundleFunction, lockFileOf } from "./stage";
export { stageMigrationStep, migrationStepFiles, runtimeMigrationsDir, PackagedMigration } from "./migrate-stage";
export { applyMigrations, ensureDatabase, grantStatements, revokeStatements, rolesScript, MigrationError, MIGRATION_LOCK, Migration, MigrationRole, ApplyMigrationsOptions, ApplyMigrationsResult } from "./migrate";
export { runMigrationStep, readPackagedMigrations, migrationRolesFrom } from "./migrate-step";
export { handlerProblem, splitHandler } from "./handler-file";
export { pythonPackageFiles, pythonRuntimeFiles, PythonTarget } from "./python-entry";
