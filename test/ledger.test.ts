import fc from 'fast-check';
import { Command } from 'commander';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { history, registerHistory } from '../pipeline/cli/commands/history';
import { displayPath, registerLedger, verifyLedgers } from '../pipeline/cli/commands/ledger';
import { CheckFailed, LockHeld, UserError } from '../pipeline/cli/errors';
import {
  currentLive,
  defaultLedgerDir,
  deployments,
  entryHash,
  GENESIS,
  Ledger,
  pendingApprovals,
  verifyText,
  type LedgerEntry,
  type LedgerEvent,
  type StartedData,
} from '../pipeline/ledger/ledger';
import { commandContext, memorySink } from '../pipeline/cli/output';

const ROOT = new URL('..', import.meta.url).pathname;
const DIGEST_1 = `sha256:${'1'.repeat(64)}`;
const DIGEST_2 = `sha256:${'2'.repeat(64)}`;
const DIGEST_3 = `sha256:${'3'.repeat(64)}`;

// ---- event builders -------------------------------------------------------------------------

function started(id: string, over: Partial<StartedData> = {}): LedgerEvent {
  const digest = over.digest ?? DIGEST_1;
  return {
    deploymentId: id,
    type: 'started',
    data: {
      artifact: `registry.local/shop@${digest}`,
      digest,
      version: '1.0.0',
      commit: '4f2c9e1',
      configHash: `sha256:${'c'.repeat(64)}`,
      actor: 'ci',
      slot: 'green',
      from: 'blue',
      knobs: { target: 'docker', memoryMb: 256, approval: 'auto' },
      ...over,
    },
  };
}
const step = (id: string, name: string, status: 'ok' | 'failed' | 'skipped' = 'ok', ms = 120): LedgerEvent => ({
  deploymentId: id,
  type: 'step',
  data: { name, status, startedAt: '2025-03-01T10:00:00.000Z', ms, detail: `${name} ${status}` },
});
const ev = {
  gate: (id: string, approvers = ['bob', 'carol']): LedgerEvent => ({ deploymentId: id, type: 'gate', data: { approvers } }),
  approved: (id: string, by: string): LedgerEvent => ({ deploymentId: id, type: 'approved', data: { by, comment: 'looks good' } }),
  rejected: (id: string, by: string): LedgerEvent => ({ deploymentId: id, type: 'rejected', data: { by, reason: 'wrong build' } }),
  switched: (id: string, from: 'blue' | 'green', to: 'blue' | 'green'): LedgerEvent => ({ deploymentId: id, type: 'switched', data: { from, to } }),
  rolledBack: (id: string, to: 'blue' | 'green', reason = '5xx alarm'): LedgerEvent => ({ deploymentId: id, type: 'rolled-back', data: { to, reason, automatic: true } }),
  finished: (id: string, slot: 'blue' | 'green'): LedgerEvent => ({ deploymentId: id, type: 'finished', data: { slot } }),
  failed: (id: string, reason: string): LedgerEvent => ({ deploymentId: id, type: 'failed', data: { reason, liveUnchanged: true } }),
};

/** Entries as the ledger would write them, one second apart, without touching disk. */
function entriesOf(events: LedgerEvent[], stack = 'prod'): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  events.forEach((e, i) => {
    const entry = {
      seq: i + 1,
      at: new Date(Date.UTC(2025, 2, 1, 10, 0, i)).toISOString(),
      stack,
      ...e,
      prev: out[i - 1]?.hash ?? GENESIS,
    };
    out.push({ ...entry, hash: entryHash(entry) } as LedgerEntry);
  });
  return out;
}

