// The application load balancer, one target group per slot, and the listeners that decide where
// traffic goes. Switching the live slot changes only the listeners' default actions. With a domain the
// production and test listeners speak HTTPS, port 80 only redirects, and the name points here.
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
  /**
   * HTTPS: the certificate the production and test listeners present; the production listener moves
   * to 443 and `productionPort` only redirects to it. Default: plain HTTP.
   */
  tls?: { certificateArn: pulumi.Input<string> };
  /** A Route 53 alias `name` in `zoneId` pointing at the load balancer. Default: none. */
  alias?: { name: string; zoneId: string };
  /** Refuse to delete the load balancer (a production stack). */
  deletionProtection: boolean;
  /** Where access logs go: the bucket, a key prefix, and what must exist before logging is turned on. */
  accessLogs?: { bucket: pulumi.Input<string>; prefix: string; ready: pulumi.Resource[] };
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

/** The HTTPS port of an environment with a domain. */
export const HTTPS_PORT = 443;

/** A current TLS policy: TLS 1.3 and 1.2 with forward-secret ciphers only. */
export const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

/** Plain HTTP's only answer once there is HTTPS: a permanent redirect to the same URL on 443. */
export function redirectToHttps() {
  return { type: 'redirect', redirect: { protocol: 'HTTPS', port: String(HTTPS_PORT), statusCode: 'HTTP_301' } };
}

export interface ListenerSpec<T, C> {
  /** Suffix of the listener's logical name: `http` (productionPort), `https` (443), `test`. */
  key: 'http' | 'https' | 'test';
  port: number;
  protocol: 'HTTP' | 'HTTPS';
  sslPolicy?: string;
  certificateArn?: C;
  defaultActions: (ReturnType<typeof productionAction<T>> | ReturnType<typeof testAction<T>> | ReturnType<typeof redirectToHttps>)[];
}

/**
 * The listeners: production (weighted forward) on `productionPort`, and test (the idle slot). With a
 * certificate both speak HTTPS, production on 443, and `productionPort` only redirects to it. Adding or
 * removing a domain so changes the port-80 listener in place and creates or deletes the 443 one: no
 * two listeners ever want one port.
 */
export function listenerSpecs<T, C>(p: { live: Slot; targetGroupArns: Record<Slot, T>; productionPort: number; testPort: number; certificateArn?: C }): ListenerSpec<T, C>[] {
  const production = productionAction(p.live, p.targetGroupArns);
  const test = testAction(p.live, p.targetGroupArns);
  if (p.certificateArn === undefined) {
    return [
      { key: 'http', port: p.productionPort, protocol: 'HTTP', defaultActions: [production] },
      { key: 'test', port: p.testPort, protocol: 'HTTP', defaultActions: [test] },
    ];
  }
  const tls = { protocol: 'HTTPS', sslPolicy: TLS_POLICY, certificateArn: p.certificateArn } as const;
  return [
    { key: 'https', port: HTTPS_PORT, ...tls, defaultActions: [production] },
    { key: 'http', port: p.productionPort, protocol: 'HTTP', defaultActions: [redirectToHttps()] },
    { key: 'test', port: p.testPort, ...tls, defaultActions: [test] },
  ];
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
    if (args.testPort === productionPort || (args.tls && args.testPort === HTTPS_PORT)) {
      throw new Error(`network.testListenerPort: ${args.testPort} is the production listener port`);
    }

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
        enableDeletionProtection: args.deletionProtection,
        ...(args.accessLogs ? { accessLogs: { bucket: args.accessLogs.bucket, prefix: args.accessLogs.prefix, enabled: true } } : {}),
        tags: args.tags,
      },
      { parent: this, dependsOn: args.accessLogs?.ready ?? [] },
    );
    const groups = Object.fromEntries(SLOTS.map((slot) => [slot, this.createTargetGroup(name, slot, args)])) as Record<Slot, aws.lb.TargetGroup>;
    const arns = { blue: groups.blue.arn, green: groups.green.arn };

    const specs = listenerSpecs({ live: args.live, targetGroupArns: arns, productionPort, testPort: args.testPort, certificateArn: args.tls?.certificateArn });
    const made = new Map<string, aws.lb.Listener>();
    for (const { key, ...listener } of specs) {
      // Port 80 turns into a redirect only once HTTPS answers: adding a domain to a running environment
      // waits for the certificate's validation (minutes) with port 80 still forwarding.
      // The port-80 listener was `<name>-production` before there was HTTPS.
      const https = made.get('https');
      const listenerOpts: pulumi.CustomResourceOptions =
        key === 'http' ? { parent: this, dependsOn: https ? [https] : [], aliases: [{ name: `${name}-production` }] } : { parent: this };
      made.set(key, new aws.lb.Listener(`${name}-${key}`, { loadBalancerArn: alb.arn, ...listener, tags: args.tags }, listenerOpts));
    }
    this.listeners = [...made.values()];
    if (args.alias) {
      new aws.route53.Record(
        `${name}-alias`,
        { zoneId: args.alias.zoneId, name: args.alias.name, type: 'A', aliases: [{ name: alb.dnsName, zoneId: alb.zoneId, evaluateTargetHealth: true }] },
        { parent: this },
      );
    }

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
