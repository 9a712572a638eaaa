import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TerraformPlan, parsePlan } from "../../modules/cli/src/plan/plan-json";
import { SENSITIVE, SENSITIVE_HASH_PREFIX, UNKNOWN, comparePlans as compareWithKey, redactPlan as redactWithKey, reviewKeyId } from "../../modules/cli/src/plan/review";
import { summarizePlan } from "../../modules/cli/src/plan/summary";
import { polycloud } from "../helpers/cli";

/** Deploy applies only the reviewed plan: the stored (redacted) PR plan against a fresh plan. */
const FIXTURES = path.join(__dirname, "fixtures", "plans");
const load = (name: string): TerraformPlan => parsePlan(fs.readFileSync(path.join(FIXTURES, `${name}.json`), "utf8"), name);
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));
/** PLAN_REVIEW_KEY as the plan and deploy environments hold it (`openssl rand -hex 32`). */
const KEY = "5e".repeat(32);
const OTHER_KEY = "a7".repeat(32);
const redactPlan = (p: TerraformPlan, ...key: [string?]) => redactWithKey(p, key.length ? key[0] : KEY);
const comparePlans = (reviewed: TerraformPlan | undefined, current: TerraformPlan, key = KEY) => compareWithKey(reviewed, current, key);

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
    expect(masked).toMatch(/"TOKEN":"\(sensitive hmac-sha256:[0-9a-f]{64}\)"/);
    // Prior values are not needed for the comparison: masked without a hash.
    expect((rds.change.before as any).master_password).toBeUndefined();
    const prior = clone(secretPlan);
    prior.resource_changes[2].change.before.environment = { variables: { TOKEN: "old-value" } };
    prior.resource_changes[2].change.before_sensitive = { environment: { variables: { TOKEN: true } } };
    expect((redactPlan(prior).resource_changes![2].change.before as any).environment.variables.TOKEN).toBe(SENSITIVE);
  });

  test("sensitive values are hashed with PLAN_REVIEW_KEY, which the artifact names but does not hold", () => {
    const secretPlan = clone(raw) as any;
    secretPlan.resource_changes[2].change.after.environment = { variables: { TOKEN: "s3cr3t-value" } };
    secretPlan.resource_changes[2].change.after_sensitive = { environment: { variables: { TOKEN: true } } };
    const token = (p: TerraformPlan) => (p.resource_changes![2].change.after as any).environment.variables.TOKEN as string;
    const a = redactPlan(secretPlan);
    expect(token(a)).toMatch(/^\(sensitive hmac-sha256:[0-9a-f]{64}\)$/);
    expect(token(redactPlan(secretPlan))).toBe(token(a));
    expect(token(redactPlan(secretPlan, OTHER_KEY))).not.toBe(token(a));
    expect(a.review_key_id).toBe(reviewKeyId(KEY));
    expect(a.review_key_id).toMatch(/^[0-9a-f]{16}$/);
    const text = JSON.stringify(a);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain("salt");
    // Without a key (drift reports) a sensitive value is only "(sensitive)".
    expect(token(redactPlan(secretPlan, undefined))).toBe(SENSITIVE);
    expect(redactPlan(secretPlan, undefined).review_key_id).toBeUndefined();
    expect(token(a).startsWith(SENSITIVE_HASH_PREFIX)).toBe(true);
    // Redacting the artifact again changes nothing.
    expect(redactPlan(a)).toEqual(a);
  });

  test("compare refuses a plan reviewed with another key, or redacted without one", () => {
    expect(comparePlans(redactPlan(raw, OTHER_KEY), raw)).toEqual([
      `the reviewed plan was hashed with another PLAN_REVIEW_KEY (key id ${reviewKeyId(OTHER_KEY)}, this one ${reviewKeyId(KEY)}): the plan-<env> and <env> environments must hold the same key`,
    ]);
    expect(comparePlans(redactPlan(raw, undefined), raw)).toEqual(["the reviewed plan was redacted without PLAN_REVIEW_KEY: its sensitive values cannot be compared"]);
  });

  test("summarizes exactly like the raw plan", () => {
    expect(summarizePlan("prod-aws", redacted)).toEqual(summarizePlan("prod-aws", raw));
  });
});

