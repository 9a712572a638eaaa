import {
  spreadSharedServer, AlarmCondition, AlarmStatistic, BusBehaviour, DatabaseBehaviour, EventRuleBehaviour, FilterClause, FunctionBehaviour, GatewayBehaviour,
  MissingData, ObservedSignal, QueueBehaviour, ResourceMap, ServiceBehaviour, atLeast, byComponent, canonicalClauses, canonicalCors,
  canonicalSchedule, componentNames, componentOf, discoveryKeys, jwtText, namesComponent, parseSchedule, refOf, routeMethods, scheduleTimes, scheduledEventText,
} from "@polycloud/core";

/**
 * Where each behaviour field is read from in an AWS stack (resource type and attribute), for
 * docs/parity.md. `fact:` marks a field no attribute can change (a property of the service).
 */
export const AWS_BEHAVIOUR_SOURCES: Readonly<Record<string, readonly string[]>> = {
  "function.maxConcurrency": ["aws_lambda_function.reserved_concurrent_executions"],
  "function.memoryMb": ["aws_lambda_function.memory_size"],
  "function.timeoutSeconds": ["aws_lambda_function.timeout"],
  "function.warmInstances": ["aws_lambda_provisioned_concurrency_config.provisioned_concurrent_executions"],
  "function.invokers": ["aws_lambda_permission.principal", "aws_lambda_permission.source_arn", "aws_lambda_permission.qualifier", "aws_lambda_event_source_mapping.function_name", "aws_lambda_event_source_mapping.event_source_arn"],
  "queue.consumer": ["aws_lambda_event_source_mapping.function_name"],
  "queue.deliveryAttempts": ["aws_sqs_queue_redrive_policy.redrive_policy (maxReceiveCount)"],
  "queue.retrySpacingSeconds": ["aws_sqs_queue.visibility_timeout_seconds"],
  "queue.visibilitySeconds": ["aws_sqs_queue.visibility_timeout_seconds"],
  "queue.maxConsumerConcurrency": ["aws_lambda_event_source_mapping.scaling_config.maximum_concurrency", "aws_lambda_function.reserved_concurrent_executions"],
  "queue.burstWithoutDeadLetter": ["aws_lambda_event_source_mapping.event_source_arn", "fact: the event source mapping receives only what its pollers can hand over; the rest waits in the queue"],
  "queue.retentionSeconds": ["aws_sqs_queue.message_retention_seconds"],
  "queue.dlqRetentionSeconds": ["aws_sqs_queue_redrive_policy.redrive_policy (deadLetterTargetArn)", "aws_sqs_queue.message_retention_seconds (DLQ)"],
  "queue.expiredMessages": ["fact: SQS deletes a message whose retention ran out"],
  "queue.dropsWithoutDeadLetter": ["aws_sqs_queue_redrive_policy.redrive_policy (deadLetterTargetArn)"],
  "queue.senders": ["aws_iam_role_policy.policy (sqs:SendMessage on the queue)", "aws_sqs_queue_policy.policy (events.amazonaws.com, aws:SourceArn)", "aws_cloudwatch_event_target.arn"],
  "bus.publishers": ["aws_iam_role_policy.policy (events:PutEvents on the bus)"],
  "bus.archiveDays": ["aws_cloudwatch_event_archive.retention_days", "aws_cloudwatch_event_archive.event_source_arn"],
  "rule.target": ["aws_cloudwatch_event_target.arn"],
  "rule.filter": ["aws_cloudwatch_event_rule.event_pattern"],
  "rule.schedule": ["aws_cloudwatch_event_rule.schedule_expression"],
  "rule.attempts": ["aws_cloudwatch_event_target.retry_policy.maximum_retry_attempts", "aws_sqs_queue_redrive_policy.redrive_policy (into a queue)"],
  "rule.maxEventAgeSeconds": ["aws_cloudwatch_event_target.retry_policy.maximum_event_age_in_seconds", "aws_sqs_queue.message_retention_seconds (into a queue)"],
  "rule.undeliverable": ["aws_cloudwatch_event_target.dead_letter_config.arn", "aws_lambda_function_event_invoke_config.function_name", "aws_lambda_function_event_invoke_config.qualifier (into a function: the alias the rule invokes)", "aws_lambda_function_event_invoke_config.destination_config.on_failure.destination", "aws_iam_role_policy.policy (sqs:SendMessage on the on-failure destination)"],
  "rule.survivesOutageSeconds": ["aws_cloudwatch_event_target.retry_policy.maximum_event_age_in_seconds", "aws_sqs_queue.message_retention_seconds (into a queue)"],
  "rule.delivers": ["aws_cloudwatch_event_target.input_transformer.input_template"],
  "gateway.routes": ["aws_apigatewayv2_route.route_key", "aws_apigatewayv2_route.target", "aws_apigatewayv2_integration.integration_uri"],
  "gateway.edgeAuthenticated": ["aws_apigatewayv2_route.authorization_type", "aws_apigatewayv2_route.authorizer_id"],
  "gateway.jwt": ["aws_apigatewayv2_authorizer.jwt_configuration.issuer", "aws_apigatewayv2_authorizer.jwt_configuration.audience"],
  "gateway.jwtKeys": ["aws_apigatewayv2_authorizer.jwt_configuration.issuer (OpenID discovery)"],
  "gateway.cors": ["aws_apigatewayv2_api.cors_configuration"],
  "gateway.requestsPerMinute": ["aws_apigatewayv2_stage.default_route_settings.throttling_rate_limit", "aws_apigatewayv2_stage.default_route_settings.throttling_burst_limit"],
  "gateway.burst": ["aws_apigatewayv2_stage.default_route_settings.throttling_burst_limit"],
  "gateway.routeTimeoutSeconds": ["aws_apigatewayv2_integration.timeout_milliseconds", "aws_lambda_function.timeout"],
  "database.pooled": ["aws_db_proxy_default_target_group (present)"],
  "database.poolPercent": ["aws_db_proxy_default_target_group.connection_pool_config.max_connections_percent", "aws_rds_cluster.serverlessv2_scaling_configuration.max_capacity"],
  "database.idleFloorConnections": ["fact: RDS Proxy keeps no minimum of idle connections (max_idle_connections_percent is a ceiling)"],
  "database.borrowTimeoutSeconds": ["aws_db_proxy_default_target_group.connection_pool_config.connection_borrow_timeout"],
  "database.tls": ["aws_db_proxy.require_tls", "aws_rds_cluster_parameter_group.parameter (rds.force_ssl)"],
  "database.identityAuth": ["aws_db_proxy.default_auth_scheme", "aws_db_proxy.auth (absent: the proxy holds no secret)", "aws_rds_cluster.iam_database_authentication_enabled"],
  "database.pointInTimeRecoveryDays": ["aws_rds_cluster.backup_retention_period"],
  "database.clients": ["aws_vpc_security_group_ingress_rule.referenced_security_group_id", "aws_iam_role_policy.policy (rds-db:connect)"],
  "alarm.*": ["aws_cloudwatch_metric_alarm.metric_name", "aws_cloudwatch_metric_alarm.metric_query", "aws_cloudwatch_metric_alarm.comparison_operator", "aws_cloudwatch_metric_alarm.threshold", "aws_cloudwatch_metric_alarm.period", "aws_cloudwatch_metric_alarm.evaluation_periods", "aws_cloudwatch_metric_alarm.statistic", "aws_cloudwatch_metric_alarm.extended_statistic", "aws_cloudwatch_metric_alarm.treat_missing_data", "aws_cloudwatch_metric_alarm.alarm_actions"],
  "alarms.recipients": ["aws_sns_topic_subscription.endpoint (protocol email)"],
  "budget.*": ["aws_budgets_budget.cost_filter", "aws_budgets_budget.limit_amount", "aws_budgets_budget.limit_unit", "aws_budgets_budget.notification"],
};

