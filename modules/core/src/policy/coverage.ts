import { PolicyRule } from "./types";
import { POLICY_RULES } from "./rules";

/** Every resource type some rule reads (the keys of the rules' `reads`). */
export function typesWithRules(rules: readonly PolicyRule[] = POLICY_RULES): Set<string> {
  return new Set(rules.flatMap((r) => Object.keys(r.reads)));
}

const WIRING = "wiring between resources that are checked themselves; it has no security setting of its own";
const NETWORK = "private network plumbing: subnets, VPCs and DNS have no setting that exposes data; exposure is judged on the security rules, endpoints and services (PC003, PC016)";

/**
 * Resource types the modules emit that no rule reads, each with the reason there is nothing
 * to check beyond the required tags (PC041) and the stateful list (PC060). A test fails when
 * the stacks emit a type that is in neither this list nor a rule's `reads`.
 */
export const NOTHING_TO_CHECK: Readonly<Record<string, string>> = {
  aws_apigatewayv2_api: "protocol and CORS only; the stage carries the access logs and throttling (PC020, PC030), and routes carry the authorizer",
  aws_apigatewayv2_authorizer: WIRING,
  aws_apigatewayv2_integration: WIRING,
  aws_apigatewayv2_route: "authorization_type per route is enforced by the module from the spec (tested per cloud); a public route is a declared design choice",
  aws_cloudwatch_event_archive: "retention is the only setting; kept by PC060 (stateful) in prod",
  aws_cloudwatch_event_bus: "no encryption or access setting beyond the bus policy, which the modules do not write",
  aws_cloudwatch_event_rule: "an event pattern; its target carries the dead-letter queue (PC032)",
  aws_db_proxy_default_target_group: WIRING,
  aws_db_proxy_target: WIRING,
  aws_db_subnet_group: NETWORK,
  aws_lambda_alias: WIRING,
  aws_lambda_event_source_mapping: "batching only; the queue's redrive policy carries failures (PC032)",
  google_cloud_scheduler_job: "a timer publishing to the bus topic as the Cloud Scheduler service agent; the topic carries encryption (PC006) and its subscriptions the dead letters (PC032)",
  google_api_gateway_api: "the API resource is a name; routing and JWT checks live in its config (PC002 reads google_api_gateway_api_config)",
  google_api_gateway_gateway: "binds the API config to a region and the gateway's identity; exposure is judged on the config and the invoker grants (PC002)",
  google_logging_project_exclusion: "keeps logs routed to the retention bucket out of _Default; it neither stores nor exposes data",
  google_project_service_identity: "creates a Google-managed service agent; its grants are judged on the IAM member resources (PC005)",
  google_secret_manager_secret_version: "a placeholder version whose value is replaced out of band; the secret's encryption and access are judged on the secret and its IAM members",
  terraform_data: "runs post-apply steps (removal of the provider-injected AzureWebJobsStorage setting; a database's migration run); it provisions nothing",
  time_sleep: "waits for IAM propagation before a build; it provisions nothing",
  time_static: "a timestamp that names a migration run (google_cloud_run_v2_job.run_execution_token); it provisions nothing",
  aws_lambda_invocation: "runs a database's migration step once per change during apply; the function it invokes is checked (PC001, PC007, PC017)",
  aws_lambda_layer_version: "the RDS CA bundle (public certificates) that database clients verify the server with; no secret, no access setting",
  google_project_iam_custom_role: "a permission set; who holds it, and on what, is judged on the IAM members that bind it (PC001, PC005)",
  aws_lambda_provisioned_concurrency_config: "a capacity setting with no security or data consequence",
  aws_sqs_queue_redrive_allow_policy: "restricts which queues may use a DLQ; it can only narrow access",
  aws_subnet: NETWORK,
  aws_vpc: NETWORK,
  aws_vpc_endpoint: "a private endpoint; it removes internet exposure rather than adding it",
  azurerm_logic_app_action_custom: "one HTTP action posting to the bus topic with the workflow's managed identity; its only grant, EventGrid Data Sender on that topic, is a role assignment PC001 checks",
  azurerm_logic_app_trigger_recurrence: "a timer: no inbound endpoint, no data",
  azurerm_logic_app_workflow: "a scheduled rule's timer with no request trigger, so nothing can call it; its identity's grants are judged on the role assignments (PC001)",
  azurerm_api_management_api_operation: WIRING,
  azurerm_api_management_api_operation_policy: "per-operation XML; the API-level policy carries the rate limit (PC030)",
  azurerm_api_management_backend: WIRING,
  azurerm_api_management_logger: WIRING,
  azurerm_api_management_named_value: "values are Key Vault references or marked secret by the module; no plain-secret setting to judge",
  azurerm_postgresql_flexible_server_database: "charset and collation only; the server carries network and TLS (PC003, PC011)",
  azurerm_private_dns_zone: NETWORK,
  azurerm_private_dns_zone_virtual_network_link: NETWORK,
  azurerm_private_endpoint: "a private endpoint; it removes internet exposure rather than adding it",
  azurerm_resource_group: "a container; tags are checked by PC041",
  azurerm_service_plan: "SKU and worker count only",
  azurerm_storage_blob: "content of a container whose account is checked (PC014, PC006)",
  azurerm_storage_queue: "metadata only; the storage account carries access and encryption (PC014, PC006)",
  azurerm_subnet: NETWORK,
  azurerm_user_assigned_identity: "an identity; its grants are the role assignments PC001 checks",
  azurerm_virtual_network: NETWORK,
  google_compute_global_address: NETWORK,
  google_compute_managed_ssl_certificate: "Google-managed certificate; the proxy's SSL policy carries TLS (PC012)",
  google_compute_network: NETWORK,
  google_compute_region_network_endpoint_group: WIRING,
  google_compute_subnetwork: NETWORK,
  google_compute_target_http_proxy: "only reachable through a forwarding rule, which PC013 checks",
  google_compute_url_map: WIRING,
  google_logging_project_sink: "exports logs; its destination bucket is checked",
  google_project_service: "enables an API",
  google_service_account: "an identity; its grants are the IAM members PC001 and PC005 check",
  google_service_networking_connection: NETWORK,
  google_sql_database: "charset and collation only; the instance carries network, TLS and backups (PC003, PC011, PC060)",
  google_storage_bucket_object: "content of a bucket that is checked (PC014)",
  google_vpc_access_connector: NETWORK,
};
