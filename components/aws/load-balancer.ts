// The application load balancer, one target group per slot, and the two listeners that decide where
// traffic goes. Switching the live slot changes only the listeners' default actions.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { SLOTS, type Slot } from '../../stacks/schema';
import { idleSlotOf, productionWeights } from '../slots';

export interface LoadBalancerArgs {
  /** Physical ALB name (<= 32 characters). */
  name: string;
  /** Physical target group name per slot (<= 32 characters each). */
  targetGroupNames: Record<Slot, string>;
  vpcId: pulumi.Input<string>;
  /** Public subnets, at least two AZs. */
  subnetIds: pulumi.Input<string>[];
  securityGroupId: pulumi.Input<string>;
  /** Container port the target groups send traffic and health checks to. */
  appPort: number;
  /** Health-check path, e.g. `/healthz`. */
  healthPath: string;
  /** The slot that gets production traffic; the other one is reachable on `testPort`. */
  live: Slot;
  /** Production listener port. Default 80. */
  productionPort?: number;
  /** Test listener port (the idle slot), e.g. 8443. */
  testPort: number;
  /** Tags on the load balancer and listeners. */
  tags: Record<string, string>;
  /** Tags on each slot's target group. */
  slotTags: Record<Slot, Record<string, string>>;
}

/** Target group health check: quick to notice a dead task, tolerant of one slow answer. */
export const HEALTH_CHECK = { interval: 10, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3, matcher: '200-299' } as const;

/** Seconds a draining target keeps in-flight requests; short, since slots are not scaled in on a switch. */
export const DEREGISTRATION_DELAY = 30;

/**
 * Production listener action: a weighted forward to both slots, all weight on the live one. Group
 * stickiness is off, stated rather than left to the default: sticky clients would keep reaching the
 * old slot after a switch (the weights apply per request only without it) and get 503s once it drains.
 */
export function productionAction<T>(live: Slot, targetGroupArns: Record<Slot, T>) {
  const weights = productionWeights(live);
  return {
    type: 'forward',
    forward: {
      targetGroups: SLOTS.map((slot) => ({ arn: targetGroupArns[slot], weight: weights[slot] })),
      stickiness: { enabled: false, duration: 1 },
    },
  };
}

/** Test listener action: straight to the idle slot, for smoke tests before a switch. */
export function testAction<T>(live: Slot, targetGroupArns: Record<Slot, T>) {
  return { type: 'forward', targetGroupArn: targetGroupArns[idleSlotOf(live)] };
}

export class LoadBalancer extends pulumi.ComponentResource {
  readonly arn: pulumi.Output<string>;
  readonly arnSuffix: pulumi.Output<string>;
  readonly dnsName: pulumi.Output<string>;
  readonly targetGroups: Record<Slot, { arn: pulumi.Output<string>; arnSuffix: pulumi.Output<string> }>;
  /** Listeners: an ECS service must wait for them, since its target group needs a load balancer. */
  readonly listeners: aws.lb.Listener[];

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('slipway:aws:LoadBalancer', name, {}, opts);
    const productionPort = args.productionPort ?? 80;
    if (args.testPort === productionPort) throw new Error(`network.testListenerPort: ${args.testPort} is the production listener port`);

    const alb = new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        name: args.name,
        loadBalancerType: 'application',
        internal: false,
        ipAddressType: 'ipv4',
        securityGroups: [args.securityGroupId],
        subnets: args.subnetIds,
        dropInvalidHeaderFields: true,
        tags: args.tags,
      },
      { parent: this },
    );
    const groups = Object.fromEntries(SLOTS.map((slot) => [slot, this.createTargetGroup(name, slot, args)])) as Record<Slot, aws.lb.TargetGroup>;
    const arns = { blue: groups.blue.arn, green: groups.green.arn };

    this.listeners = [
      new aws.lb.Listener(
        `${name}-production`,
        { loadBalancerArn: alb.arn, port: productionPort, protocol: 'HTTP', defaultActions: [productionAction(args.live, arns)], tags: args.tags },
        { parent: this },
      ),
      new aws.lb.Listener(
        `${name}-test`,
        { loadBalancerArn: alb.arn, port: args.testPort, protocol: 'HTTP', defaultActions: [testAction(args.live, arns)], tags: args.tags },
        { parent: this },
      ),
    ];

    this.arn = alb.arn;
    this.arnSuffix = alb.arnSuffix;
    this.dnsName = alb.dnsName;
    this.targetGroups = {
      blue: { arn: groups.blue.arn, arnSuffix: groups.blue.arnSuffix },
      green: { arn: groups.green.arn, arnSuffix: groups.green.arnSuffix },
    };
    this.registerOutputs({ arn: this.arn, dnsName: this.dnsName, targetGroupArns: arns });
  }

  private createTargetGroup(name: string, slot: Slot, args: LoadBalancerArgs): aws.lb.TargetGroup {
    return new aws.lb.TargetGroup(
      `${name}-${slot}`,
      {
        name: args.targetGroupNames[slot],
        targetType: 'ip',
        protocol: 'HTTP',
        port: args.appPort,
        vpcId: args.vpcId,
        deregistrationDelay: DEREGISTRATION_DELAY,
        // No target stickiness either: a cookie pinning a client to a target outlives a switch.
        stickiness: { enabled: false, type: 'lb_cookie' },
        healthCheck: { enabled: true, protocol: 'HTTP', port: 'traffic-port', path: args.healthPath, ...HEALTH_CHECK },
        tags: args.slotTags[slot],
      },
      { parent: this },
    );
  }
}
