import { Construct } from "constructs";
import {
  AlarmInfo, EnvironmentConfig, NAME_RULES, PlatformService, Problems, ServiceSpec,
  databaseMigrations, onSharedServer, queueCappedConsumers, resolveFunction, shortestCallerTimeout, validateEnvironment, validateService,
} from "@polycloud/core";
import { SecretManagerSecret } from "@cdktf/provider-google/lib/secret-manager-secret";
import { SecretManagerSecretVersion } from "@cdktf/provider-google/lib/secret-manager-secret-version";
import { MAX_BUDGET_CHANNELS } from "./budget";
import { GcpContext, keyReady } from "./context";
import { GcpDatabaseMigration } from "./database-migration";
import { GcpDatabaseProxy } from "./database-proxy";
import { GcpEventBus } from "./event-bus";
import { GcpFunction } from "./function";
import { GcpHttpGateway } from "./gateway";
import { GCP_LIMITS, PUBSUB_MAX_ACK_SECONDS } from "./limits";
import { GcpQueue } from "./queue";
import { GcpServiceDatabase } from "./service-database";

/** The first version of every declared secret: a marker, never a credential. */
export const SECRET_PLACEHOLDER = "PLACEHOLDER-not-a-secret: add the real value with `gcloud secrets versions add`";

export interface GcpServiceProps {
  readonly context: GcpContext;
  readonly service: ServiceSpec;
}

/**
 * Renders a whole service description on GCP and turns its declared relationships into IAM
 * grants scoped to single resources: topic publishers, push invokers, secret accessors and
 * Cloud SQL IAM users. Registers one validation that reports every problem at once.
 */
export class GcpService extends Construct implements PlatformService {
  readonly cloud = "gcp" as const;
  readonly functions: Record<string, GcpFunction> = {};
  readonly gateways: Record<string, GcpHttpGateway> = {};
  readonly queues: Record<string, GcpQueue> = {};
  readonly buses: Record<string, GcpEventBus> = {};
  readonly databases: Record<string, GcpDatabaseProxy | GcpServiceDatabase> = {};
  /** Each database's migration step (migrations and roles, run during apply). */
  readonly migrations: Record<string, GcpDatabaseMigration> = {};
  readonly secrets: Record<string, SecretManagerSecret> = {};
  readonly secretVersions: Record<string, SecretManagerSecretVersion> = {};

  constructor(scope: Construct, id: string, props: GcpServiceProps) {
    super(scope, id);
    const { context: ctx, service } = props;
    this.node.addValidation({ validate: () => validateGcp(service, ctx.env).messages() });

    const [secretApi] = Object.keys(service.secrets ?? {}).length ? ctx.services.enable("secretmanager.googleapis.com") : [];
    for (const [secretId, secret] of Object.entries(service.secrets ?? {})) {
      this.secrets[secretId] = new SecretManagerSecret(this, `secret-${secretId}`, {
        secretId: ctx.namer.name(NAME_RULES.gcp.secret, secretId),
        annotations: { description: `${secret.description} (value set out of band; never in Terraform)`.slice(0, 256) },
        replication: { userManaged: { replicas: [{ location: ctx.region, customerManagedEncryption: { kmsKeyName: ctx.key.id } }] } },
        deletionProtection: ctx.env.deletionProtection,
        labels: { ...ctx.labels, component: "secret" },
        dependsOn: [...(secretApi ? [secretApi] : []), ...keyReady(this, ctx, "secretmanager")],
      });
      // Functions read `latest`, and a revision whose secret has no version cannot start. This
      // placeholder (not a secret) is version 1; the real value is added out of band as a newer
      // version (`gcloud secrets versions add`), which `latest` then resolves to. Terraform ignores
      // later changes to it, so the value is never reverted or read into a plan.
      this.secretVersions[secretId] = new SecretManagerSecretVersion(this, `secret-${secretId}-placeholder`, {
        secret: this.secrets[secretId].id,
        secretData: SECRET_PLACEHOLDER,
        lifecycle: { ignoreChanges: ["secret_data", "enabled"] },
      });
    }
    // A consumer invoked by nothing but one queue takes that queue's maxConcurrency as its own cap:
    // push subscriptions have no concurrency limit of their own (see queueCappedConsumers).
    const queueCaps = queueCappedConsumers(service);
    for (const [fnId, spec] of Object.entries(service.functions ?? {})) {
      const capped = queueCaps[fnId];
      const resolved = capped ? { ...resolveFunction(spec), maxConcurrency: capped.cap } : resolveFunction(spec);
      this.functions[fnId] = new GcpFunction(this, `fn-${fnId}`, { context: ctx, logicalId: fnId, spec: resolved, secrets: this.secrets, secretVersions: this.secretVersions });
    }
    for (const [qId, spec] of Object.entries(service.queues ?? {})) {
      const q = new GcpQueue(this, `queue-${qId}`, {
        context: ctx, logicalId: qId, spec, consumer: this.functions[spec.consumer],
        producers: (spec.producers ?? []).map((f) => this.functions[f]).filter((f) => f !== undefined),
      });
      this.queues[qId] = q;
      (spec.producers ?? []).forEach((f) => this.functions[f] && q.grantSend(this.functions[f]));
    }
    for (const [gwId, spec] of Object.entries(service.gateways ?? {})) {
      this.gateways[gwId] = new GcpHttpGateway(this, `gateway-${gwId}`, { context: ctx, logicalId: gwId, spec, functions: this.functions });
    }
    for (const [busId, spec] of Object.entries(service.buses ?? {})) {
      const bus = new GcpEventBus(this, `bus-${busId}`, { context: ctx, logicalId: busId, spec, functions: this.functions, queues: this.queues });
      this.buses[busId] = bus;
      (spec.publishers ?? []).forEach((f) => this.functions[f] && bus.grantPublish(this.functions[f]));
    }
    for (const [dbId, spec] of Object.entries(service.databases ?? {})) {
      const db = onSharedServer(spec) && ctx.sharedDatabase
        // A database of this service on the environment's shared instance (shared tier).
        ? new GcpServiceDatabase(this, `db-${dbId}`, { context: ctx, server: ctx.sharedDatabase, service: service.name, logicalId: dbId, spec })
        : new GcpDatabaseProxy(this, `db-${dbId}`, { context: ctx, logicalId: dbId, spec, shortestCallerTimeoutSeconds: shortestCallerTimeout(spec, service.functions ?? {})?.seconds });
      this.databases[dbId] = db;
      const allowed = (spec.allowedFunctions ?? []).filter((f) => this.functions[f]);
      allowed.forEach((f) => db.grantConnect(this.functions[f]));
      const step = new GcpDatabaseMigration(this, `db-${dbId}-migrate`, { context: ctx, database: db, migrations: databaseMigrations(service, dbId) });
      this.migrations[dbId] = step;
      // The schema and the grants exist before any function that needs them is deployed.
      for (const f of allowed) this.functions[f].fn.dependsOn = [...(this.functions[f].fn.dependsOn ?? []), step.ready];
    }
  }

