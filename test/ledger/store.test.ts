// The ledger's storage (pipeline/ledger/store.ts): append, read, the location, concurrent writers, and
// the anchor kept outside the file (pipeline/ledger/anchor.ts) as the store writes and checks it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckFailed, UserError } from '../../pipeline/cli/errors';
import { ANCHOR_TAG, memoryAnchor, stackTagAnchor } from '../../pipeline/ledger/anchor';
import { EngineDouble } from '../support/engineDouble';
import { entryHash, GENESIS, type LedgerEntry, type LedgerEvent } from '../../pipeline/ledger/events';
import { checkLedgerDir, defaultLedgerDir, Ledger } from '../../pipeline/ledger/store';
import { ev, ROOT, sampleLedger, started, step } from './fixtures';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-ledger-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('append and read', () => {
  it('round-trips events with sequence, time, stack and a hash chain from the genesis value', async () => {
    const { ledger, file } = await sampleLedger(dir);
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
    const { ledger, file } = await sampleLedger(dir);
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
      run(process.execPath, ['--import', 'tsx', script, join(ROOT, 'pipeline/ledger/store.ts'), dir, name, '60'], { cwd: ROOT });
    await Promise.all([writer('a'), writer('b')]);

    const ledger = new Ledger(join(dir, 'ledger'));
    expect(await ledger.verify('prod')).toMatchObject({ ok: true, entries: 120, problems: [] });
    const ids = (await ledger.read('prod')).map((e) => e.deploymentId);
    for (const name of ['a', 'b']) {
      expect(ids.filter((id) => id.startsWith(`${name}-`))).toEqual(Array.from({ length: 60 }, (_, i) => `${name}-${i}`));
    }
  });
});

describe('malformed entries and the ledger location', () => {
  it('read names a well-chained entry whose data has a wrong type, in one line', async () => {
    const ledger = new Ledger(dir);
    await ledger.append('prod', started('d1'));
    // Written through the store, so its chain is valid: only its shape is wrong.
    await ledger.append('prod', { deploymentId: 'd1', type: 'started', data: { ...started('d1').data, version: 5 } } as unknown as LedgerEvent);
    expect((await ledger.verify('prod')).problems.map((p) => p.reason)).toEqual([
      'line 2: data.version is not a string, it is 5 (a started event of deployment d1)',
    ]);
    const error = (await ledger.read('prod').catch((e: unknown) => e)) as CheckFailed;
    expect(error).toBeInstanceOf(CheckFailed);
    expect(error.message).toBe(
      `${join(dir, 'prod.jsonl')}: line 2: entry seq 2 (started of deployment d1) is malformed: data.version is not a string, it is 5; run \`slipway ledger verify --stack prod\``,
    );
  });

  it('refuses a location that is a file or runs through one; a missing folder only when given explicitly', async () => {
    const file = join(dir, 'not-a-folder');
    await writeFile(file, 'x');
    await expect(checkLedgerDir(file, 'not-a-folder', '$SLIPWAY_LEDGER_DIR')).rejects.toThrow(new UserError('$SLIPWAY_LEDGER_DIR: not-a-folder is a file, not a folder'));
    await expect(checkLedgerDir(join(file, 'sub'), 'not-a-folder/sub')).rejects.toThrow(new UserError('ledger folder: not-a-folder/sub is not a folder (part of the path is a file)'));
    await expect(checkLedgerDir(join(dir, 'missing'), 'missing', '$SLIPWAY_LEDGER_DIR')).rejects.toThrow(
      new UserError('$SLIPWAY_LEDGER_DIR: missing does not exist (create the folder, or point $SLIPWAY_LEDGER_DIR at the ledger folder)'),
    );
    await expect(checkLedgerDir(join(dir, 'missing'), 'missing')).resolves.toBeUndefined();
    // Appending creates a missing folder, and names a file in the way.
    await expect(new Ledger(file).append('prod', started('d1'))).rejects.toThrow(new UserError(`ledger folder: ${file} is a file, not a folder`));
  });
});

