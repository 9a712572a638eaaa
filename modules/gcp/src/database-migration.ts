import { Token, dependable } from "cdktf";
import { Construct } from "constructs";
import { DatabaseMigrations, NAME_RULES, envVarPart, MIGRATION_STEP_FUNCTION, migrationStepId, packageMigrationStep, resolveFunction, shortHash } from "@polycloud/core";
import { GoogleCloudRunV2Job } from "@cdktf/provider-google-beta/lib/google-cloud-run-v2-job";
import { ProjectIamCustomRole } from "@cdktf/provider-google/lib/project-iam-custom-role";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { Sleep } from "@cdktf/provider-time/lib/sleep";
import { StaticResource } from "@cdktf/provider-time/lib/static-resource";
import { GcpContext, betaProvider } from "./context";
import { GcpDatabaseTarget } from "./database-proxy";
import { cloudSqlIamUser } from "./database-roles";
import { GcpFunction } from "./function";

export interface GcpDatabaseMigrationProps {
  readonly context: GcpContext;
  /** The server's own database, or a service's database on the shared server (GcpServiceDatabase). */
  readonly database: GcpDatabaseTarget;
  readonly migrations: DatabaseMigrations;
}

const STEP_TIMEOUT_SECONDS = MIGRATION_STEP_FUNCTION.timeoutSeconds;

/**
 * The image of the job that runs the step during apply: Google's distroless Node.js 22 (Debian 12),
 * non-root. It only asks the metadata server for an ID token and POSTs to the step; the step's
 * own code is the Cloud Function's package. Pin a digest here to freeze it.
 */
export const MIGRATION_RUNNER_IMAGE = "gcr.io/distroless/nodejs22-debian12:nonroot";

/**
 * The runner's whole program (`node -e`): an ID token for the step's URL from the metadata server,
 * one POST, the answer on stdout, exit 1 unless the step answered 200 (the job then fails, and so
 * does the apply). No client library: the image has Node.js only.
 */
export const MIGRATION_RUNNER_SCRIPT = [
  'const https=require("https"),http=require("http");const u=new URL(process.env.MIGRATE_URL);',
  'const fail=(m)=>{console.error(m);process.exit(1)};',
  'http.get({host:"metadata.google.internal",path:"/computeMetadata/v1/instance/service-accounts/default/identity?audience="+encodeURIComponent(u.origin),headers:{"Metadata-Flavor":"Google"}},(r)=>{let t="";r.on("data",(d)=>t+=d);r.on("end",()=>{',
  'if(r.statusCode!==200)fail("identity token: "+r.statusCode+" "+t);',
  'const q=https.request(u,{method:"POST",headers:{authorization:"Bearer "+t,"content-type":"application/json"}},(s)=>{let b="";s.on("data",(d)=>b+=d);s.on("end",()=>{if(s.statusCode===200){console.log(b);process.exit(0)}fail("migration step answered "+s.statusCode+": "+b)})});',
  'q.on("error",(e)=>fail(e.message));q.end(process.env.MIGRATE_INPUT)})}).on("error",(e)=>fail(e.message));',
].join("");

/** What the step's identity may do on its own instance only: create and delete the temporary bootstrap user. */
const BOOTSTRAP_PERMISSIONS = ["cloudsql.instances.get", "cloudsql.users.create", "cloudsql.users.delete", "cloudsql.users.list"];

/**
 * The database's migration step on GCP.
 *
 * - The step is an HTTP Cloud Function (gen2) built from the step's package (the runtime's
 *   migration step and the database's migration files), with ingress `ALLOW_INTERNAL_ONLY`, the VPC
 *   connector, and a service account of its own that is the database's admin: a Cloud SQL IAM user
 *   (`cloudsql.client` and `cloudsql.instanceUser` on this instance). It connects to the instance's
 *   private IP on 5432 (not the pooler), verifying the server CA of the instance and its name.
 * - During apply a Cloud Run job runs it: google-beta 6.50's `google_cloud_run_v2_job.run_execution_token`
 *   starts an execution on create and update and the apply waits until it completes
 *   (google-beta/services/cloudrunv2/resource_cloud_run_v2_job.go at v6.50.0; the GA provider has no
 *   such field before 7.x). The token is a `time_static` re-created whenever the migrations, the
 *   roles or the package change, so a new execution starts exactly then, and never reuses an old
 *   execution's name. The job's own service account may only invoke the step (`run.invoker` on
 *   that function), and its egress goes through the connector, so Cloud Run counts the call as
 *   internal. A failed step fails the execution, which fails the apply; the database's error is in
 *   the job's and the function's logs.
 * - First run on a new instance: the step lets its admin user create tables through a temporary
 *   cloudsqlsuperuser member (see cloudSqlBootstrap in the runtime), for which its identity holds a
 *   custom role with four Cloud SQL user permissions, on this instance only.
 * - Every function allowed to connect waits for the job: new code never meets the old schema.
 */
export class GcpDatabaseMigration extends Construct {
  readonly fn: GcpFunction;
  readonly job: GoogleCloudRunV2Job;
  /** The admin's PostgreSQL user name. */
  readonly adminUser: string;

