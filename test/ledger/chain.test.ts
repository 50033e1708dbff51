// Verification of a ledger's chain (pipeline/ledger/chain.ts), and of the file against its anchored
// head: cutting entries off the end, or rewriting from an edit on with every later hash recomputed.
import fc from 'fast-check';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryAnchor } from '../../pipeline/ledger/anchor';
import { verifyText } from '../../pipeline/ledger/chain';
import { entryHash, GENESIS, type LedgerEntry } from '../../pipeline/ledger/events';
import { Ledger } from '../../pipeline/ledger/store';
import { entriesOf, firstLine, linesOf, sampleLedger, started } from './fixtures';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-ledger-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

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
    const { lines } = await sampleLedger(dir);
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
    const { lines } = await sampleLedger(dir);
    const edited = [...lines];
    edited[0] = edited[0]!.replace('"version":"1.0.0"', '"version":"1.0.1"');
    expect(edited[0]).not.toBe(lines[0]);
    expect(verifyText(`${edited.join('\n')}\n`, 'prod').problems).toEqual([
      { line: 1, reason: 'line 1: hash does not match its content (edited?)' },
    ]);
  });

  it('accepts a line re-serialised with other key order and spacing (same content)', async () => {
    const { lines } = await sampleLedger(dir);
    const edited = [...lines];
    const obj = JSON.parse(lines[2]!);
    edited[2] = JSON.stringify(Object.fromEntries(Object.entries(obj).reverse()), null, 1).replace(/\n/g, ' ');
    expect(verifyText(`${edited.join('\n')}\n`, 'prod').ok).toBe(true);
  });

  it('catches any single changed byte, at the line that holds it', async () => {
    const { lines } = await sampleLedger(dir);
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
    const { lines } = await sampleLedger(dir);
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
    const { lines } = await sampleLedger(dir);
    const swapped = [...lines];
    [swapped[2], swapped[3]] = [swapped[3]!, swapped[2]!];
    const r = verifyText(`${swapped.join('\n')}\n`, 'prod');
    expect(firstLine(r.problems)).toBe(3);
    expect(r.problems.map((p) => p.reason)).toContain('line 3: prev does not match line 2 (removed or reordered?)');
    expect(r.problems.map((p) => p.reason)).toContain('line 4: prev does not match line 3 (removed or reordered?)');
  });

  it('catches a truncated last line', async () => {
    const { ledger, file, lines } = await sampleLedger(dir);
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
    const { ledger, file, lines } = await sampleLedger(dir);
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
    const { lines } = await sampleLedger(dir);
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

describe('verify against the anchored head', () => {
  /** Rewrites lines from index `from` on with fresh, correctly chained hashes: the chain alone passes. */
  function rechain(lines: string[], from: number, edit: (e: LedgerEntry) => LedgerEntry): string[] {
    const out = lines.slice(0, from);
    let prev = from > 0 ? (JSON.parse(lines[from - 1]!) as LedgerEntry).hash : GENESIS;
    for (const raw of lines.slice(from)) {
      const { hash: _h, ...e } = edit({ ...(JSON.parse(raw) as LedgerEntry), prev });
      const hash = entryHash(e);
      out.push(JSON.stringify({ ...e, hash }));
      prev = hash;
    }
    return out;
  }
  const where = 'the anchor of stack prod';

  it('catches entries cut off the end, which the chain alone accepts', async () => {
    const anchor = memoryAnchor();
    const { ledger, file, lines } = await sampleLedger(dir, 'prod', { anchor });
    await writeFile(file, `${lines.slice(0, 5).join('\n')}\n`);
    expect(verifyText(await readFile(file, 'utf8'), 'prod').ok).toBe(true);
    const r = await ledger.verify('prod');
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      { line: 0, reason: `3 entries cut off the end: the ledger ends at seq 5, but ${where} records seq 8 (${anchor.heads.get('prod')!.hash})` },
    ]);
    // The whole file gone is cut off too.
    await rm(file);
    expect((await ledger.verify('prod')).problems.map((p) => p.reason)).toEqual([expect.stringMatching(/^8 entries cut off the end: the ledger ends at seq 0/)]);
  });

  it('catches a rewrite from an edit on with every later hash recomputed, which the chain alone accepts', async () => {
    const anchor = memoryAnchor();
    const { ledger, file, lines } = await sampleLedger(dir, 'prod', { anchor });
    const rewritten = rechain(lines, 4, (e) => (e.type === 'approved' ? ({ ...e, data: { by: 'mallory' } } as LedgerEntry) : e));
    await writeFile(file, `${rewritten.join('\n')}\n`);
    expect(verifyText(await readFile(file, 'utf8'), 'prod').ok).toBe(true);
    const r = await ledger.verify('prod');
    expect(r.problems).toEqual([
      { line: 8, reason: `line 8: seq 8 has hash ${JSON.parse(rewritten[7]!).hash}, but ${where} records ${anchor.heads.get('prod')!.hash} (rewritten from here or before)` },
    ]);
  });

  it('accepts entries after the anchored head, and says how many are not anchored yet', async () => {
    const anchor = memoryAnchor();
    const { ledger, file, lines } = await sampleLedger(dir, 'prod', { anchor });
    const last = JSON.parse(lines[7]!) as LedgerEntry;
    const extra = { ...last, seq: 9, type: 'started', data: started('d2').data, deploymentId: 'd2', prev: last.hash } as LedgerEntry;
    await writeFile(file, `${[...lines, JSON.stringify({ ...extra, hash: entryHash(extra as unknown as Record<string, unknown>) })].join('\n')}\n`);
    expect(await ledger.verify('prod')).toMatchObject({ ok: true, entries: 9, anchor: { seq: 8 }, unanchored: 1 });
  });

  it('fails a ledger with entries and no anchor recorded', async () => {
    const { lines } = await sampleLedger(dir);
    const r = verifyText(`${lines.join('\n')}\n`, 'prod', { head: null, where });
    expect(r.problems).toEqual([{ line: 0, reason: `not anchored: no head is recorded in ${where} (removed, the stack is not in this backend, or a ledger written before anchoring)` }]);
    expect(await new Ledger(join(dir, 'none'), { anchor: memoryAnchor() }).verify('prod')).toEqual({ ok: true, entries: 0, problems: [], anchor: null, unanchored: 0 });
  });
});
