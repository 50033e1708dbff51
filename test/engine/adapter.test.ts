// The Automation API adapter against the real CLI, call by call: structured config written with
// `config set-all --json` lands as YAML maps in the stack file and reads back as the same values; the
// state exports and imports; a held stack lock is reported as LockHeld.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackHandle } from '../../pipeline/engine/port';
import { LockHeld } from '../../pipeline/cli/errors';
import { createPulumiEngine } from '../../pipeline/engine/automation';
import { ROOT } from '../mocks';
import { engineProject, type EngineProject } from './project';

let p: EngineProject;
let stack: StackHandle;
const savedPath = process.env.PATH;

beforeAll(async () => {
  p = await engineProject('adapter');
  // What test/providers/env.sh does for a shell, for this process: the doubles and the built CLI.
  process.env.PATH = `${join(ROOT, 'test/providers/bin')}:${join(ROOT, '.slipway/pulumi/bin')}:${savedPath}`;
  const env = { ...process.env, PULUMI_HOME: join(p.dir, '.pulumi-home'), PULUMI_SKIP_UPDATE_CHECK: 'true', PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true' };
  stack = await createPulumiEngine({ root: p.dir, env, targetOf: () => 'docker' }).selectStack('local');
});
afterAll(async () => {
  process.env.PATH = savedPath;
  await p?.cleanup();
});

describe.sequential('the Automation API adapter on the real CLI', () => {
  it('writes structured config as YAML maps and reads the same values back', async () => {
    const release = { live: 'green', blue: {}, green: { image: `x:2.0@sha256:${'c'.repeat(64)}`, version: '2.0' } };
    await stack.setConfig({ 'slipway:release': release });
    const file = parse(readFileSync(join(p.dir, 'stacks', 'Pulumi.local.yaml'), 'utf8')) as { config: Record<string, unknown> };
    // A map, not a JSON string; and the version stays the string "2.0", not the number 2.
    expect(file.config['slipway:release']).toEqual(release);
    expect((await stack.getConfig())['slipway:release']).toEqual(release);
  });

  it('creates the environment, exports its state and imports it back unchanged', async () => {
    await stack.setConfig({ 'slipway:release': { live: 'blue', blue: {}, green: {} } });
    const up = await stack.up();
    expect(up.changes.create).toBeGreaterThan(0);
    const state = (await stack.exportState()) as { deployment: { resources: unknown[] } };
    expect(state.deployment.resources.length).toBeGreaterThan(3);
    await stack.importState(state);
    const again = (await stack.exportState()) as { deployment: { resources: unknown[] } };
    expect(again.deployment.resources).toEqual(state.deployment.resources);
    const preview = await stack.preview();
    expect(Object.keys(preview.changes).filter((k) => k !== 'same')).toEqual([]);
  });

  it("reports Pulumi's stack lock, held by a process that died, as LockHeld naming `pulumi cancel`", async () => {
    // What the file backend leaves when an update's process is killed: a lock file per update.
    const locks = join(p.dir, '.slipway', 'state', '.pulumi', 'locks', 'organization', 'slipway', 'local');
    mkdirSync(locks, { recursive: true });
    const lock = join(locks, '0b7c3d1e-0000-4000-8000-000000000001.json');
    writeFileSync(lock, JSON.stringify({ pid: 999999, username: 'ci', hostname: 'gone', timestamp: new Date().toISOString() }));
    const err = await stack.up().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeld);
    expect((err as Error).message).toMatch(/pulumi cancel --stack local/);
    rmSync(lock);
    expect((await stack.up()).changes.create ?? 0).toBe(0);
  });
});
