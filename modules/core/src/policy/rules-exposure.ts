import { CANNOT_EVALUATE, PolicyRule, Violation } from "./types";
import { isAwsManagedKey } from "./rules-encryption";
import { R, block, blocks, blocksWithDynamic, bool, dataSources, isObject, list, num, parsePolicyDocument, policyDocumentFromData, refAddress, resources, str } from "./json";

/** AWS managed policies that hand over the account or its IAM: `<name>` → condition. */
const MANAGED: Readonly<Record<string, string>> = { AdministratorAccess: "administrator-access", IAMFullAccess: "iam-full-access" };
const managedName = (arn: unknown) => /^arn:aws[a-z-]*:iam::aws:policy\/([A-Za-z]+)$/.exec(str(arn) ?? "")?.[1];

export const IAM_ROLES_ONLY: PolicyRule = {
  id: "PC004",
  severity: "high",
  title: "Permissions attach to roles, never to IAM users or long-lived keys, and never as AdministratorAccess or IAMFullAccess",
  rationale: "Functions run as roles; a user with attached policies or an access key is a long-lived credential outside the platform's bindings, and the two managed policies hand over the account.",
  conditions: {
    "user-policy": { title: "a policy attached to an IAM user", checks: ["CKV_AWS_40"] },
    "administrator-access": { title: "the AWS managed AdministratorAccess policy on a role, user, group or permission set (or looked up to attach)", checks: ["CKV_AWS_274", "CKV_AWS_275"] },
    "iam-full-access": { title: "the AWS managed IAMFullAccess policy attached or looked up", checks: ["CKV2_AWS_56"] },
    "root-access-key": { title: "an access key for the root user", checks: ["CKV_AWS_348", "AVD-AWS-0141"] },
    "user-access-key": { title: "an access key for an IAM user (a long-lived credential; functions use their roles)" },
  },
  fix: "Grant through the function's role (declared bindings); federate people through SSO roles instead of IAM users and keys.",
  reads: {
    aws_iam_user_policy: [], aws_iam_user_policy_attachment: ["policy_arn"], aws_iam_policy_attachment: ["users", "policy_arn"],
    aws_iam_role_policy_attachment: ["policy_arn"], aws_iam_group_policy_attachment: ["policy_arn"],
    aws_iam_role: ["managed_policy_arns"], aws_ssoadmin_managed_policy_attachment: ["managed_policy_arn"],
    aws_iam_access_key: ["user"], "data.aws_iam_policy": ["name", "arn"],
  },
  check: ({ json }) => {
    const out: Violation[] = [];
    const managed = (address: string, arn: unknown, what: string) => {
      const name = managedName(arn);
      if (name && MANAGED[name]) out.push({ address, condition: MANAGED[name], message: `${what} ${name}` });
    };
    for (const [address, r] of resources(json, "aws_iam_user_policy", "aws_iam_user_policy_attachment")) {
      if (r.user !== undefined && r.user !== null && r.user !== "") out.push({ address, condition: "user-policy", message: "policy attached to an IAM user" });
    }
    for (const [address, r] of resources(json, "aws_iam_policy_attachment")) {
      if (list<unknown>(r.users).some((u) => u !== undefined && u !== null && u !== "")) out.push({ address, condition: "user-policy", message: "policy attached to IAM users" });
    }
    for (const [address, r] of resources(json, "aws_iam_policy_attachment", "aws_iam_role_policy_attachment", "aws_iam_user_policy_attachment", "aws_iam_group_policy_attachment")) managed(address, r.policy_arn, "attaches");
    for (const [address, r] of resources(json, "aws_ssoadmin_managed_policy_attachment")) managed(address, r.managed_policy_arn, "permission set carries");
    for (const [address, r] of resources(json, "aws_iam_role")) for (const arn of list<unknown>(r.managed_policy_arns)) managed(address, arn, "role carries");
    for (const [address, r] of dataSources(json, "aws_iam_policy")) {
      const name = str(r.name) ?? managedName(r.arn);
      if (name && MANAGED[name]) out.push({ address, condition: MANAGED[name], message: `looks up ${name} to attach it` });
    }
    // A user given by reference is read from the aws_iam_user it names.
    const userNames = new Map(resources(json, "aws_iam_user").map(([a, u]) => [a, str(u.name)]));
    for (const [address, r] of resources(json, "aws_iam_access_key")) {
      const ref = refAddress(r.user);
      const user = str(r.user) ?? (ref ? userNames.get(ref) : undefined);
      out.push(user === "root" ? { address, condition: "root-access-key", message: "access key for the root user" } : { address, condition: "user-access-key", message: `access key for IAM user ${user ?? "(by reference)"}` });
    }
    return out;
  },
};

/** A statement's principal is everyone: `*`, `{ AWS: "*" }` or a list holding `*`. */
function everyone(principal: unknown): boolean {
  const any = (v: unknown) => v === "*" || (typeof v === "string" && /^arn:aws:iam::\*:/.test(v));
  if (any(principal)) return true;
  if (Array.isArray(principal)) return principal.some(any);
  if (isObject(principal)) return list<unknown>(principal.AWS).some(any);
  return false;
}

/**
 * Condition keys that pin the caller to an identity, account, organisation or network when
 * compared for equality. Source IP, user agent, MFA and tags are left out on purpose: they narrow
 * how a request looks, not who may make it.
 */
const IDENTITY_KEYS = /^(aws:(PrincipalArn|PrincipalAccount|PrincipalOrgID|PrincipalOrgPaths|userid|SourceVpc|SourceVpce|VpceAccount|Ec2InstanceSourceVpc|SourceAccount|SourceOwner|SourceOrgID)|ec2:SourceInstanceArn|lambda:SourceFunctionArn|ssm:SourceInstanceArn|kms:CallerAccount)$/i;
const ANY_ACCOUNT_ARN = /^arn:aws:[a-z0-9-]*::\*/;

