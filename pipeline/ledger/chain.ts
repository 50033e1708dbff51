// Chain verification (pure): every line well formed, of its stack, its hash matching its content,
// chained to the line before; and, when the ledger's head is anchored outside the file, the file still
// reaching that head with that hash — so cutting entries off the end, or rewriting lines and every
// later hash, is caught too.
import { dataProblem, DEPLOYMENT_ID_RE, entryHash, GENESIS, type LedgerEntry } from './events';
import { isObject } from '../review/values';

/** A ledger's head as recorded outside the ledger file: its last anchored entry. */
export interface AnchorHead {
  seq: number;
  hash: string;
}

export interface VerifyProblem {
  /** 1-based line number in the file; 0 for the file as a whole (its end, its anchor). */
  line: number;
  reason: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Lines in the file. */
  entries: number;
  /** `hash` of the last line, when it is readable. */
  head?: string;
  problems: VerifyProblem[];
  /** The anchored head it was checked against (null: none recorded); absent when not checked. */
  anchor?: AnchorHead | null;
  /** Entries after the anchored head (written by a run that ended before anchoring them). */
  unanchored?: number;
}

export interface RawLine {
  line: number;
  text: string;
  /** False for a last line with no newline after it. */
  complete: boolean;
}

export function splitLines(text: string): RawLine[] {
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
  ['data', isObject, 'an object'],
  ['prev', (v) => typeof v === 'string', 'a hash'],
  ['hash', (v) => typeof v === 'string', 'a hash'],
];

/** An entry, or why the line is not one. */
export function parseEntry(text: string, complete: boolean): LedgerEntry | string {
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
export function verifyText(text: string, stack: string, anchor?: AnchorCheck): VerifyResult {
  const lines = splitLines(text);
  const problems: VerifyProblem[] = [];
  const problem = (line: number, reason: string) => problems.push({ line, reason: `line ${line}: ${reason}` });
  let before: { line: number; entry: LedgerEntry } | undefined;
  let head: string | undefined;
  const hashes = new Map<number, { line: number; hash: string }>();
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
    const malformed = dataProblem(entry.type, entry.data as unknown as Record<string, unknown>);
    if (malformed) problem(line, `${malformed} (a ${entry.type} event of deployment ${entry.deploymentId})`);
    if (line === 1) {
      if (entry.prev !== GENESIS) problem(line, 'prev is not the genesis value (earlier entries removed?)');
      if (entry.seq !== 1) problem(line, `seq is ${entry.seq}, the first entry has seq 1 (earlier entries removed?)`);
    } else if (before && before.line === line - 1) {
      if (entry.prev !== before.entry.hash) problem(line, `prev does not match line ${line - 1} (removed or reordered?)`);
      if (entry.seq !== before.entry.seq + 1) problem(line, `seq ${entry.seq} does not follow seq ${before.entry.seq} of line ${line - 1} (removed or reordered?)`);
    }
    before = { line, entry };
    head = entry.hash;
    hashes.set(entry.seq, { line, hash: entry.hash });
  }
  const result: VerifyResult = { ok: problems.length === 0, entries: lines.length, head, problems };
  return anchor ? withAnchor(result, hashes, anchor) : result;
}

/** What `verifyText` compares the ledger with: its head as recorded outside the file, if found. */
export interface AnchorCheck {
  /** The recorded head; null when nothing is recorded. */
  head: AnchorHead | null;
  /** Where it is recorded, for messages: `stack tag slipway:ledger-head of stack prod`. */
  where: string;
}

function withAnchor(result: VerifyResult, hashes: Map<number, { line: number; hash: string }>, { head, where }: AnchorCheck): VerifyResult {
  const problems = [...result.problems];
  const last = Math.max(0, ...hashes.keys());
  let unanchored = 0;
  if (!head) {
    if (result.entries > 0) problems.push({ line: 0, reason: `not anchored: no head is recorded in ${where} (removed, the stack is not in this backend, or a ledger written before anchoring)` });
  } else if (head.seq > last) {
    const cut = head.seq - last;
    problems.push({
      line: 0,
      reason: `${cut} entr${cut === 1 ? 'y' : 'ies'} cut off the end: the ledger ends at seq ${last}, but ${where} records seq ${head.seq} (${head.hash})`,
    });
  } else {
    const at = hashes.get(head.seq);
    if (at && at.hash !== head.hash) {
      problems.push({ line: at.line, reason: `line ${at.line}: seq ${head.seq} has hash ${at.hash}, but ${where} records ${head.hash} (rewritten from here or before)` });
    }
    unanchored = last - head.seq;
  }
  return { ...result, ok: problems.length === 0, problems, anchor: head, unanchored };
}
