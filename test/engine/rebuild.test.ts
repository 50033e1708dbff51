// Disaster recovery on the real engine: `slipway rebuild` after the state and every container and the
// network are gone, after containers are deleted behind the state's back, after the router alone is
// deleted; a missing artifact refused before anything changes; `--into` a second local environment on
// other ports; `slipway drill` rebuilding the idle slot without touching the live one. One project, in
// order: two releases deployed first (2.0.0 live in green, 1.0.0 idle in blue).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { docker } from '../support/docker';
import { freePorts } from '../support/ports';
import { containerId, engineProject, versionAt, type EngineProject } from './project';

let p: EngineProject;
const stackPath = () => join(p.dir, 'stacks', 'Pulumi.local.yaml');
const ledgerLines = () => readFileSync(join(p.dir, '.slipway', 'ledger', 'local.jsonl'), 'utf8').split('\n').filter(Boolean).length;
const ids = async () => {
  const n = p.names('local');
  return { blue: await containerId(n.blue), green: await containerId(n.green), router: await containerId(n.router) };
};
const rebuild = async (args: string[] = []) => {
  const r = await p.slipway(['rebuild', '--stack', 'local', '--json', ...args]);
  return { r, out: r.exitCode === 0 ? (JSON.parse(r.stdout) as { mode: string; recoveryMs: number; rebuilt: number; id: string }) : undefined };
};
const other = { public: 0, test: 0 };
/** Which slot the deploys left live (2.0.0) and idle (1.0.0), from the release state they wrote. */
const slots = () => {
  const live = ((parse(readFileSync(stackPath(), 'utf8')) as { config: Record<string, any> }).config['slipway:release'].live) as 'blue' | 'green';
  return { live, idle: live === 'blue' ? ('green' as const) : ('blue' as const) };
};

beforeAll(async () => {
  p = await engineProject('rebuild');
  for (const version of ['1.0.0', '2.0.0']) {
    const r = await p.slipway(['deploy', '--stack', 'local', '--build', 'app', '--base-image', p.baseImage, '--app-version', version]);
    expect(r.exitCode, r.all).toBe(0);
  }
});
afterAll(async () => {
  const n = p?.names('copy');
  if (n) {
    await docker(['rm', '-f', n.blue, n.green, n.router]).catch(() => '');
    await docker(['network', 'rm', n.network]).catch(() => '');
  }
  await p?.cleanup();
});

