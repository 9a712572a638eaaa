import { IAspect } from "cdktf";
import { IConstruct } from "constructs";
import { TagMap } from "@polycloud/core";

/**
 * azurerm has no provider-level default tags. This aspect merges the tag contract into every
 * azurerm resource that has a `tags` argument; tags set on the resource itself win.
 */
export class AzureTagsAspect implements IAspect {
  constructor(private readonly tags: TagMap) {}

  visit(node: IConstruct): void {
    const r = node as unknown as { terraformResourceType?: string; tagsInput?: Record<string, string>; tags?: Record<string, string> };
    if (!r.terraformResourceType?.startsWith("azurerm_") || !("tags" in Object.getPrototypeOf(node))) return;
    r.tags = { ...this.tags, ...(r.tagsInput ?? {}) };
  }
}
