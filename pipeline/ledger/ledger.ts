// The deployment ledger: append-only history per stack, one JSON line per event, each line carrying
// the hash of the one before it so an edited, removed or reordered entry is detectable. Storage is
// the `Ledger` class; what the history means (deployments, what is live, what waits for approval) is
// derived by pure folds over the entries at the bottom of this file.
// Limits: the chain has no secret, so someone who rewrites every line from the edit onwards, or cuts
// whole entries off the end, leaves a valid chain; compare `verify().head` with a copy kept elsewhere.
import { createHash, randomUUID } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { STACK_NAME_MAX } from '../../stacks/limits';
import type { Slot } from '../../stacks/schema';
import { canonicalJson } from '../../stacks/validate';
import { CheckFailed, LockHeld, UserError } from '../cli/errors';

// ---------------------------------------------------------------------------------------------
// Events

export type StepStatus = 'ok' | 'failed' | 'skipped';

/** `started`: what is being deployed, by whom, where. */
export interface StartedData {
  /** Image reference pinned by digest, e.g. `ghcr.io/acme/shop@sha256:…`. */
  artifact: string;
  /** The image digest alone, `sha256:<64 hex>` — the identity promoted between environments. */
  digest: string;
  /** Version label the app reports, e.g. `1.4.2`. */
  version: string;
  /** Source commit the artifact was built from, when known. */
  commit?: string;
  /** `configHash()` of the stack configuration being deployed. */
  configHash: string;
  /** Who (or which automation) started the deployment. */
  actor: string;
  /** The idle slot the release goes to. */
  slot: Slot;
  /** The slot that was live when the deployment started. */
  from: Slot;
  /** The stack's declared knobs at deploy time (target, sizes, counts, approval policy). */
  knobs: Record<string, unknown>;
  /** `rollback` for a switch back to the warm slot (no new release); `deploy` when absent. */
  kind?: 'deploy' | 'rollback';
}

/** `step`: one pipeline step's result. */
export interface StepData {
  /** Step name, e.g. `deploy-idle`, `smoke-idle`, `verify-live`. */
  name: string;
  status: StepStatus;
  /** ISO time the step began (the entry's `at` is when it ended). */
  startedAt: string;
  ms: number;
  /** One line for people: what failed, why it was skipped, what was checked. */
  detail?: string;
}

/** `gate`: the pipeline stopped to wait for a person (continuous delivery). */
export interface GateData {
  /** Who may approve. */
  approvers: string[];
  /** The slot that waits, ready. */
  slot?: Slot;
  /** Where the waiting release can be tried before approving. */
  testUrl?: string;
}

/** `approved`: a person let the deployment through its gate. The entry's `at` is when. */
export interface ApprovedData {
  by: string;
  comment?: string;
}

/** `rejected`: a person stopped the deployment at its gate. The entry's `at` is when. */
export interface RejectedData {
  by: string;
  reason?: string;
}

/** `switched`: production traffic moved. */
export interface SwitchedData {
  from: Slot;
  to: Slot;
}

/** `rolled-back`: traffic moved back to the warm slot `to`. */
export interface RolledBackData {
  to: Slot;
  reason: string;
  from?: Slot;
  /** True when a quality signal triggered it, false when a person asked. */
  automatic?: boolean;
}

/** `finished`: the deployment completed and its slot serves production. */
export interface FinishedData {
  slot: Slot;
}

/** `failed`: the pipeline stopped with an error. */
export interface FailedData {
  /** One line: what went wrong. */
  reason: string;
  /** True when the failure happened before the switch, so production never saw the release. */
  liveUnchanged?: boolean;
}

/** Payload per event type. To add an event type, add it here (readers ignore types they don't know). */
export interface LedgerEventData {
  started: StartedData;
  step: StepData;
  gate: GateData;
  approved: ApprovedData;
  rejected: RejectedData;
  switched: SwitchedData;
  'rolled-back': RolledBackData;
  finished: FinishedData;
  failed: FailedData;
}

export type EventType = keyof LedgerEventData;

export const EVENT_TYPES: readonly EventType[] = [
  'started', 'step', 'gate', 'approved', 'rejected', 'switched', 'rolled-back', 'finished', 'failed',
];

