import { PolicyRule, Violation } from "./types";
import { R, block, blocks, num, refAddress, resources, seconds, str } from "./json";

const FOURTEEN_DAYS = 14 * 24 * 3600;
const SQS_DEFAULT_RETENTION = 345600;

export const GATEWAY_THROTTLE: PolicyRule = {
  id: "PC030",
  severity: "medium",
  title: "Every gateway route is throttled",
  rationale: "An unthrottled route lets one client exhaust function concurrency and the database pool.",
  conditions: { unthrottled: { title: "a gateway stage, backend service or API policy without a rate limit" } },
  fix: "Set the gateway's throttle (rate and burst) in the spec.",
  reads: {
    aws_apigatewayv2_stage: ["default_route_settings.throttling_rate_limit", "default_route_settings.throttling_burst_limit"],
    aws_api_gateway_stage: [], aws_api_gateway_method_settings: ["method_path", "settings.throttling_rate_limit", "settings.throttling_burst_limit"],
    google_compute_backend_service: [], google_compute_security_policy: ["rule.action"],
    azurerm_api_management_api_policy: ["xml_content"],
  },
  check: ({ json }) => {
    const throttling = new Set(resources(json, "google_compute_security_policy").filter(([, r]) => blocks(r.rule).some((x) => /^(throttle|rate_based_ban)$/.test(str(x.action) ?? ""))).map(([a]) => a));
    return [
      ...resources(json, "aws_apigatewayv2_stage").filter(([, r]) => {
        const d = block(r.default_route_settings);
        return !((num(d.throttling_rate_limit) ?? 0) > 0 && (num(d.throttling_burst_limit) ?? 0) > 0);
      }).map(([address]) => ({ address, condition: "unthrottled", message: "no default route throttling" })),
      ...resources(json, "aws_api_gateway_stage").filter(([address, r]) => !resources(json, "aws_api_gateway_method_settings").some(([, m]) => {
        const s = block(m.settings);
        const sameStage = refAddress(m.stage_name) === address || (typeof r.stage_name === "string" && m.stage_name === r.stage_name);
        return sameStage && str(m.method_path) === "*/*" && (num(s.throttling_rate_limit) ?? 0) > 0 && (num(s.throttling_burst_limit) ?? 0) > 0;
      })).map(([address]) => ({ address, condition: "unthrottled", message: "no */* method settings with throttling" })),
      ...resources(json, "google_compute_backend_service").filter(([, r]) => !throttling.has(refAddress(r.security_policy) ?? ""))
        .map(([address]) => ({ address, condition: "unthrottled", message: "no Cloud Armor throttle rule" })),
      ...resources(json, "azurerm_api_management_api_policy").filter(([, r]) => !/<rate-limit(-by-key)?\b/.test(typeof r.xml_content === "string" ? r.xml_content : ""))
        .map(([address]) => ({ address, condition: "unthrottled", message: "policy has no rate-limit" })),
    ];
  },
};

export const FUNCTION_CONCURRENCY: PolicyRule = {
  id: "PC031",
  severity: "low",
  title: "Functions have a concurrency limit",
  rationale: "Unbounded scale-out exhausts database connections and budgets.",
  conditions: { unbounded: { title: "a function without a concurrency or instance limit", checks: ["CKV_AWS_115"] } },
  fix: "Set concurrency.max on the function spec.",
  reads: {
    aws_lambda_function: ["reserved_concurrent_executions"],
    google_cloudfunctions2_function: ["service_config.max_instance_count"], google_cloudfunctions_function: ["max_instances"],
    azurerm_function_app_flex_consumption: ["maximum_instance_count"],
  },
  check: ({ json }) => [
    ...resources(json, "aws_lambda_function").filter(([, r]) => !((num(r.reserved_concurrent_executions) ?? -1) >= 0)).map(([address]) => ({ address, condition: "unbounded", message: "no reserved concurrency" })),
    ...resources(json, "google_cloudfunctions2_function").filter(([, r]) => !((num(block(r.service_config).max_instance_count) ?? 0) > 0)).map(([address]) => ({ address, condition: "unbounded", message: "no max_instance_count" })),
    ...resources(json, "google_cloudfunctions_function").filter(([, r]) => !((num(r.max_instances) ?? 0) > 0)).map(([address]) => ({ address, condition: "unbounded", message: "no max_instances" })),
    ...resources(json, "azurerm_function_app_flex_consumption").filter(([, r]) => !((num(r.maximum_instance_count) ?? 0) > 0)).map(([address]) => ({ address, condition: "unbounded", message: "no maximum_instance_count" })),
  ],
};

