import { CapabilityMap, ServiceSpec, ConformanceContext, cloudBudgetAmount, NAME_RULES, Namer, REQUIRED_TAG_KEYS, resolveFunction, resolvePool, resolveQueue, resolveRetry, resourcesOfType, fails, shortestCallerTimeout } from "@polycloud/core";
import { toEventPattern } from "./event-bus";
import { parsePolicy } from "./iam";
import { LAMBDA_RUNTIMES, logRetention } from "./limits";
import { sid } from "./queue";

/* Conformance checks over a synthesized AWS stack of a service: the AWS column of the parity table. */

type R = Record<string, any>;
const all = resourcesOfType;
const namer = (c: ConformanceContext) => new Namer(c.service.name, c.env.name);
const byName = (c: ConformanceContext, type: string, key: string, name: string): R | undefined => all(c, type).find((r) => r[key] === name);

function perFunction(c: ConformanceContext, check: (id: string, lambda: R | undefined, spec: ReturnType<typeof resolveFunction>) => string[]): string[] {
  return Object.entries(c.service.functions).flatMap(([id, fn]) =>
    check(id, byName(c, "aws_lambda_function", "function_name", namer(c).name(NAME_RULES.aws.lambda, id)), resolveFunction(fn)).map((m) => `function ${id}: ${m}`),
  );
}

function perQueue(c: ConformanceContext, check: (id: string, queue: R | undefined, dlq: R | undefined, r: ReturnType<typeof resolveQueue>) => string[]): string[] {
  return Object.entries(c.service.queues ?? {}).flatMap(([id, q]) => {
    const consumer = c.service.functions[q.consumer];
    const r = resolveQueue(q, consumer ? resolveFunction(consumer).timeoutSeconds : 30);
    const queue = byName(c, "aws_sqs_queue", "name", namer(c).name(NAME_RULES.aws.sqs, id));
    const dlq = byName(c, "aws_sqs_queue", "name", namer(c).name(NAME_RULES.aws.sqs, id, "dlq"));
    return check(id, queue, dlq, r).map((m) => `queue ${id}: ${m}`);
  });
}

function perRule(c: ConformanceContext, check: (key: string, rule: R | undefined, target: R | undefined, spec: any) => string[]): string[] {
  return Object.entries(c.service.buses ?? {}).flatMap(([busId, bus]) =>
    Object.entries(bus.rules).flatMap(([ruleId, spec]) => {
      const name = namer(c).name(NAME_RULES.aws.eventRule, busId, ruleId);
      const rule = byName(c, "aws_cloudwatch_event_rule", "name", name);
      const target = all(c, "aws_cloudwatch_event_target").find((t) => t.target_id === sid(ruleId));
      return check(`${busId}/${ruleId}`, rule, target, spec).map((m) => `rule ${busId}/${ruleId}: ${m}`);
    }),
  );
}

const stage = (c: ConformanceContext) => all(c, "aws_apigatewayv2_stage");
const proxies = (c: ConformanceContext) => all(c, "aws_db_proxy");
/** The environment chose the direct path (no RDS Proxy) and accepted the loss of pooling. */
const directPath = (c: ConformanceContext) => c.env.clouds.aws?.database?.proxy === false && c.env.clouds.aws?.database?.acceptNoPooling === true;

