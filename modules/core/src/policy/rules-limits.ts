import { PolicyRule } from "./types";
import { block, refAddress, resources, seconds } from "./json";

const FOURTEEN_DAYS = 14 * 24 * 3600;

export const GATEWAY_THROTTLE: PolicyRule = {
  id: "PC030",
  severity: "medium",
  title: "Every gateway route is throttled",
  rationale: "An unthrottled route lets one client exhaust function concurrency and the database pool.",
  checkov: [],
  fix: "Set the gateway's throttle (rate and burst) in the spec.",
  check: ({ json }) => {
    const throttling = new Set(resources(json, "google_compute_security_policy").filter(([, r]) => (r.rule ?? []).some((x: any) => x.action === "throttle" || x.action === "rate_based_ban")).map(([a]) => a));
    return [
      ...resources(json, "aws_apigatewayv2_stage").filter(([, r]) => !(block(r.default_route_settings).throttling_rate_limit > 0 && block(r.default_route_settings).throttling_burst_limit > 0))
        .map(([address]) => ({ address, message: "no default route throttling" })),
      ...resources(json, "google_compute_backend_service").filter(([, r]) => !throttling.has(refAddress(r.security_policy) ?? ""))
        .map(([address]) => ({ address, message: "no Cloud Armor throttle rule" })),
      ...resources(json, "azurerm_api_management_api_policy").filter(([, r]) => !/<rate-limit(-by-key)?\b/.test(String(r.xml_content ?? "")))
        .map(([address]) => ({ address, message: "policy has no rate-limit" })),
    ];
  },
};

export const FUNCTION_CONCURRENCY: PolicyRule = {
  id: "PC031",
  severity: "low",
  title: "Functions have a concurrency limit",
  rationale: "Unbounded scale-out exhausts database connections and budgets.",
  checkov: ["CKV_AWS_115"],
  fix: "Set concurrency.max on the function spec.",
  check: ({ json }) => [
    ...resources(json, "aws_lambda_function").filter(([, r]) => !(r.reserved_concurrent_executions >= 0)).map(([address]) => ({ address, message: "no reserved concurrency" })),
    ...resources(json, "google_cloudfunctions2_function").filter(([, r]) => !(block(r.service_config).max_instance_count > 0)).map(([address]) => ({ address, message: "no max_instance_count" })),
    ...resources(json, "azurerm_function_app_flex_consumption").filter(([, r]) => !(r.maximum_instance_count > 0)).map(([address]) => ({ address, message: "no maximum_instance_count" })),
  ],
};

export const DEAD_LETTERS: PolicyRule = {
  id: "PC032",
  severity: "high",
  title: "Every queue path and event rule dead-letters into storage that keeps messages at least 14 days",
  rationale: "A poison message must be kept for inspection and replay, not dropped after retries.",
  checkov: ["CKV_AWS_116"],
  fix: "Keep the module defaults; dlqRetentionSeconds below 14 days is rejected.",
  check: ({ json }) => {
    const queues = new Map(resources(json, "aws_sqs_queue"));
    const redriven = new Map(resources(json, "aws_sqs_queue_redrive_policy").map(([, r]) => [refAddress(r.queue_url), JSON.parse(String(r.redrive_policy).replace(/\$\{([^}]*)\}/g, "$1"))]));
    const dlqs = new Set([...redriven.values()].map((p) => String(p.deadLetterTargetArn).replace(/\.arn$/, "")));
    for (const [, r] of resources(json, "aws_lambda_function")) if (block(r.dead_letter_config).target_arn) dlqs.add(String(refAddress(block(r.dead_letter_config).target_arn)));
    // Async failures reach their DLQ through an on-failure destination (the function has no dead_letter_config).
    for (const [, r] of resources(json, "aws_lambda_function_event_invoke_config")) {
      const destination = block(block(r.destination_config).on_failure).destination;
      if (typeof destination === "string" && destination.startsWith("${aws_sqs_queue.")) dlqs.add(String(refAddress(destination)));
    }
    for (const [, r] of resources(json, "aws_cloudwatch_event_target")) if (block(r.dead_letter_config).arn) dlqs.add(String(refAddress(block(r.dead_letter_config).arn)));
    const aws = [
      ...[...queues].filter(([a]) => !dlqs.has(a) && !redriven.has(a)).map(([address]) => ({ address, message: "queue has no redrive to a DLQ" })),
      ...[...queues].filter(([a, r]) => dlqs.has(a) && (r.message_retention_seconds ?? 345600) < FOURTEEN_DAYS).map(([address, r]) => ({ address, message: `DLQ keeps messages ${r.message_retention_seconds ?? 345600}s` })),
      ...resources(json, "aws_cloudwatch_event_target").filter(([, r]) => !block(r.dead_letter_config).arn).map(([address]) => ({ address, message: "event target without dead_letter_config" })),
    ];
    const subs = resources(json, "google_pubsub_subscription");
    const topicsWithKeptSub = new Map<string, number>();
    for (const [, s] of subs) {
      if (!block(s.push_config).push_endpoint && !s.cloud_storage_config && block(s.expiration_policy).ttl === "") {
        const t = refAddress(s.topic) ?? "";
        topicsWithKeptSub.set(t, Math.max(topicsWithKeptSub.get(t) ?? 0, seconds(s.message_retention_duration)));
      }
    }
    const gcp = subs.filter(([, s]) => block(s.push_config).push_endpoint).flatMap(([address, s]) => {
      const dlt = refAddress(block(s.dead_letter_policy).dead_letter_topic);
      if (!dlt) return [{ address, message: "push subscription without dead_letter_policy" }];
      const kept = topicsWithKeptSub.get(dlt);
      if (kept === undefined) return [{ address, message: `dead-letter topic ${dlt} has no never-expiring pull subscription: dead letters would be dropped` }];
      return kept < FOURTEEN_DAYS ? [{ address, message: `dead letters kept ${kept}s` }] : [];
    });
    const azure = [
      ...resources(json, "azurerm_eventgrid_event_subscription").filter(([, r]) => !block(r.storage_blob_dead_letter_destination).storage_blob_container_name)
        .map(([address]) => ({ address, message: "no storage dead-letter destination" })),
      ...resources(json, "azurerm_servicebus_queue").filter(([, r]) => r.dead_lettering_on_message_expiration !== true)
        .map(([address]) => ({ address, message: "expired messages are not dead-lettered" })),
    ];
    return [...aws, ...gcp, ...azure];
  },
};
