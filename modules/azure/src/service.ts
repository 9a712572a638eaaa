import { dependable } from "cdktf";
import { Construct } from "constructs";
import {
  AlarmInfo, EnvironmentConfig, Namer, PlatformService, Problems, ServiceSpec,
  databaseMigrations, onSharedServer, queueCappedConsumers, resolveFunction, shortestCallerTimeout, validateEnvironment, validateService,
} from "@polycloud/core";
import { ServicebusNamespace } from "@cdktf/provider-azurerm/lib/servicebus-namespace";
import { AzureContext } from "./context";
import { AzureDatabaseMigration } from "./database-migration";
import { AzureDatabaseProxy } from "./database-proxy";
import { AzureEventBus } from "./event-bus";
import { actionGroupShortName } from "./foundation";
import { AzureFunction, flexScale } from "./function";
import { AzureApiGateway } from "./gateway";
import { AZURE_LIMITS, MAX_BUDGET_NOTIFICATIONS, MAX_LOCK_SECONDS } from "./limits";
import { AzureQueue } from "./queue";
import { AzureServiceDatabase } from "./service-database";

export interface AzureServiceProps {
  readonly context: AzureContext;
  readonly service: ServiceSpec;
}

/** HTTP triggers behind the Azure front end are cut after 230 seconds. */
export const HTTP_TIMEOUT_LIMIT_SECONDS = 230;

/**
 * Renders a whole service description on Azure and turns its declared relationships into role
 * assignments scoped to single resources (queue, topic, vault, container). One validation
 * reports every problem at once.
 */
export class AzureService extends Construct implements PlatformService {
  readonly cloud = "azure" as const;
  readonly functions: Record<string, AzureFunction> = {};
  readonly gateways: Record<string, AzureApiGateway> = {};
  readonly queues: Record<string, AzureQueue> = {};
  readonly buses: Record<string, AzureEventBus> = {};
  readonly databases: Record<string, AzureDatabaseProxy | AzureServiceDatabase> = {};
  /** Each database's migration step (migrations and roles, run during apply). */
  readonly migrations: Record<string, AzureDatabaseMigration> = {};
  /** The environment's Service Bus namespace (shared tier) the service's queues are in. */
  readonly namespace?: ServicebusNamespace;

  constructor(scope: Construct, id: string, props: AzureServiceProps) {
    super(scope, id);
    const { context: ctx, service } = props;
    this.node.addValidation({ validate: () => validateAzure(service, ctx.env).messages() });
    const secretNames = Object.fromEntries(Object.keys(service.secrets ?? {}).map((s) => [s, s]));
    const routed = new Set(Object.values(service.gateways ?? {}).flatMap((g) => g.routes.map((r) => r.function)));
    // A consumer invoked by nothing but one queue takes that queue's maxConcurrency as its own cap:
    // the Service Bus trigger has no per-queue limit across instances (see queueCappedConsumers).
    const queueCaps = queueCappedConsumers(service);
    for (const [fnId, spec] of Object.entries(service.functions ?? {})) {
      const capped = queueCaps[fnId];
      const resolved = capped ? { ...resolveFunction(spec), maxConcurrency: capped.cap } : resolveFunction(spec);
      this.functions[fnId] = new AzureFunction(this, `fn-${fnId}`, { context: ctx, logicalId: fnId, spec: resolved, secretNames, httpTriggered: routed.has(fnId) });
    }
    // The queues live in the environment's namespace (shared tier), each with its own name and
    // role assignments scoped to the queue; the gateways are APIs of its API Management instance.
    const bus = ctx.shared?.serviceBus;
    this.namespace = bus?.namespace;
    const privateBus = bus?.isPrivate ?? false;
    const front = ctx.shared?.apiManagement;
    const missing = [...(Object.keys(service.queues ?? {}).length && !bus ? ["a Service Bus namespace"] : []), ...(Object.keys(service.gateways ?? {}).length && !front ? ["an API Management instance"] : [])];
    if (missing.length) {
      this.node.addValidation({ validate: () => [`AzureService(${service.name}): the environment's shared tier has no ${missing.join(" and ")}: render Azure services through PlatformStack, which builds it from every service of the composition`] });
      return;
    }
    for (const [qId, spec] of Object.entries(service.queues ?? {})) {
      const q = new AzureQueue(this, `queue-${qId}`, { context: ctx, logicalId: qId, spec, namespace: this.namespace!, privateNamespace: privateBus, consumer: this.functions[spec.consumer] });
      this.queues[qId] = q;
      (spec.producers ?? []).forEach((f) => this.functions[f] && q.grantSend(this.functions[f]));
    }
    for (const [gwId, spec] of Object.entries(service.gateways ?? {})) {
      this.gateways[gwId] = new AzureApiGateway(this, `gateway-${gwId}`, { context: ctx, logicalId: gwId, spec, functions: this.functions, front: front!, serviceName: service.name });
    }
    for (const [busId, spec] of Object.entries(service.buses ?? {})) {
      const bus = new AzureEventBus(this, `bus-${busId}`, { context: ctx, logicalId: busId, spec, functions: this.functions, queues: this.queues });
      this.buses[busId] = bus;
      (spec.publishers ?? []).forEach((f) => this.functions[f] && bus.grantPublish(this.functions[f]));
    }
    for (const [dbId, spec] of Object.entries(service.databases ?? {})) {
      const server = ctx.shared?.database;
      const db = onSharedServer(spec) && server
        // A database of this service on the environment's shared server (shared tier).
        ? new AzureServiceDatabase(this, `db-${dbId}`, { server, service: service.name, logicalId: dbId, spec })
        : new AzureDatabaseProxy(this, `db-${dbId}`, { context: ctx, logicalId: dbId, spec, shortestCallerTimeoutSeconds: shortestCallerTimeout(spec, service.functions ?? {})?.seconds });
      this.databases[dbId] = db;
      const allowed = (spec.allowedFunctions ?? []).filter((f) => this.functions[f]);
      allowed.forEach((f) => db.grantConnect(this.functions[f]));
      const step = new AzureDatabaseMigration(this, `db-${dbId}-migrate`, { context: ctx, database: db, migrations: databaseMigrations(service, dbId) });
      this.migrations[dbId] = step;
      // The schema, the principals and the grants exist before any function that needs them starts.
      for (const f of allowed) this.functions[f].app.dependsOn = [...(this.functions[f].app.dependsOn ?? []), dependable(step.run)];
    }
  }

