import { CLOUDS, Cloud, compareBehaviours, intendedBehaviour } from "@polycloud/core";
import { envByName } from "../helpers/synth";
import { onServer } from "../helpers/shared-tier";
import { referenceService } from "../../stacks/reference-service";
import { synthesizeComposition } from "../helpers/sample-json";
import { read } from "./read";

/**
 * The reference service in prod with its database on the environment's shared server: each
 * cloud's record, read from the JSON, still holds the service's database (the shared server's
 * pooling, TLS, identity and alarms) and equals the spec's intent, Azure's one PostgreSQL
 * Flexible Server included.
 */
const env = envByName("prod");
const service = onServer("shared", referenceService);
const stacks = Object.fromEntries(CLOUDS.map((c) => [c, synthesizeComposition(env, c, [service])[`prod-${c}`]])) as Record<Cloud, any>;
const records = read(stacks);

test("every field equals the spec's intent on every cloud with the database on the shared server", () => {
  expect(compareBehaviours(records, service(env), env).problems).toEqual([]);
});

test("Azure: the service database is recorded from the shared server (pools per login on its own database, its clients, TLS, Entra auth)", () => {
  expect(Object.keys(stacks.azure.resource.azurerm_postgresql_flexible_server)).toEqual([expect.stringMatching(/^shared-tier_db_server_/)]);
  const intent = intendedBehaviour(service(env), env, "azure");
  expect(Object.keys(records.azure.databases)).toEqual(Object.keys(intent.databases));
  const db = records.azure.databases.main;
  expect(db).toMatchObject({ pooled: true, tls: true, identityAuth: true, clients: expect.arrayContaining(["function:api", "function:worker"]) });
  // One pool per login (two functions and the migration step), each on its own database.
  expect(db.pools).toBe(3);
  expect(Object.keys(records.azure.alarms)).toContain("database:main");
});
