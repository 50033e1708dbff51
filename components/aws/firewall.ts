// Security groups: the load balancer is the only thing reachable from outside, and tasks accept
// traffic only from the load balancer. Each rule is its own resource so a change replaces one rule,
// not the whole group.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { networkNames, type NameParts } from '../naming';

export interface FirewallArgs {
  /** App and stack: the group names derive from them. */
  names: NameParts;
  vpcId: pulumi.Input<string>;
  /** Production listener port, open to everyone (IPv4 and IPv6). */
  productionPort: number;
  /** With a domain: the HTTPS listener port, open to everyone too (`productionPort` then only redirects to it). */
  httpsPort?: number;
  /** Test listener port (reaches the idle slot), open only to `testCidrs`. */
  testPort: number;
  /** Who may reach the test listener, e.g. `['10.0.0.0/8']`. */
  testCidrs: readonly string[];
  /** Port the containers listen on; the only port the load balancer may open to tasks. */
  appPort: number;
  /** Tags on both groups and every rule. */
  tags: Record<string, string>;
}

/** One ingress rule of the load balancer's group, from a CIDR block. */
export interface CidrRule {
  /** Stable suffix of the rule's logical name (derived from port and block, not list position). */
  key: string;
  port: number;
  cidrIpv4?: string;
  cidrIpv6?: string;
  description: string;
}

/**
 * The load balancer's ingress: the production port (and with a domain the HTTPS port) to the world,
 * the test port to the listed blocks only.
 */
export function loadBalancerIngress(args: Pick<FirewallArgs, 'productionPort' | 'httpsPort' | 'testPort' | 'testCidrs'>): CidrRule[] {
  if (args.testPort === args.productionPort || args.testPort === args.httpsPort) {
    throw new Error(`network.testListenerPort: ${args.testPort} is the production listener port`);
  }
  if (args.testCidrs.length === 0) throw new Error('network.testListenerCidrs: needs at least one CIDR block');
  const world = (port: number, what: string): CidrRule[] => [
    { key: `${port}-ipv4`, port, cidrIpv4: '0.0.0.0/0', description: `${what}, anyone (IPv4)` },
    { key: `${port}-ipv6`, port, cidrIpv6: '::/0', description: `${what}, anyone (IPv6)` },
  ];
  return [
    ...(args.httpsPort === undefined
      ? world(args.productionPort, 'production listener')
      : [...world(args.productionPort, 'redirect to HTTPS'), ...world(args.httpsPort, 'production listener (HTTPS)')]),
    ...[...new Set(args.testCidrs)].map((cidr) => ({
      key: `${args.testPort}-${cidr.replace(/[./]/g, '-')}`,
      port: args.testPort,
      cidrIpv4: cidr,
      description: `test listener (idle slot), ${cidr}`,
    })),
  ];
}

/**
 * Tasks may call out on HTTPS only: image pulls (ECR or any registry), CloudWatch Logs and other AWS
 * APIs. DNS goes to the VPC resolver, which security groups do not filter.
 */
export const TASK_EGRESS_PORT = 443;

export class Firewall extends pulumi.ComponentResource {
  readonly loadBalancerGroupId: pulumi.Output<string>;
  readonly taskGroupId: pulumi.Output<string>;

  constructor(name: string, args: FirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super('slipway:aws:Firewall', name, {}, opts);
    const ingress = loadBalancerIngress(args);
    const names = networkNames(args.names);
    const group = (role: 'alb' | 'tasks', description: string) =>
      // No inline rules: the provider then also removes the default allow-all egress rule.
      new aws.ec2.SecurityGroup(`${name}-${role}`, { name: names.securityGroup(role), description, vpcId: args.vpcId, tags: args.tags }, { parent: this });
    const lb = group('alb', 'Load balancer: listener ports in, app port out to tasks');
    const tasks = group('tasks', 'Tasks: app port from the load balancer only, HTTPS out');

    for (const rule of ingress) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-alb-in-${rule.key}`,
        {
          securityGroupId: lb.id,
          ipProtocol: 'tcp',
          fromPort: rule.port,
          toPort: rule.port,
          cidrIpv4: rule.cidrIpv4,
          cidrIpv6: rule.cidrIpv6,
          description: rule.description,
          tags: args.tags,
        },
        { parent: this },
      );
    }
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-alb-out-tasks`,
      { securityGroupId: lb.id, ipProtocol: 'tcp', fromPort: args.appPort, toPort: args.appPort, referencedSecurityGroupId: tasks.id, description: 'to tasks (traffic and health checks)', tags: args.tags },
      { parent: this },
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-tasks-in-alb`,
      { securityGroupId: tasks.id, ipProtocol: 'tcp', fromPort: args.appPort, toPort: args.appPort, referencedSecurityGroupId: lb.id, description: 'from the load balancer only', tags: args.tags },
      { parent: this },
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-tasks-out-https`,
      { securityGroupId: tasks.id, ipProtocol: 'tcp', fromPort: TASK_EGRESS_PORT, toPort: TASK_EGRESS_PORT, cidrIpv4: '0.0.0.0/0', description: 'HTTPS out: image pulls, logs, AWS APIs', tags: args.tags },
      { parent: this },
    );

    this.loadBalancerGroupId = lb.id;
    this.taskGroupId = tasks.id;
    this.registerOutputs({ loadBalancerGroupId: this.loadBalancerGroupId, taskGroupId: this.taskGroupId });
  }
}