describe.sequential('slipway rebuild and drill on the real engine (local stack)', () => {
  it('state deleted while the containers still run: refused before anything changes, naming each survivor', async () => {
    const n = p.names('local');
    const state = join(p.dir, '.slipway', 'state');
    const aside = `${state}.aside`;
    renameSync(state, aside);
    try {
      const before = await ids();
      const lines = ledgerLines();
      const { r } = await rebuild();
      expect(r.exitCode, r.all).toBe(1);
      expect(r.stderr).toContain(
        `stack local: its state is gone but container ${n.blue}, container ${n.green}, container ${n.router}, network ${n.network} still exist; ` +
          `remove them (docker rm -f ${n.blue} ${n.green} ${n.router} && docker network rm ${n.network}) or restore the state`,
      );
      expect(await ids()).toEqual(before);
      expect(ledgerLines()).toBe(lines);
      expect(existsSync(state)).toBe(false);
    } finally {
      rmSync(state, { recursive: true, force: true });
      renameSync(aside, state);
    }
  });

  it('state and every container and the network deleted: both slots come back with their releases, the live one live', async () => {
    const n = p.names('local');
    await docker(['rm', '-f', n.blue, n.green, n.router]);
    await docker(['network', 'rm', n.network]);
    rmSync(join(p.dir, '.slipway', 'state'), { recursive: true, force: true });
    expect(await versionAt(p.publicUrl)).toMatch(/^unreachable/);

    const { r, out } = await rebuild();
    expect(r.exitCode, r.all).toBe(0);
    expect(out).toMatchObject({ mode: 'state-lost' });
    expect(out!.rebuilt).toBeGreaterThanOrEqual(4);
    expect(out!.recoveryMs).toBeGreaterThan(0);
    expect(await versionAt(p.publicUrl)).toBe('2.0.0');
    expect(await versionAt(p.testUrl)).toBe('1.0.0');
    // Recorded as a recovery with its measured time; what serves production is unchanged.
    const h = JSON.parse((await p.slipway(['history', '--stack', 'local', '--json'])).stdout) as {
      live: { deployment: { version: string } };
      deployments: { id: string; kind: string; status: string; recovery?: { mode: string; ms: number } }[];
    };
    expect(h.deployments[0]).toMatchObject({ id: out!.id, kind: 'recovery', status: 'recovered', recovery: { mode: 'state-lost', ms: out!.recoveryMs } });
    expect(h.live.deployment.version).toBe('2.0.0');
    const verify = await p.slipway(['ledger', 'verify', '--stack', 'local']);
    expect(verify.exitCode, verify.all).toBe(0);
  });

  it('containers deleted behind the state\'s back: refresh, then up, brings them back', async () => {
    const n = p.names('local');
    await docker(['rm', '-f', n.blue, n.green, n.router]);
    const { r, out } = await rebuild();
    expect(r.exitCode, r.all).toBe(0);
    expect(out).toMatchObject({ mode: 'resources-missing' });
    expect(await versionAt(p.publicUrl)).toBe('2.0.0');
    expect(await versionAt(p.testUrl)).toBe('1.0.0');
  });

  it('the router alone deleted: it comes back, the slot containers are not recreated', async () => {
    const before = await ids();
    await docker(['rm', '-f', p.names('local').router]);
    const { r, out } = await rebuild();
    expect(r.exitCode, r.all).toBe(0);
    expect(out).toMatchObject({ mode: 'resources-missing' });
    const after = await ids();
    expect({ blue: after.blue, green: after.green }).toEqual({ blue: before.blue, green: before.green });
    expect(after.router).not.toBe(before.router);
    expect(await versionAt(p.publicUrl)).toBe('2.0.0');
    expect(await versionAt(p.testUrl)).toBe('1.0.0');
  });

  it('a missing artifact is refused before anything changes, naming each missing digest and its slot', async () => {
    const original = readFileSync(stackPath(), 'utf8');
    const doc = parse(original) as { config: Record<string, any> };
    const gone = `sha256:${'0'.repeat(63)}1`;
    const { idle } = slots();
    const release = doc.config['slipway:release'][idle] as { image: string; version: string };
    release.image = `${release.image.slice(0, release.image.lastIndexOf('@'))}@${gone}`;
    writeFileSync(stackPath(), stringify(doc));
    const before = { ids: await ids(), ledger: ledgerLines() };
    await docker(['rm', '-f', p.names('local').router]);
    try {
      const r = await p.slipway(['rebuild', '--stack', 'local']);
      expect(r.exitCode, r.all).toBe(1);
      expect(r.stderr.split('\n')).toContain(
        `stack local: an artifact of its release state is missing from the Docker engine: slot ${idle} needs ${gone} (1.0.0); nothing was changed (restore the image, or deploy a release that exists)`,
      );
      // Nothing changed: the router stays gone, the slots are the same containers, the ledger has no entry.
      expect(await ids()).toEqual({ ...before.ids, router: '' });
      expect(ledgerLines()).toBe(before.ledger);
    } finally {
      writeFileSync(stackPath(), original);
    }
    const { r } = await rebuild();
    expect(r.exitCode, r.all).toBe(0);
  });

  it('--into creates a second local environment on other ports that serves the same releases', async () => {
    const ports = await freePorts(2);
    other.public = ports[0]!;
    other.test = ports[1]!;
    const bad = await p.slipway(['rebuild', '--stack', 'local', '--into', 'copy', '--set', 'slipway:release.live=blue']);
    expect(bad.exitCode, bad.all).toBe(64);
    expect(bad.stderr).toMatch(/--set: slipway:release\.live: not a knob/);
    const r = await p.slipway(['rebuild', '--stack', 'local', '--into', 'copy', '--set', `slipway:ports.public=${other.public}`, '--set', `slipway:ports.test=${other.test}`, '--json']);
    expect(r.exitCode, r.all).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ stack: 'copy', mode: 'state-lost', source: 'local' });
    expect(await versionAt(`http://127.0.0.1:${other.public}`)).toBe('2.0.0');
    expect(await versionAt(`http://127.0.0.1:${other.test}`)).toBe('1.0.0');
    // The source environment is untouched, and the new stack file carries the overrides.
    expect(await versionAt(p.publicUrl)).toBe('2.0.0');
    const copy = parse(readFileSync(join(p.dir, 'stacks', 'Pulumi.copy.yaml'), 'utf8')) as { config: Record<string, any> };
    expect(copy.config['slipway:ports']).toEqual({ public: other.public, test: other.test });
    expect(copy.config['slipway:release']).toEqual((parse(readFileSync(stackPath(), 'utf8')) as { config: Record<string, any> }).config['slipway:release']);
    const again = await p.slipway(['rebuild', '--stack', 'local', '--into', 'copy']);
    expect(again.exitCode, again.all).toBe(1);
    expect(again.stderr).toMatch(/--into: stacks\/Pulumi\.copy\.yaml exists/);
  });

  it('drill rebuilds the idle slot from nothing, leaves the live container untouched, and the idle slot answers', async () => {
    const { live, idle } = slots();
    const before = await ids();
    const r = await p.slipway(['drill', '--stack', 'local', '--json']);
    expect(r.exitCode, r.all).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ slot: idle, version: '1.0.0' });
    const after = await ids();
    expect(after[live]).toBe(before[live]);
    expect(after.router).toBe(before.router);
    expect(after[idle]).not.toBe(before[idle]);
    expect(after[idle]).not.toBe('');
    expect(await versionAt(p.testUrl)).toBe('1.0.0');
    expect(await versionAt(p.publicUrl)).toBe('2.0.0');
    const st = JSON.parse((await p.slipway(['status', '--stack', 'local', '--json'])).stdout) as { lastRecovery: { kind: string; status: string } };
    expect(st.lastRecovery).toMatchObject({ kind: 'drill', status: 'recovered' });
  });

  it('drill is refused on a stack whose slipway:promotion.drill is false', async () => {
    const original = readFileSync(stackPath(), 'utf8');
    const doc = parse(original) as { config: Record<string, any> };
    doc.config['slipway:promotion'].drill = false;
    writeFileSync(stackPath(), stringify(doc));
    try {
      const before = await ids();
      const r = await p.slipway(['drill', '--stack', 'local']);
      expect(r.exitCode, r.all).toBe(1);
      expect(r.stderr).toContain('stacks/Pulumi.local.yaml: slipway:promotion.drill is false: this stack refuses drills');
      expect(await ids()).toEqual(before);
    } finally {
      writeFileSync(stackPath(), original);
    }
  });
});
