/**
 * Cloud SQL IAM database users: Cloud SQL creates a PostgreSQL login role for every
 * CLOUD_IAM_SERVICE_ACCOUNT user, with no privileges. The migration step (GcpDatabaseMigration)
 * grants each function's role its privileges; its own IAM user is the database's admin.
 */

/** The PostgreSQL role Cloud SQL creates for a service account: its e-mail without `.gserviceaccount.com`. */
export function cloudSqlIamUser(accountId: string, projectId: string): string {
  return `${accountId}@${projectId}.iam`;
}