/** A clock that ticks one second per call. */
function clock(start = '2025-03-01T10:00:00Z') {
  let t = Date.parse(start);
  return () => new Date((t += 1000));
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-ledger-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A stack ledger of one approved, live deployment: 8 lines. */
async function sampleLedger(stack = 'prod'): Promise<{ ledger: Ledger; file: string; lines: string[] }> {
  const ledger = new Ledger(dir, { now: clock() });
  for (const e of [
    started('d1'),
    step('d1', 'deploy-idle'),
    step('d1', 'smoke-idle'),
    ev.gate('d1'),
    ev.approved('d1', 'bob'),
    ev.switched('d1', 'blue', 'green'),
    step('d1', 'verify'),
    ev.finished('d1', 'green'),
  ]) {
    await ledger.append(stack, e);
  }
  const file = ledger.file(stack);
  return { ledger, file, lines: (await readFile(file, 'utf8')).split('\n').slice(0, -1) };
}

const linesOf = (problems: { line: number }[]) => problems.map((p) => p.line);
const firstLine = (problems: { line: number }[]) => Math.min(...linesOf(problems));

// ---- storage --------------------------------------------------------------------------------

describe('append and read', () => {
  it('round-trips events with sequence, time, stack and a hash chain from the genesis value', async () => {
    const { ledger, file } = await sampleLedger();
    const entries = await ledger.read('prod');

    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(entries[0]!.at).toBe('2025-03-01T10:00:01.000Z');
    expect(entries.every((e) => e.stack === 'prod')).toBe(true);
    expect(entries[0]!.prev).toBe(GENESIS);
    entries.slice(1).forEach((e, i) => expect(e.prev).toBe(entries[i]!.hash));
    for (const e of entries) expect(e.hash).toBe(entryHash(e as unknown as Record<string, unknown>));
    expect(entries[0]!.data).toEqual(started('d1').data);
    expect(entries[4]).toMatchObject({ deploymentId: 'd1', type: 'approved', data: { by: 'bob' } });

    const text = await readFile(file, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(9);
    expect(await ledger.verify('prod')).toEqual({ ok: true, entries: 8, head: entries[7]!.hash, problems: [] });
  });

  it('hashes what a reader parses back: undefined fields dropped, dates as strings', async () => {
    const ledger = new Ledger(dir);
    const e = started('d1', { commit: undefined });
    (e.data as unknown as Record<string, unknown>).builtAt = new Date('2025-01-01T00:00:00Z');
    await ledger.append('dev', e);
    const [entry] = await ledger.read('dev');
    expect(entry!.data).not.toHaveProperty('commit');
    expect((entry!.data as unknown as Record<string, unknown>).builtAt).toBe('2025-01-01T00:00:00.000Z');
    expect((await ledger.verify('dev')).ok).toBe(true);
  });

  it('keeps stacks apart, one file each, and reads a stack with no ledger as empty', async () => {
    const ledger = new Ledger(dir);
    await ledger.append('prod', started('p1'));
    await ledger.append('dev', started('x1'));
    await ledger.append('dev', ev.finished('x1', 'green'));
    expect((await readdir(dir)).sort()).toEqual(['dev.jsonl', 'prod.jsonl']);
    expect((await ledger.read('dev')).map((e) => e.seq)).toEqual([1, 2]);
    expect(await ledger.read('staging')).toEqual([]);
    expect(await ledger.verify('staging')).toEqual({ ok: true, entries: 0, problems: [] });
  });

  it('refuses stack names that are not names (the name becomes a file path) and bad deployment ids', async () => {
    const ledger = new Ledger(dir);
    await expect(ledger.append('../etc', started('d1'))).rejects.toThrow(UserError);
    await expect(ledger.append('../etc', started('d1'))).rejects.toThrow('stack: "../etc" is not a stack name');
    await expect(ledger.append('prod', started('../d1'))).rejects.toThrow('deploymentId: "../d1" is not a deployment id');
    expect(await readdir(dir)).toEqual([]);
  });

  it('will not chain onto a cut-short last line', async () => {
    const { ledger, file } = await sampleLedger();
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.slice(0, -20));
    await expect(ledger.append('prod', started('d2'))).rejects.toThrow(CheckFailed);
    await expect(ledger.append('prod', started('d2'))).rejects.toThrow(/last line is incomplete.*slipway ledger verify --stack prod/);
    expect(await readFile(file, 'utf8')).toBe(text.slice(0, -20));
  });

  it('chains onto a last line longer than one read chunk', async () => {
    const ledger = new Ledger(dir);
    await ledger.append('prod', started('d1'));
    const big = { ...step('d1', 'deploy-idle'), data: { ...step('d1', 'deploy-idle').data, detail: 'x'.repeat(150_000) } } as LedgerEvent;
    await ledger.append('prod', big);
    await ledger.append('prod', big);
    await ledger.append('prod', ev.finished('d1', 'green'));
    expect(await ledger.verify('prod')).toMatchObject({ ok: true, entries: 4 });
  });

  it('defaults to .slipway/ledger under the project, overridable with SLIPWAY_LEDGER_DIR', () => {
    expect(defaultLedgerDir('/repo', {})).toBe('/repo/.slipway/ledger');
    expect(defaultLedgerDir('/repo', { SLIPWAY_LEDGER_DIR: 'var/ledger' })).toBe('/repo/var/ledger');
    expect(defaultLedgerDir('/repo', { SLIPWAY_LEDGER_DIR: '/srv/ledger' })).toBe('/srv/ledger');
  });
});

// ---- tamper evidence ------------------------------------------------------------------------

describe('verify', () => {
  const FIELDS = ['seq', 'at', 'stack', 'deploymentId', 'type', 'data', 'prev', 'hash'] as const;
  const edits: Record<(typeof FIELDS)[number], (v: any) => unknown> = {
    seq: (v) => v + 10,
    at: () => '2030-01-01T00:00:00.000Z',
    stack: () => 'prod2',
    deploymentId: (v) => `${v}x`,
    type: (v) => (v === 'step' ? 'gate' : 'step'),
    data: (v) => ({ ...v, injected: true }),
    prev: () => `sha256:${'9'.repeat(64)}`,
    hash: () => `sha256:${'8'.repeat(64)}`,
  };

  it('catches an edit of any field of any line, at that line', async () => {
    const { lines } = await sampleLedger();
    for (let i = 0; i < lines.length; i++) {
      for (const field of FIELDS) {
        const edited = [...lines];
        const obj = JSON.parse(lines[i]!);
        obj[field] = edits[field](obj[field]);
        edited[i] = JSON.stringify(obj);
        const r = verifyText(`${edited.join('\n')}\n`, 'prod');
        expect(r.ok, `${field} of line ${i + 1}`).toBe(false);
        expect(firstLine(r.problems), `${field} of line ${i + 1}`).toBe(i + 1);
        expect(r.problems).toContainEqual({ line: i + 1, reason: `line ${i + 1}: hash does not match its content (edited?)` });
      }
    }
  });

  it('catches an edit deep inside data (the version of a release)', async () => {
    const { lines } = await sampleLedger();
    const edited = [...lines];
    edited[0] = edited[0]!.replace('"version":"1.0.0"', '"version":"1.0.1"');
    expect(edited[0]).not.toBe(lines[0]);
    expect(verifyText(`${edited.join('\n')}\n`, 'prod').problems).toEqual([
      { line: 1, reason: 'line 1: hash does not match its content (edited?)' },
    ]);
  });

  it('accepts a line re-serialised with other key order and spacing (same content)', async () => {
    const { lines } = await sampleLedger();
    const edited = [...lines];
    const obj = JSON.parse(lines[2]!);
    edited[2] = JSON.stringify(Object.fromEntries(Object.entries(obj).reverse()), null, 1).replace(/\n/g, ' ');
    expect(verifyText(`${edited.join('\n')}\n`, 'prod').ok).toBe(true);
  });

  it('catches any single changed byte, at the line that holds it', async () => {
    const { lines } = await sampleLedger();
    const text = Buffer.from(`${lines.join('\n')}\n`);
    const lineAt = (pos: number) => text.subarray(0, pos).filter((b) => b === 0x0a).length + 1;
    fc.assert(
      fc.property(fc.nat(text.length - 1), fc.integer({ min: 1, max: 255 }), (pos, delta) => {
        const changed = Buffer.from(text);
        changed[pos] = (changed[pos]! + delta) % 256;
        const r = verifyText(changed.toString('utf8'), 'prod');
        expect(r.ok).toBe(false);
        expect(firstLine(r.problems)).toBe(lineAt(pos));
      }),
      { numRuns: 300 },
    );
  });

  it('catches a deleted line at the line that now follows the gap', async () => {
    const { lines } = await sampleLedger();
    for (const k of [1, 4, 7]) {
      const r = verifyText(`${lines.filter((_, i) => i !== k - 1).join('\n')}\n`, 'prod');
      expect(linesOf(r.problems).every((l) => l === k), `deleting line ${k}`).toBe(true);
      expect(r.problems.map((p) => p.reason)).toEqual(
        k === 1
          ? ['line 1: prev is not the genesis value (earlier entries removed?)', 'line 1: seq is 2, the first entry has seq 1 (earlier entries removed?)']
          : [`line ${k}: prev does not match line ${k - 1} (removed or reordered?)`, `line ${k}: seq ${k + 1} does not follow seq ${k - 1} of line ${k - 1} (removed or reordered?)`],
      );
    }
  });

  it('catches two swapped lines, starting at the first of them', async () => {
    const { lines } = await sampleLedger();
    const swapped = [...lines];
    [swapped[2], swapped[3]] = [swapped[3]!, swapped[2]!];
    const r = verifyText(`${swapped.join('\n')}\n`, 'prod');
    expect(firstLine(r.problems)).toBe(3);
    expect(r.problems.map((p) => p.reason)).toContain('line 3: prev does not match line 2 (removed or reordered?)');
    expect(r.problems.map((p) => p.reason)).toContain('line 4: prev does not match line 3 (removed or reordered?)');
  });

  it('catches a truncated last line', async () => {
    const { ledger, file, lines } = await sampleLedger();
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.slice(0, -15));
    expect((await ledger.verify('prod')).problems).toEqual([
      { line: 8, reason: 'line 8: cut short: not valid JSON and no newline at the end (truncated write?)' },
    ]);
    // Only the newline lost: the line is whole but the next append would glue onto it.
    await writeFile(file, text.slice(0, -1));
    expect((await ledger.verify('prod')).problems).toEqual([{ line: lines.length, reason: `line 8: no newline at the end (truncated write?)` }]);
  });

  it('catches a forged line with a fresh hash that is chained wrongly, appended or inserted', async () => {
    const { ledger, file, lines } = await sampleLedger();
    const last = JSON.parse(lines[7]!) as LedgerEntry;
    const forge = (fields: Partial<LedgerEntry>) => {
      const entry = { seq: 9, at: '2025-03-01T11:00:00.000Z', stack: 'prod', deploymentId: 'evil', type: 'approved', data: { by: 'mallory' }, prev: GENESIS, ...fields };
      return JSON.stringify({ ...entry, hash: entryHash(entry) });
    };

    await writeFile(file, `${lines.join('\n')}\n${forge({ prev: GENESIS })}\n`);
    expect((await ledger.verify('prod')).problems).toEqual([{ line: 9, reason: 'line 9: prev does not match line 8 (removed or reordered?)' }]);

    // Chained to line 4 and slipped in after it: the line after it no longer links up.
    const line4 = JSON.parse(lines[3]!) as LedgerEntry;
    const inserted = [...lines.slice(0, 4), forge({ seq: 5, prev: line4.hash }), ...lines.slice(4)];
    const r = verifyText(`${inserted.join('\n')}\n`, 'prod');
    expect(firstLine(r.problems)).toBe(6);
    expect(r.problems.map((p) => p.reason)).toContain('line 6: prev does not match line 5 (removed or reordered?)');

    // Properly chained to the real head, the forgery is indistinguishable from an append: the chain
    // proves order and integrity, not authorship.
    await writeFile(file, `${lines.join('\n')}\n${forge({ prev: last.hash })}\n`);
    expect((await ledger.verify('prod')).ok).toBe(true);
  });

  it('catches a line copied from another stack, malformed JSON and blank lines', async () => {
    const { lines } = await sampleLedger();
    const other = entriesOf([started('x1')], 'dev')[0]!;
    const mixed = [lines[0], JSON.stringify(other), '{"seq": 3,', '', ...lines.slice(4)];
    const r = verifyText(`${mixed.join('\n')}\n`, 'prod');
    expect(r.problems.filter((p) => p.line <= 4).map((p) => p.reason)).toEqual([
      'line 2: belongs to stack "dev", not "prod" (copied from another ledger?)',
      'line 2: prev does not match line 1 (removed or reordered?)',
      'line 2: seq 1 does not follow seq 1 of line 1 (removed or reordered?)',
      'line 3: not valid JSON',
      'line 4: empty line',
    ]);
  });

  it('names a missing field', () => {
    const [entry] = entriesOf([started('d1')]);
    const { hash: _h, ...noHash } = entry!;
    expect(verifyText(`${JSON.stringify(noHash)}\n`, 'prod').problems).toEqual([{ line: 1, reason: 'line 1: missing field hash' }]);
  });
});

