import { PolicyRule } from "./types";
import { POLICY_RULES } from "./rules";
import { SCANNER_CHECKS, ScannerCheck } from "./scanner-checks";

const WAF_OUT_OF_BAND = "A web ACL is an organisation's edge choice that AWS Firewall Manager commonly attaches outside this Terraform, so a stack without one says nothing about the deployed distribution or gateway; the platform's runtimes are Node.js and Python (Log4Shell is a Java library flaw), and every route is throttled at the gateway (PC030).";
const CLASSIC_ELB = "A Classic Load Balancer cannot front Lambda, Cloud Run or Functions backends, so it has no place next to these stacks; an ALB's listeners are judged (PC012.min-tls, PC013.plain-http).";
const PRIVATE_ENDPOINT = "The outcome is judged instead of the mechanism: PC003.public-network fails a server reachable from the internet, whether it is closed by VNet integration (the platform's delegated subnet), public access off, or a private endpoint.";
const AVAILABILITY = "Availability tier, not security or data loss: zone redundancy and replicas keep a service up during a zone outage; the data itself is kept by backups (PC060, PC061). Which tier each environment pays for is the environment's sizing choice.";
const BOOKKEEPING = "Tagging and copies of tags: no security or data-loss consequence (required tags are PC041's).";

/**
 * HIGH, CRITICAL and unpublished-severity scanner checks on the scanner scope that no condition
 * cites, each with why it does not apply. docs/policy.md lists them next to the covered ones; a
 * test fails when a check in the catalogue has neither a citing condition nor a reason here, or
 * when a reason is kept for a check a condition now cites.
 */
