/**
 * Terraform references inside synthesized JSON (`${aws_sqs_queue.q.arn}`, `https://${x.y.fqdn}/api`),
 * resolved to the values an emulation gives those attributes. Only plain traversals are resolved;
 * a function call (`${base64encode(...)}`) is left to the caller, which knows what it encodes.
 */
export interface Traversal {
  readonly mode: "resource" | "data";
  readonly type: string;
  readonly name: string;
  /** Attribute path after the name: `service_config[0].uri` → ["service_config", 0, "uri"]. */
  readonly path: readonly (string | number)[];
  /** The traversal as written. */
  readonly text: string;
}

const SEGMENT = /^([A-Za-z_][A-Za-z0-9_-]*)((?:\[\d+\])*)$/;

/** Parses `type.name.attr…` or `data.type.name.attr…`; undefined for anything else. */
export function parseTraversal(text: string): Traversal | undefined {
  const parts = text.trim().split(".");
  const mode = parts[0] === "data" ? "data" : "resource";
  const rest = mode === "data" ? parts.slice(1) : parts;
  if (rest.length < 2 || !/^[a-z][a-z0-9_]*$/.test(rest[0]) || !/^[A-Za-z0-9_-]+$/.test(rest[1])) return undefined;
  const path: (string | number)[] = [];
  for (const seg of rest.slice(2)) {
    const m = SEGMENT.exec(seg);
    if (!m) return undefined;
    path.push(m[1]);
    for (const idx of m[2].match(/\d+/g) ?? []) path.push(Number(idx));
  }
  return { mode, type: rest[0], name: rest[1], path, text: text.trim() };
}

/** Each `${…}` of a string: the expression text and where it sits. Nested braces are balanced. */
export function interpolations(s: string): { start: number; end: number; expr: string }[] {
  const out: { start: number; end: number; expr: string }[] = [];
  for (let i = s.indexOf("${"); i >= 0; i = s.indexOf("${", i)) {
    // `$${` is Terraform's escape for a literal `${` (e.g. a Monitoring documentation variable).
    if (i > 0 && s[i - 1] === "$") { i += 2; continue; }
    let depth = 0;
    let j = i + 2;
    let quoted = false;
    for (; j < s.length; j++) {
      const c = s[j];
      if (quoted) { if (c === "\\") j++; else if (c === '"') quoted = false; continue; }
      if (c === '"') quoted = true;
      else if (c === "{") depth++;
      else if (c === "}") { if (depth === 0) break; depth--; }
    }
    if (j >= s.length) break;
    out.push({ start: i, end: j + 1, expr: s.slice(i + 2, j) });
    i = j + 1;
  }
  return out;
}

export class UnresolvedExpression extends Error {}

const ELEMENT_OF_SPLIT = /^element\(\s*split\(\s*"((?:[^"\\]|\\.)*)"\s*,\s*([^()]+?)\s*\)\s*,\s*(\d+)\s*\)$/;

/**
 * Resolves every reference in `value` (strings, arrays, objects, deeply). A string that is one
 * whole `${traversal}` takes the resolved value's type; references inside a longer string are
 * joined as text. An expression that is not a traversal throws UnresolvedExpression.
 */
export function resolveReferences(value: unknown, resolve: (t: Traversal) => unknown): any {
  if (typeof value === "string") {
    const parts = interpolations(value);
    const literal = (text: string) => text.replace(/\$\$\{/g, "${");
    if (!parts.length) return literal(value);
    const lookup = (expr: string): unknown => {
      const t = parseTraversal(expr);
      if (t) return resolve(t);
      // `element(split("<sep>", <traversal>), <n>)`: a part of an ARN (the stacks take RDS Proxy's resource id so).
      const part = ELEMENT_OF_SPLIT.exec(expr.trim());
      const inner = part && parseTraversal(part[2]);
      if (part && inner) {
        const pieces = String(resolve(inner)).split(JSON.parse(`"${part[1]}"`));
        // Terraform's element() wraps around the list's length.
        return pieces[Number(part[3]) % pieces.length];
      }
      throw new UnresolvedExpression(`not a plain reference: \${${expr.length > 80 ? `${expr.slice(0, 80)}…` : expr}}`);
    };
    if (parts.length === 1 && parts[0].start === 0 && parts[0].end === value.length) return lookup(parts[0].expr);
    let out = "";
    let at = 0;
    for (const p of parts) {
      out += literal(value.slice(at, p.start)) + String(lookup(p.expr));
      at = p.end;
    }
    return out + literal(value.slice(at));
  }
  if (Array.isArray(value)) return value.map((v) => resolveReferences(v, resolve));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== "//").map(([k, v]) => [k, resolveReferences(v, resolve)]));
  }
  return value;
}
