// The backup format (pipeline/recovery/backup.ts, backupFile.ts): the checksum covers every field,
// a reader refuses — with one exact line naming the flag and the file — anything that is not an intact
// backup of this format, and writing never leaves half a file or replaces one without --force.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BACKUP_FORMAT,
  checkBackup,
  checksumOf,
  currentIsNewer,
  foreignProblem,
  plaintextSecrets,
  sealBackup,
  serializeBackup,
  type Backup,
  type BackupBody,
} from '../pipeline/recovery/backup';
import { checkOut, readBackup, writeAtomically } from '../pipeline/recovery/backupFile';

const SIG = { '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270' };
const HASH = `sha256:${'a'.repeat(64)}`;

export function body(over: Partial<BackupBody> = {}): BackupBody {
  return {
    format: BACKUP_FORMAT,
    project: 'slipway',
    stack: 'local',
    createdAt: '2026-01-02T03:04:05.000Z',
    state: {
      version: 3,
      deployment: {
        manifest: { time: '2026-01-02T03:04:00.123456789Z' },
        secrets_providers: { type: 'passphrase', state: { salt: 'v1:x' } },
        resources: [{ urn: 'urn:pulumi:local::slipway::pulumi:pulumi:Stack::slipway-local', outputs: { token: { ...SIG, ciphertext: 'v1:abc' } } }],
      },
    },
    stackFile: 'config:\n  slipway:target: docker\n',
    ledger: { head: { seq: 3, hash: HASH }, text: '{"seq":1}\n' },
    ...over,
  };
}

describe('checksum', () => {
  it('is sha256 over the canonical JSON of the body: key order does not matter, every value does', () => {
    const b = body();
    const reordered = JSON.parse(JSON.stringify({ ledger: b.ledger, stack: b.stack, state: b.state, format: b.format, project: b.project, createdAt: b.createdAt, stackFile: b.stackFile })) as BackupBody;
    expect(checksumOf(reordered)).toBe(checksumOf(b));
    expect(checksumOf(b)).toMatch(/^sha256:[0-9a-f]{64}$/);
    for (const changed of [body({ stack: 'dev' }), body({ stackFile: 'config: {}\n' }), body({ ledger: { head: { seq: 4, hash: HASH }, text: '' } }), body({ createdAt: '2026-01-02T03:04:06.000Z' })]) {
      expect(checksumOf(changed)).not.toBe(checksumOf(b));
    }
  });

  it('a sealed backup reads back as itself', () => {
    const sealed = sealBackup(body());
    expect(checkBackup(JSON.parse(serializeBackup(sealed)))).toEqual(sealed);
  });
});

describe('checkBackup: one line saying why a document is not an intact backup', () => {
  const sealed = () => JSON.parse(serializeBackup(sealBackup(body()))) as Backup;

  it('refuses what is not a backup, or another format', () => {
    expect(checkBackup([1, 2])).toBe('not a Slipway backup (no "format": "slipway-backup/1"; `slipway backup` writes one)');
    expect(checkBackup({ version: 3, deployment: {} })).toBe('not a Slipway backup (no "format": "slipway-backup/1"; `slipway backup` writes one)');
    expect(checkBackup({ ...sealed(), format: 'slipway-backup/2' })).toBe('backup format "slipway-backup/2" is not one this Slipway reads (slipway-backup/1)');
  });

  it('names the first field that is missing or of the wrong kind', () => {
    const { state: _s, ...noState } = sealed();
    expect(checkBackup(noState)).toBe('not a Slipway backup: state: missing');
    expect(checkBackup({ ...sealed(), stack: '' })).toBe('not a Slipway backup: stack: must be a non-empty string');
    expect(checkBackup({ ...sealed(), createdAt: 'yesterday' })).toBe('not a Slipway backup: createdAt: must be an ISO time');
    expect(checkBackup({ ...sealed(), state: { version: 3 } })).toBe('not a Slipway backup: state.deployment: must be an object');
    expect(checkBackup({ ...sealed(), ledger: { head: { seq: 1, hash: 'x' }, text: '' } })).toBe('not a Slipway backup: ledger.head: must be null or {"seq": N, "hash": "sha256:<64 hex>"}');
    expect(checkBackup({ ...sealed(), checksum: 'md5:1' })).toBe('not a Slipway backup: checksum: must be "sha256:<64 hex>"');
  });

  it('refuses a backup edited after it was written, naming both checksums', () => {
    const b = sealed();
    const edited = structuredClone(b);
    (edited.state.deployment.resources as { urn: string }[])[0]!.urn += 'x';
    const { checksum: _c, ...editedBody } = edited;
    expect(checkBackup(edited)).toBe(`checksum mismatch: it records ${b.checksum} but its content hashes to ${checksumOf(editedBody)} (changed after it was written)`);
  });

  it('refuses a state with a secret in plaintext, naming where and never the value', () => {
    const leaky = body();
    (leaky.state.deployment.resources as { outputs: Record<string, unknown> }[])[0]!.outputs.token = { ...SIG, plaintext: '"hunter2"' };
    const message = checkBackup(sealBackup(leaky)) as string;
    expect(message).toBe('holds 1 secret(s) in plaintext (first at state.deployment.resources[0].outputs.token); a backup keeps secrets encrypted');
    expect(message).not.toContain('hunter2');
  });
});

