// A backup on disk: read with a size bound and checked (backup.ts) before anything uses it; written
// whole or not at all (a temporary file beside it, then a link or rename), never over an existing file
// unless asked. Every refusal is one line naming the flag and the file.
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../cli/errors';
import { BACKUP_MAX_BYTES, checkBackup, type Backup } from './backup';

export function sizeLabel(bytes: number): string {
  if (bytes % 2 ** 20 === 0) return `${bytes / 2 ** 20} MiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${Math.ceil(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}

/** The backup `--from FILE` names, checked: exists, a file, within the bound, a sound backup. */
export function readBackup(cwd: string, file: string, limit = BACKUP_MAX_BYTES): Backup {
  const path = resolve(cwd, file);
  const refuse = (why: string) => new UserError(`--from: ${file}: ${why}; nothing was restored`);
  if (!existsSync(path)) throw refuse('no such file');
  const st = statSync(path);
  if (!st.isFile()) throw refuse('not a file (a backup is one JSON file written by `slipway backup`)');
  if (st.size > limit) throw refuse(`${sizeLabel(st.size)} is over the ${sizeLabel(limit)} limit for a backup`);
  const text = readFileSync(path, 'utf8');
  // Grown between the stat and the read: still bounded.
  if (Buffer.byteLength(text) > limit) throw refuse(`over the ${sizeLabel(limit)} limit for a backup`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw refuse('not a Slipway backup (not JSON; `slipway backup` writes one)');
  }
  const checked = checkBackup(doc);
  if (typeof checked === 'string') throw refuse(checked);
  return checked;
}

/** Refuses an `--out FILE` that cannot be written: a directory, in a missing folder, or existing without --force. */
export function checkOut(cwd: string, file: string, force: boolean): string {
  const path = resolve(cwd, file);
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) throw new UserError(`--out: ${file}: is a directory (expected a file to write the backup to)`);
    if (!force) throw new UserError(`--out: ${file}: already exists; --force overwrites it`);
  }
  const dir = dirname(path);
  if (!existsSync(dir)) throw new UserError(`--out: ${file}: no such folder ${dirname(file)} (create it first)`);
  if (!statSync(dir).isDirectory()) throw new UserError(`--out: ${file}: ${dirname(file)} is not a folder`);
  return path;
}

/**
 * Writes `text` to `path` whole or not at all: into a temporary file beside it (owner-only unless
 * `mode` says otherwise: a backup holds encrypted state), synced, then linked into place — which fails if the file appeared meanwhile — or,
 * with `overwrite`, renamed over it.
 */
export function writeAtomically(path: string, text: string, opts: { overwrite: boolean; label: string; mode?: number }): void {
  const tmp = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  const fd = openSync(tmp, 'wx', opts.mode ?? 0o600);
  try {
    try {
      const bytes = Buffer.from(text, 'utf8');
      let at = 0;
      while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (opts.overwrite) {
      renameSync(tmp, path);
      return;
    }
    try {
      linkSync(tmp, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new UserError(`${opts.label}: already exists; --force overwrites it`);
      throw e;
    }
  } finally {
    if (existsSync(tmp)) unlinkSync(tmp);
  }
}
