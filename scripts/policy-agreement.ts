import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { CLOUDS, Cloud, POLICY_RULES, PolicyRule, PolicyStack, SCANNER_CHECKS, TerraformJson, blockKey, checkSafely } from "@polycloud/core";

/**
 * `node dist/scripts/policy-agreement.js --checkov <checkout> [--trivy <trivy-checks checkout>] [--json out.json]`:
 * scores each cited scanner check by the findings of the condition that cites it, on the
 * scanner's own labelled examples, read in place from local checkouts (nothing of them is copied
 * into this repository):
 * - checkov: tests/terraform/checks/resource/<provider>/example_<Check>/ with the passing/failing
 *   sets in test_<Check>.py, inline snippets in older tests, and tests/terraform/graph/checks/resources/<Check>/expected.yaml;
 * - trivy: the `terraform.good` / `terraform.bad` snippets of checks/cloud/<provider>/<service>/<check>.yaml.
 * A resource counts as flagged for a check when a finding of the check's condition names it; a
 * finding of another condition of the same rule on the same resource does not count.
 */
export interface Score {
  readonly check: string;
  /** `<rule>.<condition>` that cites the check. */
  readonly condition: string;
  readonly failing: number;
  readonly caught: number;
  readonly passing: number;
  readonly flagged: number;
  readonly missed: readonly string[];
  readonly wronglyFlagged: readonly string[];
  readonly note?: string;
}

/** Every cited check with the rule and condition key citing it. */
export function citedChecks(rules: readonly PolicyRule[] = POLICY_RULES): { check: string; rule: PolicyRule; condition: string }[] {
  return rules.flatMap((rule) => Object.entries(rule.conditions).flatMap(([condition, c]) => (c.checks ?? []).map((check) => ({ check, rule, condition }))));
}

interface Labelled { pass: Set<string>; fail: Set<string>; dirs: string[]; snippets?: { label: string; hcl: string }[] }

function walk(dir: string, pred: (f: string) => boolean, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, pred, out);
    else if (pred(p)) out.push(p);
  }
  return out;
}

/** Check id → its implementation file's base name and kind, from the checkout's sources. */
interface CheckFile { name: string; graph: boolean; provider: string; resources: string[]; kind: string }

