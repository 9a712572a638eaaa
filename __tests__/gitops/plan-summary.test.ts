import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parsePlan } from "../../modules/cli/src/plan/plan-json";
import { STATEFUL_TYPES, statefulKind } from "../../modules/cli/src/plan/stateful";
import { SUMMARY_MARKER, renderMarkdown, stackNameFromPath, summarizePlan } from "../../modules/cli/src/plan/summary";
import { polycloud } from "../helpers/cli";

/**
 * The plan summary over fixture plans that replace and destroy databases. The same tool over a
 * real `terraform show -json` of dev-aws is tested in __tests__/terraform/offline-terraform.test.ts,
 * which already plans every AWS stack once (when terraform and the provider mirror exist).
 */
const FIXTURES = path.join(__dirname, "fixtures", "plans");
const load = (name: string) => parsePlan(fs.readFileSync(path.join(FIXTURES, `${name}.json`), "utf8"), name);

describe("stateful types", () => {
  test("one typed list across aws, google and azurerm, each name under its own provider", () => {
    for (const [cloud, types] of Object.entries(STATEFUL_TYPES)) {
      expect(Object.keys(types).filter((t) => !t.startsWith(`${cloud}_`))).toEqual([]);
      // Every cloud covers the kinds the PR comment promises to highlight.
      expect(new Set(Object.values(types))).toEqual(new Set(["database", "queue", "event bus", "secret", "key", "storage"]));
    }
  });

  test.each([
    ["aws_rds_cluster", "aws_rds_cluster.main", "database"],
    ["aws_db_instance", "aws_db_instance.legacy", "database"],
    ["google_sql_database_instance", "google_sql_database_instance.main", "database"],
    ["azurerm_postgresql_flexible_server", "azurerm_postgresql_flexible_server.main", "database"],
    ["aws_sqs_queue", "aws_sqs_queue.orders", "queue"],
    ["aws_sqs_queue", "aws_sqs_queue.orders_dlq_1A2B", "dead-letter queue"],
    ["google_pubsub_subscription", "google_pubsub_subscription.orders_dead_letter", "dead-letter queue"],
    ["azurerm_servicebus_queue", "azurerm_servicebus_queue.orders", "queue"],
    ["azurerm_storage_container", "azurerm_storage_container.events_deadletter", "dead-letter queue"],
    ["aws_cloudwatch_event_bus", "aws_cloudwatch_event_bus.events", "event bus"],
    ["google_pubsub_topic", "google_pubsub_topic.events", "queue"],
    ["azurerm_eventgrid_topic", "azurerm_eventgrid_topic.events", "event bus"],
    ["aws_secretsmanager_secret", "aws_secretsmanager_secret.api_key", "secret"],
    ["google_secret_manager_secret", "google_secret_manager_secret.api_key", "secret"],
    ["azurerm_key_vault_secret", "azurerm_key_vault_secret.api_key", "secret"],
    ["aws_kms_key", "aws_kms_key.main", "key"],
  ])("%s (%s) is a %s", (type, address, kind) => {
    expect(statefulKind(type, address)).toBe(kind);
  });

  test("stateless resources are not flagged, and 'dlq' must be a word, not a substring", () => {
    for (const type of ["aws_lambda_function", "aws_cloudwatch_log_group", "aws_iam_role", "google_cloudfunctions2_function", "azurerm_monitor_metric_alert"]) {
      expect(statefulKind(type, `${type}.x`)).toBeUndefined();
    }
    expect(statefulKind("aws_sqs_queue", "aws_sqs_queue.idlqueue")).toBe("queue");
  });
});

