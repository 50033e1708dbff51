// Environment parity: the shipped stacks differ only in declared knobs, and a component that branches
// on the stack name — injected here through a stack transformation, not by editing a component — is
// caught as undeclared.
import * as pulumi from '@pulumi/pulumi';
import { describe, expect, it } from 'vitest';
import { run } from '../pipeline/cli/main';
import { parityCommand, registerParity } from '../pipeline/cli/commands/parity';
import { CheckFailed, EXIT, exitCodeFor, UserError } from '../pipeline/cli/errors';
import { commandContext, memorySink } from '../pipeline/cli/output';
import { differingKnobs, parity, sameUpToStackName, type ParityReport } from '../pipeline/review/parity';
import { renderParity } from '../pipeline/review/parityRender';
import { indexWithExtra, projectCopy } from './support/projectCopy';
import { validateStackConfig } from '../stacks/validate';
import type { SlipwayConfig } from '../stacks/schema';
import { rawStack, ROOT } from './mocks';

const TARGET_GROUP = 'aws:lb/targetGroup:TargetGroup';

/** A component change that only prod gets: a slower health check on the target groups. */
function prodOnlyHealthCheck(): void {
  pulumi.runtime.registerStackTransformation((args) => {
    if (pulumi.getStack() !== 'prod' || args.type !== TARGET_GROUP) return undefined;
    const props = args.props as Record<string, any>;
    return { props: { ...props, healthCheck: { ...props.healthCheck, interval: 30 } }, opts: args.opts };
  });
}

const config = (stack: string, raw: Record<string, unknown>): SlipwayConfig => {
  const v = validateStackConfig(raw, { stack, file: stack });
  if (!v.ok) throw new Error(v.errors.join('\n'));
  return v.config;
};

describe('slipway parity on the shipped stacks', () => {
  it('staging and prod differ only in declared knobs, each difference named by its knob (exit 0)', async () => {
    const output = memorySink();
    expect(await run(['parity', 'staging', 'prod', '--json'], { cwd: ROOT, output, commands: [registerParity] })).toBe(EXIT.ok);
    const report = JSON.parse(output.stdout) as ParityReport;
    expect(report.ok).toBe(true);
    expect(report.undeclared).toEqual([]);
    expect(report.knobs.map((k) => k.knob)).toEqual(['slipway:capacity', 'slipway:domain', 'slipway:logs', 'slipway:network', 'slipway:promotion']);
    // Manual approval makes a production stack: its load balancer is protected and its access logs kept.
    expect(report.knobs.find((k) => k.knob === 'slipway:promotion')).toMatchObject({ differences: 2 });

    const find = (type: string, name: string, path?: string) => report.declared.filter((d) => d.type === type && d.name === name && d.path === path);
    expect(find('aws:ecs/taskDefinition:TaskDefinition', 'shop-blue-task', 'cpu')).toEqual([
      { kind: 'changed', type: 'aws:ecs/taskDefinition:TaskDefinition', name: 'shop-blue-task', path: 'cpu', a: '512', b: '1024', knobs: ['slipway:capacity.cpu'] },
    ]);
    expect(find('aws:ecs/service:Service', 'shop-green-service', 'desiredCount')[0]?.knobs).toEqual(['slipway:capacity.desiredCount']);
    expect(find('aws:cloudwatch/logGroup:LogGroup', 'shop-blue-logs', 'retentionInDays')[0]).toMatchObject({ a: 30, b: 365, knobs: ['slipway:logs.retentionDays'] });
    // A third availability zone: subnets only prod has, from azCount.
    expect(find('aws:ec2/subnet:Subnet', 'shop-network-public-2')).toEqual([
      { kind: 'added', type: 'aws:ec2/subnet:Subnet', name: 'shop-network-public-2', knobs: ['slipway:network.azCount'] },
    ]);
    // natGateways 3 with azCount 2 is no valid configuration: it is told apart by leaving it out instead.
    expect(find('aws:ec2/natGateway:NatGateway', 'shop-network-nat-2')[0]?.knobs).toEqual(['slipway:network.natGateways']);
    // CIDR-derived values: a different VPC block and more subnets both move every subnet's block.
    expect(find('aws:ec2/subnet:Subnet', 'shop-network-private-1', 'cidrBlock')[0]?.knobs.sort()).toEqual(['slipway:network.azCount', 'slipway:network.vpcCidr']);
    // Names carry the stack name and are no difference at all (a DNS name is a knob of its own).
    expect(report.declared.filter((d) => (d.path === 'name' && d.type !== 'aws:route53/record:Record') || d.path?.startsWith('tags'))).toEqual([]);

    const text = renderParity(report).join('\n');
    expect(text).toMatch(/^Parity of staging and prod \(aws\): \d+ differences, all from declared knobs$/m);
    expect(text).toContain('slipway:promotion: approval "auto" → "manual", approvers [] → ["alice", "bob"], bakeSeconds 60 → 300\n');
    expect(text).toContain('  ~ aws:lb/loadBalancer:LoadBalancer  shop-lb-alb  enableDeletionProtection: false → true  ← slipway:promotion.approval');
    expect(text).toContain('  ~ aws:route53/record:Record  shop-lb-alias  name: "staging.shop.example.com" → "shop.example.com"  ← slipway:domain.name');
    expect(text).toContain('  ~ aws:ecs/taskDefinition:TaskDefinition  shop-blue-task  cpu: "512" → "1024"  ← slipway:capacity.cpu');
    expect(text).toContain('  + aws:ec2/subnet:Subnet  shop-network-public-2  (only in prod)  ← slipway:network.azCount');
  }, 60000);

  it('refuses a stack compared with itself', async () => {
    await expect(parity('prod', 'prod', { root: ROOT })).rejects.toThrow('parity: give two different stacks (got prod twice)');
  });

  it('refuses stacks of different targets in one line, before planning anything', async () => {
    const err = await parity('staging', 'local', { root: ROOT }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).problems).toEqual([
      'parity: staging targets aws and local targets docker; only stacks of the same target can be compared',
    ]);
  });
});