function checkFiles(root: string): Map<string, CheckFile> {
  const out = new Map<string, CheckFile>();
  for (const kind of ["resource", "data", "provider"]) {
    for (const f of walk(path.join(root, "checkov/terraform/checks", kind), (p) => p.endsWith(".py"))) {
      const text = fs.readFileSync(f, "utf8");
      const resources = [...(/supported_(?:resources?|data|provider)\s*=\s*[([]([^)\]]*)/.exec(text)?.[1] ?? "").matchAll(/["']([a-z0-9_]+)["']/g)].map((m) => m[1]);
      for (const m of text.matchAll(/\b(?:id|check_id)\s*=\s*"(CKV2?_[A-Z]+_\d+)"/g)) out.set(m[1], { name: path.basename(f, ".py"), graph: false, provider: path.basename(path.dirname(f)), resources, kind });
    }
  }
  for (const f of walk(path.join(root, "checkov/terraform/checks/graph_checks"), (p) => p.endsWith(".yaml"))) {
    const m = /id:\s*"?(CKV2?_[A-Z]+_\d+)/.exec(fs.readFileSync(f, "utf8"));
    if (m) out.set(m[1], { name: path.basename(f, ".yaml"), graph: true, provider: path.basename(path.dirname(f)), resources: [], kind: "graph" });
  }
  return out;
}

const quoted = (text: string) => new Set([...text.matchAll(/["']([a-z0-9_]+\.[A-Za-z0-9_\-[\]"'.]+?)["']/g)].map((m) => m[1]));

function labels(root: string, file: CheckFile): Labelled | undefined {
  if (file.graph) {
    const dir = path.join(root, "tests/terraform/graph/checks/resources", file.name);
    const expected = path.join(dir, "expected.yaml");
    if (!fs.existsSync(expected)) return undefined;
    const text = fs.readFileSync(expected, "utf8");
    const section = (name: string) => new Set([...(new RegExp(`^${name}:\\s*\\n((?:\\s+-.*\\n?)*)`, "m").exec(text)?.[1] ?? "").matchAll(/-\s*"?([^"\n]+?)"?\s*$/gm)].map((m) => m[1]));
    return { pass: section("pass"), fail: section("fail"), dirs: [dir] };
  }
  const base = path.join(root, "tests/terraform/checks", file.kind, file.provider);
  if (!fs.existsSync(base)) return undefined;
  const test = fs.readdirSync(base).filter((f) => /^test_.*\.py$/.test(f)).map((f) => path.join(base, f))
    .find((f) => new RegExp(`\\.${file.name} import`).test(fs.readFileSync(f, "utf8")));
  if (!test) return undefined;
  const text = fs.readFileSync(test, "utf8");
  const named = /parent\s*\/\s*"(example_[A-Za-z0-9_]+)"/.exec(text)?.[1] ?? /"(example_[A-Za-z0-9_]+)"/.exec(text)?.[1];
  const dir = path.join(base, named ?? `example_${file.name}`);
  if (!fs.existsSync(dir)) return inlineLabels(text, file.resources[0]);
  const set = (name: string) => { const m = new RegExp(`${name}\\s*=\\s*\\{([^}]*)\\}`).exec(text); return m ? quoted(m[1]) : undefined; };
  const pass = set("passing_resources");
  const fail = set("failing_resources");
  if (!pass || !fail) return undefined;
  return { pass, fail, dirs: [dir] };
}

/**
 * Older checkov tests: one HCL snippet per test method and the expected result. Each snippet is
 * labelled `<address>@<method>` so that snippets reusing a resource name stay apart.
 */
function inlineLabels(text: string, defaultType?: string): Labelled | undefined {
  const pass = new Set<string>();
  const fail = new Set<string>();
  const snippets: { label: string; hcl: string }[] = [];
  for (const method of text.split(/\n\s*def (?=test_)/).slice(1)) {
    const name = /^(\w+)/.exec(method)?.[1] ?? "test";
    let hcl = /"""([\s\S]*?)"""/.exec(method)?.[1];
    const expected = /CheckResult\.(PASSED|FAILED)/.exec(method)?.[1];
    if (!expected || (method.match(/CheckResult\.(PASSED|FAILED)/g) ?? []).length > 1) continue;
    if ((!hcl || !/resource\s/.test(hcl)) && defaultType) {
      const conf = /(?:^|\s)(?:resource_)?conf\s*=\s*(\{[\s\S]*?\})\s*\n\s*(?:scan_result|result)/.exec(method)?.[1];
      const json = conf && pythonLiteral(conf);
      if (json === undefined) continue;
      const type = /entity_type\s*=\s*"([a-z0-9_]+)"/.exec(method)?.[1] ?? defaultType;
      hcl = `{"resource":{"${type}":{"example":${JSON.stringify(json)}}}}`;
    }
    if (!hcl) continue;
    if (hcl.startsWith("{\"resource\"")) {
      const label = `${/"resource":\{"([a-z0-9_]+)"/.exec(hcl)?.[1]}.example@${name}`;
      (expected === "FAILED" ? fail : pass).add(label);
      snippets.push({ label, hcl });
      continue;
    }
    if (!/resource\s/.test(hcl)) continue;
    const res = /resource\s+"?([a-z0-9_]+)"?\s+"([^"]+)"/.exec(hcl);
    if (!res) continue;
    const label = `${res[1]}.${res[2]}@${name}`;
    (expected === "FAILED" ? fail : pass).add(label);
    snippets.push({ label, hcl });
  }
  return pass.size + fail.size ? { pass, fail, dirs: [], snippets } : undefined;
}

/**
 * A Python dict literal as checkov's tests write a parsed resource (`{'a': [True]}`), as JSON with
 * checkov's one-element list wrapping removed from scalars; undefined when it is not a literal.
 */
function pythonLiteral(text: string): unknown {
  let json = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === "\"") {
      let j = i + 1;
      let body = "";
      while (j < text.length && text[j] !== c) { body += text[j] === "\\" ? text[j] + text[++j] : text[j]; j++; }
      json += c === "'" ? JSON.stringify(body.replace(/\\'/g, "'")) : `"${body}"`;
      i = j;
    } else json += c;
  }
  json = json.replace(/\bTrue\b/g, "true").replace(/\bFalse\b/g, "false").replace(/\bNone\b/g, "null").replace(/,(\s*[}\]])/g, "$1");
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  const unwrap = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.length === 1 && (typeof v[0] !== "object" || v[0] === null) ? v[0] : v.map(unwrap);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
    return v;
  };
  // checkov wraps every attribute value in a one-element list.
  return value && typeof value === "object" && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(Array.isArray(v) && v.length === 1 ? v[0] : v)]))
    : unwrap(value);
}