// ---- concurrency ----------------------------------------------------------------------------

describe('concurrent appends', () => {
  it('50 parallel appends in one process keep a valid chain and lose nothing', async () => {
    const ledger = new Ledger(dir);
    const ids = Array.from({ length: 50 }, (_, i) => `d${i}`);
    await Promise.all(ids.map((id) => ledger.append('prod', started(id))));
    expect(await ledger.verify('prod')).toMatchObject({ ok: true, entries: 50 });
    const entries = await ledger.read('prod');
    expect(entries.map((e) => e.deploymentId).sort()).toEqual([...ids].sort());
    expect(existsSync(join(dir, 'prod.lock'))).toBe(false);
  });

  it('two Ledger objects on one directory take turns through the lock file', async () => {
    const a = new Ledger(dir);
    const b = new Ledger(dir);
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).append('prod', started(`d${i}`))));
    expect(await a.verify('prod')).toMatchObject({ ok: true, entries: 40, problems: [] });
  });

  it('two processes appending at once keep a valid chain and lose nothing', async () => {
    const script = join(dir, 'writer.mjs');
    await writeFile(
      script,
      `import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
const [moduleFile, dir, name, count] = process.argv.slice(2);
const { Ledger } = await import(pathToFileURL(moduleFile).href);
writeFileSync(join(dir, 'ready-' + name), '');
const giveUp = Date.now() + 30000;
while (!(existsSync(join(dir, 'ready-a')) && existsSync(join(dir, 'ready-b')))) {
  if (Date.now() > giveUp) process.exit(2);
  await new Promise((r) => setTimeout(r, 2));
}
const ledger = new Ledger(join(dir, 'ledger'));
for (let i = 0; i < Number(count); i++) {
  await ledger.append('prod', { deploymentId: name + '-' + i, type: 'step', data: { name: 'n' + i, status: 'ok', startedAt: new Date().toISOString(), ms: i } });
}
`,
    );
    const run = promisify(execFile);
    const writer = (name: string) =>
      run(process.execPath, ['--import', 'tsx', script, join(ROOT, 'pipeline/ledger/ledger.ts'), dir, name, '60'], { cwd: ROOT });
    await Promise.all([writer('a'), writer('b')]);

    const ledger = new Ledger(join(dir, 'ledger'));
    expect(await ledger.verify('prod')).toMatchObject({ ok: true, entries: 120, problems: [] });
    const ids = (await ledger.read('prod')).map((e) => e.deploymentId);
    for (const name of ['a', 'b']) {
      expect(ids.filter((id) => id.startsWith(`${name}-`))).toEqual(Array.from({ length: 60 }, (_, i) => `${name}-${i}`));
    }
  });
});