describe('slipway parity catches what no knob explains', () => {
  // prod here is staging with one knob changed, so three plans suffice.
  const staging = rawStack('staging');
  const prod = rawStack('staging');
  prod['slipway:logs'].retentionDays = 365;

  it('a component branching on the stack name is undeclared (exit 1), and the knob still declared', async () => {
    const original = pulumi.runtime.runInPulumiStack;
    const output = memorySink();
    const err = await parityCommand({
      ...commandContext({ cwd: ROOT, output }),
      stackA: 'staging',
      stackB: 'prod',
      configs: { staging, prod },
      beforeProgram: prodOnlyHealthCheck,
      json: true,
    }).catch((e: unknown) => e);
    expect(pulumi.runtime.runInPulumiStack).toBe(original);
    expect(err).toBeInstanceOf(CheckFailed);
    expect(exitCodeFor(err)).toBe(EXIT.failure);
    expect((err as CheckFailed).problems).toEqual(['parity: 2 differences between staging and prod come from no declared knob']);

    const report = JSON.parse(output.stdout) as ParityReport;
    expect(report.ok).toBe(false);
    expect(report.undeclared).toEqual(
      ['shop-lb-blue', 'shop-lb-green'].map((name) => ({
        kind: 'changed',
        type: TARGET_GROUP,
        name,
        path: 'healthCheck.interval',
        a: 10,
        b: 30,
        knobs: [],
        reason: 'planned with the same configuration, staging and prod still differ here: a component branches on the stack name',
      })),
    );
    expect(report.declared.map((d) => [d.name, d.knobs])).toEqual([
      ['shop-blue-logs', ['slipway:logs.retentionDays']],
      ['shop-green-logs', ['slipway:logs.retentionDays']],
      ['shop-access-logs-lifecycle', ['slipway:logs.retentionDays']],
    ]);
    expect(renderParity(report).join('\n')).toContain(
      `Undeclared — not explained by any knob of the schema (2):\n  ~ ${TARGET_GROUP}  shop-lb-blue  healthCheck.interval: 10 → 30\n`,
    );
  }, 60000);

  it('sees a resource added only in index.ts (at its top level, on prod only) and shows no secret, in text or JSON', async () => {
    const { dir, remove } = projectCopy({ 'index.ts': indexWithExtra({ onlyOn: 'prod', topLevel: true }) });
    try {
      const withKey = (raw: Record<string, any>, cipher: string) => ({ ...raw, 'shop:apiKey': { secure: cipher } });
      const output = memorySink();
      const err = await parityCommand({
        ...commandContext({ cwd: dir, output }),
        stackA: 'staging',
        stackB: 'prod',
        configs: { staging: withKey(staging, 'v1:AAAAcipher'), prod: withKey(prod, 'v1:BBBBcipher') },
        json: true,
      }).catch((e: unknown) => e);
      expect((err as CheckFailed).problems).toEqual(['parity: 1 difference between staging and prod comes from no declared knob']);
      const report = JSON.parse(output.stdout) as ParityReport;
      expect(report.undeclared.map((d) => [d.kind, d.type, d.name])).toEqual([['added', 'test:index:Extra', 'extra']]);
      expect(report.knobs).toEqual([
        { knob: 'shop:apiKey', changes: [{ path: '', before: '[secret]', after: '[secret]' }], differences: 0 },
        { knob: 'slipway:logs', changes: [{ path: 'retentionDays', before: 30, after: 365 }], differences: 3 },
      ]);
      const text = renderParity(report).join('\n');
      expect(text).toContain('shop:apiKey: [secret] → [secret]\n  no resource difference');
      expect(text).toContain('  + test:index:Extra  extra  (only in prod)');
      expect(output.stdout + text).not.toMatch(/cipher|hunter2|s3cr3t/);
    } finally {
      remove();
    }
  }, 60000);

  it('application settings that differ are undeclared: the app is not a knob', async () => {
    const other = rawStack('staging');
    other['slipway:app'].healthPath = '/health';
    other['slipway:app'].name = 'shop2';
    const report = await parity('staging', 'prod', { root: ROOT, configs: { staging, prod: other } });
    expect(report.undeclared).toEqual([
      { kind: 'config', type: 'slipway:app', name: '', path: 'healthPath', a: '/healthz', b: '/health', knobs: [], reason: 'the application is not a knob: every environment runs the same application settings' },
    ]);
    expect(report.notes).toContain('App names differ (shop, shop2): both planned as shop.');
    expect(report.knobs).toEqual([]);
  }, 60000);
});

