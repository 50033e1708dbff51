// The one lock implementation (pipeline/release/lock.ts), as the deployment lock and the ledger writer
// use it, and its one stale-lock rule: a lock naming a process of this host that is gone is taken over;
// a live holder, or any holder on another host, is respected and named.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockHeld } from '../pipeline/cli/errors';
import { Ledger } from '../pipeline/ledger/store';
import { fileLock, isStale, tryLock } from '../pipeline/release/lock';
import { started } from './ledger/fixtures';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited. */
function deadPid(): number {
  return Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString());
}
const holder = (pid: number, host = hostname(), extra: Record<string, unknown> = {}) =>
  `${JSON.stringify({ deploymentId: 'd-old', actor: 'carol', ...extra, pid, host, since: '2025-03-01T10:00:00.000Z' })}\n`;

describe('the deployment lock', () => {
  it('is taken, refused to a second deployment naming the holder, and free again once released', () => {
    const lock = fileLock(dir, () => new Date('2025-03-01T12:00:00Z'));
    const release = lock.acquire('prod', { deploymentId: 'd1', actor: 'alice' });
    expect(() => lock.acquire('prod', { deploymentId: 'd2', actor: 'bob' })).toThrow(LockHeld);
    expect(() => lock.acquire('prod', { deploymentId: 'd2', actor: 'bob' })).toThrow(
      `stack prod is being deployed by alice (deployment d1, pid ${process.pid} on ${hostname()}, since 2025-03-01T12:00:00.000Z); wait for it to finish`,
    );
    // Other stacks are not held.
    lock.acquire('dev', { deploymentId: 'd3', actor: 'bob' })();
    release();
    expect(existsSync(join(dir, 'prod.deploy.lock'))).toBe(false);
    lock.acquire('prod', { deploymentId: 'd2', actor: 'bob' })();
  });

  it('takes over a stale lock: its process is gone', async () => {
    const pid = deadPid();
    await writeFile(join(dir, 'prod.deploy.lock'), holder(pid));
    expect(isStale({ pid, host: hostname(), since: '' })).toBe(true);
    const release = fileLock(dir).acquire('prod', { deploymentId: 'd2', actor: 'bob' });
    expect(JSON.parse(await readFile(join(dir, 'prod.deploy.lock'), 'utf8'))).toMatchObject({ deploymentId: 'd2', pid: process.pid });
    release();
    // Nothing left behind: no temporary or moved-aside files.
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes over an unreadable lock file, however young', async () => {
    await writeFile(join(dir, 'prod.deploy.lock'), 'garbage');
    fileLock(dir).acquire('prod', { deploymentId: 'd2', actor: 'bob' })();
  });

  it('respects a live holder however old, and a holder on another host, naming them', async () => {
    await writeFile(join(dir, 'prod.deploy.lock'), holder(process.pid));
    expect(() => fileLock(dir).acquire('prod', { deploymentId: 'd2', actor: 'bob' })).toThrow(
      `stack prod is being deployed by carol (deployment d-old, pid ${process.pid} on ${hostname()}, since 2025-03-01T10:00:00.000Z); wait for it to finish`,
    );
    const file = join(dir, 'prod.deploy.lock');
    await writeFile(file, holder(deadPid(), 'build-7'));
    expect(() => fileLock(dir).acquire('prod', { deploymentId: 'd2', actor: 'bob' })).toThrow(
      /pid \d+ on build-7, since 2025-03-01T10:00:00.000Z\); wait for it to finish \(a lock from another host is never broken automatically: remove .*prod\.deploy\.lock once that slipway is gone\)$/,
    );
    expect(await readFile(file, 'utf8')).toContain('build-7');
  });

  it('tryLock reports the live holder without taking anything', async () => {
    await writeFile(join(dir, 'x.lock'), holder(process.pid));
    expect(tryLock(join(dir, 'x.lock'))).toEqual({ held: expect.objectContaining({ pid: process.pid, actor: 'carol' }) });
  });
});

describe('the ledger writer lock (same module, same rule)', () => {
  it('takes over a lock left by a writer that died', async () => {
    const ledger = new Ledger(dir);
    const lock = join(dir, 'prod.lock');
    await writeFile(lock, holder(deadPid()));
    await ledger.append('prod', started('d1'));
    expect((await ledger.read('prod')).map((e) => e.deploymentId)).toEqual(['d1']);
    expect(existsSync(lock)).toBe(false);
  });

  it('gives up on a live writer with LockHeld naming it, and leaves its lock alone', async () => {
    const ledger = new Ledger(dir, { lockTimeoutMs: 50 });
    const lock = join(dir, 'prod.lock');
    await writeFile(lock, holder(process.pid));
    const attempt = ledger.append('prod', started('d1'));
    await expect(attempt).rejects.toThrow(LockHeld);
    await expect(attempt).rejects.toThrow(
      `${lock} is held by pid ${process.pid} on ${hostname()}, since 2025-03-01T10:00:00.000Z; another slipway is writing this ledger (a lock whose process is gone is taken over automatically)`,
    );
    expect(await readFile(lock, 'utf8')).toBe(holder(process.pid));
    expect(existsSync(join(dir, 'prod.jsonl'))).toBe(false);
  });

  it('waits for a live writer that releases', async () => {
    const ledger = new Ledger(dir, { lockTimeoutMs: 10_000 });
    const lock = join(dir, 'prod.lock');
    await writeFile(lock, holder(process.pid));
    const attempt = ledger.append('prod', started('d1'));
    setTimeout(() => void rm(lock), 50);
    await expect(attempt).resolves.toMatchObject({ seq: 1, deploymentId: 'd1' });
  });
});
