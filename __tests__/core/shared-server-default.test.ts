import { DEFAULT_DATABASE_SERVER, Problems, onSharedServer, sharedDatabaseServer, validateService } from "@polycloud/core";
import { AWS_LIMITS } from "../../modules/aws/src/limits";
import { referenceService } from "../../stacks/reference-service";
import { envByName } from "../helpers/synth";

/** Issue 26.1: a database that does not choose lives on the environment's shared server; `server: "own"` opts out, validated. */
const dev = envByName("dev");

test("the default is the shared server; \"own\" asks for a server of its own", () => {
  expect(DEFAULT_DATABASE_SERVER).toBe("shared");
  expect(onSharedServer({})).toBe(true);
  expect(onSharedServer({ server: "shared" })).toBe(true);
  expect(onSharedServer({ server: "own" })).toBe(false);
  const svc = referenceService(dev);
  expect(svc.databases!.main.server).toBeUndefined();
  expect(sharedDatabaseServer([svc])?.members.map((m) => [m.service, m.databaseId, m.databaseName])).toEqual([["orders", "main", "orders_app"]]);
  const own = { ...svc, databases: { main: { ...svc.databases!.main, server: "own" as const } } };
  expect(sharedDatabaseServer([own])).toBeUndefined();
});

test("any other value of server is an error naming the service, the property, the value and the allowed form", () => {
  const svc = referenceService(dev);
  const bad = { ...svc, databases: { main: { ...svc.databases!.main, server: "dedicated" as never } } };
  const messages = validateService(bad, AWS_LIMITS, new Problems("AwsService(orders)")).messages();
  expect(messages).toEqual(["service orders: DatabaseProxy: property 'databases.main.server' has value \"dedicated\"; allowed: one of \"shared\", \"own\""]);
});
