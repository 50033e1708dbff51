// `slipway backup` and `slipway restore` against the engine double: a round trip after the state and
// the ledger are lost; every refusal (tampered, foreign, newer without --force) names why in one line
// and leaves state, stack file, ledger and anchor as they were. The real engine: test/engine/backup.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, exitCodeFor } from '../pipeline/cli/errors';
import { memorySink } from '../pipeline/cli/output';
import { backupCommand } from '../pipeline/cli/commands/backup';
import { restoreCommand } from '../pipeline/cli/commands/restore';
import { ANCHOR_TAG } from '../pipeline/ledger/anchor';
import { Ledger } from '../pipeline/ledger/store';
import { fileLock } from '../pipeline/release/lock';
import { sealBackup, serializeBackup, type Backup } from '../pipeline/recovery/backup';
import { EngineDouble } from './support/engineDouble';
import { ROOT } from './mocks';

let cwd: string;
let engine: EngineDouble;
const stackPath = () => join(cwd, 'stacks', 'Pulumi.local.yaml');
const ledgerPath = () => join(cwd, '.slipway', 'ledger', 'local.jsonl');
const stateAt = (time: string, urns: string[]) => ({ version: 3, deployment: { manifest: { time }, resources: urns.map((urn) => ({ urn })) } });
const ctx = () => ({ cwd, output: memorySink(), env: {}, verbose: false, engine, lock: fileLock(join(cwd, '.slipway', 'locks')) });
const failure = async (p: Promise<unknown>) => {
  const e = await p.then(() => undefined, (err: unknown) => err);
  if (!e) throw new Error('expected a refusal');
  return { code: exitCodeFor(e), message: (e as Error).message };
};
/** What a refusal must leave untouched. */
const snapshot = () => ({
  state: JSON.stringify(engine.stacks.get('local')?.state),
  tags: JSON.stringify(engine.stacks.get('local')?.tags),
  stackFile: readFileSync(stackPath(), 'utf8'),
  ledger: existsSync(ledgerPath()) ? readFileSync(ledgerPath(), 'utf8') : null,
});

beforeEach(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'slipway-restore-'));
  writeFileSync(join(cwd, 'Pulumi.yaml'), 'name: slipway\nruntime: nodejs\n');
  mkdirSync(join(cwd, 'stacks'));
  cpSync(join(ROOT, 'stacks', 'Pulumi.local.yaml'), stackPath());
  engine = new EngineDouble();
  const s = engine.seed('local');
  s.state = stateAt('2026-01-02T03:04:00.000000001Z', ['stack', 'router', 'blue']);
  const ledger = new Ledger(join(cwd, '.slipway', 'ledger'));
  await ledger.append('local', { deploymentId: 'd1', type: 'finished', data: { slot: 'blue' } });
  const head = await ledger.append('local', { deploymentId: 'd2', type: 'finished', data: { slot: 'green' } });
  s.tags = { [ANCHOR_TAG]: `${head.seq} ${head.hash}` };
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

async function backup(out = 'b.json'): Promise<Backup> {
  return backupCommand({ ...ctx(), stack: 'local', out, now: () => new Date('2026-01-02T03:05:00Z') });
}

describe('slipway backup', () => {
  it('writes the state, stack file, ledger and anchored head, and says so in one line without a secret', async () => {
    const c = ctx();
    const b = await backupCommand({ ...c, stack: 'local', out: 'b.json' });
    const file = JSON.parse(readFileSync(join(cwd, 'b.json'), 'utf8')) as Backup;
    expect(file).toEqual(b);
    expect(file).toMatchObject({ format: 'slipway-backup/1', project: 'slipway', stack: 'local', stackFile: readFileSync(stackPath(), 'utf8'), ledger: { head: { seq: 2 }, text: readFileSync(ledgerPath(), 'utf8') } });
    expect(c.output.stdout).toMatch(/^local: backup written to b\.json \(3 resources, ledger head seq 2, \d+ KiB, checksum sha256:[0-9a-f]{64}\)\n$/);
  });

  it('refuses an existing --out without --force, a stack with no state, and a ledger that does not reach its anchor', async () => {
    writeFileSync(join(cwd, 'b.json'), 'keep');
    expect(await failure(backup())).toEqual({ code: EXIT.failure, message: '--out: b.json: already exists; --force overwrites it' });
    expect(readFileSync(join(cwd, 'b.json'), 'utf8')).toBe('keep');
    engine.stacks.get('local')!.tags = { [ANCHOR_TAG]: `3 sha256:${'f'.repeat(64)}` };
    const cut = await failure(backup('c.json'));
    expect(cut.code).toBe(EXIT.failure);
    expect(cut.message.split('\n')).toEqual([
      `.slipway/ledger/local.jsonl: 1 entry cut off the end: the ledger ends at seq 2, but stack tag slipway:ledger-head of stack local records seq 3 (sha256:${'f'.repeat(64)})`,
      'stack local: no backup written: its ledger does not verify (`slipway ledger verify --stack local`)',
    ]);
    engine.stacks.delete('local');
    expect(await failure(backup('c.json'))).toEqual({ code: EXIT.failure, message: 'stack local: no state in its backend (nothing deployed yet); nothing to back up' });
    expect(existsSync(join(cwd, 'c.json'))).toBe(false);
  });
});

