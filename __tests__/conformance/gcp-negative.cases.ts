import { ConformanceContext } from "@polycloud/core";
import { GCP_CAPABILITIES } from "@polycloud/gcp";
import { referenceService } from "../../stacks/reference-service";
import { envByName } from "../helpers/synth";
import { allStacks } from "../helpers/all-stacks";

/** Each GCP conformance check is shown to fire on a doctored prod stack. */
const env = envByName("prod");
const service = referenceService(env);
const prod: ConformanceContext = { json: allStacks()["prod-gcp"], service, env };
// The first resource of a type that renders a spec function (not a database's migration step).
const first = (json: any, type: string) => Object.entries(json.resource[type]).find(([k]) => !/_db-[a-z0-9-]+-migrate_/.test(k))![1] as any;
const named = (json: any, type: string, name: string) => Object.values(json.resource[type]).find((r: any) => r.name === name) as any;

const cases: [string, (json: any) => void][] = [
  ["function.runtime", (j) => (first(j, "google_cloudfunctions2_function").build_config.runtime = "nodejs18")],
  ["function.memory", (j) => (first(j, "google_cloudfunctions2_function").service_config.available_memory = "128M")],
  ["function.timeout", (j) => (first(j, "google_cloudfunctions2_function").service_config.timeout_seconds = 1)],
  ["function.identity", (j) => (first(j, "google_project_iam_member").role = "roles/editor")],
  ["function.logRetention", (j) => (first(j, "google_logging_project_bucket_config").retention_days = 30)],
  ["function.tracing", (j) => Object.values(j.resource.google_project_iam_member).forEach((m: any) => m.role === "roles/cloudtrace.agent" && (m.role = "roles/none"))],
  ["function.secrets", (j) => delete named(j, "google_cloudfunctions2_function", "orders-prod-api").service_config.secret_environment_variables],
  ["function.concurrency", (j) => (named(j, "google_cloudfunctions2_function", "orders-prod-api").service_config.max_instance_count = 1000)],
  ["function.warmInstances", (j) => (named(j, "google_cloudfunctions2_function", "orders-prod-api").service_config.min_instance_count = 0)],
  ["function.asyncFailure", (j) => delete named(j, "google_pubsub_subscription", "orders-prod-orders").dead_letter_policy],
  // The DELETE-less config: the POST /orders operation goes to the worker instead of the api function.
  ["gateway.routes", (j) => { const d = first(j, "google_api_gateway_api_config").openapi_documents[0].document; d.contents = d.contents.replace(/("\/orders" = \{"post" = \{"operationId" = "[^"]+", "x-google-backend" = \{"address" = google_cloudfunctions2_function\.orders_fn-)api_fn_/, "$1worker_fn_"); }],
  ["gateway.throttle", (j) => (first(j, "google_compute_security_policy").rule[0].rate_limit_options.rate_limit_threshold.count = 1)],
  ["gateway.cors", (j) => delete named(j, "google_cloudfunctions2_function", "orders-prod-api").service_config.environment_variables.PLATFORM_CORS],
  // One authorized operation loses its security requirement.
  ["gateway.jwt", (j) => { const d = first(j, "google_api_gateway_api_config").openapi_documents[0].document; d.contents = d.contents.replace(', "security" = [{"jwt" = []}]', ""); }],
  ["gateway.accessLogs", (j) => (first(j, "google_compute_backend_service").log_config.enable = false)],
  ["gateway.invokeScope", (j) => (named(j, "google_cloudfunctions2_function", "orders-prod-worker").service_config.ingress_settings = "ALLOW_ALL")],
  ["queue.dlq", (j) => (named(j, "google_pubsub_subscription", "orders-prod-orders").dead_letter_policy.max_delivery_attempts = 50)],
  ["queue.dlqRetention", (j) => (named(j, "google_pubsub_subscription", "orders-prod-orders-dlq").message_retention_duration = "86400s")],
  ["queue.visibility", (j) => (named(j, "google_pubsub_subscription", "orders-prod-orders").ack_deadline_seconds = 10)],
  ["queue.encryption", (j) => delete first(j, "google_pubsub_topic").kms_key_name],
  ["queue.consumer", (j) => delete named(j, "google_pubsub_subscription", "orders-prod-orders").push_config.oidc_token],
  ["bus.rules", (j) => delete named(j, "google_pubsub_subscription", "orders-prod-events-order-created").filter],
  ["bus.retry", (j) => delete named(j, "google_pubsub_subscription", "orders-prod-events-order-created").retry_policy],
  ["bus.dlq", (j) => Object.entries(j.resource.google_pubsub_subscription).forEach(([k, s]: any) => s.name === "orders-prod-events-order-created-dlq" && delete j.resource.google_pubsub_subscription[k])],
  ["bus.archive", (j) => Object.values(j.resource.google_storage_bucket).forEach((b: any) => b.lifecycle_rule && (b.lifecycle_rule[0].condition.age = 1))],
  ["proxy.pool", (j) => (first(j, "google_sql_database_instance").settings.connection_pool_config[0].connection_pooling_enabled = false)],
  ["proxy.tls", (j) => (first(j, "google_sql_database_instance").settings.ip_configuration.ssl_mode = "ALLOW_UNENCRYPTED_AND_ENCRYPTED")],
  ["proxy.iamAuth", (j) => (first(j, "google_sql_user").type = "BUILT_IN")],
  ["proxy.private", (j) => (first(j, "google_sql_database_instance").settings.ip_configuration.ipv4_enabled = true)],
  ["proxy.backups", (j) => (first(j, "google_sql_database_instance").settings.backup_configuration.point_in_time_recovery_enabled = false)],
  ["proxy.deletionProtection", (j) => (first(j, "google_sql_database_instance").deletion_protection = false)],
  ["alarms.channel", (j) => (first(j, "google_monitoring_alert_policy").notification_channels = [])],
  ["alarms.components", (j) => (j.resource.google_monitoring_alert_policy = {})],
  ["budget.notifications", (j) => (first(j, "google_billing_budget").threshold_rules = [])],
  ["tags.required", (j) => delete j.provider.google[0].default_labels.owner],
];

test("every capability has a negative control", () => {
  expect(cases.map(([id]) => id).sort()).toEqual(Object.keys(GCP_CAPABILITIES).sort());
});

test.each(cases)("%s fires", (id, mutate) => {
  const json = JSON.parse(JSON.stringify(prod.json));
  mutate(json);
  expect((GCP_CAPABILITIES as any)[id].check({ ...prod, json }).length).toBeGreaterThan(0);
});

test("function.identity: the build role objectAdmin fires without its gcf-v2-sources condition; queue.dlq fires on a hand-built agent member", () => {
  const check = (id: string, mutate: (j: any) => void) => {
    const json = JSON.parse(JSON.stringify(prod.json));
    mutate(json);
    return (GCP_CAPABILITIES as any)[id].check({ ...prod, json });
  };
  expect(check("function.identity", () => {})).toEqual([]);
  expect(check("function.identity", (j) => { delete Object.values<any>(j.resource.google_project_iam_member).find((m) => m.role === "roles/storage.objectAdmin").condition; }))
    .toEqual(["broad project role roles/storage.objectAdmin"]);
  expect(check("queue.dlq", () => {})).toEqual([]);
  expect(check("queue.dlq", (j) => {
    for (const m of Object.values<any>(j.resource.google_pubsub_topic_iam_member)) m.member = m.member.replace(/^\$\{google_project_service_identity\.[^}]+\}$/, "serviceAccount:service-1@gcp-sa-pubsub.iam.gserviceaccount.com");
  })).toEqual(["Pub/Sub agent cannot publish to every dead-letter topic"]);
});
