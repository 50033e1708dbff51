// The aws double's resource types: for each type token the program uses (components/aws/*.ts), the ID
// and computed outputs AWS would give it, in AWS's shapes, and which inputs force a replacement. Pure
// and deterministic: every ID derives from a hash of the URN, so repeated runs agree. Sources in main.ts.
import { PRODUCTION_TYPES } from './production';
import { SECRET_TYPES } from './secrets';
import { digitsOf, hexOf, type AwsContext, type AwsTypeSpec } from './shapes';

export { digitsOf, hexOf, type AwsContext, type AwsTypeSpec };

export const ACCOUNT_ID = '123456789012';
export const DEFAULT_REGION = 'us-east-1';

/** `<prefix>-<17 hex>`: the shape of VPC, subnet, security group, gateway and route table IDs. */
function ec2Id(prefix: string) {
  return (ctx: AwsContext) => `${prefix}-${hexOf(ctx, 17)}`;
}

function ec2Arn(ctx: AwsContext, kind: string, id: string): string {
  return `arn:aws:ec2:${ctx.region}:${ctx.account}:${kind}/${id}`;
}

/** An EC2 object: `<prefix>-<17 hex>` ID, ARN, owner, plus `extra` outputs. */
function ec2(prefix: string, kind: string, replaceOn: readonly string[], extra: (ctx: AwsContext, id: string) => Record<string, unknown> = () => ({})): AwsTypeSpec {
  return {
    replaceOn,
    make: (ctx) => {
      const id = ec2Id(prefix)(ctx);
      return { id, outs: { arn: ec2Arn(ctx, kind, id), ownerId: ctx.account, ...extra(ctx, id) } };
    },
  };
}

/** An Elastic Load Balancing ARN: `…:<kind>/<name>/<16 hex>`. */
function elbArn(ctx: AwsContext, kind: string, name: string): string {
  return `arn:aws:elasticloadbalancing:${ctx.region}:${ctx.account}:${kind}/${name}/${hexOf(ctx, 16)}`;
}

/** Availability zone ID prefix for a region, e.g. `use1` for us-east-1, `apse2` for ap-southeast-2. */
export function zoneIdPrefix(region: string): string {
  const [area = '', direction = '', n = ''] = region.split('-');
  return `${area}${(direction.match(/north|south|east|west|central/g) ?? []).map((w) => w[0]).join('')}${n}`;
}