/** A redrive policy as JSON text, a literal object or `jsonencode` of one; `${...}` kept as the bare reference. */
function redrivePolicy(v: unknown): R | undefined {
  if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as R;
  if (typeof v !== "string") return undefined;
  try {
    const parsed = JSON.parse(v.replace(/\$\{([^}]*)\}/g, "$1"));
    return typeof parsed === "object" && parsed !== null ? parsed : undefined;
  } catch {
    const target = /deadLetterTargetArn\s*[=:]\s*"?\$?\{?([a-z0-9_]+\.[A-Za-z0-9_-]+)/.exec(v);
    return target ? { deadLetterTargetArn: target[1] } : undefined;
  }
}
const targetOf = (p: R | undefined) => (typeof p?.deadLetterTargetArn === "string" ? p.deadLetterTargetArn.replace(/^\$\{|\}$/g, "").replace(/\.arn$/, "") : undefined);

/** Service principals that invoke Lambda asynchronously (the event invoke config's retries and destinations apply). */
const ASYNC_INVOKERS = new Set(["events.amazonaws.com", "scheduler.amazonaws.com", "sns.amazonaws.com", "s3.amazonaws.com", "ses.amazonaws.com", "iot.amazonaws.com", "logs.amazonaws.com", "cloudwatch.amazonaws.com", "codecommit.amazonaws.com", "config.amazonaws.com"]);

