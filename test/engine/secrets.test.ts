// The app's secrets on the real engine (local stack, file backend, the docker double): a secret set with
// `pulumi config set --secret` reaches a slot only through a deployment — idle slot, smoke tests, gate,
// switch — while the live container keeps its environment; a rollback returns to the old value; and
// the value is nowhere in plain text: not in the state (raw files or `pulumi stack export`), the stack
// file, the ledger, or anything `slipway` prints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { docker } from '../support/docker';
import { ROOT } from '../mocks';
import { containerId, engineProject, filesMatching, versionAt, type EngineProject } from './project';

const FIRST = 'postgres://shop:first-Zq81vX@db-one.internal/shop';
const SECOND = 'postgres://shop:second-Pw27kT@db-two.internal/shop';
const LEAKS = /first-Zq81vX|second-Pw27kT|db-one\.internal|db-two\.internal/;

let p: EngineProject;
/** Everything every `slipway` run printed, to look for values in. */
let printed = '';
const at = (...parts: string[]) => join(p.dir, ...parts);

async function slipway(args: string[], expectExit = 0): Promise<string> {
  const r = await p.slipway(args);
  printed += r.all ?? '';
  expect(r.exitCode, r.all).toBe(expectExit);
  return r.stdout;
}

/** The plain Pulumi CLI on this project's file backend (the local stack's empty passphrase). */
function pulumi(args: string[], input?: string) {
  const env = { PULUMI_BACKEND_URL: `file://${at('.slipway', 'state')}`, PULUMI_CONFIG_PASSPHRASE: '', PULUMI_HOME: at('.pulumi-home') };
  return execa('bash', ['-c', `. "${join(ROOT, 'test', 'providers', 'env.sh')}" && exec pulumi "$@"`, 'pulumi', ...args, '--stack', 'local'], {
    cwd: p.dir,
    env,
    reject: false,
    all: true,
    ...(input === undefined ? { stdin: 'ignore' as const } : { input }),
  });
}

const stackFile = () => at('stacks', 'Pulumi.local.yaml');
const release = () => (parse(readFileSync(stackFile(), 'utf8')) as { config: Record<string, any> }).config['slipway:release'];
/** The image the live slot runs, as the stack file records it. */
const liveRef = () => release()[release().live].image as string;
const detail = async (url: string) => ((await (await fetch(`${url}/healthz/detail`, { signal: AbortSignal.timeout(5000) })).json()) as { database: string }).database;
const slotAt = async (url: string) => ((await (await fetch(`${url}/version`, { signal: AbortSignal.timeout(5000) })).json()) as { slot: string }).slot;
const envOf = async (container: string) => JSON.parse(await docker(['inspect', '-f', '{{json .Config.Env}}', container])) as string[];
const databaseIn = async (container: string) => (await envOf(container)).find((e) => e.startsWith('DATABASE_URL='))?.slice('DATABASE_URL='.length);

/** Deploys the live artifact again with the manual gate: stops at the gate (exit 3); returns the deployment id. */
async function deployToGate(): Promise<string> {
  await slipway(['deploy', '--stack', 'local', '--artifact', liveRef()], 3);
  const h = JSON.parse(await slipway(['history', '--stack', 'local', '--json'])) as { deployments: { id: string; status: string }[] };
  expect(h.deployments[0]!.status).toBe('awaiting-approval');
  return h.deployments[0]!.id;
}
const approve = (id: string) => slipway(['approve', '--stack', 'local', '--id', id, '--by', 'alice']);

/** Every file under `dir` whose bytes hold a value. */
beforeAll(async () => {
  p = await engineProject('secrets');
  p.writeStack('local', { approval: 'manual', approvers: ['alice'], bakeSeconds: 1 });
  await slipway(['deploy', '--stack', 'local', '--build', 'app', '--base-image', p.baseImage, '--app-version', '1.0.0'], 3);
  const h = JSON.parse(await slipway(['history', '--stack', 'local', '--json'])) as { deployments: { id: string }[] };
  await approve(h.deployments[0]!.id);
}, 180_000);
afterAll(async () => {
  await p?.cleanup();
});

