// Slipway's one file lock, used for the deployment lock of a stack (held for a whole deployment) and
// for the ledger writer (held while one line is appended and anchored).
//
// A lock is a file whose whole content — who holds it: pid, host, since, and what the caller adds — is
// written to a temporary file first and then hard-linked into place, so it appears atomically and is
// never seen half-written. The one stale-lock rule: a lock is stale when it names a process on this
// host that no longer exists (or it cannot be read at all); a stale lock is taken over, anything else
// is respected, however old. A lock held by another host is never broken automatically (its process
// cannot be checked from here): remove its file by hand once that host's slipway is gone. Pulumi's own
// stack lock covers each `up`, also across machines.
//
// Taking over is race-free: the stale file is renamed aside (only one taker can), and if what was
// moved is not the lock judged stale (another taker already replaced it) it is linked back.
import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { LockHeld } from '../cli/errors';

/** Who holds a lock. Callers add their own fields (deployment id, actor). */
export interface LockHolder {
  pid: number;
  host: string;
  since: string;
  [field: string]: unknown;
}

export interface LockOwner extends LockHolder {
  deploymentId: string;
  actor: string;
}

export interface DeploymentLock {
  /** Takes the stack's lock or throws LockHeld naming who holds it. Returns the release function. */
  acquire(stack: string, owner: Pick<LockOwner, 'deploymentId' | 'actor'>): () => void;
}

/** Releases a lock (only while the file is still ours). */
export type Release = () => void;

/** The lock's file, taken for `fields` or, when a live holder has it, that holder. */
export function tryLock(file: string, fields: Record<string, unknown> = {}, now: () => Date = () => new Date()): { release: Release } | { held: LockHolder | undefined } {
  mkdirSync(dirname(file), { recursive: true });
  const body = `${JSON.stringify({ ...fields, pid: process.pid, host: hostname(), since: now().toISOString() })}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (create(file, body)) return { release: () => releaseIfOurs(file, body) };
    const seen = readRaw(file);
    if (seen === undefined) continue; // released meanwhile: try again
    const holder = parseHolder(seen);
    if (holder && !isStale(holder)) return { held: holder };
    takeOver(file, seen);
  }
  return { held: parseHolder(readRaw(file) ?? '') };
}

/** The stale-lock rule: the holder is a process of this host that is gone, or the file is unreadable. */
export function isStale(holder: LockHolder | undefined): boolean {
  if (!holder) return true;
  if (holder.host !== hostname()) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** `pid 123 on host since …` for messages. */
export function describeHolder(h: LockHolder | undefined): string {
  return h ? `pid ${h.pid} on ${h.host}, since ${h.since}` : 'an unreadable lock file';
}

/** Takes a lock, waiting up to `timeoutMs` for a live holder; then throws LockHeld from `held`. */
export async function waitForLock(
  file: string,
  fields: Record<string, unknown>,
  opts: { timeoutMs: number; held: (holder: LockHolder | undefined) => string },
): Promise<Release> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const r = tryLock(file, fields);
    if ('release' in r) return r.release;
    if (Date.now() >= deadline) throw new LockHeld(opts.held(r.held));
    await new Promise((res) => setTimeout(res, 5 + Math.random() * 20));
  }
}

/** `<dir>/<stack>.deploy.lock`: where a stack's deployment lock lives. */
export function deploymentLockFile(dir: string, stack: string): string {
  return join(dir, `${stack}.deploy.lock`);
}

/** Who holds the lock in `file` now: undefined when it is free or its holder is gone (stale). */
export function liveHolder(file: string): LockHolder | undefined {
  const raw = readRaw(file);
  if (raw === undefined) return undefined;
  const holder = parseHolder(raw);
  return holder && !isStale(holder) ? holder : undefined;
}

/** The deployment lock: `<dir>/<stack>.deploy.lock`, refused at once while its holder lives. */
export function fileLock(dir: string, now: () => Date = () => new Date()): DeploymentLock {
  return {
    acquire(stack, who) {
      const file = deploymentLockFile(dir, stack);
      const r = tryLock(file, who, now);
      if ('release' in r) return r.release;
      const h = r.held as Partial<LockOwner> | undefined;
      throw new LockHeld(
        `stack ${stack} is being deployed by ${h?.actor ?? 'someone'} (deployment ${h?.deploymentId ?? '?'}, ${describeHolder(r.held)}); wait for it to finish${
          r.held && r.held.host !== hostname() ? ` (a lock from another host is never broken automatically: remove ${file} once that slipway is gone)` : ''
        }`,
      );
    },
  };
}

/** Creates `file` with `body` atomically; false when it exists. */
function create(file: string, body: string): boolean {
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  const fd = openSync(tmp, 'wx');
  try {
    writeSync(fd, body);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

/** Removes the stale lock whose content was `seen`, unless someone replaced it meanwhile. */
function takeOver(file: string, seen: string): void {
  const aside = `${file}.${process.pid}.${randomUUID()}.stale`;
  try {
    renameSync(file, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (readRaw(aside) !== seen) {
    // A fresh lock someone took after our look: put it back (unless yet another one is there).
    try {
      linkSync(aside, file);
    } catch {
      /* the place is taken again; the next attempt looks at it */
    }
  }
  unlinkSync(aside);
}

function releaseIfOurs(file: string, body: string): void {
  // A live holder's lock is never taken over, so a file with our content is ours.
  if (readRaw(file) === body) {
    try {
      unlinkSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

function readRaw(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder> | null;
    if (v && typeof v === 'object' && Number.isInteger(v.pid) && typeof v.host === 'string') {
      return { ...v, since: String(v.since ?? '?') } as LockHolder;
    }
  } catch {
    /* unreadable */
  }
  return undefined;
}
