import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alarmSpecs } from '../components/aws/slot';
import { baseTags, environmentNames, networkNames, physicalName, slotTags } from '../components/naming';
import { APP_NAME_MAX, STACK_NAME_MAX } from '../stacks/limits';
import { SLOTS, type AwsConfig } from '../stacks/schema';
import { validateStackConfig } from '../stacks/validate';
import { rawStack } from './mocks';

const PROD = rawStack('prod');

/** Whether the schema accepts this app name and stack name (everything else as in prod). */
function schemaAccepts(app: string, stack: string): boolean {
  const raw = structuredClone(PROD);
  raw['slipway:app'].name = app;
  return validateStackConfig(raw, { stack, file: 'test' }).ok;
}

function loadConfig(stack: string): AwsConfig {
  const r = validateStackConfig(PROD, { stack, file: 'test' });
  if (!r.ok || r.config.target !== 'aws') throw new Error('prod does not validate');
  return r.config;
}

// What AWS (and Docker) accept for each name we set, from their API references.
const ELB = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/;
const ECS = /^[a-zA-Z0-9_-]+$/;
const ECR = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const LOG_GROUP = /^[.\-_/#A-Za-z0-9]+$/;
const IAM = /^[\w+=,.@-]+$/;
const SECURITY_GROUP = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]+$/;
const DOCKER = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Every rule one of our physical names breaks, as readable lines (empty when all are fine). */
function nameProblems(app: string, stack: string): string[] {
  const n = environmentNames({ app, stack });
  const net = networkNames({ app, stack });
  const checks: [string, string, number, RegExp][] = [
    ['ALB', n.loadBalancer, 32, ELB],
    ['ECS cluster', n.cluster, 255, ECS],
    ['ECR repository', n.repository, 256, ECR],
    ['IAM role', n.executionRole, 64, IAM],
    ['Docker network', n.network, 63, DOCKER],
    ['Docker router', n.router, 63, DOCKER],
    ...(['alb', 'tasks'] as const).map((r): [string, string, number, RegExp] => [`security group ${r}`, net.securityGroup(r), 255, SECURITY_GROUP]),
    ...SLOTS.flatMap((slot): [string, string, number, RegExp][] => [
      [`target group ${slot}`, n.targetGroup(slot), 32, ELB],
      [`ECS service ${slot}`, n.service(slot), 255, ECS],
      [`task family ${slot}`, n.taskFamily(slot), 255, ECS],
      [`log group ${slot}`, n.logGroup(slot), 512, LOG_GROUP],
      [`Docker container ${slot}`, n.container(slot), 63, DOCKER],
      ...alarmSpecs(loadConfig('prod').alarms).map((a): [string, string, number, RegExp] => [`alarm ${slot} ${a.key}`, n.alarm(slot, a.key), 255, /^[\x20-\x7e]+$/]),
    ]),
  ];
  const problems: string[] = [];
  for (const [what, name, max, pattern] of checks) {
    if (name.length > max) problems.push(`${what} "${name}" is longer than ${max}`);
    if (!pattern.test(name)) problems.push(`${what} "${name}" does not match ${pattern}`);
  }
  if (n.loadBalancer.startsWith('internal-')) problems.push(`ALB "${n.loadBalancer}" starts with internal-`);
  for (const r of ['alb', 'tasks'] as const) if (net.securityGroup(r).startsWith('sg-')) problems.push(`security group ${r} starts with sg-`);
  return problems;
}

describe('environmentNames', () => {
  it('derives every physical name from app and stack', () => {
    const n = environmentNames({ app: 'shop', stack: 'prod' });
    expect([n.loadBalancer, n.targetGroup('blue'), n.targetGroup('green'), n.cluster, n.repository, n.executionRole]).toEqual([
      'shop-prod', 'shop-prod-blue', 'shop-prod-green', 'shop-prod', 'slipway/shop-prod', 'shop-prod-exec',
    ]);
    expect([n.logGroup('blue'), n.alarm('green', '5xx'), n.service('blue'), n.taskFamily('green')]).toEqual([
      '/slipway/shop/prod/blue', 'shop-prod-green-5xx', 'shop-prod-blue', 'shop-prod-green',
    ]);
  });

  it('gives network pieces console names and security groups a prefix AWS allows', () => {
    const n = networkNames({ app: 'sg-app', stack: 'dev' });
    expect([n.vpc, n.subnet('public', 0), n.subnet('private', 2), n.natGateway(1), n.routeTable('public'), n.routeTable('private', 0)]).toEqual([
      'sg-app-dev', 'sg-app-dev-public-1', 'sg-app-dev-private-3', 'sg-app-dev-nat-2', 'sg-app-dev-public', 'sg-app-dev-private-1',
    ]);
    expect(n.securityGroup('alb')).toBe('slipway-sg-app-dev-alb');
  });

  it('physicalName refuses a name over its limit, as an internal error', () => {
    expect(physicalName(9, 'shop', 'prod')).toBe('shop-prod');
    expect(() => physicalName(8, 'shop', 'prod')).toThrow('internal: name "shop-prod" is longer than 8 characters');
  });

  // Names AWS refuses although they fit the length limits: the schema must reject them.
  const gaps: [string, string, string][] = [
    ['a stack ending in a hyphen', 'shop', 'prod-'],
    ['a double hyphen (ECR)', 'my--shop', 'prod'],
    ['an app starting with internal- (ALB)', 'internal-x', 'prod'],
  ];
  for (const [what, app, stack] of gaps) {
    it(`the schema rejects ${what}, which would make an invalid AWS name`, () => {
      expect(nameProblems(app, stack)).not.toEqual([]);
      expect(schemaAccepts(app, stack)).toBe(false);
    });
  }

  // Every name fits its AWS length limit and character rules for any app
  // and stack name the schema accepts, the longest ones included.
  const appName = fc.stringMatching(new RegExp(`^[a-z][a-z0-9-]{1,${APP_NAME_MAX - 1}}$`));
  const stackName = fc.stringMatching(new RegExp(`^[a-z][a-z0-9-]{0,${STACK_NAME_MAX - 1}}$`));

  it('fit their AWS limits for every app and stack name the schema accepts', () => {
    fc.assert(
      fc.property(appName, stackName, (app, stack) => {
        fc.pre(schemaAccepts(app, stack));
        expect(nameProblems(app, stack)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('fit at the longest names the schema allows', () => {
    const app = `a${'b'.repeat(APP_NAME_MAX - 1)}`;
    const stack = `s${'t'.repeat(STACK_NAME_MAX - 1)}`;
    expect(schemaAccepts(app, stack)).toBe(true);
    expect(nameProblems(app, stack)).toEqual([]);
    expect(schemaAccepts(`${app}c`, stack)).toBe(false);
    expect(schemaAccepts(app, `${stack}u`)).toBe(false);
  });
});

describe('tags', () => {
  it('always carry environment, app and managed-by, and slot tags add the slot', () => {
    const config = loadConfig('prod');
    expect(baseTags(config, 'prod')).toEqual({ team: 'platform', 'cost-center': 'shop', environment: 'prod', app: 'shop', 'managed-by': 'slipway' });
    expect(slotTags(config, 'prod', 'green')).toEqual({ ...baseTags(config, 'prod'), slot: 'green' });
  });

  it('keep Slipway values even if user tags name the same keys', () => {
    const config = { ...loadConfig('prod'), tags: { environment: 'x', app: 'y', 'managed-by': 'z', slot: 'w' } };
    expect(slotTags(config, 'prod', 'blue')).toMatchObject({ environment: 'prod', app: 'shop', 'managed-by': 'slipway', slot: 'blue' });
  });
});
