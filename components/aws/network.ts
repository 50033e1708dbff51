// The VPC an environment lives in: a public and a private subnet per availability zone, an internet
// gateway for the public side, NAT gateways for the private side.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { subnetLayout } from '../cidr';
import { networkNames, type NameParts } from '../naming';

export interface NetworkArgs {
  /** App and stack: the `Name` tags derive from them. */
  names: NameParts;
  /** IPv4 block of the VPC, e.g. `10.30.0.0/16`. Cut into 2 x `azCount` equal subnets. */
  vpcCidr: string;
  /** Availability zones to span, 2-6 (an ALB needs two). The first `azCount` available zones are used. */
  azCount: number;
  /**
   * NAT gateways, 1 to `azCount`, each in its own public subnet. Private subnet `i` routes through
   * NAT `i % natGateways`: one is cheapest, one per AZ survives the loss of an AZ.
   */
  natGateways: number;
  /** Tags on every taggable resource (a `Name` tag is added per resource). */
  tags: Record<string, string>;
}

/** Where each subnet goes: pure, so the layout is tested without the Pulumi runtime. */
export interface NetworkLayout {
  public: { cidr: string; az: number }[];
  /** `nat`: index of the NAT gateway (and private route table) the subnet sends internet traffic to. */
  private: { cidr: string; az: number; nat: number }[];
  /** Public subnet index hosting each NAT gateway. */
  nats: number[];
}

export function networkLayout(args: Pick<NetworkArgs, 'vpcCidr' | 'azCount' | 'natGateways'>): NetworkLayout {
  const { vpcCidr, azCount, natGateways } = args;
  if (!Number.isInteger(azCount) || azCount < 2) throw new Error(`network.azCount: ${azCount} must be a whole number of at least 2`);
  if (!Number.isInteger(natGateways) || natGateways < 1 || natGateways > azCount) {
    throw new Error(`network.natGateways: ${natGateways} must be a whole number from 1 to azCount (${azCount})`);
  }
  let cidrs: { public: string[]; private: string[] };
  try {
    cidrs = subnetLayout(vpcCidr, azCount);
  } catch (e) {
    throw new Error(`network.vpcCidr: ${(e as Error).message}`);
  }
  return {
    public: cidrs.public.map((cidr, az) => ({ cidr, az })),
    private: cidrs.private.map((cidr, az) => ({ cidr, az, nat: az % natGateways })),
    nats: Array.from({ length: natGateways }, (_, i) => i),
  };
}

/** The first `count` zone names, or a clear error when the region has fewer available zones. */
export function pickZones(available: readonly string[], count: number): string[] {
  if (available.length < count) {
    throw new Error(`network.azCount: ${count} zones requested but the region has only ${available.length} available (${available.join(', ')})`);
  }
  return available.slice(0, count);
}