describe('the lock file', () => {
  it('breaks a lock left behind by a crash (older than the stale limit)', async () => {
    const ledger = new Ledger(dir);
    const lock = join(dir, 'prod.lock');
    await writeFile(lock, '99999 left-behind\n');
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    await ledger.append('prod', started('d1'));
    expect((await ledger.read('prod')).map((e) => e.deploymentId)).toEqual(['d1']);
    expect(existsSync(lock)).toBe(false);
  });

  it('gives up on a fresh lock with LockHeld naming the holder, and leaves it alone', async () => {
    const ledger = new Ledger(dir, { lockTimeoutMs: 50 });
    await writeFile(join(dir, 'prod.lock'), '4242 other-writer\n');
    const attempt = ledger.append('prod', started('d1'));
    await expect(attempt).rejects.toThrow(LockHeld);
    await expect(attempt).rejects.toThrow(/prod\.lock is held by process 4242/);
    expect(await readFile(join(dir, 'prod.lock'), 'utf8')).toBe('4242 other-writer\n');
    expect(existsSync(join(dir, 'prod.jsonl'))).toBe(false);
  });

  it('waits for a lock that is released', async () => {
    const ledger = new Ledger(dir, { lockTimeoutMs: 10_000 });
    const lock = join(dir, 'prod.lock');
    await writeFile(lock, '4242 other-writer\n');
    const attempt = ledger.append('prod', started('d1'));
    setTimeout(() => void rm(lock), 50);
    await expect(attempt).resolves.toMatchObject({ seq: 1, deploymentId: 'd1' });
  });
});

