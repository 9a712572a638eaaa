import { busAddress, currentCloud, currentFunction, databaseEndpoint } from "@polycloud/runtime";
import { allStacks } from "../helpers/all-stacks";

/**
 * The cloud-neutral contract of @polycloud/runtime in the synthesized stacks: every function
 * says which cloud it runs on, and finds the bus and database by their service-description ids
 * under the same names on all three clouds (the old cloud-specific names stay).
 */
const stacks = allStacks() as Record<string, any>;
function functionEnv(cloud: string, json: any, fn: string): Record<string, string> {
  const pick = (type: string) => Object.entries(json.resource?.[type] ?? {}).find(([k]) => k.startsWith(`orders_fn-${fn}_`))?.[1] as any;
  if (cloud === "aws") return pick("aws_lambda_function").environment.variables;
  if (cloud === "gcp") return pick("google_cloudfunctions2_function").service_config.environment_variables;
  return pick("azurerm_function_app_flex_consumption").app_settings;
}

describe.each(["aws", "gcp", "azure"])("runtime contract on %s", (cloud) => {
  const json = stacks[`prod-${cloud}`];
  const api = functionEnv(cloud, json, "api");
  const worker = functionEnv(cloud, json, "worker");
  const old = { aws: "EVENT_BUS_EVENTS_NAME", gcp: "EVENT_BUS_EVENTS_TOPIC", azure: "EVENT_BUS_EVENTS_ENDPOINT" }[cloud]!;

  test("POLYCLOUD_CLOUD names the cloud; the bus is POLYCLOUD_BUS_<ID>, equal to the cloud-specific variable", () => {
    expect(currentCloud(api)).toBe(cloud);
    expect(currentCloud(worker)).toBe(cloud);
    // The function's id, not its cloud name: idempotency keys are the same on every cloud.
    expect([currentFunction(api), currentFunction(worker)]).toEqual(["api", "worker"]);
    expect(api[old]).toMatch(/\$\{/);
    expect(busAddress("events", api)).toBe(api[old]);
    expect(() => busAddress("events", worker)).toThrow(/event bus 'events' is not bound to this function \(POLYCLOUD_BUS_EVENTS is not set\)/);
  });

  test("both functions find the database `main` under the same DB_MAIN_* names", () => {
    for (const env of [api, worker]) expect(databaseEndpoint("main", env)).toMatchObject({ host: expect.stringMatching(/\$\{/), database: expect.any(String), user: expect.any(String) });
    expect(databaseEndpoint("main", api).sslmode).toMatch(/^(verify-full|require)$/);
  });
});