  get alarms(): AlarmInfo[] {
    return [this.functions, this.gateways, this.queues, this.buses, this.databases, Object.fromEntries(Object.entries(this.migrations).map(([k, m]) => [k, m.fn]))].flatMap((group) =>
      Object.values(group).flatMap((c) => c.alarms),
    );
  }
}

/** Cloud-neutral checks with GCP limits, plus the rules only GCP has. */
export function validateGcp(service: ServiceSpec, env: EnvironmentConfig): Problems {
  const p = validateEnvironment(env);
  validateService(service, GCP_LIMITS, p.as(`GcpService(${service.name})`));
  const gcp = p.as("GcpService");
  if (!env.clouds.gcp) gcp.add(`environments/${env.name}.clouds.gcp`, undefined, "a gcp section { projectId, region, billingAccount }");
  // Push subscriptions wait at most 600 s for the consumer to answer.
  const pushTargets = new Set<string>([
    ...Object.values(service.queues ?? {}).map((q) => q.consumer),
    ...Object.values(service.buses ?? {}).flatMap((b) => Object.values(b.rules ?? {}).flatMap((r) => ("function" in r.target ? [r.target.function] : []))),
  ]);
  for (const fnId of pushTargets) {
    const fn = service.functions?.[fnId];
    if (fn && resolveFunction(fn).timeoutSeconds > PUBSUB_MAX_ACK_SECONDS) {
      gcp.add(`functions.${fnId}.timeoutSeconds`, fn.timeoutSeconds, `at most ${PUBSUB_MAX_ACK_SECONDS} seconds for a function that consumes Pub/Sub push deliveries (the ack deadline limit)`);
    }
  }
  for (const [fnId, fn] of Object.entries(service.functions ?? {})) {
    // service_config.max_instance_count is ceil(concurrency.max / perInstance), or 100 (function.ts); Cloud Run
    // refuses a min_instance_count above it at apply, and provider 6.50 does not check it at plan.
    const r = resolveFunction(fn);
    const maxInstances = r.maxConcurrency ? Math.max(1, Math.ceil(r.maxConcurrency / Math.max(1, r.perInstanceConcurrency))) : 100;
    if (r.minWarmInstances > maxInstances) {
      gcp.add(`functions.${fnId}.minWarmInstances`, r.minWarmInstances, `at most ${maxInstances} on GCP (min_instance_count cannot exceed max_instance_count, ${maxInstances} for concurrency.max ${r.maxConcurrency ?? "unset (100 instances)"} / perInstance ${r.perInstanceConcurrency})`);
    }
  }
  const budgetRecipients = env.budget?.recipients ?? [];
  if (budgetRecipients.length > MAX_BUDGET_CHANNELS) {
    gcp.add(`environments/${env.name}.budget.recipients`, budgetRecipients.length, `at most ${MAX_BUDGET_CHANNELS} recipients (Cloud Billing budgets notify at most 5 monitoring channels)`);
  }
  return p;
}