const uniq = (xs: Iterable<string>) => [...new Set(xs)].sort();
/**
 * A policy document's statements. Its strings may hold Terraform interpolations with quotes of
 * their own (`${element(split(":", aws_db_proxy.x.arn), 6)}`), which are set aside before parsing
 * the JSON and put back into the strings afterwards, so every reference stays readable.
 */
const parsePolicyText = (text: unknown): any[] => {
  const src = String(text ?? "");
  const held: string[] = [];
  let out = "";
  for (let i = 0; i < src.length; i++) {
    if (src[i] === "$" && src[i + 1] === "{" && src[i - 1] !== "$") {
      let depth = 0;
      let j = i + 1;
      for (; j < src.length; j++) {
        if (src[j] === "{") depth++;
        else if (src[j] === "}" && --depth === 0) break;
      }
      held.push(src.slice(i, j + 1));
      out += `\\u0000${held.length - 1}\\u0000`;
      i = j;
    } else out += src[i];
  }
  const restore = (v: any): any => (typeof v === "string" ? v.replace(/\u0000(\d+)\u0000/g, (_m, n) => held[Number(n)])
    : Array.isArray(v) ? v.map(restore) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, restore(x)])) : v);
  try {
    const doc = restore(JSON.parse(out));
    return Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  } catch {
    return [];
  }
};
const list = (v: unknown): any[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const unescape = (s: string) => s.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");

/**
 * Reads what an AWS stack will do from its synthesized Terraform JSON (Lambda, SQS redrive,
 * EventBridge retry policy, HTTP API, RDS Proxy, CloudWatch alarms, Budgets).
 */
export function readAwsBehaviour(json: { resource: ResourceMap }): ServiceBehaviour {
  const R = json.resource;
  const get = (ref: ReturnType<typeof refOf>) => (ref ? R[ref.type]?.[ref.address] : undefined);
  const compOf = (ref: ReturnType<typeof refOf>) => (ref ? componentOf(ref.address) : undefined);
  /** The function an expression names: a function, its alias or its role. */
  const fnOf = (expr: unknown) => {
    const c = compOf(refOf(expr));
    return c?.kind === "function" ? c.id : undefined;
  };
  const ruleKey = (address: string) => {
    const c = componentOf(address);
    const part = c?.rest.find((p) => p.startsWith("rule-") || p.startsWith("target-"));
    return c && part ? `${c.id}/${part.replace(/^(rule|target)-/, "")}` : undefined;
  };

  // IAM statements of each function's role, for senders, publishers and database logins.
  const statements = new Map<string, any[]>();
  for (const p of Object.values<any>(R.aws_iam_role_policy ?? {})) {
    const fn = fnOf(p.role);
    if (fn) statements.set(fn, [...(statements.get(fn) ?? []), ...parsePolicyText(p.policy)]);
  }
  const allowedTo = (action: string, resource: (r: string) => boolean) => uniq([...statements].filter(([, st]) => st.some((s) =>
    s.Effect === "Allow" && list(s.Action).some((a: string) => a === action || a === `${action.split(":")[0]}:*`) && list(s.Resource).some((r: string) => resource(String(r))))).map(([fn]) => `function:${fn}`));

  const functions: Record<string, FunctionBehaviour> = {};
  const reserved = new Map<string, number | null>();
  const invokers = new Map<string, string[]>();
  const addInvoker = (fn: string | undefined, who: string | undefined) => { if (fn && who) invokers.set(fn, [...(invokers.get(fn) ?? []), who]); };
  for (const p of Object.values<any>(R.aws_lambda_permission ?? {})) {
    if (p.action !== "lambda:InvokeFunction") continue;
    const fn = fnOf(p.function_name);
    const source = refOf(p.source_arn);
    // The caller must invoke the qualifier the permission names (the `live` alias).
    const alias = refOf(p.qualifier)?.address;
    if (p.principal === "apigateway.amazonaws.com" && source?.type === "aws_apigatewayv2_api") {
      const calls = Object.values<any>(R.aws_apigatewayv2_integration ?? {}).some((i) => refOf(i.api_id)?.address === source.address && refOf(i.integration_uri)?.address === alias);
      if (calls) addInvoker(fn, `gateway:${componentOf(source.address)?.id}`);
    } else if (p.principal === "events.amazonaws.com" && source?.type === "aws_cloudwatch_event_rule") {
      const calls = Object.values<any>(R.aws_cloudwatch_event_target ?? {}).some((t) => refOf(t.rule)?.address === source.address && refOf(t.arn)?.address === alias);
      if (calls) addInvoker(fn, `rule:${ruleKey(source.address)}`);
    } else if (fn) {
      addInvoker(fn, p.source_arn === undefined ? "anyone" : `${p.principal}`);
    }
  }
  for (const m of Object.values<any>(R.aws_lambda_event_source_mapping ?? {})) {
    const q = compOf(refOf(m.event_source_arn));
    if (q?.kind === "queue" && m.enabled !== false) addInvoker(fnOf(m.function_name), `queue:${q.id}`);
  }
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
      invokers: uniq(invokers.get(id) ?? []),
    };
  }

  // Rule targets: which rule delivers where.
  const targets = Object.entries<any>(R.aws_cloudwatch_event_target ?? {}).map(([address, t]) => ({ address, t, key: ruleKey(refOf(t.rule)?.address ?? address), into: compOf(refOf(t.arn)) }));

  const queues: Record<string, QueueBehaviour> = {};
  for (const [key, items] of byComponent(R, "aws_sqs_queue_redrive_policy")) {
    const [, redrive] = items[0];
    const sourceRef = refOf(redrive.queue_url);
    const source = get(sourceRef);
    const policy = JSON.parse(redrive.redrive_policy);
    const dlq = get(refOf(policy.deadLetterTargetArn));
    const id = key.slice("queue:".length);
    const mapping = Object.values<any>(R.aws_lambda_event_source_mapping ?? {}).find((m) => refOf(m.event_source_arn)?.address === sourceRef?.address && m.enabled !== false);
    const consumer = fnOf(mapping?.function_name);
    const caps = [mapping?.scaling_config?.maximum_concurrency ?? null, consumer ? reserved.get(consumer) ?? null : null].filter((n): n is number => n !== null);
    const isThisQueue = (r: string) => refOf(r)?.address === sourceRef?.address && refOf(r)?.attr === "arn";
    // Rules may send when the queue policy admits EventBridge for that rule and the rule targets the queue.
    const admitted = Object.values<any>(R.aws_sqs_queue_policy ?? {}).filter((p) => refOf(p.queue_url)?.address === sourceRef?.address)
      .flatMap((p) => parsePolicyText(p.policy))
      .filter((s) => s.Effect === "Allow" && s.Principal?.Service === "events.amazonaws.com" && list(s.Action).includes("sqs:SendMessage") && list(s.Resource).some(isThisQueue))
      .map((s) => refOf(s.Condition?.ArnEquals?.["aws:SourceArn"])?.address);
    const rulesIn = targets.filter((t) => t.into?.kind === "queue" && t.into.id === id && admitted.includes(refOf(t.t.rule)?.address)).map((t) => `rule:${t.key}`);
    const visibility = source.visibility_timeout_seconds ?? 30;
    queues[id] = {
      consumer: consumer ? `function:${consumer}` : null,
      deliveryAttempts: policy.maxReceiveCount,
      retrySpacingSeconds: visibility,
      visibilitySeconds: visibility,
      maxConsumerConcurrency: caps.length ? Math.min(...caps) : null,
      // SQS holds what the mapping's pollers have not received; without a mapping nothing drains it.
      burstWithoutDeadLetter: mapping ? null : 0,
      retentionSeconds: source.message_retention_seconds ?? 345600,
      dlqRetentionSeconds: dlq ? dlq.message_retention_seconds ?? 345600 : null,
      expiredMessages: "dropped",
      dropsWithoutDeadLetter: !dlq,
      senders: uniq([...allowedTo("sqs:SendMessage", isThisQueue), ...rulesIn]),
    };
  }

  const buses: Record<string, BusBehaviour> = {};
  for (const [key, items] of byComponent(R, "aws_cloudwatch_event_bus")) {
    const [address] = items[0];
    const archive = Object.values<any>(R.aws_cloudwatch_event_archive ?? {}).find((a) => refOf(a.event_source_arn)?.address === address);
    buses[key.slice("bus:".length)] = {
      publishers: allowedTo("events:PutEvents", (r) => refOf(r)?.address === address),
      // retention_days 0 keeps events indefinitely.
      archiveDays: archive ? (archive.retention_days || Infinity) : null,
    };
  }

  /**
   * EventBridge hands an event to Lambda asynchronously: once accepted, Lambda's own retries end in
   * the on-failure destination of the invoked qualifier's event invoke config, which the function's
   * role must be allowed to send to; without one, an event whose handler keeps failing is dropped.
   */
  const asyncFailuresKept = (invoked: unknown) => {
    const qualifier = refOf(invoked);
    return Object.values<any>(R.aws_lambda_function_event_invoke_config ?? {}).some((c) => {
      const destination = refOf(c.destination_config?.on_failure?.destination);
      const fn = fnOf(c.function_name);
      return !!qualifier && refOf(c.qualifier)?.address === qualifier.address && fn !== undefined && fnOf(invoked) === fn
        && destination?.type === "aws_sqs_queue" && get(destination) !== undefined
        && allowedTo("sqs:SendMessage", (r) => refOf(r)?.address === destination.address && refOf(r)?.attr === "arn").includes(`function:${fn}`);
    });
  };
  const rules: Record<string, EventRuleBehaviour> = {};
  for (const { t: target, key, into } of targets) {
    if (!key) continue;
    const rule = get(refOf(target.rule));
    const attempts = (target.retry_policy?.maximum_retry_attempts ?? 185) + 1;
    const age = target.retry_policy?.maximum_event_age_in_seconds ?? 86400;
    const deadLettered = target.dead_letter_config?.arn !== undefined;
    const q = into?.kind === "queue" ? queues[into.id] : undefined;
    const scheduled = typeof rule?.schedule_expression === "string";
    const common = {
      filter: scheduled ? null : filterOf(rule?.event_pattern),
      schedule: scheduled ? scheduleOf(rule.schedule_expression) : null,
      delivers: scheduled ? scheduledDelivery(target.input_transformer) : null,
    };
    // Into a queue the event lands at once; from then on the queue's attempts and retention apply.
    // An event the queue refuses is retried by the rule and dead-lettered by the rule's own DLQ.
    rules[key] = q
      ? { target: `queue:${into!.id}`, ...common, attempts: q.deliveryAttempts, maxEventAgeSeconds: q.retentionSeconds, undeliverable: q.dropsWithoutDeadLetter || !deadLettered ? "dropped" : "dead-lettered", survivesOutageSeconds: q.retentionSeconds }
      : { target: `function:${into?.id}`, ...common, attempts, maxEventAgeSeconds: age, undeliverable: deadLettered && asyncFailuresKept(target.arn) ? "dead-lettered" : "dropped", survivesOutageSeconds: age };
  }

  const gateways: Record<string, GatewayBehaviour> = {};
  for (const [key, items] of byComponent(R, "aws_apigatewayv2_api")) {
    const [, api] = items[0];
    const c = api.cors_configuration;
    const cors = c ? canonicalCors({ origins: c.allow_origins ?? [], methods: c.allow_methods ?? [], headers: c.allow_headers ?? [], expose: c.expose_headers ?? [], maxAge: c.max_age ?? 0, credentials: c.allow_credentials ?? false }) : null;
    const routes: string[] = [];
    const edge: string[] = [];
    const timeouts: Record<string, number> = {};
    const authorizers = byComponent(R, "aws_apigatewayv2_authorizer").get(key) ?? [];
    const used = new Set<string>();
    for (const [, route] of byComponent(R, "aws_apigatewayv2_route").get(key) ?? []) {
      const integration = get(refOf(route.target));
      const fn = fnOf(integration?.integration_uri);
      const [method, path] = String(route.route_key).split(" ");
      const jwt = route.authorization_type === "JWT" ? authorizers.find(([a]) => a === refOf(route.authorizer_id)?.address) : undefined;
      if (jwt) used.add(jwt[0]);
      for (const m of routeMethods(method, cors !== null)) {
        const line = `${m} ${path} -> ${fn}`;
        routes.push(line);
        if (jwt) edge.push(line);
        const fnTimeout = fn ? functions[fn]?.timeoutSeconds ?? 3 : 0;
        timeouts[`${m} ${path}`] = Math.min((integration?.timeout_milliseconds ?? 30000) / 1000, fnTimeout);
      }
    }
    const jwtConfigs = authorizers.filter(([a, cfg]) => used.has(a) && cfg.authorizer_type === "JWT").map(([, cfg]) => cfg.jwt_configuration ?? {});
    const stage = (byComponent(R, "aws_apigatewayv2_stage").get(key) ?? [])[0]?.[1];
    const rate = stage?.default_route_settings?.throttling_rate_limit ?? 10000;
    const burst = stage?.default_route_settings?.throttling_burst_limit ?? 5000;
    gateways[key.slice("gateway:".length)] = {
      routes: uniq(routes), edgeAuthenticated: uniq(edge),
      jwt: jwtConfigs.length ? uniq(jwtConfigs.map((j) => jwtText(j.issuer, j.audience ?? []))).join(" | ") : null,
      jwtKeys: jwtConfigs.length ? uniq(jwtConfigs.map((j) => discoveryKeys(j.issuer))).join(" | ") : null,
      cors,
      requestsPerMinute: burst + 60 * rate,
      burst,
      routeTimeoutSeconds: Object.fromEntries(Object.entries(timeouts).sort(([a], [b]) => (a < b ? -1 : 1))),
    };
  }

  const databases: Record<string, DatabaseBehaviour> = {};
  /** Functions let into a security group on 5432 that also hold rds-db:connect on this database's proxy or cluster. */
  const clientsOf = (entrySg: string | undefined, dbAddresses: string[]) => {
    const network = Object.values<any>(R.aws_vpc_security_group_ingress_rule ?? {})
      .filter((r) => refOf(r.security_group_id)?.address === entrySg && (r.from_port ?? 0) <= 5432 && (r.to_port ?? 0) >= 5432)
      .map((r) => fnOf(r.referenced_security_group_id)).filter((f): f is string => !!f);
    const login = allowedTo("rds-db:connect", (r) => dbAddresses.includes(refOf(r)?.address ?? ""));
    return uniq(network.map((f) => `function:${f}`).filter((f) => login.includes(f)));
  };
  for (const [key, items] of byComponent(R, "aws_db_proxy_default_target_group")) {
    const pool = items[0][1].connection_pool_config ?? {};
    const [proxyAddress, proxy] = (byComponent(R, "aws_db_proxy").get(key) ?? [])[0] ?? [];
    const [clusterAddress, cluster] = (byComponent(R, "aws_rds_cluster").get(key) ?? [])[0] ?? [];
    // Aurora PostgreSQL: max_connections = LEAST(DBInstanceClassMemory / 9531392, 5000); one ACU is 2 GiB.
    const maxAcu = cluster?.serverlessv2_scaling_configuration?.max_capacity ?? 1;
    const maxConnections = Math.min(Math.floor((maxAcu * 2 * 1024 ** 3) / 9531392), 5000);
    const percent = pool.max_connections_percent ?? 100;
    const poolServerConnections = Math.floor((maxConnections * percent) / 100);
    databases[key.slice("database:".length)] = {
      pooled: true,
      poolServerConnections,
      maxConnections,
      userConnections: maxConnections,
      pools: 1,
      poolPercent: Math.round((100 * poolServerConnections) / maxConnections),
      // RDS Proxy keeps no floor of idle connections; max_idle_connections_percent is a ceiling.
      idleFloorConnections: 0,
      borrowTimeoutSeconds: pool.connection_borrow_timeout ?? 120,
      tls: proxy?.require_tls === true,
      // End-to-end IAM: the proxy checks IAM tokens, holds no secret (no `auth` entries), and logs in
      // to a cluster that accepts IAM.
      identityAuth: proxy?.default_auth_scheme === "IAM_AUTH" && !(proxy?.auth ?? []).length && cluster?.iam_database_authentication_enabled === true,
      pointInTimeRecoveryDays: cluster?.backup_retention_period ?? 1,
      clients: clientsOf(refOf(proxy?.vpc_security_group_ids?.[0])?.address, [proxyAddress, clusterAddress].filter(Boolean)),
    };
  }

  // Without RDS Proxy (an environment's `database: { proxy: false }`), functions reach the cluster
  // directly: no pool, TLS from the parameter group's rds.force_ssl, IAM from the cluster.
  for (const [key, items] of byComponent(R, "aws_rds_cluster")) {
    if (databases[key.slice("database:".length)]) continue;
    const [clusterAddress, cluster] = items[0];
    const params = (byComponent(R, "aws_rds_cluster_parameter_group").get(key) ?? [])[0]?.[1];
    const maxAcu = cluster.serverlessv2_scaling_configuration?.max_capacity ?? 1;
    const maxConnections = Math.min(Math.floor((maxAcu * 2 * 1024 ** 3) / 9531392), 5000);
    databases[key.slice("database:".length)] = {
      pooled: false,
      poolServerConnections: maxConnections,
      maxConnections,
      userConnections: maxConnections,
      pools: 0,
      poolPercent: 100,
      idleFloorConnections: 0,
      borrowTimeoutSeconds: null,
      tls: (params?.parameter ?? []).some((p: any) => p.name === "rds.force_ssl" && String(p.value) === "1"),
      identityAuth: cluster.iam_database_authentication_enabled === true,
      pointInTimeRecoveryDays: cluster.backup_retention_period ?? 1,
      clients: clientsOf(refOf(cluster.vpc_security_group_ids?.[0])?.address, [clusterAddress]),
    };
  }

  // The alarm channel: SNS topics with e-mail subscriptions.
  const recipients = new Map<string, string[]>();
  for (const s of Object.values<any>(R.aws_sns_topic_subscription ?? {})) {
    const topic = refOf(s.topic_arn)?.address;
    if (topic && s.protocol === "email") recipients.set(topic, [...(recipients.get(topic) ?? []), s.endpoint]);
  }
  const alarmTopics = new Set<string>();
  const alarms: Record<string, Partial<Record<ObservedSignal, AlarmCondition>>> = {};
  const names = componentNames(R);
  for (const [address, a] of Object.entries(R.aws_cloudwatch_metric_alarm ?? {}) as [string, any][]) {
    const comp = componentOf(address);
    const signal = awsSignal(a, comp?.kind);
    // An alarm counts for its component only when every dimension names that component's resources.
    const dims = [a.dimensions, ...(a.metric_query ?? []).map((q: any) => q.metric?.dimensions)].filter(Boolean).flatMap((d: Record<string, unknown>) => Object.values(d));
    if (!comp || !signal || !dims.length || !dims.every((v) => namesComponent(v, `${comp.kind}:${comp.id}`, names))) continue;
    const key = comp.kind === "bus" ? `rule:${comp.id}/${comp.rest.join("_").replace(/^(failed|to-dlq|dlq)-alarm-/, "")}` : `${comp.kind}:${comp.id}`;
    const op = a.comparison_operator === "GreaterThanThreshold" ? "gt" : a.comparison_operator === "GreaterThanOrEqualToThreshold" ? "ge" : undefined;
    if (!op) throw new Error(`${address}: comparison ${a.comparison_operator} is not an upper bound`);
    const period = a.period ?? Math.max(...(a.metric_query ?? []).map((q: any) => q.metric?.period ?? 0));
    const topics = list(a.alarm_actions).map((x) => refOf(x)?.address).filter((t): t is string => !!t && (recipients.get(t) ?? []).length > 0);
    topics.forEach((t) => alarmTopics.add(t));
    (alarms[key] ??= {})[signal] = {
      atLeast: atLeast(signal, op, a.threshold),
      windowSeconds: period * (a.evaluation_periods ?? 1),
      perSeries: false,
      statistic: awsStatistic(a),
      missingData: ({ notBreaching: "ok", ignore: "keep", breaching: "alarm" } as Record<string, MissingData>)[a.treat_missing_data ?? "missing"] ?? "keep",
      notifies: topics.length > 0,
    };
  }

  const budget = Object.values(R.aws_budgets_budget ?? {})[0] as any;
  const notes = (budget?.notification ?? []) as any[];
  return spreadSharedServer({
    functions, queues, buses, rules, gateways, databases, alarms,
    alarmRecipients: uniq([...alarmTopics].flatMap((t) => recipients.get(t) ?? [])),
    budget: budget
      ? {
          scope: (budget.cost_filter ?? []).map((f: any) => `${f.name}:${(f.values ?? []).join(",")}`).join(";") || "account",
          amount: Number(budget.limit_amount),
          currency: budget.limit_unit ?? "USD",
          actualPercent: notes.filter((n) => n.notification_type === "ACTUAL").map((n) => n.threshold).sort((x, y) => x - y),
          forecastPercent: notes.filter((n) => n.notification_type === "FORECASTED").map((n) => n.threshold).sort((x, y) => x - y),
          recipients: uniq(notes.flatMap((n) => n.subscriber_email_addresses ?? [])),
        }
      : null,
  });
}

