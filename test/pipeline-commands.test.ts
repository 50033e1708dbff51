// The pipeline commands end to end against real HTTP: an engine double "applies" config, and two real
// servers stand in for the environment's public and test routes, answering as the slot they reach.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { approveCommand } from '../pipeline/cli/commands/approve';
import { deployCommand, promoteCommand } from '../pipeline/cli/commands/deploy';
import { rollbackCommand } from '../pipeline/cli/commands/rollback';
import { history } from '../pipeline/cli/commands/history';
import { EXIT, exitCodeFor } from '../pipeline/cli/errors';
import { memorySink } from '../pipeline/cli/output';
import { idleSlotOf } from '../components/slots';
import { EngineDouble } from './support/engineDouble';
import { appRoutes, TestServers, type TestServer } from './support/servers';
import { DIGEST_A, DIGEST_B, ROOT } from './mocks';

const servers = new TestServers();
let pub: TestServer;
let test: TestServer;
let engine: EngineDouble;
let cwd: string;
const broken = new Set<string>();

/** Answers as the app version running in the slot this route reaches (per the last `up`). */
const responder = (route: 'public' | 'test') => (path: string) => () => {
  const applied = [...engine.stacks.values()].find((s) => s.applied)?.applied;
  if (!applied) return { status: 503, body: 'no environment' };
  const slot = route === 'public' ? applied.live : idleSlotOf(applied.live);
  const version = applied.versions[slot];
  if (!version) return { status: 503, body: `slot ${slot} has no release` };
  if (broken.has(version) && path === '/api/items') return { status: 500, body: 'boom' };
  return appRoutes({ version })[path] ?? { status: 404 };
};
const routes = (route: 'public' | 'test') =>
  Object.fromEntries(['/healthz', '/version', '/api/items'].map((p) => [p, responder(route)(p)]));

beforeAll(async () => {
  pub = await servers.start({ routes: routes('public') });
  test = await servers.start({ routes: routes('test') });
});
afterAll(() => servers.closeAll());

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'slipway-cmd-'));
  cpSync(join(ROOT, 'stacks'), join(cwd, 'stacks'), { recursive: true });
  cpSync(join(ROOT, 'Pulumi.yaml'), join(cwd, 'Pulumi.yaml'));
  engine = new EngineDouble(() => ({ publicUrl: pub.url, testUrl: test.url }));
  broken.clear();
  return () => rmSync(cwd, { recursive: true, force: true });
});

const base = () => ({ cwd, output: memorySink(), env: { SLIPWAY_ACTOR: 'tester' }, verbose: false, engine, signals: () => ({ firing: async () => [] }), timing: { smokeDeadlineMs: 1500, healthDeadlineMs: 1500, verifyIntervalMs: 50 } });
const ref = (v: string, d: string) => `shop:${v}@${d}`;
const liveVersion = async () => ((await (await fetch(`${pub.url}/version`)).json()) as { version: string }).version;

describe('deploy over real HTTP', () => {
  it('takes a release live, records it, and the public route serves it', async () => {
    engine.seed('dev', (r) => (r['slipway:promotion'].bakeSeconds = 0));
    const o = base();
    const out = await deployCommand({ ...o, stack: 'dev', artifact: ref('1.0.0', DIGEST_A) });
    expect(o.output.stdout).toBe(`1.0.0 is live on dev (slot green) at ${pub.url} — deployment ${out.deploymentId}\n`);
    expect(await liveVersion()).toBe('1.0.0');
    const h = await history({ ...base(), stack: 'dev' });
    expect(h.live?.deployment.version).toBe('1.0.0');
    expect(h.live?.deployment.actor).toBe('tester');
  });

  it('a release failing its smoke checks on the test route never reaches the public route', async () => {
    engine.seed('dev', (r) => (r['slipway:promotion'].bakeSeconds = 0));
    await deployCommand({ ...base(), stack: 'dev', artifact: ref('1.0.0', DIGEST_A) });
    broken.add('2.0.0');
    const err = await deployCommand({ ...base(), stack: 'dev', artifact: ref('2.0.0', DIGEST_B) }).catch((e) => e);
    expect(exitCodeFor(err)).toBe(EXIT.failure);
    expect(err.message).toMatch(/smoke tests failed on the idle slot blue/);
    expect(err.message).toMatch(/expected 200, got 500/);
    expect(await liveVersion()).toBe('1.0.0');
  });

  it('prod waits at its gate (exit 3) until an approver lets it through', async () => {
    engine.seed('prod', (r) => (r['slipway:promotion'].bakeSeconds = 0));
    const o = { ...base(), json: true };
    const err = await deployCommand({ ...o, stack: 'prod', artifact: ref('1.0.0', DIGEST_A) }).catch((e) => e);
    expect(exitCodeFor(err)).toBe(EXIT.awaitingApproval);
    const printed = JSON.parse(o.output.stdout) as { status: string; message: string[] };
    expect(printed.status).toBe('awaiting-approval');
    const id = /deployment (d-[\w-]+)/.exec(printed.message[0]!)![1]!;
    await expect(approveCommand({ ...base(), stack: 'prod', id, by: 'eve' })).rejects.toThrow(/eve is not an approver/);
    const out = await approveCommand({ ...base(), stack: 'prod', id, by: 'bob' });
    expect(out.status).toBe('live');
    expect(await liveVersion()).toBe('1.0.0');
  });

  it('rollback puts the previous version back on the public route', async () => {
    engine.seed('dev', (r) => (r['slipway:promotion'].bakeSeconds = 0));
    await deployCommand({ ...base(), stack: 'dev', artifact: ref('1.0.0', DIGEST_A) });
    await deployCommand({ ...base(), stack: 'dev', artifact: ref('2.0.0', DIGEST_B) });
    expect(await liveVersion()).toBe('2.0.0');
    await rollbackCommand({ ...base(), stack: 'dev' });
    expect(await liveVersion()).toBe('1.0.0');
  });

  it('rejects bad artifact references before touching anything', async () => {
    engine.seed('dev');
    for (const [artifact, msg] of [
      ['shop:1.0.0', '--artifact: "shop:1.0.0" is not an image reference pinned by digest'],
      [`shop@${DIGEST_A}`, 'has no tag to take the version from; add --app-version'],
    ] as const) {
      const err = await deployCommand({ ...base(), stack: 'dev', artifact }).catch((e) => e);
      expect(err.message).toContain(msg);
      expect(exitCodeFor(err)).toBe(EXIT.usage);
    }
    expect(engine.selects).toBe(0);
    expect(engine.stacks.get('dev')!.ups).toEqual([]);
  });

  it('promote deploys the digest recorded live in the source stack file, never a rebuild', async () => {
    const raw = engine.seed('staging', (r) => (r['slipway:promotion'].bakeSeconds = 0));
    // The source's release state lives in its stack file (the pipeline writes it through Pulumi).
    const { writeFileSync, readFileSync } = await import('node:fs');
    const file = join(cwd, 'stacks', 'Pulumi.dev.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('    green: {}', `    green: { image: "${ref('1.4.0', DIGEST_B)}", version: 1.4.0 }`).replace('live: blue', 'live: green'));
    const out = await promoteCommand({ ...base(), from: 'dev', to: 'staging' });
    expect(out.artifact).toMatchObject({ ref: ref('1.4.0', DIGEST_B), digest: DIGEST_B, version: '1.4.0' });
    expect((raw.config['slipway:release'] as any).green.image).toBe(ref('1.4.0', DIGEST_B));
  });
});
