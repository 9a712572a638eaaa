import { Construct } from "constructs";
import { NAME_RULES } from "@polycloud/core";
import { PrivateEndpoint } from "@cdktf/provider-azurerm/lib/private-endpoint";
import { ServicebusNamespace } from "@cdktf/provider-azurerm/lib/servicebus-namespace";
import { AzureContext } from "./context";

export interface ServiceBusNamespace {
  readonly namespace: ServicebusNamespace;
  /** True when the namespace is reachable only through its private endpoint. */
  readonly isPrivate: boolean;
  readonly endpoint?: PrivateEndpoint;
}

/**
 * The service's Service Bus namespace (`<id>` and `<id>-endpoint` in `scope`): local (SAS) auth
 * off, TLS 1.2, tier from the environment (Standard by default). A Premium namespace is private:
 * no public network access, a private endpoint in the endpoint subnet registered in
 * `privatelink.servicebus.windows.net`, and trusted Microsoft services admitted so Event Grid can
 * still deliver with its managed identity. That path is documented: Event Grid cannot deliver
 * through private endpoints, but a topic with a managed identity that holds "Azure Service Bus Data
 * Sender" on the queue, and a subscription delivering with that identity (`delivery_identity`), is
 * a trusted service that passes the namespace firewall even with private endpoints
 * (learn.microsoft.com/azure/event-grid/managed-service-identity, "Private endpoints";
 * learn.microsoft.com/azure/service-bus-messaging/private-link-service, "Important points"). Functions using a private namespace are VNet-integrated
 * (see `AzureQueue`). Only Premium can close the public endpoint, so Standard stays public,
 * reachable with Entra ID tokens only.
 */
export function createServiceBusNamespace(scope: Construct, id: string, ctx: AzureContext): ServiceBusNamespace {
  const rg = ctx.resourceGroup;
  const sku = ctx.spec.serviceBusSku ?? "Standard";
  const { endpointSubnetId, serviceBusDnsZoneId } = ctx.network;
  // An existing network without the endpoint subnet or zone fails validation; the namespace stays public until then.
  const isPrivate = sku === "Premium" && !!endpointSubnetId && !!serviceBusDnsZoneId;
  const namespace = new ServicebusNamespace(scope, id, {
    name: ctx.globalName(NAME_RULES.azure.serviceBus, "bus"),
    resourceGroupName: rg.name,
    location: rg.location,
    sku,
    capacity: sku === "Premium" ? 1 : undefined,
    premiumMessagingPartitions: sku === "Premium" ? 1 : undefined,
    localAuthEnabled: false,
    minimumTlsVersion: "1.2",
    publicNetworkAccessEnabled: !isPrivate,
    // The rule set only carries the trusted-services bypass. azurerm refuses `default_action = "Deny"`
    // without IP or network rules (after the namespace exists, which taints it); with public access
    // disabled the default action decides nothing, so it stays "Allow".
    networkRuleSet: isPrivate ? { defaultAction: "Allow", publicNetworkAccessEnabled: false, trustedServicesAllowed: true } : undefined,
  });
  const endpoint = isPrivate
    ? new PrivateEndpoint(scope, `${id}-endpoint`, {
        name: `${namespace.name}-pe`,
        resourceGroupName: rg.name,
        location: rg.location,
        subnetId: endpointSubnetId!,
        privateServiceConnection: { name: "servicebus", isManualConnection: false, privateConnectionResourceId: namespace.id, subresourceNames: ["namespace"] },
        privateDnsZoneGroup: { name: "servicebus", privateDnsZoneIds: [serviceBusDnsZoneId!] },
      })
    : undefined;
  return { namespace, isPrivate, endpoint };
}
