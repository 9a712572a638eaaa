/**
 * The API Management policy expressions the stacks write (C# snippets in `@( … )`), evaluated for
 * the request: `context.Request.Headers.ContainsKey("h")`, `…GetValueOrDefault("h", "d")`, and
 * literal strings. Any other expression is not evaluated: `undefined`, which the caller reports.
 */
export function evaluateExpression(expr: string, headers: Readonly<Record<string, string>>): string | boolean | undefined {
  const m = /^@\((.*)\)$/s.exec(expr.trim());
  if (!m) return expr;
  const body = m[1].trim();
  const contains = /^context\.Request\.Headers\.ContainsKey\("([^"]+)"\)$/.exec(body);
  if (contains) return headers[contains[1].toLowerCase()] !== undefined;
  const value = /^context\.Request\.Headers\.GetValueOrDefault\("([^"]+)"\s*,\s*"([^"]*)"\)$/.exec(body);
  if (value) return headers[value[1].toLowerCase()] ?? value[2];
  const literal = /^"([^"]*)"$/.exec(body);
  if (literal) return literal[1];
  return undefined;
}