export const NOT_COVERED: Readonly<Record<string, string>> = {
  "AVD-AWS-0011": WAF_OUT_OF_BAND,
  "AVD-AWS-0053": "A public load balancer is how a public API is reached, a declared design choice like a public route; what it serves is judged (PC013.plain-http, PC012.min-tls, PC019).",
  "AVD-AWS-0135": "The platform encrypts queues with SSE-SQS (PC010.not-encrypted): the key can be used by SQS only, so the exposure is the queue policy, which PC005 and PC001.queue-policy-any-action judge. A customer key would add per-message KMS requests and a key policy that EventBridge, SNS and Lambda must each be granted, for no narrower access; a team that needs key custody can add one.",
  "AVD-AZU-0010": "Judged only where storage network rules deny by default, which the platform's storage accounts do not use (public endpoint, Entra ID only: see AVD-AZU-0012); a team adding deny rules without the AzureServices bypass breaks Event Grid dead-lettering and diagnostics, which its own tests show.",
  "AVD-AZU-0012": "Judged on the exposure that matters: a storage account reachable from the internet must refuse shared keys and anonymous access (PC014.public-with-shared-key, PC006.shared-key, PC014.anonymous-blob-access). The platform's accounts keep the public endpoint because Flex Consumption reads its deployment package and host state over it (no private endpoints in the plan), with Entra ID as the only way in.",
  "CKV_AWS_13": "An account-wide password policy belongs to the organisation's landing zone, not to a service stack; people reach AWS through SSO roles, and IAM users with keys or policies are findings here (PC004).",
  "CKV_AWS_127": CLASSIC_ELB,
  "CKV_AWS_192": WAF_OUT_OF_BAND,
  "CKV_AWS_272": "Functions are built in CI from the repository, uploaded by content hash and deployed by the pipeline's role; the deploy role is the trust boundary code signing would add. A team that signs its artifacts can add a signing profile.",
  "CKV_AWS_300": "Incomplete multipart uploads cost storage but lose and expose nothing; the platform creates no S3 buckets.",
  "CKV_AWS_305": "A default root object matters for a website served from S3; API distributions route every path to the gateway.",
  "CKV_AWS_310": "Origin failover is an availability choice; what the distribution serves and how is judged (PC013.plain-http, PC012.min-tls).",
  "CKV_AWS_313": BOOKKEEPING,
  "CKV_AWS_322": "Minor engine upgrades are a maintenance choice with no exposure or data-loss consequence of their own.",
  "CKV_AWS_323": "The default subnet group places a cache in the default VPC; exposure is judged on the security groups that admit traffic (PC016), and the cache's own encryption on PC010 and PC011.",
  "CKV_AWS_326": "Backtracking exists for Aurora MySQL only; the platform's databases are Aurora PostgreSQL, whose recovery is backups and point-in-time restore (PC060, PC061).",
  "CKV_AWS_342": WAF_OUT_OF_BAND,
  "CKV_AWS_374": "Geo restriction is a business choice about who may use the API, not a security setting with a right value.",
  "CKV_AWS_376": CLASSIC_ELB,
  "CKV_AWS_378": "Judged on the listener (PC013.plain-http, which cites AVD-AWS-0054): a target group is the hop from the load balancer to its backend inside the VPC.",
  "CKV_AWS_379": "CKV_AWS_379 judges only buckets with a public ACL, which are findings already (PC014.public-read); the platform creates no S3 buckets.",
  "CKV_AWS_385": "Admitting a named foreign account to a topic is a declared grant (a producer in another account); everyone is PC005.policy-public, and a whole-account trust on a role is PC007.assume-account.",
  "CKV_AWS_388": "Aurora PostgreSQL 10.11 to 11.8 are out of support and can no longer be created; the platform's engine version comes from the spec's validated list.",
  "CKV_AZURE_229": AVAILABILITY,
  "CKV_AZURE_230": AVAILABILITY,
  "CKV_AZURE_244": "Local users sign in only over SFTP (or NFSv3), which needs sftp_enabled on a hierarchical-namespace account: PC006.sftp judges that. An unused local user is no way in.",
  "CKV_GCP_6": "Judged by PC011.ssl-mode with a deliberate difference: CKV_GCP_6 passes PostgreSQL only with TRUSTED_CLIENT_CERTIFICATE_REQUIRED, which functions that authenticate with IAM tokens (directly or through the pooler) cannot meet; ENCRYPTED_ONLY requires TLS, as AVD-GCP-0015 reads it.",
  "CKV_GCP_62": "Cloud Storage access is recorded by Cloud Audit Logs (Data Access) for the project; bucket access logging is the legacy mechanism with no retention or protection of its own.",
  "CKV_GCP_63": "Follows CKV_GCP_62: no bucket access logging is used.",
  "CKV2_AWS_32": "A response headers policy hardens browser-facing websites (HSTS, frame options); the platform's distributions front JSON APIs.",
  "CKV2_AWS_51": "Clients authenticate at the gateway with JWTs (spec auth); mutual TLS is an optional second factor for machine clients that a team can add.",
  "CKV2_AWS_53": "Request validation is a REST API (v1) model feature; the platform's HTTP APIs hand requests to functions that validate their input.",
  "CKV2_AWS_57": "Spec secrets are third-party values supplied out of band, which AWS can only rotate with a rotation function that can regenerate them; the database credential is managed and rotated by RDS (manage_master_user_password). A rotation that is configured must be at most 90 days (PC015.rotation-period).",
  "CKV2_AWS_60": BOOKKEEPING,
  "CKV2_AWS_68": "Judges the role of a SageMaker notebook instance; the platform uses no SageMaker, and every role's policies are judged by PC001.",
  "CKV2_AWS_69": "Judged where the setting lives: a parameter group without rds.force_ssl = 1 is PC011.force-ssl-off, whichever instance uses it.",
  "CKV2_AWS_70": "A public route is a declared design choice in the spec (auth: none), as for HTTP API routes; routes with auth get the gateway's authorizer.",
  "CKV2_AWS_73": "Same as AVD-AWS-0135: SSE-SQS is the platform's deliberate choice for queues.",
  "CKV2_AWS_76": WAF_OUT_OF_BAND,
  "CKV2_AWS_77": WAF_OUT_OF_BAND,
  "CKV2_AWS_78": "AppSync is not part of the platform, and its web ACL is an edge choice: see AVD-AWS-0011.",
  "CKV2_AZURE_1": "Azure Storage encrypts at rest with no way to switch it off; a customer-managed key changes key custody, not exposure. The platform's accounts hold deployment packages and dead letters, and PC010 notes Azure's encryption as not applicable.",
  "CKV2_AZURE_31": "The platform's subnets hold only delegated Function App and PostgreSQL integration and private endpoints, with no public IPs; an NSG there would repeat Azure's default rules (VNet traffic in, internet in denied). A team's NSG rules are judged by PC016.",
  "CKV2_AZURE_32": "The outcome is judged instead of the mechanism: PC015.vault-public fails a vault reachable from the internet without deny-by-default network ACLs; a private endpoint is one way to close it.",
  "CKV2_AZURE_33": "As AVD-AZU-0012: storage exposure is judged by what a caller can do over the endpoint (Entra ID only, no anonymous access).",
  "CKV2_AZURE_41": "SAS tokens signed with account keys cannot exist where shared keys are off (PC006.shared-key); user-delegation SAS are bounded by the Entra ID identity that signs them (at most seven days).",
  "CKV2_AZURE_42": PRIVATE_ENDPOINT,
  "CKV2_AZURE_43": PRIVATE_ENDPOINT,
  "CKV2_AZURE_44": PRIVATE_ENDPOINT,
  "CKV2_AZURE_45": PRIVATE_ENDPOINT,
  "CKV2_AZURE_50": "Judges storage used by an Azure Machine Learning workspace; the platform uses none, and storage accounts are judged by PC006, PC014 and PC061.",
  "CKV2_AZURE_56": PRIVATE_ENDPOINT,
  "CKV2_AZURE_57": PRIVATE_ENDPOINT,
  "CKV2_GCP_9": "Container Registry is retired (Artifact Registry replaces it); a public grant on its artifacts bucket is PC005.member-public like on any bucket (the check reports the registry resource).",
  "CKV2_GCP_18": "A custom VPC network denies all ingress unless a firewall rule allows it; the platform's network carries only the serverless connector and private services access, and any allow a team adds is judged by PC016.",
};

export interface CoverageRow {
  readonly id: string;
  readonly check: ScannerCheck;
  /** Conditions that cite the check (`PC006.local-auth`). */
  readonly conditions: readonly string[];
  /** Why it does not apply, when no condition cites it. */
  readonly reason?: string;
}

/** Every catalogued scanner check with the conditions that cite it or the reason it does not apply. */
export function scannerCoverage(rules: readonly PolicyRule[] = POLICY_RULES): CoverageRow[] {
  const citing = new Map<string, string[]>();
  for (const r of rules) for (const [key, c] of Object.entries(r.conditions)) for (const id of c.checks ?? []) citing.set(id, [...(citing.get(id) ?? []), `${r.id}.${key}`]);
  return Object.entries(SCANNER_CHECKS).map(([id, check]) => ({ id, check, conditions: citing.get(id) ?? [], ...(NOT_COVERED[id] ? { reason: NOT_COVERED[id] } : {}) }));
}
