import { Annotations } from "cdktf";
import { Construct } from "constructs";
import { AwsEnvironmentSpec, NAME_RULES, Namer } from "@polycloud/core";
import { DataAwsSubnet } from "@cdktf/provider-aws/lib/data-aws-subnet";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";

export type EndpointService = "secretsmanager" | "events" | "sqs" | "kms";

export interface AwsNetworkProps {
  readonly spec: AwsEnvironmentSpec;
  readonly namer: Namer;
}

/**
 * The network the database needs. Either an existing VPC (bring your own ids) or a minimal VPC
 * with two private subnets and no internet route.
 *
 * Cost choice: in-VPC functions reach AWS APIs through interface endpoints created only for the
 * services their bindings need (about 7.3 USD/month per endpoint per AZ, 0.01 USD/GB), not a NAT
 * gateway (about 33 USD/month per AZ plus 0.045 USD/GB, and an internet path). With the two or three
 * endpoints a service needs this is cheaper and keeps traffic private. With an existing VPC the
 * team's own NAT or endpoints are used and none are created.
 */
export class AwsNetwork extends Construct {
  readonly vpcId: string;
  readonly privateSubnetIds: string[];
  /** The availability zone of each private subnet, in the same order. */
  readonly availabilityZones: string[];
  /** CIDR of the VPC when this construct created it. */
  readonly cidr?: string;
  private endpointSecurityGroup?: SecurityGroup;
  private readonly endpoints = new Map<EndpointService, VpcEndpoint>();
  private readonly region: string;
  private readonly namer: Namer;

  constructor(scope: Construct, id: string, props: AwsNetworkProps) {
    super(scope, id);
    this.region = props.spec.region;
    this.namer = props.namer;
    if (props.spec.network) {
      this.vpcId = props.spec.network.vpcId;
      this.privateSubnetIds = [...props.spec.network.privateSubnetIds];
      // Read, not assumed: a database instance is placed in the zone of one of these subnets.
      this.availabilityZones = this.privateSubnetIds.map((id, i) => new DataAwsSubnet(this, `private-${i}`, { id }).availabilityZone);
      return;
    }
    this.cidr = props.spec.vpcCidr ?? "10.40.0.0/16";
    const vpc = new Vpc(this, "vpc", {
      cidrBlock: this.cidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: props.namer.name(NAME_RULES.aws.generic, "vpc") },
    });
    // Lock down the default security group so nothing lands in an open group by accident.
    new DefaultSecurityGroup(this, "default-sg", { vpcId: vpc.id });
    const second = this.cidr.split(".")[1];
    // AZ letters a and b exist in every commercial region; ids keep plans credential-free.
    this.availabilityZones = ["a", "b"].map((az) => `${props.spec.region}${az}`);
    this.privateSubnetIds = ["a", "b"].map((az, i) =>
      new Subnet(this, `private-${az}`, {
        vpcId: vpc.id,
        cidrBlock: `${this.cidr!.split(".")[0]}.${second}.${i * 16}.0/20`,
        availabilityZone: `${props.spec.region}${az}`,
        mapPublicIpOnLaunch: false,
        tags: { Name: props.namer.name(NAME_RULES.aws.generic, "private", az) },
      }).id,
    );
    this.vpcId = vpc.id;
  }

  /** True when this construct owns the VPC and therefore provides the AWS API endpoints. */
  get managesEndpoints(): boolean {
    return this.cidr !== undefined;
  }

  /** Security group of the interface endpoints (undefined for an existing network). */
  get endpointSecurityGroupId(): string | undefined {
    return this.endpointSecurityGroup?.id;
  }

  /** The interface endpoint created for `service`, if this construct manages endpoints and created one. */
  endpoint(service: EndpointService): VpcEndpoint | undefined {
    return this.endpoints.get(service);
  }

  /** Makes `service` reachable from the private subnets. Idempotent. */
  ensureEndpoint(service: EndpointService): void {
    if (!this.managesEndpoints) {
      Annotations.of(this).addInfo(`Existing VPC: in-VPC functions need a route to ${service} (NAT or an interface endpoint you manage).`);
      return;
    }
    if (this.endpoints.has(service)) return;
    const sg = this.ensureEndpointSecurityGroup();
    this.endpoints.set(
      service,
      new VpcEndpoint(this, `endpoint-${service}`, {
        vpcId: this.vpcId,
        serviceName: `com.amazonaws.${this.region}.${service}`,
        vpcEndpointType: "Interface",
        subnetIds: this.privateSubnetIds,
        securityGroupIds: [sg],
        privateDnsEnabled: true,
      }),
    );
  }

  /** Security group guarding the interface endpoints; created on first use. */
  ensureEndpointSecurityGroup(): string {
    if (!this.endpointSecurityGroup) {
      this.endpointSecurityGroup = new SecurityGroup(this, "endpoints-sg", {
        name: this.namer.name(NAME_RULES.aws.securityGroup, "endpoints"),
        description: "Interface endpoints: HTTPS from inside the VPC only",
        vpcId: this.vpcId,
      });
      new VpcSecurityGroupIngressRule(this, "endpoints-https", {
        securityGroupId: this.endpointSecurityGroup.id,
        description: "HTTPS from the VPC",
        cidrIpv4: this.cidr,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
      });
    }
    return this.endpointSecurityGroup.id;
  }
}
