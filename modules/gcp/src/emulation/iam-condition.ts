/**
 * The IAM condition expressions the stacks write (a subset of CEL): comparisons of request
 * attributes with string literals (`==`, `!=`), `.startsWith("…")`, `&&`, `||` and parentheses.
 * An expression the runner cannot read does not hold (the binding does not apply).
 */
export function conditionHolds(expression: string, context: Readonly<Record<string, string>>): boolean {
  const src = expression.trim();
  const split = (s: string, op: string): string[] => {
    const parts: string[] = [];
    let depth = 0;
    let quoted = false;
    let last = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s[i];
      if (quoted) { if (c === "\\") i++; else if (c === '"') quoted = false; continue; }
      if (c === '"') quoted = true;
      else if (c === "(") depth++;
      else if (c === ")") depth--;
      else if (depth === 0 && s.startsWith(op, i)) { parts.push(s.slice(last, i)); last = i + op.length; i += op.length - 1; }
    }
    parts.push(s.slice(last));
    return parts.map((p) => p.trim());
  };
  const atom = (s: string): boolean => {
    if (s.startsWith("(") && s.endsWith(")")) return conditionHolds(s.slice(1, -1), context);
    const cmp = /^([A-Za-z_][\w.]*)\s*(==|!=)\s*"((?:[^"\\]|\\.)*)"$/.exec(s);
    if (cmp) { const v = context[cmp[1]]; return v !== undefined && (cmp[2] === "==" ? v === cmp[3] : v !== cmp[3]); }
    const sw = /^([A-Za-z_][\w.]*)\.startsWith\("((?:[^"\\]|\\.)*)"\)$/.exec(s);
    if (sw) { const v = context[sw[1]]; return v !== undefined && v.startsWith(sw[2]); }
    return false;
  };
  const ors = split(src, "||");
  if (ors.length > 1) return ors.some((o) => conditionHolds(o, context));
  return split(src, "&&").every(atom);
}
