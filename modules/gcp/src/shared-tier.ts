import { Construct } from "constructs";
import { SHARED_DATABASE_ID, SharedDatabaseServerSpec } from "@polycloud/core";
import { GcpAlertConditions } from "./alert-conditions";
import { GcpContext } from "./context";
import { GcpDatabaseProxy } from "./database-proxy";

export interface GcpSharedTierProps {
  readonly context: GcpContext;
  /** The shared server the composition's services need (core's sharedDatabaseServer), if any. */
  readonly database?: SharedDatabaseServerSpec;
}

/**
 * The GCP part of the environment's shared tier: one Cloud SQL instance (managed pooling on
 * Enterprise Plus) holding a database and IAM users per service (GcpServiceDatabase), its pools
 * sized for every service's users, its alert conditions once. Named after the platform. Holds the
 * environment's aggregated alert conditions (`alerts`): one per measurement and threshold for
 * every service of the stack (alert-conditions.ts).
 */
export class GcpSharedTier extends Construct {
  readonly database?: GcpDatabaseProxy;
  readonly alerts: GcpAlertConditions;

  constructor(scope: Construct, id: string, props: GcpSharedTierProps) {
    super(scope, id);
    this.alerts = new GcpAlertConditions(this, "alerts", props.context);
    const server = props.database;
    if (!server) return;
    this.database = new GcpDatabaseProxy(this, SHARED_DATABASE_ID, {
      context: { ...props.context, alerts: this.alerts },
      logicalId: SHARED_DATABASE_ID,
      spec: { postgresVersion: server.postgresVersion, size: server.size, pool: server.pool, allowedFunctions: [] },
      shortestCallerTimeoutSeconds: server.shortestCallerTimeoutSeconds,
      shared: server,
    });
    this.node.addValidation({ validate: () => [...server.problems] });
  }
}