const cloudOf = (type: string): Cloud | undefined => (type.startsWith("aws_") ? "aws" : type.startsWith("google_") ? "gcp" : type.startsWith("azurerm_") ? "azure" : undefined);

async function stacksOf(dirs: string[], inline?: string): Promise<PolicyStack[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parse } = require("@cdktf/hcl2json") as { parse: (name: string, text: string) => Promise<TerraformJson> };
  const out: PolicyStack[] = [];
  if (inline?.startsWith("{")) {
    const json = JSON.parse(inline) as TerraformJson;
    const cloud = Object.keys(json.resource ?? {}).map(cloudOf).find((c): c is Cloud => !!c) ?? "aws";
    return [{ name: `prod-${cloud}`, cloud, environment: "prod", json, minLogDays: 1 }];
  }
  const sources: [string, string][] = inline !== undefined ? [["inline.tf", inline]] : dirs.flatMap((d) => walk(d, (p) => p.endsWith(".tf"))).map((f) => [path.basename(f), fs.readFileSync(f, "utf8")]);
  for (const [name, text] of sources) {
    let json: TerraformJson;
    try {
      json = await parse(name, text);
    } catch {
      continue;
    }
    const types = Object.keys(json.resource ?? {});
    const cloud = types.map(cloudOf).find((c): c is Cloud => !!c) ?? "aws";
    if (!(CLOUDS as readonly string[]).includes(cloud)) continue;
    out.push({ name: `prod-${cloud}`, cloud, environment: "prod", json, minLogDays: 1 });
  }
  return out;
}

/** The addresses a rule flags for one condition on the given stacks (data sources and resources alike). */
function flaggedBy(rule: PolicyRule, condition: string, stacks: readonly PolicyStack[]): Set<string> {
  // checkov labels data sources without the `data.` prefix.
  return new Set(stacks.flatMap((stack) => checkSafely(rule, stack).filter((v) => v.condition === condition).map((v) => v.address.replace(/^data\./, ""))));
}

async function scoreCheckov(root: string, files: Map<string, CheckFile>, check: string, rule: PolicyRule, condition: string): Promise<Score> {
  const id = `${rule.id}.${condition}`;
  const file = files.get(check);
  const labelled = file && labels(root, file);
  if (!labelled) return { check, condition: id, failing: 0, caught: 0, passing: 0, flagged: 0, missed: [], wronglyFlagged: [], note: file ? "no labelled example in the checkout" : "not found in the checkout" };
  const flagged = flaggedBy(rule, condition, await stacksOf(labelled.dirs));
  for (const snippet of labelled.snippets ?? []) {
    for (const address of flaggedBy(rule, condition, await stacksOf([], snippet.hcl))) if (snippet.label.startsWith(`${address}@`)) flagged.add(snippet.label);
  }
  const norm = (a: string) => a.replace(/\[.*?\]$/, "");
  const fail = [...labelled.fail].map(norm);
  const pass = [...labelled.pass].map(norm).filter((a) => !fail.includes(a));
  return {
    check, condition: id, failing: fail.length, caught: fail.filter((a) => flagged.has(a)).length, passing: pass.length, flagged: pass.filter((a) => flagged.has(a)).length,
    missed: fail.filter((a) => !flagged.has(a)), wronglyFlagged: pass.filter((a) => flagged.has(a)),
  };
}

