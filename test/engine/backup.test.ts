// Backup and restore on the real engine (local stack, file backend): a backup holds the exported state
// with its secrets provider and no decrypted secret; after the state is deleted, restore brings it back
// and a preview finds nothing to change; a tampered, a foreign and (without --force) an older backup are
// refused with one line each and nothing in the backend, the stack file or the ledger changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { sealBackup, serializeBackup, type Backup } from '../../pipeline/recovery/backup';
import { ROOT } from '../mocks';
import { engineProject, versionAt, type EngineProject } from './project';

let p: EngineProject;
const deployArgs = (version: string) => ['deploy', '--stack', 'local', '--build', 'app', '--base-image', p.baseImage, '--app-version', version];
const at = (...parts: string[]) => join(p.dir, ...parts);
const checkpoint = () => at('.slipway', 'state', '.pulumi', 'stacks', 'slipway', 'local.json');
const tagsFile = () => at('.slipway', 'state', '.pulumi', 'stacks', 'slipway', 'local.pulumi-tags');
const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : null);
/** What a refused restore must leave as it was: the state, the anchor tag, the stack file, the ledger. */
const snapshot = () => ({
  state: read(checkpoint()),
  tags: read(tagsFile()),
  stackFile: read(at('stacks', 'Pulumi.local.yaml')),
  ledger: read(at('.slipway', 'ledger', 'local.jsonl')),
});
/** Resources a preview would touch: none after a faithful restore. */
async function previewChanges(): Promise<Record<string, number>> {
  const r = await p.slipway(['preview', '--stack', 'local', '--json']);
  expect(r.exitCode, r.all).toBe(0);
  const counts = (JSON.parse(r.stdout) as { stacks: { counts: Record<string, number> }[] }).stacks[0]!.counts;
  return Object.fromEntries(Object.entries(counts).filter(([op, n]) => op !== 'same' && n > 0));
}
const resealed = (b: Backup, edit: Partial<Backup>) => {
  const { checksum: _c, ...body } = b;
  return serializeBackup(sealBackup({ ...body, ...edit }));
};

beforeAll(async () => {
  p = await engineProject('backup');
  const r = await p.slipway(deployArgs('1.0.0'));
  expect(r.exitCode, r.all).toBe(0);
});
afterAll(async () => {
  await p?.cleanup();
});