/** What a caller appends; the ledger adds sequence, time, stack and the chain. */
export type LedgerEvent = {
  [T in EventType]: { deploymentId: string; type: T; data: LedgerEventData[T] };
}[EventType];

/** Same as LedgerEvent (the name the pipeline uses for what it appends). */
export type LedgerEventInput = LedgerEvent;

/** One line of a ledger file. */
export type LedgerEntry = LedgerEvent & {
  /** 1 for the first line, then +1 per line. */
  seq: number;
  /** ISO time the entry was appended. */
  at: string;
  stack: string;
  /** `hash` of the previous line; GENESIS for the first. */
  prev: string;
  /** sha256 of the canonical JSON of this entry without `hash`. */
  hash: string;
};

/** `prev` of the first line of every ledger. */
export const GENESIS = `sha256:${'0'.repeat(64)}`;

/** The hash an entry must carry: over its canonical JSON (sorted keys), without `hash` itself. */
export function entryHash(entry: Record<string, unknown>): string {
  const { hash: _ignored, ...content } = entry;
  return `sha256:${createHash('sha256').update(canonicalJson(content)).digest('hex')}`;
}

const DEPLOYMENT_ID_RE = /^[A-Za-z0-9][\w.-]{0,99}$/;
const STACK_RE = /^[a-z][a-z0-9-]*$/;

// ---------------------------------------------------------------------------------------------
// Storage

/** `$SLIPWAY_LEDGER_DIR` (relative to `cwd`) or `<cwd>/.slipway/ledger`. */
export function defaultLedgerDir(cwd: string, env: Record<string, string | undefined> = process.env): string {
  const override = env.SLIPWAY_LEDGER_DIR;
  return override ? resolve(cwd, override) : join(cwd, '.slipway', 'ledger');
}

/** Stacks that have a ledger file in `dir`, sorted. */
export async function ledgerStacks(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names
    .map((f) => /^(.+)\.jsonl$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined && STACK_RE.test(s))
    .sort();
}

export interface LedgerOptions {
  /** Clock for entry times (default: the system clock). */
  now?: () => Date;
  /** How long append waits for another process's lock before giving up, ms (default 5000). */
  lockTimeoutMs?: number;
  /** A lock file older than this is left from a crash and may be broken, ms (default 30000). */
  staleLockMs?: number;
}

export interface VerifyProblem {
  /** 1-based line number in the file. */
  line: number;
  reason: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Lines in the file. */
  entries: number;
  /** `hash` of the last line, when it is readable: anchor it elsewhere to detect a cut-off tail. */
  head?: string;
  problems: VerifyProblem[];
}

export class Ledger {
  readonly dir: string;
  private readonly now: () => Date;
  private readonly lockTimeoutMs: number;
  private readonly staleLockMs: number;
  /** Per stack, the last queued append: appends within this process run one after another. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(dir: string, opts: LedgerOptions = {}) {
    this.dir = dir;
    this.now = opts.now ?? (() => new Date());
    this.lockTimeoutMs = opts.lockTimeoutMs ?? 5000;
    this.staleLockMs = opts.staleLockMs ?? 30000;
  }

  file(stack: string): string {
    checkStack(stack);
    return join(this.dir, `${stack}.jsonl`);
  }

  /** Appends one event to the stack's ledger and returns the entry as written. */
  append(stack: string, event: LedgerEvent): Promise<LedgerEntry> {
    let file: string;
    try {
      file = this.file(stack);
      checkEvent(event);
    } catch (e) {
      return Promise.reject(e);
    }
    const run = (this.queues.get(stack) ?? Promise.resolve()).then(() => this.appendNow(stack, file, event));
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(stack, settled);
    void settled.then(() => {
      if (this.queues.get(stack) === settled) this.queues.delete(stack);
    });
    return run;
  }

