// The README's main job on the real engine: `slipway deploy --stack local --build app` from an empty
// state, a switch, a release that fails its smoke checks, a failure during the bake, rollbacks, an
// interrupt and a concurrent deploy, then status and history. One project, in order: each test starts
// from the state the previous one left, as a user's stack would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { docker } from '../support/docker';
import { containerId, engineProject, versionAt, type EngineProject } from './project';

let p: EngineProject;
const deployArgs = (version: string, dir = 'app') => ['deploy', '--stack', 'local', '--build', dir, '--base-image', p.baseImage, '--app-version', version];
const history = async () => JSON.parse((await p.slipway(['history', '--stack', 'local', '--json'])).stdout) as {
  live: { deployment: { version: string } } | null;
  deployments: { id: string; kind: string; status: string; version: string; steps: { name: string; status: string }[]; reason?: string }[];
};

beforeAll(async () => {
  p = await engineProject('deploy');
});
afterAll(async () => {
  await p?.cleanup();
});

describe.sequential('slipway deploy on the real engine (local stack)', () => {
  it('creates the environment from an empty state and serves the release on the public port', async () => {
    const r = await p.slipway(deployArgs('1.0.0'));
    expect(r.exitCode, r.all).toBe(0);
    expect(await versionAt(p.publicUrl)).toBe('1.0.0');
    const h = await history();
    expect(h.live?.deployment.version).toBe('1.0.0');
    expect(h.deployments[0]).toMatchObject({ status: 'live', version: '1.0.0' });
    expect(h.deployments[0]!.steps.map((s) => `${s.name}:${s.status}`)).toEqual(
      ['ensure-environment', 'deploy-idle', 'wait-healthy', 'smoke-idle', 'switch', 'verify'].map((s) => `${s}:ok`),
    );
  });

  it('a second version switches: new on the public port, previous still on the test port, no container recreated', async () => {
    const n = p.names('local');
    const before = { green: await containerId(n.green), router: await containerId(n.router) };
    expect(before.green).not.toBe('');
    const r = await p.slipway([...deployArgs('2.0.0'), '--json']);
    expect(r.exitCode, r.all).toBe(0);
    expect(await versionAt(p.publicUrl)).toBe('2.0.0');
    expect(await versionAt(p.testUrl)).toBe('1.0.0');
    expect({ green: await containerId(n.green), router: await containerId(n.router) }).toEqual(before);
    // The switch itself is one in-place update: the router's configuration.
    const switched = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { step?: string; status?: string; result?: string });
    expect(switched.find((e) => e.step === 'switch' && e.status === 'ok')?.result).toBe('1 update');
  });

  it('a release failing its smoke checks never reaches the public port', async () => {
    const broken = join(p.dir, 'broken-app');
    cpSync(join(p.dir, 'app'), broken, { recursive: true });
    const server = join(broken, 'server.mjs');
    // The catalogue answers 500: health and version pass, the smoke check on /api/items does not.
    writeFileSync(server, readFileSync(server, 'utf8').replace("'/api/items': async (res) => {", "'/api/items': async (res) => { return send(res, 500, 'text/plain', 'broken');"));
    const r = await p.slipway(deployArgs('3.0.0-broken', 'broken-app'));
    expect(r.exitCode, r.all).toBe(1);
    expect(r.all).toMatch(/smoke tests failed on the idle slot/);
    expect(await versionAt(p.publicUrl)).toBe('2.0.0');
    expect((await history()).deployments[0]).toMatchObject({ version: '3.0.0-broken', status: 'failed' });
  });

  it('a failure during the bake after the switch rolls back automatically', async () => {
    const n = p.names('local');
    const run = p.slipway([...deployArgs('4.0.0'), '--json']);
    // 4.0.0 goes to green (the idle slot); once the switch is done it dies: the bake's checks fail.
    let killed = false;
    run.stderr!.on('data', (d: Buffer) => {
      if (!killed && /"step":"switch"[^\n]*"status":"ok"/.test(d.toString())) {
        killed = true;
        void docker(['kill', n.green]).catch(() => '');
      }
    });
    const r = await run;
    expect(killed, r.all).toBe(true);
    expect(r.exitCode, r.all).toBe(1);
    expect(r.all).toMatch(/rolled back to blue/);
    expect(await versionAt(p.publicUrl)).toBe('2.0.0');
    expect((await history()).deployments[0]).toMatchObject({ version: '4.0.0', status: 'rolled-back' });
  });

  it('slipway rollback switches back to the warm slot', async () => {
    const r1 = await p.slipway(deployArgs('5.0.0'));
    expect(r1.exitCode, r1.all).toBe(0);
    expect(await versionAt(p.publicUrl)).toBe('5.0.0');
    const r = await p.slipway(['rollback', '--stack', 'local']);
    expect(r.exitCode, r.all).toBe(0);
    expect(await versionAt(p.publicUrl)).toBe('2.0.0');
    expect(await versionAt(p.testUrl)).toBe('5.0.0');
    expect((await history()).deployments[0]).toMatchObject({ kind: 'rollback', status: 'rolled-back', version: '2.0.0' });
  });

  it('a rollback whose up fails is recorded as failed and changes nothing', async () => {
    const n = p.names('local');
    // The router is down: writing its new configuration fails inside `pulumi up`.
    await docker(['stop', '-t', '1', n.router]);
    try {
      const r = await p.slipway(['rollback', '--stack', 'local']);
      expect(r.exitCode, r.all).toBe(1);
      expect(r.all).toMatch(/rollback blue → green failed/);
      expect((await history()).deployments[0]).toMatchObject({ kind: 'rollback', status: 'failed' });
    } finally {
      await docker(['start', n.router]);
    }
    expect(await waitForVersion(p.publicUrl, '2.0.0')).toBe('2.0.0');
    const st = await p.slipway(['status', '--stack', 'local', '--json']);
    expect(st.stdout).toMatch(/"liveSlot":\s*"blue"|"live":\s*"blue"/);
  });

  it('an interrupt during `up` stops cleanly; the same command resumes and ends consistent', async () => {
    const run = p.slipway(deployArgs('6.0.0').concat('--json'));
    let sent = false;
    run.stderr!.on('data', (d: Buffer) => {
      if (!sent && /"step":"deploy-idle"[^\n]*"status":"started"/.test(d.toString())) {
        sent = true;
        // Inside the engine operation: the container is being replaced.
        setTimeout(() => run.kill('SIGINT'), 700);
      }
    });
    const r1 = await run;
    expect(sent, r1.all).toBe(true);
    expect(r1.exitCode, r1.all).not.toBe(0);
    expect(r1.all).toMatch(/interrupted/);
    expect(await versionAt(p.publicUrl)).toBe('2.0.0');
    const open = (await history()).deployments[0]!;
    expect(open).toMatchObject({ version: '6.0.0', status: 'running' });

    const r2 = await p.slipway(deployArgs('6.0.0'));
    expect(r2.exitCode, r2.all).toBe(0);
    expect(await versionAt(p.publicUrl)).toBe('6.0.0');
    expect((await history()).deployments[0]).toMatchObject({ id: open.id, version: '6.0.0', status: 'live' });
  });

  it('a second concurrent deploy is refused with exit 4', async () => {
    const first = p.slipway(deployArgs('7.0.0').concat('--json'));
    await new Promise<void>((resolve) => {
      first.stderr!.on('data', (d: Buffer) => {
        if (/"step":"ensure-environment"/.test(d.toString())) resolve();
      });
      void first.finally(() => resolve());
    });
    const second = await p.slipway(deployArgs('7.0.1'));
    expect(second.exitCode, second.all).toBe(4);
    expect(second.all).toMatch(/being deployed by|locked/);
    const r = await first;
    expect(r.exitCode, r.all).toBe(0);
  });

  it('status and history show what runs', async () => {
    const st = await p.slipway(['status', '--stack', 'local']);
    expect(st.exitCode, st.all).toBe(0);
    expect(st.stdout).toMatch(/7\.0\.0/);
    const h = await p.slipway(['history', '--stack', 'local']);
    expect(h.exitCode, h.all).toBe(0);
    for (const v of ['1.0.0', '2.0.0', '3.0.0-broken', '4.0.0', '6.0.0', '7.0.0']) expect(h.stdout).toContain(v);
  });
});

/** Polls until `url` serves `version` (a restarted router takes a moment), or returns what it last saw. */
async function waitForVersion(url: string, version: string, timeoutMs = 15000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < end) {
    seen = await versionAt(url);
    if (seen === version) return seen;
    await new Promise((r) => setTimeout(r, 200));
  }
  return seen;
}
