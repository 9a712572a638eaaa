import { Aspects, GcsBackend, LocalBackend, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { EnvironmentConfig, protectStatefulResources, GcpEnvironmentSpec, NAME_RULES, Namer, TagMap, resolveThresholds } from "@polycloud/core";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { DataGoogleProject } from "@cdktf/provider-google/lib/data-google-project";
import { KmsCryptoKey } from "@cdktf/provider-google/lib/kms-crypto-key";
import { KmsCryptoKeyIamMember } from "@cdktf/provider-google/lib/kms-crypto-key-iam-member";
import { KmsKeyRing } from "@cdktf/provider-google/lib/kms-key-ring";
import { LoggingProjectBucketConfig } from "@cdktf/provider-google/lib/logging-project-bucket-config";
import { LoggingProjectSink } from "@cdktf/provider-google/lib/logging-project-sink";
import { MonitoringNotificationChannel } from "@cdktf/provider-google/lib/monitoring-notification-channel";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket";
import { GcpContext, bucketName, serviceAgent } from "./context";
import { DEFAULT_LOG_RETENTION_DAYS } from "./limits";
import { GcpNetwork } from "./network";
import { GcpProjectServices } from "./project-services";

export interface GcpFoundationProps {
  readonly env: EnvironmentConfig;
  readonly serviceName: string;
  readonly tags: TagMap;
  /** Serves several services (a multi-service or partitioned environment). */
  readonly shared?: boolean;
}

/**
 * What every GCP stack needs: the provider (project, region, default labels, quota project for
 * the Budget API), its own state (GCS or local) and the prod protection aspect.
 */
export function configureGcpStack(scope: TerraformStack, env: EnvironmentConfig, tags: TagMap, stateName: string): GoogleProvider {
  const spec: GcpEnvironmentSpec = env.clouds.gcp ?? { projectId: "", region: "", billingAccount: "" };
  // Stateful resources (databases, queues, buses, secrets, keys, buckets) survive plans in prod.
  Aspects.of(scope).add(protectStatefulResources(env.deletionProtection));
  const provider = new GoogleProvider(scope, "google", {
    project: spec.projectId,
    region: spec.region,
    defaultLabels: { ...tags },
    // The Billing Budget API needs a quota project when Terraform runs with user credentials.
    userProjectOverride: true,
    billingProject: spec.projectId,
  });
  if (spec.backend) {
    new GcsBackend(scope, {
      bucket: spec.backend.bucket,
      prefix: spec.backend.prefix ?? `${env.name}/gcp/${stateName}`,
      kmsEncryptionKey: spec.backend.kmsEncryptionKey,
      impersonateServiceAccount: spec.backend.impersonateServiceAccount,
    });
  } else {
    new LocalBackend(scope, { path: `terraform.${scope.node.id}.tfstate` });
  }
  return provider;
}

/** Service agents that encrypt with the stack's key (built from the project number). */
const CMEK_AGENTS: Record<string, string> = {
  pubsub: "gcp-sa-pubsub.iam.gserviceaccount.com",
  secretmanager: "gcp-sa-secretmanager.iam.gserviceaccount.com",
  cloudsql: "gcp-sa-cloud-sql.iam.gserviceaccount.com",
  storage: "gs-project-accounts.iam.gserviceaccount.com",
};

/**
 * Provider with default labels, state backend, enabled APIs, the stack's KMS key, alarm
 * notification channels, the function source bucket, the log bucket and the network.
 * One per `<env>-gcp` stack.
 */
export class GcpFoundation extends Construct {
  readonly context: GcpContext;
  readonly provider: GoogleProvider;

  constructor(scope: TerraformStack, id: string, props: GcpFoundationProps) {
    super(scope, id);
    this.provider = configureGcpStack(scope, props.env, props.tags, props.serviceName);
    const spec: GcpEnvironmentSpec = props.env.clouds.gcp ?? { projectId: "", region: "", billingAccount: "" };
    const namer = new Namer(props.serviceName, props.env.name);
    const { projectId, region } = spec;
    const prod = props.env.deletionProtection;

    const services = new GcpProjectServices(this, "apis", projectId);
    const project = new DataGoogleProject(this, "project", { projectId });

    const [kmsApi] = services.enable("cloudkms.googleapis.com");
    const ring = new KmsKeyRing(this, "keyring", { name: namer.name(NAME_RULES.gcp.generic, "platform"), location: region, dependsOn: [kmsApi] });
    const key = new KmsCryptoKey(this, "key", {
      name: "platform",
      keyRing: ring.id,
      purpose: "ENCRYPT_DECRYPT",
      rotationPeriod: "7776000s",
      destroyScheduledDuration: prod ? "2592000s" : "86400s",
      lifecycle: { preventDestroy: prod },
    });
    const partial = { project };
    for (const [agent, domain] of Object.entries(CMEK_AGENTS)) {
      new KmsCryptoKeyIamMember(this, `key-${agent}`, {
        cryptoKeyId: key.id,
        role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
        member: serviceAgent(partial, domain),
      });
    }

    const [monitoringApi] = services.enable("monitoring.googleapis.com");
    const channels: Record<string, MonitoringNotificationChannel> = {};
    const recipients = [...new Set([...(props.env.alarms?.recipients ?? []), ...(props.env.budget?.recipients ?? [])])];
    recipients.forEach((email, i) => {
      channels[email] = new MonitoringNotificationChannel(this, `channel-${i}`, {
        displayName: `${props.serviceName} ${props.env.name} ${email}`,
        type: "email",
        // `labels` here is channel configuration, not resource labels: tags go in user_labels.
        labels: { email_address: email },
        userLabels: { ...props.tags },
        dependsOn: [monitoringApi],
      });
    });

    const [storageApi] = services.enable("storage.googleapis.com");
    const sourceBucket = new StorageBucket(this, "source-bucket", {
      name: bucketName({ projectId, namer }, "src"),
      location: region,
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      versioning: { enabled: true },
      encryption: { defaultKmsKeyName: key.id },
      forceDestroy: !prod,
      lifecycleRule: [{ action: { type: "Delete" }, condition: { numNewerVersions: 3, withState: "ARCHIVED" } }],
      dependsOn: [storageApi],
    });

    const logDays = props.env.retention?.logDays ?? DEFAULT_LOG_RETENTION_DAYS;
    if (logDays !== DEFAULT_LOG_RETENTION_DAYS) {
      // _Default keeps 30 days and cannot be changed per service: route this service's function
      // and load-balancer logs to a bucket with the environment's retention.
      const [loggingApi] = services.enable("logging.googleapis.com");
      const bucket = new LoggingProjectBucketConfig(this, "log-bucket", {
        project: projectId,
        location: region,
        bucketId: namer.name(NAME_RULES.gcp.generic, "logs"),
        retentionDays: logDays,
        description: `${props.serviceName} ${props.env.name}: function and gateway logs, ${logDays} days`,
        dependsOn: [loggingApi],
      });
      // Every service of this environment (the project may host several, or partitioned stacks).
      const prefix = props.shared ? `^[a-z0-9-]+-${props.env.name}-` : `^${namer.name(NAME_RULES.gcp.generic)}-`;
      new LoggingProjectSink(this, "log-sink", {
        name: namer.name(NAME_RULES.gcp.generic, "logs"),
        destination: `logging.googleapis.com/${bucket.id}`,
        filter: `(resource.type="cloud_run_revision" AND resource.labels.service_name=~"${prefix}") OR (resource.type="http_load_balancer" AND resource.labels.url_map_name=~"${prefix}")`,
        uniqueWriterIdentity: true,
      });
    }

    const network = new GcpNetwork(this, "network", { spec, namer, services });
    this.context = {
      env: props.env,
      spec,
      projectId,
      region,
      project,
      namer,
      labels: props.tags,
      key,
      channels,
      alarmChannelIds: (props.env.alarms?.recipients ?? []).map((r) => channels[r].id),
      sourceBucket,
      network,
      services,
      thresholds: resolveThresholds(props.env.alarms?.thresholds),
    };
  }
}
