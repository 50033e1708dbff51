// The AWS environment, planned through the real program under the SDK's mocks. Tests read as
// policies; each looks resources up by what they are (physical name, type), not by counting.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateAwsEnvironmentArgs } from '../components/aws/environment';
import { loadBalancerIngress } from '../components/aws/firewall';
import { productionAction, testAction } from '../components/aws/load-balancer';
import { networkLayout, pickZones } from '../components/aws/network';
import { containerDefinitions } from '../components/aws/slot';
import { subnetLayout } from '../components/cidr';
import { idleSlotOf } from '../components/slots';
import { environmentNames, networkNames } from '../components/naming';
import { computed, type Plan, type PlannedResource } from '../pipeline/review/plan';
import { loadStackFile } from '../stacks/load';
import { SLOTS, type AwsConfig, type Slot } from '../stacks/schema';
import { canonicalJson } from '../stacks/canonical';
import { DIGEST_A, DIGEST_B, ROOT, ofType, plan } from './mocks';

const T = {
  vpc: 'aws:ec2/vpc:Vpc',
  subnet: 'aws:ec2/subnet:Subnet',
  nat: 'aws:ec2/natGateway:NatGateway',
  eip: 'aws:ec2/eip:Eip',
  igw: 'aws:ec2/internetGateway:InternetGateway',
  route: 'aws:ec2/route:Route',
  association: 'aws:ec2/routeTableAssociation:RouteTableAssociation',
  sg: 'aws:ec2/securityGroup:SecurityGroup',
  ingress: 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule',
  egress: 'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule',
  alb: 'aws:lb/loadBalancer:LoadBalancer',
  targetGroup: 'aws:lb/targetGroup:TargetGroup',
  listener: 'aws:lb/listener:Listener',
  role: 'aws:iam/role:Role',
  attachment: 'aws:iam/rolePolicyAttachment:RolePolicyAttachment',
  taskDef: 'aws:ecs/taskDefinition:TaskDefinition',
  service: 'aws:ecs/service:Service',
  cluster: 'aws:ecs/cluster:Cluster',
  repository: 'aws:ecr/repository:Repository',
  logGroup: 'aws:cloudwatch/logGroup:LogGroup',
  alarm: 'aws:cloudwatch/metricAlarm:MetricAlarm',
} as const;

const IMAGE = { blue: `registry.example.com/shop@${DIGEST_A}`, green: `registry.example.com/shop:2.0.0@${DIGEST_B}` };
const VERSION = { blue: '1.0.0', green: '2.0.0' };
const NAMES = environmentNames({ app: 'shop', stack: 'prod' });
const NET = networkNames({ app: 'shop', stack: 'prod' });

const prodConfig = (): AwsConfig => {
  const r = loadStackFile('prod', ROOT);
  if (!r.ok || r.config.target !== 'aws') throw new Error('prod stack does not validate');
  return r.config;
};

/** Both slots hold a release; `live` takes production traffic. */
const released = (live: Slot) => (raw: Record<string, any>) => {
  raw['slipway:release'] = { live, blue: { image: IMAGE.blue, version: VERSION.blue }, green: { image: IMAGE.green, version: VERSION.green } };
};

/** The one resource of `type` whose physical name (`name` input) or `Name` tag is `physical`. */
function byName(p: Plan, type: string, physical: string): PlannedResource {
  const found = ofType(p, type).filter((r) => (r.inputs.name ?? r.inputs.family) === physical || (r.inputs.tags as Record<string, string> | undefined)?.Name === physical);
  if (found.length !== 1) throw new Error(`expected one ${type} named ${physical}, found ${found.length}`);
  return found[0]!;
}
const idOf = (r: PlannedResource) => computed(r.name, 'id');
const arnOf = (r: PlannedResource) => computed(r.name, 'arn');
const slotOf = (r: PlannedResource): Slot | undefined => /-(blue|green)(?:-|$)/.exec(r.name)?.[1] as Slot | undefined;
const isCustom = (r: PlannedResource) => r.type.startsWith('aws:');
const actions = (p: Plan, listenerPort: number) => ofType(p, T.listener).find((l) => l.inputs.port === listenerPort)?.inputs.defaultActions;

let bare: Plan; // prod as shipped: no releases, blue live
let blueLive: Plan; // both slots released, blue live
let greenLive: Plan; // the same releases, green live
let blueOnly: Plan; // only blue released
let variant: Plan; // another test port, two test blocks, two NAT gateways for three AZs
const VARIANT = { testListenerPort: 9443, testListenerCidrs: ['192.168.0.0/16', '172.16.0.0/12'], natGateways: 2 };

