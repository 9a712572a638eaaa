import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { POLICY_RULES, SCANNER_SCOPE } from "@polycloud/core";

/**
 * `node dist/scripts/policy-scanners.js --checkov <checkout> --trivy <trivy-checks checkout>`:
 * regenerates modules/core/src/policy/scanner-checks.ts, the catalogue of scanner checks the
 * coverage table goes through, from local checkouts of bridgecrewio/checkov and
 * aquasecurity/trivy-checks (read in place; only ids, severities and resource types are
 * recorded). A check is in the catalogue when it is cited by a rule's condition, or when its
 * resource types meet SCANNER_SCOPE and it is HIGH or CRITICAL:
 * - checkov: the severity Prisma Cloud publishes (policy/checkov-severities.json; checkov's sources
 *   carry none); a check with no published severity is included as "unpublished";
 * - trivy: the severity in the check's metadata; deprecated checks only when cited.
 * Resource types: checkov's supported_resources (`data.<type>` for data checks, `provider.<name>`
 * for provider checks, the types a graph check names); trivy's, the resource types of the check's
 * bad Terraform examples (the types a check is about), with the overrides below where the
 * examples show no Terraform or only part of what the check reads.
 */

export type CatalogueSeverity = "critical" | "high" | "low-or-medium" | "unpublished";

export interface CatalogueEntry {
  readonly id: string;
  readonly scanner: "checkov" | "trivy";
  readonly severity: CatalogueSeverity;
  readonly title: string;
  readonly types: readonly string[];
  readonly source: string;
}

const IDENTITY_DOCUMENTS = ["aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy", "aws_iam_role"];

/** trivy checks whose Terraform examples do not show every type the check reads. */
const TRIVY_TYPES: Readonly<Record<string, readonly string[]>> = {
  "AVD-AWS-0180": ["aws_db_instance", "aws_rds_cluster_instance"],
  "AVD-AWS-0346": IDENTITY_DOCUMENTS,
  "AVD-AWS-0345": IDENTITY_DOCUMENTS,
  "AVD-AWS-0057": IDENTITY_DOCUMENTS,
};

function walk(dir: string, pred: (f: string) => boolean, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, pred, out);
    else if (pred(p)) out.push(p);
  }
  return out;
}

/** The types a checkov Python check supports, following its base class when the list is there. */
function checkovTypes(root: string, text: string, depth = 0): string[] {
  const list = /supported_(resources?|data|provider)\s*=\s*[([]([^)\]]*)/.exec(text);
  if (list) {
    const names = [...list[2].matchAll(/["']([a-z0-9_]+)["']/g)].map((m) => m[1]);
    return list[1] === "data" ? names.map((n) => `data.${n}`) : list[1] === "provider" ? names.map((n) => `provider.${n}`) : names;
  }
  if (depth > 2) return [];
  for (const m of text.matchAll(/from (checkov\.terraform\.checks\.[\w.]+) import\s*\\?\s*\(?\s*(\w+)/g)) {
    if (/^Base(Resource|Data|Provider)(Value|NegativeValue)?Check$/.test(m[2])) continue;
    const file = path.join(root, `${m[1].replace(/\./g, "/")}.py`);
    if (!fs.existsSync(file)) continue;
    const types = checkovTypes(root, fs.readFileSync(file, "utf8"), depth + 1);
    if (types.length) return types;
  }
  return [];
}

export function checkovChecks(root: string): Omit<CatalogueEntry, "severity">[] {
  const base = path.join(root, "checkov", "terraform", "checks");
  const out: Omit<CatalogueEntry, "severity">[] = [];
  for (const f of walk(base, (p) => p.endsWith(".py") && !p.endsWith("__init__.py") && /\/(resource|data|provider)\//.test(p))) {
    const text = fs.readFileSync(f, "utf8");
    const ids = [...new Set([...text.matchAll(/(?:\bid|check_id)\s*=\s*"(CKV2?_[A-Z]+_\d+)"/g)].map((m) => m[1]))];
    const title = /name\s*=\s*\(?\s*f?"([^"]*)"/.exec(text)?.[1] ?? "";
    const types = checkovTypes(root, text);
    for (const id of ids) out.push({ id, scanner: "checkov", title, types, source: path.relative(root, f) });
  }
  for (const f of walk(path.join(base, "graph_checks"), (p) => p.endsWith(".yaml"))) {
    const text = fs.readFileSync(f, "utf8");
    const id = /id:\s*"?(CKV2?_[A-Z]+_\d+)/.exec(text)?.[1];
    if (!id) continue;
    const title = /name:\s*"?([^"\n]*)/.exec(text)?.[1] ?? "";
    const types = [...new Set([...text.matchAll(/\b((?:aws|google|azurerm)_[a-z0-9_]+)\b/g)].map((m) => m[1]))].sort();
    out.push({ id, scanner: "checkov", title, types, source: path.relative(root, f) });
  }
  return out;
}

export function trivyChecks(root: string): (Omit<CatalogueEntry, "severity"> & { severity: string; deprecated: boolean })[] {
  const out: (Omit<CatalogueEntry, "severity"> & { severity: string; deprecated: boolean })[] = [];
  for (const f of walk(path.join(root, "checks", "cloud"), (p) => p.endsWith(".rego") && !p.endsWith("_test.rego"))) {
    const meta = fs.readFileSync(f, "utf8").split("\npackage ")[0];
    const field = (k: string) => new RegExp(`#\\s+${k}:\\s*(.*)`).exec(meta)?.[1]?.trim().replace(/^"|"$/g, "");
    const id = field("id");
    if (!id || !/^(AWS|GCP|AZU)-\d{4}$/.test(id)) continue;
    const examples = field("examples");
    let types: string[] = [];
    const file = examples ? path.join(root, examples) : f.replace(/\.rego$/, ".yaml");
    if (fs.existsSync(file)) {
      const doc = yaml.load(fs.readFileSync(file, "utf8")) as { terraform?: { bad?: string[] } } | undefined;
      types = [...new Set((doc?.terraform?.bad ?? []).flatMap((hcl) => [...hcl.matchAll(/resource\s+"((?:aws|google|azurerm)_[a-z0-9_]+)"/g)].map((m) => m[1])))].sort();
    }
    const avd = `AVD-${id}`;
    out.push({ id: avd, scanner: "trivy", title: field("title") ?? "", types: TRIVY_TYPES[avd] ?? types, source: path.relative(root, f), severity: (field("severity") ?? "").toLowerCase(), deprecated: /deprecated:\s*true/.test(meta) });
  }
  return out;
}

export function catalogue(checkovRoot: string, trivyRoot: string, severities: Readonly<Record<string, string>>): CatalogueEntry[] {
  const scope = new Set(SCANNER_SCOPE);
  const cited = new Set(POLICY_RULES.flatMap((r) => Object.values(r.conditions).flatMap((c) => c.checks ?? [])));
  const inScope = (types: readonly string[]) => types.some((t) => scope.has(t));
  const entries: CatalogueEntry[] = [];
  for (const c of checkovChecks(checkovRoot)) {
    const published = severities[c.id];
    const severity: CatalogueSeverity = published === "high" || published === "critical" ? published : published ? "low-or-medium" : "unpublished";
    if (cited.has(c.id) || (inScope(c.types) && severity !== "low-or-medium")) entries.push({ ...c, severity });
  }
  for (const t of trivyChecks(trivyRoot)) {
    const severity: CatalogueSeverity = t.severity === "high" || t.severity === "critical" ? t.severity : "low-or-medium";
    if (cited.has(t.id) || (inScope(t.types) && severity !== "low-or-medium" && !t.deprecated)) entries.push({ id: t.id, scanner: "trivy", severity, title: t.title, types: t.types, source: t.source });
  }
  const missing = [...cited].filter((id) => !entries.some((e) => e.id === id));
  if (missing.length) throw new Error(`cited checks not found in the checkouts: ${missing.join(", ")}`);
  return entries.sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }));
}

