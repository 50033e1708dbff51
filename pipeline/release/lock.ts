// One deployment at a time per stack. Pulumi's own stack lock covers each `up`; this lock covers the
// whole deployment, including smoke tests and bake time between the updates.
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LockHeld } from '../cli/errors';

export interface LockOwner {
  deploymentId: string;
  actor: string;
  pid: number;
  host: string;
  since: string;
}

export interface DeploymentLock {
  /** Takes the stack's lock or throws LockHeld naming who holds it. Returns the release function. */
  acquire(stack: string, owner: Omit<LockOwner, 'pid' | 'host' | 'since'>): () => void;
}

export function fileLock(dir: string, now: () => Date = () => new Date()): DeploymentLock {
  return {
    acquire(stack, who) {
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${stack}.deploy.lock`);
      const owner: LockOwner = { ...who, pid: process.pid, host: hostname(), since: now().toISOString() };
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          const fd = openSync(file, 'wx');
          writeSync(fd, JSON.stringify(owner));
          closeSync(fd);
          return () => rmSync(file, { force: true });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
          const held = readOwner(file);
          if (held && !isStale(held)) {
            throw new LockHeld(
              `stack ${stack} is being deployed by ${held.actor} (deployment ${held.deploymentId}, pid ${held.pid} on ${held.host}, since ${held.since}); wait for it to finish`,
            );
          }
          // The holder died on this machine (or the file is unreadable): break the lock once.
          rmSync(file, { force: true });
        }
      }
      throw new LockHeld(`stack ${stack}: could not take the deployment lock ${file}`);
    },
  };
}

function readOwner(file: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

/** A lock is stale only when we can prove its process is gone: same host, pid not alive. */
function isStale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