/** trivy check id (`AVD-AWS-0096`) → its examples file, from the `id:` in each check's metadata. */
function trivyExamples(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of walk(path.join(root, "checks", "cloud"), (p) => p.endsWith(".rego") && !p.endsWith("_test.rego"))) {
    const meta = fs.readFileSync(f, "utf8").split("\npackage ")[0];
    const id = /#\s+id:\s*([A-Z]+-\d+)/.exec(meta)?.[1];
    const examples = /#\s+examples:\s*(\S+)/.exec(meta)?.[1];
    if (id) out.set(`AVD-${id}`, examples ? path.join(root, examples) : f.replace(/\.rego$/, ".yaml"));
  }
  return out;
}

async function scoreTrivy(examples: Map<string, string>, check: string, rule: PolicyRule, condition: string): Promise<Score> {
  const id = `${rule.id}.${condition}`;
  const file = examples.get(check);
  const doc = file && fs.existsSync(file) ? (yaml.load(fs.readFileSync(file, "utf8")) as { terraform?: { good?: string[]; bad?: string[] } }) : undefined;
  const tf = doc?.terraform;
  if (!tf || (!tf.good?.length && !tf.bad?.length)) return { check, condition: id, failing: 0, caught: 0, passing: 0, flagged: 0, missed: [], wronglyFlagged: [], note: file ? "no terraform example in the checkout" : "not found in the checkout" };
  const types = SCANNER_CHECKS[check]?.types;
  const hits = async (hcl: string) => [...flaggedBy(rule, condition, await stacksOf([], hcl))].filter((a) => !types || types.includes(blockKey(a)));
  const bad = await Promise.all((tf.bad ?? []).map(hits));
  const good = await Promise.all((tf.good ?? []).map(hits));
  return {
    check, condition: id, failing: bad.length, caught: bad.filter((h) => h.length > 0).length, passing: good.length, flagged: good.filter((h) => h.length > 0).length,
    missed: bad.flatMap((h, i) => (h.length ? [] : [`bad[${i}]`])), wronglyFlagged: good.flatMap((h, i) => (h.length ? [`good[${i}]: ${h.join(", ")}`] : [])),
  };
}

export async function scoreAgreement(roots: { checkov?: string; trivy?: string }, rules: readonly PolicyRule[] = POLICY_RULES): Promise<Score[]> {
  const files = roots.checkov ? checkFiles(roots.checkov) : new Map<string, CheckFile>();
  const examples = roots.trivy ? trivyExamples(roots.trivy) : new Map<string, string>();
  const scores: Score[] = [];
  for (const { check, rule, condition } of citedChecks(rules)) {
    if (check.startsWith("CKV") && roots.checkov) scores.push(await scoreCheckov(roots.checkov, files, check, rule, condition));
    if (check.startsWith("AVD-") && roots.trivy) scores.push(await scoreTrivy(examples, check, rule, condition));
  }
  return scores;
}

export function formatScores(scores: readonly Score[]): string {
  const pct = (a: number, b: number) => (b ? `${Math.round((100 * a) / b)}%` : "—");
  const total = (k: "failing" | "caught" | "passing" | "flagged") => scores.reduce((n, s) => n + s[k], 0);
  return [
    "| Check | Condition | Failing caught | Passing flagged | Missed | Wrongly flagged |",
    "|---|---|---|---|---|---|",
    ...scores.map((s) => `| ${s.check} | ${s.condition} | ${s.note ?? `${s.caught}/${s.failing} (${pct(s.caught, s.failing)})`} | ${s.note ? "—" : `${s.flagged}/${s.passing} (${pct(s.flagged, s.passing)})`} | ${s.missed.join(", ") || "—"} | ${s.wronglyFlagged.join(", ") || "—"} |`),
    "",
    `${scores.length} cited checks scored: ${total("caught")}/${total("failing")} failing examples caught, ${total("flagged")}/${total("passing")} passing examples flagged.`,
  ].join("\n");
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const arg = (name: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
  const checkov = arg("checkov");
  const trivy = arg("trivy");
  if (!checkov && !trivy) {
    console.error("usage: policy-agreement --checkov <bridgecrewio/checkov checkout> [--trivy <aquasecurity/trivy-checks checkout>] [--json out.json]");
    process.exitCode = 2;
  } else {
    scoreAgreement({ checkov, trivy }).then((scores) => {
      console.log(formatScores(scores));
      const out = arg("json");
      if (out) fs.writeFileSync(out, JSON.stringify(scores, null, 2));
    });
  }
}