beforeAll(async () => {
  bare = await plan('prod');
  blueLive = await plan('prod', released('blue'));
  greenLive = await plan('prod', released('green'));
  blueOnly = await plan('prod', (raw) => (raw['slipway:release'].blue = { image: IMAGE.blue, version: VERSION.blue }));
  variant = await plan('prod', (raw) => Object.assign(raw['slipway:network'], VARIANT));
}, 120_000);

// Most policies below compare references by id; without ids in the plan they could not hold.
it('the plan carries resource ids as placeholders (pipeline/review/plan.ts must treat an empty mock id as absent)', () => {
  expect(byName(bare, T.subnet, NET.subnet('public', 0)).inputs.vpcId).toBe(idOf(byName(bare, T.vpc, NET.vpc)));
});

describe('blue and green', () => {
  // A slot resource with its release fields masked (also inside JSON documents such as container
  // definitions) and slot names replaced: what must be the same for blue and green.
  const release = new Map<unknown, string>([[IMAGE.blue, 'IMAGE'], [IMAGE.green, 'IMAGE'], [VERSION.blue, 'VERSION'], [VERSION.green, 'VERSION']]);
  const mask = (v: unknown): unknown => {
    if (release.has(v)) return release.get(v);
    if (typeof v === 'string' && /^[[{]/.test(v)) return mask(JSON.parse(v));
    if (Array.isArray(v)) return v.map(mask);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mask(x)]));
    return v;
  };
  // Scaling bounds are the live slot's or the idle slot's (test/aws-production.test.ts holds them).
  const normalized = (r: PlannedResource) => canonicalJson(mask({ type: r.type, name: r.name, inputs: { ...r.inputs, minCapacity: undefined, maxCapacity: undefined } })).replace(/blue|green/g, 'SLOT');
  it.each(['blueLive', 'greenLive'] as const)('are identical except their release and scaling bounds (%s)', (which) => {
    const p = which === 'blueLive' ? blueLive : greenLive;
    const of = (slot: Slot) => p.resources.filter((r) => slotOf(r) === slot).map(normalized).sort();
    expect(of('blue').length).toBeGreaterThan(0);
    expect(of('blue')).toEqual(of('green'));
    const types = new Set(p.resources.filter((r) => slotOf(r) === 'green').map((r) => r.type));
    for (const t of [T.targetGroup, T.logGroup, T.alarm, T.taskDef, T.service]) expect(types).toContain(t);
  });

  it('each refer only to their own slot', () => {
    for (const r of blueLive.resources.filter((x) => slotOf(x))) {
      const other = slotOf(r) === 'blue' ? 'green' : 'blue';
      expect(JSON.stringify(r.inputs), `${r.name} mentions ${other}`).not.toContain(other);
    }
  });
});