describe('slipway restore', () => {
  it('round trip: the state and ledger lost, restore brings back the state, the ledger and its anchor', async () => {
    const b = await backup();
    engine.stacks.delete('local');
    rmSync(join(cwd, '.slipway'), { recursive: true });
    const c = ctx();
    const r = await restoreCommand({ ...c, stack: 'local', from: 'b.json' });
    expect(r).toMatchObject({ stackFile: 'same', ledgerFile: 'written', anchor: 'set', warnings: [] });
    expect(engine.stacks.get('local')!.state).toEqual(b.state);
    expect(engine.stacks.get('local')!.tags).toEqual({ [ANCHOR_TAG]: `2 ${b.ledger.head!.hash}` });
    expect(readFileSync(ledgerPath(), 'utf8')).toBe(b.ledger.text);
    expect(c.output.stdout).toBe(
      'local: state restored from b.json (backup taken 2026-01-02T03:05:00.000Z, 3 resources)\nlocal: ledger written from the backup (it was missing here)\nlocal: ledger head anchored again from the backup\n',
    );
    // The same backup again changes nothing and needs no --force, though the import made the state "newer".
    engine.stacks.get('local')!.state = { ...b.state, deployment: { ...b.state.deployment, manifest: { time: '2030-01-01T00:00:00Z' } } };
    expect((await restoreCommand({ ...ctx(), stack: 'local', from: 'b.json' })).anchor).toBe('kept');
  });

  it('refuses a tampered backup with the exact line, changing nothing', async () => {
    await backup();
    const text = readFileSync(join(cwd, 'b.json'), 'utf8');
    writeFileSync(join(cwd, 'b.json'), text.replace('"router"', '"routes"'));
    engine.stacks.get('local')!.state = stateAt('2026-01-01T00:00:00Z', ['other']);
    const before = snapshot();
    const f = await failure(restoreCommand({ ...ctx(), stack: 'local', from: 'b.json' }));
    expect(f.code).toBe(EXIT.failure);
    expect(f.message).toMatch(/^--from: b\.json: checksum mismatch: it records sha256:[0-9a-f]{64} but its content hashes to sha256:[0-9a-f]{64} \(changed after it was written\); nothing was restored$/);
    expect(snapshot()).toEqual(before);
  });

  it('refuses a backup of another stack or another project, changing nothing', async () => {
    const b = await backup();
    const { checksum: _c, ...body } = b;
    writeFileSync(join(cwd, 'dev.json'), serializeBackup(sealBackup({ ...body, stack: 'dev' })));
    writeFileSync(join(cwd, 'other.json'), serializeBackup(sealBackup({ ...body, project: 'shop' })));
    const before = snapshot();
    expect(await failure(restoreCommand({ ...ctx(), stack: 'local', from: 'dev.json' }))).toEqual({ code: EXIT.failure, message: '--from: dev.json: a backup of stack "dev", not "local"; nothing was restored' });
    expect(await failure(restoreCommand({ ...ctx(), stack: 'local', from: 'other.json' }))).toEqual({
      code: EXIT.failure,
      message: '--from: other.json: a backup of project "shop", not "slipway" (Pulumi.yaml); nothing was restored',
    });
    expect(snapshot()).toEqual(before);
  });

  it('asks for --force when the current state is newer; with it, restores the state and the stack file', async () => {
    const b = await backup();
    const backupStackFile = readFileSync(stackPath(), 'utf8');
    engine.stacks.get('local')!.state = stateAt('2026-01-02T04:00:00Z', ['stack', 'router', 'blue', 'green']);
    writeFileSync(stackPath(), backupStackFile.replace('live: blue', 'live: green'));
    const before = snapshot();
    expect(await failure(restoreCommand({ ...ctx(), stack: 'local', from: 'b.json' }))).toEqual({
      code: EXIT.failure,
      message:
        "stack local: its current state (written 2026-01-02T04:00:00Z, 4 resources) is newer than the backup's (2026-01-02T03:04:00.000000001Z) and differs from it; --force restores the backup over it; nothing was restored",
    });
    expect(snapshot()).toEqual(before);
    const c = ctx();
    const r = await restoreCommand({ ...c, stack: 'local', from: 'b.json', force: true });
    expect(r).toMatchObject({ stackFile: 'written', ledgerFile: 'present', anchor: 'kept' });
    expect(engine.stacks.get('local')!.state).toEqual(b.state);
    expect(readFileSync(stackPath(), 'utf8')).toBe(backupStackFile);
  });

  it('keeps a stack file that differs unless --force, and says so on stderr', async () => {
    await backup();
    const edited = readFileSync(stackPath(), 'utf8').replace('live: blue', 'live: green');
    writeFileSync(stackPath(), edited);
    const c = ctx();
    const r = await restoreCommand({ ...c, stack: 'local', from: 'b.json' });
    expect(r.stackFile).toBe('kept');
    expect(readFileSync(stackPath(), 'utf8')).toBe(edited);
    expect(c.output.stderr).toBe(
      "local: stacks/Pulumi.local.yaml differs from the backup's copy and was kept (--force writes the backup's); `slipway preview --stack local` shows what an up would change\n",
    );
  });

  it('leaves the anchor unset, saying why, when the ledger here does not reach the backup head', async () => {
    await backup();
    engine.stacks.delete('local');
    writeFileSync(ledgerPath(), readFileSync(ledgerPath(), 'utf8').split('\n')[0] + '\n');
    const c = ctx();
    const r = await restoreCommand({ ...c, stack: 'local', from: 'b.json' });
    expect(r.anchor).toBe('unset');
    expect(engine.stacks.get('local')!.tags).toBeUndefined();
    expect(c.output.stderr).toBe(
      "local: .slipway/ledger/local.jsonl does not reach the backup's ledger head (seq 2): stack tag slipway:ledger-head of stack local was left unset; run `slipway ledger verify --stack local`\n",
    );
  });
});
