/**
 * Per-function database roles, cloud-neutral part: names and quoting. Every function granted a
 * database gets its own PostgreSQL role; the database's admin identity is used by its migration
 * step only, which creates and grants the roles (`applyMigrations` in @polycloud/runtime):
 * - AWS: `fn_<id>`, created by the step and made a member of `rds_iam`; the name is what
 *   `rds-db:connect` names in `dbuser:<resource id>/<role>`.
 * - GCP: Cloud SQL creates the login role of each function's IAM database user; the step grants.
 * - Azure: the step creates each function identity's Entra principal, then grants.
 */
import { envVarPart } from "./naming";

/** PostgreSQL's identifier limit (NAMEDATALEN - 1 bytes). */
export const POSTGRES_IDENTIFIER_MAX_BYTES = 63;

/** The database role of a function: `fn_<id>`, lower-case letters, digits and `_` only, at most 63 bytes. */
export function functionRoleName(functionId: string): string {
  const name = `fn_${envVarPart(functionId).toLowerCase()}`.replace(/_+/g, "_").replace(/_$/, "");
  return name.slice(0, POSTGRES_IDENTIFIER_MAX_BYTES);
}

/** Problems with a name used in the generated SQL, or undefined when it is safe. */
export function databaseIdentifierProblem(name: string): string | undefined {
  if (name.length === 0) return "is empty";
  if (Buffer.byteLength(name, "utf8") > POSTGRES_IDENTIFIER_MAX_BYTES) return `is longer than ${POSTGRES_IDENTIFIER_MAX_BYTES} bytes`;
  // Control characters and `$` (dollar quoting) are never needed in a role, schema or database name.
  if (/[\u0000-\u001f\u007f$]/.test(name)) return "contains a control character or `$`";
  return undefined;
}

/** `"name"` with embedded double quotes doubled. */
export function quoteIdentifier(name: string): string {
  const problem = databaseIdentifierProblem(name);
  if (problem) throw new Error(`database identifier ${JSON.stringify(name)} ${problem}`);
  return `"${name.replace(/"/g, '""')}"`;
}

/** `'text'` with embedded single quotes doubled. */
export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
