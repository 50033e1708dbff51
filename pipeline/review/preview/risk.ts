// Which resource types deserve a second look when replaced or deleted: they carry traffic or hold data.
import type { Risk, StateLike } from './model';

/** The AWS types whose replacement or deletion moves traffic or loses data, by `module:Name`. */
const RISKY: Record<string, Risk> = {
  'lb:LoadBalancer': { kind: 'traffic', what: 'load balancer' },
  'lb:Listener': { kind: 'traffic', what: 'listener' },
  'lb:ListenerRule': { kind: 'traffic', what: 'listener rule' },
  'lb:TargetGroup': { kind: 'traffic', what: 'target group' },
  'lb:TargetGroupAttachment': { kind: 'traffic', what: 'target group attachment' },
  'ecs:Service': { kind: 'traffic', what: 'ECS service' },
  'route53:Record': { kind: 'traffic', what: 'DNS record' },
  'cloudfront:Distribution': { kind: 'traffic', what: 'CloudFront distribution' },
  'ec2:Vpc': { kind: 'traffic', what: 'VPC' },
  'ec2:Subnet': { kind: 'traffic', what: 'subnet' },
  'ec2:RouteTable': { kind: 'traffic', what: 'route table' },
  'ec2:Route': { kind: 'traffic', what: 'route' },
  'ec2:RouteTableAssociation': { kind: 'traffic', what: 'route table association' },
  'ec2:NatGateway': { kind: 'traffic', what: 'NAT gateway' },
  'ec2:InternetGateway': { kind: 'traffic', what: 'internet gateway' },
  'ec2:Eip': { kind: 'traffic', what: 'Elastic IP' },
  'ec2:SecurityGroup': { kind: 'traffic', what: 'security group' },
  'ec2:SecurityGroupRule': { kind: 'traffic', what: 'security group rule' },
  'vpc:SecurityGroupIngressRule': { kind: 'traffic', what: 'security group rule' },
  'vpc:SecurityGroupEgressRule': { kind: 'traffic', what: 'security group rule' },
  'ecr:Repository': { kind: 'stateful', what: 'ECR repository (images)' },
  'cloudwatch:LogGroup': { kind: 'stateful', what: 'log group' },
  'dynamodb:Table': { kind: 'stateful', what: 'DynamoDB table' },
  's3:Bucket': { kind: 'stateful', what: 'S3 bucket' },
  's3:BucketV2': { kind: 'stateful', what: 'S3 bucket' },
  'efs:FileSystem': { kind: 'stateful', what: 'EFS file system' },
  'kms:Key': { kind: 'stateful', what: 'KMS key' },
  'secretsmanager:Secret': { kind: 'stateful', what: 'secret' },
};
/** Whole AWS modules that are all traffic-bearing or stateful. */
const RISKY_MODULES: Record<string, Risk> = {
  alb: { kind: 'traffic', what: 'load balancer' },
  elb: { kind: 'traffic', what: 'load balancer' },
  rds: { kind: 'stateful', what: 'database' },
  elasticache: { kind: 'stateful', what: 'cache cluster' },
};

/** Flags types that carry traffic or hold state; `state` refines the label (a log group's retention). */
export function riskOf(type: string, state?: StateLike): Risk | undefined {
  const m = /^aws:([^:/]+)(?:\/[^:]+)?:(.+)$/.exec(type);
  if (!m) return undefined;
  const [, mod, name] = m;
  const known = RISKY[`${mod === 'alb' ? 'lb' : mod}:${name}`] ?? RISKY_MODULES[mod!];
  if (!known) return undefined;
  if (known.what === 'log group') {
    const days = state?.inputs?.retentionInDays ?? state?.outputs?.retentionInDays;
    if (typeof days === 'number' && days > 0) return { ...known, what: `log group (${days}-day retention)` };
    if (days === 0) return { ...known, what: 'log group (kept forever)' };
  }
  return known;
}
