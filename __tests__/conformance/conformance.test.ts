import { CAPABILITY_IDS, CapabilityMap, ConformanceContext } from "@polycloud/core";
import { CLOUD_CAPABILITIES } from "../../stacks/clouds";
import { parityTable } from "../../stacks/parity-table";
import { referenceService } from "../../stacks/reference-service";
import { envByName } from "../helpers/synth";
import { allStacks } from "../helpers/all-stacks";
import "./gcp-negative.cases";
import "./azure-negative.cases";
import "../docs/examples.cases";
import { readDocSection } from "../../scripts/doc-section";

/**
 * One suite for every cloud: capability × environment. A capability a cloud does not map is a
 * failure, never a pass; each check is shown to fire on a doctored stack.
 */
const clouds = Object.entries(CLOUD_CAPABILITIES) as [string, CapabilityMap][];
const envs = ["dev", "staging", "prod"].map(envByName);
const contexts = new Map<string, ConformanceContext>();
for (const [cloud] of clouds) {
  for (const env of envs) {
    const service = referenceService(env);
    contexts.set(`${cloud}/${env.name}`, { json: allStacks()[`${env.name}-${cloud}`], service, env });
  }
}

describe.each(clouds)("%s conformance", (cloud, caps) => {
  test("maps every capability", () => {
    expect(Object.keys(caps).sort()).toEqual([...CAPABILITY_IDS].sort());
    for (const id of CAPABILITY_IDS) {
      expect(caps[id].realisedBy.length).toBeGreaterThan(10);
      if (caps[id].mode === "different") expect(caps[id].note).toBeTruthy();
    }
  });

  describe.each(envs.map((e) => e.name))("%s", (envName) => {
    test.each(CAPABILITY_IDS)("%s", (id) => {
      const ctx = contexts.get(`${cloud}/${envName}`)!;
      expect(caps[id].check(ctx)).toEqual([]);
    });
  });
});

/** Deep copy of a context with one mutation of the JSON. */
function doctor(ctx: ConformanceContext, mutate: (json: any) => void): ConformanceContext {
  const json = JSON.parse(JSON.stringify(ctx.json));
  mutate(json);
  return { ...ctx, json };
}
// The first resource of a type that renders a spec function (not a database's migration step).
const first = (json: any, type: string) => Object.entries(json.resource[type]).find(([k]) => !/_db-[a-z0-9-]+-migrate_/.test(k))![1] as any;

describe("checks fire on non-conforming stacks", () => {
  const aws = CLOUD_CAPABILITIES.aws!;
  const prod = contexts.get("aws/prod")!;
  const cases: [string, (json: any) => void][] = [
    ["function.memory", (j) => (first(j, "aws_lambda_function").memory_size = 64)],
    ["function.tracing", (j) => delete first(j, "aws_lambda_function").tracing_config],
    ["function.identity", (j) => (first(j, "aws_iam_role_policy").policy = JSON.stringify({ Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }))],
    ["gateway.throttle", (j) => delete first(j, "aws_apigatewayv2_stage").default_route_settings],
    ["gateway.routes", (j) => delete j.resource.aws_apigatewayv2_route[Object.keys(j.resource.aws_apigatewayv2_route)[0]]],
    ["queue.dlqRetention", (j) => Object.values(j.resource.aws_sqs_queue).forEach((q: any) => (q.message_retention_seconds = 3600))],
    ["queue.encryption", (j) => (first(j, "aws_sqs_queue").sqs_managed_sse_enabled = false)],
    ["bus.dlq", (j) => delete first(j, "aws_cloudwatch_event_target").dead_letter_config],
    ["proxy.tls", (j) => (first(j, "aws_db_proxy").require_tls = false)],
    ["proxy.deletionProtection", (j) => (first(j, "aws_rds_cluster").deletion_protection = false)],
    ["alarms.components", (j) => (j.resource.aws_cloudwatch_metric_alarm = {})],
    ["tags.required", (j) => delete j.provider.aws[0].default_tags[0].tags.cost_center],
  ];
  test.each(cases)("%s", (id, mutate) => {
    expect((aws as any)[id].check(doctor(prod, mutate)).length).toBeGreaterThan(0);
  });
});

test("docs/parity.md's parity table is generated from the conformance table (run `npm run parity` after changing it)", () => {
  expect(readDocSection("parity")).toBe(parityTable());
});
