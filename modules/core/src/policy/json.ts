import { TerraformJson } from "../capabilities";

/**
 * Readers for Terraform JSON as anyone may write it: cdktf output, `hcl2json` output of
 * hand-written HCL, escape hatches. None of them throws on any JSON value; a value of the wrong
 * shape reads as absent, and the engine reports it as a "cannot evaluate" note (see `reads` on a
 * rule and `unevaluable`).
 */
export type R = Record<string, any>;

export const isObject = (v: unknown): v is R => typeof v === "object" && v !== null && !Array.isArray(v);

/** A Terraform expression (`${var.x}`, `${merge(...)}`) rather than a literal. */
export const isExpression = (v: unknown): v is string => typeof v === "string" && v.includes("${");

/** Every resource of the given types as [address, config]. Bodies that are not objects read as `{}`. */
export function resources(json: TerraformJson, ...types: string[]): [string, R][] {
  const all = isObject(json) && isObject(json.resource) ? json.resource : {};
  const out: [string, R][] = [];
  for (const type of types) {
    const byName = all[type];
    if (!isObject(byName)) continue;
    for (const [name, body] of Object.entries(byName)) out.push([`${type}.${name}`, block(body)]);
  }
  return out;
}

/** Every resource type present in the stack. */
export function resourceTypes(json: TerraformJson): string[] {
  return isObject(json) && isObject(json.resource) ? Object.keys(json.resource).filter((t) => isObject(json.resource![t])) : [];
}

/** First element of a block that Terraform JSON may render as an object or a list; `{}` for anything else. */
export function block(v: unknown): R {
  const first = Array.isArray(v) ? v[0] : v;
  return isObject(first) ? first : {};
}

/** Every element of a repeated block (object or list of objects); non-objects are skipped. */
export function blocks(v: unknown): R[] {
  return (Array.isArray(v) ? v : [v]).filter(isObject);
}

/**
 * Every instance of a nested block, including those a `dynamic "<name>"` block renders. A literal
 * for_each (list or map) is expanded, with `${<name>.value}` and `${<name>.key}` substituted where
 * they are a whole value; with an unknown for_each the content is taken once, as Terraform renders
 * it when the collection is non-empty.
 */
export function blocksWithDynamic(body: R, name: string): R[] {
  const rendered = blocks(block(body.dynamic)[name]).flatMap((d) => {
    const content = block(d.content);
    const iterator = str(d.iterator) ?? name;
    const each = Array.isArray(d.for_each) ? d.for_each.map((v, i) => [i, v] as const) : isObject(d.for_each) ? Object.entries(d.for_each) : undefined;
    if (!each) return [content];
    const put = (v: unknown, key: unknown, value: unknown): unknown => {
      if (v === `\${${iterator}.value}`) return value;
      if (v === `\${${iterator}.key}`) return key;
      if (Array.isArray(v)) return v.map((x) => put(x, key, value));
      if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, put(x, key, value)]));
      return v;
    };
    return each.map(([key, value]) => put(content, key, value) as R);
  });
  return [...blocks(body[name]), ...rendered];
}

/** A literal string, or undefined (expressions, numbers, objects read as undefined unless `orExpr`). */
export function str(v: unknown): string | undefined {
  return typeof v === "string" && !isExpression(v) ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;
}

/** A literal number (also from a numeric string, as HCL allows), or undefined. */
export function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return undefined;
}

/** A literal boolean (also `"true"`/`"false"`, and `True`/`False` that HCL reads as `${True}`), or undefined. */
export function bool(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  const m = typeof v === "string" ? /^(?:\$\{)?(true|false)\}?$/i.exec(v.trim()) : null;
  return m ? m[1].toLowerCase() === "true" : undefined;
}

/** `${aws_sqs_queue.x.arn}` → `aws_sqs_queue.x`. */
export function refAddress(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const m = /^\$\{([a-z0-9_]+\.[A-Za-z0-9_-]+)(\.[^}]*)?\}$/.exec(value);
  return m?.[1];
}

export const isReference = (value: unknown): boolean => isExpression(value);

/** Seconds from a Google duration string such as `1209600s`. */
export const seconds = (d: unknown): number => Number(String(typeof d === "string" || typeof d === "number" ? d : "").replace(/s$/, "")) || 0;

export const list = <T>(v: T | T[] | undefined): T[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/** A literal string map (tags, labels); undefined when absent, "expression" when it cannot be read. */
export function stringMap(v: unknown): Record<string, unknown> | undefined | "expression" {
  if (v === undefined || v === null) return undefined;
  const m = Array.isArray(v) && v.length === 1 ? v[0] : v;
  return isObject(m) ? m : "expression";
}

/**
 * Parses an IAM policy document: a JSON string, an object (hcl2json of a literal map) or
 * `jsonencode(<literal object>)` as hcl2json renders it. `${...}` inside string values becomes
 * a placeholder. Undefined when the document cannot be read (a data source, a variable, a
 * function other than jsonencode, malformed JSON).
 */
export function parsePolicyDocument(text: unknown): { Statement: R[] } | undefined {
  let doc: unknown;
  if (isObject(text)) doc = text;
  else if (typeof text !== "string") return undefined;
  else {
    const encoded = /^\$\{jsonencode\(([\s\S]*)\)\}$/.exec(text.trim());
    const source = encoded ? hclObjectToJson(encoded[1]) : text;
    if (source === undefined) return undefined;
    const literal = source.replace(/\$\{[^}]*\}/g, "TF_REF");
    try {
      doc = JSON.parse(literal);
    } catch {
      // Hand-written heredocs often carry trailing commas; read them the way a lenient parser would.
      try {
        doc = JSON.parse(literal.replace(/,(\s*[}\]])/g, "$1"));
      } catch {
        return undefined;
      }
    }
  }
  if (!isObject(doc)) return undefined;
  const statements = list<unknown>(doc.Statement ?? doc.statement);
  if (!statements.every(isObject)) return undefined;
  return { Statement: statements as R[] };
}

