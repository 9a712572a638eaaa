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