/** Gauges RDS publishes once a minute per proxy node (or cluster): a one-minute Sum is their total at that minute. */
const MINUTE_GAUGES = new Set(["DatabaseConnections", "DatabaseConnectionsCurrentlySessionPinned", "MaxDatabaseConnectionsAllowed"]);

function awsStatistic(a: any): AlarmStatistic {
  const one = (stat: string | undefined, ext: string | undefined, metric: string | undefined, period: number): AlarmStatistic => {
    if (ext) return ext === "p99" ? "p99" : (`${ext}` as AlarmStatistic);
    if (stat === "Sum" && metric && MINUTE_GAUGES.has(metric) && period === 60) return "peak";
    return ({ Sum: "total", SampleCount: "total", Maximum: "peak", Minimum: "low", Average: "mean" } as Record<string, AlarmStatistic>)[stat ?? ""] ?? (`${stat}` as AlarmStatistic);
  };
  if (!a.metric_query) return one(a.statistic, a.extended_statistic, a.metric_name, a.period);
  const stats = uniq((a.metric_query as any[]).filter((q) => q.metric).map((q) => one(q.metric.stat, undefined, q.metric.metric_name, q.metric.period)));
  return (stats.length === 1 ? stats[0] : stats.join("+")) as AlarmStatistic;
}

