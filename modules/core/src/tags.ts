/**
 * The tag contract. Keys and values are normalised to the strictest common form of the three
 * clouds (GCP labels): lowercase `[a-z0-9_-]`, at most 63 characters, keys starting with a letter.
 */

export const REQUIRED_TAG_KEYS = ["environment", "service", "owner", "cost_center", "managed_by"] as const;
export type RequiredTagKey = (typeof REQUIRED_TAG_KEYS)[number];
export type TagMap = Readonly<Record<string, string>>;

export const TAG_MAX_LENGTH = 63;
const VALID_VALUE = /^[a-z0-9_-]{1,63}$/;
const VALID_KEY = /^[a-z][a-z0-9_-]{0,62}$/;

/** Lowercases, maps every other character to `_`, trims separators, caps at 63 characters. */
export function normaliseTagValue(raw: string): string {
  return raw
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "_")
    .replace(/^[_-]+|[_-]+$/g, "")
    .slice(0, TAG_MAX_LENGTH);
}

export function isValidTagValue(value: string): boolean {
  return VALID_VALUE.test(value);
}

export function isValidTagKey(key: string): boolean {
  return VALID_KEY.test(key);
}

export interface TagInput {
  readonly environment: string;
  readonly service: string;
  readonly owner: string;
  readonly cost_center: string;
  readonly [extra: string]: string;
}

/** Builds the normalised tag map; `managed_by` is always `cdktf`. */
export function buildTags(input: TagInput): TagMap {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(input)) {
    out[key] = normaliseTagValue(String(value ?? ""));
  }
  out.managed_by = "cdktf";
  return out;
}
