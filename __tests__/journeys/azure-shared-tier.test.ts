import { randomUUID } from "node:crypto";
import { Runner, startRunner } from "@polycloud/runner";
import { describeWithPostgres } from "../helpers/postgres";
import { envByName } from "../helpers/synth";
import { synthToDir } from "../helpers/synth-to-dir";
import { useCoffeeWheels } from "../fixtures/coffee-service";
import { FOUR_SERVICES } from "../fixtures/ported/four-services";
import { onServer } from "../helpers/shared-tier";

/**
 * Azure's shared tier on the local runner (issue 26.1): the four services with their databases on
 * the environment's one PostgreSQL Flexible Server, their gateways as APIs of one API Management
 * instance and their queues in one Service Bus namespace, read from one synthesized JSON. Each
 * service's migration step (one Entra administrator each) creates its own database's schema and
 * principals; an order placed through each service's API is processed through its queue and
 * stored in its own database only, and a service's principal is refused the other's database.
 */
const SERVICES = [
  { name: "orders", gateway: "orders/gateway:public", audience: "orders-api", database: "orders_app" },
  { name: "coffee", gateway: "coffee/gateway:web", audience: "coffee-api", database: "coffee_app" },
];

describeWithPostgres("Azure: four services on the environment's shared tier", () => {
  let runner: Runner | undefined;
  const placed: Record<string, string> = {};
  beforeAll(async () => {
    useCoffeeWheels();
    runner = await startRunner({ stackDir: synthToDir(envByName("dev"), "azure", FOUR_SERVICES.map((s) => onServer("shared", s))) });
  }, 300000);
  afterAll(async () => {
    await runner?.stop();
  });

  test("one server holding each service's database; the gateways are APIs of one instance, each below its own path", () => {
    expect(runner!.databases.map((d) => d.key)).toEqual([expect.stringMatching(/^shared-tier_db_server_/)]);
    const urls = [...SERVICES.map((s) => s.gateway), "shopcart/gateway:web", "ingest/gateway:api"].map((g) => new URL(runner!.endpoints[g]));
    expect(new Set(urls.map((u) => u.host)).size).toBe(1);
    expect(urls.map((u) => u.pathname)).toEqual(["/orders/public", "/coffee/web", "/shopcart/web", "/ingest/api"]);
  });

  test("an order through each service's API: 202, processed through its queue", async () => {
    for (const s of SERVICES) {
      const token = await runner!.issuer().token({ sub: "bob-azure", aud: s.audience });
      const res = await fetch(`${runner!.endpoints[s.gateway]}/orders`, {
        method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ id: `client-${randomUUID()}`, item: `${s.name} special`, size: "small" }),
      });
      expect({ service: s.name, status: res.status }).toEqual({ service: s.name, status: 202 });
      placed[s.name] = (await res.json()).id;
    }
    await runner!.settle();
  });

  test("each order is stored in its own service's database only", async () => {
    for (const s of SERVICES) {
      const rows = await runner!.query<{ id: string }>("SELECT id FROM orders ORDER BY id", [], s.database);
      expect({ service: s.name, ids: rows.map((r) => r.id) }).toEqual({ service: s.name, ids: [placed[s.name]] });
    }
  });

  test("each service's database admits its own principals only (CONNECT revoked from PUBLIC)", async () => {
    for (const s of SERVICES) {
      // Who may CONNECT: the owner (azure_pg_admin, whose members are the Entra administrators), then the service's own principals; never PUBLIC.
      const rows = await runner!.query<{ grantee: string }>("SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END AS grantee FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = $1 AND a.privilege_type = 'CONNECT'", [s.database], s.database);
      const grantees = rows.map((r) => r.grantee.replace(/"/g, "")).filter((g) => g !== "azure_pg_admin");
      for (const g of grantees) expect({ database: s.database, grantee: g }).toEqual({ database: s.database, grantee: expect.stringMatching(new RegExp(`^${s.name}-`)) });
    }
  });
});
