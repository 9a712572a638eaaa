import { EventFilterSpec, Problems, escapeTerraform } from "@polycloud/core";

/** Pub/Sub rejects filters longer than 256 bytes. */
export const PUBSUB_FILTER_MAX_BYTES = 256;
const ATTRIBUTE_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,255}$/;

/**
 * Translates the cloud-neutral filter into a Pub/Sub subscription filter over message
 * attributes. Publishers set the attributes `source` and `type`, plus one attribute per key the
 * rules filter on. Values are quoted and escaped; clauses that Pub/Sub cannot express are
 * reported by name instead of being dropped.
 */
export function toPubsubFilter(filter: EventFilterSpec, p: Problems, at: string): string | undefined {
  const clauses: [string, string, readonly string[]][] = [];
  if (filter.source) clauses.push(["filter.source", "source", filter.source]);
  if (filter.type) clauses.push(["filter.type", "type", filter.type]);
  for (const [key, values] of Object.entries(filter.attributes ?? {})) clauses.push([`filter.attributes.${key}`, key, values]);

  const parts: string[] = [];
  let ok = true;
  for (const [clause, key, values] of clauses) {
    if (!ATTRIBUTE_KEY.test(key)) {
      p.add(`${at}.${clause}`, key, "a Pub/Sub attribute key matching ^[A-Za-z_][A-Za-z0-9_]*$ (other keys cannot be filtered on)");
      ok = false;
      continue;
    }
    if (!Array.isArray(values) || values.length === 0) {
      p.add(`${at}.${clause}`, values, "at least one value to match");
      ok = false;
      continue;
    }
    const bad = values.find((v) => typeof v !== "string" || /[\u0000-\u001f\u007f]/.test(v));
    if (bad !== undefined) {
      p.add(`${at}.${clause}`, bad, "strings without control characters (Pub/Sub filter literals cannot carry them)");
      ok = false;
      continue;
    }
    const terms = values.map((v) => `attributes.${key} = ${literal(v)}`);
    parts.push(terms.length === 1 ? terms[0] : `(${terms.join(" OR ")})`);
  }
  if (!ok) return undefined;
  const text = parts.join(" AND ");
  if (Buffer.byteLength(text, "utf8") > PUBSUB_FILTER_MAX_BYTES) {
    p.add(`${at}.filter`, text, `a filter that translates to at most ${PUBSUB_FILTER_MAX_BYTES} bytes of Pub/Sub filter (split the rule)`);
    return undefined;
  }
  return text ? escapeTerraform(text) : undefined;
}

/** A Pub/Sub filter string literal: backslash and double quote escaped. */
export function literal(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}