describe('routing', () => {
  it.each(SLOTS)('sends all production traffic to the live slot (%s) and none to the idle one', (live) => {
    const p = live === 'blue' ? blueLive : greenLive;
    const tg = (slot: Slot) => arnOf(byName(p, T.targetGroup, NAMES.targetGroup(slot)));
    const idle = idleSlotOf(live);
    const [action] = actions(p, 443) as { type: string; forward: { targetGroups: { arn: string; weight: number }[] } }[];
    expect(action!.type).toBe('forward');
    expect(action!.forward.targetGroups).toEqual(expect.arrayContaining([{ arn: tg(live), weight: 100 }, { arn: tg(idle), weight: 0 }]));
    expect(action!.forward.targetGroups).toHaveLength(2);
  });

  it.each(SLOTS)('reaches the idle slot on the test listener (live %s)', (live) => {
    const p = live === 'blue' ? blueLive : greenLive;
    const idle = idleSlotOf(live);
    expect(actions(p, 8443)).toEqual([{ type: 'forward', targetGroupArn: arnOf(byName(p, T.targetGroup, NAMES.targetGroup(idle))) }]);
  });

  it('flipping live changes only the listeners and the slots\' scaling bounds', () => {
    const inputs = (p: Plan) => new Map(p.resources.map((r) => [r.urn, canonicalJson(r.inputs)]));
    const before = inputs(blueLive);
    const after = inputs(greenLive);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    const changed = blueLive.resources.filter((r) => before.get(r.urn) !== after.get(r.urn));
    const target = 'aws:appautoscaling/target:Target';
    expect(changed.map((r) => r.type).sort()).toEqual([T.listener, T.listener, target, target].sort()); // HTTPS and test; port 80 only redirects
  });

  it('weights always sum to 100 and the test listener never reaches the live slot', () => {
    for (const live of SLOTS) {
      const arns = { blue: 'B', green: 'G' };
      const w = productionAction(live, arns).forward.targetGroups;
      expect(w.reduce((s, g) => s + g.weight, 0)).toBe(100);
      expect(testAction(live, arns).targetGroupArn).not.toBe(arns[live]);
    }
  });

  it('target groups send HTTP to the app port, health-check the health path, drain quickly', () => {
    for (const slot of SLOTS) {
      const tg = byName(bare, T.targetGroup, NAMES.targetGroup(slot)).inputs as Record<string, any>;
      expect(tg).toMatchObject({ targetType: 'ip', protocol: 'HTTP', port: 8080, vpcId: idOf(byName(bare, T.vpc, NET.vpc)) });
      expect(tg.healthCheck).toMatchObject({ path: '/healthz', protocol: 'HTTP' });
      expect(tg.deregistrationDelay).toBeLessThanOrEqual(60);
      expect(tg.name.length).toBeLessThanOrEqual(32);
    }
  });

  it('nothing sticks a client to a slot: no group stickiness on the weighted forward, none on the target groups', () => {
    for (const p of [blueLive, greenLive]) {
      const [action] = actions(p, 443) as { forward: { stickiness?: { enabled: boolean } } }[];
      expect(action!.forward.stickiness).toEqual({ enabled: false, duration: 1 });
      for (const slot of SLOTS) {
        expect(byName(p, T.targetGroup, NAMES.targetGroup(slot)).inputs.stickiness).toEqual({ enabled: false, type: 'lb_cookie' });
      }
    }
  });

  it('puts the load balancer in the public subnets behind its own security group', () => {
    const alb = byName(bare, T.alb, NAMES.loadBalancer).inputs;
    expect(alb).toMatchObject({ internal: false, loadBalancerType: 'application', securityGroups: [idOf(byName(bare, T.sg, NET.securityGroup('alb')))] });
    expect(alb.subnets).toEqual([0, 1, 2].map((az) => idOf(byName(bare, T.subnet, NET.subnet('public', az)))));
  });
});