export const AWS_TYPES: Record<string, AwsTypeSpec> = {
  'aws:ec2/vpc:Vpc': ec2('vpc', 'vpc', ['cidrBlock', 'instanceTenancy'], (ctx) => ({
    defaultSecurityGroupId: `sg-${hexOf(ctx, 17, 'sg')}`,
    defaultNetworkAclId: `acl-${hexOf(ctx, 17, 'acl')}`,
    defaultRouteTableId: `rtb-${hexOf(ctx, 17, 'rtb')}`,
    mainRouteTableId: `rtb-${hexOf(ctx, 17, 'rtb')}`,
    dhcpOptionsId: `dopt-${hexOf(ctx, 17, 'dopt')}`,
    instanceTenancy: 'default',
  })),
  'aws:ec2/subnet:Subnet': {
    ...ec2('subnet', 'subnet', ['vpcId', 'cidrBlock', 'availabilityZone'], (ctx) => {
      const az = String(ctx.inputs.availabilityZone ?? `${ctx.region}a`);
      return { availabilityZoneId: `${zoneIdPrefix(ctx.region)}-az${az.charCodeAt(az.length - 1) - 96}` };
    }),
    required: ['vpcId'],
  },
  'aws:ec2/internetGateway:InternetGateway': ec2('igw', 'internet-gateway', []),
  'aws:ec2/routeTable:RouteTable': { ...ec2('rtb', 'route-table', ['vpcId']), required: ['vpcId'] },
  'aws:ec2/route:Route': {
    replaceOn: ['routeTableId', 'destinationCidrBlock'],
    required: ['routeTableId'],
    // resource_aws_route: "r-" + route table ID + a hash of the destination.
    make: (ctx) => ({ id: `r-${ctx.inputs.routeTableId}${digitsOf(ctx, 10, String(ctx.inputs.destinationCidrBlock))}`, outs: { origin: 'CreateRoute', state: 'active' } }),
  },
  'aws:ec2/routeTableAssociation:RouteTableAssociation': {
    replaceOn: ['subnetId', 'gatewayId'],
    required: ['routeTableId'],
    make: (ctx) => ({ id: `rtbassoc-${hexOf(ctx, 17)}`, outs: {} }),
  },
  'aws:ec2/eip:Eip': {
    replaceOn: ['domain'],
    make: (ctx) => {
      const id = `eipalloc-${hexOf(ctx, 17)}`;
      const octets = [52, ...[0, 2, 4].map((i) => parseInt(hexOf(ctx, 6, 'ip').slice(i, i + 2), 16))];
      const host = ctx.region === 'us-east-1' ? 'compute-1.amazonaws.com' : `${ctx.region}.compute.amazonaws.com`;
      return {
        id,
        outs: { allocationId: id, arn: ec2Arn(ctx, 'elastic-ip', id), publicIp: octets.join('.'), publicDns: `ec2-${octets.join('-')}.${host}`, domain: 'vpc' },
      };
    },
  },
  'aws:ec2/natGateway:NatGateway': {
    replaceOn: ['allocationId', 'subnetId', 'connectivityType'],
    required: ['subnetId'],
    make: (ctx) => ({ id: `nat-${hexOf(ctx, 17)}`, outs: { networkInterfaceId: `eni-${hexOf(ctx, 17, 'eni')}`, connectivityType: 'public' } }),
  },
  'aws:ec2/securityGroup:SecurityGroup': {
    ...ec2('sg', 'security-group', ['name', 'namePrefix', 'description', 'vpcId']),
    autoName: { property: 'name', maxLength: 255 },
  },
  'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule': securityGroupRule(),
  'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule': securityGroupRule(),
  'aws:lb/loadBalancer:LoadBalancer': {
    replaceOn: ['name', 'namePrefix', 'internal', 'loadBalancerType'],
    autoName: { property: 'name', maxLength: 32 },
    make: (ctx) => {
      const name = String(ctx.inputs.name);
      const arn = elbArn(ctx, 'loadbalancer/app', name);
      return {
        id: arn,
        outs: {
          arn,
          arnSuffix: arn.slice(arn.indexOf(':loadbalancer/') + ':loadbalancer/'.length),
          dnsName: `${name}-${digitsOf(ctx, 10)}.${ctx.region}.elb.amazonaws.com`,
          // Route 53 zone of ALBs in us-east-1; other regions have their own, unused by the program.
          zoneId: 'Z35SXDOTRQ7X7K',
        },
      };
    },
  },
  'aws:lb/targetGroup:TargetGroup': {
    replaceOn: ['name', 'namePrefix', 'port', 'protocol', 'vpcId', 'targetType'],
    autoName: { property: 'name', maxLength: 32 },
    make: (ctx) => {
      const arn = elbArn(ctx, 'targetgroup', String(ctx.inputs.name));
      return { id: arn, outs: { arn, arnSuffix: arn.slice(arn.indexOf(':targetgroup/') + 1) } };
    },
  },
  'aws:lb/listener:Listener': {
    replaceOn: ['loadBalancerArn'],
    required: ['loadBalancerArn', 'defaultActions'],
    make: (ctx) => {
      // arn:…:loadbalancer/app/<name>/<hex> → arn:…:listener/app/<name>/<hex>/<hex>
      const arn = `${String(ctx.inputs.loadBalancerArn).replace(':loadbalancer/', ':listener/')}/${hexOf(ctx, 16)}`;
      return { id: arn, outs: { arn } };
    },
  },
  'aws:ecs/cluster:Cluster': {
    replaceOn: ['name'],
    autoName: { property: 'name', maxLength: 255 },
    make: (ctx) => {
      const arn = `arn:aws:ecs:${ctx.region}:${ctx.account}:cluster/${ctx.inputs.name}`;
      return { id: arn, outs: { arn } };
    },
  },
  'aws:ecr/repository:Repository': {
    replaceOn: ['name'],
    autoName: { property: 'name', maxLength: 256 },
    make: (ctx) => ({
      id: String(ctx.inputs.name),
      outs: {
        arn: `arn:aws:ecr:${ctx.region}:${ctx.account}:repository/${ctx.inputs.name}`,
        registryId: ctx.account,
        repositoryUrl: `${ctx.account}.dkr.ecr.${ctx.region}.amazonaws.com/${ctx.inputs.name}`,
      },
    }),
  },
  'aws:iam/role:Role': {
    replaceOn: ['name', 'namePrefix', 'path'],
    required: ['assumeRolePolicy'],
    autoName: { property: 'name', maxLength: 64 },
    make: (ctx) => ({
      id: String(ctx.inputs.name),
      outs: {
        arn: `arn:aws:iam::${ctx.account}:role${ctx.inputs.path ?? '/'}${ctx.inputs.name}`,
        uniqueId: `AROA${hexOf(ctx, 17).toUpperCase()}`,
        createDate: '2024-01-01T00:00:00Z',
      },
    }),
  },
  'aws:iam/rolePolicyAttachment:RolePolicyAttachment': {
    replaceOn: ['role', 'policyArn'],
    required: ['role', 'policyArn'],
    // id.PrefixedUniqueId("<role>-"): the role name, a dash and 26 digits.
    make: (ctx) => ({ id: `${ctx.inputs.role}-${digitsOf(ctx, 26)}`, outs: {} }),
  },
  'aws:cloudwatch/logGroup:LogGroup': {
    replaceOn: ['name', 'namePrefix'],
    autoName: { property: 'name', maxLength: 512 },
    make: (ctx) => ({ id: String(ctx.inputs.name), outs: { arn: `arn:aws:logs:${ctx.region}:${ctx.account}:log-group:${ctx.inputs.name}` } }),
  },
  'aws:cloudwatch/metricAlarm:MetricAlarm': {
    replaceOn: ['name'],
    required: ['comparisonOperator', 'evaluationPeriods'],
    autoName: { property: 'name', maxLength: 255 },
    make: (ctx) => ({ id: String(ctx.inputs.name), outs: { arn: `arn:aws:cloudwatch:${ctx.region}:${ctx.account}:alarm:${ctx.inputs.name}` } }),
  },
  'aws:ecs/taskDefinition:TaskDefinition': {
    // Task definitions are immutable: every change registers a new revision (a replacement).
    replaceOn: 'all-but-tags',
    required: ['family', 'containerDefinitions'],
    make: (ctx) => {
      const revision = (parseInt(hexOf(ctx, 6, JSON.stringify(ctx.inputs)), 16) % 999) + 1;
      const arnWithoutRevision = `arn:aws:ecs:${ctx.region}:${ctx.account}:task-definition/${ctx.inputs.family}`;
      return { id: String(ctx.inputs.family), outs: { arn: `${arnWithoutRevision}:${revision}`, arnWithoutRevision, revision } };
    },
  },
  'aws:ecs/service:Service': {
    replaceOn: ['name', 'cluster', 'launchType', 'schedulingStrategy'],
    required: ['taskDefinition'],
    autoName: { property: 'name', maxLength: 255 },
    make: (ctx) => {
      const clusterName = String(ctx.inputs.cluster ?? 'default').split('/').pop();
      return { id: `arn:aws:ecs:${ctx.region}:${ctx.account}:service/${clusterName}/${ctx.inputs.name}`, outs: {} };
    },
  },
  ...PRODUCTION_TYPES,
  ...SECRET_TYPES,
};