// ---- derivations ----------------------------------------------------------------------------

describe('deployments, currentLive, pendingApprovals', () => {
  /** d1 went live automatically (blue → green). */
  const first: LedgerEvent[] = [started('d1'), step('d1', 'deploy-idle'), step('d1', 'smoke-idle'), ev.switched('d1', 'blue', 'green'), step('d1', 'verify'), ev.finished('d1', 'green')];
  const second = (id: string) => started(id, { digest: DIGEST_2, version: '2.0.0', slot: 'blue', from: 'green', actor: 'alice' });
  const byId = (entries: LedgerEntry[], id: string) => deployments(entries).find((d) => d.id === id)!;

  it('automatic promotion: live, with what runs, since the switch, approved by nobody', () => {
    const entries = entriesOf(first);
    const [d] = deployments(entries);
    expect(d).toMatchObject({
      id: 'd1', stack: 'prod', status: 'live', kind: 'deploy', artifact: `registry.local/shop@${DIGEST_1}`, digest: DIGEST_1,
      version: '1.0.0', commit: '4f2c9e1', actor: 'ci', slot: 'green', from: 'blue', approvals: [],
      startedAt: entries[0]!.at, finishedAt: entries[5]!.at, liveSince: entries[3]!.at,
    });
    expect(d!.steps).toEqual([{ name: 'deploy-idle', status: 'ok', ms: 120 }, { name: 'smoke-idle', status: 'ok', ms: 120 }, { name: 'verify', status: 'ok', ms: 120 }]);
    expect(currentLive(entries)).toEqual({ deployment: d, since: entries[3]!.at, approvedBy: [] });
  });

  it('approval gate: awaiting approval, then approved → live, approved by the approver', () => {
    const waiting = [...first, second('d2'), step('d2', 'smoke-idle'), ev.gate('d2')];
    let entries = entriesOf(waiting);
    expect(byId(entries, 'd2').status).toBe('awaiting-approval');
    expect(pendingApprovals(entries)).toEqual([{ deployment: byId(entries, 'd2'), since: entries[8]!.at, approvers: ['bob', 'carol'] }]);
    expect(currentLive(entries)?.deployment.id).toBe('d1');

    entries = entriesOf([...waiting, ev.approved('d2', 'bob')]);
    expect(byId(entries, 'd2').status).toBe('running');
    expect(pendingApprovals(entries)).toEqual([]);

    entries = entriesOf([...waiting, ev.approved('d2', 'bob'), ev.switched('d2', 'green', 'blue'), ev.finished('d2', 'blue')]);
    const live = currentLive(entries)!;
    expect(live.deployment).toMatchObject({ id: 'd2', status: 'live', version: '2.0.0', slot: 'blue' });
    expect(live.approvedBy).toEqual(['bob']);
    expect(live.deployment.approvals).toEqual([{ by: 'bob', at: entries[9]!.at, comment: 'looks good' }]);
    expect(live.since).toBe(entries[10]!.at);
    expect(byId(entries, 'd1').status).toBe('superseded');
  });

  it('rejected at the gate: rejected, and production stays on the previous release', () => {
    const entries = entriesOf([...first, second('d2'), ev.gate('d2'), ev.rejected('d2', 'carol')]);
    expect(byId(entries, 'd2')).toMatchObject({ status: 'rejected', rejection: { by: 'carol', comment: 'wrong build' }, reason: 'wrong build' });
    expect(pendingApprovals(entries)).toEqual([]);
    expect(currentLive(entries)?.deployment).toMatchObject({ id: 'd1', status: 'live' });
  });

  it('failed before the switch: failed, and production stays on the previous release', () => {
    const entries = entriesOf([...first, second('d2'), step('d2', 'smoke-idle', 'failed'), ev.failed('d2', 'smoke tests failed on the idle slot blue')]);
    expect(byId(entries, 'd2')).toMatchObject({ status: 'failed', reason: 'smoke tests failed on the idle slot blue', steps: [{ name: 'smoke-idle', status: 'failed', ms: 120 }] });
    expect(currentLive(entries)).toMatchObject({ deployment: { id: 'd1', status: 'live' }, since: entriesOf(first)[3]!.at });
  });

  it('rolled back after the switch: rolled-back, and the previous release is live again since the rollback', () => {
    const entries = entriesOf([...first, second('d2'), ev.switched('d2', 'green', 'blue'), step('d2', 'verify', 'failed'), ev.rolledBack('d2', 'green')]);
    expect(byId(entries, 'd2')).toMatchObject({ status: 'rolled-back', reason: '5xx alarm' });
    expect(currentLive(entries)).toMatchObject({ deployment: { id: 'd1', status: 'live' }, since: entries[9]!.at });
  });

  it('a rollback whose switch back failed leaves the failed deployment serving traffic', () => {
    const entries = entriesOf([...first, second('d2'), ev.switched('d2', 'green', 'blue'), ev.failed('d2', 'rollback to green failed: engine down')]);
    expect(currentLive(entries)?.deployment).toMatchObject({ id: 'd2', status: 'failed' });
    expect(byId(entries, 'd1').status).toBe('superseded');
  });

  it('a separate rollback run moves production back to the release in the other slot', () => {
    const rollback = started('r1', { kind: 'rollback', digest: DIGEST_1, version: '1.0.0', slot: 'green', from: 'blue', actor: 'alice' });
    const entries = entriesOf([...first, second('d2'), ev.switched('d2', 'green', 'blue'), ev.finished('d2', 'blue'), rollback, ev.rolledBack('r1', 'green', 'requested by alice')]);
    expect(byId(entries, 'd2')).toMatchObject({ status: 'rolled-back', reason: 'r1: requested by alice' });
    expect(byId(entries, 'r1')).toMatchObject({ kind: 'rollback', status: 'rolled-back' });
    expect(currentLive(entries)).toMatchObject({ deployment: { id: 'd1', status: 'live' }, since: entries.at(-1)!.at });
  });

  it('a resumed step replaces its earlier result; unknown event types are ignored by the fold', () => {
    const note = { deploymentId: 'd1', type: 'note', data: { text: 'from a newer slipway' } } as unknown as LedgerEvent;
    const entries = entriesOf([started('d1'), step('d1', 'deploy-idle', 'failed', 5), note, step('d1', 'deploy-idle', 'ok', 7)]);
    expect(byId(entries, 'd1')).toMatchObject({ status: 'running', steps: [{ name: 'deploy-idle', status: 'ok', ms: 7 }] });
  });

  it('nothing live before anything finished or switched', () => {
    expect(currentLive(entriesOf([started('d1'), step('d1', 'deploy-idle')]))).toBeUndefined();
    expect(currentLive([])).toBeUndefined();
  });
});

