import { REQUIRED_TAG_KEYS } from "@polycloud/core";
import { only, resources } from "../helpers/synth";
import { dev, gcpProblems, prod, staging, synthGcp } from "./shared";

describe("GCP foundation", () => {
  test("provider: project, region, default labels, quota project for the Budget API", () => {
    const p = prod.json.provider!.google[0];
    expect(p).toMatchObject({ project: "polycloud-prod-0001", region: "europe-west1", user_project_override: true, billing_project: "polycloud-prod-0001" });
    for (const k of REQUIRED_TAG_KEYS) expect(p.default_labels[k]).toMatch(/^[a-z0-9_-]{1,63}$/);
    expect(p.default_labels.environment).toBe("prod");
  });

  test("backend: GCS when configured (every sample environment; the local default is in __tests__/stacks/composition)", () => {
    expect(dev.json.terraform.backend.gcs).toEqual({ bucket: "polycloud-tfstate-dev-gcp", prefix: "dev/gcp/shared" });
    expect(prod.json.terraform.backend.gcs).toEqual({ bucket: "polycloud-tfstate-prod-gcp", prefix: "prod/gcp/shared" });
    // An impersonated state service account is rendered when configured (gitops:setup refuses it for the pipelines' identities).
    const sa = "terraform-state@polycloud-prod-0001.iam.gserviceaccount.com";
    expect(synthGcp("prod", (e) => { e.clouds.gcp.backend.impersonateServiceAccount = sa; }).json.terraform.backend.gcs.impersonate_service_account).toBe(sa);
  });

  test("every API the components use is enabled and never disabled on destroy", () => {
    const apis = Object.values(resources(prod.json, "google_project_service"));
    expect(apis.map((a: any) => a.service)).toEqual(expect.arrayContaining([
      "cloudfunctions.googleapis.com", "run.googleapis.com", "cloudbuild.googleapis.com", "pubsub.googleapis.com", "sqladmin.googleapis.com",
      "compute.googleapis.com", "servicenetworking.googleapis.com", "vpcaccess.googleapis.com", "secretmanager.googleapis.com",
      "monitoring.googleapis.com", "billingbudgets.googleapis.com", "cloudkms.googleapis.com",
    ]));
    for (const a of apis) expect(a).toMatchObject({ disable_on_destroy: false, project: "polycloud-prod-0001" });
  });

  test("CMEK key rotates, is kept in prod, and each encrypting service agent may use it", () => {
    expect(only(prod.json, "google_kms_crypto_key")).toMatchObject({ rotation_period: "7776000s", lifecycle: { prevent_destroy: true } });
    expect(only(dev.json, "google_kms_crypto_key").lifecycle.prevent_destroy).toBe(false);
    const members = Object.values(resources(prod.json, "google_kms_crypto_key_iam_member")).map((m: any) => m.member);
    expect(members).toHaveLength(4);
    // Members come from the agents' identity resources, never from e-mail templates.
    const identities = resources(prod.json, "google_project_service_identity");
    const fromIdentity = members.map((m) => /^\$\{google_project_service_identity\.([^.]+)\.member\}$/.exec(m)?.[1]).filter(Boolean).map((n) => identities[n!].service);
    expect(fromIdentity.sort()).toEqual(["pubsub.googleapis.com", "secretmanager.googleapis.com", "sqladmin.googleapis.com"]);
    expect(members).toContainEqual(expect.stringMatching(/^\$\{data\.google_storage_project_service_account\.[^.]+\.member\}$/));
    expect(members.filter((m) => m.includes("iam.gserviceaccount.com"))).toEqual([]);
  });

  test("service agents are created by the beta provider after their API; the Storage agent is read (and so created) after its API", () => {
    const apis = resources(prod.json, "google_project_service");
    for (const identity of Object.values<any>(resources(prod.json, "google_project_service_identity"))) {
      expect(identity.provider).toBe("google-beta");
      expect(identity.project).toBe("polycloud-prod-0001");
      const api = identity.depends_on.map((d: string) => apis[d.replace("google_project_service.", "")]?.service);
      expect(api).toContain(identity.service);
    }
    const storage = only({ resource: prod.json.data! } as any, "google_storage_project_service_account");
    expect(storage.depends_on.map((d: string) => apis[d.replace("google_project_service.", "")]?.service)).toEqual(["storage.googleapis.com"]);
    expect(JSON.stringify(prod.json.resource)).not.toMatch(/gcp-sa-|gs-project-accounts/);
  });

  test("google-beta is configured like google (project, region, labels, quota project); time is declared", () => {
    for (const f of [dev, prod]) {
      const { alias: _a, ...google } = f.json.provider!.google[0];
      expect(f.json.provider!["google-beta"]).toEqual([google]);
      expect(f.json.provider!.time).toEqual([{}]);
      expect(f.json.terraform.required_providers).toMatchObject({ "google-beta": { version: "6.50.0" }, time: { source: "hashicorp/time" } });
    }
  });

  test("bootstrap APIs: Service Usage first, then Resource Manager and IAM, then every other API", () => {
    const apis = resources(prod.json, "google_project_service");
    const byService = Object.fromEntries(Object.entries<any>(apis).map(([n, a]) => [a.service, { ref: `google_project_service.${n}`, deps: a.depends_on ?? [] }]));
    const su = byService["serviceusage.googleapis.com"];
    expect(su.deps).toEqual([]);
    expect(byService["cloudresourcemanager.googleapis.com"].deps).toEqual([su.ref]);
    expect(byService["iam.googleapis.com"].deps).toEqual([su.ref]);
    const boot = ["serviceusage", "cloudresourcemanager", "iam"].map((a) => byService[`${a}.googleapis.com`].ref);
    for (const [service, a] of Object.entries<{ ref: string; deps: string[] }>(byService)) {
      if (!/^(serviceusage|cloudresourcemanager|iam)\./.test(service)) expect({ service, deps: a.deps }).toEqual({ service, deps: boot });
    }
    // projects.get of the data source needs Resource Manager.
    expect(only({ resource: prod.json.data! } as any, "google_project").depends_on).toEqual([byService["cloudresourcemanager.googleapis.com"].ref]);
  });

  test("email notification channels carry the tag contract in user_labels, not in labels", () => {
    const channels = Object.values(resources(prod.json, "google_monitoring_notification_channel")) as any[];
    expect(channels.map((c) => c.labels.email_address).sort()).toEqual(["finance@example.com", "oncall@example.com", "platform-prod@example.com"]);
    for (const c of channels) {
      expect(c.type).toBe("email");
      expect(Object.keys(c.labels)).toEqual(["email_address"]);
      expect(c.user_labels.environment).toBe("prod");
    }
  });

  test("log retention: a log bucket and sink only where the environment differs from _Default's 30 days", () => {
    expect(only(prod.json, "google_logging_project_bucket_config").retention_days).toBe(365);
    expect(only(dev.json, "google_logging_project_bucket_config").retention_days).toBe(14);
    expect(resources(staging.json, "google_logging_project_bucket_config")).toEqual({});
    const sink = only(prod.json, "google_logging_project_sink");
    expect(sink.filter).toContain('resource.type="cloud_run_revision"');
    expect(sink.filter).toContain('resource.type="http_load_balancer"');
    expect(sink.unique_writer_identity).toBe(true);
    // The same logs are excluded from _Default (a project exclusion applies to the _Default sink).
    const exclusion = only(prod.json, "google_logging_project_exclusion");
    expect(exclusion.filter).toBe(sink.filter);
    expect(exclusion).toMatchObject({ project: "polycloud-prod-0001", depends_on: [expect.stringMatching(/^google_logging_project_sink\./)] });
    expect(exclusion.disabled).toBeUndefined();
    expect(resources(staging.json, "google_logging_project_exclusion")).toEqual({});
    expect(resources(prod.json, "google_logging_project_sink")).not.toHaveProperty("_Default");
  });

  test("network: private services access peering for Cloud SQL and a /28 connector subnet", () => {
    const psa = Object.values(resources(prod.json, "google_compute_global_address")).find((a: any) => a.purpose === "VPC_PEERING") as any;
    expect(psa).toMatchObject({ address_type: "INTERNAL", prefix_length: 16 });
    expect(only(prod.json, "google_service_networking_connection")).toMatchObject({ service: "servicenetworking.googleapis.com", deletion_policy: "ABANDON" });
    expect(only(prod.json, "google_compute_subnetwork").ip_cidr_range).toBe("10.60.0.0/28");
    expect(only(prod.json, "google_vpc_access_connector").subnet.name).toMatch(/google_compute_subnetwork/);
  });

  test("an existing network is used as given", () => {
    const { json } = synthGcp("dev", (e: any) => {
      e.clouds.gcp.network = { networkId: "projects/polycloud-dev-0001/global/networks/shared", subnetId: "projects/host-project-01/regions/europe-west1/subnetworks/connector" };
    });
    expect(resources(json, "google_compute_network")).toEqual({});
    expect(only(json, "google_vpc_access_connector").subnet).toEqual({ name: "connector", project_id: "host-project-01" });
    expect(only(json, "google_sql_database_instance").settings.ip_configuration.private_network).toBe("projects/polycloud-dev-0001/global/networks/shared");
  });
});