/** The signal an alarm watches, from its namespace and metric(s). */
function awsSignal(a: any, kind: string | undefined): ObservedSignal | undefined {
  const metrics = a.metric_name ? [`${a.namespace}/${a.metric_name}`] : (a.metric_query ?? []).filter((q: any) => q.metric).map((q: any) => `${q.metric.namespace}/${q.metric.metric_name}`);
  const metric = metrics.join("+");
  const table: Record<string, ObservedSignal> = {
    "AWS/Lambda/Errors": "function.errors", "AWS/Lambda/Throttles": "function.throttles", "AWS/Lambda/Duration": "function.durationP99",
    "AWS/ApiGateway/5xx": "gateway.5xx", "AWS/ApiGateway/Latency": "gateway.latencyP99", "AWS/SQS/ApproximateAgeOfOldestMessage": "queue.oldestMessageAge",
    "AWS/Events/FailedInvocations": "bus.failedInvocations", "AWS/Events/InvocationsSentToDlq": "bus.sentToDlq",
    "AWS/RDS/DatabaseConnectionsCurrentlySessionPinned": "proxy.pinnedConnections", "AWS/RDS/DatabaseConnections+AWS/RDS/MaxDatabaseConnectionsAllowed": "proxy.connectionSaturation",
    // Direct path (no proxy): the cluster's connections over a constant max_connections.
    "AWS/RDS/DatabaseConnections": "proxy.connectionSaturation",
    "AWS/RDS/CPUUtilization": "database.cpu",
  };
  if (metric === "AWS/SQS/ApproximateNumberOfMessagesVisible") return kind === "bus" ? "bus.dlqDepth" : "queue.dlqDepth";
  return table[metric];
}

