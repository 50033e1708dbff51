// A state backup's format (pure): one JSON document holding a stack's exported state (secrets as the
// backend's ciphertext, never decrypted), its stack file, its ledger and the head anchored for it, and a
// checksum over all of that. What `slipway backup` writes and `slipway restore` checks before it
// changes anything; the I/O is in backupFile.ts, the engine side in restore.ts.
import { createHash } from 'node:crypto';
import type { AnchorHead } from '../ledger/chain';
import { canonicalJson } from '../../stacks/canonical';
import { isObject } from '../review/values';

/** The format a backup declares; a reader refuses any other. */
export const BACKUP_FORMAT = 'slipway-backup/1';

/**
 * Largest backup read or written: 256 MiB. The state of an environment of a few hundred resources is
 * a few MB; the bound keeps a wrong file (a disk image) from exhausting memory on restore.
 */
export const BACKUP_MAX_BYTES = 256 * 2 ** 20;

/** A stack's state as `pulumi stack export` prints it. */
export interface ExportedState {
  version: number;
  deployment: Record<string, unknown>;
}

/** Everything a backup holds except its checksum. */
export interface BackupBody {
  format: typeof BACKUP_FORMAT;
  /** `name` of Pulumi.yaml. */
  project: string;
  stack: string;
  /** ISO time the backup was taken. */
  createdAt: string;
  /** The exported state, as exported. */
  state: ExportedState;
  /** `stacks/Pulumi.<stack>.yaml` as it was, byte for byte (release state and encryption salt). */
  stackFile: string;
  /**
   * The ledger: its text (every line, so a stack whose ledger was lost with its state gets its history
   * back, and with it the ability to deploy past the anchor again) and the head anchored in the
   * backend when the backup was taken (null: none; the stack was never deployed by Slipway).
   */
  ledger: { head: AnchorHead | null; text: string };
}

export interface Backup extends BackupBody {
  /** `sha256:<hex>` of the canonical JSON (sorted keys, no spaces) of the body. */
  checksum: string;
}

export function checksumOf(body: BackupBody): string {
  return `sha256:${createHash('sha256').update(canonicalJson(body)).digest('hex')}`;
}

export function sealBackup(body: BackupBody): Backup {
  return { ...body, checksum: checksumOf(body) };
}

/** The file's text: the body first, the checksum last, two-space indented so a person can read it. */
export function serializeBackup(backup: Backup): string {
  return `${JSON.stringify(backup, null, 2)}\n`;
}

/** Pulumi's marker of a secret value in state (sdk/go/common/resource/sig: SecretSig). */
const SIG_KEY = '4dabf18193072939515e22adb298388d';
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';

/**
 * Paths of secrets held in plaintext (a state exported with `--show-secrets`); [] when every secret
 * is ciphertext. Names paths only, never values.
 */
export function plaintextSecrets(value: unknown, path = 'state'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => plaintextSecrets(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  const obj = value as Record<string, unknown>;
  if (obj[SIG_KEY] === SECRET_SIG) return 'plaintext' in obj || !('ciphertext' in obj) ? [path] : [];
  return Object.entries(obj).flatMap(([k, v]) => plaintextSecrets(v, `${path}.${k}`));
}

/**
 * A parsed document as a backup, or the one line saying why it is not one (without the file name:
 * the caller prefixes it). Checks shape and format, then the checksum.
 */
export function checkBackup(doc: unknown): Backup | string {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc) || !('format' in doc)) {
    return `not a Slipway backup (no "format": "${BACKUP_FORMAT}"; \`slipway backup\` writes one)`;
  }
  const d = doc as Record<string, unknown>;
  if (d.format !== BACKUP_FORMAT) {
    return `backup format ${JSON.stringify(String(d.format).slice(0, 40))} is not one this Slipway reads (${BACKUP_FORMAT})`;
  }
  const shape = shapeProblem(d);
  if (shape) return `not a Slipway backup: ${shape}`;
  const backup = d as unknown as Backup;
  const { checksum, ...body } = backup;
  const computed = checksumOf(body);
  if (computed !== checksum) {
    return `checksum mismatch: it records ${checksum} but its content hashes to ${computed} (changed after it was written)`;
  }
  const secrets = plaintextSecrets(backup.state);
  if (secrets.length > 0) return `holds ${secrets.length} secret(s) in plaintext (first at ${secrets[0]}); a backup keeps secrets encrypted`;
  return backup;
}

