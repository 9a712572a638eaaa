import { ITerraformDependable, TerraformProvider, TerraformStack } from "cdktf";
import { IConstruct } from "constructs";
import { EnvironmentConfig, GcpEnvironmentSpec, NAME_RULES, Namer, TagMap, resolveThresholds } from "@polycloud/core";
import { KmsCryptoKeyIamMember } from "@cdktf/provider-google/lib/kms-crypto-key-iam-member";
import { DataGoogleProject } from "@cdktf/provider-google/lib/data-google-project";
import { KmsCryptoKey } from "@cdktf/provider-google/lib/kms-crypto-key";
import { MonitoringNotificationChannel } from "@cdktf/provider-google/lib/monitoring-notification-channel";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket";
import { Sleep } from "@cdktf/provider-time/lib/sleep";
import type { GcpAlertConditions } from "./alert-conditions";
import type { GcpDatabaseProxy } from "./database-proxy";
import { GcpNetwork } from "./network";
import { GcpProjectServices } from "./project-services";

/** Everything the component constructs share within one environment × service. */
export interface GcpContext {
  readonly env: EnvironmentConfig;
  readonly spec: GcpEnvironmentSpec;
  readonly projectId: string;
  readonly region: string;
  /** The project (its number names the project in budgets). */
  readonly project: DataGoogleProject;
  readonly namer: Namer;
  /** The tag contract as labels (already lower case, valid on GCP). */
  readonly labels: TagMap;
  /** Customer-managed key for topics, secrets, the source bucket and the database. */
  readonly key: KmsCryptoKey;
  /**
   * Google-managed service agents that encrypt with `key`: created explicitly (Pub/Sub, Cloud SQL,
   * Secret Manager through google_project_service_identity, Storage through its data source) after
   * their API is enabled, each with its encrypter/decrypter grant on the key.
   */
  readonly agents: Readonly<Record<AgentKind, GcpServiceAgent>>;
  /** Email channels by address; alarms notify the environment's alarm recipients. */
  readonly channels: Readonly<Record<string, MonitoringNotificationChannel>>;
  readonly alarmChannelIds: readonly string[];
  readonly sourceBucket: StorageBucket;
  readonly network: GcpNetwork;
  readonly services: GcpProjectServices;
  readonly thresholds: ReturnType<typeof resolveThresholds>;
  /**
   * The stack's aggregated alert conditions (one per measurement and threshold, docs/shared-tier.md):
   * the environment's shared tier, or a partitioned service stack's own.
   */
  readonly alerts: GcpAlertConditions;
  /** The environment's shared Cloud SQL instance (shared tier), when a service database uses it. */
  readonly sharedDatabase?: GcpDatabaseProxy;
}

/** Service agents that use the stack's key. */
export type AgentKind = "pubsub" | "secretmanager" | "cloudsql" | "storage";

export interface GcpServiceAgent {
  /** `serviceAccount:<e-mail>`, read from the identity resource (never built from a template). */
  readonly member: string;
  /** Its `cryptoKeyEncrypterDecrypter` grant on the stack's key. */
  readonly keyGrant: KmsCryptoKeyIamMember;
  /** A wait after the grant for IAM propagation (the same 60 s as after the build grants). */
  readonly keyGrantPropagated: Sleep;
}

/**
 * What a resource encrypted with the stack's key must wait for: the grant of that key to the
 * service agent that encrypts it, and IAM propagation after it (a time_sleep on the grant). Empty when the grant lives in another stack (a partitioned
 * service renders on the foundation stack's key, which was deployed, and granted, first).
 */
export function keyReady(scope: IConstruct, ctx: Pick<GcpContext, "agents">, kind: AgentKind): ITerraformDependable[] {
  const { keyGrant, keyGrantPropagated } = ctx.agents[kind];
  // The wait depends on the grant: a resource created right after a fresh grant is refused the key.
  return TerraformStack.of(keyGrant) === TerraformStack.of(scope) ? [keyGrantPropagated] : [];
}

/** A globally unique bucket name: the project id, then the namer's name, cut to 63 characters. */
export function bucketName(ctx: Pick<GcpContext, "projectId" | "namer">, ...parts: string[]): string {
  return `${ctx.projectId}-${ctx.namer.name(NAME_RULES.gcp.bucket, ...parts)}`.slice(0, 63).replace(/-+$/, "");
}

/**
 * The google-beta provider of the stack `scope` is in (configureGcpStack creates it at the stack
 * root as `google-beta`). Beta-only resources name it explicitly: Terraform would otherwise pick
 * the GA `google` provider from the type prefix.
 */
export function betaProvider(scope: IConstruct): TerraformProvider {
  const found = TerraformStack.of(scope).node.tryFindChild("google-beta");
  if (!(found instanceof TerraformProvider)) throw new Error(`${scope.node.path}: the stack has no google-beta provider (configureGcpStack creates it)`);
  return found;
}
