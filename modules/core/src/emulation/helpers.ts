import { componentOf } from "../behaviour";
import { HttpAnswer } from "./host";

export const jsonAnswer = (status: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer =>
  ({ status, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

export const textAnswer = (status: number, body: string, headers: Record<string, string> = {}): HttpAnswer =>
  ({ status, headers: { "content-type": "text/plain; charset=utf-8", ...headers }, body });

/** `<service>/<kind>:<id>` of a Terraform address (`orders_queue-orders_dlq_…` → `orders/queue:orders`). */
export function componentKeyOf(address: string): string | undefined {
  const c = componentOf(address);
  if (!c) return undefined;
  const parts = address.split("_");
  const at = parts.findIndex((p) => /^(fn|queue|bus|db|gateway)-/.test(p));
  return `${parts.slice(0, at).join("_")}/${c.kind}:${c.id}`;
}

/**
 * Finds `name` (`queue:orders`, or `orders/queue:orders`) among component keys: the full key, or
 * the only key with that `<kind>:<id>`. Throws with the choices otherwise.
 */
export function pickComponent<T>(name: string, items: ReadonlyMap<string, T>): T {
  const exact = items.get(name);
  if (exact !== undefined) return exact;
  const matches = [...items.keys()].filter((k) => k.endsWith(`/${name}`));
  if (matches.length === 1) return items.get(matches[0])!;
  throw new Error(`runner: ${matches.length ? `'${name}' is ambiguous` : `no component '${name}'`} (known: ${[...items.keys()].join(", ") || "none"})`);
}

/** Compares a metric value with a threshold the way alarm definitions state it. */
export function compare(value: number, operator: "gt" | "ge" | "lt" | "le", threshold: number): boolean {
  return operator === "gt" ? value > threshold : operator === "ge" ? value >= threshold : operator === "lt" ? value < threshold : value <= threshold;
}

/**
 * Attributes of the hashicorp/time provider's resources, which every cloud's stack may hold:
 * `time_static` (a fixed instant: deterministic from the address, as an apply would have fixed it)
 * and `time_sleep` (its id). Undefined for other types or attributes.
 */
export function timeProviderValue(type: string, address: string, attr: string): unknown {
  if (type === "time_sleep" && attr === "id") return `time-sleep-${address}`;
  if (type !== "time_static") return undefined;
  let h = 0;
  for (const c of address) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const unix = 1767225600 + (h % 86400);
  const d = new Date(unix * 1000);
  return {
    unix, id: d.toISOString().replace(/\.\d{3}Z$/, "Z"), rfc3339: d.toISOString().replace(/\.\d{3}Z$/, "Z"),
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(),
  }[attr];
}

/** A nested block of synthesized JSON, written as an object or as a one-element list. */
export function nestedBlock<T = any>(v: unknown): T | undefined {
  return (Array.isArray(v) ? v[0] : v ?? undefined) as T | undefined;
}