// ---- commands -------------------------------------------------------------------------------

describe('slipway history', () => {
  async function prodHistory() {
    const ledger = new Ledger(dir, { now: clock() });
    for (const e of [...[started('d1'), ev.switched('d1', 'blue', 'green'), ev.finished('d1', 'green')],
      started('d2', { digest: DIGEST_2, version: '2.0.0', slot: 'blue', from: 'green', actor: 'alice' }), ev.gate('d2'), ev.approved('d2', 'bob'), ev.switched('d2', 'green', 'blue'), ev.finished('d2', 'blue'),
      started('d3', { digest: DIGEST_3, version: '3.0.0', actor: 'alice' }), ev.failed('d3', 'smoke failed')]) {
      await ledger.append('prod', e);
    }
  }

  it('prints what is live and a table of deployments, newest first', async () => {
    await prodHistory();
    const output = memorySink();
    await history({ ...commandContext({ cwd: ROOT, output }), stack: 'prod', ledgerDir: dir });
    const lines = output.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('live on prod: 2.0.0 (222222222222) in slot blue since 2025-03-01 10:00:07Z, deployment d2, approved by bob');
    expect(lines[1]).toBe('3 deployments, newest first:');
    expect(lines[3]).toMatch(/^ID\s+WHEN \(UTC\)\s+VERSION\s+DIGEST\s+STATUS\s+ACTOR\s+APPROVED BY$/);
    expect(lines.slice(4).map((l) => l.split(/\s{2,}/))).toEqual([
      ['d3', '2025-03-01 10:00:09Z', '3.0.0', '333333333333', 'failed', 'alice', '-'],
      ['d2', '2025-03-01 10:00:04Z', '2.0.0', '222222222222', 'live', 'alice', 'bob'],
      ['d1', '2025-03-01 10:00:01Z', '1.0.0', '111111111111', 'superseded', 'ci', '-'],
    ]);
  });

  it('--limit keeps the newest; --json prints the summaries', async () => {
    await prodHistory();
    const program = new Command().exitOverride();
    const output = memorySink();
    registerHistory(program, commandContext({ cwd: ROOT, output, env: { SLIPWAY_LEDGER_DIR: dir } }));
    await program.parseAsync(['history', '--stack', 'prod', '--json', '--limit', '2'], { from: 'user' });
    const doc = JSON.parse(output.stdout);
    expect(doc.deployments.map((d: { id: string }) => d.id)).toEqual(['d3', 'd2']);
    expect(doc.live).toMatchObject({ deployment: { id: 'd2' }, approvedBy: ['bob'] });

    await expect(program.parseAsync(['history', '--stack', 'prod', '--limit', '0'], { from: 'user' })).rejects.toThrow('"0" is not a whole number of 1 or more');
  });

  it('lists deployments waiting at a gate', async () => {
    const ledger = new Ledger(dir, { now: clock() });
    await ledger.append('prod', started('d1'));
    await ledger.append('prod', ev.gate('d1', ['bob']));
    const output = memorySink();
    await history({ ...commandContext({ cwd: ROOT, output }), stack: 'prod', ledgerDir: dir });
    expect(output.stdout.split('\n').slice(0, 2)).toEqual([
      'live on prod: nothing recorded',
      'awaiting approval: 1.0.0 (111111111111), deployment d1, since 2025-03-01 10:00:02Z, approvers bob',
    ]);
  });

  it('says so when nothing is recorded, and refuses a stack that does not exist', async () => {
    const output = memorySink();
    await history({ ...commandContext({ cwd: ROOT, output }), stack: 'staging', ledgerDir: dir });
    expect(output.stdout).toMatch(/^no deployments recorded for stack staging \(.*staging\.jsonl\)\n$/);
    await expect(history({ ...commandContext({ cwd: ROOT }), stack: 'prdo', ledgerDir: dir })).rejects.toThrow(
      '--stack: "prdo" has no stack file and no ledger (stacks: dev, local, prod, staging)',
    );
  });
});

