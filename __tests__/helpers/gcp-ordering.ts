/**
 * Generic resource-ordering check for synthesized GCP stacks (issue 12, item 2).
 *
 * Terraform creates a resource only after everything it references or lists in `depends_on`.
 * Ordering is transitive, so a resource counts as waiting for X when X is anywhere in the closure
 * of its references and `depends_on` entries (a subscription that references its topic waits for
 * whatever the topic waits for). Two rules:
 *
 * 1. Every google_* resource or data source waits for the `google_project_service` of each API it
 *    calls (table below; a type missing from the table is itself a finding, so a new resource type
 *    cannot slip through unchecked).
 * 2. Every resource that names a KMS key of the stack waits for the `google_kms_crypto_key_iam_member`
 *    that grants that key to the service agent encrypting it, through a `time_sleep` on that grant
 *    (IAM propagation), and that member is read from the agent's identity resource
 *    (google_project_service_identity / the Storage agent data source), not written as a string.
 *
 * The table is written from the Google API each resource calls (provider 6.50 resource → REST
 * service), independently of the modules' own choices.
 */

type Json = { resource?: Record<string, Record<string, any>>; data?: Record<string, Record<string, any>> };

const SU = "serviceusage.googleapis.com";
const CRM = "cloudresourcemanager.googleapis.com";
const api = (name: string) => `${name}.googleapis.com`;

/** Resource (or `data.` source) type → the APIs it calls. */
export const GCP_TYPE_APIS: Record<string, readonly string[] | ((body: any) => string[])> = {
  google_project_service: (b) => (b.service === SU ? [] : [SU]),
  google_project_service_identity: (b) => [SU, String(b.service)],
  "data.google_project": [CRM],
  google_project_iam_member: [CRM],
  google_project_iam_custom_role: [api("iam")],
  "data.google_storage_project_service_account": [api("storage")],
  google_kms_key_ring: [api("cloudkms")],
  google_kms_crypto_key: [api("cloudkms")],
  google_kms_crypto_key_iam_member: [api("cloudkms")],
  google_monitoring_notification_channel: [api("monitoring")],
  google_monitoring_alert_policy: [api("monitoring")],
  google_billing_budget: [api("billingbudgets")],
  google_storage_bucket: [api("storage")],
  google_storage_bucket_object: [api("storage")],
  google_storage_bucket_iam_member: [api("storage")],
  google_logging_project_bucket_config: [api("logging")],
  google_logging_project_sink: [api("logging")],
  google_logging_metric: [api("logging")],
  google_logging_project_exclusion: [api("logging")],
  google_compute_network: [api("compute")],
  google_compute_subnetwork: [api("compute")],
  google_compute_global_address: [api("compute")],
  google_compute_region_network_endpoint_group: [api("compute")],
  google_compute_backend_service: [api("compute")],
  google_compute_security_policy: [api("compute")],
  google_compute_url_map: [api("compute")],
  google_compute_managed_ssl_certificate: [api("compute")],
  google_compute_ssl_policy: [api("compute")],
  google_compute_target_http_proxy: [api("compute")],
  google_compute_target_https_proxy: [api("compute")],
  google_compute_global_forwarding_rule: [api("compute")],
  // API Gateway: the API and each config are Service Management services; Service Control checks calls.
  google_api_gateway_api: [api("apigateway"), api("servicemanagement")],
  google_api_gateway_api_config: [api("apigateway"), api("servicemanagement"), api("servicecontrol")],
  google_api_gateway_gateway: [api("apigateway")],
  google_service_networking_connection: [api("servicenetworking"), api("compute")],
  google_vpc_access_connector: [api("vpcaccess")],
  google_service_account: [api("iam")],
  google_service_account_iam_member: [api("iam")],
  google_cloudfunctions2_function: [api("cloudfunctions"), api("cloudbuild"), api("artifactregistry"), api("run")],
  google_cloud_run_v2_service_iam_member: [api("run")],
  google_cloud_run_v2_job: [api("run")],
  google_secret_manager_secret: [api("secretmanager")],
  google_secret_manager_secret_version: [api("secretmanager")],
  google_secret_manager_secret_iam_member: [api("secretmanager")],
  google_cloud_scheduler_job: [api("cloudscheduler")],
  google_pubsub_topic: [api("pubsub")],
  google_pubsub_topic_iam_member: [api("pubsub")],
  google_pubsub_subscription: [api("pubsub")],
  google_pubsub_subscription_iam_member: [api("pubsub")],
  google_sql_database_instance: [api("sqladmin")],
  google_sql_database: [api("sqladmin")],
  google_sql_user: [api("sqladmin")],
};

