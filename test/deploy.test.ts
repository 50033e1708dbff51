// The deployment state machine against the in-memory engine double: every branch of deploy, gate,
// approve, reject, rollback and resume, with a real ledger and a real lock file in a temp dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rollback } from '../pipeline/release/rollback';
import { approve, deploy, reject, type Artifact, type DeployContext } from '../pipeline/release/deploy';
import { AwaitingApproval, CheckFailed, LockHeld, UserError } from '../pipeline/cli/errors';
import { deployments, Ledger } from '../pipeline/ledger/ledger';
import { fileLock } from '../pipeline/release/lock';
import { silentProgress } from '../pipeline/release/progress';
import type { SmokeOptions, SmokeReport } from '../pipeline/release/smoke';
import { idleSlotOf } from '../components/slots';
import type { Slot } from '../stacks/schema';
import { EngineDouble } from './support/engineDouble';
import { DIGEST_A, DIGEST_B } from './mocks';

const V1: Artifact = { ref: `shop:1.0.0@${DIGEST_A}`, digest: DIGEST_A, version: '1.0.0', commit: 'abc123' };
const V2: Artifact = { ref: `shop:2.0.0@${DIGEST_B}`, digest: DIGEST_B, version: '2.0.0', commit: 'def456' };

interface World {
  engine: EngineDouble;
  ledger: Ledger;
  ctx: DeployContext;
  smokeCalls: SmokeOptions[];
  /** Versions whose smoke checks fail on the given route. */
  broken: { test: Set<string>; public: Set<string>; health: Set<string> };
  firing: string[];
  clock: { t: number };
}

let dir: string;
let w: World;

function world(actor = 'ci'): World {
  const engine = new EngineDouble();
  const ledger = new Ledger(join(dir, 'ledger'));
  const broken = { test: new Set<string>(), public: new Set<string>(), health: new Set<string>() };
  const smokeCalls: SmokeOptions[] = [];
  const clock = { t: Date.parse('2026-11-22T10:00:00Z') };
  const firing: string[] = [];
  // Answers like the environment would: the public URL reaches the slot the last `up` made live,
  // the test URL the other one; a slot answers with the version it runs.
  const smoke = async (opts: SmokeOptions): Promise<SmokeReport> => {
    smokeCalls.push(opts);
    const stack = new URL(opts.baseUrl).hostname.split('.')[0]!;
    const applied = engine.stacks.get(stack)!.applied!;
    const route = opts.baseUrl.endsWith('.public') ? 'public' : 'test';
    const slot: Slot = route === 'public' ? applied.live : idleSlotOf(applied.live);
    const version = applied.versions[slot];
    const health = opts.expectVersion === undefined && opts.retry !== false;
    let reason: string | undefined;
    if (version === undefined) reason = `slot ${slot} runs nothing`;
    else if (health && broken.health.has(version)) reason = 'expected 200, got 503';
    else if (!health && broken[route].has(version)) reason = 'expected 200, got 500';
    else if (opts.expectVersion && opts.expectVersion !== version) reason = `version ${version}, expected ${opts.expectVersion}`;
    return { ok: !reason, url: opts.baseUrl, elapsedMs: 5, checks: [{ name: opts.checks[0]?.path ?? '/', path: '/', ok: !reason, attempts: 1, ...(reason ? { reason } : {}) }] };
  };
  const ctx: DeployContext = {
    engine,
    ledger,
    lock: fileLock(join(dir, 'locks')),
    smoke,
    signals: () => ({ firing: async (names) => names.filter((n) => firing.includes(n)) }),
    progress: silentProgress,
    now: () => new Date(clock.t),
    sleep: async (ms) => {
      clock.t += ms;
    },
    actor,
    timing: { verifyIntervalMs: 5000 },
  };
  return { engine, ledger, ctx, smokeCalls, broken, firing, clock };
}