describe('slipway ledger verify', () => {
  it('prints ok for every intact ledger', async () => {
    await sampleLedger('prod');
    await sampleLedger('dev');
    const output = memorySink();
    const program = new Command().exitOverride();
    registerLedger(program, commandContext({ cwd: dir, output, env: { SLIPWAY_LEDGER_DIR: 'ledger-does-not-matter' } }));
    // The env override is honoured: that directory is empty.
    await program.parseAsync(['ledger', 'verify'], { from: 'user' });
    expect(output.stdout).toBe('no ledgers in ledger-does-not-matter (nothing deployed yet)\n');

    const ok = memorySink();
    await verifyLedgers({ ...commandContext({ cwd: dir, output: ok }), ledgerDir: dir });
    expect(ok.stdout.split('\n').slice(0, 2).map((l) => l.replace(/head sha256:[0-9a-f]{64}/, 'head H'))).toEqual([
      'ok dev.jsonl: 8 entries, head H',
      'ok prod.jsonl: 8 entries, head H',
    ]);
  });

  it('shows paths inside the project relative, outside it absolute', () => {
    expect(displayPath('/repo', '/repo/.slipway/ledger/prod.jsonl')).toBe('.slipway/ledger/prod.jsonl');
    expect(displayPath('/repo', '/srv/ledger/prod.jsonl')).toBe('/srv/ledger/prod.jsonl');
  });

  it('throws CheckFailed with every problem of every ledger, each naming its file and line', async () => {
    const { file, lines } = await sampleLedger('prod');
    await sampleLedger('dev');
    await writeFile(file, `${lines.filter((_, i) => i !== 2).join('\n')}\n`);
    const output = memorySink();
    const attempt = verifyLedgers({ ...commandContext({ cwd: dir, output }), ledgerDir: dir });
    await expect(attempt).rejects.toThrow(CheckFailed);
    const error = (await attempt.catch((e: unknown) => e)) as CheckFailed;
    expect(error.problems).toEqual([
      'prod.jsonl: line 3: prev does not match line 2 (removed or reordered?)',
      'prod.jsonl: line 3: seq 4 does not follow seq 2 of line 2 (removed or reordered?)',
    ]);
    expect(output.stdout).toMatch(/^ok dev\.jsonl: 8 entries/);

    await expect(verifyLedgers({ ...commandContext({ cwd: dir }), ledgerDir: dir, stack: 'dev' })).resolves.toHaveProperty('dev.ok', true);
  });
});
