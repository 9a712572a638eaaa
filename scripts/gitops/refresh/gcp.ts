import { RefreshTable } from "./types";

/**
 * Google provider 6.50 (hashicorp/terraform-provider-google at v6.50.0, google/services/<api>/…):
 * the REST method each Read calls (`calls`, as the API discovery documents name them) and the IAM
 * permissions those methods require. __tests__/gitops/plan-identities.test.ts checks every method
 * against a table of Google's REST reference pages (the permission each method's page names),
 * kept as a test fixture.
 */
const svc = (path: string) => `google/services/${path}.go`;

export const GCP_REFRESH: RefreshTable = {
  google_api_gateway_api: { calls: ["apigateway.projects.locations.apis.get"], permissions: ["apigateway.apis.get"], source: "google-beta: " + svc("apigateway/resource_api_gateway_api") },
  google_api_gateway_api_config: { calls: ["apigateway.projects.locations.apis.configs.get"], permissions: ["apigateway.apiconfigs.get"], source: "google-beta: " + svc("apigateway/resource_api_gateway_api_config") },
  google_api_gateway_gateway: { calls: ["apigateway.projects.locations.gateways.get"], permissions: ["apigateway.gateways.get"], source: "google-beta: " + svc("apigateway/resource_api_gateway_gateway") },
  google_billing_budget: {
    calls: ["billingbudgets.billingAccounts.budgets.get"], permissions: ["billing.budgets.get"], source: svc("billing/resource_billing_budget"),
    note: "Granted on the billing account (roles/billing.viewer), not the project: budgets live under the billing account.",
  },
  // A scheduled rule's job (coffee's morning schedule): Read GETs projects/{project}/locations/{region}/jobs/{name}.
  google_cloud_scheduler_job: { calls: ["cloudscheduler.projects.locations.jobs.get"], permissions: ["cloudscheduler.jobs.get"], source: svc("cloudscheduler/resource_cloud_scheduler_job") },
  google_cloud_run_v2_service_iam_member: { calls: ["run.projects.locations.services.getIamPolicy"], permissions: ["run.services.getIamPolicy"], source: svc("cloudrunv2/iam_cloud_run_v2_service") },
  google_cloudfunctions2_function: { calls: ["cloudfunctions.projects.locations.functions.get"], permissions: ["cloudfunctions.functions.get"], source: svc("cloudfunctions2/resource_cloudfunctions2_function") },
  google_compute_backend_service: { calls: ["compute.backendServices.get"], permissions: ["compute.backendServices.get"], source: svc("compute/resource_compute_backend_service") },
  google_compute_global_address: { calls: ["compute.globalAddresses.get"], permissions: ["compute.globalAddresses.get"], source: svc("compute/resource_compute_global_address") },
  google_compute_global_forwarding_rule: { calls: ["compute.globalForwardingRules.get"], permissions: ["compute.globalForwardingRules.get"], source: svc("compute/resource_compute_global_forwarding_rule") },
  google_compute_managed_ssl_certificate: { calls: ["compute.sslCertificates.get"], permissions: ["compute.sslCertificates.get"], source: svc("compute/resource_compute_managed_ssl_certificate") },
  google_compute_network: { calls: ["compute.networks.get"], permissions: ["compute.networks.get"], source: svc("compute/resource_compute_network") },
  google_compute_region_network_endpoint_group: { calls: ["compute.regionNetworkEndpointGroups.get"], permissions: ["compute.regionNetworkEndpointGroups.get"], source: svc("compute/resource_compute_region_network_endpoint_group") },
  google_compute_security_policy: { calls: ["compute.securityPolicies.get"], permissions: ["compute.securityPolicies.get"], source: svc("compute/resource_compute_security_policy") },
  google_compute_ssl_policy: { calls: ["compute.sslPolicies.get"], permissions: ["compute.sslPolicies.get"], source: svc("compute/resource_compute_ssl_policy") },
  google_compute_subnetwork: { calls: ["compute.subnetworks.get"], permissions: ["compute.subnetworks.get"], source: svc("compute/resource_compute_subnetwork") },
  google_compute_target_http_proxy: { calls: ["compute.targetHttpProxies.get"], permissions: ["compute.targetHttpProxies.get"], source: svc("compute/resource_compute_target_http_proxy") },
  google_compute_target_https_proxy: { calls: ["compute.targetHttpsProxies.get"], permissions: ["compute.targetHttpsProxies.get"], source: svc("compute/resource_compute_target_https_proxy") },
  google_compute_url_map: { calls: ["compute.urlMaps.get"], permissions: ["compute.urlMaps.get"], source: svc("compute/resource_compute_url_map") },
  google_kms_crypto_key: { calls: ["cloudkms.projects.locations.keyRings.cryptoKeys.get"], permissions: ["cloudkms.cryptoKeys.get"], source: svc("kms/resource_kms_crypto_key") },
  google_kms_crypto_key_iam_member: { calls: ["cloudkms.projects.locations.keyRings.cryptoKeys.getIamPolicy"], permissions: ["cloudkms.cryptoKeys.getIamPolicy"], source: svc("kms/iam_kms_crypto_key") },
  google_kms_key_ring: { calls: ["cloudkms.projects.locations.keyRings.get"], permissions: ["cloudkms.keyRings.get"], source: svc("kms/resource_kms_key_ring") },
  google_logging_project_bucket_config: { calls: ["logging.projects.locations.buckets.get"], permissions: ["logging.buckets.get"], source: svc("logging/resource_logging_project_bucket_config") },
  google_logging_project_exclusion: { calls: ["logging.projects.exclusions.get"], permissions: ["logging.exclusions.get"], source: svc("logging/resource_logging_project_exclusion") },
  google_logging_metric: { calls: ["logging.projects.metrics.get"], permissions: ["logging.logMetrics.get"], source: svc("logging/resource_logging_metric") },
  google_logging_project_sink: { calls: ["logging.projects.sinks.get"], permissions: ["logging.sinks.get"], source: svc("logging/resource_logging_project_sink") },
  google_monitoring_alert_policy: { calls: ["monitoring.projects.alertPolicies.get"], permissions: ["monitoring.alertPolicies.get"], source: svc("monitoring/resource_monitoring_alert_policy") },
  google_monitoring_notification_channel: { calls: ["monitoring.projects.notificationChannels.get"], permissions: ["monitoring.notificationChannels.get"], source: svc("monitoring/resource_monitoring_notification_channel") },
  google_project_iam_custom_role: { calls: ["iam.projects.roles.get"], permissions: ["iam.roles.get"], source: svc("resourcemanager/resource_google_project_iam_custom_role") },
  google_cloud_run_v2_job: { calls: ["run.projects.locations.jobs.get"], permissions: ["run.jobs.get"], source: "google-beta/services/cloudrunv2/resource_cloud_run_v2_job.go (google-beta: run_execution_token)" },
  google_project_iam_member: { calls: ["cloudresourcemanager.projects.getIamPolicy"], permissions: ["resourcemanager.projects.getIamPolicy"], source: svc("resourcemanager/iam_project") },
  google_project_service: {
    calls: ["cloudresourcemanager.projects.get", "serviceusage.services.list"], permissions: ["resourcemanager.projects.get", "serviceusage.services.list"],
    source: svc("resourcemanager/resource_google_project_service"),
  },
  // Its Read only keeps the state: the identity is created by generateServiceIdentity on create.
  google_project_service_identity: { calls: [], permissions: [], source: "google-beta: " + svc("resourcemanager/resource_project_service_identity") },
  google_pubsub_subscription: { calls: ["pubsub.projects.subscriptions.get"], permissions: ["pubsub.subscriptions.get"], source: svc("pubsub/resource_pubsub_subscription") },
  google_pubsub_subscription_iam_member: { calls: ["pubsub.projects.subscriptions.getIamPolicy"], permissions: ["pubsub.subscriptions.getIamPolicy"], source: svc("pubsub/iam_pubsub_subscription") },
  google_pubsub_topic: { calls: ["pubsub.projects.topics.get"], permissions: ["pubsub.topics.get"], source: svc("pubsub/resource_pubsub_topic") },
  google_pubsub_topic_iam_member: { calls: ["pubsub.projects.topics.getIamPolicy"], permissions: ["pubsub.topics.getIamPolicy"], source: svc("pubsub/iam_pubsub_topic") },
  google_secret_manager_secret: { calls: ["secretmanager.projects.secrets.get"], permissions: ["secretmanager.secrets.get"], source: svc("secretmanager/resource_secret_manager_secret") },
  google_secret_manager_secret_iam_member: { calls: ["secretmanager.projects.secrets.getIamPolicy"], permissions: ["secretmanager.secrets.getIamPolicy"], source: svc("secretmanager/iam_secret_manager_secret") },
  google_secret_manager_secret_version: {
    calls: ["secretmanager.projects.secrets.versions.get"], permissions: ["secretmanager.versions.get"], source: svc("secretmanager/resource_secret_manager_secret_version"),
    note: "No secretmanager.versions.access: 6.50's Read skips the payload (`:access`) when `secret_data_wo_version` is in state (flattenSecretManagerSecretVersionPayload, lines 476-480), and the field (default 0) is in the state of every version 6.50 created. A version created by a provider before write-only support would need the payload read once; refresh it with the deploy identity (a deploy) first.",
  },
  google_service_account: { calls: ["iam.projects.serviceAccounts.get"], permissions: ["iam.serviceAccounts.get"], source: svc("resourcemanager/resource_google_service_account") },
  google_service_account_iam_member: { calls: ["iam.projects.serviceAccounts.getIamPolicy"], permissions: ["iam.serviceAccounts.getIamPolicy"], source: svc("resourcemanager/iam_service_account") },
  google_service_networking_connection: {
    calls: ["servicenetworking.services.connections.list", "compute.networks.get", "cloudresourcemanager.projects.get"],
    permissions: ["servicenetworking.services.get", "compute.networks.get", "resourcemanager.projects.get"],
    source: svc("servicenetworking/resource_service_networking_connection"),
  },
  google_sql_database: { calls: ["sql.databases.get"], permissions: ["cloudsql.databases.get"], source: svc("sql/resource_sql_database") },
  google_sql_database_instance: { calls: ["sql.instances.get"], permissions: ["cloudsql.instances.get"], source: svc("sql/resource_sql_database_instance") },
  google_sql_user: { calls: ["sql.users.list"], permissions: ["cloudsql.users.list"], source: svc("sql/resource_sql_user") },
  google_storage_bucket: { calls: ["storage.buckets.get"], permissions: ["storage.buckets.get", "storage.buckets.getIamPolicy"], source: svc("storage/resource_storage_bucket"), note: "roles/viewer includes neither (getIamPolicy: the method with ACL projection)." },
  google_storage_bucket_iam_member: { calls: ["storage.buckets.getIamPolicy"], permissions: ["storage.buckets.getIamPolicy"], source: svc("storage/iam_storage_bucket") },
  google_storage_bucket_object: {
    calls: ["storage.objects.get"], permissions: ["storage.objects.get", "storage.objects.getIamPolicy"], source: svc("storage/resource_storage_bucket_object"),
    note: "The Read fetches the object's metadata only, but the permission also allows downloading: granted only on the function source buckets (an IAM condition on the object name), never project-wide (the event archive bucket holds data).",
  },
  google_vpc_access_connector: { calls: ["vpcaccess.projects.locations.connectors.get"], permissions: ["vpcaccess.connectors.get"], source: svc("vpcaccess/resource_vpc_access_connector") },
  time_sleep: { calls: [], permissions: [], source: "hashicorp/time: no API" },
  time_static: { calls: [], permissions: [], source: "hashicorp/time: no API" },
  "data.google_project": { calls: ["cloudresourcemanager.projects.get"], permissions: ["resourcemanager.projects.get"], source: svc("resourcemanager/data_source_google_project") },
  "data.google_storage_project_service_account": {
    calls: ["storage.projects.serviceAccount.get"], permissions: ["resourcemanager.projects.get"], source: svc("storage/data_source_google_storage_project_service_account"),
    note: "projects.serviceAccount.get names no IAM permission of its own; the caller needs access to the project.",
  },
};

/**
 * Every request carries the quota project (`user_project_override` with `billing_project` in the
 * stacks' provider blocks), which requires serviceusage.services.use on it.
 */
export const GCP_PROVIDER_LEVEL: readonly string[] = ["serviceusage.services.use"];

/** Granted on other resources than the project (see the notes above). */
export const GCP_SCOPED: Readonly<Record<string, "billing-account" | "source-buckets">> = {
  "billing.budgets.get": "billing-account",
  "storage.objects.get": "source-buckets",
  "storage.objects.getIamPolicy": "source-buckets",
};
