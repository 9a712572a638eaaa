import { PolicyRule } from "./types";
import { block, list, parsePolicyDocument, resources } from "./json";

/** Actions AWS offers no resource-level permissions for; `*` is the only valid resource. */
const UNSCOPABLE_ACTIONS = /^(xray:Put(TraceSegments|TelemetryRecords)|ec2:(Create|Delete)NetworkInterfaces?|ec2:Describe[A-Za-z]+|ec2:(Assign|Unassign)PrivateIpAddresses|cloudwatch:PutMetricData|logs:CreateLogGroup)$/;
const PRIMITIVE_OR_ADMIN = /^roles\/(owner|editor|viewer)$|\.admin$|^roles\/iam\.(securityAdmin|serviceAccountAdmin)$/;
const BROAD_AZURE_ROLES = /^(Owner|Contributor|User Access Administrator)$/;

export const IAM_NO_WILDCARDS: PolicyRule = {
  id: "PC001",
  severity: "critical",
  title: "No identity statement grants every action or every resource",
  rationale: "Grants come from declared bindings; a wildcard turns one compromised function into a compromised account.",
  checkov: ["CKV_AWS_355", "CKV_AWS_63", "CKV_AWS_62"],
  fix: "Declare the binding (producer, publisher, allowedFunctions, secret) so the module derives a statement on the one resource.",
  check: ({ json }) => [
    ...resources(json, "aws_iam_role_policy", "aws_iam_policy").flatMap(([address, r]) => {
      const doc = parsePolicyDocument(r.policy);
      if (!doc) return [{ address, message: "policy is not a literal JSON document, so it cannot be checked" }];
      return doc.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => {
        const actions = list<string>(s.Action);
        const res = list<string>(s.Resource);
        const out = [];
        if (actions.some((a) => a === "*" || /^[a-z0-9-]+:\*$/.test(a))) out.push({ address, message: `statement ${s.Sid ?? "?"} allows ${actions.join(", ")}` });
        if (res.includes("*") && actions.some((a) => !UNSCOPABLE_ACTIONS.test(a))) out.push({ address, message: `statement ${s.Sid ?? "?"} allows ${actions.filter((a) => !UNSCOPABLE_ACTIONS.test(a)).join(", ")} on every resource` });
        return out;
      });
    }),
    ...resources(json, "google_project_iam_member", "google_project_iam_binding").filter(([, r]) => PRIMITIVE_OR_ADMIN.test(r.role))
      .map(([address, r]) => ({ address, message: `project-wide ${r.role}` })),
    ...resources(json, "azurerm_role_assignment").filter(([, r]) => BROAD_AZURE_ROLES.test(r.role_definition_name ?? ""))
      .map(([address, r]) => ({ address, message: `role ${r.role_definition_name} on ${r.scope}` })),
  ],
};

export const NO_PUBLIC_INVOKE: PolicyRule = {
  id: "PC002",
  severity: "high",
  title: "Functions are invoked only through the gateway",
  rationale: "A function reachable directly bypasses the gateway's authentication, throttling and logs.",
  checkov: ["CKV_AWS_301", "CKV_GCP_107", "CKV_GCP_124"],
  fix: "Route the function through a gateway; never grant invoke to everyone.",
  check: ({ json }) => {
    const behindLb = new Set(resources(json, "google_cloudfunctions2_function")
      .filter(([, r]) => block(r.service_config).ingress_settings === "ALLOW_INTERNAL_AND_GCLB").map(([a]) => a));
    const gcfBehind = (name: string) => [...behindLb].some((a) => name.includes(a));
    const apiGatewayBackends = resources(json, "google_api_gateway_api_config").flatMap(([, r]) => (r.openapi_documents ?? []).map((d: any) => String(block(d.document).contents ?? "")));
    const publicInvokers = resources(json, "google_cloud_run_v2_service_iam_member", "google_cloudfunctions2_function_iam_member")
      .filter(([, r]) => /^allUsers$|^allAuthenticatedUsers$/.test(r.member)).map(([, r]) => String(r.name ?? r.cloud_function ?? ""));
    return [
      ...resources(json, "aws_lambda_permission").filter(([, r]) => r.principal === "*" || !r.source_arn)
        .map(([address, r]) => ({ address, message: `invoke granted to ${r.principal} ${r.source_arn ? "" : "without a source ARN"}`.trim() })),
      ...resources(json, "aws_lambda_function_url").filter(([, r]) => r.authorization_type === "NONE").map(([address]) => ({ address, message: "function URL without auth" })),
      ...resources(json, "google_cloud_run_v2_service_iam_member", "google_cloudfunctions2_function_iam_member")
        .filter(([, r]) => /^allUsers$|^allAuthenticatedUsers$/.test(r.member) && !gcfBehind(String(r.name ?? r.cloud_function ?? "")))
        .map(([address, r]) => ({ address, message: `${r.member} may invoke a function that is not restricted to the load balancer` })),
      // ALLOW_ALL is accepted only for an API Gateway backend (API Gateway is not internal traffic)
      // that nobody may invoke anonymously: IAM (the gateway's identity) is then the boundary.
      ...resources(json, "google_cloudfunctions2_function").filter(([, r]) => block(r.service_config).ingress_settings === "ALLOW_ALL")
        .filter(([address]) => !apiGatewayBackends.some((doc) => doc.includes(`"address" = ${address}.service_config[0].uri`)) || publicInvokers.some((name) => name.includes(address)))
        .map(([address]) => ({ address, message: "ingress ALLOW_ALL (allowed only for an API Gateway backend without public invokers)" })),
      ...resources(json, "azurerm_function_app_flex_consumption", "azurerm_linux_function_app")
        .filter(([, r]) => r.public_network_access_enabled === true && !r.virtual_network_subnet_id)
        .map(([address]) => ({ address, message: "public network access without VNet integration or access restrictions" })),
    ];
  },
};

export const DATABASE_PRIVATE: PolicyRule = {
  id: "PC003",
  severity: "critical",
  title: "Databases are never publicly reachable",
  rationale: "The pooled endpoint is the only way in; a public address exposes the database to the internet.",
  checkov: ["CKV_AWS_17", "CKV_GCP_60", "CKV2_AZURE_26"],
  fix: "Keep the database on private networking (subnets without internet routes, private IP, delegated subnet).",
  check: ({ json }) => [
    ...resources(json, "aws_rds_cluster_instance", "aws_db_instance").filter(([, r]) => r.publicly_accessible === true)
      .map(([address]) => ({ address, message: "publicly_accessible" })),
    ...resources(json, "google_sql_database_instance").filter(([, r]) => block(block(r.settings).ip_configuration).ipv4_enabled !== false)
      .map(([address]) => ({ address, message: "public IPv4 enabled" })),
    ...resources(json, "azurerm_postgresql_flexible_server").filter(([, r]) => r.public_network_access_enabled !== false)
      .map(([address]) => ({ address, message: "public network access enabled" })),
    ...resources(json, "azurerm_postgresql_flexible_server_firewall_rule").map(([address, r]) => ({ address, message: `firewall rule ${r.start_ip_address}-${r.end_ip_address}` })),
  ],
};
