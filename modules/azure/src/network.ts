import { Construct } from "constructs";
import { AzureEnvironmentSpec, NAME_RULES, Namer } from "@polycloud/core";
import { PrivateDnsZone } from "@cdktf/provider-azurerm/lib/private-dns-zone";
import { PrivateDnsZoneVirtualNetworkLink } from "@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { Subnet } from "@cdktf/provider-azurerm/lib/subnet";
import { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";

export interface AzureNetworkProps {
  readonly spec: AzureEnvironmentSpec;
  readonly namer: Namer;
  readonly resourceGroup: ResourceGroup;
}

/** Private DNS zone of Service Bus private endpoints. */
export const SERVICE_BUS_PRIVATE_ZONE = "privatelink.servicebus.windows.net";

/**
 * The private network: the environment's existing subnets and DNS zones, or a VNet with a subnet
 * delegated to PostgreSQL Flexible Server, a subnet delegated to Microsoft.App/environments for
 * Flex Consumption VNet integration, and a private DNS zone linked to the VNet (Flexible Server
 * in a delegated subnet needs one). A Premium Service Bus also gets a subnet for its private
 * endpoint and the `privatelink.servicebus.windows.net` zone.
 */
export class AzureNetwork extends Construct {
  readonly databaseSubnetId: string;
  readonly functionSubnetId: string;
  readonly privateDnsZoneId: string;
  /** Where private endpoints go (set for a Premium Service Bus). */
  readonly endpointSubnetId?: string;
  /** The `privatelink.servicebus.windows.net` zone (set for a Premium Service Bus). */
  readonly serviceBusDnsZoneId?: string;
  /** Set when the zone is created here: the server must wait for its VNet link. */
  readonly dnsLink?: PrivateDnsZoneVirtualNetworkLink;

  constructor(scope: Construct, id: string, props: AzureNetworkProps) {
    super(scope, id);
    const { spec, namer, resourceGroup } = props;
    if (spec.network) {
      this.databaseSubnetId = spec.network.databaseSubnetId;
      this.functionSubnetId = spec.network.functionSubnetId;
      this.privateDnsZoneId = spec.network.privateDnsZoneId;
      this.endpointSubnetId = spec.network.endpointSubnetId;
      this.serviceBusDnsZoneId = spec.network.serviceBusDnsZoneId;
      return;
    }
    const cidr = spec.vnetCidr ?? "10.80.0.0/16";
    const base = cidr.split(".").slice(0, 2).join(".");
    const vnet = new VirtualNetwork(this, "vnet", {
      name: namer.name(NAME_RULES.azure.generic, "vnet"),
      resourceGroupName: resourceGroup.name,
      location: resourceGroup.location,
      addressSpace: [cidr],
    });
    const db = new Subnet(this, "db-subnet", {
      name: "postgres",
      resourceGroupName: resourceGroup.name,
      virtualNetworkName: vnet.name,
      addressPrefixes: [`${base}.1.0/24`],
      delegation: [{ name: "postgres", serviceDelegation: { name: "Microsoft.DBforPostgreSQL/flexibleServers", actions: ["Microsoft.Network/virtualNetworks/subnets/join/action"] } }],
    });
    const fn = new Subnet(this, "fn-subnet", {
      name: "functions",
      resourceGroupName: resourceGroup.name,
      virtualNetworkName: vnet.name,
      addressPrefixes: [`${base}.2.0/24`],
      delegation: [{ name: "flex", serviceDelegation: { name: "Microsoft.App/environments", actions: ["Microsoft.Network/virtualNetworks/subnets/join/action"] } }],
      // The Key Vault admits this subnet only (network ACL, default Deny).
      serviceEndpoints: ["Microsoft.KeyVault"],
    });
    const zone = new PrivateDnsZone(this, "db-zone", {
      name: `${namer.name(NAME_RULES.azure.generic)}.private.postgres.database.azure.com`,
      resourceGroupName: resourceGroup.name,
    });
    this.dnsLink = new PrivateDnsZoneVirtualNetworkLink(this, "db-zone-link", {
      name: "vnet",
      resourceGroupName: resourceGroup.name,
      privateDnsZoneName: zone.name,
      virtualNetworkId: vnet.id,
      registrationEnabled: false,
    });
    if (spec.serviceBusSku === "Premium") {
      const endpoints = new Subnet(this, "endpoint-subnet", {
        name: "endpoints",
        resourceGroupName: resourceGroup.name,
        virtualNetworkName: vnet.name,
        addressPrefixes: [`${base}.3.0/24`],
      });
      const sbZone = new PrivateDnsZone(this, "servicebus-zone", { name: SERVICE_BUS_PRIVATE_ZONE, resourceGroupName: resourceGroup.name });
      new PrivateDnsZoneVirtualNetworkLink(this, "servicebus-zone-link", {
        name: "vnet",
        resourceGroupName: resourceGroup.name,
        privateDnsZoneName: sbZone.name,
        virtualNetworkId: vnet.id,
        registrationEnabled: false,
      });
      this.endpointSubnetId = endpoints.id;
      this.serviceBusDnsZoneId = sbZone.id;
    }
    this.databaseSubnetId = db.id;
    this.functionSubnetId = fn.id;
    this.privateDnsZoneId = zone.id;
  }
}
