import { SynthJson, policy } from "../helpers/synth";
import { allStacks } from "../helpers/all-stacks";

/**
 * Defect classes checked across every AWS stack (issue 11): ordering (what a service needs exists
 * before it is used), alarm statistics and missing-data semantics, engine versioning, one failure
 * sink per function, endpoints only for what in-VPC code calls, key grants only for real callers.
 */
const stacks = Object.entries(allStacks() as Record<string, SynthJson>).filter(([name]) => name.endsWith("-aws"));
const all = (json: SynthJson, type: string) => Object.entries(json.resource[type] ?? {}) as [string, any][];
const address = (type: string, name: string) => `${type}.${name}`;
/** `${aws_x.name.attr}` → `aws_x.name`. */
const refTo = (value: string) => /^\$\{([a-z0-9_]+\.[A-Za-z0-9_-]+)\./.exec(value)?.[1];

test("three AWS stacks are checked", () => {
  expect(stacks.map(([n]) => n).sort()).toEqual(["dev-aws", "prod-aws", "staging-aws"]);
});

describe.each(stacks)("%s", (_name, json) => {
  // Dev reaches Aurora without RDS Proxy (clouds.aws.database.proxy = false in environments/dev.ts).
  const proxied = _name !== "dev-aws";
  test("ordering: every proxy target waits for the cluster and every instance of it", () => {
    const targets = all(json, "aws_db_proxy_target");
    expect(targets.length > 0).toBe(proxied);
    for (const [, target] of targets) {
      const cluster = refTo(target.db_cluster_identifier)!;
      const instances = all(json, "aws_rds_cluster_instance").filter(([, i]) => refTo(i.cluster_identifier) === cluster).map(([n]) => address("aws_rds_cluster_instance", n));
      expect(instances.length).toBeGreaterThan(0);
      expect(target.depends_on ?? []).toEqual(expect.arrayContaining(instances));
    }
  });

  test("ordering: every log group a service writes to exists first, encrypted with the CMK, with retention", () => {
    const groups = new Map(all(json, "aws_cloudwatch_log_group").map(([n, g]) => [g.name, { address: address("aws_cloudwatch_log_group", n), group: g }]));
    const expectGroup = (writer: any, name: string) => {
      const found = groups.get(name);
      expect({ name, exists: !!found }).toEqual({ name, exists: true });
      expect(found!.group.kms_key_id).toMatch(/^\$\{aws_kms_key\./);
      expect(found!.group.retention_in_days).toBeGreaterThan(0);
      expect(writer.depends_on ?? []).toContain(found!.address);
    };
    for (const [, c] of all(json, "aws_rds_cluster")) for (const log of c.enabled_cloudwatch_logs_exports ?? []) expectGroup(c, `/aws/rds/cluster/${c.cluster_identifier}/${log}`);
    for (const [, p] of all(json, "aws_db_proxy")) expectGroup(p, `/aws/rds/proxy/${p.name}`);
    for (const [, f] of all(json, "aws_lambda_function")) {
      const ref = refTo(f.logging_config.log_group)!;
      expect(f.depends_on).toContain(ref);
      expectGroup(f, json.resource.aws_cloudwatch_log_group[ref.split(".")[1]].name);
    }
  });

  // Every alarm's metric, how it is aggregated and what missing data means. An alarm on a metric not
  // in this table fails the test: add it with its reason.
  const KINDS: Record<string, { stat: string; missing: string; period?: number }> = {
    // Counters: no data means nothing happened.
    "AWS/Lambda Errors": { stat: "Sum", missing: "notBreaching" },
    "AWS/Lambda Throttles": { stat: "Sum", missing: "notBreaching" },
    "AWS/Lambda Duration": { stat: "p99", missing: "notBreaching" },
    "AWS/ApiGateway 5xx": { stat: "Sum", missing: "notBreaching" },
    "AWS/ApiGateway Latency": { stat: "p99", missing: "notBreaching" },
    "AWS/Events FailedInvocations": { stat: "Sum", missing: "notBreaching" },
    "AWS/Events InvocationsSentToDlq": { stat: "Sum", missing: "notBreaching" },
    // The source queue is polled all the time by its event source mapping, so SQS keeps publishing.
    "AWS/SQS ApproximateAgeOfOldestMessage": { stat: "Maximum", missing: "notBreaching" },
    // DLQ depth: SQS stops publishing for an idle queue even while it holds messages; keep the state.
    "AWS/SQS ApproximateNumberOfMessagesVisible": { stat: "Maximum", missing: "ignore" },
    // One datapoint per proxy node per minute: Sum over a minute is the proxy's total.
    "AWS/RDS DatabaseConnectionsCurrentlySessionPinned": { stat: "Sum", missing: "notBreaching", period: 60 },
    "AWS/RDS DatabaseConnections": { stat: "Sum", missing: "notBreaching", period: 60 },
    "AWS/RDS MaxDatabaseConnectionsAllowed": { stat: "Sum", missing: "notBreaching", period: 60 },
    // Cluster CPU, averaged over 15 minutes like Cloud SQL's and Flexible Server's.
    "AWS/RDS CPUUtilization": { stat: "Average", missing: "notBreaching", period: 900 },
  };

  test("statistics and missing-data semantics of every alarm follow its metric", () => {
    const alarms = all(json, "aws_cloudwatch_metric_alarm");
    expect(alarms.length).toBeGreaterThan(10);
    const seen: string[] = [];
    for (const [, a] of alarms) {
      const metrics = a.metric_name
        ? [{ namespace: a.namespace, metric: a.metric_name, stat: a.statistic ?? a.extended_statistic, period: a.period }]
        : (a.metric_query ?? []).filter((q: any) => q.metric).map((q: any) => ({ namespace: q.metric.namespace, metric: q.metric.metric_name, stat: q.metric.stat, period: q.metric.period }));
      expect(metrics.length).toBeGreaterThan(0);
      for (const m of metrics) {
        const key = `${m.namespace} ${m.metric}`;
        seen.push(key);
        const kind = KINDS[key];
        expect({ alarm: a.alarm_name, key, known: !!kind }).toEqual({ alarm: a.alarm_name, key, known: true });
        expect({ alarm: a.alarm_name, stat: m.stat, missing: a.treat_missing_data }).toEqual({ alarm: a.alarm_name, stat: kind.stat, missing: kind.missing });
        if (kind.period) expect({ alarm: a.alarm_name, period: m.period }).toEqual({ alarm: a.alarm_name, period: kind.period });
      }
    }
    // Every DLQ depth alarm (queue, rule and async-failure DLQs) is among them.
    const dlqAlarms = alarms.filter(([, a]) => a.metric_name === "ApproximateNumberOfMessagesVisible").map(([, a]) => a.dimensions.QueueName);
    const dlqs = all(json, "aws_sqs_queue").filter(([, q]) => /dlq$/.test(q.name)).map(([n]) => `\${aws_sqs_queue.${n}.name}`);
    expect(dlqAlarms.sort()).toEqual(dlqs.sort());
  });

  test("Aurora: major version only (auto minor upgrades never fight the configuration); instances follow the cluster", () => {
    for (const [, c] of all(json, "aws_rds_cluster")) expect(c.engine_version).toMatch(/^\d+$/);
    for (const [, i] of all(json, "aws_rds_cluster_instance")) {
      expect(i.auto_minor_version_upgrade).toBe(true);
      expect(i.engine_version).toBeUndefined();
    }
  });

  test("PostgreSQL proxies carry no MySQL-only session pinning filter", () => {
    const postgres = new Set(all(json, "aws_db_proxy").filter(([, p]) => p.engine_family === "POSTGRESQL").map(([n]) => address("aws_db_proxy", n)));
    expect(postgres.size > 0).toBe(proxied);
    for (const [, tg] of all(json, "aws_db_proxy_default_target_group")) {
      if (postgres.has(refTo(tg.db_proxy_name)!)) expect(tg.connection_pool_config.session_pinning_filters).toBeUndefined();
    }
  });

  test("one failure sink per asynchronously invoked function (the on-failure destination, no dead_letter_config), none for the others (issue 28.2)", () => {
    const configs = all(json, "aws_lambda_function_event_invoke_config");
    // Invoked asynchronously here: the functions an EventBridge rule targets (through their alias).
    const aliases = new Map(all(json, "aws_lambda_alias").map(([n, a]) => [address("aws_lambda_alias", n), refTo(a.function_name)]));
    const asyncTargets = new Set(all(json, "aws_cloudwatch_event_target").map(([, t]) => aliases.get(refTo(t.arn)!) ?? refTo(t.arn)));
    for (const [n, f] of all(json, "aws_lambda_function")) {
      expect(f.dead_letter_config).toBeUndefined();
      const own = configs.filter(([, c]) => refTo(c.function_name) === address("aws_lambda_function", n));
      const isAsync = asyncTargets.has(address("aws_lambda_function", n));
      expect([n, own.length]).toEqual([n, isAsync ? 1 : 0]);
      if (isAsync) expect(own[0][1].destination_config.on_failure.destination).toMatch(/^\$\{aws_sqs_queue\./);
    }
    // No async-failure queue, alarm or send permission without a config to use them.
    const dlqs = all(json, "aws_sqs_queue").filter(([, q]) => /-async-dlq$/.test(q.name));
    expect(dlqs).toHaveLength(configs.length);
    expect(all(json, "aws_cloudwatch_metric_alarm").filter(([, a]) => /async-dlq-depth/.test(a.alarm_name))).toHaveLength(configs.length);
  });

  test("interface endpoints exactly for the APIs in-VPC functions call from their code", () => {
    const inVpc = all(json, "aws_lambda_function").filter(([, f]) => f.vpc_config);
    const roles = new Set(inVpc.map(([, f]) => refTo(f.role)));
    const actions = all(json, "aws_iam_role_policy")
      .filter(([, p]) => roles.has(refTo(p.role)))
      // The async-failure destination is written by the Lambda service, not by the function.
      .flatMap(([, p]) => policy(p.policy).Statement.filter((s) => s.Sid !== "AsyncFailures").flatMap((s) => [].concat(s.Action)));
    const needed = new Set<string>();
    for (const a of actions as string[]) {
      if (a === "sqs:SendMessage") needed.add("sqs");
      if (a === "events:PutEvents") needed.add("events");
      if (a === "secretsmanager:GetSecretValue") needed.add("secretsmanager");
    }
    const endpoints = all(json, "aws_vpc_endpoint").map(([, e]) => e.service_name.split(".").pop());
    expect(endpoints.sort()).toEqual([...needed].sort());
    expect(endpoints).not.toContain("sqs");
  });

  test("the key admits only services that really publish to topics it encrypts", () => {
    const key = Object.values(json.resource.aws_kms_key)[0] as any;
    const publishers = all(json, "aws_sns_topic_policy").flatMap(([, p]) => policy(p.policy).Statement.filter((s) => s.Effect === "Allow").flatMap((s) => [].concat(s.Principal?.Service ?? [])));
    const grant = policy(key.policy).Statement.find((s) => s.Sid === "AlarmPublishers");
    expect([].concat(grant.Principal.Service).sort()).toEqual([...new Set(publishers)].sort());
    expect(grant.Principal.Service).not.toContain("events.amazonaws.com");
  });
});
