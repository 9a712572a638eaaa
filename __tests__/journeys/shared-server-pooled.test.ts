import { randomUUID } from "node:crypto";
import { Cloud, EnvironmentConfig } from "@polycloud/core";
import { Runner, startRunner } from "@polycloud/runner";
import { describeWithPostgres } from "../helpers/postgres";
import { envByName } from "../helpers/synth";
import { synthToDir } from "../helpers/synth-to-dir";
import { referenceService } from "../../stacks/reference-service";
import { coffeeOrderingService } from "../fixtures/ported/coffee-ordering";
import { useCoffeeWheels } from "../fixtures/coffee-service";

/**
 * The shared database server behind the cloud's pooler on the local runner (issue 26.1): dev with
 * pooling on (AWS: RDS Proxy; GCP: Enterprise Plus with managed connection pooling) and two
 * services, each with its database on the one server. The runner serves both databases through one
 * PgBouncer per server (as RDS Proxy and Cloud SQL's pooler serve every database of their server),
 * each service's functions store their orders in their own database through it, and a service's
 * role is refused on the other's database.
 */
const POOLED: Record<"aws" | "gcp", (env: EnvironmentConfig) => EnvironmentConfig> = {
  aws: (env) => ({ ...env, clouds: { aws: { ...env.clouds.aws!, database: { proxy: true } } } }),
  gcp: (env) => ({ ...env, clouds: { gcp: { ...env.clouds.gcp!, database: { edition: "ENTERPRISE_PLUS", tier: "db-perf-optimized-N-2" } } } }),
};
const SERVICES = [
  { name: "orders", gateway: "orders/gateway:public", audience: "orders-api", database: "orders_app" },
  { name: "coffee", gateway: "coffee/gateway:web", audience: "coffee-api", database: "coffee_app" },
];

describeWithPostgres("the shared server behind the cloud's pooler, two services", () => {
  for (const cloud of Object.keys(POOLED) as (keyof typeof POOLED & Cloud)[]) {
    describe(cloud, () => {
      let runner: Runner | undefined;
      beforeAll(async () => {
        useCoffeeWheels();
        runner = await startRunner({ stackDir: synthToDir(POOLED[cloud](envByName("dev")), cloud, [referenceService, coffeeOrderingService]) });
      }, 300_000);
      afterAll(async () => {
        await runner?.stop();
      });

      test("one server, one pooler, both services' databases; each order stored in its own service's database through the pooler", async () => {
        expect(runner!.databases).toHaveLength(1);
        expect(runner!.databases[0].endpoint).toMatch(/\(PgBouncer, (transaction|session) pooling\)$/);
        expect(runner!.databases[0].databases).toEqual(["coffee_app", "orders_app"]);
        const placed: Record<string, string> = {};
        for (const s of SERVICES) {
          const token = await runner!.issuer().token({ sub: `dana-${cloud}`, aud: s.audience });
          const res = await fetch(`${runner!.endpoints[s.gateway]}/orders`, {
            method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
            body: JSON.stringify({ id: `client-${randomUUID()}`, item: `${s.name} pooled`, size: "small" }),
          });
          if (res.status !== 202) console.log(runner!.log.entries.map((e) => `[${e.source}] ${e.line}`).join("\n").slice(-6000));
          expect(res.status).toBe(202);
          placed[s.name] = (await res.json()).id;
        }
        await runner!.settle();
        for (const s of SERVICES) {
          expect((await runner!.query<{ id: string }>("SELECT id FROM orders ORDER BY id", [], s.database)).map((r) => r.id)).toEqual([placed[s.name]]);
        }
        const [orders, coffee] = await Promise.all(SERVICES.map((s) => runner!.query<{ rolname: string }>(
          "SELECT rolname FROM pg_roles WHERE rolcanlogin AND NOT rolcreatedb AND NOT rolsuper AND has_database_privilege(oid, $1, 'CONNECT') ORDER BY rolname", [s.database], s.database)));
        expect(await runner!.connectAs(orders[0].rolname, "coffee_app")).toBe("42501");
        expect(await runner!.connectAs(coffee[0].rolname, "orders_app")).toBe("42501");
        expect(await runner!.connectAs(orders[0].rolname, "orders_app")).toBe("ok");
      });
    });
  }
});
