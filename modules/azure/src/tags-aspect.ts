import { IAspect, TerraformResource } from "cdktf";
import { IConstruct } from "constructs";
import { TagMap } from "@polycloud/core";

/**
 * The shape of a resource's `tags` argument as its binding declares it: `map` (key/value tags),
 * `list` (a list of strings, e.g. azurerm_api_management_named_value), or undefined when the
 * construct has no settable `tags` (other providers, data sources, untaggable resources). Read
 * from the binding's own attribute metadata (`synthesizeHclAttributes`), not guessed from names.
 */
export function tagAttributeKind(node: IConstruct): "map" | "list" | undefined {
  const r = node as unknown as { terraformResourceType?: string };
  if (!(node instanceof TerraformResource) || !r.terraformResourceType?.startsWith("azurerm_")) return undefined;
  // The kind belongs to the binding class: probe one instance per class (the probe synthesizes
  // every attribute of the resource, which was most of the aspect's time).
  const cls = node.constructor;
  if (KINDS.has(cls)) return KINDS.get(cls);
  const kind = probeTagKind(node);
  KINDS.set(cls, kind);
  return kind;
}

const KINDS = new WeakMap<object, "map" | "list" | undefined>();

function probeTagKind(node: IConstruct): "map" | "list" | undefined {
  let settable = false;
  for (let proto = Object.getPrototypeOf(node); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const tags = Object.getOwnPropertyDescriptor(proto, "tags");
    if (tags) { settable = typeof tags.set === "function"; break; }
  }
  if (!settable) return undefined;
  // The binding reports only set attributes: probe with a value, then restore the original.
  const t = node as unknown as { tags?: unknown; tagsInput?: unknown; synthesizeHclAttributes?: () => Record<string, { type?: string } | undefined> };
  const original = t.tagsInput;
  let type: string | undefined;
  try {
    t.tags = original ?? [];
    type = t.synthesizeHclAttributes?.().tags?.type;
  } finally {
    t.tags = original;
  }
  return type === "map" ? "map" : type === "list" ? "list" : undefined;
}

/** True for an azurerm resource whose binding accepts key/value `tags` (data sources only expose a getter). */
export function acceptsTags(node: IConstruct): boolean {
  return tagAttributeKind(node) === "map";
}

/**
 * azurerm has no provider-level default tags. This aspect merges the tag contract into every
 * azurerm resource whose `tags` argument is a key/value map; tags set on the resource itself win.
 * A `tags` argument that is a list of strings (API Management named values: labels for filtering,
 * not Azure resource tags) is left alone; the resource's parent (the API Management service)
 * carries the contract.
 */
export class AzureTagsAspect implements IAspect {
  constructor(private readonly tags: TagMap) {}

  visit(node: IConstruct): void {
    if (tagAttributeKind(node) !== "map") return;
    const r = node as unknown as { tagsInput?: Record<string, string>; tags?: Record<string, string> };
    r.tags = { ...this.tags, ...(r.tagsInput ?? {}) };
  }
}
