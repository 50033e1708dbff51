// The commands that read ledgers: `slipway history`, `slipway ledger verify` and `slipway status` —
// their output, what they print from a hostile ledger (escape codes), and their one-line errors.
import { Command } from 'commander';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { history, registerHistory } from '../../pipeline/cli/commands/history';
import { displayPath, registerLedger, verifyLedgers } from '../../pipeline/cli/commands/ledger';
import { renderStatus, statusCommand } from '../../pipeline/cli/commands/status';
import { CheckFailed, exitCodeFor, UserError } from '../../pipeline/cli/errors';
import { commandContext, memorySink } from '../../pipeline/cli/output';
import { memoryAnchor } from '../../pipeline/ledger/anchor';
import { printable } from '../../pipeline/ledger/events';
import { Ledger } from '../../pipeline/ledger/store';
import { clock, DIGEST_2, DIGEST_3, ev, ROOT, sampleLedger, started } from './fixtures';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-ledger-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

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
    await sampleLedger(dir, 'prod');
    await sampleLedger(dir, 'dev');
    const output = memorySink();
    const program = new Command().exitOverride();
    await mkdir(join(dir, 'ledger-does-not-matter'));
    registerLedger(program, commandContext({ cwd: dir, output, env: { SLIPWAY_LEDGER_DIR: 'ledger-does-not-matter' } }));
    // The env override is honoured: that directory is empty.
    await program.parseAsync(['ledger', 'verify', '--no-anchor'], { from: 'user' });
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
    const { file, lines } = await sampleLedger(dir, 'prod');
    await sampleLedger(dir, 'dev');
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

describe('history and status from a hostile or broken ledger', () => {
  it('escapes control characters: no escape code from a ledger reaches the terminal', async () => {
    const ledger = new Ledger(dir, { now: clock() });
    await ledger.append('prod', started('d1', { version: '1.0.0\u001b[2J\u001b]0;owned\u0007', actor: 'eve\u009b31m\r\u202e' }));
    await ledger.append('prod', ev.finished('d1', 'green'));
    const output = memorySink();
    await history({ ...commandContext({ cwd: ROOT, output }), stack: 'prod', ledgerDir: dir });
    expect(output.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(output.stdout).toContain('1.0.0\\x1b[2J\\x1b]0;owned\\x07');
    expect(output.stdout).toContain('eve\\x9b31m\\x0d\\u202e');
    const json = memorySink();
    await history({ ...commandContext({ cwd: ROOT, output: json }), stack: 'prod', ledgerDir: dir, json: true });
    expect(json.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(JSON.parse(json.stdout).deployments[0].actor).toBe('eve\u009b31m\r\u202e');
    expect(printable('a\u001bb\u2028')).toBe('a\\x1bb\\u2028');
  });

  it('a well-chained entry with a wrong-typed field: one line naming the entry, exit 1', async () => {
    const ledger = new Ledger(dir, { now: clock() });
    await ledger.append('prod', started('d1'));
    await ledger.append('prod', { deploymentId: 'd1', type: 'started', data: { ...started('d1').data, actor: ['x'] } } as never);
    const attempt = history({ ...commandContext({ cwd: ROOT }), stack: 'prod', ledgerDir: dir });
    const error = (await attempt.catch((e: unknown) => e)) as CheckFailed;
    expect(error).toBeInstanceOf(CheckFailed);
    expect(exitCodeFor(error)).toBe(1);
    expect(error.message).toBe(
      `${join(dir, 'prod.jsonl')}: line 2: entry seq 2 (started of deployment d1) is malformed: data.actor is not a string, it is ["x"]; run \`slipway ledger verify --stack prod\``,
    );
  });

  it('a ledger location that is a file or a missing folder: one line, exit 1, for history, status and verify', async () => {
    await writeFile(join(dir, 'file'), 'x');
    const ctx = (value: string) => commandContext({ cwd: dir, env: { SLIPWAY_LEDGER_DIR: value } });
    const runs = (value: string) => [
      history({ ...ctx(value), stack: 'prod' }),
      statusCommand({ ...commandContext({ cwd: ROOT, env: { SLIPWAY_LEDGER_DIR: join(dir, value) } }), stack: 'local', engine: null }),
      verifyLedgers({ ...ctx(value) }),
    ];
    // All three settle before any is looked at: a rejection is never left unhandled meanwhile.
    for (const r of await Promise.allSettled(runs('file'))) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(UserError);
    }
    const messages = async (value: string) => Promise.all(runs(value).map((a) => a.catch((e: Error) => e.message)));
    expect(await messages('file')).toEqual([
      '$SLIPWAY_LEDGER_DIR: file is a file, not a folder',
      `$SLIPWAY_LEDGER_DIR: ${join(dir, 'file')} is a file, not a folder`,
      '$SLIPWAY_LEDGER_DIR: file is a file, not a folder',
    ]);
    expect((await messages('missing'))[0]).toBe('$SLIPWAY_LEDGER_DIR: missing does not exist (create the folder, or point $SLIPWAY_LEDGER_DIR at the ledger folder)');
    expect((await messages('file/sub'))[2]).toBe('$SLIPWAY_LEDGER_DIR: file/sub is not a folder (part of the path is a file)');
  });

  it('status prints no escape code from the ledger either', () => {
    const text = renderStatus({
      stack: 'prod', target: 'docker', live: 'blue', slots: { blue: { version: '1\u001b[31m', artifact: null }, green: { version: null, artifact: null } },
      publicUrl: null, testUrl: null, liveSince: null, approvedBy: ['b\u0007'], pendingApprovals: [],
      lastDeployment: { id: 'd1', status: 'live', version: '1\u001b[31m', actor: 'eve\u009b', startedAt: '2025-03-01T10:00:00Z' },
    });
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain('last deployment: d1 1\\x1b[31m live by eve\\x9b');
  });
});

describe('ledger verify with the anchor', () => {
  it('prints ok and anchored; names a cut-off end in one line per ledger', async () => {
    const anchor = memoryAnchor();
    const { file, lines } = await sampleLedger(dir, 'prod', { anchor });
    const ok = memorySink();
    await verifyLedgers({ ...commandContext({ cwd: dir, output: ok }), ledgerDir: dir, anchor });
    expect(ok.stdout.replace(/sha256:[0-9a-f]{64}/, 'H')).toBe('ok prod.jsonl: 8 entries, head H, anchored\n');
    await writeFile(file, `${lines.slice(0, 6).join('\n')}\n`);
    const error = (await verifyLedgers({ ...commandContext({ cwd: dir }), ledgerDir: dir, anchor }).catch((e: unknown) => e)) as CheckFailed;
    expect(error.problems).toEqual([`prod.jsonl: 2 entries cut off the end: the ledger ends at seq 6, but the anchor of stack prod records seq 8 (${anchor.heads.get('prod')!.hash})`]);
  });
});
