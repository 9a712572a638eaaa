import { randomUUID } from "node:crypto";
import { Cloud } from "@polycloud/core";
import { Runner, startRunner } from "@polycloud/runner";
import { describeWithPostgres } from "../helpers/postgres";
import { envByName } from "../helpers/synth";
import { synthToDir } from "../helpers/synth-to-dir";
import { coffeeService, useCoffeeWheels } from "../fixtures/coffee-service";
import { referenceService } from "../../stacks/reference-service";
import { pendingReason } from "./pending";

/**
 * Two services in one stack on the runner (issue 24, "many services are the normal case"): the
 * reference service and coffee side by side on each cloud. Each keeps its own entry points (by
 * `<service>/<kind>:<id>`), its own database server (AWS names both databases `app`), and an
 * order placed through one service's gateway is stored by that service only.
 */
const CLOUDS: Cloud[] = ["aws", "gcp", "azure"];
const SERVICES = [
  { name: "orders", gateway: "orders/gateway:public", audience: "orders-api", db: "orders_db-main" },
  { name: "coffee", gateway: "coffee/gateway:web", audience: "coffee-api", db: "coffee_db-main" },
];

describeWithPostgres("two services side by side on the local runner", () => {
  for (const cloud of CLOUDS) {
    describe(cloud, () => {
      let runner: Runner | undefined;
      const placed: Record<string, string> = {};
      beforeAll(async () => {
        useCoffeeWheels();
        runner = await startRunner({ stackDir: synthToDir(envByName("dev"), cloud, [referenceService, coffeeService]) });
      });
      afterAll(async () => {
        await runner?.stop();
      });

      const databaseOf = (service: (typeof SERVICES)[number]) => {
        const found = runner!.databases.filter((d) => d.key.startsWith(service.db));
        expect(found).toHaveLength(1);
        return found[0].key;
      };

      test("each service's entry points under its own name; each database on a server of its own", async () => {
        for (const s of SERVICES) expect(runner!.endpoints[s.gateway]).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
        const ports = await Promise.all(SERVICES.map(async (s) => (await runner!.query("SELECT setting FROM pg_settings WHERE name = 'port'", [], databaseOf(s)))[0].setting));
        expect(new Set(ports).size).toBe(2);
      });

      test("an order through each service's gateway: 202 from both", async () => {
        for (const s of SERVICES) {
          const token = await runner!.issuer().token({ sub: `bob-${cloud}`, aud: s.audience });
          const res = await fetch(`${runner!.endpoints[s.gateway]}/orders`, {
            method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
            body: JSON.stringify({ id: `client-${randomUUID()}`, item: `${s.name} special`, size: "small" }),
          });
          expect(res.status).toBe(202);
          placed[s.name] = (await res.json()).id;
        }
        await runner!.settle();
      });

      const pending = pendingReason("side-by-side", "stored-once", cloud);
      (pending ? test.failing : test)(`each order is stored by its own service only${pending ? ` [pending ${pending}]` : ""}`, async () => {
        for (const s of SERVICES) {
          const rows = await runner!.query<{ id: string }>("SELECT id FROM orders ORDER BY id", [], databaseOf(s));
          expect(rows.map((r) => r.id)).toEqual([placed[s.name]]);
        }
      });
    });
  }
});