const release = (stack: string) => (w.engine.stacks.get(stack)!.config['slipway:release'] as Record<string, any>);
const history = async (stack: string) => deployments(await w.ledger.read(stack));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-deploy-'));
  w = world();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('continuous deployment (approval: auto)', () => {
  it('deploys to the idle slot, smoke-tests it via the test URL, switches, verifies live and records it', async () => {
    w.engine.seed('dev');
    const out = await deploy(w.ctx, 'dev', V1);

    expect(out).toMatchObject({ status: 'live', slot: 'green', from: 'blue' });
    expect(release('dev')).toMatchObject({ live: 'green', green: { image: V1.ref, version: '1.0.0' }, blue: {} });
    expect(w.engine.stacks.get('dev')!.applied).toMatchObject({ live: 'green', versions: { blue: undefined, green: '1.0.0' } });
    // Smoke before the switch: the test URL, expecting the new version, with retries.
    const before = w.smokeCalls.find((c) => c.expectVersion && c.retry !== false)!;
    expect(before.baseUrl).toBe('http://dev.test');
    expect(before.expectVersion).toBe('1.0.0');
    // Verify after the switch: the public URL, single-shot, every round of the 30 s bake time.
    const after = w.smokeCalls.filter((c) => c.retry === false);
    expect(after.every((c) => c.baseUrl === 'http://dev.public' && c.expectVersion === '1.0.0')).toBe(true);
    expect(after.length).toBe(7); // t = 0, 5, …, 30 s

    const [d] = await history('dev');
    expect(d).toMatchObject({ status: 'live', version: '1.0.0', digest: DIGEST_A, actor: 'ci', slot: 'green', from: 'blue' });
    expect(d!.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'ensure-environment:ok', 'deploy-idle:ok', 'wait-healthy:ok', 'smoke-idle:ok', 'switch:ok', 'verify:ok',
    ]);
    expect((await w.ledger.verify('dev')).ok).toBe(true);
  });

  it('the next release goes to the other slot and the old one stays warm', async () => {
    w.engine.seed('dev');
    await deploy(w.ctx, 'dev', V1);
    const out = await deploy(w.ctx, 'dev', V2);
    expect(out).toMatchObject({ slot: 'blue', from: 'green' });
    expect(release('dev')).toMatchObject({ live: 'blue', blue: { version: '2.0.0' }, green: { version: '1.0.0' } });
    const all = await history('dev');
    expect(all.map((d) => [d.version, d.status])).toEqual([['1.0.0', 'superseded'], ['2.0.0', 'live']]);
  });
});

describe('failures before the switch leave the live slot untouched', () => {
  it('smoke failure on the idle slot', async () => {
    w.engine.seed('dev');
    await deploy(w.ctx, 'dev', V1);
    w.broken.test.add('2.0.0');
    const err = await deploy(w.ctx, 'dev', V2).catch((e) => e);
    expect(err).toBeInstanceOf(CheckFailed);
    expect(err.message).toContain('smoke tests failed on the idle slot blue');
    expect(err.message).toContain('the live slot (green) was not touched');
    expect(release('dev').live).toBe('green');
    expect(w.engine.stacks.get('dev')!.applied!.live).toBe('green');
    // The idle slot keeps the failed release for inspection.
    expect(release('dev').blue.version).toBe('2.0.0');
    const [last] = (await history('dev')).slice(-1);
    expect(last).toMatchObject({ status: 'failed', version: '2.0.0' });
    expect(last!.steps.find((s) => s.name === 'smoke-idle')!.status).toBe('failed');
    expect(last!.steps.some((s) => s.name === 'switch')).toBe(false);
  });

  it('a slot that never becomes healthy', async () => {
    w.engine.seed('dev');
    w.broken.health.add('1.0.0');
    await expect(deploy(w.ctx, 'dev', V1)).rejects.toThrow(/slot green did not become healthy/);
    expect(release('dev').live).toBe('blue');
  });

  it('an engine failure while deploying to the idle slot', async () => {
    const s = w.engine.seed('dev');
    s.failUpWhen = (m) => (m?.includes('deploy 1.0.0') ? new Error('ECS service did not stabilize') : undefined);
    await expect(deploy(w.ctx, 'dev', V1)).rejects.toThrow('ECS service did not stabilize');
    expect(release('dev').live).toBe('blue');
    expect((await history('dev'))[0]).toMatchObject({ status: 'failed' });
  });
});