/** A condition that narrows "everyone" to specific callers. */
function narrowing(condition: unknown): boolean {
  if (!isObject(condition)) return false;
  return Object.entries(condition).some(([op, keys]) => {
    if (/^ArnNot(Equals|Like)$/.test(op)) return true;
    if (!isObject(keys)) return false;
    if (/^Arn(Equals|Like)$/.test(op)) {
      return !Object.entries(keys).some(([k, v]) => /^aws:(PrincipalArn|SourceArn)$/i.test(k) && list<unknown>(v).some((x) => typeof x === "string" && ANY_ACCOUNT_ARN.test(x)));
    }
    if (!/^String(Equals|EqualsIgnoreCase|Like)$/.test(op)) return false;
    return Object.keys(keys).some((k) => IDENTITY_KEYS.test(k));
  });
}

/** Resource-policy statements that allow everyone without a narrowing condition. */
export function publicStatements(policy: unknown): R[] | undefined {
  const doc = parsePolicyDocument(policy);
  if (!doc) return undefined;
  return doc.Statement.filter((s) => str(s.Effect) === "Allow" && everyone(s.Principal) && !narrowing(s.Condition));
}

const RESOURCE_POLICIES: [type: string, attribute: string][] = [
  ["aws_sqs_queue_policy", "policy"], ["aws_sqs_queue", "policy"], ["aws_sns_topic_policy", "policy"], ["aws_sns_topic", "policy"],
  ["aws_s3_bucket_policy", "policy"], ["aws_s3_bucket", "policy"], ["aws_kms_key", "policy"], ["aws_secretsmanager_secret_policy", "policy"],
  ["aws_lambda_layer_version_permission", "principal"],
];

const PUBLIC_MEMBER = /^(allUsers|allAuthenticatedUsers)$/;

/** `${google_x.name.attr}` or `${data.google_x.name.attr}`: another resource's attribute, not a variable or function. */
const RESOURCE_ATTRIBUTE = /^\$\{(data\.)?[a-z0-9]+_[a-z0-9_]+\.[A-Za-z0-9_-]+(\.[A-Za-z0-9_\[\]]+)+\}$/;

/** GCP IAM member and binding types on single resources (the hierarchy's are PC001's and PC007's). */
const GCP_MEMBERS = [
  "google_storage_bucket_iam_member", "google_storage_bucket_iam_binding", "google_pubsub_topic_iam_member", "google_pubsub_topic_iam_binding",
  "google_pubsub_subscription_iam_member", "google_pubsub_subscription_iam_binding", "google_secret_manager_secret_iam_member", "google_secret_manager_secret_iam_binding",
  "google_kms_crypto_key_iam_member", "google_kms_crypto_key_iam_binding", "google_kms_key_ring_iam_member", "google_kms_key_ring_iam_binding",
  "google_service_account_iam_member", "google_service_account_iam_binding", "google_bigquery_dataset_iam_member", "google_bigquery_dataset_iam_binding",
];

