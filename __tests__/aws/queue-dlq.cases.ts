import { find, resources } from "../helpers/synth";
import { dev } from "./shared";

const queue = find(dev, "aws_sqs_queue", (q) => q.name === "orders-dev-orders");
const dlq = find(dev, "aws_sqs_queue", (q) => q.name === "orders-dev-orders-dlq");

test("queue and DLQ are encrypted; visibility is 6 × the worker's 60 s timeout; DLQ outlives the source", () => {
  expect(queue).toMatchObject({ sqs_managed_sse_enabled: true, visibility_timeout_seconds: 360, message_retention_seconds: 345600, receive_wait_time_seconds: 20 });
  expect(dlq).toMatchObject({ sqs_managed_sse_enabled: true, message_retention_seconds: 1209600 });
});

test("redrive after maxDeliveryAttempts, and only the source queue may redrive into the DLQ", () => {
  const redrive = Object.values(resources(dev, "aws_sqs_queue_redrive_policy"))[0] as any;
  expect(JSON.parse(redrive.redrive_policy)).toEqual({ deadLetterTargetArn: expect.stringMatching(/orders_queue-orders_dlq_.*\.arn/), maxReceiveCount: 5 });
  const allow = Object.values(resources(dev, "aws_sqs_queue_redrive_allow_policy"))[0] as any;
  expect(JSON.parse(allow.redrive_allow_policy)).toEqual({ redrivePermission: "byQueue", sourceQueueArns: [expect.stringMatching(/orders_queue-orders_queue_.*\.arn/)] });
});

test("queue policies deny non-TLS access; EventBridge may send only from its rule", () => {
  const policies = Object.values(resources(dev, "aws_sqs_queue_policy")).map((p: any) => JSON.parse(p.policy.replace(/\$\{[^}]*\}/g, "REF")));
  for (const p of policies) expect(p.Statement).toEqual(expect.arrayContaining([expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } })]));
  const main = policies.find((p) => p.Statement.some((s: any) => s.Sid === "EventBridgeRuleOrderCreated"));
  expect(main.Statement.find((s: any) => s.Sid === "EventBridgeRuleOrderCreated")).toMatchObject({ Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Condition: { ArnEquals: { "aws:SourceArn": "REF" } } });
});

test("the worker consumes with partial batch failures, batch size, window and a concurrency cap", () => {
  const esm = Object.values(resources(dev, "aws_lambda_event_source_mapping"))[0] as any;
  expect(esm).toMatchObject({ batch_size: 10, maximum_batching_window_in_seconds: 1, function_response_types: ["ReportBatchItemFailures"], scaling_config: { maximum_concurrency: 5 } });
  expect(esm.event_source_arn).toMatch(/orders_queue-orders_queue_.*\.arn/);
  expect(esm.function_name).toMatch(/aws_lambda_alias\.orders_fn-worker/);
});
