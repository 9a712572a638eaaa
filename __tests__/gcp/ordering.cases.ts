import { GCP_TYPE_APIS, gcpOrderingProblems } from "../helpers/gcp-ordering";
import { clone } from "../helpers/cloud-fixtures";
import { dev, prod, staging, synthGcp } from "./shared";

describe("GCP resource ordering (generic check)", () => {
  test.each([["dev", dev], ["staging", staging], ["prod", prod]])("%s-gcp: every resource waits for its APIs and its key grant", (_name, fixture) => {
    expect(gcpOrderingProblems(fixture.json)).toEqual([]);
  });

  test("variants: an existing network, no secrets, no database, no gateway", () => {
    const existing = synthGcp("staging", (e: any) => {
      e.clouds.gcp.network = { networkId: "projects/p/global/networks/shared", subnetId: "projects/host-project-01/regions/europe-west1/subnetworks/connector" };
    });
    expect(gcpOrderingProblems(existing.json)).toEqual([]);
    const bare = synthGcp("dev", () => {}, (s: any) => { delete s.secrets; delete s.databases; delete s.gateways; for (const f of Object.values<any>(s.functions)) delete f.secrets; });
    expect(gcpOrderingProblems(bare.json)).toEqual([]);
    // Issue 19: a scheduled rule (Cloud Scheduler), a split filter and a method-routed gateway.
    const needs = synthGcp("dev", () => {}, (s: any) => {
      s.buses.events.rules.nightly = { schedule: "cron(0 3 * * *)", target: { function: "worker" } };
      s.buses.events.rules["order-created"].filter.type = Array.from({ length: 20 }, (_, i) => `OrderEventType${i}`);
      s.gateways.public.routes.push({ method: "DELETE", path: "/orders", function: "worker" });
    });
    expect(Object.keys(needs.json.resource.google_cloud_scheduler_job)).toHaveLength(1);
    expect(gcpOrderingProblems(needs.json)).toEqual([]);
  });

  test("the table covers every google_* type the stacks emit, and an unmapped type is a finding", () => {
    const emitted = [prod, dev, staging].flatMap((f) => [
      ...Object.keys(f.json.resource), ...Object.keys(f.json.data ?? {}).map((t) => `data.${t}`),
    ]).filter((t) => /^(data\.)?google_/.test(t));
    expect([...new Set(emitted)].filter((t) => !(t in GCP_TYPE_APIS))).toEqual([]);
    const json = clone(prod.json) as any;
    json.resource.google_made_up_thing = { x: { name: "x" } };
    expect(gcpOrderingProblems(json)).toEqual(["google_made_up_thing.x: type google_made_up_thing is not in the resource-type → API table"]);
  });

  test("the check catches a missing API dependency and a missing key grant", () => {
    const json = clone(prod.json) as any;
    const [topicName, topic] = Object.entries<any>(json.resource.google_pubsub_topic).find(([, t]) => t.name === "orders-prod-orders")!;
    delete topic.depends_on;
    expect(gcpOrderingProblems(json)).toEqual([
      `google_pubsub_topic.${topicName}: does not wait for google_project_service pubsub.googleapis.com`,
      expect.stringMatching(new RegExp(`^google_pubsub_topic\\.${topicName}: names google_kms_crypto_key\\.\\S+ but does not wait \\(through a time_sleep\\) for its grant to the pubsub\\.googleapis\\.com service agent$`)),
    ]);
  });

  test("a key user that waits for the grant but not for IAM propagation after it is a finding (issue 28.10)", () => {
    const json = clone(prod.json) as any;
    const [topicName, topic] = Object.entries<any>(json.resource.google_pubsub_topic).find(([, t]) => t.name === "orders-prod-orders")!;
    const sleep = topic.depends_on.find((d: string) => d.startsWith("time_sleep."));
    const grant = json.resource.time_sleep[sleep.slice("time_sleep.".length)].depends_on[0];
    expect(grant).toMatch(/^google_kms_crypto_key_iam_member\./);
    topic.depends_on = topic.depends_on.map((d: string) => (d === sleep ? grant : d));
    expect(gcpOrderingProblems(json)).toEqual([expect.stringMatching(new RegExp(`^google_pubsub_topic\\.${topicName}: names google_kms_crypto_key\\.\\S+ but does not wait \\(through a time_sleep\\)`))]);
  });

  test("a key grant whose member is a hand-built e-mail does not count", () => {
    const json = clone(prod.json) as any;
    const grant = Object.values<any>(json.resource.google_kms_crypto_key_iam_member).find((g) => /google_project_service_identity/.test(g.member) && /pubsub/.test(g.member));
    grant.member = "serviceAccount:service-${data.google_project.foundation_project_6D5E5B77.number}@gcp-sa-pubsub.iam.gserviceaccount.com";
    expect(gcpOrderingProblems(json).filter((p) => /pubsub\.googleapis\.com service agent/.test(p)).length).toBeGreaterThan(3);
  });
});
