import { HttpRequest as AzureHttpRequest, InvocationContext } from "@azure/functions";
import { HttpRequest, http } from "@polycloud/runtime";
import { createPool } from "../../modules/runtime/src/database";

/**
 * What the platform now tells the runtime (issue 28): behind API Management the client's token
 * arrives as X-Forwarded-Authorization (the app admits only the gateway's managed identity,
 * whose token is Authorization), and a database's pool per instance (DB_<ID>_POOL_MAX).
 */
test("28.16 Azure: behind API Management handlers get the client's token as authorization, not the gateway's", async () => {
  let seen: HttpRequest | undefined;
  const handler = http(async (req) => { seen = req; return { status: 200, body: {} }; });
  await handler(new AzureHttpRequest({
    method: "GET", url: "https://orders.azurewebsites.net/api/orders/1",
    headers: { authorization: "Bearer gateway-managed-identity-token", "x-forwarded-authorization": "Bearer client-token" },
  }), new InvocationContext({ invocationId: "i", functionName: "api" }));
  expect(seen!.headers.authorization).toBe("Bearer client-token");
  // A direct call without the forwarded header keeps what it sent (Easy Auth already refused it before the host).
  await handler(new AzureHttpRequest({ method: "GET", url: "https://orders.azurewebsites.net/api/orders/1", headers: { authorization: "Bearer x" } }), new InvocationContext({ invocationId: "j", functionName: "api" }));
  expect(seen!.headers.authorization).toBe("Bearer x");
});

test("28.13 the pool per instance comes from DB_<ID>_POOL_MAX when the platform sets it, else 2", async () => {
  const env = { POLYCLOUD_CLOUD: "azure", DB_MAIN_HOST: "db.example.internal", DB_MAIN_PORT: "5432", DB_MAIN_NAME: "app", DB_MAIN_USER: "fn-api", DB_MAIN_SSLMODE: "verify-full" };
  const token = async () => "t";
  const sized = createPool("main", { token }, { ...env, DB_MAIN_POOL_MAX: "1" });
  const plain = createPool("main", { token }, env);
  const explicit = createPool("main", { token, max: 5 }, { ...env, DB_MAIN_POOL_MAX: "1" });
  expect([(sized as any).options.max, (plain as any).options.max, (explicit as any).options.max]).toEqual([1, 2, 5]);
  await Promise.all([sized.end(), plain.end(), explicit.end()]);
});