  constructor(scope: Construct, id: string, props: GcpDatabaseMigrationProps) {
    super(scope, id);
    const { context: ctx, database: db, migrations } = props;
    const logicalId = migrationStepId(db.logicalId);
    const pkg = packageMigrationStep("gcp", migrations);
    this.fn = new GcpFunction(this, "fn", {
      context: ctx,
      logicalId,
      spec: resolveFunction({ source: pkg.folder, runtime: "nodejs22", handler: "index.handler", memoryMb: MIGRATION_STEP_FUNCTION.memoryMb, timeoutSeconds: STEP_TIMEOUT_SECONDS, concurrency: { max: MIGRATION_STEP_FUNCTION.maxConcurrency } }),
      package: pkg,
    });
    const fn = this.fn;
    fn.useVpcConnector();

    // The admin identity: the step's own service account, as an IAM database user.
    this.adminUser = cloudSqlIamUser(fn.serviceAccount.accountIdInput!, ctx.projectId);
    const adminUser = db.addIamUser("admin-user", this.adminUser);
    const grants = ["roles/cloudsql.client", "roles/cloudsql.instanceUser"].map((role) =>
      fn.projectRole(`admin-${role.split(".").pop()}`, role, fn.serviceAccount, db.instanceCondition()));
    const roleId = ctx.namer.name(NAME_RULES.gcp.generic, db.logicalId, "migrate").replace(/-/g, "_");
    const bootstrapRole = new ProjectIamCustomRole(this, "bootstrap-role", {
      project: ctx.projectId,
      roleId,
      title: `Migration step of ${db.logicalId}: temporary bootstrap user`,
      description: "Create and delete the temporary cloudsqlsuperuser member that lets the step's IAM user create tables (first run only).",
      permissions: BOOTSTRAP_PERMISSIONS,
      dependsOn: ctx.services.enable("iam.googleapis.com"),
    });
    grants.push(new ProjectIamMember(this, "admin-bootstrap", {
      // The role's full name, spelled out (projects/<project>/roles/<id>) so policy can read it.
      project: ctx.projectId, role: `projects/${ctx.projectId}/roles/${roleId}`, member: fn.member, condition: db.instanceCondition(),
      dependsOn: [bootstrapRole, ...ctx.services.enable("cloudresourcemanager.googleapis.com")],
    }));

    const prefix = `DB_${envVarPart(db.logicalId)}`;
    fn.addEnvironment("POLYCLOUD_MIGRATE_DATABASE", db.logicalId);
    fn.addEnvironment("POLYCLOUD_MIGRATE_ROLES", JSON.stringify(db.migrationRoles()));
    fn.addEnvironment("POLYCLOUD_CLOUDSQL_INSTANCE", db.serverName);
    fn.addEnvironment(`${prefix}_HOST`, db.endpoint);
    // The server itself: the pooler's transaction mode would break the step's session lock.
    fn.addEnvironment(`${prefix}_PORT`, "5432");
    fn.addEnvironment(`${prefix}_NAME`, db.database.name);
    fn.addEnvironment(`${prefix}_USER`, this.adminUser);
    fn.addEnvironment(`${prefix}_SSLMODE`, "verify-full");
    fn.addEnvironment(`${prefix}_SSLROOTCERT`, db.serverCa);
    fn.addEnvironment(`${prefix}_SSLSERVERNAME`, db.serverName);

    // The runner: a job whose identity may invoke the step and nothing else.
    const runner = new ServiceAccount(this, "runner-sa", {
      accountId: ctx.namer.name(NAME_RULES.gcp.serviceAccount, db.logicalId, "mrun"),
      displayName: `Runs the migration step of ${db.logicalId} during apply`,
      dependsOn: ctx.services.enable("iam.googleapis.com"),
    });
    const invoker = fn.grantInvoke("migration-runner", `serviceAccount:${runner.email}`);
    // IAM grants take effect within about a minute: the first execution must not race them.
    const propagated = new Sleep(this, "iam-propagation", { createDuration: "60s", triggers: { admin: this.adminUser, runner: runner.email }, dependsOn: [invoker, adminUser, ...grants] });
    const input = JSON.stringify({ polycloud: "migrate", database: db.logicalId, migrations: migrations.hash, files: migrations.files.map((f) => f.id), roles: db.migrationRoles().map((r) => r.name) });
    // A new token (a new execution) whenever what the step would do changes.
    const token = new StaticResource(this, "run-token", { triggers: { migrations: migrations.hash, roles: shortHash(input, 16), package: pkg.hash } });
    const [runApi] = ctx.services.enable("run.googleapis.com");
    this.job = new GoogleCloudRunV2Job(this, "runner", {
      provider: betaProvider(this),
      // Job name plus token stay under 63 characters (the token is a 10-digit unix time).
      name: ctx.namer.name({ ...NAME_RULES.gcp.function, maxLength: 49 }, db.logicalId, "migrate"),
      location: ctx.region,
      deletionProtection: false,
      runExecutionToken: Token.asString(token.unix),
      template: {
        taskCount: 1,
        template: {
          serviceAccount: runner.email,
          maxRetries: 0,
          timeout: `${STEP_TIMEOUT_SECONDS + 60}s`,
          vpcAccess: { connector: ctx.network.connector().id, egress: "ALL_TRAFFIC" },
          containers: [{
            image: MIGRATION_RUNNER_IMAGE,
            args: ["-e", MIGRATION_RUNNER_SCRIPT],
            env: [{ name: "MIGRATE_URL", value: fn.url }, { name: "MIGRATE_INPUT", value: input }],
            resources: { limits: { cpu: "1", memory: "512Mi" } },
          }],
        },
      },
      labels: { ...ctx.labels, component: "database-migration" },
      dependsOn: [runApi, propagated, fn.fn, ...db.functionSqlUsers],
    });
  }

  /** What a function that needs the schema waits for. */
  get ready(): ReturnType<typeof dependable> {
    return dependable(this.job);
  }
}
