import { CANNOT_EVALUATE, PolicyRule, Violation } from "./types";
import { R, blocks, dataSources, isObject, list, parsePolicyDocument, policyDocumentFromData, resources, str } from "./json";

/** An account given as its id or its root ARN: every identity of that account may assume the role. */
const ACCOUNT_ROOT = /^(\d{12}|arn:aws[a-z-]*:iam::\d{12}:root)$/;
const GITHUB_OIDC = "oidc-provider/token.actions.githubusercontent.com";
const GITHUB_SUB = /^token\.actions\.githubusercontent\.com(?:\/[a-zA-Z0-9_-]+)?:sub$/;
/** A `repo:<owner>/<repo>...` subject (owner may be an expression). */
const GITHUB_REPO = /^(\$\{)?[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*(\})?\/[^/]+/;
/** Claims any repository can choose for itself: a `sub` starting with them trusts the whole of GitHub. */
const ABUSABLE_CLAIMS = ["workflow", "environment", "ref", "context", "head_ref", "base_ref"];

/** Whether a GitHub OIDC `sub` value pins a repository (checkov's CKV_AWS_358/393 reading). */
function safeGithubSubject(value: string): boolean {
  if (value === "*") return false;
  const [claim, rest] = value.split(":");
  if (rest === undefined || rest === "*") return false;
  if (ABUSABLE_CLAIMS.some((c) => claim.startsWith(c))) return false;
  return claim !== "repo" || GITHUB_REPO.test(rest);
}

/**
 * Findings for one trust policy's statements. `githubOnly` judges only GitHub OIDC trust (a data
 * document that may be a resource policy, where an account root principal is normal).
 */
function trustFindings(address: string, statements: R[], githubOnly = false): Violation[] {
  const out: Violation[] = [];
  statements.forEach((s, i) => {
    if (str(s.Effect) === "Deny") return;
    const sid = str(s.Sid) ?? `#${i + 1}`;
    const principal = s.Principal;
    const aws = principal === "*" ? ["*"] : isObject(principal) ? list<unknown>(principal.AWS).filter((p): p is string => typeof p === "string") : [];
    if (!githubOnly && aws.includes("*")) out.push({ address, condition: "assume-any", message: `statement ${sid} lets any AWS principal assume the role` });
    const roots = aws.filter((p) => ACCOUNT_ROOT.test(p));
    if (!githubOnly && roots.length) out.push({ address, condition: "assume-account", message: `statement ${sid} lets every identity of ${roots.join(", ")} assume the role` });
    const federated = isObject(principal) ? list<unknown>(principal.Federated).filter((p): p is string => typeof p === "string") : [];
    if (federated.some((f) => f.includes(GITHUB_OIDC))) {
      const subjects = isObject(s.Condition) ? Object.values(s.Condition).filter(isObject).flatMap((byKey) => Object.entries(byKey).filter(([k]) => GITHUB_SUB.test(k)).flatMap(([, v]) => list<unknown>(v))) : [];
      const strings = subjects.filter((v): v is string => typeof v === "string");
      if (!strings.length) out.push({ address, condition: "github-oidc", message: `statement ${sid} trusts GitHub's OIDC provider without a sub condition: any repository may assume the role` });
      else if (!strings.every(safeGithubSubject)) out.push({ address, condition: "github-oidc", message: `statement ${sid} trusts GitHub subjects ${strings.filter((v) => !safeGithubSubject(v)).join(", ")}, which repositories outside the owner can match` });
    }
  });
  return out;
}

/** Roles that act as every service account of a project (checkov CKV_GCP_41). */
const PROJECT_IMPERSONATION = /^roles\/iam\.(serviceAccountUser|serviceAccountTokenCreator)$/;
/** Roles that act as, or manage, every service account below a folder or organisation (checkov CKV_GCP_44/45). */
const HIERARCHY_IMPERSONATION = /^roles\/(owner|editor|iam\.(securityAdmin|serviceAccountAdmin|serviceAccountKeyAdmin|serviceAccountUser|serviceAccountTokenCreator|workloadIdentityUser)|dataflow\.developer|deploymentmanager\.editor|cloudbuild\.builds\.editor|[a-zA-Z]+\.serviceAgent)$/;
/** The default Compute Engine and App Engine service accounts. */
const DEFAULT_SERVICE_ACCOUNT = /-compute@developer\.gserviceaccount\.com|@appspot\.gserviceaccount\.com/;
const HIERARCHY = ["google_project_iam_member", "google_project_iam_binding", "google_folder_iam_member", "google_folder_iam_binding", "google_organization_iam_member", "google_organization_iam_binding"];

export const NO_IMPERSONATION: PolicyRule = {
  id: "PC007",
  severity: "critical",
  title: "Roles and service accounts can be assumed or impersonated only by the identities they are built for",
  rationale: "An identity that can act as another inherits its permissions: a role any principal or any repository can assume, or a grant that lets one member act as every service account, turns one leak into all of them.",
  conditions: {
    "assume-any": { title: "a role's trust policy lets any AWS principal (`*`) assume it", checks: ["CKV_AWS_60"] },
    "assume-account": { title: "a role's trust policy lets every identity of an account (its id or :root) assume it", checks: ["CKV_AWS_61"] },
    "github-oidc": {
      title: "a role trusts GitHub's OIDC provider without a subject that pins a repository", checks: ["CKV_AWS_393", "CKV_AWS_358"],
      differs: "A statement with no sub condition at all is a finding here too (checkov: the same).",
    },
    "workload-identity-open": {
      title: "a workload identity pool provider without an attribute condition, or a GitHub one whose condition pins no repository", checks: ["CKV_GCP_118", "AVD-GCP-0068", "CKV_GCP_125"],
    },
    impersonation: {
      title: "a project, folder or organisation grant that lets a member act as every service account in it (Service Account User or Token Creator; higher up also the roles that include them)",
      checks: ["CKV_GCP_41", "CKV_GCP_44", "CKV_GCP_45"],
    },
    "default-service-account": { title: "the default Compute Engine or App Engine service account granted a role on a project, folder or organisation", checks: ["CKV_GCP_46", "CKV_GCP_47", "CKV_GCP_48"] },
  },
  fix: "Trust the one service principal, role or repository that needs the role (with a sub condition for GitHub); grant Service Account User and Token Creator on the one service account, never on the project.",
  reads: {
    aws_iam_role: ["assume_role_policy"], "data.aws_iam_policy_document": [],
    google_iam_workload_identity_pool_provider: ["attribute_condition"],
    ...Object.fromEntries(HIERARCHY.map((t) => [t, ["role"]])),
  },
  check: ({ json }) => {
    const out: Violation[] = [];
    for (const [address, r] of resources(json, "aws_iam_role")) {
      if (r.assume_role_policy === undefined || r.assume_role_policy === null) continue;
      // A trust policy given by a data document of the stack is judged on the data source.
      if (typeof r.assume_role_policy === "string" && /^\$\{data\.aws_iam_policy_document\.[A-Za-z0-9_-]+\.json\}$/.test(r.assume_role_policy.trim())) continue;
      const doc = parsePolicyDocument(r.assume_role_policy);
      if (!doc) out.push({ address, condition: CANNOT_EVALUATE, message: "cannot evaluate: assume_role_policy is not a literal policy document", unevaluated: "assume_role_policy" });
      else out.push(...trustFindings(address, doc.Statement));
    }
    for (const [address, r] of dataSources(json, "aws_iam_policy_document")) {
      const doc = policyDocumentFromData(r);
      // Trust statements (sts:AssumeRole*) are judged in full; elsewhere only GitHub OIDC trust (a
      // resource policy naming an account root is normal, and everyone is PC005's).
      const trust = (st: R) => list<unknown>(st.Action).some((a) => typeof a === "string" && /^sts:AssumeRole/i.test(a));
      if (doc) out.push(...trustFindings(address, doc.Statement.filter(trust)), ...trustFindings(address, doc.Statement.filter((st) => !trust(st)), true));
    }
    for (const [address, r] of resources(json, "google_iam_workload_identity_pool_provider")) {
      const condition = str(r.attribute_condition);
      const github = blocks(r.oidc).some((o) => str(o.issuer_uri) === "https://token.actions.githubusercontent.com");
      if (!condition) out.push({ address, condition: "workload-identity-open", message: "no attribute_condition: every identity the issuer vouches for may use the pool" });
      else if (github && !/assertion\.(repository|repository_owner|repository_id|repository_owner_id)\b|assertion\.sub\s*==\s*['"]repo:[^'"*]+\/[^'"*]+/.test(condition)) {
        out.push({ address, condition: "workload-identity-open", message: "GitHub provider whose attribute_condition names no repository or owner" });
      }
    }
    for (const [address, r] of resources(json, ...HIERARCHY)) {
      const role = str(r.role) ?? "";
      const level = address.split("_")[1];
      if ((level === "project" ? PROJECT_IMPERSONATION : HIERARCHY_IMPERSONATION).test(role)) out.push({ address, condition: "impersonation", message: `${role} on the ${level}: acts as every service account in it` });
      const members = [...list<unknown>(r.member), ...list<unknown>(r.members)].filter((m): m is string => typeof m === "string");
      if (members.some((m) => DEFAULT_SERVICE_ACCOUNT.test(m))) out.push({ address, condition: "default-service-account", message: `${role} granted to a default service account on the ${level}` });
    }
    return out;
  },
};