describe('failures after the switch roll back automatically', () => {
  it('live smoke checks failing during bake time move traffic back', async () => {
    w.engine.seed('dev');
    await deploy(w.ctx, 'dev', V1);
    w.broken.public.add('2.0.0');
    const err = await deploy(w.ctx, 'dev', V2).catch((e) => e);
    expect(err).toBeInstanceOf(CheckFailed);
    expect(err.message).toContain('rolled back to green');
    expect(release('dev').live).toBe('green');
    expect(w.engine.stacks.get('dev')!.applied!.live).toBe('green');
    const all = await history('dev');
    expect(all.map((d) => [d.version, d.status])).toEqual([['1.0.0', 'live'], ['2.0.0', 'rolled-back']]);
  });

  it('a firing alarm of the new live slot moves traffic back', async () => {
    w.engine.seed('dev');
    await deploy(w.ctx, 'dev', V1);
    w.firing.push('shop-dev-blue-5xx');
    await expect(deploy(w.ctx, 'dev', V2)).rejects.toThrow(/alarm firing: shop-dev-blue-5xx/);
    expect(release('dev').live).toBe('green');
  });

  it('alarms that cannot be read several times in a row count as a failure; one blip does not', async () => {
    w.engine.seed('dev');
    await deploy(w.ctx, 'dev', V1);
    let reads = 0;
    w.ctx.signals = () => ({
      firing: async () => {
        reads++;
        if (reads === 1 || reads >= 3) throw new Error('throttled');
        return [];
      },
    });
    await expect(deploy(w.ctx, 'dev', V2)).rejects.toThrow(/rolled back to green: cannot read the alarms \(3 tries\): throttled/);
    expect(reads).toBe(5);
    expect(release('dev').live).toBe('green');
  });

  it('an engine failure during the switch moves traffic back', async () => {
    const s = w.engine.seed('dev');
    await deploy(w.ctx, 'dev', V1);
    s.failUpWhen = (m) => (m?.includes('switch') ? new Error('listener update failed') : undefined);
    await expect(deploy(w.ctx, 'dev', V2)).rejects.toThrow(/rolled back to green/);
    expect(release('dev').live).toBe('green');
    expect(s.applied!.live).toBe('green');
  });

  it('a failed rollback is reported as such, never as success', async () => {
    const s = w.engine.seed('dev');
    await deploy(w.ctx, 'dev', V1);
    w.broken.public.add('2.0.0');
    s.failUpWhen = (m) => (m?.includes('roll back') ? new Error('engine unreachable') : undefined);
    await expect(deploy(w.ctx, 'dev', V2)).rejects.toThrow(/rollback to green failed too: engine unreachable/);
  });
});

describe('continuous delivery (approval: manual)', () => {
  it('stops at the gate with a deployment id; an approver resumes it to live', async () => {
    w.engine.seed('prod');
    const err = await deploy(w.ctx, 'prod', V1).catch((e) => e);
    expect(err).toBeInstanceOf(AwaitingApproval);
    const [d] = await history('prod');
    expect(d!.status).toBe('awaiting-approval');
    expect(err.message).toContain(d!.id);
    expect(release('prod').live).toBe('blue');

    await expect(approve(w.ctx, 'prod', d!.id, 'mallory')).rejects.toThrow(/mallory is not an approver for prod \(slipway:promotion.approvers: alice, bob\)/);
    const out = await approve(w.ctx, 'prod', d!.id, 'alice', 'looks good');
    expect(out).toMatchObject({ status: 'live', slot: 'green', deploymentId: d!.id });
    expect(release('prod').live).toBe('green');
    const [after] = await history('prod');
    expect(after).toMatchObject({ status: 'live', approvals: [{ by: 'alice' }] });
    // Steps before the gate ran once, not again after approval.
    expect(w.engine.stacks.get('prod')!.ups.filter((u) => u.message?.includes('deploy 1.0.0'))).toHaveLength(1);
  });

  it('reject ends it at the gate; the idle slot keeps the release for inspection', async () => {
    w.engine.seed('prod');
    await deploy(w.ctx, 'prod', V1).catch(() => {});
    const [d] = await history('prod');
    await reject(w.ctx, 'prod', d!.id, 'bob', 'wrong build');
    expect((await history('prod'))[0]).toMatchObject({ status: 'rejected' });
    expect(release('prod')).toMatchObject({ live: 'blue', green: { version: '1.0.0' } });
    await expect(approve(w.ctx, 'prod', d!.id, 'alice')).rejects.toThrow(/is rejected, not awaiting approval/);
  });

  it('refuses another artifact while one awaits approval', async () => {
    w.engine.seed('prod');
    await deploy(w.ctx, 'prod', V1).catch(() => {});
    await expect(deploy(w.ctx, 'prod', V2)).rejects.toThrow(UserError);
    await expect(deploy(w.ctx, 'prod', V2)).rejects.toThrow(/is awaiting approval; approve or reject it/);
  });
});

