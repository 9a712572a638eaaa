import { EnvironmentConfig, GcpEnvironmentSpec, NAME_RULES, Namer, TagMap, resolveThresholds } from "@polycloud/core";
import { DataGoogleProject } from "@cdktf/provider-google/lib/data-google-project";
import { KmsCryptoKey } from "@cdktf/provider-google/lib/kms-crypto-key";
import { MonitoringNotificationChannel } from "@cdktf/provider-google/lib/monitoring-notification-channel";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket";
import { GcpNetwork } from "./network";
import { GcpProjectServices } from "./project-services";

/** Everything the component constructs share within one environment × service. */
export interface GcpContext {
  readonly env: EnvironmentConfig;
  readonly spec: GcpEnvironmentSpec;
  readonly projectId: string;
  readonly region: string;
  /** Project number (from DataGoogleProject); service-agent e-mails are built from it. */
  readonly project: DataGoogleProject;
  readonly namer: Namer;
  /** The tag contract as labels (already lower case, valid on GCP). */
  readonly labels: TagMap;
  /** Customer-managed key for topics, secrets, the source bucket and the database. */
  readonly key: KmsCryptoKey;
  /** Email channels by address; alarms notify the environment's alarm recipients. */
  readonly channels: Readonly<Record<string, MonitoringNotificationChannel>>;
  readonly alarmChannelIds: readonly string[];
  readonly sourceBucket: StorageBucket;
  readonly network: GcpNetwork;
  readonly services: GcpProjectServices;
  readonly thresholds: ReturnType<typeof resolveThresholds>;
}

/** `service-<number>@<domain>`: Google-managed service agents of the project. */
export function serviceAgent(ctx: Pick<GcpContext, "project">, domain: string): string {
  return `serviceAccount:service-${ctx.project.number}@${domain}`;
}

/** A globally unique bucket name: the project id, then the namer's name, cut to 63 characters. */
export function bucketName(ctx: Pick<GcpContext, "projectId" | "namer">, ...parts: string[]): string {
  return `${ctx.projectId}-${ctx.namer.name(NAME_RULES.gcp.bucket, ...parts)}`.slice(0, 63).replace(/-+$/, "");
}
