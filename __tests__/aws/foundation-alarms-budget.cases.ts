import { only, policy, resources } from "../helpers/synth";
import { dev, prod, staging } from "./shared";

test("provider default tags carry the tag contract", () => {
  // The stack holds the shared foundation: its defaults name the platform; the service's own resources name the service.
  expect(dev.provider!.aws[0].default_tags[0].tags).toEqual({ owner: "platform-team", cost_center: "cc-1001", environment: "dev", service: "shared", managed_by: "cdktf" });
  for (const fn of Object.values(dev.resource.aws_lambda_function) as any[]) expect(fn.tags.service).toBe("orders");
  expect(prod.provider!.aws[0]).toMatchObject({ region: "eu-west-1", allowed_account_ids: ["333333333333"] });
});

test("KMS key rotates and its policy never grants kms:* ", () => {
  const key = only(dev, "aws_kms_key");
  expect(key.enable_key_rotation).toBe(true);
  const statements = policy(key.policy).Statement;
  expect(statements.flatMap((s) => [].concat(s.Action))).not.toContain("kms:*");
  expect(statements.find((s) => s.Sid === "CloudWatchLogs").Principal).toEqual({ Service: "logs.eu-west-1.amazonaws.com" });
});

test("alarm topic: encrypted, publishable by CloudWatch and Budgets only over TLS, one e-mail per recipient", () => {
  expect(only(dev, "aws_sns_topic").kms_master_key_id).toMatch(/aws_kms_key/);
  const statements = policy(only(dev, "aws_sns_topic_policy").policy).Statement;
  expect(statements[0].Principal.Service).toEqual(["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]);
  expect(statements[1]).toMatchObject({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
  expect(Object.values(resources(prod, "aws_sns_topic_subscription")).map((s: any) => [s.protocol, s.endpoint])).toEqual([["email", "oncall@example.com"], ["email", "platform-prod@example.com"]]);
});

test("every component alarm notifies the topic, with thresholds from the environment", () => {
  const alarms = (j: typeof dev) => Object.values(resources(j, "aws_cloudwatch_metric_alarm")) as any[];
  for (const a of alarms(dev)) {
    expect(a.alarm_actions[0]).toMatch(/^\$\{aws_sns_topic\./);
    expect(a.ok_actions[0]).toMatch(/^\$\{aws_sns_topic\./);
  }
  const byName = (j: typeof dev, n: string) => alarms(j).find((a) => a.alarm_name === n);
  expect(byName(dev, "orders-dev-api-errors")).toMatchObject({ namespace: "AWS/Lambda", metric_name: "Errors", threshold: 5 });
  expect(byName(prod, "orders-prod-api-errors").threshold).toBe(1);
  expect(byName(dev, "orders-dev-api-throttles")).toMatchObject({ metric_name: "Throttles" });
  expect(byName(dev, "orders-dev-worker-duration-p99")).toMatchObject({ metric_name: "Duration", extended_statistic: "p99", threshold: 48000 });
  expect(byName(dev, "orders-dev-public-5xx")).toMatchObject({ namespace: "AWS/ApiGateway", metric_name: "5xx", threshold: 20 });
  expect(byName(prod, "orders-prod-public-latency-p99")).toMatchObject({ metric_name: "Latency", threshold: 1000 });
  expect(byName(dev, "orders-dev-orders-oldest-message-age")).toMatchObject({ metric_name: "ApproximateAgeOfOldestMessage", threshold: 900 });
  expect(byName(dev, "orders-dev-orders-dlq-depth")).toMatchObject({ metric_name: "ApproximateNumberOfMessagesVisible", threshold: 0, comparison_operator: "GreaterThanThreshold" });
  expect(byName(dev, "orders-dev-events-order-created-failed")).toMatchObject({ namespace: "AWS/Events", metric_name: "FailedInvocations" });
  expect(byName(dev, "orders-dev-events-order-created-sent-to-dlq")).toMatchObject({ metric_name: "InvocationsSentToDlq" });
  expect(byName(staging, "orders-staging-main-pinned-connections")).toMatchObject({ metric_name: "DatabaseConnectionsCurrentlySessionPinned", threshold: 10 });
  // Dev has no proxy (clouds.aws.database.proxy = false): no pinned sessions, and saturation is the
  // cluster's own connections against the max_connections of its maximum capacity (2 ACU: 450).
  expect(Object.values(resources(dev, "aws_cloudwatch_metric_alarm")).filter((a: any) => /pinned/.test(a.alarm_name))).toEqual([]);
  const direct = byName(dev, "orders-dev-main-connection-saturation");
  expect(direct.metric_query.map((q: any) => q.expression ?? `${q.metric.metric_name} ${q.metric.stat} ${JSON.stringify(q.metric.dimensions)}`))
    .toEqual(['DatabaseConnections Sum {"DBClusterIdentifier":"orders-dev-main"}', "100 * used / 450"]);
  const saturation = byName(prod, "orders-prod-main-connection-saturation");
  expect(saturation.threshold).toBe(70);
  expect(saturation.metric_query.map((q: any) => q.expression ?? q.metric.metric_name)).toEqual(["DatabaseConnections", "MaxDatabaseConnectionsAllowed", "100 * used / allowed"]);
});

test("budget: monthly cost filtered by the environment tag, actual and forecast notifications", () => {
  const b = only(dev, "aws_budgets_budget");
  expect(b).toMatchObject({ budget_type: "COST", limit_amount: "200", limit_unit: "USD", time_unit: "MONTHLY", cost_filter: [{ name: "TagKeyValue", values: ["user:environment$dev"] }] });
  expect(b.notification.map((n: any) => [n.notification_type, n.threshold])).toEqual([["ACTUAL", 80], ["ACTUAL", 100], ["FORECASTED", 100]]);
  expect(b.notification[0].subscriber_sns_topic_arns[0]).toMatch(/aws_sns_topic/);
  expect(only(prod, "aws_budgets_budget").limit_amount).toBe("5000");
  expect(only(prod, "aws_budgets_budget").notification).toHaveLength(5);
});