describe('security groups', () => {
  const rules = (p: Plan) => ofType(p, T.ingress).map((r) => r.inputs as Record<string, any>);
  const albSg = (p: Plan) => idOf(byName(p, T.sg, NET.securityGroup('alb')));
  const taskSg = (p: Plan) => idOf(byName(p, T.sg, NET.securityGroup('tasks')));

  it('let tasks accept the app port only from the load balancer group', () => {
    const toTasks = rules(blueLive).filter((r) => r.securityGroupId === taskSg(blueLive));
    expect(toTasks.length).toBeGreaterThan(0);
    for (const r of toTasks) {
      expect(r).toMatchObject({ referencedSecurityGroupId: albSg(blueLive), ipProtocol: 'tcp', fromPort: 8080, toPort: 8080 });
      expect([r.cidrIpv4, r.cidrIpv6, r.prefixListId]).toEqual([undefined, undefined, undefined]);
    }
    for (const s of ofType(blueLive, T.service)) {
      expect((s.inputs.networkConfiguration as Record<string, unknown>).securityGroups).toEqual([taskSg(blueLive)]);
    }
  });

  it.each([
    ['as shipped', () => bare, 8443, ['10.0.0.0/8']],
    ['with another port and two blocks', () => variant, VARIANT.testListenerPort, VARIANT.testListenerCidrs],
  ] as const)('open nothing to the world but the production ports (80, 443), and the test port only to its blocks (%s)', (_, planned, port, cidrs) => {
    const p = planned();
    for (const sg of ofType(p, T.sg)) expect([sg.inputs.ingress, sg.inputs.egress]).toEqual([undefined, undefined]);
    const all = rules(p);
    for (const r of all) {
      expect(r.ipProtocol).toBe('tcp');
      expect(r.fromPort).toBe(r.toPort);
      if (r.cidrIpv4 === '0.0.0.0/0' || r.cidrIpv6 === '::/0') expect([r.securityGroupId, [80, 443].includes(r.fromPort)]).toEqual([albSg(p), true]);
    }
    const open = (v: 'cidrIpv4' | 'cidrIpv6') => all.filter((r) => r[v] === (v === 'cidrIpv4' ? '0.0.0.0/0' : '::/0'));
    expect(open('cidrIpv4')).toHaveLength(2);
    expect(open('cidrIpv6')).toHaveLength(2);
    const test = all.filter((r) => r.fromPort === port);
    expect(test.map((r) => r.cidrIpv4).sort()).toEqual([...cidrs].sort());
    expect(test.every((r) => r.securityGroupId === albSg(p) && r.cidrIpv6 === undefined)).toBe(true);
  });

  it('let the load balancer out only to tasks, and tasks out only on HTTPS', () => {
    const out = ofType(bare, T.egress).map((r) => r.inputs as Record<string, any>);
    expect(out.filter((r) => r.securityGroupId === albSg(bare))).toEqual([
      expect.objectContaining({ referencedSecurityGroupId: taskSg(bare), fromPort: 8080, toPort: 8080, ipProtocol: 'tcp' }),
    ]);
    expect(out.filter((r) => r.securityGroupId === taskSg(bare))).toEqual([
      expect.objectContaining({ cidrIpv4: '0.0.0.0/0', fromPort: 443, toPort: 443, ipProtocol: 'tcp' }),
    ]);
  });

  it('name rules by port and block, so reordering or repeating blocks renames nothing', () => {
    const keys = (testCidrs: string[]) => loadBalancerIngress({ productionPort: 80, testPort: 8443, testCidrs }).map((r) => r.key).sort();
    expect(keys(['10.0.0.0/8', '10.0.0.0/8', '192.168.0.0/16'])).toEqual(['80-ipv4', '80-ipv6', '8443-10-0-0-0-8', '8443-192-168-0-0-16']);
    expect(keys(['192.168.0.0/16', '10.0.0.0/8'])).toEqual(keys(['10.0.0.0/8', '192.168.0.0/16']));
    expect(() => loadBalancerIngress({ productionPort: 80, testPort: 80, testCidrs: ['10.0.0.0/8'] })).toThrow('network.testListenerPort: 80');
  });
});

