import { Aspects, GcsBackend, LocalBackend, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { EnvironmentConfig, protectStatefulResources, GcpEnvironmentSpec, NAME_RULES, Namer, TagMap, resolveThresholds } from "@polycloud/core";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { GoogleBetaProvider } from "@cdktf/provider-google-beta/lib/provider";
import { GoogleProjectServiceIdentity } from "@cdktf/provider-google-beta/lib/google-project-service-identity";
import { TimeProvider } from "@cdktf/provider-time/lib/provider";
import { Sleep } from "@cdktf/provider-time/lib/sleep";
import { DataGoogleProject } from "@cdktf/provider-google/lib/data-google-project";
import { DataGoogleStorageProjectServiceAccount } from "@cdktf/provider-google/lib/data-google-storage-project-service-account";
import { KmsCryptoKey } from "@cdktf/provider-google/lib/kms-crypto-key";
import { KmsCryptoKeyIamMember } from "@cdktf/provider-google/lib/kms-crypto-key-iam-member";
import { KmsKeyRing } from "@cdktf/provider-google/lib/kms-key-ring";
import { LoggingProjectBucketConfig } from "@cdktf/provider-google/lib/logging-project-bucket-config";
import { LoggingProjectExclusion } from "@cdktf/provider-google/lib/logging-project-exclusion";
import { LoggingProjectSink } from "@cdktf/provider-google/lib/logging-project-sink";
import { MonitoringNotificationChannel } from "@cdktf/provider-google/lib/monitoring-notification-channel";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket";
import { GcpAlertConditions } from "./alert-conditions";
import { AgentKind, GcpContext, GcpServiceAgent, bucketName } from "./context";
import { BUILD_IAM_PROPAGATION, DEFAULT_LOG_RETENTION_DAYS } from "./limits";
import { GcpNetwork } from "./network";
import { GcpProjectServices } from "./project-services";
import { recreatableName } from "./recreatable-name";

export interface GcpFoundationProps {
  readonly env: EnvironmentConfig;
  readonly serviceName: string;
  readonly tags: TagMap;
  /** Serves several services (a multi-service or partitioned environment). */
  readonly shared?: boolean;
}

export interface GcpProviders {
  readonly google: GoogleProvider;
  /** Same project, region, labels and quota project; used only for google_project_service_identity. */
  readonly beta: GoogleBetaProvider;
  /** time_sleep (IAM propagation before the first function build). */
  readonly time: TimeProvider;
}

/**
 * What every GCP stack needs: the providers (google and google-beta with the same project, region,
 * default labels and quota project for the Budget API; time), its own state (GCS or local) and the
 * prod protection aspect.
 */
export function configureGcpStack(scope: TerraformStack, env: EnvironmentConfig, tags: TagMap, stateName: string): GcpProviders {
  const spec: GcpEnvironmentSpec = env.clouds.gcp ?? { projectId: "", region: "", billingAccount: "" };
  // Stateful resources (databases, queues, buses, secrets, keys, buckets) survive plans in prod.
  Aspects.of(scope).add(protectStatefulResources(env.deletionProtection));
  const common = {
    project: spec.projectId,
    region: spec.region,
    defaultLabels: { ...tags },
    // The Billing Budget API needs a quota project when Terraform runs with user credentials.
    userProjectOverride: true,
    billingProject: spec.projectId,
  };
  const google = new GoogleProvider(scope, "google", common);
  const beta = new GoogleBetaProvider(scope, "google-beta", common);
  const time = new TimeProvider(scope, "time", {});
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
  return { google, beta, time };
}

/** Service agents that encrypt with the stack's key, created by google_project_service_identity. */
const IDENTITY_APIS: Record<Exclude<AgentKind, "storage">, string> = {
  pubsub: "pubsub.googleapis.com",
  secretmanager: "secretmanager.googleapis.com",
  cloudsql: "sqladmin.googleapis.com",
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
    const providers = configureGcpStack(scope, props.env, props.tags, props.serviceName);
    this.provider = providers.google;
    const spec: GcpEnvironmentSpec = props.env.clouds.gcp ?? { projectId: "", region: "", billingAccount: "" };
    const namer = new Namer(props.serviceName, props.env.name);
    const { projectId, region } = spec;
    const prod = props.env.deletionProtection;

    const services = new GcpProjectServices(this, "apis", projectId);
    const [crmApi] = services.enable("cloudresourcemanager.googleapis.com");
    const project = new DataGoogleProject(this, "project", { projectId, dependsOn: [crmApi] });

    const [kmsApi] = services.enable("cloudkms.googleapis.com");
    // Key rings cannot be deleted (a destroy only forgets them): outside prod the name ends in its
    // creation time, so a destroyed environment recreates a new ring instead of failing on the old one.
    const ringName = recreatableName(this, "keyring-generation", namer.name(NAME_RULES.gcp.generic, "platform"), 63, prod).name;
    const ring = new KmsKeyRing(this, "keyring", { name: ringName, location: region, dependsOn: [kmsApi] });
    const key = new KmsCryptoKey(this, "key", {
      name: "platform",
      keyRing: ring.id,
      purpose: "ENCRYPT_DECRYPT",
      rotationPeriod: "7776000s",
      destroyScheduledDuration: prod ? "2592000s" : "86400s",
      lifecycle: { preventDestroy: prod },
    });

    // The Cloud SQL and Secret Manager agents exist only once created; the Pub/Sub one is created
    // here too rather than assumed. Each is created after its API, and its member is read from it.
    const [storageApi] = services.enable("storage.googleapis.com");
    const members: Record<AgentKind, string> = {
      ...(Object.fromEntries(Object.entries(IDENTITY_APIS).map(([kind, api]) => {
        const identity = new GoogleProjectServiceIdentity(this, `agent-${kind}`, {
          provider: providers.beta,
          project: projectId,
          service: api,
          dependsOn: services.enable(api),
        });
        return [kind, identity.member];
      })) as Record<Exclude<AgentKind, "storage">, string>),
      // Reading the Cloud Storage agent also creates it.
      storage: new DataGoogleStorageProjectServiceAccount(this, "agent-storage", { project: projectId, dependsOn: [storageApi] }).member,
    };
    const agents = Object.fromEntries((Object.keys(members) as AgentKind[]).map((kind): [AgentKind, GcpServiceAgent] => {
      const keyGrant = new KmsCryptoKeyIamMember(this, `key-${kind}`, {
        cryptoKeyId: key.id,
        role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
        member: members[kind],
      });
      // IAM is eventually consistent: a CMEK resource created right after the grant can be refused the key.
      const keyGrantPropagated = new Sleep(this, `key-${kind}-propagation`, { createDuration: BUILD_IAM_PROPAGATION, dependsOn: [keyGrant] });
      return [kind, { member: members[kind], keyGrant, keyGrantPropagated }];
    })) as Record<AgentKind, GcpServiceAgent>;

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

    const sourceBucket = new StorageBucket(this, "source-bucket", {
      name: bucketName({ projectId, namer }, "src"),
      location: region,
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      versioning: { enabled: true },
      encryption: { defaultKmsKeyName: key.id },
      forceDestroy: !prod,
      lifecycleRule: [{ action: { type: "Delete" }, condition: { numNewerVersions: 3, withState: "ARCHIVED" } }],
      dependsOn: [storageApi, agents.storage.keyGrantPropagated],
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
      const filter = `(resource.type="cloud_run_revision" AND resource.labels.service_name=~"${prefix}") OR (resource.type="http_load_balancer" AND resource.labels.url_map_name=~"${prefix}")`;
      const sink = new LoggingProjectSink(this, "log-sink", {
        name: namer.name(NAME_RULES.gcp.generic, "logs"),
        destination: `logging.googleapis.com/${bucket.id}`,
        filter,
        uniqueWriterIdentity: true,
        dependsOn: [loggingApi],
      });
      // The same logs leave _Default, or they are kept (and paid for) twice and the retention is not
      // enforced. A project exclusion is an exclusion on the _Default sink (Logging API
      // projects.exclusions); managing the _Default sink itself would take over its whole
      // configuration, shared with every other workload of the project.
      new LoggingProjectExclusion(this, "log-default-exclusion", {
        name: namer.name(NAME_RULES.gcp.generic, "logs"),
        project: projectId,
        description: `${props.serviceName} ${props.env.name}: kept ${logDays} days in ${namer.name(NAME_RULES.gcp.generic, "logs")} instead of _Default`,
        filter,
        dependsOn: [sink],
      });
    }

    const network = new GcpNetwork(this, "network", { spec, namer, services });
    const alarmChannelIds = (props.env.alarms?.recipients ?? []).map((r) => channels[r].id);
    this.context = {
      env: props.env,
      spec,
      projectId,
      region,
      project,
      namer,
      labels: props.tags,
      key,
      agents,
      channels,
      alarmChannelIds,
      sourceBucket,
      network,
      services,
      thresholds: resolveThresholds(props.env.alarms?.thresholds),
      // The stack's aggregated alert conditions (empty until a component registers one). The
      // platform's stacks render them in the shared tier instead (GcpSharedTier.alerts).
      alerts: new GcpAlertConditions(this, "alerts", { alarmChannelIds, labels: props.tags, services }),
    };
  }
}