function shapeProblem(d: Record<string, unknown>): string | undefined {
  const str = (key: string) => (typeof d[key] === 'string' && d[key] !== '' ? undefined : `${key}: ${d[key] === undefined ? 'missing' : 'must be a non-empty string'}`);
  for (const key of ['project', 'stack', 'createdAt']) {
    const p = str(key);
    if (p) return p;
  }
  if (Number.isNaN(Date.parse(d.createdAt as string))) return 'createdAt: must be an ISO time';
  const state = d.state as Record<string, unknown> | undefined;
  if (!isObject(state)) return `state: ${state === undefined ? 'missing' : 'must be an object'}`;
  if (typeof state.version !== 'number') return 'state.version: must be a number';
  if (!isObject(state.deployment)) return 'state.deployment: must be an object';
  if (typeof d.stackFile !== 'string') return `stackFile: ${d.stackFile === undefined ? 'missing' : 'must be a string'}`;
  const ledger = d.ledger as Record<string, unknown> | undefined;
  if (!isObject(ledger)) return `ledger: ${ledger === undefined ? 'missing' : 'must be an object'}`;
  if (typeof ledger.text !== 'string') return 'ledger.text: must be a string';
  const head = ledger.head as Record<string, unknown> | null | undefined;
  if (head !== null && !(isObject(head) && Number.isInteger(head.seq) && typeof head.hash === 'string' && /^sha256:[0-9a-f]{64}$/.test(head.hash))) {
    return 'ledger.head: must be null or {"seq": N, "hash": "sha256:<64 hex>"}';
  }
  if (typeof d.checksum !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(d.checksum)) return 'checksum: must be "sha256:<64 hex>"';
  return undefined;
}

/** Why a sound backup is not this stack's: another project or another stack (undefined: it is). */
export function foreignProblem(backup: Pick<Backup, 'project' | 'stack'>, here: { project: string; stack: string }): string | undefined {
  if (backup.project !== here.project) return `a backup of project ${JSON.stringify(backup.project)}, not ${JSON.stringify(here.project)} (Pulumi.yaml)`;
  if (backup.stack !== here.stack) return `a backup of stack ${JSON.stringify(backup.stack)}, not ${JSON.stringify(here.stack)}`;
  return undefined;
}

/** When a state was last written: `deployment.manifest.time` (every update and import sets it). */
export function stateTime(state: unknown): string | undefined {
  const t = ((state as ExportedState | undefined)?.deployment?.manifest as { time?: unknown } | undefined)?.time;
  return typeof t === 'string' ? t : undefined;
}

export function resourceCount(state: unknown): number {
  const r = (state as ExportedState | undefined)?.deployment?.resources;
  return Array.isArray(r) ? r.length : 0;
}

/**
 * Whether restoring `backup` over `current` would throw away newer work, so `--force` is asked for:
 * the current state has resources, they differ from the backup's, and it was written after the
 * backup's (manifest times; an unreadable time counts as newer). The same resources are never newer,
 * whatever the times say: an import sets the time, and restoring the same backup twice changes nothing.
 */
export function currentIsNewer(current: unknown, backup: ExportedState): boolean {
  if (resourceCount(current) === 0) return false;
  const resources = (s: unknown) => canonicalJson((s as ExportedState).deployment.resources ?? []);
  if (resources(current) === resources(backup)) return false;
  const now = Date.parse(stateTime(current) ?? '');
  const then = Date.parse(stateTime(backup) ?? '');
  if (Number.isNaN(now) || Number.isNaN(then)) return true;
  return now > then;
}
