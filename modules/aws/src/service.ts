import { dependable } from "cdktf";
import { Construct } from "constructs";
import {
  AlarmInfo, EnvironmentConfig, PlatformService, Problems, ServiceSpec,
  databaseMigrations, onSharedServer, resolveFunction, shortestCallerTimeout, validateEnvironment, validateService,
} from "@polycloud/core";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { AwsContext } from "./context";
import { AwsDatabaseMigration } from "./database-migration";
import { AwsDatabaseProxy, awsMigrationRoles } from "./database-proxy";
import { AwsEventBus } from "./event-bus";
import { AwsFunction } from "./function";
import { AwsCustomDomain, AwsHttpGateway } from "./gateway";
import { AWS_LIMITS, LOG_RETENTION_DAYS } from "./limits";
import { AwsQueue } from "./queue";
import { AwsServiceDatabase } from "./service-database";

export interface AwsServiceProps {
  readonly context: AwsContext;
  readonly service: ServiceSpec;
  /** AWS-only options, keyed like the spec. */
  readonly aws?: { readonly gateways?: Readonly<Record<string, { readonly customDomain?: AwsCustomDomain }>> };
}

/**
 * Renders a whole service description on AWS and turns its declared relationships into grants:
 * queue consumers and producers, bus publishers and targets, database clients, secret readers.
 * Registers one cdktf validation that reports every problem of the spec and environment at once.
 */
export class AwsService extends Construct implements PlatformService {
  readonly cloud = "aws" as const;
  readonly functions: Record<string, AwsFunction> = {};
  readonly gateways: Record<string, AwsHttpGateway> = {};
  readonly queues: Record<string, AwsQueue> = {};
  readonly buses: Record<string, AwsEventBus> = {};
  readonly databases: Record<string, AwsDatabaseProxy | AwsServiceDatabase> = {};
  /** Each database's migration step (migrations and roles, run during apply). */
  readonly migrations: Record<string, AwsDatabaseMigration> = {};
  readonly secrets: Record<string, SecretsmanagerSecret> = {};

  constructor(scope: Construct, id: string, props: AwsServiceProps) {
    super(scope, id);
    const { context: ctx, service } = props;
    this.node.addValidation({ validate: () => validateAws(service, ctx.env).messages() });

    for (const [secretId, secret] of Object.entries(service.secrets ?? {})) {
      this.secrets[secretId] = new SecretsmanagerSecret(this, `secret-${secretId}`, {
        name: `${service.name}/${ctx.env.name}/${secretId}`,
        description: `${secret.description} (value set out of band; never in Terraform)`,
        kmsKeyId: ctx.key.arn,
        recoveryWindowInDays: ctx.env.deletionProtection ? 30 : 7,
      });
    }
    const secretArns = Object.fromEntries(Object.entries(this.secrets).map(([k, s]) => [k, s.arn]));

    for (const [fnId, spec] of Object.entries(service.functions ?? {})) {
      this.functions[fnId] = new AwsFunction(this, `fn-${fnId}`, { context: ctx, logicalId: fnId, spec: resolveFunction(spec), secretArns });
    }
    for (const [qId, spec] of Object.entries(service.queues ?? {})) {
      const q = new AwsQueue(this, `queue-${qId}`, { context: ctx, logicalId: qId, spec, consumer: this.functions[spec.consumer] });
      this.queues[qId] = q;
      (spec.producers ?? []).forEach((f) => this.functions[f] && q.grantSend(this.functions[f]));
    }
    for (const [gwId, spec] of Object.entries(service.gateways ?? {})) {
      this.gateways[gwId] = new AwsHttpGateway(this, `gateway-${gwId}`, {
        context: ctx, logicalId: gwId, spec, functions: this.functions, customDomain: props.aws?.gateways?.[gwId]?.customDomain,
      });
    }
    for (const [busId, spec] of Object.entries(service.buses ?? {})) {
      const bus = new AwsEventBus(this, `bus-${busId}`, { context: ctx, logicalId: busId, spec, functions: this.functions, queues: this.queues });
      this.buses[busId] = bus;
      (spec.publishers ?? []).forEach((f) => this.functions[f] && bus.grantPublish(this.functions[f]));
    }
    for (const [dbId, spec] of Object.entries(service.databases ?? {})) {
      const allowed = (spec.allowedFunctions ?? []).filter((f) => this.functions[f]);
      let step: AwsDatabaseMigration;
      if (onSharedServer(spec) && ctx.sharedDatabase) {
        // A database of this service on the environment's shared server (shared tier).
        const db = new AwsServiceDatabase(this, `db-${dbId}`, { server: ctx.sharedDatabase, service: service.name, logicalId: dbId, spec });
        this.databases[dbId] = db;
        allowed.forEach((f) => db.grantConnect(this.functions[f]));
        step = new AwsDatabaseMigration(this, `db-${dbId}-migrate`, {
          context: ctx, database: ctx.sharedDatabase, migrations: databaseMigrations(service, dbId), roles: db.migrationRoles(),
          member: { databaseId: dbId, databaseName: db.databaseName },
        });
      } else {
        const db = new AwsDatabaseProxy(this, `db-${dbId}`, {
          context: ctx, logicalId: dbId, spec, shortestCallerTimeoutSeconds: shortestCallerTimeout(spec, service.functions ?? {})?.seconds,
        });
        this.databases[dbId] = db;
        allowed.forEach((f) => db.grantConnect(this.functions[f]));
        step = new AwsDatabaseMigration(this, `db-${dbId}-migrate`, { context: ctx, database: db, migrations: databaseMigrations(service, dbId), roles: awsMigrationRoles(spec) });
      }
      this.migrations[dbId] = step;
      // The schema and the roles exist before any function that needs them is created or updated.
      for (const f of allowed) this.functions[f].lambda.dependsOn = [...(this.functions[f].lambda.dependsOn ?? []), dependable(step.invocation)];
    }
  }

  get alarms(): AlarmInfo[] {
    return [this.functions, this.gateways, this.queues, this.buses, this.databases, Object.fromEntries(Object.entries(this.migrations).map(([k, m]) => [k, m.fn]))].flatMap((group) =>
      Object.values(group).flatMap((c) => c.alarms),
    );
  }
}

/** Cloud-neutral checks with AWS limits, plus the rules only AWS has. */
export function validateAws(service: ServiceSpec, env: EnvironmentConfig): Problems {
  const p = validateEnvironment(env);
  validateService(service, AWS_LIMITS, p.as(`AwsService(${service.name})`));
  const aws = p.as("AwsService");
  if (env.retention && !(LOG_RETENTION_DAYS as readonly number[]).includes(env.retention.logDays)) {
    aws.add(`environments/${env.name}.retention.logDays`, env.retention.logDays, `a CloudWatch Logs retention: ${LOG_RETENTION_DAYS.join(", ")}`);
  }
  for (const [qId, q] of Object.entries(service.queues ?? {})) {
    const batch = q.batchSize ?? 10;
    if (batch > 10 && !(q.batchWindowSeconds && q.batchWindowSeconds >= 1)) {
      aws.add(`queues.${qId}.batchWindowSeconds`, q.batchWindowSeconds, "at least 1 second when batchSize > 10 (SQS event source mappings)");
    }
  }
  const recipients = env.budget?.recipients ?? [];
  if (recipients.length > 10) aws.add(`environments/${env.name}.budget.recipients`, recipients.length, "at most 10 e-mail subscribers per AWS budget notification");
  return p;
}
