import { Construct } from "constructs";
import { SHARED_DATABASE_ID, SharedDatabaseServerSpec } from "@polycloud/core";
import { AwsContext } from "./context";
import { AwsDatabaseProxy } from "./database-proxy";

export interface AwsSharedTierProps {
  readonly context: AwsContext;
  /** The shared server the composition's services need (core's sharedDatabaseServer), if any. */
  readonly database?: SharedDatabaseServerSpec;
}

/**
 * The AWS part of the environment's shared tier: what does not scale with traffic and is paid
 * once per environment, whatever the number of services. One Aurora Serverless v2 cluster behind
 * one RDS Proxy (its 8-ACU floor is the largest fixed price on AWS), holding a database and roles
 * per service (AwsServiceDatabase, in the service tier). Named after the platform, never a
 * service, so adding, removing or reordering services renames nothing.
 */
export class AwsSharedTier extends Construct {
  readonly database?: AwsDatabaseProxy;

  constructor(scope: Construct, id: string, props: AwsSharedTierProps) {
    super(scope, id);
    const server = props.database;
    if (!server) return;
    this.database = new AwsDatabaseProxy(this, SHARED_DATABASE_ID, {
      context: props.context,
      logicalId: SHARED_DATABASE_ID,
      spec: { postgresVersion: server.postgresVersion, size: server.size, pool: server.pool, allowedFunctions: [] },
      shortestCallerTimeoutSeconds: server.shortestCallerTimeoutSeconds,
      shared: true,
    });
    this.node.addValidation({ validate: () => [...server.problems] });
  }
}