function securityGroupRule(): AwsTypeSpec {
  return {
    replaceOn: ['securityGroupId'],
    required: ['securityGroupId', 'ipProtocol'],
    make: (ctx) => {
      const id = `sgr-${hexOf(ctx, 17)}`;
      return { id, outs: { arn: ec2Arn(ctx, 'security-group-rule', id), securityGroupRuleId: id } };
    },
  };
}

/** `<logical name>-<7 hex>`, cut to fit `maxLength`: Pulumi's autonaming, made stable. */
export function autoName(ctx: Pick<AwsContext, 'urn' | 'name'>, maxLength: number): string {
  const suffix = `-${hexOf(ctx, 7, 'name')}`;
  return `${ctx.name.slice(0, Math.max(1, maxLength - suffix.length))}${suffix}`;
}

/** Answers to the functions the program invokes (data sources), or undefined for one it does not. */
export function invokeResult(token: string, args: Record<string, unknown>, region: string): Record<string, unknown> | undefined {
  switch (token) {
    case 'aws:index/getCallerIdentity:getCallerIdentity':
      return { id: ACCOUNT_ID, accountId: ACCOUNT_ID, arn: `arn:aws:iam::${ACCOUNT_ID}:user/slipway-test`, userId: 'AIDAJQABLZS4A3QDU576Q' };
    case 'aws:index/getRegion:getRegion':
      return { id: region, name: region, region, endpoint: `ec2.${region}.amazonaws.com`, description: region };
    case 'aws:index/getPartition:getPartition':
      return { id: 'aws', partition: 'aws', dnsSuffix: 'amazonaws.com', reverseDnsPrefix: 'com.amazonaws' };
    case 'aws:index/getAvailabilityZones:getAvailabilityZones': {
      const letters = ['a', 'b', 'c'];
      return {
        id: region,
        names: letters.map((l) => `${region}${l}`),
        zoneIds: letters.map((_, i) => `${zoneIdPrefix(region)}-az${i + 1}`),
        groupNames: letters.map(() => region),
        state: args.state ?? 'available',
      };
    }
    default:
      return undefined;
  }
}
