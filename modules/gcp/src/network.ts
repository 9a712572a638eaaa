import { Construct } from "constructs";
import { GcpEnvironmentSpec, NAME_RULES, Namer } from "@polycloud/core";
import { ComputeGlobalAddress } from "@cdktf/provider-google/lib/compute-global-address";
import { ComputeNetwork } from "@cdktf/provider-google/lib/compute-network";
import { ComputeSubnetwork } from "@cdktf/provider-google/lib/compute-subnetwork";
import { ServiceNetworkingConnection } from "@cdktf/provider-google/lib/service-networking-connection";
import { VpcAccessConnector } from "@cdktf/provider-google/lib/vpc-access-connector";
import { GcpProjectServices } from "./project-services";

export interface GcpNetworkProps {
  readonly spec: GcpEnvironmentSpec;
  readonly namer: Namer;
  readonly services: GcpProjectServices;
}

/**
 * The private network the database lives in. Either the environment's existing VPC (which must
 * already have private services access), or a minimal one created here: a custom-mode VPC, a
 * /16 reserved for private services access and the service networking peering.
 *
 * Functions reach the database through a Serverless VPC Access connector, created only when a
 * function needs it. Cloud Functions gen2 in provider 6.50 exposes `vpc_connector` but not
 * Direct VPC egress, so the connector is the supported path.
 */
export class GcpNetwork extends Construct {
  readonly networkId: string;
  /** Set when this construct created the private services access peering. */
  readonly peering?: ServiceNetworkingConnection;
  private connectorResource?: VpcAccessConnector;

  constructor(scope: Construct, id: string, private readonly props: GcpNetworkProps) {
    super(scope, id);
    const { spec, namer, services } = props;
    if (spec.network) {
      this.networkId = spec.network.networkId;
      return;
    }
    const [compute, networking] = services.enable("compute.googleapis.com", "servicenetworking.googleapis.com");
    const network = new ComputeNetwork(this, "vpc", {
      name: namer.name(NAME_RULES.gcp.compute, "vpc"),
      autoCreateSubnetworks: false,
      routingMode: "REGIONAL",
      dependsOn: [compute],
    });
    this.networkId = network.id;
    const range = new ComputeGlobalAddress(this, "psa-range", {
      name: namer.name(NAME_RULES.gcp.compute, "psa"),
      purpose: "VPC_PEERING",
      addressType: "INTERNAL",
      prefixLength: 16,
      network: network.id,
    });
    this.peering = new ServiceNetworkingConnection(this, "psa", {
      network: network.id,
      service: "servicenetworking.googleapis.com",
      reservedPeeringRanges: [range.name],
      // Cloud SQL keeps using the peering after its instance is deleted, so deleting the connection
      // fails the destroy of an environment; abandon it (the peering goes with the network).
      deletionPolicy: "ABANDON",
      dependsOn: [networking],
    });
  }

  /** The connector functions use to reach private IPs; created on first use. */
  connector(): VpcAccessConnector {
    if (this.connectorResource) return this.connectorResource;
    const { spec, namer, services } = this.props;
    const [api] = services.enable("vpcaccess.googleapis.com");
    const subnetName = spec.network
      ? spec.network.subnetId.split("/").pop()!
      : new ComputeSubnetwork(this, "connector-subnet", {
          name: namer.name(NAME_RULES.gcp.compute, "connector"),
          network: this.networkId,
          region: spec.region,
          ipCidrRange: spec.connectorCidr ?? "10.60.0.0/28",
          privateIpGoogleAccess: true,
        }).name;
    this.connectorResource = new VpcAccessConnector(this, "connector", {
      name: namer.name(NAME_RULES.gcp.vpcConnector, "vpc"),
      region: spec.region,
      subnet: { name: subnetName, projectId: spec.network ? spec.network.subnetId.split("/")[1] : undefined },
      minInstances: 2,
      maxInstances: 3,
      machineType: "e2-micro",
      dependsOn: [api],
    });
    return this.connectorResource;
  }
}