describe.sequential('app secrets on the real engine (local stack)', () => {
  it('the first release has no database', async () => {
    expect(await detail(p.publicUrl)).toBe('unset');
  });

  it('a new secret goes to the idle slot only; the live container keeps its environment until the switch', async () => {
    const n = p.names('local');
    // The stack file lists the secret (and a plain variable); its value is set encrypted, from stdin.
    const doc = parse(readFileSync(stackFile(), 'utf8')) as { config: Record<string, any> };
    doc.config['slipway:app'].env = { LOG_LEVEL: 'info' };
    doc.config['slipway:app'].secrets = ['DATABASE_URL'];
    writeFileSync(stackFile(), stringify(doc));
    const set = await pulumi(['config', 'set', '--secret', 'slipway:secret.DATABASE_URL'], FIRST);
    expect(set.exitCode, set.all).toBe(0);
    expect(readFileSync(stackFile(), 'utf8')).toMatch(/slipway:secret\.DATABASE_URL:\n\s+secure: v1:/);

    const live = release().live as 'blue' | 'green';
    const idle = live === 'blue' ? 'green' : 'blue';
    const liveBefore = await containerId(n[live]);
    const id = await deployToGate();
    // At the gate: the idle slot runs the new configuration, the public route still the old one.
    expect(await containerId(n[live])).toBe(liveBefore);
    expect(await databaseIn(n[live])).toBeUndefined();
    expect(await databaseIn(n[idle])).toBe(FIRST);
    expect(await envOf(n[idle])).toContain('LOG_LEVEL=info');
    expect([await detail(p.publicUrl), await detail(p.testUrl)]).toEqual(['unset', 'set']);
    expect(release()[idle].config).toMatch(/^[0-9a-f]{16}$/);
    expect(release()[live].config).toBeUndefined();

    await approve(id);
    expect([await slotAt(p.publicUrl), await detail(p.publicUrl)]).toEqual([idle, 'set']);
  }, 180_000);

  it('a changed value is a release of its own: the live container keeps the old value until the switch', async () => {
    const n = p.names('local');
    const live = release().live as 'blue' | 'green';
    const idle = live === 'blue' ? 'green' : 'blue';
    const set = await pulumi(['config', 'set', '--secret', 'slipway:secret.DATABASE_URL'], SECOND);
    expect(set.exitCode, set.all).toBe(0);
    const liveBefore = await containerId(n[live]);
    // A plain `up` (what `preview` shows) changes no slot: the live one keeps its value.
    const preview = JSON.parse(await slipway(['preview', '--stack', 'local', '--json'])) as { stacks: { counts: Record<string, number> }[] };
    expect(Object.entries(preview.stacks[0]!.counts).filter(([op, c]) => op !== 'same' && c > 0)).toEqual([]);

    const id = await deployToGate();
    expect(await containerId(n[live])).toBe(liveBefore);
    expect([await databaseIn(n[live]), await databaseIn(n[idle])]).toEqual([FIRST, SECOND]);
    await approve(id);
    expect(await slotAt(p.publicUrl)).toBe(idle);
    expect(await databaseIn(n[idle])).toBe(SECOND);
    expect(await containerId(n[live])).toBe(liveBefore);
  }, 180_000);

  it('a rollback returns to the slot that still runs the old value', async () => {
    const n = p.names('local');
    const before = release().live as 'blue' | 'green';
    await slipway(['rollback', '--stack', 'local']);
    const now = release().live as 'blue' | 'green';
    expect(now).not.toBe(before);
    expect(await slotAt(p.publicUrl)).toBe(now);
    expect(await databaseIn(n[now])).toBe(FIRST);
    expect(await versionAt(p.publicUrl)).toBe('1.0.0');
  }, 120_000);

  it('no value in plain text: state files, stack export, stack file, ledger, or any slipway output', async () => {
    // The value is in the state — encrypted.
    expect((await pulumi(['stack', 'export', '--show-secrets'])).stdout).toContain('second-Pw27kT');
    const exported = await pulumi(['stack', 'export']);
    expect(exported.exitCode, exported.all).toBe(0);
    expect(exported.stdout).toContain('ciphertext');
    expect(exported.stdout).not.toMatch(LEAKS);
    expect([...filesMatching(at('.slipway'), LEAKS), ...filesMatching(at('.pulumi-home'), LEAKS)]).toEqual([]);
    expect(readFileSync(stackFile(), 'utf8')).not.toMatch(LEAKS);
    for (const args of [['status', '--stack', 'local'], ['history', '--stack', 'local', '--json'], ['plan', '--stack', 'local'], ['plan', '--stack', 'local', '--json'], ['preview', '--stack', 'local']]) {
      await slipway(args);
    }
    // Drift exits 2 when it finds any; either way, what it prints is checked with the rest.
    printed += (await p.slipway(['drift', '--stack', 'local'])).all ?? '';
    await slipway(['backup', '--stack', 'local', '--out', 'b.json']);
    expect(readFileSync(at('b.json'), 'utf8')).not.toMatch(LEAKS);
    expect(printed).not.toMatch(LEAKS);
    expect(printed).toContain('[secret]');
  }, 180_000);
});
