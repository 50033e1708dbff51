// The ledger's storage: one JSON-lines file per stack (`<dir>/<stack>.jsonl`), appended one fsynced
// line at a time under the ledger writer's lock (pipeline/release/lock.ts: one lock implementation,
// one stale-lock rule), and read back whole. With an anchor (anchor.ts), every command's last event
// also records the new head outside the file, and the first append of a process checks that the file
// here still reaches the recorded head — a machine with an older copy cannot fork the history.
import { mkdir, open, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { STACK_NAME_MAX } from '../../stacks/limits';
import { CheckFailed, firstLine, UserError } from '../cli/errors';
import { describeHolder, waitForLock } from '../release/lock';
import { ANCHORED_EVENTS, type LedgerAnchor } from './anchor';
import { parseEntry, splitLines, verifyText, type VerifyResult } from './chain';
import { dataProblem, DEPLOYMENT_ID_RE, entryHash, EVENT_TYPES, GENESIS, printable, STACK_RE, type LedgerEntry, type LedgerEvent } from './events';

/** `$SLIPWAY_LEDGER_DIR` (relative to `cwd`) or `<cwd>/.slipway/ledger`. */
export function defaultLedgerDir(cwd: string, env: Record<string, string | undefined> = process.env): string {
  const override = env.SLIPWAY_LEDGER_DIR;
  return override ? resolve(cwd, override) : join(cwd, '.slipway', 'ledger');
}

/**
 * Refuses a ledger location that cannot be one: a file (or a path through one), or — when it was
 * given explicitly (`source`, e.g. `$SLIPWAY_LEDGER_DIR`) — a folder that does not exist. The default
 * folder may be missing: nothing was deployed from here yet.
 */
export async function checkLedgerDir(dir: string, shown: string, source?: string): Promise<void> {
  const label = source ?? 'ledger folder';
  try {
    if (!(await stat(dir)).isDirectory()) throw new UserError(`${label}: ${shown} is a file, not a folder`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new UserError(`${label}: ${shown} is not a folder (part of the path is a file)`);
    if (code === 'ENOENT') {
      if (source) throw new UserError(`${label}: ${shown} does not exist (create the folder, or point ${label} at the ledger folder)`);
      return;
    }
    throw e;
  }
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
  /** How long append waits for another process's lock before giving up, ms (default 10000). */
  lockTimeoutMs?: number;
  /** Where the head is anchored outside the file (default: nowhere, the chain alone). */
  anchor?: LedgerAnchor;
  /** Where to say that an anchor could not be written (the entry itself is written). */
  warn?: (line: string) => void;
}

export class Ledger {
  readonly dir: string;
  readonly anchor: LedgerAnchor | undefined;
  private readonly now: () => Date;
  private readonly lockTimeoutMs: number;
  private readonly warn: (line: string) => void;
  /** Per stack, the last queued append: appends within this process run one after another. */
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Stacks whose file was checked against the anchor by this process. */
  private readonly checked = new Set<string>();

  constructor(dir: string, opts: LedgerOptions = {}) {
    this.dir = dir;
    this.anchor = opts.anchor;
    this.now = opts.now ?? (() => new Date());
    this.lockTimeoutMs = opts.lockTimeoutMs ?? 10000;
    this.warn = opts.warn ?? ((line) => process.stderr.write(`${line}\n`));
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
    await mkdir(this.dir, { recursive: true }).catch(async (e: unknown) => {
      await checkLedgerDir(this.dir, this.dir);
      throw e;
    });
    const lockFile = join(this.dir, `${stack}.lock`);
    const release = await waitForLock(lockFile, { purpose: `ledger ${stack}` }, {
      timeoutMs: this.lockTimeoutMs,
      held: (h) => `${lockFile} is held by ${describeHolder(h)}; another slipway is writing this ledger (a lock whose process is gone is taken over automatically)`,
    });
    try {
      const last = await lastEntry(file, stack);
      if (this.anchor && !this.checked.has(stack)) {
        await this.checkAgainstAnchor(stack, file, last);
        this.checked.add(stack);
      }
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
      if (this.anchor && ANCHORED_EVENTS.has(written.type)) {
        // The entry is written and stays written: a deployment that finished did finish. An anchor
        // that could not be recorded only leaves the newest entries unanchored until the next one.
        await this.anchor.write(stack, { seq: written.seq, hash: written.hash }).catch((e: unknown) => {
          this.warn(`slipway: warning: the ledger head (seq ${written.seq}) was not anchored in ${this.anchor!.where(stack)}: ${firstLine(e)}`);
        });
      }
      return written;
    } finally {
      release();
    }
  }

  /** Refuses to append to a file that does not reach the anchored head: the history would fork. */
  private async checkAgainstAnchor(stack: string, file: string, last: Pick<LedgerEntry, 'seq' | 'hash'> | undefined): Promise<void> {
    const head = await this.anchor!.read(stack);
    if (!head) return;
    const where = this.anchor!.where(stack);
    const fix = `run \`slipway ledger verify --stack ${stack}\`; the deploy workflow keeps shared stacks' ledgers in stacks/ledger (SLIPWAY_LEDGER_DIR)`;
    if (!last) throw new CheckFailed(`${file}: no ledger here, but ${where} records seq ${head.seq}: this is not the stack's ledger; ${fix}`);
    if (last.seq < head.seq) throw new CheckFailed(`${file}: ends at seq ${last.seq}, but ${where} records seq ${head.seq}: entries are missing (an older copy, or cut off); ${fix}`);
    if (last.seq === head.seq && last.hash !== head.hash) throw new CheckFailed(`${file}: seq ${last.seq} has hash ${last.hash}, but ${where} records ${head.hash} (rewritten); ${fix}`);
  }

  /**
   * All entries of a stack, oldest first ([] when it has no ledger). Throws CheckFailed naming the
   * line on a malformed line, or on a well-chained entry whose data a reader cannot use.
   */
  async read(stack: string): Promise<LedgerEntry[]> {
    const file = this.file(stack);
    const text = await readIfExists(file);
    if (text === undefined) return [];
    const entries: LedgerEntry[] = [];
    const verify = `run \`slipway ledger verify --stack ${stack}\``;
    for (const { line, text: raw, complete } of splitLines(text)) {
      const parsed = parseEntry(raw, complete);
      if (typeof parsed === 'string') throw new CheckFailed(`${file}: line ${line}: ${parsed}; ${verify}`);
      const malformed = dataProblem(parsed.type, parsed.data as unknown as Record<string, unknown>);
      if (malformed) {
        throw new CheckFailed(`${file}: line ${line}: entry seq ${parsed.seq} (${printable(parsed.type)} of deployment ${parsed.deploymentId}) is malformed: ${malformed}; ${verify}`);
      }
      entries.push(parsed);
    }
    return entries;
  }

  /**
   * Checks every line (well-formed, this stack, hash matches content, chained to the line before)
   * and, with an anchor, that the file reaches the anchored head with the anchored hash.
   */
  async verify(stack: string): Promise<VerifyResult> {
    const text = (await readIfExists(this.file(stack))) ?? '';
    const anchor = this.anchor ? { head: await this.anchor.read(stack), where: this.anchor.where(stack) } : undefined;
    if (text === '' && !anchor?.head) return anchor ? { ok: true, entries: 0, problems: [], anchor: null, unanchored: 0 } : { ok: true, entries: 0, problems: [] };
    return verifyText(text, stack, anchor);
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
