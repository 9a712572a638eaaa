import { IAspect, TerraformResource } from "cdktf";
import { IConstruct } from "constructs";
import { normaliseTagValue } from "@polycloud/core";
import { CloudPackages, cloudPackage } from "./cloud-packages";

/** Resource types whose `labels` argument is configuration, not resource labels. */
const NOT_RESOURCE_LABELS = new Set(["google_monitoring_notification_channel"]);

/** True when the resource's binding has a settable `attribute` (tags or labels). */
function settable(node: IConstruct, attribute: string): boolean {
  for (let proto = Object.getPrototypeOf(node); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, attribute);
    if (d) return typeof d.set === "function";
  }
  return false;
}

/**
 * Tags every resource under a service's construct with `service=<name>` (labels on GCP), over
 * the stack's defaults. A stack that holds several services, or one service next to the shared
 * foundation, carries the platform name in its default tags; this keeps each service's resources
 * attributed to their service whatever other services the stack holds.
 */
export class ServiceTagAspect implements IAspect {
  private readonly value: string;

  constructor(service: string) {
    this.value = normaliseTagValue(service);
  }

  visit(node: IConstruct): void {
    if (!TerraformResource.isTerraformResource(node)) return;
    const type = node.terraformResourceType;
    const attribute = type.startsWith("google_") ? "labels" : type.startsWith("aws_") || type.startsWith("azurerm_") ? "tags" : undefined;
    if (!attribute || NOT_RESOURCE_LABELS.has(type) || !settable(node, attribute)) return;
    // Some azurerm `tags` arguments are lists of strings (APIM named values), not resource tags.
    if (type.startsWith("azurerm_") && (cloudPackage("azure") as CloudPackages["azure"]).tagAttributeKind(node) !== "map") return;
    const r = node as unknown as Record<string, Record<string, string> | undefined>;
    const current = r[`${attribute}Input`] ?? {};
    r[attribute] = { ...current, service: this.value };
  }
}
