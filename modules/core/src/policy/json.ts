import { TerraformJson } from "../capabilities";

export type R = Record<string, any>;

/** Every resource of the given types as [address, config]. */
export function resources(json: TerraformJson, ...types: string[]): [string, R][] {
  return types.flatMap((type) => Object.entries(json.resource?.[type] ?? {}).map(([name, r]) => [`${type}.${name}`, r as R] as [string, R]));
}

/** First element of a block that Terraform JSON may render as an object or a one-item list. */
export function block(v: unknown): R {
  return ((Array.isArray(v) ? v[0] : v) ?? {}) as R;
}

/** `${aws_sqs_queue.x.arn}` → `aws_sqs_queue.x`. */
export function refAddress(value: unknown): string | undefined {
  const m = /^\$\{([a-z0-9_]+\.[A-Za-z0-9_-]+)(\.[^}]*)?\}$/.exec(String(value ?? ""));
  return m?.[1];
}

export const isReference = (value: unknown): boolean => /\$\{/.test(String(value ?? ""));

/** Seconds from a Google duration string such as `1209600s`. */
export const seconds = (d: unknown): number => Number(String(d ?? "").replace(/s$/, "")) || 0;

/** Parses an IAM policy document; `${...}` references become a placeholder. */
export function parsePolicyDocument(text: unknown): { Statement: R[] } | undefined {
  if (typeof text !== "string") return undefined;
  try {
    const doc = JSON.parse(text.replace(/\$\{[^}]*\}/g, "TF_REF"));
    return { Statement: ([] as R[]).concat(doc.Statement ?? []) };
  } catch {
    return undefined;
  }
}

export const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
