// `slipway preview` on bad and large input: each refused in one line naming the flag, before anything
// is written; unknown step operations reported; a 70,000-event log rendered in linear time.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../pipeline/cli/main';
import { MAX_FROM_BYTES, previewCommand, readInput, registerPreview } from '../pipeline/cli/commands/preview';
import { EXIT, UserError } from '../pipeline/cli/errors';
import { memorySink } from '../pipeline/cli/output';
import { ROOT } from './mocks';
import { EngineDouble } from './support/engineDouble';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'pulumi', 'events-preview-replacements.jsonl');

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'slipway-preview-input-'));
  mkdirSync(join(cwd, 'stacks'));
  writeFileSync(join(cwd, 'stacks', 'Pulumi.dev.yaml'), readFileSync(join(ROOT, 'stacks', 'Pulumi.dev.yaml')));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

async function slipway(args: string[]) {
  const output = memorySink();
  const code = await run(args, { cwd, output, env: {}, commands: [registerPreview] });
  return { code, stdout: output.stdout, stderr: output.stderr };
}

describe('slipway preview refuses bad paths in one line, writing nothing', () => {
  it.each([
    [['--from', 'logs'], '--from: logs: is a directory (expected a saved `pulumi preview --json` document or an engine event log)'],
    [['--from', 'nowhere/log.jsonl'], '--from: nowhere/log.jsonl: no such file'],
    [['--from', FIXTURE, '--markdown', 'logs'], '--markdown: logs: is a directory (expected a file to write the comment to)'],
    [['--from', FIXTURE, '--markdown', 'nowhere/comment.md'], '--markdown: nowhere/comment.md: no such directory nowhere (create it first)'],
    [['--from', 'logs', '--markdown', 'comment.md'], '--from: logs: is a directory (expected a saved `pulumi preview --json` document or an engine event log)'],
  ])('preview %j', async (args, line) => {
    mkdirSync(join(cwd, 'logs'));
    expect(await slipway(['preview', ...args])).toEqual({ code: EXIT.failure, stdout: '', stderr: `${line}\n` });
    expect(existsSync(join(cwd, 'comment.md'))).toBe(false);
    expect(existsSync(join(cwd, 'nowhere'))).toBe(false);
  });

  it('checks --markdown before running any preview', async () => {
    const engine = new EngineDouble();
    const err = await previewCommand({ cwd, output: memorySink(), env: {}, verbose: false, engine, markdown: 'nowhere/c.md' }).catch((e: unknown) => e);
    expect((err as UserError).problems).toEqual(['--markdown: nowhere/c.md: no such directory nowhere (create it first)']);
    expect(engine.selects).toBe(0);
  });

  it(`bounds what --from reads (${MAX_FROM_BYTES / (1 << 20)} MiB): a larger file is refused before it is read`, () => {
    writeFileSync(join(cwd, 'big.jsonl'), 'x'.repeat(101));
    expect(() => readInput(cwd, 'big.jsonl', 100)).toThrow(new UserError('--from: big.jsonl: larger than 100 bytes, the limit for a preview document or event log'));
    expect(readInput(cwd, 'big.jsonl', 101)).toHaveLength(101);
    expect(MAX_FROM_BYTES).toBe(256 * 1024 * 1024);
  });
});

describe('slipway preview on unusual logs', () => {
  const event = (sequence: number, op: string, name: string) =>
    JSON.stringify({ sequence, timestamp: 1, resourcePreEvent: { metadata: { op, urn: `urn:pulumi:dev::slipway::aws:s3/bucket:Bucket::${name}`, type: 'aws:s3/bucket:Bucket', provider: '' }, planning: true } });

  it('reports a step with an unknown operation in one line, and in the summary, instead of dropping it', async () => {
    writeFileSync(join(cwd, 'log.jsonl'), [event(1, 'create', 'a'), event(2, 'frobnicate', 'b'), event(3, 'same', 'c')].join('\n'));
    const r = await slipway(['preview', '--from', 'log.jsonl', '--json']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stderr).toBe('dev: unknown operation "frobnicate" on urn:pulumi:dev::slipway::aws:s3/bucket:Bucket::b: left out of the summary\n');
    const doc = JSON.parse(r.stdout) as { stacks: { diagnostics: unknown[]; changes: { name: string }[] }[] };
    expect(doc.stacks[0]!.changes.map((c) => c.name)).toEqual(['a']);
    expect(doc.stacks[0]!.diagnostics).toEqual([
      { severity: 'warning', message: 'unknown operation "frobnicate" on urn:pulumi:dev::slipway::aws:s3/bucket:Bucket::b: left out of the summary', resource: 'b' },
    ]);
  });

  it('renders a 70,000-event log (it used to take minutes: grouping copied lists per step)', async () => {
    const lines = Array.from({ length: 70_000 }, (_, i) => event(i + 1, i % 7 === 0 ? 'update' : 'create', `bucket-${i}`));
    writeFileSync(join(cwd, 'big.jsonl'), lines.join('\n'));
    const started = performance.now();
    const r = await slipway(['preview', '--from', 'big.jsonl', '--markdown', 'comment.md']);
    const seconds = (performance.now() - started) / 1000;
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toBe('dev: 60000 to create, 10000 to update\n');
    expect(readFileSync(join(cwd, 'comment.md'), 'utf8')).toContain('All 70000 changes in dev');
    // Reported, not asserted: timing depends on the machine.
    console.log(`70,000-event log rendered in ${seconds.toFixed(1)} s`);
  }, 120_000);
});
