import { Construct } from "constructs";
import { SHARED_DATABASE_ID, SharedDatabaseServerSpec } from "@polycloud/core";
import { AzureApiManagement } from "./api-management";
import { AzureContext } from "./context";
import { AzureDatabaseProxy } from "./database-proxy";
import { ServiceBusNamespace, createServiceBusNamespace } from "./servicebus";

export interface AzureSharedTierProps {
  readonly context: AzureContext;
  /** The shared server the composition's services need (core's sharedDatabaseServer), if any. */
  readonly database?: SharedDatabaseServerSpec;
  /** Some service of the composition on Azure has an HTTP gateway: one API Management instance. */
  readonly gateways?: boolean;
  /** Some service of the composition on Azure has a queue: one Service Bus namespace. */
  readonly queues?: boolean;
}

/**
 * The Azure part of the environment's shared tier, paid once per environment whatever the number
 * of services: one PostgreSQL Flexible Server holding a database and Entra principals per service
 * (AzureServiceDatabase, in the service tier), one API Management instance with an API per service
 * gateway (AzureApiGateway), one Service Bus namespace holding every service's queues (each with
 * its own name and role assignments scoped to the queue). Named after the platform, never a
 * service, so adding, removing or reordering services renames nothing.
 */
export class AzureSharedTier extends Construct {
  readonly database?: AzureDatabaseProxy;
  readonly apiManagement?: AzureApiManagement;
  readonly serviceBus?: ServiceBusNamespace;

  constructor(scope: Construct, id: string, props: AzureSharedTierProps) {
    super(scope, id);
    const ctx = props.context;
    const server = props.database;
    if (server) {
      this.database = new AzureDatabaseProxy(this, SHARED_DATABASE_ID, {
        context: ctx,
        logicalId: SHARED_DATABASE_ID,
        spec: { postgresVersion: server.postgresVersion, size: server.size, pool: server.pool, allowedFunctions: [] },
        shortestCallerTimeoutSeconds: server.shortestCallerTimeoutSeconds,
        shared: server,
      });
      this.node.addValidation({ validate: () => [...server.problems] });
    }
    if (props.gateways) this.apiManagement = new AzureApiManagement(this, "gateway", ctx);
    if (props.queues) this.serviceBus = createServiceBusNamespace(this, "servicebus", ctx);
  }
}