  get alarms(): AlarmInfo[] {
    return [this.functions, this.gateways, this.queues, this.buses, this.databases, Object.fromEntries(Object.entries(this.migrations).map(([k, m]) => [k, m.fn]))].flatMap((group) => Object.values(group).flatMap((c) => c.alarms));
  }
}

/** Cloud-neutral checks with Azure limits, plus the rules only Azure has. */
export function validateAzure(service: ServiceSpec, env: EnvironmentConfig): Problems {
  const p = validateEnvironment(env);
  validateService(service, AZURE_LIMITS, p.as(`AzureService(${service.name})`));
  const az = p.as("AzureService");
  if (!env.clouds.azure) az.add(`environments/${env.name}.clouds.azure`, undefined, "an azure section { subscriptionId, tenantId, location, budgetStartDate }");
  for (const [qId, q] of Object.entries(service.queues ?? {})) {
    const fn = service.functions?.[q.consumer];
    const timeout = fn ? resolveFunction(fn).timeoutSeconds : 0;
    if (timeout > MAX_LOCK_SECONDS) {
      az.add(`functions.${q.consumer}.timeoutSeconds`, timeout, `at most ${MAX_LOCK_SECONDS} seconds for the consumer of queue ${qId} (the Service Bus lock lasts at most 5 minutes)`);
    }
  }
  for (const [fnId, fn] of Object.entries(service.functions ?? {})) {
    // azurerm refuses always_ready instances above maximum_instance_count at apply ("the total number
    // of always-ready instances should not exceed the maximum scale out limit").
    const r = resolveFunction(fn);
    const { instances } = flexScale(r.maxConcurrency, r.perInstanceConcurrency);
    if (r.minWarmInstances > instances) {
      az.add(`functions.${fnId}.minWarmInstances`, r.minWarmInstances, `at most ${instances} on Azure (always-ready instances cannot exceed the ${instances} instance(s) that concurrency.max ${r.maxConcurrency} / perInstance ${r.perInstanceConcurrency} allows on Flex Consumption)`);
    }
  }
  const routed = new Set(Object.values(service.gateways ?? {}).flatMap((g) => g.routes.map((r) => r.function)));
  for (const fnId of routed) {
    const fn = service.functions?.[fnId];
    if (fn && resolveFunction(fn).timeoutSeconds > HTTP_TIMEOUT_LIMIT_SECONDS) {
      az.add(`functions.${fnId}.timeoutSeconds`, fn.timeoutSeconds, `at most ${HTTP_TIMEOUT_LIMIT_SECONDS} seconds for a function behind API Management (the HTTP front end cuts requests at 230 s)`);
    }
  }
  const notifications = (env.budget?.actualThresholdsPercent?.length ?? 0) + (env.budget?.forecastThresholdsPercent?.length ?? 0);
  if (notifications > MAX_BUDGET_NOTIFICATIONS) {
    az.add(`environments/${env.name}.budget`, notifications, `at most ${MAX_BUDGET_NOTIFICATIONS} thresholds across actual and forecast (Azure budget notification limit)`);
  }
  const short = actionGroupShortName(new Namer(service.name, env.name));
  if (short.length > 12) az.add("actionGroup.shortName", short, "at most 12 characters");
  return p;
}
