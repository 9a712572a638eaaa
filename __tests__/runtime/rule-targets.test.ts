import { InvocationContext } from "@azure/functions";
import { QueueMessage, queue } from "@polycloud/runtime";

/**
 * Issue 24.2: a bus rule that targets a function built with queue() (instead of the function's
 * queue). AWS invokes it asynchronously with one EventBridge event, Azure through an Event Grid
 * trigger: the handler runs once with the event as its message, and a failure is thrown so the
 * platform retries it and dead-letters it by the rule (before the fix, AWS acknowledged and
 * dropped the event, and Azure had no Event Grid trigger to deliver to).
 */
const eventBridge = { version: "0", id: "eb-1", "detail-type": "OrderCreated", source: "orders.api", account: "111111111111", time: "2026-12-01T10:00:00Z", region: "eu-west-1", resources: ["o-1"], detail: { id: "o-1" } };
const cloudEvent = { specversion: "1.0", id: "eg-1", source: "orders.api", type: "OrderCreated", subject: "o-1", time: "2026-12-01T10:00:00Z", data: { id: "o-1" } };

function recorder(fail = false) {
  const seen: QueueMessage[] = [];
  const handler = queue(async (m) => {
    seen.push(m);
    if (fail) throw new Error("cannot taste it");
  });
  return { seen, handler };
}

test("AWS: an EventBridge event is one message carrying the event; a failure throws for Lambda's retries", async () => {
  const ok = recorder();
  expect(await ok.handler(eventBridge, { awsRequestId: "r-1" })).toBeUndefined();
  expect(ok.seen).toHaveLength(1);
  expect(ok.seen[0]).toMatchObject({ id: "eb-1", cloud: "aws", event: { id: "eb-1", type: "OrderCreated", source: "orders.api", subject: "o-1", data: { id: "o-1" } } });
  const bad = recorder(true);
  await expect(bad.handler(eventBridge, { awsRequestId: "r-2" })).rejects.toThrow("cannot taste it");
  // An SQS batch is still a batch with partial failures.
  const batch = await bad.handler({ Records: [{ messageId: "m-1", body: JSON.stringify(eventBridge), attributes: {}, messageAttributes: {} }] });
  expect(batch).toEqual({ batchItemFailures: [{ itemIdentifier: "m-1" }] });
});

test("Azure: an Event Grid trigger's event is one message; a failure throws for Event Grid's retries (no Service Bus copy)", async () => {
  const context = new InvocationContext({
    invocationId: "inv-1", functionName: "tasting",
    options: { trigger: { type: "eventGridTrigger", name: "event" }, extraInputs: [], extraOutputs: [] },
  });
  const ok = recorder();
  await ok.handler(cloudEvent, context);
  expect(ok.seen).toEqual([expect.objectContaining({ id: "eg-1", cloud: "azure", event: expect.objectContaining({ id: "eg-1", type: "OrderCreated", subject: "o-1", data: { id: "o-1" } }) })]);
  const bad = recorder(true);
  await expect(bad.handler(cloudEvent, context)).rejects.toThrow("cannot taste it");
});
