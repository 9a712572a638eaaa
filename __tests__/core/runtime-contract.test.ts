import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ATTEMPT_FAILED_EVENT, neutralRuntimeVariable, packageFolder, packageFunction, runtimeBaseVariables, usesRuntime } from "@polycloud/core";
import { busAddress, queueAddress } from "@polycloud/runtime";
import { ATTEMPT_FAILED_EVENT as RUNTIME_ATTEMPT_FAILED_EVENT } from "../../modules/runtime/src/handlers";

test("cloud-specific binding variables map to one neutral name per id, on every cloud", () => {
  for (const n of ["QUEUE_ORDERS_URL", "QUEUE_ORDERS_TOPIC", "QUEUE_ORDERS_NAME"]) expect(neutralRuntimeVariable(n)).toBe("POLYCLOUD_QUEUE_ORDERS");
  for (const n of ["EVENT_BUS_EVENTS_NAME", "EVENT_BUS_EVENTS_TOPIC", "EVENT_BUS_EVENTS_ENDPOINT"]) expect(neutralRuntimeVariable(n)).toBe("POLYCLOUD_BUS_EVENTS");
  // Ids may themselves end in a suffix word; only the last one is the cloud's.
  expect(neutralRuntimeVariable("QUEUE_JOB_NAME_NAME")).toBe("POLYCLOUD_QUEUE_JOB_NAME");
  // Trigger connection settings, databases and secrets are not addresses of a client.
  for (const n of ["QUEUE_ORDERS__fullyQualifiedNamespace", "DB_MAIN_HOST", "PAYMENT_API_KEY_SECRET_ARN", "SERVICE_BUS_NAMESPACE"]) expect(neutralRuntimeVariable(n)).toBeUndefined();
  expect(runtimeBaseVariables("gcp", "worker")).toEqual({ POLYCLOUD_CLOUD: "gcp", POLYCLOUD_FUNCTION: "worker" });
  // The runtime reads exactly these names (service-description id -> upper-cased).
  expect(queueAddress("orders", { POLYCLOUD_QUEUE_ORDERS: "q" })).toBe("q");
  expect(busAddress("order-events", { POLYCLOUD_BUS_ORDER_EVENTS: "b" })).toBe("b");
});

test("packageFunction zips a folder that does not use the runtime exactly as before", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plain-fn-"));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "plain", dependencies: { pg: "8.23.1" } }));
  fs.writeFileSync(path.join(dir, "index.js"), "exports.handler = async () => ({ statusCode: 200 });\n");
  expect(usesRuntime(dir)).toBe(false);
  expect(packageFunction(dir, { cloud: "aws", logicalId: "plain", handler: "index.handler" })).toEqual(packageFolder(dir));
  expect(usesRuntime(path.resolve(__dirname, "../../stacks/reference/functions/api"))).toBe(true);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("the failed-attempt log marker the Azure errors alert counts is the one the runtime writes (issue 28.12)", () => {
  expect(RUNTIME_ATTEMPT_FAILED_EVENT).toBe(ATTEMPT_FAILED_EVENT);
});
