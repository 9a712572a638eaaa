/**
 * EventBridge event patterns (content filtering), evaluated as EventBridge does: every pattern
 * field must match; a leaf is a list of conditions of which one must match (against any element
 * when the event value is an array); conditions are literals (string, number, boolean, null),
 * `prefix`, `suffix`, `anything-but`, `numeric`, `exists`, `equals-ignore-case`, `wildcard`,
 * `cidr`; `$or` holds alternative patterns. Tested against the examples of the EventBridge user
 * guide ("Creating event patterns", "Content filtering").
 */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

function wildcard(pattern: string, value: string): boolean {
  const escape = (part: string) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${pattern.split("*").map(escape).join(".*")}$`, "s").test(value);
}

function ipv4(v: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.some((p) => p > 255) ? undefined : ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

function cidr(range: string, value: unknown): boolean {
  if (typeof value !== "string") return false;
  const [base, bits] = range.split("/");
  const b = ipv4(base);
  const v = ipv4(value);
  if (b === undefined || v === undefined) return false;
  const n = Number(bits ?? 32);
  const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  return ((b & mask) >>> 0) === ((v & mask) >>> 0);
}

function numeric(spec: Json[], value: unknown): boolean {
  if (typeof value !== "number") return false;
  for (let i = 0; i + 1 < spec.length; i += 2) {
    const op = spec[i];
    const n = Number(spec[i + 1]);
    const ok = op === "=" ? value === n : op === "<" ? value < n : op === "<=" ? value <= n : op === ">" ? value > n : op === ">=" ? value >= n : false;
    if (!ok) return false;
  }
  return true;
}

/** One condition against one (non-array) event value; `present` is false for a missing field. */
function condition(c: Json, value: unknown, present: boolean): boolean {
  if (!isObject(c)) return present && value === c;
  if ("exists" in c) return c.exists === present;
  if (!present) return false;
  const text = typeof value === "string" ? value : undefined;
  if ("prefix" in c) {
    const p = c.prefix;
    if (isObject(p) && typeof p["equals-ignore-case"] === "string") return text !== undefined && text.toLowerCase().startsWith(p["equals-ignore-case"].toLowerCase());
    return text !== undefined && typeof p === "string" && text.startsWith(p);
  }
  if ("suffix" in c) {
    const s = c.suffix;
    if (isObject(s) && typeof s["equals-ignore-case"] === "string") return text !== undefined && text.toLowerCase().endsWith(s["equals-ignore-case"].toLowerCase());
    return text !== undefined && typeof s === "string" && text.endsWith(s);
  }
  if ("equals-ignore-case" in c) return text !== undefined && typeof c["equals-ignore-case"] === "string" && text.toLowerCase() === c["equals-ignore-case"].toLowerCase();
  if ("wildcard" in c) return text !== undefined && typeof c.wildcard === "string" && wildcard(c.wildcard, text);
  if ("numeric" in c) return Array.isArray(c.numeric) && numeric(c.numeric, value);
  if ("cidr" in c) return typeof c.cidr === "string" && cidr(c.cidr, value);
  if ("anything-but" in c) {
    const ab = c["anything-but"];
    if (isObject(ab)) {
      if ("prefix" in ab) return text !== undefined && typeof ab.prefix === "string" && !text.startsWith(ab.prefix);
      if ("suffix" in ab) return text !== undefined && typeof ab.suffix === "string" && !text.endsWith(ab.suffix);
      if ("equals-ignore-case" in ab) {
        const list = ([] as Json[]).concat(ab["equals-ignore-case"]).map((x) => String(x).toLowerCase());
        return text !== undefined && !list.includes(text.toLowerCase());
      }
      if ("wildcard" in ab) return text !== undefined && !([] as Json[]).concat(ab.wildcard).some((w) => wildcard(String(w), text));
      return false;
    }
    return !([] as Json[]).concat(ab).some((x) => x === value);
  }
  return false;
}

function leaf(conditions: Json[], value: unknown, present: boolean): boolean {
  if (present && Array.isArray(value)) return value.some((v) => conditions.some((c) => condition(c, v, true)));
  return conditions.some((c) => condition(c, value, present));
}

/** Whether `event` matches `pattern` (both parsed JSON). */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) throw new Error("an event pattern is a JSON object");
  const ev = isObject(event) ? event : {};
  for (const [key, p] of Object.entries(pattern)) {
    if (key === "$or") {
      if (!Array.isArray(p) || !p.some((alt) => matchesEventPattern(alt, ev))) return false;
      continue;
    }
    const present = Object.prototype.hasOwnProperty.call(ev, key);
    const value = ev[key];
    if (Array.isArray(p)) {
      if (!leaf(p, value, present)) return false;
    } else if (isObject(p)) {
      if (present && Array.isArray(value)) {
        if (!value.some((v) => matchesEventPattern(p, v))) return false;
      } else if (!matchesEventPattern(p, present && isObject(value) ? value : {})) {
        return false;
      }
    } else {
      throw new Error(`event pattern field '${key}' must be an array or an object`);
    }
  }
  return true;
}