export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  /** One per AZ, in zone order: where the load balancer and NAT gateways go. */
  readonly publicSubnetIds: pulumi.Output<string>[];
  /** One per AZ, in zone order: where tasks run (no public IPs). */
  readonly privateSubnetIds: pulumi.Output<string>[];
  /**
   * Resources that must exist before a task in a private subnet can reach the internet (image pulls,
   * logs): depend on them so a first deployment does not start tasks without a route out.
   */
  readonly privateEgress: pulumi.Resource[];

  private readonly args: NetworkArgs;
  private readonly layout: NetworkLayout;
  private readonly names: ReturnType<typeof networkNames>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super('slipway:aws:Network', name, {}, opts);
    this.args = args;
    this.layout = networkLayout(args);
    this.names = networkNames(args.names);

    const vpc = this.createVpc(name);
    const zones = aws
      .getAvailabilityZonesOutput({ state: 'available' }, { parent: this })
      .names.apply((names) => pickZones(names, args.azCount));
    const publicSubnets = this.createSubnets(name, vpc, zones, 'public');
    const privateSubnets = this.createSubnets(name, vpc, zones, 'private');
    const igw = this.createPublicRouting(name, vpc, publicSubnets);
    this.privateEgress = this.createPrivateRouting(name, vpc, publicSubnets, privateSubnets, igw);

    this.vpcId = vpc.id;
    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.registerOutputs({ vpcId: this.vpcId, publicSubnetIds: this.publicSubnetIds, privateSubnetIds: this.privateSubnetIds });
  }

  private tags(nameTag: string): Record<string, string> {
    return { ...this.args.tags, Name: nameTag };
  }

  private createVpc(name: string): aws.ec2.Vpc {
    return new aws.ec2.Vpc(
      `${name}-vpc`,
      { cidrBlock: this.args.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: this.tags(this.names.vpc) },
      { parent: this },
    );
  }

  private createSubnets(name: string, vpc: aws.ec2.Vpc, zones: pulumi.Output<string[]>, tier: 'public' | 'private'): aws.ec2.Subnet[] {
    return this.layout[tier].map(
      ({ cidr, az }) =>
        new aws.ec2.Subnet(
          `${name}-${tier}-${az}`,
          {
            vpcId: vpc.id,
            cidrBlock: cidr,
            availabilityZone: zones.apply((z) => z[az]!),
            // Nothing in the public subnets needs an automatic public IP: the ALB and the NAT
            // gateways get theirs explicitly.
            mapPublicIpOnLaunch: false,
            tags: { ...this.tags(this.names.subnet(tier, az)), tier },
          },
          { parent: this },
        ),
    );
  }

  private createPublicRouting(name: string, vpc: aws.ec2.Vpc, subnets: aws.ec2.Subnet[]): aws.ec2.InternetGateway {
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: this.tags(this.names.internetGateway) }, { parent: this });
    const table = new aws.ec2.RouteTable(`${name}-public-rt`, { vpcId: vpc.id, tags: this.tags(this.names.routeTable('public')) }, { parent: this });
    new aws.ec2.Route(`${name}-public-default`, { routeTableId: table.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: igw.id }, { parent: this });
    subnets.forEach((subnet, i) => {
      new aws.ec2.RouteTableAssociation(`${name}-public-${i}-rt`, { subnetId: subnet.id, routeTableId: table.id }, { parent: this });
    });
    return igw;
  }

  /** NAT gateways (each with an Elastic IP) and one private route table per NAT gateway. */
  private createPrivateRouting(
    name: string,
    vpc: aws.ec2.Vpc,
    publicSubnets: aws.ec2.Subnet[],
    privateSubnets: aws.ec2.Subnet[],
    igw: aws.ec2.InternetGateway,
  ): pulumi.Resource[] {
    const egress: pulumi.Resource[] = [];
    const tables = this.layout.nats.map((i) => {
      const tags = this.tags(this.names.natGateway(i));
      const eip = new aws.ec2.Eip(`${name}-nat-${i}-eip`, { domain: 'vpc', tags }, { parent: this, dependsOn: [igw] });
      const nat = new aws.ec2.NatGateway(
        `${name}-nat-${i}`,
        { allocationId: eip.allocationId, subnetId: publicSubnets[i]!.id, connectivityType: 'public', tags },
        { parent: this, dependsOn: [igw] },
      );
      const table = new aws.ec2.RouteTable(`${name}-private-${i}-rt`, { vpcId: vpc.id, tags: this.tags(this.names.routeTable('private', i)) }, { parent: this });
      egress.push(
        new aws.ec2.Route(`${name}-private-${i}-default`, { routeTableId: table.id, destinationCidrBlock: '0.0.0.0/0', natGatewayId: nat.id }, { parent: this }),
      );
      return table;
    });
    this.layout.private.forEach(({ az, nat }) => {
      egress.push(
        new aws.ec2.RouteTableAssociation(`${name}-private-${az}-rt`, { subnetId: privateSubnets[az]!.id, routeTableId: tables[nat]!.id }, { parent: this }),
      );
    });
    return egress;
  }
}
