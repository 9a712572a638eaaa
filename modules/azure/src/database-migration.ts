import { Construct } from "constructs";
import { DatabaseMigrations, envVarPart, MIGRATION_STEP_FUNCTION, migrationStepId, packageMigrationStep, resolveFunction } from "@polycloud/core";
import { PostgresqlFlexibleServerActiveDirectoryAdministrator } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server-active-directory-administrator";
import { AzureContext } from "./context";
import { AzureDatabaseTarget } from "./database-proxy";
import { AzureFunction } from "./function";
import { PostApplyStep } from "./post-apply-step";
import { azurePostgresRoots } from "./postgres-roots";

export interface AzureDatabaseMigrationProps {
  readonly context: AzureContext;
  /** The server's own database, or a service's database on the shared server (AzureServiceDatabase). */
  readonly database: AzureDatabaseTarget;
  readonly migrations: DatabaseMigrations;
}

const STEP_TIMEOUT_SECONDS = MIGRATION_STEP_FUNCTION.timeoutSeconds;

/**
 * Calls the step's HTTP trigger from the apply job (logged in with azure/login, like the
 * host-storage fix) with an Entra token of the deploying identity for the step's app: App Service
 * authentication admits that identity only, and no function key is read. 200: done, the result is
 * printed. 500: the step failed; its answer (the database's error) is printed and the apply fails.
 * While the app starts or loads its package (404, 502, 503, no answer) it waits and retries; a
 * retry that finds a run still going waits for the step's database lock and then has nothing left
 * to do.
 */
export const RUN_MIGRATION_STEP_COMMAND = [
  "set -euo pipefail",
  'token=$(az account get-access-token --subscription "$SUBSCRIPTION" --resource "$AUDIENCE" --query accessToken --output tsv)',
  'out=$(mktemp); trap \'rm -f "$out"\' EXIT',
  "for _ in $(seq 1 40); do",
  // `%{` starts a Terraform template directive in any string: the shell joins '%' and "{http_code}".
  '  code=$(curl --silent --show-error --max-time 230 --output "$out" --write-out \'%\'"{http_code}" -X POST "https://$HOST/api/migrate" -H "Authorization: Bearer $token" -H "content-type: application/json" --data "$INPUT") || code=000',
  '  case "$code" in',
  '    200) cat "$out"; echo; exit 0 ;;',
  '    404|502|503|000) sleep 15 ;;',
  '    *) echo "migration step of database $DATABASE failed (HTTP $code):" >&2; cat "$out" >&2; echo >&2; exit 1 ;;',
  "  esac",
  "done",
  'echo "migration step of database $DATABASE did not answer after 40 attempts" >&2',
  "exit 1",
].join("\n");

/**
 * The database's migration step on Azure: a Function App (Flex Consumption) of its own in the
 * VNet, built from the step's package, whose user-assigned identity is the server's Entra
 * administrator (the deploying identity no longer is). It connects to the server on 5432 (not
 * PgBouncer), verifying the certificate against Azure's documented roots and the host name, creates
 * each function's Entra principal (pgaadauth_create_principal_with_oid with the identity's object
 * id), applies the migrations and grants the roles. azurerm has no resource that runs a function
 * during apply, so a post-apply step (terraform_data + local-exec, as for the host-storage fix)
 * calls it, and is replaced whenever the migrations, the roles or the package change. Every
 * function allowed to connect depends on that step.
 */
export class AzureDatabaseMigration extends Construct {
  readonly fn: AzureFunction;
  readonly admin: PostgresqlFlexibleServerActiveDirectoryAdministrator;
  readonly run: PostApplyStep;

  constructor(scope: Construct, id: string, props: AzureDatabaseMigrationProps) {
    super(scope, id);
    const { context: ctx, database: db, migrations } = props;
    const pkg = packageMigrationStep("azure", migrations);
    this.fn = new AzureFunction(this, "fn", {
      context: ctx,
      logicalId: migrationStepId(db.logicalId),
      spec: resolveFunction({ source: pkg.folder, runtime: "nodejs22", handler: "index.handler", memoryMb: MIGRATION_STEP_FUNCTION.memoryMb, timeoutSeconds: STEP_TIMEOUT_SECONDS, concurrency: { max: MIGRATION_STEP_FUNCTION.maxConcurrency } }),
      package: pkg,
    });
    const fn = this.fn;
    fn.useVnet();

    // The admin identity: the step's own managed identity, and nothing else.
    this.admin = new PostgresqlFlexibleServerActiveDirectoryAdministrator(this, "admin", {
      serverName: db.server.name,
      resourceGroupName: ctx.resourceGroup.name,
      tenantId: ctx.spec.tenantId,
      objectId: fn.identity.principalId,
      principalName: fn.identity.name,
      principalType: "ServicePrincipal",
    });

    const roles = db.migrationRoles();
    const prefix = `DB_${envVarPart(db.logicalId)}`;
    fn.addSetting("POLYCLOUD_MIGRATE_DATABASE", db.logicalId);
    fn.addSetting("POLYCLOUD_MIGRATE_ROLES", JSON.stringify(roles));
    fn.addSetting(`${prefix}_HOST`, db.endpoint);
    fn.addSetting(`${prefix}_PORT`, "5432");
    fn.addSetting(`${prefix}_NAME`, db.database.name);
    fn.addSetting(`${prefix}_USER`, fn.identity.name);
    fn.addSetting(`${prefix}_SSLMODE`, "verify-full");
    fn.addSetting(`${prefix}_SSLROOTCERT`, azurePostgresRoots());

    // Only the deploying identity may call the step (App Service authentication; no function key).
    const audience = fn.admitOnly(ctx.client.objectId);
    const input = JSON.stringify({ polycloud: "migrate", database: db.logicalId, migrations: migrations.hash, files: migrations.files.map((f) => f.id) });
    this.run = new PostApplyStep(this, "run", {
      input: { database: db.logicalId, migrations: migrations.hash },
      triggersReplace: { migrations: migrations.hash, package: pkg.hash, roles: JSON.stringify(roles) },
      provisioners: [{
        type: "local-exec",
        interpreter: ["bash", "-c"],
        command: RUN_MIGRATION_STEP_COMMAND,
        environment: { SUBSCRIPTION: ctx.spec.subscriptionId, AUDIENCE: audience, HOST: fn.defaultHostname, DATABASE: db.logicalId, INPUT: input },
      }],
      // The app runs its current package with its identity settings (host-storage fix) and is the
      // server's administrator; TLS is enforced before the first connection.
      dependsOn: [fn.app, fn.hostStorageFix, this.admin, ...db.configurations],
    });
  }
}
