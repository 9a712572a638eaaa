import { createHash } from "node:crypto";
import { EmulatedStack, Traversal, resolveReferences, timeProviderValue } from "@polycloud/core";

const short = (s: string, n = 10) => createHash("sha256").update(s).digest("hex").slice(0, n);
const REGION_CODES: Record<string, string> = { "europe-west1": "ew", "europe-west3": "ey", "europe-west4": "ez", "us-central1": "uc", "us-east1": "ue", "us-east4": "uk", "us-west1": "uw", "asia-northeast1": "an" };

/**
 * The values GCP gives the attributes a stack references (ids, e-mails, URLs, private IPs, the
 * Cloud SQL server CA), made deterministic from the JSON, as after an apply.
 */
export class GcpValues {
  readonly project: string;
  readonly region: string;
  /** PEM of each Cloud SQL instance's server CA (set by the Cloud SQL emulation). */
  readonly serverCa = new Map<string, string>();

  constructor(readonly stack: EmulatedStack) {
    const provider = (stack.json.provider?.google ?? stack.json.provider?.["google-beta"] ?? [])[0] ?? {};
    this.project = String(provider.project ?? "local-project");
    this.region = String(provider.region ?? "us-central1");
  }

  resource(type: string, name: string): any {
    const r = this.stack.json.resource?.[type]?.[name];
    if (!r) throw new Error(`runner (gcp): ${type}.${name} is referenced but not in the stack`);
    return r;
  }

  resources(type: string): [string, any][] {
    return Object.entries(this.stack.json.resource?.[type] ?? {});
  }

  resolve<T = any>(value: unknown): T {
    return resolveReferences(value, (t) => this.attribute(t));
  }

  attribute(t: Traversal): unknown {
    if (t.mode === "data") throw new Error(`runner (gcp): data source ${t.text} is not emulated`);
    const r = this.resource(t.type, t.name);
    let v = this.value(t.type, t.name, r, t.path);
    // An argument of the resource reads back as the attribute of the same name.
    if (v === undefined && typeof t.path[0] === "string" && t.path[0] in r) v = this.resolve(r[t.path[0]]);
    if (v === undefined) throw new Error(`runner (gcp): ${t.text} is not emulated`);
    return v;
  }

  private str(v: unknown): string {
    return String(this.resolve(v));
  }

  /** `https://<name>-<hash>-<region code>.a.run.app`: a Cloud Functions (2nd gen) / Cloud Run URL. */
  runUrl(name: string): string {
    return `https://${name}-${short(`${this.project}/${name}`, 10)}-${REGION_CODES[this.region] ?? "uc"}.a.run.app`;
  }

  value(type: string, name: string, r: any, path: readonly (string | number)[]): unknown {
    const attr = String(path[0] ?? "id");
    const time = timeProviderValue(type, name, attr);
    if (time !== undefined) return time;
    const sub = path.slice(1).filter((p) => typeof p === "string").join(".");
    switch (type) {
      case "google_service_account": {
        const email = `${this.str(r.account_id)}@${this.project}.iam.gserviceaccount.com`;
        return { email, account_id: this.str(r.account_id), id: `projects/${this.project}/serviceAccounts/${email}`, name: `projects/${this.project}/serviceAccounts/${email}`, member: `serviceAccount:${email}`, unique_id: String(BigInt(`0x${short(email, 15)}`)) }[attr];
      }
      case "google_pubsub_topic":
      case "google_pubsub_subscription": {
        const kind = type === "google_pubsub_topic" ? "topics" : "subscriptions";
        return { id: `projects/${this.project}/${kind}/${this.str(r.name)}`, name: this.str(r.name) }[attr];
      }
      case "google_cloudfunctions2_function": {
        const fn = this.str(r.name);
        const uri = this.runUrl(fn);
        if (attr === "service_config") return { uri, service: `projects/${this.project}/locations/${this.region}/services/${fn}` }[sub];
        return { id: `projects/${this.project}/locations/${this.region}/functions/${fn}`, name: fn, url: uri }[attr];
      }
      case "google_cloud_run_v2_service": {
        const svc = this.str(r.name);
        return { id: `projects/${this.project}/locations/${this.region}/services/${svc}`, name: svc, uri: this.runUrl(svc) }[attr];
      }
      case "google_sql_database_instance": {
        const inst = this.str(r.name);
        if (attr === "server_ca_cert") return sub === "cert" ? this.serverCa.get(name) : undefined;
        return {
          name: inst, id: inst, connection_name: `${this.project}:${this.region}:${inst}`,
          private_ip_address: `10.${parseInt(short(name, 2), 16) % 200}.0.3`, dns_name: `${short(name, 12)}.${this.region}.sql.goog.`,
          self_link: `https://sqladmin.googleapis.com/sql/v1beta4/projects/${this.project}/instances/${inst}`,
        }[attr];
      }
      case "google_sql_database":
      case "google_sql_user":
        return { name: this.str(r.name), id: this.str(r.name) }[attr];
      case "google_api_gateway_gateway":
        return { gateway_id: this.str(r.gateway_id), id: `projects/${this.project}/locations/${this.region}/gateways/${this.str(r.gateway_id)}`, default_hostname: `${this.str(r.gateway_id)}-${short(name, 8)}.${REGION_CODES[this.region] ?? "uc"}.gateway.dev` }[attr];
      case "google_api_gateway_api":
        return { api_id: this.str(r.api_id), id: `projects/${this.project}/locations/global/apis/${this.str(r.api_id)}`, managed_service: `${this.str(r.api_id)}-${short(name, 12)}.apigateway.${this.project}.cloud.goog` }[attr];
      case "google_compute_global_address":
        return { address: `34.${parseInt(short(name, 2), 16)}.${parseInt(short(name + "b", 2), 16)}.1`, id: `projects/${this.project}/global/addresses/${name}` }[attr];
      case "google_secret_manager_secret":
        return { secret_id: this.str(r.secret_id), id: `projects/${this.project}/secrets/${this.str(r.secret_id)}`, name: `projects/${this.project}/secrets/${this.str(r.secret_id)}` }[attr];
      case "google_storage_bucket":
        return { name: this.str(r.name), id: this.str(r.name), url: `gs://${this.str(r.name)}` }[attr];
      case "google_project_service_identity":
        return { email: `service-${short(this.project, 6)}@gcp-sa-${String(r.service ?? "").split(".")[0]}.iam.gserviceaccount.com`, member: `serviceAccount:service-${short(this.project, 6)}@gcp-sa-${String(r.service ?? "").split(".")[0]}.iam.gserviceaccount.com` }[attr];
      default:
        if (attr === "id" || attr === "self_link") return `projects/${this.project}/${type.replace(/^google_/, "")}/${name}`;
        if (attr === "name") return r.name !== undefined ? this.str(r.name) : name;
        return undefined;
    }
  }
}