/**
 * The literal object inside `jsonencode(...)` as HCL writes it (`{ Version = "2012-10-17",
 * Statement = [{ Effect = "Allow", ... }] }`) converted to JSON text, or undefined when it holds
 * anything but literals (references, function calls, conditionals).
 */
function hclObjectToJson(hcl: string): string | undefined {
  let out = "";
  let i = 0;
  const s = hcl.trim();
  while (i < s.length) {
    const c = s[i];
    if (c === "\"") {
      let j = i + 1;
      while (j < s.length && s[j] !== "\"") j += s[j] === "\\" ? 2 : 1;
      const literal = s.slice(i, j + 1);
      if (literal.includes("${")) out += JSON.stringify("TF_REF");
      else out += literal;
      i = j + 1;
      continue;
    }
    if (/[{}[\],:]/.test(c)) { out += c; i++; continue; }
    if (c === "=") { out += ":"; i++; continue; }
    if (/\s/.test(c)) {
      // A newline between two members stands for a comma in HCL.
      const rest = s.slice(i).match(/^\s+/)![0];
      const prev = out.trimEnd().slice(-1);
      const next = s[i + rest.length];
      if (rest.includes("\n") && prev && !/[{[,:]/.test(prev) && next && !/[}\],]/.test(next)) out += ",";
      i += rest.length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_*-]+|\[[^\]]*\])*|^-?\d+(\.\d+)?/.exec(s.slice(i));
    if (!word) return undefined;
    const w = word[0];
    const after = s.slice(i + w.length).trimStart();
    if (/^(true|false|null)$/.test(w) || /^-?\d/.test(w)) out += w;
    else if (after.startsWith("=") || after.startsWith(":")) out += JSON.stringify(w);
    else if (after.startsWith("(")) return undefined; // a function call: not a literal
    else out += JSON.stringify("TF_REF"); // a reference to another resource, variable or local
    i += w.length;
  }
  return out.replace(/,(\s*[}\]])/g, "$1");
}

/** Every data source of the given types as [`data.<type>.<name>`, config]. */
export function dataSources(json: TerraformJson, ...types: string[]): [string, R][] {
  const all = isObject(json) && isObject((json as { data?: unknown }).data) ? (json as { data: R }).data : {};
  const out: [string, R][] = [];
  for (const type of types) {
    const byName = all[type];
    if (!isObject(byName)) continue;
    for (const [name, body] of Object.entries(byName)) out.push([`data.${type}.${name}`, block(body)]);
  }
  return out;
}

/**
 * A `data "aws_iam_policy_document"` as the JSON document it renders: `statement` blocks with
 * effect (default Allow), actions / not_actions, resources / not_resources, principals /
 * not_principals ({ type, identifiers }) and condition ({ test, variable, values }). Dynamic
 * statements over a literal collection are expanded; undefined when a statement is an expression.
 */
export function policyDocumentFromData(body: R): { Statement: R[] } | undefined {
  const statements = blocksWithDynamic(body, "statement");
  if (body.statement !== undefined && !Array.isArray(body.statement) && !isObject(body.statement)) return undefined;
  const principals = (blocksOf: unknown): R | undefined => {
    const entries = blocks(blocksOf);
    if (!entries.length) return undefined;
    const out: Record<string, unknown[]> = {};
    for (const p of entries) {
      const type = str(p.type) ?? "AWS";
      const ids = list<unknown>(p.identifiers);
      (out[type] ??= []).push(...ids);
    }
    // `type = "*"` with `identifiers = ["*"]` renders as Principal "*".
    return out["*"] ? { AWS: "*" } : out;
  };
  return {
    Statement: statements.map((s) => {
      const condition: Record<string, Record<string, unknown>> = {};
      for (const c of blocks(s.condition)) {
        const test = str(c.test);
        const variable = str(c.variable);
        if (test && variable) (condition[test] ??= {})[variable] = list<unknown>(c.values);
      }
      const doc: R = { Effect: str(s.effect) ?? "Allow" };
      if (s.sid !== undefined) doc.Sid = s.sid;
      if (s.actions !== undefined) doc.Action = s.actions;
      if (s.not_actions !== undefined) doc.NotAction = s.not_actions;
      if (s.resources !== undefined) doc.Resource = s.resources;
      if (s.not_resources !== undefined) doc.NotResource = s.not_resources;
      const p = principals(s.principals);
      if (p) doc.Principal = p;
      const np = principals(s.not_principals);
      if (np) doc.NotPrincipal = np;
      if (Object.keys(condition).length) doc.Condition = condition;
      return doc;
    }),
  };
}