  private async appendNow(stack: string, file: string, event: LedgerEvent): Promise<LedgerEntry> {
    await mkdir(this.dir, { recursive: true });
    const release = await this.lock(file);
    try {
      const last = await lastEntry(file, stack);
      // Normalised through JSON so the hash is over exactly what a reader will parse back.
      const data = JSON.parse(JSON.stringify(event.data)) as LedgerEvent['data'];
      const entry = {
        seq: last ? last.seq + 1 : 1,
        at: this.now().toISOString(),
        stack,
        deploymentId: event.deploymentId,
        type: event.type,
        data,
        prev: last ? last.hash : GENESIS,
      } as Omit<LedgerEntry, 'hash'>;
      const written = { ...entry, hash: entryHash(entry) } as LedgerEntry;
      await appendLine(file, `${JSON.stringify(written)}\n`, last === undefined);
      return written;
    } finally {
      await release();
    }
  }

  /** All entries of a stack, oldest first ([] when it has no ledger). Throws on a malformed line. */
  async read(stack: string): Promise<LedgerEntry[]> {
    const file = this.file(stack);
    const text = await readIfExists(file);
    if (text === undefined) return [];
    const entries: LedgerEntry[] = [];
    for (const { line, text: raw, complete } of splitLines(text)) {
      const parsed = parseEntry(raw, complete);
      if (typeof parsed === 'string') {
        throw new CheckFailed(`${file}: line ${line}: ${parsed}; run \`slipway ledger verify --stack ${stack}\``);
      }
      entries.push(parsed);
    }
    return entries;
  }

  /** Checks every line: well-formed, this stack, hash matches content, chained to the line before. */
  async verify(stack: string): Promise<VerifyResult> {
    const text = await readIfExists(this.file(stack));
    if (text === undefined) return { ok: true, entries: 0, problems: [] };
    return verifyText(text, stack);
  }

