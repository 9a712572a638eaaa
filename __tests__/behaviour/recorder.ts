import { Cloud } from "@polycloud/core";
import { BEHAVIOUR_SOURCES } from "../../stacks/behaviour-attributes-table";

/**
 * What a reader reads from a stack's JSON: attribute paths `type.attr.sub` (addresses and list
 * indices left out) that it reads directly, with the values they held, and paths it only
 * enumerated (`Object.entries` of a map it scans).
 */
export interface Reads {
  readonly read: Map<string, Set<string>>;
  readonly enumerated: Set<string>;
}

/** Keys the language itself asks for (promises, JSON, conversions): never attributes. */
const INTERNAL = new Set(["then", "toJSON", "constructor", "valueOf", "toString", "length", "prototype", "__proto__"]);

export const newReads = (): Reads => ({ read: new Map(), enumerated: new Set() });

/** The stack with its `resource` map behind a proxy that records every read into `reads`. */
export function recording<T extends { resource: Record<string, unknown> }>(json: T, reads: Reads): T {
  let described: { target: object; key: string } | undefined;
  const wrap = (value: unknown, path: string, depth: number): unknown => {
    if (value === null || typeof value !== "object") return value;
    return new Proxy(value as object, {
      getOwnPropertyDescriptor(target, key) {
        described = typeof key === "string" ? { target, key } : undefined;
        return Reflect.getOwnPropertyDescriptor(target, key);
      },
      get(target, key, receiver) {
        const v = Reflect.get(target, key, receiver);
        // Reading an attribute the stack leaves out (the provider's default applies) is a read too.
        if (typeof key !== "string" || INTERNAL.has(key) || (Array.isArray(target) && !Object.prototype.hasOwnProperty.call(target, key))) return v;
        const enumerating = described?.target === target && described.key === key;
        described = undefined;
        // Level 0: resource types; level 1: addresses (left out of the path); lists keep their path.
        const next = depth === 1 || Array.isArray(target) ? path : path ? `${path}.${key}` : key;
        if (depth !== 1 && !Array.isArray(target)) {
          if (enumerating) reads.enumerated.add(next);
          else {
            const values = reads.read.get(next) ?? new Set<string>();
            if (v === null || typeof v !== "object") values.add(String(v).slice(0, 200));
            reads.read.set(next, values);
          }
        }
        return wrap(v, next, depth + 1);
      },
    });
  };
  return { ...json, resource: wrap(json.resource, "", 0) as T["resource"] };
}

/** The attribute paths a cloud's reader declares it reads (its `<CLOUD>_BEHAVIOUR_SOURCES`), facts left out. */
export function declaredPaths(cloud: Cloud): string[] {
  return [...new Set(Object.values(BEHAVIOUR_SOURCES[cloud]).flat().filter((s) => !s.startsWith("fact:")).map((s) => s.split(" ")[0]))].sort();
}

/** Declared paths the reads never touched (a path counts when it or an attribute below it was read). */
export function unread(cloud: Cloud, reads: Reads): string[] {
  const seen = [...reads.read.keys()];
  return declaredPaths(cloud).filter((p) => !seen.some((s) => s === p || s.startsWith(`${p}.`)));
}
