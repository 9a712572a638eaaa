import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { guard } from "../../modules/cli/src/plan/guard";
import { parsePlan } from "../../modules/cli/src/plan/plan-json";
import { polycloud } from "../helpers/cli";

/** The destroy guard on fixture plans (real offline plans: terraform/offline-terraform.test.ts). */
const fixture = (name: string) => path.join(__dirname, "fixtures", "plans", name);
const load = (name: string) => ({ stack: name.replace(/\.json$/, ""), plan: parsePlan(fs.readFileSync(fixture(name), "utf8"), name) });

test("a replaced database and a destroyed DLQ are blocked; ordinary changes are not", () => {
  const r = guard([load("prod-aws.json"), load("staging-azure.json")], []);
  expect(r.blocked.map((d) => [d.stack, d.action, d.kind, d.address])).toEqual([
    ["prod-aws", "replace", "database", "aws_rds_cluster.orders_main_cluster_5E6F7A8B"],
    ["prod-aws", "delete", "dead-letter queue", "aws_sqs_queue.orders_orders_dlq_9C0D1E2F"],
    ["staging-azure", "delete", "database", "azurerm_postgresql_flexible_server.orders_main_server_0A1B2C3D"],
    ["staging-azure", "replace", "dead-letter queue", "azurerm_storage_container.orders_events_deadletter_4D5E6F7A"],
  ]);
});

test("an allow-list entry with a reason lets exactly that resource through; one without a reason is invalid", () => {
  const allow = [{ stack: "prod-aws", address: "aws_sqs_queue.orders_orders_dlq_9C0D1E2F", reason: "DLQ moved to the new bus; drained and archived first" }];
  const r = guard([load("prod-aws.json")], allow);
  expect(r.blocked.map((d) => d.address)).toEqual(["aws_rds_cluster.orders_main_cluster_5E6F7A8B"]);
  expect(r.allowed.map((d) => d.address)).toEqual(["aws_sqs_queue.orders_orders_dlq_9C0D1E2F"]);
  const invalid = guard([load("prod-aws.json")], [{ stack: "prod-aws", address: "aws_rds_cluster.orders_main_cluster_5E6F7A8B", reason: "" }]);
  expect(invalid.problems).toEqual([expect.stringMatching(/has no written reason/)]);
  expect(invalid.blocked.map((d) => d.address)).toContain("aws_rds_cluster.orders_main_cluster_5E6F7A8B");
});

test("polycloud plan guard exits 1 on a blocked plan and 0 when everything is allow-listed", async () => {
  const blocked = await polycloud(["plan", "guard", fixture("prod-aws.json")]);
  expect(blocked.code).toBe(1);
  expect(blocked.stdout).toMatch(/^BLOCKED {2}prod-aws {2}replace database aws_rds_cluster\.orders_main_cluster_5E6F7A8B/m);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "guard-"));
  try {
    const allowFile = path.join(dir, "allow.json");
    fs.writeFileSync(allowFile, JSON.stringify({ allow: [
      { stack: "prod-aws", address: "aws_rds_cluster.orders_main_cluster_5E6F7A8B", reason: "engine upgrade rehearsed on a snapshot restore" },
      { stack: "prod-aws", address: "aws_sqs_queue.orders_orders_dlq_9C0D1E2F", reason: "DLQ moved to the new bus; drained and archived first" },
    ] }));
    expect((await polycloud(["plan", "guard", "--allow", allowFile, fixture("prod-aws.json")])).code).toBe(0);
    const json = await polycloud(["plan", "guard", "--json", "--allow", allowFile, path.dirname(fixture("prod-aws.json"))]);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, plans: expect.arrayContaining(["prod-aws", "staging-azure"]), allowed: [expect.objectContaining({ stack: "prod-aws" }), expect.objectContaining({ stack: "prod-aws" })] });
    expect(json.code).toBe(1);
    // No plan files and no offline plans in the output: skipped, said so.
    const none = await polycloud(["plan", "guard", "--output", dir]);
    expect(none).toMatchObject({ code: 0, stdout: expect.stringMatching(/^SKIPPED plan guard: no plans in /) });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a service's database on the shared server is stateful on its own: replacing or deleting it is blocked though the server stays (GCP google_sql_database, Azure flexible server database)", () => {
  const plan = (stack: string, changes: [string, string[]][]) => ({
    stack,
    plan: parsePlan(JSON.stringify({
      format_version: "1.2",
      resource_changes: changes.map(([address, actions]) => {
        const [type, name] = address.split(".");
        return { address, mode: "managed", type, name, change: { actions, before: {}, after: actions.includes("delete") && actions.length === 1 ? null : {} } };
      }),
    }), `${stack}.json`),
  });
  const r = guard([
    plan("prod-gcp", [
      ["google_sql_database_instance.shared-tier_db_instance_C1E76735", ["no-op"]],
      ["google_sql_database.orders_db-main_database_77EE7C0D", ["delete", "create"]],
      ["google_sql_database.shopcart_db-carts_database_1A2B3C4D", ["delete"]],
    ]),
    plan("prod-azure", [
      ["azurerm_postgresql_flexible_server.shared-tier_db_server_0A1B2C3D", ["update"]],
      ["azurerm_postgresql_flexible_server_database.orders_db-main_database_77EE7C0D", ["delete", "create"]],
    ]),
  ], []);
  expect(r.blocked.map((d) => [d.stack, d.action, d.kind, d.address])).toEqual([
    ["prod-gcp", "replace", "database", "google_sql_database.orders_db-main_database_77EE7C0D"],
    ["prod-gcp", "delete", "database", "google_sql_database.shopcart_db-carts_database_1A2B3C4D"],
    ["prod-azure", "replace", "database", "azurerm_postgresql_flexible_server_database.orders_db-main_database_77EE7C0D"],
  ]);
});