/** An EventBridge pattern as canonical filter clauses. */
function filterOf(pattern: unknown): string | null {
  if (typeof pattern !== "string") return null;
  let p: any;
  try {
    p = JSON.parse(unescape(pattern));
  } catch {
    return `unreadable pattern: ${pattern}`;
  }
  const clauses: FilterClause[] = [];
  const add = (field: string, matchers: unknown) => {
    const exact = list(matchers).filter((m) => typeof m === "string");
    const prefix = list(matchers).filter((m) => m && typeof m === "object" && typeof m.prefix === "string").map((m) => m.prefix);
    if (exact.length) clauses.push({ field, prefix: false, values: exact });
    if (prefix.length) clauses.push({ field, prefix: true, values: prefix });
    if (list(matchers).some((m) => m && typeof m === "object" && typeof m.prefix !== "string")) clauses.push({ field, prefix: false, values: [`unreadable matcher ${JSON.stringify(matchers)}`] });
  };
  for (const [k, v] of Object.entries<any>(p)) {
    if (k === "source") add("source", v);
    else if (k === "detail-type") add("type", v);
    else if (k === "detail" && v && typeof v === "object") for (const [dk, dv] of Object.entries(v)) add(`attributes.${dk}`, dv);
    else clauses.push({ field: k, prefix: false, values: [JSON.stringify(v)] });
  }
  return canonicalClauses(clauses);
}

