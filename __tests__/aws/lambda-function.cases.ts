import { envByName, find, policy, resources, synthPlatform } from "../helpers/synth";
import { referenceService } from "../../stacks/reference-service";
import { dev, prod } from "./shared";

const api = (j: typeof dev) => find(j, "aws_lambda_function", (f) => f.function_name === "orders-dev-api" || f.function_name === "orders-prod-api");
const logGroup = (j: typeof dev, fn: string) => find(j, "aws_cloudwatch_log_group", (g) => g.name === `/aws/lambda/${fn}`);

test("Lambda on arm64 with runtime, memory, timeout, JSON logs, tracing, CMK and a content-hashed package", () => {
  const fn = api(dev);
  expect(fn).toMatchObject({
    architectures: ["arm64"], runtime: "nodejs22.x", handler: "index.handler", memory_size: 256, timeout: 10,
    publish: true, tracing_config: { mode: "Active" },
    logging_config: { log_format: "JSON", application_log_level: "INFO", system_log_level: "WARN" },
    reserved_concurrent_executions: 20,
  });
  expect(fn.kms_key_arn).toMatch(/^\$\{aws_kms_key\./);
  expect(fn.filename).toMatch(/^assets\/.+\.zip$/);
  expect(fn.source_code_hash).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  expect(api(prod).memory_size).toBe(1024);
});

test("log group is created first, encrypted, with retention per environment", () => {
  expect(logGroup(dev, "orders-dev-api").retention_in_days).toBe(14);
  expect(logGroup(prod, "orders-prod-api").retention_in_days).toBe(365);
  expect(logGroup(dev, "orders-dev-api").kms_key_id).toMatch(/aws_kms_key/);
  expect(api(dev).depends_on.some((d: string) => d.startsWith("aws_cloudwatch_log_group."))).toBe(true);
});

test("secrets reach the function only as a reference plus a grant on that one secret", () => {
  const vars = api(dev).environment.variables;
  expect(vars.PAYMENT_API_KEY_SECRET_ARN).toMatch(/^\$\{aws_secretsmanager_secret\.[^}]+\.arn\}$/);
  expect(vars.PAYMENT_API_KEY).toBeUndefined();
  const statements = Object.values(resources(dev, "aws_iam_role_policy")).flatMap((p: any) => policy(p.policy).Statement);
  const read = statements.filter((s) => s.Action === "secretsmanager:GetSecretValue" && s.Sid === "ReadSecretPAYMENTAPIKEY");
  expect(read).toHaveLength(1);
  expect(read[0].Resource).not.toBe("*");
});

test("own role per function, least-privilege policy, never * on *", () => {
  const fns = Object.values(resources(dev, "aws_lambda_function"));
  expect(new Set(fns.map((f: any) => f.role)).size).toBe(fns.length);
  for (const p of Object.values(resources(dev, "aws_iam_role_policy")) as any[]) {
    for (const s of policy(p.policy).Statement) {
      const actions = [].concat(s.Action), res = [].concat(s.Resource);
      expect(actions.includes("*" as never) && res.includes("*" as never)).toBe(false);
      if (res.includes("*" as never)) expect(actions.every((a: string) => /^(xray|ec2):/.test(a))).toBe(true);
    }
  }
});

test("warm instances through a live alias in prod only", () => {
  expect(Object.keys(resources(dev, "aws_lambda_provisioned_concurrency_config"))).toHaveLength(0);
  const warm = Object.values(resources(prod, "aws_lambda_provisioned_concurrency_config")) as any[];
  expect(warm).toHaveLength(1);
  expect(warm[0]).toMatchObject({ provisioned_concurrent_executions: 2 });
  expect(warm[0].qualifier).toMatch(/aws_lambda_alias\..+\.name/);
  expect(Object.values(resources(dev, "aws_lambda_alias")).every((a: any) => a.name === "live")).toBe(true);
});

test("async failures go to a 14-day DLQ through the on-failure destination only (one sink, one format), for functions a rule invokes asynchronously only", () => {
  for (const fn of Object.values(resources(dev, "aws_lambda_function")) as any[]) expect(fn.dead_letter_config).toBeUndefined();
  // The reference's api is invoked by the HTTP API (synchronously), its worker by an event source mapping: no async plumbing.
  expect(Object.values(resources(dev, "aws_lambda_function_event_invoke_config"))).toHaveLength(0);
  expect(Object.values(resources(dev, "aws_sqs_queue")).filter((q: any) => /async-dlq/.test(q.name))).toHaveLength(0);
  const env = envByName("dev");
  const service = JSON.parse(JSON.stringify(referenceService(env)));
  service.buses.events.rules.audit = { filter: { source: ["orders.api"] }, target: { function: "worker" } };
  const json = synthPlatform(env, service).json;
  const cfg = Object.values(resources(json, "aws_lambda_function_event_invoke_config")) as any[];
  expect(cfg).toHaveLength(1);
  expect(cfg[0].function_name).toMatch(/aws_lambda_function\.orders_fn-worker_/);
  expect(cfg[0].destination_config.on_failure.destination).toMatch(/aws_sqs_queue\.orders_fn-worker_async-dlq/);
  expect(cfg[0].depends_on).toEqual([expect.stringMatching(/^aws_iam_role_policy\.orders_fn-worker_policy/)]);
  expect(find(json, "aws_sqs_queue", (q) => q.name === "orders-dev-worker-async-dlq").message_retention_seconds).toBe(1209600);
  const statements = JSON.parse(find(json, "aws_iam_role_policy", (p) => /fn-worker/.test(p.role)).policy).Statement;
  expect(statements.filter((st: any) => st.Sid === "AsyncFailures")).toHaveLength(1);
});

test("functions that connect to the database run in the private subnets with their own security group", () => {
  for (const fn of Object.values(resources(dev, "aws_lambda_function")) as any[]) {
    expect(fn.vpc_config.subnet_ids).toHaveLength(2);
    expect(fn.vpc_config.security_group_ids[0]).toMatch(/aws_security_group\.orders_(fn-|db-main-migrate_fn_)/);
  }
});