export const NOT_PUBLIC: PolicyRule = {
  id: "PC005",
  severity: "critical",
  title: "No resource policy or IAM binding admits everyone",
  rationale: "A queue, topic, bucket or key readable or writable by anyone on the internet leaks data and accepts forged messages.",
  conditions: {
    "policy-public": {
      title: "a resource policy statement allows everyone (`*`) without a condition that pins the caller", checks: ["CKV_AWS_168", "CKV_AWS_169", "CKV_AWS_70", "CKV_AWS_33", "CKV_AWS_387", "CKV_AWS_283"],
      differs: "One reading of conditions for every type: a principal of everyone passes only when an ARN, account, organisation, VPC or caller-identity condition pins it (as CKV_AWS_70 reads them, plus aws:SourceAccount and kms:CallerAccount); CKV_AWS_33 passes a KMS statement with any condition, and CKV_AWS_168/169 use cloudsplaining's analysis.",
    },
    "layer-public": { title: "a Lambda layer version shared with every AWS account" },
    "member-public": {
      title: "an IAM member, binding, policy or dataset access entry grants a role to allUsers or allAuthenticatedUsers",
      checks: ["CKV_GCP_28", "AVD-GCP-0001", "CKV_GCP_99", "CKV_GCP_112", "CKV2_GCP_6", "CKV2_GCP_8", "CKV_GCP_113", "CKV_GCP_15", "AVD-GCP-0046"],
      differs: "Reported on the member, binding or policy that grants it (the graph checks CKV2_GCP_6/8 report the key or key ring). A dataset access entry that names no grantee (which the API rejects) is not judged; CKV_GCP_15 fails it.",
    },
    "snapshot-public": { title: "a database snapshot shared with every AWS account", checks: ["CKV_AWS_302"] },
  },
  fix: "Grant the one service principal or role that needs access, with aws:SourceArn; never `*`, allUsers or allAuthenticatedUsers.",
  reads: {
    ...Object.fromEntries(RESOURCE_POLICIES.map(([t]) => [t, []])),
    // Members are read in the check: an attribute of another resource (a service identity's `member`)
    // is an identity, never allUsers; only variables, locals and functions cannot be evaluated.
    ...Object.fromEntries(GCP_MEMBERS.map((t) => [t, []])),
    google_bigquery_dataset: ["access.special_group"], "data.google_iam_policy": [], "data.aws_iam_policy_document": [],
    aws_db_snapshot: ["shared_accounts"], aws_db_cluster_snapshot: ["shared_accounts"],
  },
  check: ({ json }) => {
    const out: Violation[] = [];
    for (const [type, attribute] of RESOURCE_POLICIES) {
      for (const [address, r] of resources(json, type)) {
        const v = r[attribute];
        if (v === undefined || v === null || v === "") continue;
        if (attribute === "principal") {
          if (str(v) === "*") out.push({ address, condition: "layer-public", message: "shared with every AWS account" });
          continue;
        }
        const open = publicStatements(v);
        if (!open) {
          out.push({ address, condition: CANNOT_EVALUATE, message: `cannot evaluate: ${attribute} is not a literal policy document`, unevaluated: attribute });
          continue;
        }
        for (const s of open) out.push({ address, condition: "policy-public", message: `statement ${str(s.Sid) ?? "?"} allows ${list<unknown>(s.Action).join(", ") || "actions"} to everyone` });
      }
    }
    for (const [address, r] of dataSources(json, "aws_iam_policy_document")) {
      const doc = policyDocumentFromData(r);
      for (const s of doc ? publicStatements(doc) ?? [] : []) out.push({ address, condition: "policy-public", message: `statement ${str(s.Sid) ?? "?"} allows ${list<unknown>(s.Action).join(", ") || "actions"} to everyone` });
    }
    for (const [address, r] of resources(json, ...GCP_MEMBERS)) {
      const all = [...list<unknown>(r.member), ...list<unknown>(r.members)];
      const unknown = all.filter((m) => typeof m !== "string" || (/^\$\{[\s\S]*\}$/.test(m.trim()) && !RESOURCE_ATTRIBUTE.test(m.trim())));
      if (unknown.length > 0 || (r.members !== undefined && !Array.isArray(r.members))) out.push({ address, condition: CANNOT_EVALUATE, message: "cannot evaluate: member is an expression", unevaluated: "member" });
      const members = all.filter((m): m is string => typeof m === "string");
      if (members.some((m) => PUBLIC_MEMBER.test(m))) out.push({ address, condition: "member-public", message: `granted to ${members.filter((m) => PUBLIC_MEMBER.test(m)).join(", ")}` });
    }
    // google_*_iam_policy resources: policy_data from a data "google_iam_policy" of the stack, or literal JSON.
    const policies = new Map(dataSources(json, "google_iam_policy").map(([address, r]) => [address, blocksWithDynamic(r, "binding")
      .flatMap((b) => list<unknown>(b.members).filter((m): m is string => typeof m === "string" && PUBLIC_MEMBER.test(m)).map((m) => `${str(b.role) ?? "a role"} to ${m}`))]));
    const used = new Set<string>();
    const iamPolicyTypes = Object.keys(isObject(json) && isObject(json.resource) ? json.resource : {}).filter((t) => /^google_.*_iam_policy$/.test(t));
    for (const [address, r] of resources(json, ...iamPolicyTypes)) {
      const ref = /^\$\{(data\.google_iam_policy\.[A-Za-z0-9_-]+)\.policy_data\}$/.exec(str(r.policy_data) === undefined && typeof r.policy_data === "string" ? r.policy_data.trim() : "")?.[1];
      let open: string[] | undefined;
      if (ref) { used.add(ref); open = policies.get(ref); }
      else {
        const doc = typeof r.policy_data === "string" ? (() => { try { return JSON.parse(r.policy_data) as R; } catch { return undefined; } })() : undefined;
        open = doc ? list<R>(doc.bindings).flatMap((b) => list<unknown>(b?.members).filter((m): m is string => typeof m === "string" && PUBLIC_MEMBER.test(m)).map((m) => `${str(b.role) ?? "a role"} to ${m}`)) : undefined;
      }
      if (open?.length) out.push({ address, condition: "member-public", message: `grants ${open.join(", ")}` });
    }
    for (const [address, open] of policies) if (open.length && !used.has(address)) out.push({ address, condition: "member-public", message: `grants ${open.join(", ")}` });
    for (const [address, r] of resources(json, "google_bigquery_dataset")) {
      const open = blocksWithDynamic(r, "access").map((a) => str(a.special_group) ?? str(a.iam_member) ?? "").filter((g) => PUBLIC_MEMBER.test(g));
      if (open.length) out.push({ address, condition: "member-public", message: `dataset access granted to ${open.join(", ")}` });
    }
    for (const [address, r] of resources(json, "aws_db_snapshot", "aws_db_cluster_snapshot")) {
      if (list<unknown>(r.shared_accounts).includes("all")) out.push({ address, condition: "snapshot-public", message: "shared_accounts includes all" });
    }
    return out;
  },
};

const PUBLIC_GRANTEE = /\/groups\/global\/(AllUsers|AuthenticatedUsers)$/;

/** Public read, write and ACL-read findings of an S3 canned ACL or access_control_policy, reported on `address`. */
function aclFindings(address: string, r: R, source = address): Violation[] {
  const acl = str(r.acl) ?? "";
  const via = source === address ? "" : ` (${source})`;
  const grants = blocks(r.access_control_policy).flatMap((p) => blocksWithDynamic(p, "grant"))
    .filter((g) => blocks(g.grantee).some((e) => PUBLIC_GRANTEE.test(str(e.uri) ?? "")))
    .map((g) => str(g.permission) ?? "");
  const out: Violation[] = [];
  if (/^(public-read|public-read-write|website|authenticated-read)$/.test(acl) || grants.some((p) => p === "READ" || p === "FULL_CONTROL")) out.push({ address, condition: "public-read", message: `readable by everyone: ${acl ? `acl ${acl}` : `grant ${grants.join(", ")}`}${via}` });
  if (acl === "public-read-write" || grants.some((p) => p === "WRITE" || p === "FULL_CONTROL")) out.push({ address, condition: "public-write", message: `writable by everyone: ${acl ? `acl ${acl}` : `grant ${grants.join(", ")}`}${via}` });
  if (grants.some((p) => p === "READ_ACP" || p === "FULL_CONTROL")) out.push({ address: source, condition: "public-acl-read", message: "the ACL itself is readable by everyone" });
  return out;
}

/** Split S3 configuration resources that point at a bucket through `bucket = aws_s3_bucket.x.id`. */
function byBucket(json: Parameters<PolicyRule["check"]>[0]["json"], type: string): Map<string, R> {
  const out = new Map<string, R>();
  for (const [, r] of resources(json, type)) {
    const target = refAddress(r.bucket);
    if (target) out.set(target, r);
  }
  return out;
}