describe("summary of fixture plans", () => {
  const prod = summarizePlan("prod-aws", load("prod-aws"));
  const staging = summarizePlan("staging-azure", load("staging-azure"));

  test("counts like terraform: replace is its own column, reads and no-ops are not changes", () => {
    expect(prod).toMatchObject({ adds: 1, changes: 1, destroys: 1, replaces: 2, drifted: 1, outputsChanged: 0, errored: false });
    expect(staging).toMatchObject({ adds: 1, changes: 1, destroys: 1, replaces: 1, drifted: 0 });
  });

  test("a replaced database and a destroyed DLQ are flagged, with what forces the replacement", () => {
    expect(prod.dangerous).toEqual([
      { stack: "prod-aws", address: "aws_rds_cluster.orders_main_cluster_5E6F7A8B", type: "aws_rds_cluster", kind: "database", action: "replace", forcedBy: ["kms_key_id"] },
      { stack: "prod-aws", address: "aws_sqs_queue.orders_orders_dlq_9C0D1E2F", type: "aws_sqs_queue", kind: "dead-letter queue", action: "delete", forcedBy: [] },
    ]);
    // A replaced log group is a change, not a stateful one.
    expect(prod.dangerous.map((d) => d.type)).not.toContain("aws_cloudwatch_log_group");
  });

  test("a destroyed database and a replaced dead-letter container (create-before-destroy) are flagged on Azure", () => {
    expect(staging.dangerous.map((d) => [d.type, d.kind, d.action])).toEqual([
      ["azurerm_postgresql_flexible_server", "database", "delete"],
      ["azurerm_storage_container", "dead-letter queue", "replace"],
    ]);
  });

  test("markdown: stateful changes first, then one row per stack, then the resource lists", () => {
    const md = renderMarkdown([prod, staging]);
    expect(md.startsWith(`${SUMMARY_MARKER}\n## Terraform plan\n`)).toBe(true);
    const caution = md.indexOf("[!CAUTION]");
    const table = md.indexOf("| Stack | Add |");
    expect(caution).toBeGreaterThan(0);
    expect(table).toBeGreaterThan(caution);
    expect(md).toContain("**4 stateful resources will be destroyed or replaced.**");
    expect(md).toContain("| prod-aws | `aws_rds_cluster.orders_main_cluster_5E6F7A8B` | database | **replace** | `kms_key_id` |");
    expect(md).toContain("| staging-azure | `azurerm_postgresql_flexible_server.orders_main_server_0A1B2C3D` | database | **destroy** | — |");
    expect(md).toContain("| prod-aws | 1 | 1 | 1 | 2 | **2** | 1 |");
    expect(md).toContain("| staging-azure | 1 | 1 | 1 | 1 | **2** | 0 |");
    expect(md).toContain("<details><summary>prod-aws: 1 to add, 1 to change, 1 to destroy, 2 to replace</summary>");
    // Destroys are listed before creates inside a stack.
    expect(md.indexOf("-      aws_sqs_queue.orders_orders_dlq_9C0D1E2F")).toBeLessThan(md.indexOf("+      aws_cloudwatch_metric_alarm."));
    expect(md).not.toContain("data.aws_caller_identity");
  });

  test("a plan without changes says so and raises nothing", () => {
    const md = renderMarkdown([summarizePlan("dev-aws", { format_version: "1.2", resource_changes: [] })]);
    expect(md).toContain("| dev-aws | 0 | 0 | 0 | 0 | 0 | 0 |");
    expect(md).not.toContain("[!CAUTION]");
    expect(md).not.toContain("<details>");
  });

  test("pipes and backticks in addresses cannot break the table", () => {
    const plan = { format_version: "1.2", resource_changes: [{ address: 'aws_sqs_queue.q["a|b`c"]', mode: "managed" as const, type: "aws_sqs_queue", name: "q", change: { actions: ["delete" as const] } }] };
    expect(renderMarkdown([summarizePlan("x", plan)])).toContain("`aws_sqs_queue.q[\"a\\|b'c\"]`");
  });
});

describe("polycloud plan summary", () => {
  test("takes files and directories, names stacks after the files, writes --report", async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "plan-summary-")), "comment.md");
    try {
      const { code, stdout: md } = await polycloud(["plan", "summary", "--title", "Plans for this PR", "--report", out, FIXTURES]);
      expect(code).toBe(0);
      expect(fs.readFileSync(out, "utf8")).toBe(md);
      expect(md).toContain("## Plans for this PR");
      expect(md.indexOf("| prod-aws |")).toBeLessThan(md.indexOf("| staging-azure |"));
    } finally {
      fs.rmSync(path.dirname(out), { recursive: true, force: true });
    }
  });

  test("stack names from common file layouts", () => {
    expect(stackNameFromPath("plans/dev-aws.json")).toBe("dev-aws");
    expect(stackNameFromPath("plans/prod-gcp.plan.json")).toBe("prod-gcp");
    expect(stackNameFromPath("artifacts/staging-azure/plan.json")).toBe("staging-azure");
  });

  test("refuses a synthesized cdk.tf.json or non-JSON with a message naming the file (exit 2)", async () => {
    expect(() => parsePlan(JSON.stringify({ terraform: {}, resource: {} }), "cdk.tf.json")).toThrow(/cdk\.tf\.json: no format_version/);
    expect(() => parsePlan("Error: Failed to load plugin schemas", "dev-aws.json")).toThrow(/dev-aws\.json: not JSON/);
    expect(await polycloud(["plan", "summary", "--bogus", FIXTURES])).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown option '--bogus'") });
    expect(await polycloud(["plan", "summary"])).toMatchObject({ code: 2, stderr: expect.stringContaining("missing required argument 'plans'") });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-summary-"));
    try {
      fs.writeFileSync(path.join(dir, "dev-aws.json"), "Error: Failed to load plugin schemas");
      expect(await polycloud(["plan", "summary", dir])).toMatchObject({ code: 2, stderr: expect.stringMatching(/dev-aws\.json: not JSON/) });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