/** Resource type that names the stack's key → the API whose service agent encrypts with it. */
export const KEY_USERS: Record<string, string> = {
  google_pubsub_topic: api("pubsub"),
  google_secret_manager_secret: api("secretmanager"),
  google_sql_database_instance: api("sqladmin"),
  google_storage_bucket: "storage",
};
/** Types that manage the key itself rather than encrypt with it. */
const KEY_ADMIN = new Set(["google_kms_crypto_key", "google_kms_crypto_key_iam_member"]);

interface Node { address: string; type: string; body: any }

function nodes(json: Json): Map<string, Node> {
  const all = new Map<string, Node>();
  for (const [type, byName] of Object.entries(json.resource ?? {})) {
    for (const [name, body] of Object.entries(byName)) all.set(`${type}.${name}`, { address: `${type}.${name}`, type, body });
  }
  for (const [type, byName] of Object.entries(json.data ?? {})) {
    for (const [name, body] of Object.entries(byName)) all.set(`data.${type}.${name}`, { address: `data.${type}.${name}`, type: `data.${type}`, body });
  }
  return all;
}

/** Addresses a body references inside `${…}` or lists in depends_on (only addresses of this stack). */
export function directDependencies(body: any, known: ReadonlyMap<string, unknown>): Set<string> {
  const out = new Set<string>();
  for (const d of body?.depends_on ?? []) if (known.has(d)) out.add(d);
  const text = JSON.stringify({ ...body, depends_on: undefined, lifecycle: undefined });
  for (const expr of text.match(/\$\{[^}]*\}/g) ?? []) {
    for (const m of expr.matchAll(/(?<![\w.])((?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)/g)) if (known.has(m[1])) out.add(m[1]);
  }
  return out;
}

function closure(start: string, all: Map<string, Node>, cache: Map<string, Set<string>>): Set<string> {
  const seen = new Set<string>();
  const stack = [...directDependencies(all.get(start)!.body, all)];
  while (stack.length) {
    const next = stack.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    const cached = cache.get(next);
    if (cached) cached.forEach((c) => seen.add(c));
    else stack.push(...directDependencies(all.get(next)!.body, all));
  }
  cache.set(start, seen);
  return seen;
}

/** Every ordering finding of one synthesized GCP stack; empty when the stack is well ordered. */
export function gcpOrderingProblems(json: Json): string[] {
  const all = nodes(json);
  const cache = new Map<string, Set<string>>();
  const problems: string[] = [];
  const enabledBy = (deps: Set<string>) =>
    new Set([...deps].filter((d) => d.startsWith("google_project_service.")).map((d) => String(all.get(d)!.body.service)));

  for (const node of all.values()) {
    const provider = node.type.replace(/^data\./, "");
    if (!provider.startsWith("google_")) continue;
    const entry = GCP_TYPE_APIS[node.type];
    if (!entry) {
      problems.push(`${node.address}: type ${node.type} is not in the resource-type → API table`);
      continue;
    }
    const needs = typeof entry === "function" ? entry(node.body) : entry;
    const deps = closure(node.address, all, cache);
    const enabled = enabledBy(deps);
    for (const apiName of needs) if (!enabled.has(apiName)) problems.push(`${node.address}: does not wait for google_project_service ${apiName}`);

    if (node.address.startsWith("data.") || KEY_ADMIN.has(node.type)) continue;
    const keys = [...directDependencies(node.body, all)].filter((d) => d.startsWith("google_kms_crypto_key.") && JSON.stringify(node.body).includes(`\${${d}.`));
    for (const key of keys) {
      const agent = KEY_USERS[node.type];
      if (!agent) {
        problems.push(`${node.address}: names ${key} but its type has no service agent in the key-user table`);
        continue;
      }
      const granted = [...deps].some((d) => {
        if (!d.startsWith("google_kms_crypto_key_iam_member.")) return false;
        // 3. …and waits out IAM propagation after it: a time_sleep between the grant and the resource.
        if (![...deps].some((t) => t.startsWith("time_sleep.") && closure(t, all, cache).has(d))) return false;
        const grant = all.get(d)!.body;
        if (!String(grant.crypto_key_id).includes(`\${${key}.`)) return false;
        const member = [...directDependencies({ member: grant.member }, all)];
        return agent === "storage"
          ? member.some((m) => m.startsWith("data.google_storage_project_service_account."))
          : member.some((m) => m.startsWith("google_project_service_identity.") && all.get(m)!.body.service === agent);
      });
      if (!granted) problems.push(`${node.address}: names ${key} but does not wait (through a time_sleep) for its grant to the ${agent} service agent`);
    }
  }
  return problems.sort();
}