describe('plaintextSecrets', () => {
  it('accepts ciphertext, finds plaintext anywhere in the state', () => {
    expect(plaintextSecrets(body().state)).toEqual([]);
    expect(plaintextSecrets({ a: [{ b: { ...SIG, plaintext: '1' } }], c: { ...SIG } })).toEqual(['state.a[0].b', 'state.c']);
  });
});

describe('foreignProblem', () => {
  it('names the project, then the stack, the backup belongs to', () => {
    expect(foreignProblem({ project: 'slipway', stack: 'local' }, { project: 'slipway', stack: 'local' })).toBeUndefined();
    expect(foreignProblem({ project: 'other', stack: 'local' }, { project: 'slipway', stack: 'local' })).toBe('a backup of project "other", not "slipway" (Pulumi.yaml)');
    expect(foreignProblem({ project: 'slipway', stack: 'dev' }, { project: 'slipway', stack: 'local' })).toBe('a backup of stack "dev", not "local"');
  });
});

describe('currentIsNewer', () => {
  const state = (time: string, urns: string[]) => ({ version: 3, deployment: { manifest: { time }, resources: urns.map((urn) => ({ urn })) } });
  const backup = state('2026-01-02T03:04:00.5Z', ['a', 'b']);

  it('is newer only with resources that differ, written after the backup', () => {
    expect(currentIsNewer(state('2026-01-02T03:05:00Z', ['a', 'b', 'c']), backup)).toBe(true);
    expect(currentIsNewer(state('2026-01-02T03:03:00Z', ['a']), backup)).toBe(false);
    // Nanosecond times, as Pulumi writes them, compare by their instant.
    expect(currentIsNewer(state('2026-01-02T03:04:00.500000001Z', ['a']), backup)).toBe(false);
    expect(currentIsNewer(state('2026-01-02T03:04:00.600000000Z', ['a']), backup)).toBe(true);
  });

  it('is never newer when nothing would change, or when there is nothing (no stack, an empty one)', () => {
    expect(currentIsNewer(state('2030-01-01T00:00:00Z', ['a', 'b']), backup)).toBe(false);
    expect(currentIsNewer(undefined, backup)).toBe(false);
    expect(currentIsNewer(state('2030-01-01T00:00:00Z', []), backup)).toBe(false);
  });

  it('counts an unreadable time as newer (asking for --force rather than guessing)', () => {
    expect(currentIsNewer({ version: 3, deployment: { resources: [{ urn: 'z' }] } }, backup)).toBe(true);
  });
});

describe('backup files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-backup-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads an intact backup; refuses a missing, non-file, oversized, non-JSON or tampered one in one line', () => {
    const text = serializeBackup(sealBackup(body()));
    writeFileSync(join(dir, 'b.json'), text);
    expect(readBackup(dir, 'b.json').stack).toBe('local');
    const refusal = (f: string, limit?: number) => {
      try {
        readBackup(dir, f, limit);
        return 'read';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(refusal('none.json')).toBe('--from: none.json: no such file; nothing was restored');
    expect(refusal('.')).toBe('--from: .: not a file (a backup is one JSON file written by `slipway backup`); nothing was restored');
    expect(refusal('b.json', 1024)).toBe(`--from: b.json: ${Math.ceil(Buffer.byteLength(text) / 1024)} KiB is over the 1 KiB limit for a backup; nothing was restored`);
    writeFileSync(join(dir, 'n.json'), 'config:\n');
    expect(refusal('n.json')).toBe('--from: n.json: not a Slipway backup (not JSON; `slipway backup` writes one); nothing was restored');
    // One byte of the state changed: still JSON, no longer what was sealed.
    writeFileSync(join(dir, 't.json'), text.replace('slipway-local', 'slipway-locak'));
    expect(refusal('t.json')).toMatch(/^--from: t\.json: checksum mismatch: it records sha256:[0-9a-f]{64} but its content hashes to sha256:[0-9a-f]{64} \(changed after it was written\); nothing was restored$/);
  });

  it('--out: refuses an existing file without --force, a directory, a missing folder', () => {
    writeFileSync(join(dir, 'old.json'), 'x');
    const refusal = (f: string, force = false) => {
      try {
        checkOut(dir, f, force);
        return 'ok';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(refusal('old.json')).toBe('--out: old.json: already exists; --force overwrites it');
    expect(refusal('old.json', true)).toBe('ok');
    expect(refusal('.')).toBe('--out: .: is a directory (expected a file to write the backup to)');
    expect(refusal('no/b.json')).toBe('--out: no/b.json: no such folder no (create it first)');
  });

  it('writes whole files, owner-only, never over one that appeared meanwhile, and leaves no temporary file', () => {
    const path = join(dir, 'b.json');
    writeAtomically(path, 'one', { overwrite: false, label: '--out: b.json' });
    expect(readFileSync(path, 'utf8')).toBe('one');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(() => writeAtomically(path, 'two', { overwrite: false, label: '--out: b.json' })).toThrow('--out: b.json: already exists; --force overwrites it');
    expect(readFileSync(path, 'utf8')).toBe('one');
    writeAtomically(path, 'three', { overwrite: true, label: '--out: b.json' });
    expect(readFileSync(path, 'utf8')).toBe('three');
    expect(readdirSync(dir)).toEqual(['b.json']);
    expect(existsSync(`${path}.tmp`)).toBe(false);
  });
});
