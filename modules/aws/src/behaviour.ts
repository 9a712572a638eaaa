import {
  AlarmCondition, AlarmSignal, DatabaseBehaviour, EventRuleBehaviour, FunctionBehaviour, GatewayBehaviour, QueueBehaviour,
  ResourceMap, ServiceBehaviour, atLeast, byComponent, componentOf, refOf, scheduledEventText,
} from "@polycloud/core";

/**
 * Reads what an AWS stack will do from its synthesized Terraform JSON (Lambda, SQS redrive,
 * EventBridge retry policy, HTTP API, RDS Proxy, CloudWatch alarms, Budgets).
 */
export function readAwsBehaviour(json: { resource: ResourceMap }): ServiceBehaviour {
  const R = json.resource;
  const get = (ref: ReturnType<typeof refOf>) => (ref ? R[ref.type]?.[ref.address] : undefined);
  const compOf = (ref: ReturnType<typeof refOf>) => (ref ? componentOf(ref.address) : undefined);

  const functions: Record<string, FunctionBehaviour> = {};
  const reserved = new Map<string, number | null>();
  for (const [key, items] of byComponent(R, "aws_lambda_function")) {
    const [, fn] = items[0];
    const id = key.slice("function:".length);
    const warm = [...(byComponent(R, "aws_lambda_provisioned_concurrency_config").get(key) ?? [])];
    const max = fn.reserved_concurrent_executions === undefined || fn.reserved_concurrent_executions < 0 ? null : fn.reserved_concurrent_executions;
    reserved.set(id, max);
    functions[id] = {
      maxConcurrency: max,
      memoryMb: fn.memory_size ?? 128,
      timeoutSeconds: fn.timeout ?? 3,
      warmInstances: warm.reduce((n, [, w]) => n + w.provisioned_concurrent_executions, 0),
    };
  }

  const queues: Record<string, QueueBehaviour> = {};
  for (const [key, items] of byComponent(R, "aws_sqs_queue_redrive_policy")) {
    const [, redrive] = items[0];
    const source = get(refOf(redrive.queue_url));
    const policy = JSON.parse(redrive.redrive_policy);
    const dlq = get(refOf(policy.deadLetterTargetArn));
    const id = key.slice("queue:".length);
    const mapping = Object.values(R.aws_lambda_event_source_mapping ?? {}).find((m: any) => refOf(m.event_source_arn)?.address === refOf(redrive.queue_url)?.address) as any;
    const consumer = compOf(refOf(mapping?.function_name));
    const caps = [mapping?.scaling_config?.maximum_concurrency ?? null, consumer ? reserved.get(consumer.id) ?? null : null].filter((n): n is number => n !== null);
    queues[id] = {
      deliveryAttempts: policy.maxReceiveCount,
      retrySpacingSeconds: source.visibility_timeout_seconds ?? 30,
      maxConsumerConcurrency: caps.length ? Math.min(...caps) : null,
      retentionSeconds: source.message_retention_seconds ?? 345600,
      dlqRetentionSeconds: dlq?.message_retention_seconds ?? 345600,
      expiredMessages: "dropped",
      dropsWithoutDeadLetter: !dlq,
    };
  }

  const rules: Record<string, EventRuleBehaviour> = {};
  for (const [key, items] of byComponent(R, "aws_cloudwatch_event_target")) {
    for (const [address, target] of items) {
      const ruleId = componentOf(address)!.rest.join("_").replace(/^target-/, "");
      const into = compOf(refOf(target.arn));
      const attempts = (target.retry_policy?.maximum_retry_attempts ?? 185) + 1;
      const age = target.retry_policy?.maximum_event_age_in_seconds ?? 86400;
      const undeliverable = target.dead_letter_config?.arn ? "dead-lettered" : "dropped";
      const q = into?.kind === "queue" ? queues[into.id] : undefined;
      const delivers = scheduledDelivery(get(refOf(target.rule)), target.input_transformer);
      // Into a queue the event lands at once; from then on the queue's attempts and retention apply.
      rules[`${key.slice("bus:".length)}/${ruleId}`] = q
        ? { target: `queue:${into!.id}`, attempts: q.deliveryAttempts, maxEventAgeSeconds: q.retentionSeconds, undeliverable: q.dropsWithoutDeadLetter ? "dropped" : "dead-lettered", survivesOutageSeconds: q.retentionSeconds, delivers }
        : { target: `function:${into?.id}`, attempts, maxEventAgeSeconds: age, undeliverable, survivesOutageSeconds: age, delivers };
    }
  }

  const gateways: Record<string, GatewayBehaviour> = {};
  for (const [key, items] of byComponent(R, "aws_apigatewayv2_api")) {
    const [, api] = items[0];
    const routes: string[] = [];
    const edge: string[] = [];
    for (const [, route] of byComponent(R, "aws_apigatewayv2_route").get(key) ?? []) {
      const integration = get(refOf(route.target));
      const line = `${route.route_key} -> ${compOf(refOf(integration?.integration_uri))?.id}`;
      routes.push(line);
      if (route.authorization_type === "JWT") edge.push(line);
    }
    const stage = (byComponent(R, "aws_apigatewayv2_stage").get(key) ?? [])[0]?.[1];
    const rate = stage?.default_route_settings?.throttling_rate_limit ?? 10000;
    const burst = stage?.default_route_settings?.throttling_burst_limit ?? 5000;
    const c = api.cors_configuration;
    gateways[key.slice("gateway:".length)] = {
      routes: routes.sort(), edgeAuthenticated: edge.sort(),
      cors: c ? JSON.stringify({ origins: c.allow_origins ?? [], methods: c.allow_methods ?? [], headers: c.allow_headers ?? [], expose: c.expose_headers ?? [], maxAge: c.max_age ?? 0, credentials: c.allow_credentials ?? false }) : null,
      requestsPerMinute: burst + 60 * rate,
      burst,
    };
  }

  const databases: Record<string, DatabaseBehaviour> = {};
  for (const [key, items] of byComponent(R, "aws_db_proxy_default_target_group")) {
    const pool = items[0][1].connection_pool_config ?? {};
    const proxy = (byComponent(R, "aws_db_proxy").get(key) ?? [])[0]?.[1];
    const cluster = (byComponent(R, "aws_rds_cluster").get(key) ?? [])[0]?.[1];
    // Aurora PostgreSQL: max_connections = LEAST(DBInstanceClassMemory / 9531392, 5000); one ACU is 2 GiB.
    const maxAcu = cluster?.serverlessv2_scaling_configuration?.max_capacity ?? 1;
    const maxConnections = Math.min(Math.floor((maxAcu * 2 * 1024 ** 3) / 9531392), 5000);
    const percent = pool.max_connections_percent ?? 100;
    const poolServerConnections = Math.floor((maxConnections * percent) / 100);
    databases[key.slice("database:".length)] = {
      pooled: true,
      poolServerConnections,
      maxConnections,
      poolPercent: Math.round((100 * poolServerConnections) / maxConnections),
      // RDS Proxy keeps no floor of idle connections; max_idle_connections_percent is a ceiling.
      idleFloorConnections: 0,
      borrowTimeoutSeconds: pool.connection_borrow_timeout ?? 120,
      tls: proxy?.require_tls === true,
      identityAuth: (proxy?.auth ?? []).every((a: any) => a.iam_auth === "REQUIRED"),
      pointInTimeRecoveryDays: cluster?.backup_retention_period ?? 1,
    };
  }

  // Without RDS Proxy (an environment's `database: { proxy: false }`), functions reach the cluster
  // directly: no pool, TLS from the parameter group's rds.force_ssl, IAM from the cluster.
  for (const [key, items] of byComponent(R, "aws_rds_cluster")) {
    if (databases[key.slice("database:".length)]) continue;
    const cluster = items[0][1];
    const params = (byComponent(R, "aws_rds_cluster_parameter_group").get(key) ?? [])[0]?.[1];
    const maxAcu = cluster.serverlessv2_scaling_configuration?.max_capacity ?? 1;
    const maxConnections = Math.min(Math.floor((maxAcu * 2 * 1024 ** 3) / 9531392), 5000);
    databases[key.slice("database:".length)] = {
      pooled: false,
      poolServerConnections: maxConnections,
      maxConnections,
      poolPercent: 100,
      idleFloorConnections: 0,
      borrowTimeoutSeconds: null,
      tls: (params?.parameter ?? []).some((p: any) => p.name === "rds.force_ssl" && String(p.value) === "1"),
      identityAuth: cluster.iam_database_authentication_enabled === true,
      pointInTimeRecoveryDays: cluster.backup_retention_period ?? 1,
    };
  }

  const alarms: Record<string, Partial<Record<AlarmSignal, AlarmCondition>>> = {};
  for (const [address, a] of Object.entries(R.aws_cloudwatch_metric_alarm ?? {}) as [string, any][]) {
    const comp = componentOf(address);
    const signal = awsSignal(a, comp?.kind);
    if (!comp || !signal) continue;
    const key = comp.kind === "bus" ? `rule:${comp.id}/${comp.rest.join("_").replace(/^(failed|to-dlq|dlq)-alarm-/, "")}` : `${comp.kind}:${comp.id}`;
    const op = a.comparison_operator === "GreaterThanThreshold" ? "gt" : a.comparison_operator === "GreaterThanOrEqualToThreshold" ? "ge" : undefined;
    if (!op) throw new Error(`${address}: comparison ${a.comparison_operator} is not an upper bound`);
    const period = a.period ?? Math.max(...(a.metric_query ?? []).map((q: any) => q.metric?.period ?? 0));
    (alarms[key] ??= {})[signal] = { atLeast: atLeast(signal, op, a.threshold), windowSeconds: period * (a.evaluation_periods ?? 1), perSeries: false };
  }

  const budget = Object.values(R.aws_budgets_budget ?? {})[0] as any;
  const notes = (budget?.notification ?? []) as any[];
  return {
    functions, queues, rules, gateways, databases, alarms,
    budget: budget
      ? {
          scope: (budget.cost_filter ?? []).map((f: any) => `${f.name}:${(f.values ?? []).join(",")}`).join(";") || "account",
          actualPercent: notes.filter((n) => n.notification_type === "ACTUAL").map((n) => n.threshold).sort((x, y) => x - y),
          forecastPercent: notes.filter((n) => n.notification_type === "FORECASTED").map((n) => n.threshold).sort((x, y) => x - y),
          recipients: [...new Set(notes.flatMap((n) => n.subscriber_email_addresses ?? []))].sort() as string[],
        }
      : null,
  };
}