describe("GCP budget", () => {
  test("monthly budget on the project with actual and forecast thresholds to the budget recipients' channels", () => {
    const b = only(prod.json, "google_billing_budget");
    expect(b.billing_account).toBe("0A1B2C-3D4E5F-6A7B8C");
    expect(b.amount.specified_amount).toEqual({ currency_code: "USD", units: "5000" });
    expect(b.budget_filter.projects[0]).toMatch(/^projects\/\$\{data\.google_project\.[^}]+\.number\}$/);
    expect(b.threshold_rules).toEqual([
      { threshold_percent: 0.5, spend_basis: "CURRENT_SPEND" }, { threshold_percent: 0.8, spend_basis: "CURRENT_SPEND" }, { threshold_percent: 1, spend_basis: "CURRENT_SPEND" },
      { threshold_percent: 0.9, spend_basis: "FORECASTED_SPEND" }, { threshold_percent: 1, spend_basis: "FORECASTED_SPEND" },
    ]);
    expect(b.all_updates_rule.monitoring_notification_channels).toHaveLength(2);
    expect(b.all_updates_rule.disable_default_iam_recipients).toBe(true);
  });

  test("more than five budget recipients is rejected (budgets notify at most five channels)", () => {
    const msgs = gcpProblems("prod", (e) => { e.budget.recipients = ["a@x.io", "b@x.io", "c@x.io", "d@x.io", "e@x.io", "f@x.io"]; });
    expect(msgs).toContainEqual(expect.stringMatching(/GcpService: property 'environments\/prod\.budget\.recipients' has value 6; allowed: at most 5 recipients/));
  });

  test("environment section errors name the key path and the expected form", () => {
    const msgs = gcpProblems("dev", (e) => { e.clouds.gcp.billingAccount = "abc"; e.clouds.gcp.region = "Europe West"; e.clouds.gcp.connectorCidr = "10.0.0.0/24"; });
    expect(msgs).toEqual(expect.arrayContaining([
      expect.stringMatching(/environments\/dev: property 'clouds\.gcp\.billingAccount' has value "abc"; allowed: a billing account id/),
      expect.stringMatching(/environments\/dev: property 'clouds\.gcp\.region' has value "Europe West"; allowed: a GCP region/),
      expect.stringMatching(/environments\/dev: property 'clouds\.gcp\.connectorCidr' has value "10\.0\.0\.0\/24"; allowed: a private \/28 range/),
    ]));
  });
});
