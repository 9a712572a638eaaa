/**
 * EventBridge target input: `input` (constant JSON), `input_path` (a JSONPath into the event), or an
 * input transformer (input_paths extract values, input_template places them: `<name>` inside
 * quotes inserts the text, outside quotes the JSON value; `<aws.events.*>` are predefined).
 */
function pick(event: unknown, path: string): unknown {
  if (path === "$") return event;
  let v: any = event;
  for (const seg of path.replace(/^\$\.?/, "").split(".").filter(Boolean)) {
    const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(seg);
    if (!m) return undefined;
    v = v?.[m[1]];
    for (const i of m[2].match(/\d+/g) ?? []) v = v?.[Number(i)];
  }
  return v;
}

export function targetInput(target: { input?: string; input_path?: string; input_transformer?: { input_paths?: Record<string, string>; input_template: string } }, event: Record<string, unknown>, ruleArn: string, ruleName: string): string {
  if (target.input !== undefined) return String(target.input);
  if (target.input_path) return JSON.stringify(pick(event, target.input_path) ?? null);
  const t = target.input_transformer;
  if (!t) return JSON.stringify(event);
  const values: Record<string, unknown> = {
    "aws.events.rule-arn": ruleArn, "aws.events.rule-name": ruleName, "aws.events.event.ingestion-time": event.time,
    "aws.events.event": event, "aws.events.event.json": event,
  };
  for (const [name, path] of Object.entries(t.input_paths ?? {})) values[name] = pick(event, path);
  let out = "";
  let quoted = false;
  for (let i = 0; i < t.input_template.length; i++) {
    const c = t.input_template[i];
    if (c === '"' && t.input_template[i - 1] !== "\\") quoted = !quoted;
    const m = c === "<" ? /^<([A-Za-z0-9_.-]+)>/.exec(t.input_template.slice(i)) : null;
    if (m && m[1] in values) {
      const v = values[m[1]];
      out += quoted ? (typeof v === "string" ? JSON.stringify(v).slice(1, -1) : JSON.stringify(v ?? null).replace(/"/g, '\\"')) : JSON.stringify(v ?? null);
      i += m[0].length - 1;
      continue;
    }
    out += c;
  }
  return out;
}
