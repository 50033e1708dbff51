// Drift: a refresh in preview mode through the engine port, against the engine double with scripted
// refresh steps; exit 0 without drift, 2 with.
import { mkdtempSync, cpSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../pipeline/cli/main';
import { driftCommand, registerDrift } from '../pipeline/cli/commands/drift';
import { detectDrift, driftOf, isIgnored, renderDrift } from '../pipeline/review/drift';
import { readLastChecks } from '../pipeline/review/lastChecks';
import type { PreviewStep } from '../pipeline/engine/port';
import { DriftDetected, EXIT, exitCodeFor, UserError } from '../pipeline/cli/errors';
import { memorySink } from '../pipeline/cli/output';
import { EngineDouble } from './support/engineDouble';
import { ROOT } from './mocks';

const urn = (stack: string, type: string, name: string) => `urn:pulumi:${stack}::slipway::${type}::${name}`;
const TG = 'aws:lb/targetGroup:TargetGroup';
const EIP = 'aws:ec2/eip:Eip';
const STACK = 'pulumi:pulumi:Stack';

/** What Pulumi reports when someone changed a target group's health check and deleted a NAT address. */
const stagingSteps: PreviewStep[] = [
  { op: 'refresh', urn: urn('staging', STACK, 'slipway-staging'), type: STACK, diff: {} },
  {
    op: 'update',
    urn: urn('staging', TG, 'shop-lb-blue'),
    type: TG,
    diff: { 'tags.owner': 'add', 'healthCheck.interval': 'update' },
    old: { outputs: { healthCheck: { interval: 10 }, tags: { app: 'shop' } } },
    new: { outputs: { healthCheck: { interval: 60 }, tags: { app: 'shop', owner: 'mallory' } } },
  },
  { op: 'delete', urn: urn('staging', EIP, 'shop-network-nat-0-eip'), type: EIP, diff: {} },
  { op: 'same', urn: urn('staging', TG, 'shop-lb-green'), type: TG, diff: {} },
];

let cwd: string;
let engine: EngineDouble;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'slipway-drift-'));
  cpSync(join(ROOT, 'stacks'), join(cwd, 'stacks'), { recursive: true });
  engine = new EngineDouble();
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

const ctx = () => ({ cwd, output: memorySink(), env: {}, verbose: false, engine });

describe('driftOf', () => {
  it('keeps the steps that are drift, with their changed property paths, and drops same and quiet refreshes', () => {
    expect(driftOf(stagingSteps)).toEqual([
      {
        urn: urn('staging', TG, 'shop-lb-blue'),
        type: TG,
        name: 'shop-lb-blue',
        op: 'update',
        kind: 'changed',
        properties: [
          { path: 'healthCheck.interval', kind: 'update', before: 10, after: 60 },
          { path: 'tags.owner', kind: 'add', after: 'mallory' },
        ],
      },
      { urn: urn('staging', EIP, 'shop-network-nat-0-eip'), type: EIP, name: 'shop-network-nat-0-eip', op: 'delete', kind: 'deleted', properties: [] },
    ]);
  });

  it('counts a refresh step that carries a diff as drift', () => {
    const [r] = driftOf([{ op: 'refresh', urn: urn('dev', TG, 'tg'), type: TG, diff: { port: 'update' } }]);
    expect(r).toMatchObject({ kind: 'changed', op: 'refresh', properties: [{ path: 'port', kind: 'update' }] });
  });

  it('reads a refresh step with an old state and no new one as deleted outside Pulumi', () => {
    const [r] = driftOf([{ op: 'refresh', urn: urn('dev', EIP, 'eip'), type: EIP, diff: {}, old: { outputs: { domain: 'vpc' } } }]);
    expect(r).toMatchObject({ kind: 'deleted', name: 'eip', properties: [] });
  });

  it('finds the changed properties in the states when a refresh step carries no diff', () => {
    const step: PreviewStep = {
      op: 'refresh',
      urn: urn('dev', TG, 'tg'),
      type: TG,
      diff: {},
      old: { outputs: { port: 8080, tags: { 'cost-center': 'shop' } } },
      new: { outputs: { port: 8080, tags: { 'cost-center': 'web' } } },
    };
    expect(driftOf([step])[0]!.properties).toEqual([{ path: 'tags["cost-center"]', kind: 'update', before: 'shop', after: 'web' }]);
    expect(driftOf([{ ...step, new: structuredClone(step.old) }])).toEqual([]);
  });

  it('reads each changed property\'s values at the path the engine reports (quoted keys, indexes)', () => {
    const state = (tag: string, port: number) => ({ inputs: {}, outputs: { tags: { 'cost-center': tag }, ports: [{ internal: port }] } });
    const [r] = driftOf([{ op: 'refresh', urn: urn('dev', 'aws:ecs/service:Service', 'svc'), type: 'aws:ecs/service:Service', diff: { 'tags["cost-center"]': 'update', 'ports[0].internal': 'update' }, old: state('shop', 80), new: state('web', 81) }]);
    expect(r!.properties).toEqual([
      { path: 'ports[0].internal', kind: 'update', before: 80, after: 81 },
      { path: 'tags["cost-center"]', kind: 'update', before: 'shop', after: 'web' },
    ]);
  });
});

