import { IAspect } from "cdktf";
import { IConstruct } from "constructs";
import { TagMap } from "@polycloud/core";

/** True for an azurerm resource whose binding accepts `tags` (data sources only expose a getter). */
export function acceptsTags(node: IConstruct): boolean {
  const r = node as unknown as { terraformResourceType?: string };
  if (!r.terraformResourceType?.startsWith("azurerm_")) return false;
  for (let proto = Object.getPrototypeOf(node); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const tags = Object.getOwnPropertyDescriptor(proto, "tags");
    if (tags) return typeof tags.set === "function";
  }
  return false;
}

/**
 * azurerm has no provider-level default tags. This aspect merges the tag contract into every
 * azurerm resource that has a `tags` argument; tags set on the resource itself win.
 */
export class AzureTagsAspect implements IAspect {
  constructor(private readonly tags: TagMap) {}

  visit(node: IConstruct): void {
    if (!acceptsTags(node)) return;
    const r = node as unknown as { tagsInput?: Record<string, string>; tags?: Record<string, string> };
    r.tags = { ...this.tags, ...(r.tagsInput ?? {}) };
  }
}