function awsSignal(a: any, kind: string | undefined): AlarmSignal | undefined {
  const metric = a.metric_name ?? (a.metric_query ?? []).map((q: any) => q.metric?.metric_name).filter(Boolean).join("+");
  const table: Record<string, AlarmSignal> = {
    Errors: "function.errors", Throttles: "function.throttles", Duration: "function.durationP99",
    "5xx": "gateway.5xx", Latency: "gateway.latencyP99", ApproximateAgeOfOldestMessage: "queue.oldestMessageAge",
    FailedInvocations: "bus.failedInvocations", InvocationsSentToDlq: "bus.sentToDlq",
    DatabaseConnectionsCurrentlySessionPinned: "proxy.pinnedConnections", "DatabaseConnections+MaxDatabaseConnectionsAllowed": "proxy.connectionSaturation",
    // Direct path (no proxy): the cluster's connections over a constant max_connections.
    DatabaseConnections: "proxy.connectionSaturation",
  };
  if (metric === "ApproximateNumberOfMessagesVisible") return kind === "bus" ? "bus.dlqDepth" : "queue.dlqDepth";
  return table[metric];
}

/**
 * What a scheduled rule's target receives: EventBridge's own tick (source aws.events, detail-type
 * Scheduled Event, empty detail) unless an input transformer writes another event.
 */
function scheduledDelivery(rule: any, transformer: any): string | null {
  if (!rule?.schedule_expression) return null;
  const template = Array.isArray(transformer) ? transformer[0]?.input_template : transformer?.input_template;
  if (typeof template !== "string") return scheduledEventText("aws.events", "Scheduled Event", {});
  try {
    const event = JSON.parse(template.replace(/<[A-Za-z0-9_.-]+>/g, "null"));
    return scheduledEventText(event.source, event["detail-type"], event.detail);
  } catch {
    return `unreadable input template: ${template}`;
  }
}