describe.sequential('slipway backup and restore on the real engine (local stack)', () => {
  let first: Backup;

  it('backs up the state as exported (secrets provider, ciphertext only), the stack file and the anchored ledger head', async () => {
    const r = await p.slipway(['backup', '--stack', 'local', '--out', 'b1.json']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/^local: backup written to b1\.json \(\d+ resources, ledger head seq \d+, \d+ KiB, checksum sha256:[0-9a-f]{64}\)$/);
    const text = readFileSync(at('b1.json'), 'utf8');
    first = JSON.parse(text) as Backup;
    expect(first.state.deployment.secrets_providers).toMatchObject({ type: 'passphrase' });
    expect(text).not.toContain('"plaintext"');
    expect(first.stackFile).toBe(readFileSync(at('stacks', 'Pulumi.local.yaml'), 'utf8'));
    expect(readFileSync(tagsFile(), 'utf8')).toContain(`${first.ledger.head!.seq} ${first.ledger.head!.hash}`);
    expect(first.ledger.text).toBe(readFileSync(at('.slipway', 'ledger', 'local.jsonl'), 'utf8'));
    // Never over an existing file without --force.
    const again = await p.slipway(['backup', '--stack', 'local', '--out', 'b1.json']);
    expect(again.exitCode).toBe(1);
    expect(again.stderr.trim()).toBe('--out: b1.json: already exists; --force overwrites it');
  });

  it('round trip: the state deleted, restore brings it back; nothing to change, the ledger anchored again', async () => {
    rmSync(at('.slipway', 'state'), { recursive: true });
    const r = await p.slipway(['restore', '--stack', 'local', '--from', 'b1.json']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toBe(
      `local: state restored from b1.json (backup taken ${first.createdAt}, ${(first.state.deployment.resources as unknown[]).length} resources)\nlocal: ledger head anchored again from the backup`,
    );
    expect(await previewChanges()).toEqual({});
    const v = await p.slipway(['ledger', 'verify', '--stack', 'local']);
    expect(v.exitCode, v.all).toBe(0);
    expect(v.stdout).toContain(', anchored');
    expect(await versionAt(p.publicUrl)).toBe('1.0.0');
  });

  it('refuses a backup with one byte of its state changed, naming the checksum; nothing changes', async () => {
    const text = readFileSync(at('b1.json'), 'utf8');
    const i = text.indexOf('"pulumi:pulumi:Stack"');
    expect(i).toBeGreaterThan(0);
    writeFileSync(at('tampered.json'), `${text.slice(0, i + 19)}j${text.slice(i + 20)}`);
    const before = snapshot();
    const r = await p.slipway(['restore', '--stack', 'local', '--from', 'tampered.json']);
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /^--from: tampered\.json: checksum mismatch: it records sha256:[0-9a-f]{64} but its content hashes to sha256:[0-9a-f]{64} \(changed after it was written\); nothing was restored$/,
    );
    expect(snapshot()).toEqual(before);
  });

  it("refuses another stack's and another project's backup; nothing changes", async () => {
    writeFileSync(at('other-stack.json'), resealed(first, { stack: 'other' }));
    writeFileSync(at('other-project.json'), resealed(first, { project: 'shop' }));
    const before = snapshot();
    const s = await p.slipway(['restore', '--stack', 'local', '--from', 'other-stack.json']);
    expect(s.exitCode, s.all).toBe(1);
    expect(s.stderr.trim()).toBe('--from: other-stack.json: a backup of stack "other", not "local"; nothing was restored');
    const pr = await p.slipway(['restore', '--stack', 'local', '--from', 'other-project.json']);
    expect(pr.exitCode, pr.all).toBe(1);
    expect(pr.stderr.trim()).toBe('--from: other-project.json: a backup of project "shop", not "slipway" (Pulumi.yaml); nothing was restored');
    expect(snapshot()).toEqual(before);
  });

  it('after a newer deployment, asks for --force; with it, restores the older state and stack file', async () => {
    const d = await p.slipway(deployArgs('2.0.0'));
    expect(d.exitCode, d.all).toBe(0);
    const before = snapshot();
    const r = await p.slipway(['restore', '--stack', 'local', '--from', 'b1.json']);
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stderr.trim()).toMatch(/^stack local: its current state \(written \S+, \d+ resources\) is newer than the backup's \(\S+\) and differs from it; --force restores the backup over it; nothing was restored$/);
    expect(snapshot()).toEqual(before);

    const f = await p.slipway(['restore', '--stack', 'local', '--from', 'b1.json', '--force']);
    expect(f.exitCode, f.all).toBe(0);
    expect(f.stdout).toContain('local: stacks/Pulumi.local.yaml written from the backup');
    expect(readFileSync(at('stacks', 'Pulumi.local.yaml'), 'utf8')).toBe(first.stackFile);
    const state = JSON.parse(readFileSync(checkpoint(), 'utf8')) as { checkpoint: { latest: { resources: { urn: string; outputs?: unknown }[] } } };
    expect(state.checkpoint.latest.resources.map((x) => x.urn)).toEqual((first.state.deployment.resources as { urn: string }[]).map((x) => x.urn));
    // State and stack file agree again (the world still runs 2.0.0 until an up: `slipway drift` shows it).
    expect(await previewChanges()).toEqual({});
    // The anchor is the ledger's, not the state's: it stays at the newer deployment's head.
    expect(snapshot().tags).toBe(before.tags);
    expect((await p.slipway(['ledger', 'verify', '--stack', 'local'])).exitCode).toBe(0);
  });

  it('a secret in the state stays ciphertext in the backup, and comes back decryptable', async () => {
    // The plain CLI, on this project's file backend (the local stack's empty passphrase).
    const env = { PULUMI_BACKEND_URL: `file://${at('.slipway', 'state')}`, PULUMI_CONFIG_PASSPHRASE: '', PULUMI_HOME: at('.pulumi-home') };
    const cli = (args: string[]) =>
      execa('bash', ['-c', `. "${join(ROOT, 'test', 'providers', 'env.sh')}" && exec pulumi "$@"`, 'pulumi', ...args, '--stack', 'local', '--non-interactive'], { cwd: p.dir, env, reject: false, all: true });
    const state = JSON.parse((await cli(['stack', 'export'])).stdout) as { deployment: { resources: { type: string; outputs?: Record<string, unknown> }[] } };
    const root = state.deployment.resources.find((r) => r.type === 'pulumi:pulumi:Stack')!;
    // A secret output as `--show-secrets` prints one; the import encrypts it with the stack's provider.
    root.outputs = { ...root.outputs, dbPassword: { '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270', plaintext: '"hunter2"' } };
    writeFileSync(at('with-secret.json'), JSON.stringify(state));
    const imported = await cli(['stack', 'import', '--file', 'with-secret.json']);
    expect(imported.exitCode, imported.all).toBe(0);

    const b = await p.slipway(['backup', '--stack', 'local', '--out', 'secret.json']);
    expect(b.exitCode, b.all).toBe(0);
    const text = readFileSync(at('secret.json'), 'utf8');
    expect(text).not.toContain('hunter2');
    const backed = (JSON.parse(text) as Backup).state.deployment.resources as { type: string; outputs?: Record<string, Record<string, unknown>> }[];
    const secret = backed.find((r) => r.type === 'pulumi:pulumi:Stack')!.outputs!.dbPassword!;
    expect(Object.keys(secret).sort()).toEqual(['4dabf18193072939515e22adb298388d', 'ciphertext']);
    expect(b.all).not.toContain('hunter2');

    rmSync(at('.slipway', 'state'), { recursive: true });
    const r = await p.slipway(['restore', '--stack', 'local', '--from', 'secret.json']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).not.toContain('hunter2');
    expect((await cli(['stack', 'export', '--show-secrets'])).stdout).toContain('hunter2');
  });
});