describe("compare", () => {
  const raw = load("prod-aws");

  test("the same plan, reviewed in redacted form, is accepted", () => {
    expect(comparePlans(redactPlan(raw), raw)).toEqual([]);
  });

  test("a changed value, a new change and a changed action are all refused", () => {
    const now = clone(raw) as any;
    now.resource_changes[2].change.after.memory_size = 256;
    now.resource_changes.push({ address: "aws_sqs_queue.extra", mode: "managed", type: "aws_sqs_queue", name: "extra", change: { actions: ["create"], after: {} } });
    now.resource_changes[1].change.actions = ["delete", "create"];
    expect(comparePlans(redactPlan(raw), now)).toEqual([
      "aws_sqs_queue.orders_orders_dlq_9C0D1E2F: reviewed delete, now delete+create (delete_because_no_resource_config)",
      "aws_lambda_function.orders_api_function_1A2B3C4D: planned value of 'memory_size' differs from the reviewed plan",
      "aws_sqs_queue.extra: create was not in the reviewed plan",
    ]);
  });

  describe("the rest of a partially failed apply (a subset of the reviewed plan)", () => {
    // The alarm and the DLQ delete were applied; the rest failed and is planned again.
    const rest = () => {
      const now = clone(raw) as any;
      now.resource_changes = now.resource_changes.filter((_: unknown, i: number) => i !== 1 && i !== 4);
      return now;
    };

    test("is accepted with equal values", () => {
      expect(comparePlans(redactPlan(raw), rest())).toEqual([]);
    });

    test("is accepted when a value unknown at review is now known, and when a replacement is left as its create", () => {
      const now = rest();
      now.resource_changes[0].change.after.kms_key_id = "arn:aws:kms:eu-west-1:333333333333:key/new";
      now.resource_changes[0].change.after_unknown = { arn: true, id: true, endpoint: true };
      now.resource_changes[0].change.actions = ["create"];
      expect(comparePlans(redactPlan(raw), now)).toEqual([]);
      // Not so for a full plan: a value the reviewer saw as unknown is then a difference.
      const full = clone(raw) as any;
      full.resource_changes[0].change.after.kms_key_id = "arn:aws:kms:eu-west-1:333333333333:key/new";
      full.resource_changes[0].change.after_unknown = { arn: true, id: true, endpoint: true };
      expect(comparePlans(redactPlan(raw), full)).toEqual(["aws_rds_cluster.orders_main_cluster_5E6F7A8B: planned value of 'kms_key_id' differs from the reviewed plan"]);
    });

    test("is refused when a remaining change differs, or an action is not the reviewed one", () => {
      const now = rest();
      now.resource_changes[1].change.after.memory_size = 2048;
      now.resource_changes[2].change.actions = ["update"];
      expect(comparePlans(redactPlan(raw), now)).toEqual([
        "aws_lambda_function.orders_api_function_1A2B3C4D: planned value of 'memory_size' differs from the reviewed plan",
        "aws_cloudwatch_log_group.orders_api_logs_3C4D5E6F: reviewed delete+create, now update",
      ]);
    });
  });

  describe("a reviewed create left tainted by a failed apply (docs/gitops.md, Recovering a failed deploy)", () => {
    const createOf = (p: any) => {
      const c = clone(p);
      c.resource_changes[2].change.actions = ["create"];
      c.resource_changes[2].change.before = null;
      return c as TerraformPlan;
    };
    const tainted = (reason = "replace_because_tainted", actions = ["delete", "create"]) => {
      const now = createOf(raw) as any;
      now.resource_changes[2].change.actions = actions;
      now.resource_changes[2].action_reason = reason;
      now.resource_changes[2].change.before = { function_name: "orders-api" };
      return now as TerraformPlan;
    };

    test("its replacement finishes the reviewed create: accepted with the reviewed values", () => {
      expect(comparePlans(redactPlan(createOf(raw)), tainted())).toEqual([]);
      expect(comparePlans(redactPlan(createOf(raw)), tainted("replace_because_tainted", ["create", "delete"]))).toEqual([]);
    });

    test("not for another reason, not with other values, and not for a resource the review updated", () => {
      expect(comparePlans(redactPlan(createOf(raw)), tainted("replace_because_cannot_update"))).toEqual([
        "aws_lambda_function.orders_api_function_1A2B3C4D: reviewed create, now delete+create (replace_because_cannot_update)",
      ]);
      const other = tainted() as any;
      other.resource_changes[2].change.after.memory_size = 4096;
      expect(comparePlans(redactPlan(createOf(raw)), other)).toEqual(["aws_lambda_function.orders_api_function_1A2B3C4D: planned value of 'memory_size' differs from the reviewed plan"]);
      const updated = clone(raw) as any;
      updated.resource_changes[2].change.actions = ["update"];
      expect(comparePlans(redactPlan(updated), tainted())).toEqual(["aws_lambda_function.orders_api_function_1A2B3C4D: reviewed update, now delete+create (replace_because_tainted)"]);
    });
  });

  test("a changed sensitive value is refused, the same one accepted (compared by their keyed hashes)", () => {
    const withSecret = (value: string) => {
      const p = clone(raw) as any;
      p.resource_changes[2].change.after.environment = { variables: { TOKEN: value } };
      p.resource_changes[2].change.after_sensitive = { environment: { variables: { TOKEN: true } } };
      return p as TerraformPlan;
    };
    const reviewed = redactPlan(withSecret("first"));
    expect(JSON.stringify(reviewed)).not.toContain("first");
    expect(comparePlans(reviewed, withSecret("first"))).toEqual([]);
    expect(comparePlans(reviewed, withSecret("second"))).toEqual([
      "aws_lambda_function.orders_api_function_1A2B3C4D: planned value of 'environment.variables.TOKEN' differs from the reviewed plan",
    ]);
  });

  test("output changes are compared: a new or different output value is refused", () => {
    const withOutput = (after: unknown, sensitive = false) => {
      const p = clone(raw) as any;
      p.output_changes.api_url = { actions: ["update"], before: "https://old", after, after_unknown: false, before_sensitive: false, after_sensitive: sensitive };
      return p as TerraformPlan;
    };
    const reviewed = redactPlan(withOutput("https://new"));
    expect(comparePlans(reviewed, withOutput("https://new"))).toEqual([]);
    expect(comparePlans(reviewed, withOutput("https://evil"))).toEqual(["output.api_url: planned value of '(value)' differs from the reviewed plan"]);
    expect(comparePlans(redactPlan(raw), withOutput("https://new"))).toEqual(["output.api_url: update was not in the reviewed plan"]);
    const secret = redactPlan(withOutput("hunter2", true));
    expect(JSON.stringify(secret)).not.toContain("hunter2");
    expect(comparePlans(secret, withOutput("hunter3", true))).toEqual(["output.api_url: planned value of '(value)' differs from the reviewed plan"]);
    // An output-only plan (no resource changes) is still compared.
    const outputOnly = { format_version: "1.2", resource_changes: [], output_changes: { api_url: { actions: ["create"], after: "x", after_unknown: false, after_sensitive: false } } } as TerraformPlan;
    expect(comparePlans(undefined, outputOnly)).toEqual(["output.api_url: create was not in the reviewed plan (no plan was reviewed for this stack)"]);
  });

  test("imports are compared: an unreviewed import or a different import id is refused", () => {
    const withImport = (id: string) => {
      const p = clone(raw) as any;
      p.resource_changes.push({ address: "aws_s3_bucket.adopted", mode: "managed", type: "aws_s3_bucket", name: "adopted", change: { actions: ["no-op"], before: { bucket: id }, after: { bucket: id }, after_unknown: {}, importing: { id } } });
      return p as TerraformPlan;
    };
    const reviewed = redactPlan(withImport("orders-archive"));
    expect(comparePlans(reviewed, withImport("orders-archive"))).toEqual([]);
    expect(comparePlans(reviewed, withImport("someone-elses-bucket"))).toEqual([
      'aws_s3_bucket.adopted: imports {"id":"someone-elses-bucket"}, reviewed {"id":"orders-archive"}',
    ]);
    expect(comparePlans(redactPlan(raw), withImport("orders-archive"))).toEqual(["aws_s3_bucket.adopted: no-op was not in the reviewed plan"]);
  });

  test("a plan without changes is accepted whatever was reviewed (a re-run after the apply)", () => {
    expect(comparePlans(redactPlan(raw), { format_version: "1.2", resource_changes: [] })).toEqual([]);
    expect(comparePlans(redactPlan(raw), { format_version: "1.2", resource_changes: [], errored: true })[0]).toBe("the current plan errored");
  });

  test("without a reviewed plan only an empty plan is accepted", () => {
    expect(comparePlans(undefined, { format_version: "1.2", resource_changes: [] })).toEqual([]);
    expect(comparePlans(undefined, raw)[0]).toMatch(/was not in the reviewed plan \(no plan was reviewed for this stack\)/);
  });

  test("polycloud plan redact writes the artifact; plan compare exits 1 with the differences", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-review-"));
    try {
      const reviewed = path.join(dir, "prod-aws.json");
      const env = { PLAN_REVIEW_KEY: KEY };
      const run = (argv: string[], e: NodeJS.ProcessEnv = {}) => polycloud(["plan", ...argv], { env: e });
      expect((await run(["redact", path.join(FIXTURES, "prod-aws.json"), reviewed], env)).code).toBe(0);
      expect(await run(["compare", reviewed, path.join(FIXTURES, "prod-aws.json")], env)).toMatchObject({ code: 0 });
      const refused = await run(["compare", reviewed, path.join(FIXTURES, "staging-azure.json")], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^REFUSING TO APPLY/);
      expect((await run(["compare", path.join(dir, "missing.json"), path.join(FIXTURES, "prod-aws.json")], env)).code).toBe(1);
      expect((await run(["bogus"])).code).toBe(2);
      // The key is required to redact for review and to compare; drift redacts without it.
      expect(await run(["redact", path.join(FIXTURES, "prod-aws.json"), reviewed], {})).toMatchObject({ code: 2, stderr: expect.stringMatching(/PLAN_REVIEW_KEY is not set/) });
      expect(await run(["compare", reviewed, path.join(FIXTURES, "prod-aws.json")], { PLAN_REVIEW_KEY: "short" })).toMatchObject({ code: 2, stderr: expect.stringMatching(/wrong form/) });
      expect((await run(["redact", "--without-key", path.join(FIXTURES, "prod-aws.json"), path.join(dir, "drift.json")], {})).code).toBe(0);
      expect(JSON.parse(fs.readFileSync(path.join(dir, "drift.json"), "utf8")).review_key_id).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