  /** Takes `<file>.lock` (O_EXCL), waiting briefly for another process; returns the release. */
  private async lock(file: string): Promise<() => Promise<void>> {
    const lockFile = file.replace(/\.jsonl$/, '.lock');
    const token = `${process.pid} ${randomUUID()}\n`;
    const deadline = Date.now() + this.lockTimeoutMs;
    for (;;) {
      try {
        const fh = await open(lockFile, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY);
        try {
          await fh.write(token);
        } finally {
          await fh.close();
        }
        return async () => {
          // Only remove our own lock: if we were so slow that ours was broken as stale, the file
          // now belongs to someone else.
          if ((await readIfExists(lockFile)) === token) await unlinkIfExists(lockFile);
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const held = await stat(lockFile).catch(() => undefined);
      if (held && Date.now() - held.mtimeMs > this.staleLockMs) {
        // Left by a crashed writer (a live one holds it for milliseconds). If two writers break the
        // same stale lock at the same instant, one could remove the other's fresh lock; the stack
        // lock the pipeline holds around every deployment keeps that from mattering.
        await unlinkIfExists(lockFile);
        continue;
      }
      if (Date.now() >= deadline) {
        const holder = (await readIfExists(lockFile))?.split(' ')[0];
        throw new LockHeld(
          `${lockFile} is held${holder ? ` by process ${holder}` : ''}; another slipway is writing this ledger (a lock older than ${Math.round(this.staleLockMs / 1000)} s is broken automatically)`,
        );
      }
      await sleep(2 + Math.random() * 8);
    }
  }
}

function checkStack(stack: string): void {
  // The name becomes a file name: refuse anything that could leave the ledger directory.
  if (!STACK_RE.test(stack) || stack.length > STACK_NAME_MAX) {
    throw new UserError(`stack: ${JSON.stringify(stack)} is not a stack name (1-${STACK_NAME_MAX} characters of [a-z0-9-], starting with a letter)`);
  }
}

function checkEvent(event: LedgerEvent): void {
  if (typeof event.deploymentId !== 'string' || !DEPLOYMENT_ID_RE.test(event.deploymentId)) {
    throw new UserError(`deploymentId: ${JSON.stringify(event.deploymentId)} is not a deployment id (1-100 of letters, digits, _ . -)`);
  }
  if (typeof event.type !== 'string' || !/^[a-z][a-z-]*$/.test(event.type)) {
    throw new UserError(`type: ${JSON.stringify(event.type)} is not an event type (${EVENT_TYPES.join(', ')})`);
  }
  if (event.data === null || typeof event.data !== 'object' || Array.isArray(event.data)) {
    throw new UserError(`data: must be an object for a ${event.type} event`);
  }
}

/** One write of one line, then fsync: a reader never sees half a line unless the disk failed. */
async function appendLine(file: string, line: string, created: boolean): Promise<void> {
  const fh = await open(file, 'a');
  try {
    const bytes = Buffer.from(line, 'utf8');
    const { bytesWritten } = await fh.write(bytes, 0, bytes.length);
    if (bytesWritten !== bytes.length) {
      throw new CheckFailed(`${file}: wrote ${bytesWritten} of ${bytes.length} bytes (disk full?); run \`slipway ledger verify\``);
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  if (created) await syncDir(dirname(file));
}

/** Makes a new file's directory entry durable too; not every platform allows it, hence best effort. */
async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* best effort */
  }
}

/** The last entry of a ledger file, read from its tail; undefined when the file is empty or absent. */
async function lastEntry(file: string, stack: string): Promise<Pick<LedgerEntry, 'seq' | 'hash'> | undefined> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const { size } = await fh.stat();
    if (size === 0) return undefined;
    // Read backwards in chunks until the newline before the last line is in hand.
    const chunk = 64 * 1024;
    let tail = Buffer.alloc(0);
    let start = size;
    while (start > 0) {
      const from = Math.max(0, start - chunk);
      const buf = Buffer.alloc(start - from);
      await fh.read(buf, 0, buf.length, from);
      tail = Buffer.concat([buf, tail]);
      start = from;
      if (tail.subarray(0, tail.length - 1).includes(0x0a)) break;
    }
    const text = tail.toString('utf8');
    const why = `run \`slipway ledger verify --stack ${stack}\` and repair it before deploying`;
    if (!text.endsWith('\n')) throw new CheckFailed(`${file}: the last line is incomplete (truncated write?); ${why}`);
    const lastLine = text.slice(text.lastIndexOf('\n', text.length - 2) + 1, -1);
    const parsed = parseEntry(lastLine, true);
    if (typeof parsed === 'string') throw new CheckFailed(`${file}: last line: ${parsed}; ${why}`);
    if (parsed.stack !== stack) throw new CheckFailed(`${file}: last line belongs to stack "${parsed.stack}"; ${why}`);
    return parsed;
  } finally {
    await fh.close();
  }
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function unlinkIfExists(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------------------------
// Parsing and verification (pure)

interface RawLine {
  line: number;
  text: string;
  /** False for a last line with no newline after it. */
  complete: boolean;
}

function splitLines(text: string): RawLine[] {
  const parts = text.split('\n');
  const last = parts.pop()!;
  const lines = parts.map((t, i) => ({ line: i + 1, text: t, complete: true }));
  if (last !== '') lines.push({ line: lines.length + 1, text: last, complete: false });
  return lines;
}

const FIELDS: [keyof LedgerEntry, (v: unknown) => boolean, string][] = [
  ['seq', (v) => Number.isInteger(v) && (v as number) >= 1, 'a whole number from 1'],
  ['at', (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)), 'an ISO time'],
  ['stack', (v) => typeof v === 'string', 'a string'],
  ['deploymentId', (v) => typeof v === 'string' && DEPLOYMENT_ID_RE.test(v), 'a deployment id'],
  ['type', (v) => typeof v === 'string' && v.length > 0, 'an event type'],
  ['data', (v) => v !== null && typeof v === 'object' && !Array.isArray(v), 'an object'],
  ['prev', (v) => typeof v === 'string', 'a hash'],
  ['hash', (v) => typeof v === 'string', 'a hash'],
];

/** An entry, or why the line is not one. */
function parseEntry(text: string, complete: boolean): LedgerEntry | string {
  if (text.trim() === '') return 'empty line';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return complete ? 'not valid JSON' : 'cut short: not valid JSON and no newline at the end (truncated write?)';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const obj = value as Record<string, unknown>;
  for (const [key, ok, what] of FIELDS) {
    if (obj[key] === undefined) return `missing field ${key}`;
    if (!ok(obj[key])) return `${key} is not ${what}`;
  }
  if (!complete) return 'no newline at the end (truncated write?)';
  return obj as unknown as LedgerEntry;
}

/** Verifies a ledger file's text. Each problem names the first line where it shows. */
export function verifyText(text: string, stack: string): VerifyResult {
  const lines = splitLines(text);
  const problems: VerifyProblem[] = [];
  const problem = (line: number, reason: string) => problems.push({ line, reason: `line ${line}: ${reason}` });
  let before: { line: number; entry: LedgerEntry } | undefined;
  let head: string | undefined;
  for (const { line, text: raw, complete } of lines) {
    const parsed = parseEntry(raw, complete);
    if (typeof parsed === 'string') {
      problem(line, parsed);
      // Nothing to chain the next line to: its own checks still run, the link check does not.
      before = undefined;
      head = undefined;
      continue;
    }
    const entry = parsed;
    if (entry.stack !== stack) problem(line, `belongs to stack "${entry.stack}", not "${stack}" (copied from another ledger?)`);
    if (entryHash(entry as unknown as Record<string, unknown>) !== entry.hash) problem(line, 'hash does not match its content (edited?)');
    if (line === 1) {
      if (entry.prev !== GENESIS) problem(line, 'prev is not the genesis value (earlier entries removed?)');
      if (entry.seq !== 1) problem(line, `seq is ${entry.seq}, the first entry has seq 1 (earlier entries removed?)`);
    } else if (before && before.line === line - 1) {
      if (entry.prev !== before.entry.hash) problem(line, `prev does not match line ${line - 1} (removed or reordered?)`);
      if (entry.seq !== before.entry.seq + 1) problem(line, `seq ${entry.seq} does not follow seq ${before.entry.seq} of line ${line - 1} (removed or reordered?)`);
    }
    before = { line, entry };
    head = entry.hash;
  }
  return { ok: problems.length === 0, entries: lines.length, head, problems };
}

// ---------------------------------------------------------------------------------------------
// Derivations (pure)

export type DeploymentStatus =
  | 'running'
  | 'awaiting-approval'
  /** Serving production now. */
  | 'live'
  /** Went live, then a later deployment replaced it. */
  | 'superseded'
  | 'rolled-back'
  | 'rejected'
  | 'failed';

export interface Decision {
  by: string;
  at: string;
  comment?: string;
}

export interface DeploymentSummary {
  id: string;
  stack: string;
  status: DeploymentStatus;
  /** `rollback`: a switch back to the warm slot, not a new release. */
  kind: 'deploy' | 'rollback';
  /** Image reference, digest, version… from `started` ('' only when the ledger lacks that entry). */
  artifact: string;
  digest: string;
  version: string;
  commit?: string;
  configHash: string;
  actor: string;
  /** The slot the release went to. */
  slot?: Slot;
  /** The slot that was live when it started. */
  from?: Slot;
  approvals: Decision[];
  rejection?: Decision;
  /** The open or last gate. */
  gate?: { at: string; approvers: string[] };
  /** Latest result per step name, in the order the steps first ran (a resumed run replaces a result). */
  steps: { name: string; status: StepStatus; ms: number }[];
  startedAt: string;
  finishedAt?: string;
  /** When it last started serving production (a rollback to it counts). */
  liveSince?: string;
  /** Why it failed, was rejected or rolled back. */
  reason?: string;
}

/**
 * Folds entries into one summary per deployment, oldest first. A deployment's status follows its own
 * events; who serves production follows `switched` (and `finished` without a switch) and is undone
 * by `rolled-back`, which makes the deployment that last filled the rolled-back-to slot live again.
 */
export function deployments(entries: readonly LedgerEntry[]): DeploymentSummary[] {
  return fold(entries).all;
}

function fold(entries: readonly LedgerEntry[]): { all: DeploymentSummary[]; current?: DeploymentSummary } {
  const byId = new Map<string, DeploymentSummary>();
  // Deployments that took production traffic, most recent last.
  const taken: DeploymentSummary[] = [];
  const goLive = (d: DeploymentSummary, at: string) => {
    const i = taken.indexOf(d);
    if (i >= 0) taken.splice(i, 1);
    taken.push(d);
    d.liveSince = at;
  };

  for (const e of entries) {
    let d = byId.get(e.deploymentId);
    if (!d) {
      d = {
        id: e.deploymentId, stack: e.stack, status: 'running', kind: 'deploy', artifact: '', digest: '', version: '',
        configHash: '', actor: '', approvals: [], steps: [], startedAt: e.at,
      };
      byId.set(e.deploymentId, d);
    }
    switch (e.type) {
      case 'started': {
        const s = e.data;
        Object.assign(d, {
          kind: s.kind ?? 'deploy', artifact: s.artifact, digest: s.digest, version: s.version, commit: s.commit,
          configHash: s.configHash ?? '', actor: s.actor, slot: s.slot, from: s.from, status: 'running',
        });
        // Started again: a re-run resumes this deployment, so it is open once more.
        delete d.finishedAt;
        delete d.reason;
        break;
      }
      case 'step': {
        const step = { name: e.data.name, status: e.data.status, ms: e.data.ms };
        const i = d.steps.findIndex((s) => s.name === step.name);
        if (i >= 0) d.steps[i] = step;
        else d.steps.push(step);
        break;
      }
      case 'gate':
        d.status = 'awaiting-approval';
        d.gate = { at: e.at, approvers: e.data.approvers };
        break;
      case 'approved':
        d.approvals.push(e.data.comment === undefined ? { by: e.data.by, at: e.at } : { by: e.data.by, at: e.at, comment: e.data.comment });
        if (d.status === 'awaiting-approval') d.status = 'running';
        break;
      case 'rejected':
        d.rejection = e.data.reason === undefined ? { by: e.data.by, at: e.at } : { by: e.data.by, at: e.at, comment: e.data.reason };
        d.status = 'rejected';
        d.reason = e.data.reason;
        d.finishedAt = e.at;
        break;
      case 'switched':
        d.slot = e.data.to;
        goLive(d, e.at);
        break;
      case 'rolled-back': {
        d.status = 'rolled-back';
        d.reason = e.data.reason;
        d.finishedAt = e.at;
        const own = taken.indexOf(d);
        if (own >= 0) taken.splice(own, 1);
        // A rollback run of its own (not the failing deployment) takes traffic away from whatever
        // held the other slot: that deployment is rolled back too.
        while (taken.length > 0 && taken[taken.length - 1]!.slot !== e.data.to) {
          const off = taken.pop()!;
          if (off.status === 'live') {
            off.status = 'rolled-back';
            off.reason = `${d.id}: ${e.data.reason}`;
          }
        }
        const back = taken[taken.length - 1];
        if (back) back.liveSince = e.at;
        break;
      }
      case 'finished':
        // A rollback or rejection is the outcome even if the pipeline reports finishing after it.
        if (d.status !== 'rolled-back' && d.status !== 'rejected') {
          d.status = 'live';
          d.slot = e.data.slot ?? d.slot;
          if (taken[taken.length - 1] !== d) goLive(d, e.at);
        }
        d.finishedAt = e.at;
        break;
      case 'failed':
        if (d.status !== 'rolled-back') d.status = 'failed';
        d.reason = e.data.reason;
        d.finishedAt = e.at;
        break;
      default:
        // An event type from a newer Slipway: recorded and verified, not summarised.
        break;
    }
  }

  const current = taken[taken.length - 1];
  const all = [...byId.values()];
  for (const d of all) {
    if (d.status === 'live' && d !== current) d.status = 'superseded';
  }
  return { all, current };
}

export interface LiveRelease {
  deployment: DeploymentSummary;
  /** Since when it serves production. */
  since: string;
  /** Who approved it (empty under automatic promotion). */
  approvedBy: string[];
}

/**
 * What serves production: the deployment that last took traffic and was not rolled back, whatever
 * its own status (one still baking, or one whose rollback failed, does serve traffic).
 */
export function currentLive(entries: readonly LedgerEntry[]): LiveRelease | undefined {
  const { current } = fold(entries);
  if (!current) return undefined;
  return { deployment: current, since: current.liveSince ?? current.startedAt, approvedBy: current.approvals.map((a) => a.by) };
}

export interface PendingApproval {
  deployment: DeploymentSummary;
  /** When the gate opened. */
  since: string;
  approvers: string[];
}

/** Deployments waiting at a gate, oldest first. */
export function pendingApprovals(entries: readonly LedgerEntry[]): PendingApproval[] {
  return deployments(entries)
    .filter((d) => d.status === 'awaiting-approval')
    .map((d) => ({ deployment: d, since: d.gate?.at ?? d.startedAt, approvers: d.gate?.approvers ?? [] }));
}