export const DEAD_LETTERS: PolicyRule = {
  id: "PC032",
  severity: "high",
  title: "Every queue path, async function and event rule dead-letters into storage that keeps messages at least 14 days",
  rationale: "A poison message must be kept for inspection and replay, not dropped after retries.",
  conditions: {
    "no-dead-letter": {
      title: "a queue, asynchronously invoked function, event target, push subscription, Event Grid subscription or Service Bus queue without a dead-letter destination", checks: ["CKV_AWS_116"],
      differs: "Stricter: queues, event targets, Pub/Sub push subscriptions, Event Grid subscriptions and Service Bus queues are checked too; a Lambda function passes with an on-failure destination to a queue. Narrower for functions: only a function something invokes asynchronously (a permission for EventBridge, SNS, S3, … or an event target naming it) needs an async failure destination; CKV_AWS_116 asks it of every function, including those only invoked synchronously or by an event source mapping, where it can never receive anything.",
    },
    "dead-letters-short": { title: "dead letters kept less than 14 days" },
    "dead-letters-dropped": { title: "a dead-letter topic without a never-expiring pull subscription (dead letters would be dropped)" },
  },
  fix: "Keep the module defaults; dlqRetentionSeconds below 14 days is rejected.",
  reads: {
    aws_sqs_queue: ["message_retention_seconds"], aws_sqs_queue_redrive_policy: [], aws_lambda_function: [], aws_lambda_function_event_invoke_config: [], aws_cloudwatch_event_target: [], aws_lambda_permission: ["principal"],
    google_pubsub_subscription: ["expiration_policy.ttl", "message_retention_duration"],
    azurerm_eventgrid_event_subscription: [], azurerm_servicebus_queue: ["dead_lettering_on_message_expiration"],
  },
  check: ({ json }) => {
    const queues = resources(json, "aws_sqs_queue");
    const redriven = new Map<string, R | undefined>(resources(json, "aws_sqs_queue_redrive_policy").map(([, r]) => [refAddress(r.queue_url) ?? "", redrivePolicy(r.redrive_policy)]));
    for (const [address, r] of queues) if (r.redrive_policy !== undefined) redriven.set(address, redrivePolicy(r.redrive_policy));
    const dlqs = new Set([...redriven.values()].map(targetOf).filter((t): t is string => !!t));
    const lambdas = resources(json, "aws_lambda_function");
    for (const [, r] of lambdas) { const t = refAddress(block(r.dead_letter_config).target_arn); if (t) dlqs.add(t); }
    // Async failures reach their DLQ through an on-failure destination (the function has no dead_letter_config).
    const onFailure = new Map<string, string>();
    for (const [, r] of resources(json, "aws_lambda_function_event_invoke_config")) {
      const fn = refAddress(r.function_name);
      const t = refAddress(block(block(r.destination_config).on_failure).destination);
      if (t?.startsWith("aws_sqs_queue.")) { dlqs.add(t); if (fn) onFailure.set(fn, t); }
    }
    for (const [, r] of resources(json, "aws_cloudwatch_event_target")) { const t = refAddress(block(r.dead_letter_config).arn); if (t) dlqs.add(t); }
    // Functions something invokes asynchronously: a permission for an event-driven service, or an
    // event target naming the function (or its alias). Synchronous callers (API Gateway) and event
    // source mappings never use the async failure destination.
    const asyncInvoked = new Set<string>();
    const lambdaOf = (ref: unknown) => {
      const a = refAddress(ref);
      if (a?.startsWith("aws_lambda_function.")) return a;
      if (a?.startsWith("aws_lambda_alias.")) return refAddress(resources(json, "aws_lambda_alias").find(([x]) => x === a)?.[1].function_name);
      return undefined;
    };
    for (const [, r] of resources(json, "aws_lambda_permission")) {
      const fn = lambdaOf(r.function_name);
      if (fn && ASYNC_INVOKERS.has(String(r.principal))) asyncInvoked.add(fn);
    }
    for (const [, r] of resources(json, "aws_cloudwatch_event_target")) { const fn = lambdaOf(r.arn); if (fn) asyncInvoked.add(fn); }
    const retention = (r: R) => num(r.message_retention_seconds) ?? (r.message_retention_seconds === undefined ? SQS_DEFAULT_RETENTION : FOURTEEN_DAYS);
    const aws: Violation[] = [
      ...queues.filter(([a]) => !dlqs.has(a) && !redriven.has(a)).map(([address]) => ({ address, condition: "no-dead-letter", message: "queue has no redrive to a DLQ" })),
      ...queues.filter(([a, r]) => dlqs.has(a) && retention(r) < FOURTEEN_DAYS).map(([address, r]) => ({ address, condition: "dead-letters-short", message: `DLQ keeps messages ${retention(r)}s` })),
      ...lambdas.filter(([a, r]) => asyncInvoked.has(a) && !block(r.dead_letter_config).target_arn && !onFailure.has(a)).map(([address]) => ({ address, condition: "no-dead-letter", message: "asynchronously invoked function has no failure destination" })),
      ...resources(json, "aws_cloudwatch_event_target").filter(([, r]) => !block(r.dead_letter_config).arn).map(([address]) => ({ address, condition: "no-dead-letter", message: "event target without dead_letter_config" })),
    ];
    const subs = resources(json, "google_pubsub_subscription");
    const topicsWithKeptSub = new Map<string, number>();
    for (const [, s] of subs) {
      if (!block(s.push_config).push_endpoint && !s.cloud_storage_config && !s.bigquery_config && block(s.expiration_policy).ttl === "") {
        const t = refAddress(s.topic) ?? "";
        topicsWithKeptSub.set(t, Math.max(topicsWithKeptSub.get(t) ?? 0, seconds(s.message_retention_duration)));
      }
    }
    const gcp = subs.filter(([, s]) => block(s.push_config).push_endpoint).flatMap(([address, s]) => {
      const dlt = refAddress(block(s.dead_letter_policy).dead_letter_topic);
      if (!dlt) return [{ address, condition: "no-dead-letter", message: "push subscription without dead_letter_policy" }];
      const kept = topicsWithKeptSub.get(dlt);
      if (kept === undefined) return [{ address, condition: "dead-letters-dropped", message: `dead-letter topic ${dlt} has no never-expiring pull subscription: dead letters would be dropped` }];
      return kept < FOURTEEN_DAYS ? [{ address, condition: "dead-letters-short", message: `dead letters kept ${kept}s` }] : [];
    });
    const azure = [
      ...resources(json, "azurerm_eventgrid_event_subscription").filter(([, r]) => !block(r.storage_blob_dead_letter_destination).storage_blob_container_name)
        .map(([address]) => ({ address, condition: "no-dead-letter", message: "no storage dead-letter destination" })),
      ...resources(json, "azurerm_servicebus_queue").filter(([, r]) => r.dead_lettering_on_message_expiration !== true && str(r.dead_lettering_on_message_expiration) !== "true")
        .map(([address]) => ({ address, condition: "no-dead-letter", message: "expired messages are not dead-lettered" })),
    ];
    return [...aws, ...gcp, ...azure];
  },
};