export const STORAGE_PRIVATE: PolicyRule = {
  id: "PC014",
  severity: "high",
  title: "Buckets and storage accounts block public access, encrypt with KMS, keep versions and require TLS",
  rationale: "A public or unversioned bucket is the commonest data leak and the commonest data loss.",
  conditions: {
    "no-public-access-block": { title: "an S3 bucket without an aws_s3_bucket_public_access_block" },
    "block-public-acls": { title: "block_public_acls is not true", checks: ["CKV_AWS_53", "AVD-AWS-0086"] },
    "block-public-policy": { title: "block_public_policy is not true", checks: ["CKV_AWS_54", "AVD-AWS-0087"] },
    "ignore-public-acls": { title: "ignore_public_acls is not true", checks: ["CKV_AWS_55", "AVD-AWS-0091"] },
    "restrict-public-buckets": { title: "restrict_public_buckets is not true", checks: ["CKV_AWS_56", "AVD-AWS-0093"] },
    "not-kms": { title: "S3 default encryption is not KMS (inline or aws_s3_bucket_server_side_encryption_configuration)", checks: ["CKV_AWS_145"] },
    "no-cmk": { title: "S3 default encryption without a customer-managed key (SSE-S3, or aws:kms with the AWS managed key)", checks: ["AVD-AWS-0132"] },
    "no-versioning": {
      title: "object versions are not kept (S3 versioning off; a GCS bucket with neither versioning, a retention policy nor a lifecycle rule)", checks: ["CKV_GCP_78"],
      differs: "S3 versioning is required whether inline or in aws_s3_bucket_versioning.",
    },
    "public-read": {
      title: "an ACL lets everyone or every AWS account read (public-read, public-read-write, website, authenticated-read, or a READ/FULL_CONTROL grant to AllUsers or AuthenticatedUsers)",
      checks: ["CKV_AWS_20", "AVD-AWS-0092", "AVD-AWS-0161"],
      differs: "Reported on the bucket, or on the aws_s3_bucket_acl when it names no bucket of the stack.",
    },
    "public-write": { title: "an ACL lets everyone or every AWS account write (public-read-write, or a WRITE/FULL_CONTROL grant)", checks: ["CKV_AWS_57"] },
    "public-acl-read": { title: "an ACL lets everyone read the ACL itself (READ_ACP or FULL_CONTROL to AllUsers)", checks: ["CKV_AWS_375"] },
    "uniform-access-off": { title: "GCS uniform bucket-level access off (unset is a finding, as in CKV_GCP_29)", checks: ["CKV_GCP_29"] },
    "public-access-prevention": { title: "GCS public access prevention not enforced", checks: ["CKV_GCP_114"] },
    "anonymous-blob-access": { title: "a storage account allows anonymous blob access (allow_nested_items_to_be_public defaults to true)", checks: ["CKV_AZURE_190"] },
    "plain-http": { title: "a storage account accepts plain HTTP", checks: ["CKV_AZURE_3", "AVD-AZU-0008"] },
    "public-with-shared-key": {
      title: "a storage account with public network access and shared keys", checks: ["CKV_AZURE_59"],
      differs: "Storage accounts that serve a function app's deployment package may keep public network access (the plan runs without private endpoints); those must still refuse anonymous blob access and shared keys.",
    },
    "container-public": { title: "a blob container whose access type is not private", checks: ["CKV_AZURE_34", "AVD-AZU-0007"] },
  },
  fix: "Create buckets through the platform (public access blocked, KMS, versioning); never switch the settings off.",
  reads: {
    aws_s3_bucket: ["versioning.enabled", "server_side_encryption_configuration.rule.apply_server_side_encryption_by_default.sse_algorithm"],
    aws_s3_bucket_public_access_block: ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"],
    aws_s3_bucket_versioning: ["versioning_configuration.status"],
    aws_s3_bucket_server_side_encryption_configuration: ["rule.apply_server_side_encryption_by_default.sse_algorithm"],
    aws_s3_bucket_acl: ["acl", "access_control_policy.grant.permission"],
    google_storage_bucket: ["uniform_bucket_level_access", "public_access_prevention", "versioning.enabled"],
    azurerm_storage_account: ["allow_nested_items_to_be_public", "https_traffic_only_enabled", "enable_https_traffic_only", "public_network_access_enabled", "shared_access_key_enabled"],
    azurerm_storage_container: ["container_access_type"],
  },
  check: ({ json }) => {
    const out: Violation[] = [];
    const pabs = byBucket(json, "aws_s3_bucket_public_access_block");
    const versioning = byBucket(json, "aws_s3_bucket_versioning");
    const sse = byBucket(json, "aws_s3_bucket_server_side_encryption_configuration");
    const FLAGS = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];
    for (const [address, r] of resources(json, "aws_s3_bucket_public_access_block")) {
      for (const flag of FLAGS) if (bool(r[flag]) !== true) out.push({ address, condition: flag.replace(/_/g, "-"), message: `${flag} is not true` });
    }
    // Buckets that receive S3 server access logs: the LogDelivery group or the logging service may write to them.
    const logBuckets = new Set([
      ...resources(json, "aws_s3_bucket").filter(([, r]) => str(r.acl) === "log-delivery-write").map(([a]) => a),
      ...resources(json, "aws_s3_bucket_acl").filter(([, r]) => str(r.acl) === "log-delivery-write" || JSON.stringify(r.access_control_policy ?? "").includes("groups/s3/LogDelivery")).map(([, r]) => refAddress(r.bucket) ?? ""),
      ...resources(json, "aws_s3_bucket_policy").filter(([, r]) => typeof r.policy === "string" && r.policy.includes("logging.s3.amazonaws.com")).map(([, r]) => refAddress(r.bucket) ?? ""),
    ]);
    const kms = (x: R) => blocksWithDynamic(x, "rule").some((rule) => /^aws:kms(:dsse)?$/.test(str(block(rule.apply_server_side_encryption_by_default).sse_algorithm) ?? ""));
    for (const [address, r] of resources(json, "aws_s3_bucket")) {
      if (!pabs.has(address)) out.push({ address, condition: "no-public-access-block", message: "no aws_s3_bucket_public_access_block for this bucket" });
      const inlineSse = block(r.server_side_encryption_configuration);
      const rules = [...blocksWithDynamic(inlineSse, "rule"), ...(sse.has(address) ? blocksWithDynamic(sse.get(address)!, "rule") : [])].map((x) => block(x.apply_server_side_encryption_by_default));
      if (!kms(inlineSse) && !(sse.has(address) && kms(sse.get(address)!))) out.push({ address, condition: "not-kms", message: "default encryption is not KMS" });
      // Server access log buckets accept SSE-S3 only (S3 cannot deliver logs to a KMS-encrypted bucket).
      if (!rules.some((d) => d.kms_master_key_id && !isAwsManagedKey(d.kms_master_key_id)) && !logBuckets.has(address)) out.push({ address, condition: "no-cmk", message: "default encryption without a customer-managed key" });
      const inlineVersioning = bool(block(r.versioning).enabled) === true;
      if (!inlineVersioning && str(block(versioning.get(address)?.versioning_configuration).status) !== "Enabled") out.push({ address, condition: "no-versioning", message: "versioning not enabled" });
      out.push(...aclFindings(address, r));
    }
    const buckets = new Set(resources(json, "aws_s3_bucket").map(([a]) => a));
    for (const [address, r] of resources(json, "aws_s3_bucket_acl")) {
      const bucket = refAddress(r.bucket);
      out.push(...aclFindings(bucket && buckets.has(bucket) ? bucket : address, r, address));
    }
    for (const [address, r] of resources(json, "google_storage_bucket")) {
      if (bool(r.uniform_bucket_level_access) !== true) out.push({ address, condition: "uniform-access-off", message: "uniform bucket-level access off" });
      if (str(r.public_access_prevention) !== "enforced") out.push({ address, condition: "public-access-prevention", message: `public_access_prevention ${str(r.public_access_prevention) ?? "inherited"}` });
      if (bool(block(r.versioning).enabled) !== true && !blocks(r.lifecycle_rule).length && !r.retention_policy) out.push({ address, condition: "no-versioning", message: "no versioning, retention or lifecycle policy" });
    }
    for (const [address, r] of resources(json, "azurerm_storage_account")) {
      if (bool(r.allow_nested_items_to_be_public) !== false) out.push({ address, condition: "anonymous-blob-access", message: "anonymous blob access allowed (allow_nested_items_to_be_public defaults to true)" });
      const https = r.https_traffic_only_enabled ?? r.enable_https_traffic_only;
      if (bool(https) === false) out.push({ address, condition: "plain-http", message: "plain HTTP allowed" });
      if (bool(r.public_network_access_enabled) !== false && bool(r.shared_access_key_enabled) !== false) out.push({ address, condition: "public-with-shared-key", message: "public network access with shared keys enabled" });
    }
    for (const [address, r] of resources(json, "azurerm_storage_container")) {
      const access = str(r.container_access_type);
      if (access && access !== "private") out.push({ address, condition: "container-public", message: `container_access_type ${access}` });
    }
    return out;
  },
};