describe('the anchor, as the store keeps it', () => {
  it("anchors the head after each command's last event, not after every step", async () => {
    const anchor = memoryAnchor();
    const ledger = new Ledger(dir, { anchor });
    await ledger.append('prod', started('d1'));
    await ledger.append('prod', step('d1', 'deploy-idle'));
    expect(anchor.heads.get('prod')).toBeUndefined();
    const gate = await ledger.append('prod', ev.gate('d1'));
    expect(anchor.heads.get('prod')).toEqual({ seq: 3, hash: gate.hash });
    await ledger.append('prod', ev.approved('d1', 'bob'));
    const done = await ledger.append('prod', ev.finished('d1', 'green'));
    expect(anchor.heads.get('prod')).toEqual({ seq: 5, hash: done.hash });
    expect(await ledger.verify('prod')).toMatchObject({ ok: true, entries: 5, anchor: { seq: 5 }, unanchored: 0 });
  });

  it('an anchor that cannot be written leaves the entry written and says so', async () => {
    const warnings: string[] = [];
    const anchor = { ...memoryAnchor(), write: async () => Promise.reject(new Error('backend unreachable')) };
    const ledger = new Ledger(dir, { anchor, warn: (l) => warnings.push(l) });
    await ledger.append('prod', ev.finished('d1', 'green'));
    expect((await ledger.read('prod')).length).toBe(1);
    expect(warnings).toEqual(['slipway: warning: the ledger head (seq 1) was not anchored in the anchor of stack prod: backend unreachable']);
  });

  it('will not append to a copy that does not reach the anchored head (no fork of the history)', async () => {
    const anchor = memoryAnchor();
    const { lines } = await sampleLedger(dir, 'prod', { anchor });
    const elsewhere = join(dir, 'elsewhere');
    // Another machine with no ledger, or with an older copy, or with a rewritten one.
    await expect(new Ledger(elsewhere, { anchor }).append('prod', started('d2'))).rejects.toThrow(
      `${join(elsewhere, 'prod.jsonl')}: no ledger here, but the anchor of stack prod records seq 8: this is not the stack's ledger`,
    );
    await writeFile(join(elsewhere, 'prod.jsonl'), `${lines.slice(0, 5).join('\n')}\n`);
    await expect(new Ledger(elsewhere, { anchor }).append('prod', started('d2'))).rejects.toThrow(/ends at seq 5, but the anchor of stack prod records seq 8: entries are missing/);
    const last = JSON.parse(lines[7]!) as LedgerEntry;
    const forged = { ...last, data: { slot: 'blue' } };
    await writeFile(join(elsewhere, 'prod.jsonl'), `${[...lines.slice(0, 7), JSON.stringify({ ...forged, hash: entryHash(forged) })].join('\n')}\n`);
    await expect(new Ledger(elsewhere, { anchor }).append('prod', started('d2'))).rejects.toThrow(/seq 8 has hash sha256:\w+, but the anchor of stack prod records sha256:\w+ \(rewritten\)/);
    expect(GENESIS).toMatch(/^sha256:0+$/);
  });

  it('as a stack tag through the engine port: written on the stack, read without ever creating one', async () => {
    const engine = new EngineDouble();
    const anchor = stackTagAnchor(engine);
    expect(await anchor.read('prod')).toBeNull();
    expect(engine.stacks.has('prod')).toBe(false);
    const { lines } = await sampleLedger(dir, 'prod', { anchor });
    const head = JSON.parse(lines[7]!) as LedgerEntry;
    expect(engine.stacks.get('prod')!.tags).toEqual({ [ANCHOR_TAG]: `8 ${head.hash}` });
    expect(await anchor.read('prod')).toEqual({ seq: 8, hash: head.hash });
    engine.stacks.get('prod')!.tags![ANCHOR_TAG] = 'eight';
    await expect(anchor.read('prod')).rejects.toThrow(`stack tag ${ANCHOR_TAG} of stack prod: "eight" is not a ledger head (<seq> sha256:<64 hex>)`);
  });
});
