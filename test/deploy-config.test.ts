// A change of the app's configuration is a release: against the engine double, deploying the artifact
// already live carries a new value to the idle slot, smoke-tests it there and switches; the live slot
// keeps its configuration until then, a rollback returns to it, and no value reaches the ledger or the
// progress lines.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rollback } from '../pipeline/release/rollback';
import { approve, deploy, type Artifact, type DeployContext } from '../pipeline/release/deploy';
import { AwaitingApproval } from '../pipeline/cli/errors';
import { deployments, Ledger } from '../pipeline/ledger/ledger';
import { fileLock } from '../pipeline/release/lock';
import { jsonProgress } from '../pipeline/release/progress';
import type { SmokeOptions, SmokeReport } from '../pipeline/release/smoke';
import { idleSlotOf } from '../components/slots';
import { appConfigId } from '../stacks/appEnv';
import type { Slot } from '../stacks/schema';
import { EngineDouble, type StackDouble } from './support/engineDouble';
import { DIGEST_A } from './mocks';

const V1: Artifact = { ref: `shop:1.0.0@${DIGEST_A}`, digest: DIGEST_A, version: '1.0.0' };
const FIRST = 'postgres://shop:first-s3cr3t@db1.internal/shop';
const SECOND = 'postgres://shop:second-s3cr3t@db2.internal/shop';
const LEAKS = /s3cr3t|internal\/shop/;
const ENV = { LOG_LEVEL: 'info' };
const idOf = (value: string) => appConfigId('shop', ENV, { DATABASE_URL: value });

