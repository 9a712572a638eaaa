/**
 * Pub/Sub's subscription filter language, evaluated on a message's attributes: `attributes:KEY`
 * (has the key), `attributes.KEY = "v"`, `attributes.KEY != "v"` (true when the key is missing),
 * `hasPrefix(attributes.KEY, "p")`, `AND`, `OR`, `NOT` (or `-`), parentheses; keys with other
 * characters than letters, digits, `-` and `_` are string literals (`attributes."a.b"`). AND and
 * OR may not be mixed without parentheses. Tested against the examples of "Filter messages from a
 * subscription" in the Pub/Sub documentation.
 */
type Node =
  | { kind: "has"; key: string }
  | { kind: "eq" | "ne"; key: string; value: string }
  | { kind: "prefix"; key: string; value: string }
  | { kind: "not"; of: Node }
  | { kind: "and" | "or"; of: Node[] };

type Token = { t: "word" | "str" | "(" | ")" | "," | "." | ":" | "=" | "!=" | "-"; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < src.length;) {
    const c = src[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let v = "";
      while (j < src.length && src[j] !== c) {
        if (src[j] === "\\") {
          const n = src[j + 1];
          v += n === "n" ? "\n" : n === "t" ? "\t" : n;
          j += 2;
        } else v += src[j++];
      }
      if (j >= src.length) throw new Error(`unterminated string in filter: ${src}`);
      out.push({ t: "str", v });
      i = j + 1;
    } else if (src.startsWith("!=", i)) { out.push({ t: "!=", v: "!=" }); i += 2; }
    else if ("().,:=-".includes(c)) { out.push({ t: c as Token["t"], v: c }); i++; }
    else {
      const m = /^[A-Za-z0-9_]+/.exec(src.slice(i));
      if (!m) throw new Error(`unexpected '${c}' in filter: ${src}`);
      out.push({ t: "word", v: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

export function parsePubSubFilter(src: string): Node {
  const toks = tokenize(src);
  let i = 0;
  const peek = () => toks[i];
  const take = (t?: Token["t"], v?: string): Token => {
    const k = toks[i];
    if (!k || (t && k.t !== t) || (v && k.v !== v)) throw new Error(`filter: expected ${v ?? t} at token ${i} of: ${src}`);
    i++;
    return k;
  };
  const key = (): string => {
    // after `attributes.` or `attributes:`: a bare key (letters, digits, -, _) or a string literal
    const k = peek();
    if (k?.t === "str") { i++; return k.v; }
    let s = take("word").v;
    while (peek()?.t === "-" && toks[i + 1]?.t === "word") { i++; s += `-${take("word").v}`; }
    return s;
  };
  const primary = (): Node => {
    const k = peek();
    if (!k) throw new Error(`filter ends early: ${src}`);
    if (k.t === "(") { i++; const n = expr(); take(")"); return n; }
    if (k.t === "word" && k.v === "hasPrefix") {
      i++; take("("); take("word", "attributes"); take("."); const kk = key(); take(","); const v = take("str").v; take(")");
      return { kind: "prefix", key: kk, value: v };
    }
    take("word", "attributes");
    if (peek()?.t === ":") { i++; return { kind: "has", key: key() }; }
    take(".");
    const kk = key();
    const op = peek();
    if (op?.t === "=" || op?.t === "!=") { i++; return { kind: op.t === "=" ? "eq" : "ne", key: kk, value: take("str").v }; }
    throw new Error(`filter: expected = or != after attributes.${kk}: ${src}`);
  };
  const unary = (): Node => {
    const k = peek();
    if (k?.t === "word" && k.v === "NOT") { i++; return { kind: "not", of: unary() }; }
    if (k?.t === "-") { i++; return { kind: "not", of: unary() }; }
    return primary();
  };
  const expr = (): Node => {
    const first = unary();
    const parts = [first];
    let op: "AND" | "OR" | undefined;
    while (peek()?.t === "word" && (peek().v === "AND" || peek().v === "OR")) {
      const o = take().v as "AND" | "OR";
      if (op && op !== o) throw new Error(`filter: AND and OR must be grouped with parentheses: ${src}`);
      op = o;
      parts.push(unary());
    }
    return parts.length === 1 ? first : { kind: op === "AND" ? "and" : "or", of: parts };
  };
  const n = expr();
  if (i !== toks.length) throw new Error(`filter: unexpected '${toks[i].v}': ${src}`);
  return n;
}

function evaluate(n: Node, attrs: Readonly<Record<string, string>>): boolean {
  const has = (k: string) => Object.prototype.hasOwnProperty.call(attrs, k);
  switch (n.kind) {
    case "has": return has(n.key);
    case "eq": return has(n.key) && attrs[n.key] === n.value;
    case "ne": return !(has(n.key) && attrs[n.key] === n.value);
    case "prefix": return has(n.key) && attrs[n.key].startsWith(n.value);
    case "not": return !evaluate(n.of, attrs);
    case "and": return n.of.every((x) => evaluate(x, attrs));
    case "or": return n.of.some((x) => evaluate(x, attrs));
  }
}

/** Whether a message with these attributes passes the filter (an empty filter passes everything). */
export function matchesPubSubFilter(filter: string | undefined, attributes: Readonly<Record<string, string>>): boolean {
  if (!filter || !filter.trim()) return true;
  return evaluate(parsePubSubFilter(filter), attributes);
}