/** Days of a `rate(N days)` / `rate(N hours)` schedule; undefined for cron or anything else. */
function rateDays(expression: string | undefined): number | undefined {
  const m = /^rate\((\d+)\s+(day|days|hour|hours)\)$/.exec(expression?.trim() ?? "");
  return m ? (m[2].startsWith("hour") ? Number(m[1]) / 24 : Number(m[1])) : undefined;
}

export const KEYS_PROTECTED: PolicyRule = {
  id: "PC015",
  severity: "medium",
  title: "Customer keys and secrets rotate or expire, and key vaults are closed to the internet",
  rationale: "An unrotated key or secret widens the blast radius of a leak; a vault open to the internet exposes every secret to a leaked credential.",
  conditions: {
    "key-rotation": { title: "a symmetric customer key without rotation (GCP: rotation period unset or outside 1 to 90 days)", checks: ["CKV_AWS_7", "CKV_GCP_43", "AVD-GCP-0065"] },
    "rotation-period": {
      title: "a secret rotation schedule longer than 90 days", checks: ["CKV_AWS_304"],
      differs: "A cron schedule is not judged (checkov fails every cron expression); a variable is a cannot-evaluate note.",
    },
    "key-expiry": { title: "a Key Vault key without an expiration date", checks: ["CKV_AZURE_40"] },
    "secret-expiry": { title: "a Key Vault secret without an expiration date", checks: ["CKV_AZURE_41"] },
    "vault-public": {
      title: "a key vault with public network access and no network ACL that denies by default or lists IPs or subnets", checks: ["CKV_AZURE_189", "AVD-AZU-0013"],
      differs: "Vault purge protection (CKV_AZURE_110, CKV_AZURE_42) is judged by PC060 in prod only, so dev and staging vaults can be purged and re-created.",
    },
  },
  fix: "Use the platform's keys (rotation on) and vault (purge protection, network ACLs deny by default).",
  reads: {
    aws_kms_key: ["enable_key_rotation", "customer_master_key_spec"], aws_kms_alias: [],
    google_kms_crypto_key: ["rotation_period", "purpose"], google_kms_key_ring: [],
    azurerm_key_vault: ["public_network_access_enabled", "network_acls.default_action"],
    aws_secretsmanager_secret_rotation: ["rotation_rules.automatically_after_days", "rotation_rules.schedule_expression"],
    azurerm_key_vault_key: ["expiration_date"], azurerm_key_vault_secret: ["expiration_date"],
  },
  check: ({ json }) => {
    const out: Violation[] = [];
    for (const [address, r] of resources(json, "aws_kms_key")) {
      const spec = str(r.customer_master_key_spec);
      if (spec && !/SYMMETRIC_DEFAULT|HMAC/.test(spec)) continue;
      if (bool(r.enable_key_rotation) !== true) out.push({ address, condition: "key-rotation", message: "key rotation off" });
    }
    for (const [address, r] of resources(json, "google_kms_crypto_key")) {
      if (/^ASYMMETRIC/.test(str(r.purpose) ?? "")) continue;
      const period = num(String(str(r.rotation_period) ?? "").replace(/s$/, ""));
      if (!(period !== undefined && period >= 86400 && period <= 90 * 86400)) out.push({ address, condition: "key-rotation", message: `rotation_period ${str(r.rotation_period) ?? "unset"} (1 to 90 days)` });
    }
    for (const [address, r] of resources(json, "azurerm_key_vault")) {
      const acls = block(r.network_acls);
      const restricted = list<unknown>(acls.ip_rules).length > 0 || list<unknown>(acls.virtual_network_subnet_ids).length > 0 || str(acls.default_action) === "Deny";
      if (bool(r.public_network_access_enabled) !== false && !restricted) out.push({ address, condition: "vault-public", message: "public network access without network ACLs" });
    }
    for (const [address, r] of resources(json, "aws_secretsmanager_secret_rotation")) {
      const rules = block(r.rotation_rules);
      const days = num(rules.automatically_after_days) ?? rateDays(str(rules.schedule_expression));
      if (days !== undefined && days > 90) out.push({ address, condition: "rotation-period", message: `rotated every ${days} days (at most 90)` });
    }
    for (const [address, r] of resources(json, "azurerm_key_vault_key")) if (!r.expiration_date) out.push({ address, condition: "key-expiry", message: "no expiration_date" });
    for (const [address, r] of resources(json, "azurerm_key_vault_secret")) if (!r.expiration_date) out.push({ address, condition: "secret-expiry", message: "no expiration_date" });
    return out;
  },
};