describe('slots and their releases', () => {
  it('a slot without a release has no service and no task definition, but keeps its target group, logs and alarms', () => {
    expect(ofType(bare, T.service)).toEqual([]);
    expect(ofType(bare, T.taskDef)).toEqual([]);
    expect(ofType(blueOnly, T.service).map((s) => s.inputs.name)).toEqual([NAMES.service('blue')]);
    for (const p of [bare, blueOnly]) {
      for (const slot of SLOTS) {
        byName(p, T.targetGroup, NAMES.targetGroup(slot));
        byName(p, T.logGroup, NAMES.logGroup(slot));
        byName(p, T.alarm, NAMES.alarm(slot, '5xx'));
        byName(p, T.alarm, NAMES.alarm(slot, 'unhealthy'));
      }
    }
  });

  it.each(SLOTS)('the %s service runs the pinned digest on Fargate in the private subnets', (slot) => {
    const task = byName(blueLive, T.taskDef, NAMES.taskFamily(slot));
    const [container, ...rest] = JSON.parse(task.inputs.containerDefinitions as string);
    expect(rest).toEqual([]);
    expect(container.image).toBe(IMAGE[slot]);
    expect(container.image).toMatch(/@sha256:[a-f0-9]{64}$/);
    expect(container.environment).toEqual([{ name: 'APP_VERSION', value: VERSION[slot] }]);
    expect(container.portMappings).toEqual([{ containerPort: 8080, protocol: 'tcp' }]);
    expect(container.logConfiguration.options['awslogs-group']).toBe(NAMES.logGroup(slot));
    expect(task.inputs).toMatchObject({ cpu: '1024', memory: '2048', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'] });

    const service = byName(blueLive, T.service, NAMES.service(slot)).inputs as Record<string, any>;
    expect(service).toMatchObject({
      taskDefinition: arnOf(task),
      launchType: 'FARGATE',
      desiredCount: 3,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      loadBalancers: [{ targetGroupArn: arnOf(byName(blueLive, T.targetGroup, NAMES.targetGroup(slot))), containerName: container.name, containerPort: 8080 }],
    });
    expect(service.networkConfiguration.assignPublicIp).toBe(false);
    expect(service.networkConfiguration.subnets).toEqual([0, 1, 2].map((az) => idOf(byName(blueLive, T.subnet, NET.subnet('private', az)))));
  });

  it.each(SLOTS)('the %s alarms watch its own target group: 5xx sum and unhealthy hosts', (slot) => {
    const dims = { LoadBalancer: computed(byName(bare, T.alb, NAMES.loadBalancer).name, 'arnSuffix'), TargetGroup: computed(byName(bare, T.targetGroup, NAMES.targetGroup(slot)).name, 'arnSuffix') };
    const common = { namespace: 'AWS/ApplicationELB', comparisonOperator: 'GreaterThanOrEqualToThreshold', period: 60, evaluationPeriods: 2, treatMissingData: 'notBreaching', dimensions: dims };
    expect(byName(bare, T.alarm, NAMES.alarm(slot, '5xx')).inputs).toMatchObject({ ...common, metricName: 'HTTPCode_Target_5XX_Count', statistic: 'Sum', threshold: 5 });
    expect(byName(bare, T.alarm, NAMES.alarm(slot, 'unhealthy')).inputs).toMatchObject({ ...common, metricName: 'UnHealthyHostCount', statistic: 'Maximum', threshold: 1 });
    expect(byName(bare, T.logGroup, NAMES.logGroup(slot)).inputs.retentionInDays).toBe(365);
  });

  it('container definitions carry the version and log to the slot', () => {
    const [c] = containerDefinitions({ image: IMAGE.blue, version: '9.9.9', port: 3000, logGroup: '/g', region: 'eu-west-1', slot: 'green' });
    expect(c!.logConfiguration.options).toEqual({ 'awslogs-group': '/g', 'awslogs-region': 'eu-west-1', 'awslogs-stream-prefix': 'green' });
    expect(c!.environment).toEqual([{ name: 'APP_VERSION', value: '9.9.9' }]);
  });
});

describe('cluster, images and the execution role', () => {
  it('the execution role is trusted by ECS tasks and has only the AWS managed execution policy', () => {
    const role = byName(blueLive, T.role, NAMES.executionRole);
    expect(JSON.parse(role.inputs.assumeRolePolicy as string).Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    expect([role.inputs.inlinePolicies, role.inputs.managedPolicyArns]).toEqual([undefined, undefined]);
    expect(blueLive.resources.filter((r) => /^aws:iam\//.test(r.type) && r.type !== T.role).map((r) => [r.type, r.inputs.role, r.inputs.policyArn])).toEqual([
      [T.attachment, NAMES.executionRole, 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy'],
    ]);
    for (const t of ofType(blueLive, T.taskDef)) {
      expect(t.inputs.executionRoleArn).toBe(arnOf(role));
      expect(t.inputs.taskRoleArn).toBeUndefined();
    }
  });

  it('the cluster has container insights; the repository has immutable tags and scans on push', () => {
    expect(byName(bare, T.cluster, NAMES.cluster).inputs.settings).toEqual([{ name: 'containerInsights', value: 'enabled' }]);
    expect(byName(bare, T.repository, NAMES.repository).inputs).toMatchObject({ imageTagMutability: 'IMMUTABLE', imageScanningConfiguration: { scanOnPush: true } });
  });
});

describe('network', () => {
  const layoutOf = (p: Plan, azCount: number, nats: number) => {
    const NET = networkNames({ app: 'shop', stack: p.stack });
    const subnets = (tier: 'public' | 'private') => Array.from({ length: azCount }, (_, az) => byName(p, T.subnet, NET.subnet(tier, az)));
    const cidrs = subnetLayout(String(byName(p, T.vpc, NET.vpc).inputs.cidrBlock), azCount);
    expect(subnets('public').map((s) => s.inputs.cidrBlock)).toEqual(cidrs.public);
    expect(subnets('private').map((s) => s.inputs.cidrBlock)).toEqual(cidrs.private);
    expect(new Set(subnets('public').map((s) => s.inputs.availabilityZone)).size).toBe(azCount);
    expect(subnets('private').map((s) => s.inputs.availabilityZone)).toEqual(subnets('public').map((s) => s.inputs.availabilityZone));
    expect(ofType(p, T.nat)).toHaveLength(nats);
    expect(ofType(p, T.eip)).toHaveLength(nats);

    // Where each subnet's internet traffic goes: follow association -> route table -> default route.
    const tableOf = (subnet: PlannedResource) => ofType(p, T.association).find((a) => a.inputs.subnetId === idOf(subnet))?.inputs.routeTableId;
    const defaultRoute = (tableId: unknown) => ofType(p, T.route).filter((r) => r.inputs.routeTableId === tableId && r.inputs.destinationCidrBlock === '0.0.0.0/0');
    const igw = idOf(ofType(p, T.igw)[0]!);
    for (const s of subnets('public')) expect(defaultRoute(tableOf(s)).map((r) => r.inputs.gatewayId)).toEqual([igw]);
    subnets('private').forEach((s, az) => {
      const nat = byName(p, T.nat, NET.natGateway(az % nats));
      expect(defaultRoute(tableOf(s)).map((r) => r.inputs.natGatewayId)).toEqual([idOf(nat)]);
      expect(nat.inputs.subnetId).toBe(idOf(subnets('public')[az % nats]!));
    });
  };

  it('prod spans three AZs with a NAT gateway in each', () => {
    expect(byName(bare, T.vpc, NET.vpc).inputs).toMatchObject({ cidrBlock: '10.30.0.0/16', enableDnsHostnames: true });
    layoutOf(bare, 3, 3);
  });

  it('shares NAT gateways round-robin when there are fewer than AZs', () => {
    layoutOf(variant, 3, 2);
  });

  it('refuses impossible layouts with the field name', () => {
    expect(networkLayout({ vpcCidr: '10.0.0.0/16', azCount: 3, natGateways: 2 }).private.map((s) => s.nat)).toEqual([0, 1, 0]);
    expect(() => networkLayout({ vpcCidr: '10.0.0.0/16', azCount: 2, natGateways: 3 })).toThrow('network.natGateways: 3 must be a whole number from 1 to azCount (2)');
    expect(() => networkLayout({ vpcCidr: '10.0.0.0/31', azCount: 2, natGateways: 1 })).toThrow(/^network\.vpcCidr: /);
    expect(() => pickZones(['a', 'b'], 3)).toThrow('network.azCount: 3 zones requested but the region has only 2 available (a, b)');
  });
});

describe('tags', () => {
  // Whether an AWS resource type takes tags, read from the SDK's own type definitions.
  const taggable = new Map<string, boolean>();
  const takesTags = (type: string) => {
    if (!taggable.has(type)) {
      const [, mod, cls] = /^aws:([^:]+):(\w+)$/.exec(type)!;
      const dts = readFileSync(join(ROOT, 'node_modules/@pulumi/aws', `${mod}.d.ts`), 'utf8');
      const args = new RegExp(`export interface ${cls}Args \\{([\\s\\S]*?)\\n\\}`).exec(dts)?.[1] ?? '';
      taggable.set(type, /\n\s+tags\?:/.test(args));
    }
    return taggable.get(type)!;
  };

  it('every taggable resource carries the environment tags, and slot resources their slot', () => {
    const resources = blueLive.resources.filter(isCustom);
    expect(resources.filter((r) => takesTags(r.type)).length).toBeGreaterThan(resources.length / 2);
    expect(takesTags(T.route)).toBe(false);
    for (const r of resources.filter((x) => takesTags(x.type))) {
      const tags = r.inputs.tags as Record<string, string> | undefined;
      expect(tags, r.name).toMatchObject({ environment: 'prod', app: 'shop', 'managed-by': 'slipway', team: 'platform' });
      expect(tags!.slot, r.name).toBe(slotOf(r));
    }
  });
});

describe('outputs and arguments', () => {
  it('exports the production and test URLs: HTTPS on the stack\'s domain', () => {
    expect(bare.outputs).toMatchObject({ publicUrl: 'https://shop.example.com', testUrl: 'https://shop.example.com:8443' });
  });

  it('refuses bad arguments with one line naming the field', () => {
    const config = prodConfig();
    expect(() => validateAwsEnvironmentArgs({ config, stack: 'Prod' })).toThrow('stack: "Prod" must be 1-10 characters');
    // The same rule as stack files: a name AWS would refuse is refused here too.
    expect(() => validateAwsEnvironmentArgs({ config, stack: 'prod-' })).toThrow('stack: "prod-" must be 1-10 characters');
    const bad = structuredClone(config);
    bad.network.natGateways = 4;
    expect(() => validateAwsEnvironmentArgs({ config: bad, stack: 'prod' })).toThrow('slipway:network.natGateways: 4 is more than azCount (3)');
    expect(() => validateAwsEnvironmentArgs({ config, stack: 'prod' })).not.toThrow();
  });
});