let dir: string;
let engine: EngineDouble;
let ctx: DeployContext;
let progress: string;
/** What each smoke call saw: the route, the slot behind it and that slot's configuration id. */
let seen: { route: string; slot: Slot; config: string }[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-deploy-config-'));
  engine = new EngineDouble();
  progress = '';
  seen = [];
  const clock = { t: Date.parse('2026-11-22T10:00:00Z') };
  const smoke = async (opts: SmokeOptions): Promise<SmokeReport> => {
    const applied = engine.stacks.get('local')!.applied!;
    const route = opts.baseUrl.endsWith('.public') ? 'public' : 'test';
    const slot = route === 'public' ? applied.live : idleSlotOf(applied.live);
    seen.push({ route, slot, config: applied.configs[slot] });
    return { ok: true, url: opts.baseUrl, elapsedMs: 1, checks: [{ name: '/', path: '/', ok: true, attempts: 1 }] };
  };
  ctx = {
    engine,
    ledger: new Ledger(join(dir, 'ledger')),
    lock: fileLock(join(dir, 'locks')),
    smoke,
    signals: () => ({ firing: async () => [] }),
    progress: jsonProgress({ write: (s: string) => void (progress += s) }),
    now: () => new Date(clock.t),
    sleep: async (ms) => {
      clock.t += ms;
    },
    actor: 'ci',
  };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The local stack with LOG_LEVEL and a DATABASE_URL secret, values as the engine hands them over. */
function seed(edit?: (raw: Record<string, any>) => void): StackDouble {
  return engine.seed('local', (raw) => {
    raw['slipway:app'].env = ENV;
    raw['slipway:app'].secrets = ['DATABASE_URL'];
    raw['slipway:secret.DATABASE_URL'] = FIRST;
    edit?.(raw);
  });
}
const release = (s: StackDouble) => s.config['slipway:release'] as Record<string, any>;

describe('a changed secret value is deployed like a release', () => {
  it('the same artifact again: the idle slot gets the new value, is smoke-tested with it, then takes traffic', async () => {
    const s = seed();
    await deploy(ctx, 'local', V1);
    expect(release(s)).toMatchObject({ live: 'green', green: { image: V1.ref, config: idOf(FIRST) } });

    s.config['slipway:secret.DATABASE_URL'] = SECOND;
    seen = [];
    const out = await deploy(ctx, 'local', V1);
    expect(out).toMatchObject({ status: 'live', slot: 'blue', from: 'green' });
    expect(release(s)).toMatchObject({ live: 'blue', blue: { image: V1.ref, config: idOf(SECOND) }, green: { image: V1.ref, config: idOf(FIRST) } });
    // Before the switch the test route served the new configuration and the public route the old one.
    const beforeSwitch = seen.filter((c) => c.route === 'test');
    expect(beforeSwitch.length).toBeGreaterThan(0);
    expect(beforeSwitch.every((c) => c.slot === 'blue' && c.config === idOf(SECOND))).toBe(true);
    // After it, the public route serves the new one.
    const afterSwitch = seen.filter((c) => c.route === 'public');
    expect(afterSwitch.every((c) => c.slot === 'blue' && c.config === idOf(SECOND))).toBe(true);

    // Every up before the switch left green, the live slot, with its recorded configuration.
    const upsBefore = s.ups.filter((u) => !/switch/.test(u.message ?? '')).slice(-2);
    for (const u of upsBefore) expect((u.config['slipway:release'] as Record<string, any>).green.config).toBe(idOf(FIRST));
  });

  it('a rollback returns to the slot that still runs the old configuration', async () => {
    const s = seed();
    await deploy(ctx, 'local', V1);
    s.config['slipway:secret.DATABASE_URL'] = SECOND;
    await deploy(ctx, 'local', V1);
    await rollback(ctx, 'local');
    expect(engine.stacks.get('local')!.applied).toMatchObject({ live: 'green', configs: { green: idOf(FIRST), blue: idOf(SECOND) } });
    const [rb] = (await ctx.ledger.read('local')).filter((e) => e.type === 'started' && e.data.kind === 'rollback');
    expect(rb!.data).toMatchObject({ appConfig: idOf(FIRST) });
  });

  it('an unchanged configuration and artifact already in the idle slot is not redeployed; a changed one is', async () => {
    const s = seed();
    await deploy(ctx, 'local', V1);
    await deploy(ctx, 'local', V1); // blue now holds V1 with the same configuration
    const ups = s.ups.length;
    await deploy(ctx, 'local', V1); // back to green, which already holds V1 with it
    expect(s.ups.slice(ups).map((u) => u.message?.replace(/^slipway \S+: /, ''))).toEqual(['ensure environment', 'deploy 1.0.0 to green', 'switch blue → green']);
    expect(release(s).green.config).toBe(idOf(FIRST));
  });

  it('the ledger records the configuration id of each release, and neither it nor the progress lines hold a value', async () => {
    const s = seed();
    await deploy(ctx, 'local', V1);
    s.config['slipway:secret.DATABASE_URL'] = SECOND;
    await deploy(ctx, 'local', V1);
    const started = deployments(await ctx.ledger.read('local')).map((d) => d.id);
    expect(started.length).toBe(2);
    const entries = (await ctx.ledger.read('local')).filter((e) => e.type === 'started');
    expect(entries.map((e) => e.data.appConfig)).toEqual([idOf(FIRST), idOf(SECOND)]);
    expect(readFileSync(join(dir, 'ledger', 'local.jsonl'), 'utf8')).not.toMatch(LEAKS);
    expect(progress).not.toMatch(LEAKS);
    expect(progress).not.toBe('');
  });

  it('a value changed while a deployment waits at its gate is deployed and smoke-tested again before the switch', async () => {
    const s = seed((raw) => (raw['slipway:promotion'] = { approval: 'manual', approvers: ['alice'], bakeSeconds: 0 }));
    const gated = await deploy(ctx, 'local', V1).catch((e: unknown) => e);
    expect(gated).toBeInstanceOf(AwaitingApproval);
    const id = deployments(await ctx.ledger.read('local'))[0]!.id;

    s.config['slipway:secret.DATABASE_URL'] = SECOND;
    seen = [];
    await approve(ctx, 'local', id, 'alice');
    expect(release(s)).toMatchObject({ live: 'green', green: { config: idOf(SECOND) } });
    expect(seen.filter((c) => c.route === 'test').map((c) => c.config)).toEqual([idOf(SECOND), idOf(SECOND)]);
    const smokeSteps = (await ctx.ledger.read('local')).filter((e) => e.type === 'step' && e.data.name === 'smoke-idle' && e.data.status === 'ok');
    expect(smokeSteps.length).toBe(2);
  });
});