/** Azure services whose `local_auth_enabled` (SAS keys, access keys) defaults to true. */
const LOCAL_AUTH = ["azurerm_servicebus_namespace", "azurerm_eventgrid_topic", "azurerm_eventgrid_domain", "azurerm_eventgrid_namespace", "azurerm_eventhub_namespace"];
const PUBLIC_NETWORK = ["azurerm_servicebus_namespace", "azurerm_eventgrid_topic", "azurerm_eventgrid_domain", "azurerm_cosmosdb_account", "azurerm_linux_web_app", "azurerm_windows_web_app"];

export const IDENTITY_AUTH_ONLY: PolicyRule = {
  id: "PC006",
  severity: "high",
  title: "Azure messaging, data and app services accept Entra ID only: no local keys, no public endpoint, no FTP",
  rationale: "SAS and account keys are shared secrets that bypass role assignments and never expire; a public endpoint exposes them to the internet.",
  conditions: {
    "local-auth": {
      title: "local (key/SAS) authentication enabled (the provider default)", checks: ["CKV_AZURE_203", "CKV_AZURE_192", "CKV_AZURE_195", "CKV_AZURE_140"],
      differs: "Cosmos DB local authentication is judged for every kind (CKV_AZURE_140 only for GlobalDocumentDB).",
    },
    "public-network": {
      title: "public network access enabled (the provider default)", checks: ["CKV_AZURE_204", "CKV_AZURE_193", "CKV_AZURE_106", "CKV_AZURE_101", "CKV_AZURE_222"],
      differs: "Judged where the platform can run without it: Service Bus, Event Grid topics and domains, Cosmos DB and web apps (an Event Grid topic that the platform reaches over the internet needs a suppression).",
    },
    ftp: { title: "a web app allows FTP (ftps_state neither Disabled nor FtpsOnly)", checks: ["CKV_AZURE_78"] },
    "shared-key": { title: "a storage account with shared access keys enabled", checks: ["CKV2_AZURE_40"] },
    sftp: { title: "a storage account with SFTP enabled (local users sign in with passwords or SSH keys, outside Entra ID)" },
  },
  fix: "Use managed identities and role assignments (the platform's bindings); set local_auth_enabled = false, public_network_access_enabled = false and ftps_state = Disabled.",
  reads: {
    ...Object.fromEntries(LOCAL_AUTH.map((t) => [t, ["local_auth_enabled", "public_network_access_enabled"]])),
    azurerm_cosmosdb_account: ["local_authentication_disabled", "public_network_access_enabled"],
    azurerm_linux_web_app: ["public_network_access_enabled", "site_config.ftps_state"], azurerm_windows_web_app: ["public_network_access_enabled", "site_config.ftps_state"],
    azurerm_app_service: ["site_config.ftps_state"],
    azurerm_storage_account: ["shared_access_key_enabled", "sftp_enabled"],
  },
  check: ({ json }) => {
    const out: Violation[] = [];
    for (const [address, r] of resources(json, ...LOCAL_AUTH)) {
      if (bool(r.local_auth_enabled) !== false) out.push({ address, condition: "local-auth", message: "local (key/SAS) authentication enabled (the provider default)" });
    }
    for (const [address, r] of resources(json, "azurerm_cosmosdb_account")) {
      if (bool(r.local_authentication_disabled) !== true) out.push({ address, condition: "local-auth", message: "local (key) authentication enabled" });
    }
    for (const [address, r] of resources(json, ...PUBLIC_NETWORK)) {
      if (bool(r.public_network_access_enabled) !== false) out.push({ address, condition: "public-network", message: "public network access enabled (the provider default)" });
    }
    for (const [address, r] of resources(json, "azurerm_linux_web_app", "azurerm_windows_web_app", "azurerm_app_service")) {
      if (!/^(Disabled|FtpsOnly)$/.test(str(block(r.site_config).ftps_state) ?? "")) out.push({ address, condition: "ftp", message: `ftps_state ${str(block(r.site_config).ftps_state) ?? "unset (AllAllowed)"}` });
    }
    for (const [address, r] of resources(json, "azurerm_storage_account")) {
      if (bool(r.shared_access_key_enabled) !== false) out.push({ address, condition: "shared-key", message: "shared access keys enabled" });
      if (bool(r.sftp_enabled) === true) out.push({ address, condition: "sftp", message: "SFTP enabled (local users)" });
    }
    return out;
  },
};