describe('resume and concurrency', () => {
  it('a failed deployment is not resumed: the same artifact again starts a new deployment, from the first step', async () => {
    const s = w.engine.seed('dev');
    w.broken.test.add('1.0.0');
    await expect(deploy(w.ctx, 'dev', V1)).rejects.toThrow(CheckFailed);
    const [failed] = await history('dev');
    expect(failed).toMatchObject({ status: 'failed' });
    w.broken.test.clear();
    const upsBefore = s.ups.length;
    const out = await deploy(w.ctx, 'dev', V1);
    expect(out.status).toBe('live');
    expect(out.deploymentId).not.toBe(failed!.id);
    // ensure-environment and deploy-idle ran again (each one `up`), then the switch.
    expect(s.ups.slice(upsBefore).map((u) => u.message?.replace(/^slipway [^:]+: /, ''))).toEqual([
      'ensure environment',
      'deploy 1.0.0 to green',
      'switch blue → green',
    ]);
  });

  it('resumes an interrupted deployment without redoing finished steps', async () => {
    const s = w.engine.seed('dev');
    // Interrupt after deploy-idle: the smoke call throws as a killed process would stop there.
    const realSmoke = w.ctx.smoke;
    let calls = 0;
    w.ctx.smoke = async (o) => {
      if (++calls === 1) throw new Error('process killed');
      return realSmoke(o);
    };
    await expect(deploy(w.ctx, 'dev', V1)).rejects.toThrow('process killed');
    // A killed process leaves no `failed` record: drop the one our in-process stop wrote.
    const entries = await w.ledger.read('dev');
    const kept = entries.filter((e) => e.type !== 'failed');
    const ledger2 = new Ledger(join(dir, 'ledger2'));
    for (const e of kept) await ledger2.append('dev', { deploymentId: e.deploymentId, type: e.type, data: e.data } as never);
    w.ctx.ledger = ledger2;

    const deployUps = s.ups.filter((u) => u.message?.includes('deploy 1.0.0')).length;
    const out = await deploy(w.ctx, 'dev', V1);
    expect(out.deploymentId).toBe(kept[0]!.deploymentId);
    expect(s.ups.filter((u) => u.message?.includes('deploy 1.0.0')).length).toBe(deployUps);
    const [d] = deployments(await ledger2.read('dev'));
    expect(d!.status).toBe('live');
  });

  it('an interrupt (Ctrl-C) leaves the deployment open, and the same command resumes it under the same id', async () => {
    const s = w.engine.seed('dev');
    const ac = new AbortController();
    s.failUpWhen = (message) => {
      if (!message?.includes('deploy 1.0.0')) return undefined;
      ac.abort(new Error('interrupted (Ctrl-C)'));
      return new Error('update canceled');
    };
    await expect(deploy({ ...w.ctx, signal: ac.signal }, 'dev', V1)).rejects.toThrow(/stopped: interrupted \(Ctrl-C\).*run the same command again to resume it/);
    const [open] = await history('dev');
    expect(open).toMatchObject({ status: 'running' });
    expect(release('dev').live).toBe('blue');

    s.failUpWhen = undefined;
    const out = await deploy({ ...w.ctx, actor: 'carol' }, 'dev', V1);
    expect(out.deploymentId).toBe(open!.id);
    const [after] = await history('dev');
    expect(after).toMatchObject({ id: open!.id, status: 'live', resumes: [{ by: 'carol', at: expect.any(String) }] });
    // The audit trail names who carried it on; the first run's actor stays the deployment's.
    expect(after!.actor).not.toBe('carol');
  });

  it('refuses a second concurrent deployment to the same stack', async () => {
    w.engine.seed('dev');
    const release = w.ctx.lock.acquire('dev', { deploymentId: 'd-other', actor: 'alice' });
    try {
      const err = await deploy(w.ctx, 'dev', V1).catch((e) => e);
      expect(err).toBeInstanceOf(LockHeld);
      expect(err.message).toMatch(/stack dev is being deployed by alice \(deployment d-other/);
    } finally {
      release();
    }
    // The refused deployment recorded nothing; once the other holder lets go, it goes through.
    expect(await w.ledger.read('dev')).toEqual([]);
    expect((await deploy(w.ctx, 'dev', V1)).status).toBe('live');
  });

  it("maps Pulumi's stack lock to LockHeld and changes nothing", async () => {
    const s = w.engine.seed('dev');
    s.locked = true;
    await expect(deploy(w.ctx, 'dev', V1)).rejects.toThrow(LockHeld);
    expect(release('dev').live).toBe('blue');
  });
});

describe('rollback command', () => {
  it('switches back to the warm slot with no rebuild and no redeploy', async () => {
    const s = w.engine.seed('dev');
    await deploy(w.ctx, 'dev', V1);
    await deploy(w.ctx, 'dev', V2);
    const ups = s.ups.length;
    const r = await rollback(w.ctx, 'dev');
    expect(r).toEqual({ from: 'blue', to: 'green', version: '1.0.0' });
    expect(release('dev')).toMatchObject({ live: 'green', blue: { version: '2.0.0' }, green: { version: '1.0.0' } });
    expect(s.ups.length).toBe(ups + 1);
    expect(s.ups.at(-1)!.message).toContain('roll back blue → green');
    const all = await history('dev');
    expect(all.at(-1)).toMatchObject({ kind: 'rollback', version: '1.0.0' });
  });

  it('never switches to a release that did not serve production: one waiting for approval, rejected, or failing its smoke tests', async () => {
    w.engine.seed('prod');
    await deploy(w.ctx, 'prod', V1).catch(() => {});
    const [waiting] = await history('prod');
    expect(waiting!.status).toBe('awaiting-approval');
    await expect(rollback({ ...w.ctx, actor: 'mallory' }, 'prod')).rejects.toThrow(
      `stack prod: slot green holds 1.0.0 from deployment ${waiting!.id}, which never served production (awaiting-approval); an approver approves it instead of rolling back to it`,
    );
    await reject(w.ctx, 'prod', waiting!.id, 'bob', 'wrong build');
    await expect(rollback(w.ctx, 'prod')).rejects.toThrow(/which never served production \(rejected\); deploy a release instead/);
    expect(release('prod').live).toBe('blue');

    const s = w.engine.seed('dev');
    await deploy(w.ctx, 'dev', V1);
    w.broken.test.add('2.0.0');
    await expect(deploy(w.ctx, 'dev', V2)).rejects.toThrow();
    const ups = s.ups.length;
    await expect(rollback(w.ctx, 'dev')).rejects.toThrow(/slot blue holds 2\.0\.0 .* never served production \(failed\)/);
    expect(s.ups.length).toBe(ups);
    expect(release('dev').live).toBe('green');
  });

  it('a rollback whose up fails is recorded as failed, restores the release state, and the next deploy does not resume it', async () => {
    const s = w.engine.seed('dev');
    await deploy(w.ctx, 'dev', V1);
    await deploy(w.ctx, 'dev', V2);
    s.failNextUp = new Error('engine unreachable');
    await expect(rollback(w.ctx, 'dev')).rejects.toThrow(/rollback blue → green failed: engine unreachable/);
    expect(release('dev').live).toBe('blue');
    const last = (await history('dev')).at(-1)!;
    expect(last).toMatchObject({ kind: 'rollback', status: 'failed' });
    // Deploying the artifact the failed rollback named starts afresh instead of resuming that entry.
    const V1again: Artifact = { ...V1 };
    await deploy(w.ctx, 'dev', V1again);
    const all = await history('dev');
    expect(all.at(-1)).toMatchObject({ version: '1.0.0', status: 'live' });
    expect(all.at(-1)!.id).not.toBe(last.id);
  });

  it('refuses when the other slot has nothing to roll back to', async () => {
    w.engine.seed('dev');
    await deploy(w.ctx, 'dev', V1);
    await expect(rollback(w.ctx, 'dev')).rejects.toThrow('stack dev: slot blue has no release to roll back to');
  });
});