/** `rate(5 minutes)` / `cron(0 6 ? * MON-FRI *)` as canonical firing times. */
function scheduleOf(expression: string): string {
  if (/^rate\(/.test(expression)) {
    // EventBridge rates read like the neutral form: rate(1 minute), rate(5 minutes).
    const parsed = parseSchedule(expression);
    return typeof parsed === "object" ? canonicalSchedule(scheduleTimes(parsed)) : `unreadable rate: ${expression}`;
  }
  const cron = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/.exec(expression);
  if (!cron || cron[6] !== "*") return `unreadable schedule: ${expression}`;
  const [, minute, hour, dom, month, dow] = cron;
  // EventBridge counts days of the week 1 = SUN … 7 = SAT; `?` is "any"; steps `0/5` start at their first value.
  const dowUnix = dow === "?" ? "*" : dow.replace(/\b([1-7])\b/g, (d) => String(Number(d) - 1));
  const steps = (f: string) => f.replace(/^(\d+)\//, "$1-59/");
  const parsed = parseSchedule(`cron(${steps(minute)} ${hour.replace(/^(\d+)\//, "$1-23/")} ${dom === "?" ? "*" : dom.replace(/^(\d+)\//, "$1-31/")} ${month.replace(/^(\d+)\//, "$1-12/")} ${dowUnix})`);
  return typeof parsed === "object" ? canonicalSchedule(scheduleTimes(parsed)) : `unreadable schedule: ${expression}`;
}

/**
 * What a scheduled rule's target receives: EventBridge's own tick (source aws.events, detail-type
 * Scheduled Event, empty detail) unless an input transformer writes another event.
 */
function scheduledDelivery(transformer: any): string {
  const template = Array.isArray(transformer) ? transformer[0]?.input_template : transformer?.input_template;
  if (typeof template !== "string") return scheduledEventText("aws.events", "Scheduled Event", {});
  try {
    const event = JSON.parse(template.replace(/<[A-Za-z0-9_.-]+>/g, "null"));
    return scheduledEventText(event.source, event["detail-type"], event.detail);
  } catch {
    return `unreadable input template: ${template}`;
  }
}
