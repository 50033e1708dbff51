// Disaster recovery of an AWS stack through the real engine and the aws provider double: rebuild after
// the state is lost, rebuild over an intact state, a drill of the idle slot, and a backup restored after
// the state is lost. Nothing reaches AWS: the double creates nothing, so the two things only AWS could
// answer — does the image exist in ECR, does the load balancer serve — are stubbed in the pipeline's
// context (`artifacts`, `smoke`); every engine operation is real.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memorySink } from '../../pipeline/cli/output';
import { createPulumiEngine } from '../../pipeline/engine/automation';
import type { EnginePort } from '../../pipeline/engine/port';
import { deployments } from '../../pipeline/ledger/ledger';
import { drill } from '../../pipeline/recovery/drill';
import { rebuild, type RecoveryContext } from '../../pipeline/recovery/rebuild';
import { deployContext } from '../../pipeline/release/context';
import type { SmokeOptions, SmokeReport } from '../../pipeline/release/smoke';
import { loadStackFile } from '../../stacks/load';
import { ROOT } from '../mocks';
import { doublesEnv, engineProject, type EngineProject } from './project';

const REPO = '123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway/shop-dev';
const digest = (c: string) => `sha256:${c.repeat(64)}`;
let p: EngineProject;
let env: Record<string, string | undefined>;
let smokes: SmokeOptions[];
let restorePath = () => {};

const engine = (): EnginePort => createPulumiEngine({ root: p.dir, env: env as NodeJS.ProcessEnv, targetOf: () => 'aws' });
const context = (): RecoveryContext => ({
  ...deployContext({ cwd: p.dir, output: memorySink(), env, verbose: false }, { actor: 'e2e' }, { engine: engine() }),
  artifacts: () => ({ where: 'ECR', exists: async () => true }),
  smoke: async (o): Promise<SmokeReport> => {
    smokes.push(o);
    return { ok: true, url: o.baseUrl, elapsedMs: 1, checks: [] };
  },
});
const config = () => {
  const v = loadStackFile('dev', p.dir);
  if (!v.ok) throw new Error(v.errors.join('\n'));
  return v.config;
};
const stateDir = () => join(p.dir, '.slipway', 'state-aws');
const outputs = async () => (await (await engine().selectStack('dev')).outputs()) as Record<string, unknown>;

beforeAll(async () => {
  p = await engineProject('aws');
  const file = join(p.dir, 'stacks', 'Pulumi.dev.yaml');
  const doc = parse(readFileSync(file, 'utf8')) as { config: Record<string, any> };
  doc.config['slipway:release'] = {
    live: 'green',
    blue: { image: `${REPO}:1.0.0@${digest('a')}`, version: '1.0.0' },
    green: { image: `${REPO}:2.0.0@${digest('b')}`, version: '2.0.0' },
  };
  writeFileSync(file, stringify(doc));
  mkdirSync(stateDir(), { recursive: true });
  const doubles = doublesEnv(p.dir, stateDir());
  env = doubles.env;
  restorePath = doubles.restore;
});
afterAll(async () => {
  restorePath();
  await p?.cleanup();
});

describe.sequential('AWS stack recovery through the real engine (aws provider double)', () => {
  it('state lost: a fresh stack comes back whole, the recorded release in each slot, green live, both routes checked', async () => {
    smokes = [];
    const out = await rebuild(context(), 'dev', { config: config(), startedAt: new Date() });
    expect(out).toMatchObject({ stack: 'dev', mode: 'state-lost' });
    expect(out.rebuilt).toBeGreaterThan(40);
    expect(smokes.map((s) => s.expectVersion)).toEqual(['2.0.0', '1.0.0']);
    expect(await outputs()).toMatchObject({ target: 'aws', liveSlot: 'green', blueVersion: '1.0.0', greenVersion: '2.0.0' });
    const [d] = deployments(await context().ledger.read('dev'));
    expect(d).toMatchObject({ kind: 'recovery', status: 'recovered' });
  });

  it('state intact: refresh, then an up with nothing to create', async () => {
    const out = await rebuild(context(), 'dev', { config: config(), startedAt: new Date() });
    expect(out.rebuilt).toBe(0);
  });

  it("a drill replaces only the idle slot's ECS service and task definition", async () => {
    smokes = [];
    const out = await drill(context(), 'dev', { startedAt: new Date() });
    expect(out).toMatchObject({ slot: 'blue', version: '1.0.0' });
    expect(out.replaced.length).toBeGreaterThan(0);
    expect(out.replaced.every((urn) => urn.includes('blue'))).toBe(true);
    expect(smokes.map((s) => s.expectVersion)).toEqual(['1.0.0']);
    expect(await outputs()).toMatchObject({ liveSlot: 'green' });
  });

  it('a backup restores the stack after its state is lost', async () => {
    const backupEnv = { PULUMI_BACKEND_URL: `file://${stateDir()}`, PULUMI_CONFIG_PASSPHRASE: '' };
    const file = join(p.dir, 'dev.backup.json');
    const b = await p.slipway(['backup', '--stack', 'dev', '--out', file], { env: backupEnv });
    expect(b.exitCode, b.all).toBe(0);
    const before = await outputs();
    rmSync(stateDir(), { recursive: true, force: true });
    mkdirSync(stateDir(), { recursive: true });
    const r = await p.slipway(['restore', '--stack', 'dev', '--from', file], { env: backupEnv });
    expect(r.exitCode, r.all).toBe(0);
    expect(await outputs()).toEqual(before);
    const preview = await (await engine().selectStack('dev')).preview();
    expect(Object.keys(preview.changes).filter((k) => k !== 'same')).toEqual([]);
  });
});
