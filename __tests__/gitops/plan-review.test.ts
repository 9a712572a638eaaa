import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { run } from "../../scripts/plan-review";
import { TerraformPlan, parsePlan } from "../../scripts/plan/plan-json";
import { SENSITIVE, UNKNOWN, comparePlans, redactPlan } from "../../scripts/plan/review";
import { summarizePlan } from "../../scripts/plan/summary";

/** Deploy applies only the reviewed plan: the stored (redacted) PR plan against a fresh plan. */
const FIXTURES = path.join(__dirname, "fixtures", "plans");
const load = (name: string): TerraformPlan => parsePlan(fs.readFileSync(path.join(FIXTURES, `${name}.json`), "utf8"), name);
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

describe("redacted plan (the PR artifact)", () => {
  const raw = load("prod-aws");
  const redacted = redactPlan(raw);

  test("holds no sensitive or unknown value, and no values of unchanged resources", () => {
    const text = JSON.stringify(redacted);
    const rds = redacted.resource_changes!.find((c) => c.type === "aws_rds_cluster")!;
    expect((rds.change.before as any).master_password).toBeUndefined();
    expect((rds.change.after as any).kms_key_id).toBe(UNKNOWN);
    expect((rds.change.after as any).arn).toBe(UNKNOWN);
    const sns = redacted.resource_changes!.find((c) => c.type === "aws_sns_topic")!;
    expect(sns.change).toEqual({ actions: ["no-op"] });
    expect(text).not.toContain("after_sensitive");
    const secretPlan = clone(raw) as any;
    secretPlan.resource_changes[2].change.after.environment = { variables: { TOKEN: "s3cr3t-value" } };
    secretPlan.resource_changes[2].change.after_sensitive = { environment: { variables: { TOKEN: true } } };
    const masked = JSON.stringify(redactPlan(secretPlan));
    expect(masked).not.toContain("s3cr3t-value");
    expect(masked).toContain(`"TOKEN":"${SENSITIVE}"`);
  });

  test("summarizes exactly like the raw plan", () => {
    expect(summarizePlan("prod-aws", redacted)).toEqual(summarizePlan("prod-aws", raw));
  });
});

describe("compare", () => {
  const raw = load("prod-aws");

  test("the same plan, reviewed in redacted form, is accepted", () => {
    expect(comparePlans(redactPlan(raw), raw)).toEqual([]);
    expect(comparePlans(raw, raw)).toEqual([]);
  });

  test("a changed value, a new change, a changed action and a vanished change are all refused", () => {
    const now = clone(raw) as any;
    now.resource_changes[2].change.after.memory_size = 256;
    now.resource_changes.push({ address: "aws_sqs_queue.extra", mode: "managed", type: "aws_sqs_queue", name: "extra", change: { actions: ["create"], after: {} } });
    now.resource_changes[1].change.actions = ["delete", "create"];
    now.resource_changes.splice(4, 1);
    expect(comparePlans(redactPlan(raw), now)).toEqual([
      "aws_sqs_queue.orders_orders_dlq_9C0D1E2F: reviewed delete, now delete+create",
      "aws_lambda_function.orders_api_function_1A2B3C4D: planned value of 'memory_size' differs from the reviewed plan",
      "aws_sqs_queue.extra: create was not in the reviewed plan",
      "aws_cloudwatch_metric_alarm.orders_api_errors_7A8B9C0D: the reviewed plan would create it, the current plan does not",
    ]);
  });

  test("a plan without changes is accepted whatever was reviewed (a re-run after the apply)", () => {
    expect(comparePlans(redactPlan(raw), { format_version: "1.2", resource_changes: [] })).toEqual([]);
    expect(comparePlans(redactPlan(raw), { format_version: "1.2", resource_changes: [], errored: true })[0]).toBe("the current plan errored");
  });

  test("without a reviewed plan only an empty plan is accepted", () => {
    expect(comparePlans(undefined, { format_version: "1.2", resource_changes: [] })).toEqual([]);
    expect(comparePlans(undefined, raw)[0]).toMatch(/was not in the reviewed plan \(no plan was reviewed for this stack\)/);
  });

  test("CLI: redact writes the artifact, compare exits 1 with the differences", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-review-"));
    try {
      const reviewed = path.join(dir, "prod-aws.json");
      expect(run(["redact", path.join(FIXTURES, "prod-aws.json"), reviewed]).code).toBe(0);
      expect(run(["compare", reviewed, path.join(FIXTURES, "prod-aws.json")])).toMatchObject({ code: 0 });
      const refused = run(["compare", reviewed, path.join(FIXTURES, "staging-azure.json")]);
      expect(refused.code).toBe(1);
      expect(refused.output).toMatch(/^REFUSING TO APPLY/);
      expect(run(["compare", path.join(dir, "missing.json"), path.join(FIXTURES, "prod-aws.json")]).code).toBe(1);
      expect(run(["bogus"]).code).toBe(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