describe('parity helpers', () => {
  it('sameUpToStackName equates names that differ only in the stack, as whole words', () => {
    const same = sameUpToStackName('staging', 'prod');
    expect(same('shop-staging-blue', 'shop-prod-blue')).toBe(true);
    expect(same('/slipway/shop/staging/blue', '/slipway/shop/prod/blue')).toBe(true);
    expect(same('urn:pulumi:staging::slipway::pulumi:pulumi:Stack::slipway-staging', 'urn:pulumi:prod::slipway::pulumi:pulumi:Stack::slipway-prod')).toBe(true);
    expect(same('shop-stagingx', 'shop-prodx')).toBe(false);
    expect(same('10', '30')).toBe(false);
    // A stack named like an ordinary word is still told apart from that word.
    const blue = sameUpToStackName('staging', 'blue');
    expect(blue('shop-staging-blue', 'shop-blue-blue')).toBe(true);
    expect(blue('blue', 'blue')).toBe(true);
    expect(blue('green', 'blue')).toBe(false);
  });

  it('differingKnobs compares validated values (defaults applied) and leaves out app, release and target', () => {
    const a = rawStack('staging');
    const b = rawStack('staging');
    delete a['slipway:logs']; // the default, 30 days, as b states it
    b['slipway:release'] = { live: 'green', blue: {}, green: {} };
    b['slipway:app'].port = 9090;
    b['aws:region'] = 'eu-west-1';
    b['slipway:tags']['cost-center'] = 'web';
    expect(differingKnobs(a, b, config('staging', a), config('prod', b))).toEqual([
      { key: 'aws:region', changes: [{ path: '', before: 'us-east-1', after: 'eu-west-1' }], a: 'us-east-1', b: 'eu-west-1' },
      {
        key: 'slipway:tags',
        changes: [{ path: 'cost-center', before: 'shop', after: 'web' }],
        a: { team: 'platform', 'cost-center': 'shop' },
        b: { team: 'platform', 'cost-center': 'web' },
      },
    ]);
  });
});
