import { PolicyRule, Violation } from "./types";
import { block, blocks, resources, str } from "./json";

export const DATABASE_FLAGS: PolicyRule = {
  id: "PC009",
  severity: "high",
  title: "Database engines run without options that let a client read the server's files",
  rationale: "MySQL's local_infile lets a client that reaches the server (or a SQL injection) load files from the server's disk into tables it can read.",
  conditions: {
    "local-infile": { title: "a Cloud SQL MySQL instance with the local_infile flag on", checks: ["AVD-GCP-0026", "CKV_GCP_50"] },
  },
  fix: "Set the database flag local_infile to off (the platform's databases are PostgreSQL).",
  reads: { google_sql_database_instance: ["database_version", "settings.database_flags.name", "settings.database_flags.value"] },
  check: ({ json }) => resources(json, "google_sql_database_instance").flatMap(([address, r]): Violation[] => {
    if (!/MYSQL/i.test(str(r.database_version) ?? "")) return [];
    // Unset is Cloud SQL's default (off), as both scanners read it.
    const flag = blocks(block(r.settings).database_flags).find((f) => str(f.name) === "local_infile");
    return flag && str(flag.value) === "on" ? [{ address, condition: "local-infile", message: "local_infile on" }] : [];
  }),
};

/**
 * Lambda runtimes AWS has deprecated (no security patches; creating and updating functions is
 * blocked in stages), as checkov's CKV_AWS_363 lists them, plus two AWS deprecated after that
 * list was written (python3.8 in October 2024, nodejs18.x in September 2025).
 */
const DEPRECATED_LAMBDA_RUNTIMES = new Set([
  "dotnetcore3.1", "nodejs12.x", "python3.6", "python2.7", "dotnet5.0", "dotnetcore2.1", "ruby2.5", "nodejs10.x", "nodejs8.10", "nodejs4.3", "nodejs6.10", "dotnetcore1.0",
  "dotnetcore2.0", "nodejs4.3-edge", "nodejs", "java8", "python3.7", "go1.x", "provided", "ruby2.7", "nodejs14.x", "nodejs16.x", "python3.9", "dotnet7", "dotnet6",
  "python3.8", "nodejs18.x",
]);

export const SUPPORTED_RUNTIMES: PolicyRule = {
  id: "PC023",
  severity: "medium",
  title: "Functions run on runtimes their cloud still patches",
  rationale: "A deprecated runtime gets no security fixes, and the cloud stops accepting updates to functions that use it.",
  conditions: {
    "deprecated-runtime": {
      title: "a Lambda function on a deprecated runtime", checks: ["CKV_AWS_363"],
      differs: "Also python3.8 and nodejs18.x, deprecated by AWS after checkov's list was written.",
    },
  },
  fix: "Use the runtimes the spec accepts (validated at synth); upgrade a team's own functions before the deprecation date.",
  reads: { aws_lambda_function: ["runtime"] },
  check: ({ json }) => resources(json, "aws_lambda_function").filter(([, r]) => DEPRECATED_LAMBDA_RUNTIMES.has(str(r.runtime) ?? ""))
    .map(([address, r]) => ({ address, condition: "deprecated-runtime", message: `runtime ${str(r.runtime)} is deprecated` })),
};
