import { Testing, TerraformStack } from "cdktf";
import { buildTags } from "@polycloud/core";
import { AwsFoundation, AwsService, toEventPattern } from "@polycloud/aws";
import { envByName, only, synthPlatform, validationMessages } from "../helpers/synth";
import { clone } from "../helpers/cloud-fixtures";
import { referenceService } from "../../stacks/reference-service";
import { dev, prod } from "./shared";

test("custom bus, rule with the translated pattern, target with retry and its own DLQ", () => {
  expect(only(dev, "aws_cloudwatch_event_bus").name).toBe("orders-dev-events");
  const rule = only(dev, "aws_cloudwatch_event_rule");
  expect(JSON.parse(rule.event_pattern)).toEqual({ source: ["orders.api"], "detail-type": ["OrderCreated"] });
  expect(rule.event_bus_name).toMatch(/aws_cloudwatch_event_bus\./);
  const target = only(dev, "aws_cloudwatch_event_target");
  // The spec's 10 attempts are the first delivery and 9 retries (EventBridge counts retries).
  expect(target).toMatchObject({ retry_policy: { maximum_retry_attempts: 9, maximum_event_age_in_seconds: 3600 } });
  expect(target.event_bus_name).toMatch(/aws_cloudwatch_event_bus\./);
  expect(target.dead_letter_config.arn).toMatch(/aws_sqs_queue\.orders_bus-events_dlq-order-created/);
  expect(target.arn).toMatch(/aws_sqs_queue\.orders_queue-orders_queue/);
});

test("rule attempts: 1..186 (EventBridge's 0..185 retries after the first attempt)", () => {
  const env = envByName("dev");
  const withAttempts = (n: number) => {
    const service = clone(referenceService(env)) as any;
    service.buses.events.rules["order-created"].retry.maxAttempts = n;
    return service;
  };
  expect(only(synthPlatform(env, withAttempts(1)).json, "aws_cloudwatch_event_target").retry_policy.maximum_retry_attempts).toBe(0);
  expect(only(synthPlatform(env, withAttempts(186)).json, "aws_cloudwatch_event_target").retry_policy.maximum_retry_attempts).toBe(185);
  expect(validationMessages(env, withAttempts(186))).toEqual([]);
  expect(validationMessages(env, withAttempts(187)).join("\n")).toMatch(/retry\.maxAttempts' has value 187; allowed: .*1\.\.186/);
  expect(validationMessages(env, withAttempts(0)).join("\n")).toMatch(/retry\.maxAttempts' has value 0/);
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

test("a scheduled rule lives on the default bus with the translated expression, and keeps the target's retries, DLQ and alarms", () => {
  const env = envByName("dev");
  const stack = new TerraformStack(Testing.app(), "bus-schedule");
  const f = new AwsFoundation(stack, "f", { env, serviceName: "audit", tags: buildTags({ ...env.tags, environment: "dev", service: "audit" }) });
  new AwsService(stack, "audit", {
    context: f.context,
    service: { name: "audit", functions: { sink: { source: "stacks/reference/functions/worker", runtime: "nodejs22", handler: "index.handler" } },
      buses: { events: { rules: { nightly: { schedule: "cron(0 3 * * 1-5)", target: { function: "sink" }, retry: { maxAttempts: 4, maxEventAgeSeconds: 600 } } } } } },
  });
  const json = JSON.parse(Testing.synth(stack));
  const rule = Object.values<any>(json.resource.aws_cloudwatch_event_rule)[0];
  expect(rule).toMatchObject({ schedule_expression: "cron(0 3 ? * MON-FRI *)", state: "ENABLED" });
  expect(rule.event_bus_name).toBeUndefined();
  expect(rule.event_pattern).toBeUndefined();
  const target = Object.values<any>(json.resource.aws_cloudwatch_event_target)[0];
  expect(target.event_bus_name).toBeUndefined();
  // EventBridge counts retries after the first attempt: 4 attempts are 3 retries.
  expect(target).toMatchObject({ retry_policy: { maximum_retry_attempts: 3, maximum_event_age_in_seconds: 600 }, dead_letter_config: { arn: expect.stringMatching(/aws_sqs_queue\./) } });
  // The handler gets the platform's scheduled event, not EventBridge's (source aws.events, empty detail).
  expect(target.input_transformer.input_paths).toEqual({ id: "$.id", time: "$.time", account: "$.account", region: "$.region", resources: "$.resources" });
  const sample = target.input_transformer.input_template.replace(/<([a-z]+)>/g, (_: string, k: string) => (k === "resources" ? "[]" : `"${k}-value"`));
  expect(JSON.parse(sample)).toEqual({ version: "0", id: "id-value", "detail-type": "Scheduled Event", source: "polycloud.schedule", account: "account-value", time: "time-value", region: "region-value", resources: [], detail: { polycloud_schedule: "nightly" } });
  const alarms = Object.values<any>(json.resource.aws_cloudwatch_metric_alarm).filter((a) => a.namespace === "AWS/Events");
  expect(alarms.map((a) => a.metric_name).sort()).toEqual(["FailedInvocations", "InvocationsSentToDlq"]);
  for (const a of alarms) expect(Object.keys(a.dimensions)).toEqual(["RuleName"]);
});

test("a schedule EventBridge cannot express fails synth", () => {
  const env = envByName("dev");
  const stack = new TerraformStack(Testing.app(), "bus-schedule-bad");
  const f = new AwsFoundation(stack, "f", { env, serviceName: "audit", tags: buildTags({ ...env.tags, environment: "dev", service: "audit" }) });
  new AwsService(stack, "audit", {
    context: f.context,
    service: { name: "audit", functions: { sink: { source: "stacks/reference/functions/worker", runtime: "nodejs22", handler: "index.handler" } },
      buses: { events: { rules: { monthly: { schedule: "cron(0 3 1 * MON)", target: { function: "sink" } } } } } },
  });
  expect(() => Testing.synth(stack, true)).toThrow(/AwsEventBus\(events\): property 'rules\.monthly\.schedule' has value "cron\(0 3 1 \* MON\)"; allowed: a schedule EventBridge can express: day-of-month and day-of-week not both restricted/);
});