export const AWS_CAPABILITIES: CapabilityMap = {
  "function.runtime": {
    mode: "native", realisedBy: "aws_lambda_function runtime/handler, architectures [arm64]",
    check: (c) => perFunction(c, (_id, l, s) => fails(
      [!!l, "no aws_lambda_function"],
      [l?.runtime === LAMBDA_RUNTIMES[s.runtime], `runtime ${l?.runtime}`],
      [l?.handler === s.handler, `handler ${l?.handler}`],
      [JSON.stringify(l?.architectures) === '["arm64"]', "not arm64"],
    )),
  },
  "function.memory": {
    mode: "native", realisedBy: "aws_lambda_function memory_size",
    check: (c) => perFunction(c, (_id, l, s) => fails([l?.memory_size === s.memoryMb, `memory_size ${l?.memory_size} != ${s.memoryMb}`])),
  },
  "function.timeout": {
    mode: "native", realisedBy: "aws_lambda_function timeout",
    check: (c) => perFunction(c, (_id, l, s) => fails([l?.timeout === s.timeoutSeconds, `timeout ${l?.timeout} != ${s.timeoutSeconds}`])),
  },
  "function.identity": {
    mode: "native", realisedBy: "aws_iam_role per function + aws_iam_role_policy from bindings (no */*)",
    check: (c) => {
      const roles = new Set(perFunctionRoles(c));
      const wildcard = all(c, "aws_iam_role_policy").flatMap((p) => parsePolicy(p.policy).Statement as R[])
        .filter((s) => s.Effect === "Allow" && [].concat(s.Action).includes("*" as never) && [].concat(s.Resource).includes("*" as never));
      return fails(
        [roles.size === Object.keys(c.service.functions).length, `expected one role per function, found ${roles.size}`],
        [wildcard.length === 0, `${wildcard.length} statements grant * on *`],
      );
    },
  },
  "function.logRetention": {
    mode: "native", realisedBy: "aws_cloudwatch_log_group /aws/lambda/<fn> retention_in_days (KMS-encrypted), created before the function",
    check: (c) => perFunction(c, (_id, l) => {
      const g = byName(c, "aws_cloudwatch_log_group", "name", `/aws/lambda/${l?.function_name}`);
      return fails([g?.retention_in_days === logRetention(c.env.retention.logDays), `retention ${g?.retention_in_days}`], [!!g?.kms_key_id, "log group not encrypted"]);
    }),
  },
  "function.tracing": {
    mode: "native", realisedBy: "aws_lambda_function tracing_config.mode = Active",
    check: (c) => perFunction(c, (_id, l) => fails([l?.tracing_config?.mode === "Active", "tracing not Active"])),
  },
  "function.secrets": {
    mode: "native", realisedBy: "aws_secretsmanager_secret (CMK) + <NAME>_SECRET_ARN env + secretsmanager:GetSecretValue on that ARN",
    check: (c) => perFunction(c, (_id, l, s) => Object.keys(s.secrets).flatMap((name) => fails(
      [String(l?.environment?.variables?.[`${name}_SECRET_ARN`] ?? "").startsWith("${aws_secretsmanager_secret."), `${name}_SECRET_ARN is not a secret reference`],
      [l?.environment?.variables?.[name] === undefined, `${name} is set as a plain value`],
    ))),
  },
  "function.concurrency": {
    mode: "native", realisedBy: "aws_lambda_function reserved_concurrent_executions (one request per environment)",
    check: (c) => perFunction(c, (_id, l, s) => fails([s.maxConcurrency === undefined || l?.reserved_concurrent_executions === s.maxConcurrency, `reserved ${l?.reserved_concurrent_executions}`])),
  },
  "function.warmInstances": {
    mode: "native", realisedBy: "aws_lambda_alias live + aws_lambda_provisioned_concurrency_config",
    check: (c) => {
      const want = Object.values(c.service.functions).map(resolveFunction).filter((f) => f.minWarmInstances > 0).map((f) => f.minWarmInstances).sort();
      const got = all(c, "aws_lambda_provisioned_concurrency_config").map((p) => p.provisioned_concurrent_executions).sort();
      return fails([JSON.stringify(want) === JSON.stringify(got), `provisioned ${JSON.stringify(got)} != ${JSON.stringify(want)}`]);
    },
  },
  "function.asyncFailure": {
    mode: "native", realisedBy: "aws_lambda_function_event_invoke_config on_failure → SQS (14 days) for each function a rule or schedule invokes asynchronously (none for HTTP- or queue-only functions, which cannot fail asynchronously); no dead_letter_config, so one failure lands once",
    check: (c) => perFunction(c, (_id, l) => fails([!l?.dead_letter_config, "dead_letter_config as a second failure sink"]))
      .concat(fails(
        [all(c, "aws_lambda_function_event_invoke_config").length === asyncTargets(c.service).size, `${all(c, "aws_lambda_function_event_invoke_config").length} event invoke configs for ${asyncTargets(c.service).size} asynchronously invoked functions`],
        [all(c, "aws_lambda_function_event_invoke_config").every((e) => /^\$\{aws_sqs_queue\./.test(e.destination_config?.on_failure?.destination ?? "")), "on-failure destination is not an SQS queue"],
      )),
  },
  "gateway.routes": {
    mode: "native", realisedBy: "aws_apigatewayv2_route route_key → AWS_PROXY integration (payload 2.0) on the live alias",
    check: (c) => {
      const want = Object.values(c.service.gateways ?? {}).flatMap((g) => g.routes.map((r) => `${r.method} ${r.path}`)).sort();
      const got = all(c, "aws_apigatewayv2_route").map((r) => r.route_key).sort();
      const payload = all(c, "aws_apigatewayv2_integration").every((i) => i.payload_format_version === "2.0");
      return fails([JSON.stringify(want) === JSON.stringify(got), `routes ${JSON.stringify(got)}`], [payload, "payload format not 2.0"]);
    },
  },
  "gateway.throttle": {
    mode: "native", realisedBy: "aws_apigatewayv2_stage default_route_settings throttling_rate_limit / throttling_burst_limit",
    check: (c) => {
      const gws = Object.values(c.service.gateways ?? {});
      return gws.flatMap((g, i) => fails(
        [stage(c)[i]?.default_route_settings?.throttling_rate_limit === g.throttle.rateLimit, "rate limit differs"],
        [stage(c)[i]?.default_route_settings?.throttling_burst_limit === g.throttle.burstLimit, "burst limit differs"],
      ));
    },
  },
  "gateway.cors": {
    mode: "native", realisedBy: "aws_apigatewayv2_api cors_configuration (answers preflight at the edge)",
    check: (c) => Object.values(c.service.gateways ?? {}).filter((g) => g.cors).flatMap((g) => {
      const api = all(c, "aws_apigatewayv2_api").find((a) => JSON.stringify(a.cors_configuration?.allow_origins) === JSON.stringify(g.cors!.allowOrigins));
      return fails([!!api, "cors allow_origins differ"], [api?.cors_configuration?.allow_credentials === (g.cors!.allowCredentials ?? false), "allow_credentials differs"]);
    }),
  },
  "gateway.jwt": {
    mode: "native", realisedBy: "aws_apigatewayv2_authorizer JWT (issuer, audience) on every authorized route",
    check: (c) => Object.values(c.service.gateways ?? {}).filter((g) => g.auth).flatMap((g) => {
      const a = all(c, "aws_apigatewayv2_authorizer").find((x) => x.jwt_configuration?.issuer === g.auth!.issuer);
      const secured = all(c, "aws_apigatewayv2_route").filter((r) => r.authorization_type === "JWT").length;
      const want = g.routes.filter((r) => r.authorized !== false).length;
      return fails([!!a, "no JWT authorizer for the issuer"], [JSON.stringify(a?.jwt_configuration?.audience) === JSON.stringify(g.auth!.audiences), "audiences differ"], [secured === want, `${secured} JWT routes, want ${want}`]);
    }),
  },
  "gateway.accessLogs": {
    mode: "native", realisedBy: "aws_apigatewayv2_stage access_log_settings (JSON) → aws_cloudwatch_log_group with retention",
    check: (c) => stage(c).flatMap((s) => fails([String(s.access_log_settings?.destination_arn ?? "").includes("aws_cloudwatch_log_group"), "no access log group"], [!!s.access_log_settings?.format, "no format"])),
  },
  "gateway.invokeScope": {
    mode: "native", realisedBy: "aws_lambda_permission principal apigateway.amazonaws.com, source_arn <execution_arn>/*/*",
    check: (c) => all(c, "aws_lambda_permission").filter((p) => p.principal === "apigateway.amazonaws.com")
      .flatMap((p) => fails([String(p.source_arn ?? "").includes(".execution_arn}"), "permission not scoped to the API"])),
  },
  "queue.dlq": {
    mode: "native", realisedBy: "aws_sqs_queue_redrive_policy maxReceiveCount → DLQ aws_sqs_queue",
    check: (c) => perQueue(c, (id, q, dlq, r) => {
      const rp = all(c, "aws_sqs_queue_redrive_policy").map((x) => JSON.parse(x.redrive_policy)).find((x) => x.maxReceiveCount === r.maxDeliveryAttempts);
      return fails([!!q && !!dlq, `queue or DLQ missing for ${id}`], [!!rp, "no redrive policy with maxReceiveCount"]);
    }),
  },
  "queue.dlqRetention": {
    mode: "native", realisedBy: "DLQ message_retention_seconds ≥ 14 days and ≥ source retention",
    check: (c) => perQueue(c, (_id, q, dlq) => fails([(dlq?.message_retention_seconds ?? 0) >= 1209600, "DLQ keeps < 14 days"], [(dlq?.message_retention_seconds ?? 0) >= (q?.message_retention_seconds ?? Infinity), "DLQ retention shorter than source"])),
  },
  "queue.visibility": {
    mode: "native", realisedBy: "aws_sqs_queue visibility_timeout_seconds (default 6 × consumer timeout)",
    check: (c) => perQueue(c, (_id, q, _d, r) => fails([q?.visibility_timeout_seconds === r.visibilityTimeoutSeconds, `visibility ${q?.visibility_timeout_seconds}`])),
  },
  "queue.encryption": {
    mode: "native", realisedBy: "sqs_managed_sse_enabled on queue and DLQ; TLS-only queue policies",
    check: (c) => all(c, "aws_sqs_queue").flatMap((q) => fails([q.sqs_managed_sse_enabled === true || !!q.kms_master_key_id, `${q.name} not encrypted`])),
  },
  "queue.consumer": {
    mode: "native", realisedBy: "aws_lambda_event_source_mapping batch_size, window, ReportBatchItemFailures, maximum_concurrency",
    check: (c) => perQueue(c, (_id, _q, _d, r) => {
      const m = all(c, "aws_lambda_event_source_mapping").find((x) => x.batch_size === r.batchSize);
      return fails([!!m, "no event source mapping with the batch size"], [JSON.stringify(m?.function_response_types) === '["ReportBatchItemFailures"]', "partial batch failures off"]);
    }),
  },
  "bus.rules": {
    mode: "native", realisedBy: "aws_cloudwatch_event_rule event_pattern on a custom aws_cloudwatch_event_bus → aws_cloudwatch_event_target",
    check: (c) => perRule(c, (_k, rule, target, spec) => fails([rule?.event_pattern === toEventPattern(spec.filter), "event pattern differs"], [!!target, "no target"])),
  },
  "bus.retry": {
    mode: "native", realisedBy: "aws_cloudwatch_event_target retry_policy (maximum_retry_attempts = attempts − 1)",
    check: (c) => perRule(c, (_k, _r, t, spec) => {
      const r = resolveRetry(spec.retry);
      return fails([t?.retry_policy?.maximum_retry_attempts === r.maxAttempts - 1 && t?.retry_policy?.maximum_event_age_in_seconds === r.maxEventAgeSeconds, "retry policy differs"]);
    }),
  },
  "bus.dlq": {
    mode: "native", realisedBy: "aws_cloudwatch_event_target dead_letter_config → per-rule SQS DLQ, policy scoped by aws:SourceArn",
    check: (c) => perRule(c, (_k, _r, t) => fails([String(t?.dead_letter_config?.arn ?? "").includes("aws_sqs_queue"), "no DLQ"])),
  },
  "bus.archive": {
    mode: "native", realisedBy: "aws_cloudwatch_event_archive retention_days",
    check: (c) => Object.values(c.service.buses ?? {}).flatMap((b) => fails([all(c, "aws_cloudwatch_event_archive").some((a) => a.retention_days === (b.archiveRetentionDays ?? c.env.retention.archiveDays)), "archive retention differs"])),
  },
  "proxy.pool": {
    mode: "native", realisedBy: "aws_db_proxy_default_target_group connection_pool_config (borrow timeout by default half the shortest caller timeout; no MySQL-only pinning filters)",
    check: (c) => directPath(c) ? [] : Object.values(c.service.databases ?? {}).flatMap((d) => {
      const p = resolvePool(d.pool, shortestCallerTimeout(d, c.service.functions)?.seconds);
      const ok = all(c, "aws_db_proxy_default_target_group").some((t) => t.connection_pool_config?.max_connections_percent === p.maxConnectionsPercent
        && t.connection_pool_config?.max_idle_connections_percent === p.maxIdleConnectionsPercent && t.connection_pool_config?.connection_borrow_timeout === p.borrowTimeoutSeconds);
      return fails([ok, "pool config differs"]);
    }),
  },
  "proxy.tls": {
    mode: "native", realisedBy: "aws_db_proxy require_tls + cluster parameter rds.force_ssl = 1",
    check: (c) => proxies(c).flatMap((p) => fails([p.require_tls === true, "require_tls off"]))
      .concat(all(c, "aws_rds_cluster_parameter_group").flatMap((g) => fails([(g.parameter ?? []).some((x: R) => x.name === "rds.force_ssl" && x.value === "1"), "rds.force_ssl not 1"]))),
  },
  "proxy.iamAuth": {
    mode: "native", realisedBy: "aws_db_proxy default_auth_scheme IAM_AUTH (end-to-end IAM, no secret) + rds-db:connect grants",
    check: (c) => proxies(c).flatMap((p) => fails([p.default_auth_scheme === "IAM_AUTH" && (p.auth ?? []).every((a: any) => a.iam_auth === "REQUIRED"), "IAM auth not required"]))
      .concat(directPath(c) ? all(c, "aws_rds_cluster").flatMap((d) => fails([d.iam_database_authentication_enabled === true, "direct path without IAM database authentication"])) : []),
  },
  "proxy.private": {
    mode: "native", realisedBy: "private subnets, publicly_accessible false, proxy SG ingress only from granted function SGs",
    check: (c) => {
      const granted = Object.values(c.service.databases ?? {}).reduce((n, d) => n + d.allowedFunctions.length, 0);
      const ingress = all(c, "aws_vpc_security_group_ingress_rule").filter((r) => r.from_port === 5432);
      const fromFunctions = ingress.filter((r) => String(r.description ?? "").startsWith("Postgres from function"));
      return fails(
        [all(c, "aws_rds_cluster_instance").every((i) => i.publicly_accessible === false), "instance publicly accessible"],
        [fromFunctions.length === granted, `${fromFunctions.length} function ingress rules, want ${granted}`],
        [ingress.every((r) => !r.cidr_ipv4 && !r.cidr_ipv6), "CIDR ingress to Postgres"],
      );
    },
  },
  "proxy.backups": {
    mode: "native", realisedBy: "aws_rds_cluster storage_encrypted (CMK) + backup_retention_period",
    check: (c) => all(c, "aws_rds_cluster").flatMap((d) => fails([d.storage_encrypted === true, "storage not encrypted"], [d.backup_retention_period === c.env.retention.backupDays, "backup retention differs"])),
  },
  "proxy.deletionProtection": {
    mode: "native", realisedBy: "aws_rds_cluster deletion_protection + final snapshot + prevent_destroy in prod",
    check: (c) => all(c, "aws_rds_cluster").flatMap((d) => fails([d.deletion_protection === c.env.deletionProtection, "deletion protection differs"], [d.skip_final_snapshot === !c.env.deletionProtection, "final snapshot setting differs"])),
  },
  "alarms.channel": {
    mode: "native", realisedBy: "encrypted aws_sns_topic + email aws_sns_topic_subscription per recipient",
    check: (c) => {
      const subs = all(c, "aws_sns_topic_subscription").filter((s) => s.protocol === "email").map((s) => s.endpoint).sort();
      return fails([JSON.stringify(subs) === JSON.stringify([...c.env.alarms.recipients].sort()), "subscriptions differ from recipients"],
        [all(c, "aws_cloudwatch_metric_alarm").every((a) => String(a.alarm_actions?.[0] ?? "").includes("aws_sns_topic")), "alarm without topic action"]);
    },
  },
  "alarms.components": {
    mode: "native", realisedBy: "aws_cloudwatch_metric_alarm per component signal",
    check: (c) => {
      const metrics = new Set(all(c, "aws_cloudwatch_metric_alarm").flatMap((a) => [a.metric_name, ...(a.metric_query ?? []).map((q: R) => q.metric?.metric_name)]).filter(Boolean));
      const want = ["Errors", "Throttles", "Duration"];
      if (c.service.gateways) want.push("5xx", "Latency");
      if (c.service.queues) want.push("ApproximateAgeOfOldestMessage", "ApproximateNumberOfMessagesVisible");
      if (c.service.buses) want.push("FailedInvocations", "InvocationsSentToDlq");
      if (c.service.databases && !directPath(c)) want.push("DatabaseConnectionsCurrentlySessionPinned", "MaxDatabaseConnectionsAllowed");
      return want.filter((m) => !metrics.has(m)).map((m) => `no alarm on ${m}`);
    },
  },
  "budget.notifications": {
    mode: "native", realisedBy: "aws_budgets_budget COST MONTHLY, TagKeyValue filter, ACTUAL + FORECASTED notifications",
    check: (c) => {
      const b = all(c, "aws_budgets_budget")[0];
      const n = (c.env.budget.actualThresholdsPercent.length + c.env.budget.forecastThresholdsPercent.length);
      return fails([b?.limit_amount === String(cloudBudgetAmount(c.env, "aws")), "limit differs"], [(b?.notification ?? []).length === n, "notification count differs"]);
    },
  },
  "tags.required": {
    mode: "native", realisedBy: "provider default_tags (reaches every taggable resource)",
    check: (c) => {
      const tags = c.json.provider?.aws?.[0]?.default_tags?.[0]?.tags ?? {};
      return REQUIRED_TAG_KEYS.filter((k) => !/^[a-z0-9_-]{1,63}$/.test(tags[k] ?? "")).map((k) => `default tag ${k} missing or invalid`);
    },
  },
};

function perFunctionRoles(c: ConformanceContext): string[] {
  return Object.keys(c.service.functions).map((id) => byName(c, "aws_lambda_function", "function_name", namer(c).name(NAME_RULES.aws.lambda, id))?.role).filter(Boolean);
}

/** Functions a bus rule or schedule targets directly: the only ones Lambda invokes asynchronously here. */
function asyncTargets(service: ServiceSpec): Set<string> {
  return new Set(Object.values(service.buses ?? {}).flatMap((b) => Object.values(b.rules ?? {}))
    .flatMap((r) => ("function" in r.target ? [r.target.function] : [])));
}