const OPEN_V4 = /^0\.0\.0\.0\/0$/;
const OPEN_V6 = /^::\/0$|^0000:0000:0000:0000:0000:0000:0000:0000\/0$/;
const INTERNET = /^(\*|0\.0\.0\.0(\/0)?|\/0|internet|any)$/i;
const ADMIN_PORTS: [port: number, condition: string][] = [[22, "ssh-open"], [3389, "rdp-open"]];

/** Ports of a range given as `80`, `"80"`, `"1000-2000"` or `"*"`. */
function inRange(range: unknown, port: number): boolean {
  if (range === "*" ) return true;
  const n = num(range);
  if (n !== undefined) return n === port;
  const m = typeof range === "string" ? /^(\d+)-(\d+)$/.exec(range.trim()) : null;
  return !!m && Number(m[1]) <= port && port <= Number(m[2]);
}

export const NO_OPEN_INGRESS: PolicyRule = {
  id: "PC016",
  severity: "critical",
  title: "No network rule admits the whole internet except to HTTPS (443) or HTTP (80), or lets everything out to it",
  rationale: "Functions and databases are reached through gateways and private networks; an open port is an attack surface nobody reviews, and unrestricted egress is how data leaves.",
  conditions: {
    "ssh-open": {
      title: "a rule opens TCP port 22 to the internet", checks: ["CKV_AWS_24", "CKV_GCP_2", "CKV_AZURE_10", "AVD-AZU-0050", "AVD-AWS-0107"],
      differs: "AVD-AWS-0107 covers SSH and RDP together; RDP is PC016.rdp-open here.",
    },
    "rdp-open": {
      title: "a rule opens TCP port 3389 to the internet", checks: ["CKV_AWS_25", "CKV_GCP_3", "CKV_AZURE_9", "AVD-AZU-0048", "AVD-GCP-0070"],
      differs: "A GCP firewall rule limited to target tags is still judged (any instance can be given the tag); trivy passes it.",
    },
    "port-open": {
      title: "a rule opens another port or range (not 80 or 443) to the internet", checks: ["AVD-AZU-0047", "AVD-GCP-0027", "AVD-AZU-0074"],
      differs: "80 and 443 from the internet pass (that is how a public gateway is reached); trivy flags every port.",
    },
    "all-ports-open": {
      title: "a rule allows every port from the internet (a GCP firewall allow without ports, a NACL rule for all protocols or 0-65535)", checks: ["CKV2_GCP_12", "CKV_AWS_352", "AVD-AWS-0102"],
      differs: "A NACL rule for protocol all (-1) opens every port whatever from_port says (AWS ignores ports then); CKV_AWS_352 passes it when from_port is set.",
    },
    "egress-open": {
      title: "a rule lets traffic out to the whole internet (0.0.0.0/0, ::/0, *)", checks: ["CKV_AWS_382", "AVD-AWS-0104", "AVD-AZU-0051", "AVD-GCP-0035"],
      differs: "A function that calls a third-party API needs egress; name the destinations, or accept the condition with a suppression that says what it calls.",
    },
  },
  fix: "Open only the load balancer's 443 to the internet; reach everything else through private networking.",
  reads: {
    aws_security_group: ["ingress.from_port", "ingress.to_port", "ingress.cidr_blocks", "ingress.ipv6_cidr_blocks"],
    aws_security_group_rule: ["type", "from_port", "to_port", "cidr_blocks", "ipv6_cidr_blocks"],
    aws_vpc_security_group_ingress_rule: ["from_port", "to_port", "cidr_ipv4", "cidr_ipv6"],
    aws_vpc_security_group_egress_rule: ["cidr_ipv4", "cidr_ipv6"], aws_default_security_group: ["ingress.cidr_blocks", "egress.cidr_blocks"],
    aws_network_acl_rule: ["egress", "rule_action", "cidr_block", "from_port", "to_port"], aws_network_acl: ["ingress.cidr_block", "ingress.action"],
    google_compute_firewall: ["direction", "source_ranges", "allow.ports"],
    azurerm_network_security_rule: ["access", "direction", "source_address_prefix", "destination_port_range"],
    azurerm_network_security_group: ["security_rule.access", "security_rule.direction", "security_rule.source_address_prefix"],
  },
  check: ({ json }) => {
    const out: Violation[] = [];
    const awsRule = (address: string, r: R, what: string) => {
      const cidrs = [...list<unknown>(r.cidr_blocks), ...list<unknown>(r.cidr_ipv4)];
      const v6 = [...list<unknown>(r.ipv6_cidr_blocks), ...list<unknown>(r.cidr_ipv6)];
      if (bool(r.self) === true || list<unknown>(r.prefix_list_ids).length || r.prefix_list_id) return;
      // No source at all reads as open, as checkov reads it (AWS rejects such a rule at apply time).
      const noSource = !cidrs.length && !v6.length && !list<unknown>(r.security_groups).length && !r.source_security_group_id && !r.referenced_security_group_id;
      if (!noSource && !cidrs.some((c) => typeof c === "string" && OPEN_V4.test(c)) && !v6.some((c) => typeof c === "string" && OPEN_V6.test(c))) return;
      if ([r.from_port, r.to_port].some((p) => typeof p === "string" && p.includes("${"))) return; // ports unknown: the engine notes it
      let from = num(r.from_port) ?? 0;
      let to = num(r.to_port) ?? 65535;
      if (str(r.ip_protocol ?? r.protocol) === "-1" || (from === 0 && to === 0)) { from = 0; to = 65535; }
      for (const [port, condition] of ADMIN_PORTS) if (from <= port && port <= to) out.push({ address, condition, message: `${what} opens port ${port} to the internet` });
      if (!(from === to && (from === 443 || from === 80)) && !ADMIN_PORTS.some(([p]) => from <= p && p <= to)) out.push({ address, condition: "port-open", message: `${what} opens ports ${from}-${to} to the internet` });
    };
    for (const [address, r] of resources(json, "aws_security_group", "aws_default_security_group")) for (const i of blocksWithDynamic(r, "ingress")) awsRule(address, i, "ingress rule");
    // Egress: a rule that lets everything out to the whole internet.
    const awsEgress = (address: string, r: R, what: string) => {
      const cidrs = [...list<unknown>(r.cidr_blocks), ...list<unknown>(r.cidr_ipv4), ...list<unknown>(r.ipv6_cidr_blocks), ...list<unknown>(r.cidr_ipv6)];
      if (cidrs.some((c) => typeof c === "string" && (OPEN_V4.test(c) || OPEN_V6.test(c)))) out.push({ address, condition: "egress-open", message: `${what} allows egress to the whole internet` });
    };
    for (const [address, r] of resources(json, "aws_security_group", "aws_default_security_group")) for (const e of blocksWithDynamic(r, "egress")) awsEgress(address, e, "egress rule");
    for (const [address, r] of resources(json, "aws_security_group_rule")) if (str(r.type) === "egress") awsEgress(address, r, "rule");
    for (const [address, r] of resources(json, "aws_vpc_security_group_egress_rule")) awsEgress(address, r, "rule");
    // NACLs: an allow for every protocol or every port from the internet.
    const nacl = (address: string, r: R, egress: boolean) => {
      if (egress || !/^allow$/i.test(str(r.rule_action ?? r.action) ?? "") || !OPEN_V4.test(str(r.cidr_block) ?? "") && !OPEN_V6.test(str(r.ipv6_cidr_block) ?? "")) return;
      const every = str(r.protocol) === "-1" || str(r.protocol) === "all" || ((num(r.from_port) ?? 0) <= 0 && (num(r.to_port) ?? 65535) >= 65535);
      if (every) out.push({ address, condition: "all-ports-open", message: "NACL rule allows every port from the internet" });
    };
    for (const [address, r] of resources(json, "aws_network_acl_rule")) nacl(address, r, bool(r.egress) === true);
    for (const [address, r] of resources(json, "aws_network_acl", "aws_default_network_acl")) for (const i of blocksWithDynamic(r, "ingress")) nacl(address, i, false);
    for (const [address, r] of resources(json, "aws_security_group_rule")) if (str(r.type) === "ingress") awsRule(address, r, "rule");
    for (const [address, r] of resources(json, "aws_vpc_security_group_ingress_rule")) awsRule(address, r, "rule");
    for (const [address, r] of resources(json, "google_compute_firewall")) {
      if (str(r.direction) === "EGRESS" && bool(r.disabled) !== true && blocksWithDynamic(r, "allow").length
        && list<unknown>(r.destination_ranges).some((c) => typeof c === "string" && (OPEN_V4.test(c) || OPEN_V6.test(c)))) out.push({ address, condition: "egress-open", message: "allows egress to the whole internet" });
    }
    for (const [address, r] of resources(json, "google_compute_firewall")) {
      if ((str(r.direction) ?? "INGRESS") !== "INGRESS" || !list<unknown>(r.source_ranges).some((c) => typeof c === "string" && (OPEN_V4.test(c) || OPEN_V6.test(c)))) continue;
      for (const allow of blocksWithDynamic(r, "allow")) {
        const ports = list<unknown>(allow.ports);
        if (!ports.length) { out.push({ address, condition: "all-ports-open", message: `allows ${str(allow.protocol) ?? "all protocols"} on every port from the internet` }); continue; }
        // SSH and RDP listen on TCP; a UDP-only allow on 22 or 3389 is an open port like any other.
        const tcp = /^(tcp|all)$/i.test(str(allow.protocol) ?? "all");
        for (const [port, condition] of ADMIN_PORTS) if (ports.some((p) => inRange(p, port))) out.push({ address, condition: tcp ? condition : "port-open", message: `opens ${tcp ? "" : `${str(allow.protocol)} `}port ${port} to the internet` });
        const other = ports.filter((p) => !(num(p) === 443 || num(p) === 80) && !ADMIN_PORTS.some(([port]) => inRange(p, port)));
        if (other.length) out.push({ address, condition: "port-open", message: `opens ${other.join(", ")} to the internet` });
      }
    }
    const nsgRule = (address: string, r: R) => {
      if (/^allow$/i.test(str(r.access) ?? "") && /^outbound$/i.test(str(r.direction) ?? "")) {
        const destinations = [...list<unknown>(r.destination_address_prefix), ...list<unknown>(r.destination_address_prefixes)];
        if (destinations.some((d) => typeof d === "string" && (INTERNET.test(d) || OPEN_V4.test(d)))) out.push({ address, condition: "egress-open", message: "allows egress to the whole internet" });
        return;
      }
      if (!/^allow$/i.test(str(r.access) ?? "") || !/^inbound$/i.test(str(r.direction) ?? "")) return;
      const sources = [...list<unknown>(r.source_address_prefix), ...list<unknown>(r.source_address_prefixes)];
      if (!sources.some((s) => typeof s === "string" && (INTERNET.test(s) || OPEN_V4.test(s)))) return;
      const ranges = [...list<unknown>(r.destination_port_range), ...list<unknown>(r.destination_port_ranges)];
      const tcp = /^(tcp|\*)$/i.test(str(r.protocol) ?? "*");
      // A UDP-only rule on 22 or 3389 reaches no SSH or RDP server; it is an open port like any other.
      for (const [port, condition] of ADMIN_PORTS) if (ranges.some((p) => inRange(p, port))) out.push({ address, condition: tcp ? condition : "port-open", message: `opens ${tcp ? "" : `${str(r.protocol)} `}port ${port} to the internet` });
      const other = ranges.filter((p) => !(num(p) === 443 || num(p) === 80) && !ADMIN_PORTS.some(([port]) => inRange(p, port)));
      if (other.length) out.push({ address, condition: "port-open", message: `opens ${other.map((p) => str(p) ?? "?").join(", ")} to the internet` });
    };
    for (const [address, r] of resources(json, "azurerm_network_security_rule")) nsgRule(address, r);
    for (const [address, r] of resources(json, "azurerm_network_security_group")) for (const rule of blocksWithDynamic(r, "security_rule")) nsgRule(address, rule);
    return out;
  },
};
