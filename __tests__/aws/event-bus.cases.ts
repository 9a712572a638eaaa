import { Testing, TerraformStack } from "cdktf";
import { buildTags } from "@polycloud/core";
import { AwsFoundation, AwsService, toEventPattern } from "@polycloud/aws";
import { envByName, only } from "../helpers/synth";
import { dev, prod } from "./shared";

test("custom bus, rule with the translated pattern, target with retry and its own DLQ", () => {
  expect(only(dev, "aws_cloudwatch_event_bus").name).toBe("orders-dev-events");
  const rule = only(dev, "aws_cloudwatch_event_rule");
  expect(JSON.parse(rule.event_pattern)).toEqual({ source: ["orders.api"], "detail-type": ["OrderCreated"] });
  expect(rule.event_bus_name).toMatch(/aws_cloudwatch_event_bus\./);
  const target = only(dev, "aws_cloudwatch_event_target");
  expect(target).toMatchObject({ retry_policy: { maximum_retry_attempts: 10, maximum_event_age_in_seconds: 3600 } });
  expect(target.event_bus_name).toMatch(/aws_cloudwatch_event_bus\./);
  expect(target.dead_letter_config.arn).toMatch(/aws_sqs_queue\.orders_bus-events_dlq-order-created/);
  expect(target.arn).toMatch(/aws_sqs_queue\.orders_queue-orders_queue/);
});

test("archive retention follows the environment", () => {
  expect(only(dev, "aws_cloudwatch_event_archive").retention_days).toBe(7);
  expect(only(prod, "aws_cloudwatch_event_archive").retention_days).toBe(365);
});

test("a function target gets a permission scoped to the rule", () => {
  const env = envByName("dev");
  const stack = new TerraformStack(Testing.app(), "bus-fn");
  const f = new AwsFoundation(stack, "f", { env, serviceName: "audit", tags: buildTags({ ...env.tags, environment: "dev", service: "audit" }) });
  new AwsService(stack, "audit", {
    context: f.context,
    service: { name: "audit", functions: { sink: { source: "stacks/reference/functions/worker", runtime: "nodejs22", handler: "index.handler" } },
      buses: { events: { rules: { all: { filter: { attributes: { kind: ["audit"] } }, target: { function: "sink" } } } } } },
  });
  const json = JSON.parse(Testing.synth(stack));
  const perm = Object.values(json.resource.aws_lambda_permission)[0] as any;
  expect(perm).toMatchObject({ principal: "events.amazonaws.com", action: "lambda:InvokeFunction" });
  expect(perm.source_arn).toMatch(/^\$\{aws_cloudwatch_event_rule\.[^}]+\.arn\}$/);
  expect(JSON.parse((Object.values(json.resource.aws_cloudwatch_event_rule)[0] as any).event_pattern)).toEqual({ detail: { kind: ["audit"] } });
  const dlqPolicy = JSON.parse((Object.values(json.resource.aws_sqs_queue_policy)[0] as any).policy.replace(/\$\{[^}]*\}/g, "REF"));
  expect(dlqPolicy.Statement[0]).toMatchObject({ Principal: { Service: "events.amazonaws.com" }, Condition: { ArnEquals: { "aws:SourceArn": "REF" } } });
});

test("prefix clauses become EventBridge prefix matchers (ORed within a field), next to exact clauses", () => {
  expect(JSON.parse(toEventPattern({ source: ["orders.api"], prefix: { type: ["Order", "Refund"], attributes: { sku: ["A-"] } }, attributes: { tier: ["gold"] } }))).toEqual({
    source: ["orders.api"],
    "detail-type": [{ prefix: "Order" }, { prefix: "Refund" }],
    detail: { tier: ["gold"], sku: [{ prefix: "A-" }] },
  });
  expect(JSON.parse(toEventPattern({ prefix: { source: ['a"b'] } }))).toEqual({ source: [{ prefix: 'a"b' }] });
});