describe('slipway drift', () => {
  it('reports drift per stack and exits 2, refreshing in preview mode only', async () => {
    engine.seed('staging').refreshSteps = stagingSteps;
    engine.seed('prod');
    const o = ctx();
    const err = await driftCommand({ ...o, stacks: ['staging', 'prod'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriftDetected);
    expect(exitCodeFor(err)).toBe(EXIT.drift);
    expect(EXIT.drift).toBe(2);
    expect((err as DriftDetected).problems).toEqual([
      'drift: 2 resources changed outside Pulumi in staging (`pulumi refresh` takes the real state into the stack; `pulumi up` puts the code\'s back)',
    ]);
    expect(o.output.stdout).toBe(
      [
        'staging: 2 resources changed outside Pulumi',
        `  ~ ${TG}  shop-lb-blue`,
        '      healthCheck.interval: 10 → 60',
        '      tags.owner (add): (unset) → "mallory"',
        `  - ${EIP}  shop-network-nat-0-eip  deleted outside Pulumi`,
        'prod: no drift',
        '',
      ].join('\n'),
    );
    expect(engine.stacks.get('staging')!.refreshes).toEqual([{ previewOnly: true }]);
    // What the console shows as each stack's last drift check.
    expect(readLastChecks(o.cwd, 'staging').drift).toMatchObject({ clean: false, summary: '2 resources changed outside Pulumi' });
    expect(readLastChecks(o.cwd, 'prod').drift).toMatchObject({ clean: true, summary: 'no drift' });
    expect(engine.stacks.get('prod')!.refreshes).toEqual([{ previewOnly: true }]);
    // Nothing was applied.
    expect(engine.stacks.get('staging')!.ups).toEqual([]);
  });

  it('exits 0 when nothing drifted, checking every stack file by default', async () => {
    const o = ctx();
    const report = await driftCommand(o);
    expect(report.map((s) => [s.stack, s.drifted])).toEqual([
      ['dev', []],
      ['local', []],
      ['prod', []],
      ['staging', []],
    ]);
    expect(o.output.stdout).toBe('dev: no drift\nlocal: no drift\nprod: no drift\nstaging: no drift\n');
  });

  it('from the command line: repeated --stack, --json on stdout, exit 2', async () => {
    engine.seed('staging').refreshSteps = stagingSteps;
    const output = memorySink();
    const code = await run(['drift', '--stack', 'staging', '--stack', 'dev', '--json'], { cwd, output, commands: [(p, c) => registerDrift(p, c, engine)] });
    expect(code).toBe(EXIT.drift);
    const report = JSON.parse(output.stdout) as { stack: string; drifted: { name: string; kind: string }[] }[];
    expect(report.map((s) => [s.stack, s.drifted.map((d) => `${d.kind} ${d.name}`)])).toEqual([
      ['staging', ['changed shop-lb-blue', 'deleted shop-network-nat-0-eip']],
      ['dev', []],
    ]);
    expect(output.stderr).toMatch(/^drift: 2 resources changed outside Pulumi in staging/);
    expect(engine.stacks.get('local')).toBeUndefined();
  });

  it('refuses a stack without a stack file before asking the engine anything', async () => {
    const err = await driftCommand({ ...ctx(), stacks: ['qa'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).problems).toEqual(['--stack: "qa" has no stack file (stacks: dev, local, prod, staging)']);
    expect(engine.selects).toBe(0);
  });

  it('prints no secret: engine secret envelopes and [secret] masks show as [secret] in text and JSON', async () => {
    const envelope = (value: unknown) => ({ '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270', value });
    const DB = 'aws:rds/instance:Instance';
    engine.seed('staging').refreshSteps = [
      {
        op: 'update',
        urn: urn('staging', DB, 'shop-db'),
        type: DB,
        diff: { password: 'update', 'environment.TOKEN': 'update', masked: 'update' },
        old: { outputs: { password: envelope('hunter2'), environment: envelope({ TOKEN: 'tok-old' }), masked: '[secret]' } },
        new: { outputs: { password: envelope('hunter3'), environment: envelope({ TOKEN: 'tok-new' }), masked: 'plain-now' } },
      },
      // No detailed diff: the drift is found by comparing the states, secrets compared but masked.
      { op: 'refresh', urn: urn('staging', DB, 'shop-db-2'), type: DB, diff: {}, old: { outputs: { password: envelope('a1') } }, new: { outputs: { password: envelope('a2') } } },
    ];
    const text = ctx();
    await driftCommand({ ...text, stacks: ['staging'] }).catch(() => undefined);
    expect(text.output.stdout.split('\n')).toEqual([
      'staging: 2 resources changed outside Pulumi',
      `  ~ ${DB}  shop-db`,
      '      environment.TOKEN: [secret] → [secret]',
      '      masked: [secret] → "plain-now"',
      '      password: [secret] → [secret]',
      `  ~ ${DB}  shop-db-2`,
      '      password: [secret] → [secret]',
      '',
    ]);
    const json = ctx();
    await driftCommand({ ...json, stacks: ['staging'], json: true }).catch(() => undefined);
    const report = JSON.parse(json.output.stdout) as { drifted: { properties: unknown[] }[] }[];
    expect(report[0]!.drifted[0]!.properties).toEqual([
      { path: 'environment.TOKEN', kind: 'update', before: '[secret]', after: '[secret]' },
      { path: 'masked', kind: 'update', before: '[secret]', after: 'plain-now' },
      { path: 'password', kind: 'update', before: '[secret]', after: '[secret]' },
    ]);
    expect(text.output.stdout + json.output.stdout).not.toMatch(/hunter|tok-|a1|a2/);
  });

  it('renders a changed resource without property paths by its operation', () => {
    expect(renderDrift([{ stack: 'dev', drifted: [{ urn: 'u', type: TG, name: 'tg', op: 'replace', kind: 'changed', properties: [] }] }])).toEqual([
      'dev: 1 resource changed outside Pulumi',
      `  ~ ${TG}  tg  (replace)`,
    ]);
  });
});

describe('inputs the program leaves to something else', () => {
  const SVC = 'aws:ecs/service:Service';
  const scaled = {
    op: 'refresh',
    urn: urn('prod', SVC, 'shop-blue-service'),
    type: SVC,
    diff: { desiredCount: 'update' },
    old: { outputs: { desiredCount: 3, tags: { team: 'platform' } } },
    new: { outputs: { desiredCount: 7, tags: { team: 'platform' } } },
  };
  const ignored = new Map([[`${SVC}::shop-blue-service`, ['desiredCount']]]);

  it('a service scaled out by autoscaling (ignoreChanges: desiredCount) is not drift', () => {
    expect(driftOf([scaled])).toHaveLength(1); // without the program's word, it would be
    expect(driftOf([scaled], ignored)).toEqual([]);
  });

  it('anything else changed on that service still is', () => {
    const both = { ...scaled, diff: { desiredCount: 'update', 'tags.team': 'update' }, new: { outputs: { desiredCount: 7, tags: { team: 'web' } } } };
    expect(driftOf([both], ignored)).toEqual([
      expect.objectContaining({ name: 'shop-blue-service', properties: [{ path: 'tags.team', kind: 'update', before: 'platform', after: 'web' }] }),
    ]);
    // Deleted outside Pulumi is drift whatever is ignored.
    expect(driftOf([{ ...scaled, op: 'delete', new: undefined }], ignored)).toEqual([expect.objectContaining({ kind: 'deleted' })]);
  });

  it('matches an ignored input and what lies under it, not a longer name', () => {
    expect(isIgnored('envs', ['envs'])).toBe(true);
    expect(isIgnored('envs[2]', ['envs'])).toBe(true);
    expect(isIgnored('containerDefinitions.image', ['containerDefinitions'])).toBe(true);
    expect(isIgnored('desiredCountX', ['desiredCount'])).toBe(false);
  });
});

describe('when the stack is planned for its ignored inputs', () => {
  it('only when the refresh found a changed property to weigh: a clean stack, or one with a deletion only, needs no plan', async () => {
    const asked: string[] = [];
    const ignoredOf = async (stack: string) => {
      asked.push(stack);
      return new Map<string, string[]>();
    };
    engine.seed('prod');
    engine.seed('dev').refreshSteps = [{ op: 'delete', urn: urn('dev', EIP, 'eip'), type: EIP, diff: {}, old: { outputs: { domain: 'vpc' } } }];
    engine.seed('staging').refreshSteps = stagingSteps;
    const report = await detectDrift(engine, ['prod', 'dev', 'staging'], { ignoredOf });
    expect(asked).toEqual(['staging']);
    expect(report.map((s) => s.drifted.length)).toEqual([0, 1, 2]);
  });
});