export function renderCatalogue(entries: readonly CatalogueEntry[], sources: { checkov: string; trivy: string }): string {
  const q = (s: string) => JSON.stringify(s);
  return `// Generated by \`node dist/scripts/policy-scanners.js --checkov <checkout> --trivy <checkout>\` from
// bridgecrewio/checkov ${sources.checkov} and aquasecurity/trivy-checks ${sources.trivy}; checkov
// severities from policy/checkov-severities.json (Prisma Cloud). Do not edit by hand.

export type ScannerSeverity = "critical" | "high" | "low-or-medium" | "unpublished";

export interface ScannerCheck {
  readonly scanner: "checkov" | "trivy";
  /** Prisma Cloud's severity for checkov, the check's own for trivy; "unpublished" when none is published. */
  readonly severity: ScannerSeverity;
  /** Terraform blocks the check reads: resource types, \`data.<type>\`, \`provider.<name>\`. */
  readonly types: readonly string[];
  /** The check's file in the scanner's repository. */
  readonly source: string;
}

/** Every scanner check the coverage goes through: cited by a condition, or HIGH/CRITICAL on a type in SCANNER_SCOPE. */
export const SCANNER_CHECKS: Readonly<Record<string, ScannerCheck>> = {
${entries.map((e) => `  ${q(e.id)}: { scanner: ${q(e.scanner)}, severity: ${q(e.severity)}, types: [${e.types.map(q).join(", ")}], source: ${q(e.source)} },`).join("\n")}
};
`;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const arg = (name: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
  const checkov = arg("checkov");
  const trivy = arg("trivy");
  if (!checkov || !trivy) {
    console.error("usage: policy-scanners --checkov <bridgecrewio/checkov checkout> --trivy <aquasecurity/trivy-checks checkout> [--checkov-commit <sha>] [--trivy-commit <sha>]");
    process.exitCode = 2;
  } else {
    const root = path.resolve(__dirname, "..", "..");
    const severities = JSON.parse(fs.readFileSync(path.join(root, "policy", "checkov-severities.json"), "utf8")).severities as Record<string, string>;
    const entries = catalogue(checkov, trivy, severities);
    const out = path.join(root, "modules", "core", "src", "policy", "scanner-checks.ts");
    fs.writeFileSync(out, renderCatalogue(entries, { checkov: arg("checkov-commit") ?? "(local checkout)", trivy: arg("trivy-commit") ?? "(local checkout)" }));
    console.log(`${out}: ${entries.length} checks (${entries.filter((e) => e.scanner === "checkov").length} checkov, ${entries.filter((e) => e.scanner === "trivy").length} trivy)`);
  }
}
