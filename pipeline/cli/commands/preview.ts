// `slipway preview [--stack S]… [--markdown FILE] [--json]`: what a change would do to each stack, as one
// summary for a pull request. `--from FILE` renders a saved `pulumi preview --json` document or engine
// event log instead of running anything (for CI systems that already run Pulumi).
import type { Command } from 'commander';
import { closeSync, existsSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { listStacks, loadStackFile } from '../../../stacks/load';
import { pulumiEngineFor } from '../../release/context';
import type { EngineEvent, EnginePort } from '../../engine/port';
import { CheckFailed, SlipwayError, UserError } from '../errors';
import type { CommandContext } from '../output';
import {
  fromEngine,
  parsePreviewDocument,
  renderMarkdown,
  renderText,
  summarise,
  unknownStepMessage,
  unknownSteps,
  type PreviewSummary,
  type StackPreview,
} from '../../review/preview';

export interface PreviewOptions extends CommandContext {
  /** Stacks to preview; every stack file in stacks/ when empty. */
  stacks?: string[];
  /** Saved `pulumi preview --json` documents or event logs to render instead of running previews. */
  from?: string[];
  /** Write the Markdown comment here (relative to cwd). */
  markdown?: string;
  /** Print the structured summary as JSON on stdout. */
  json?: boolean;
  /** The engine to preview with; default: Pulumi through the Automation API. */
  engine?: EnginePort;
  signal?: AbortSignal;
}

/**
 * Previews (or reads) every stack, then writes the outputs. A stack whose preview fails is reported in
 * the summary with its error, the others still run; the command then fails (exit 1) after writing.
 */
export async function previewCommand(opts: PreviewOptions): Promise<PreviewSummary> {
  // Before anything runs: a comment that cannot be written is known now, not after the previews.
  if (opts.markdown !== undefined) checkWritable(opts.cwd, opts.markdown);
  const summary: PreviewSummary = { stacks: opts.from?.length ? fromFiles(opts) : await runPreviews(opts) };
  if (opts.markdown !== undefined) {
    const file = resolve(opts.cwd, opts.markdown);
    writeFileSync(file, renderMarkdown(summary));
    opts.output.err(`wrote ${opts.markdown}`);
  }
  if (opts.json) opts.output.out(JSON.stringify(summary, null, 2));
  else if (opts.markdown !== undefined) opts.output.out(renderText(summary).join('\n'));
  else opts.output.out(renderMarkdown(summary));
  const failed = summary.stacks.filter((s) => s.error !== undefined);
  if (failed.length > 0) {
    throw new CheckFailed(failed.map((s) => `preview of ${s.stack} failed: ${s.error!.split('\n')[0]}`));
  }
  return summary;
}

/** Stack names to preview: the given ones (each must have a stack file), else all. */
export function stacksToPreview(cwd: string, given: readonly string[] = []): string[] {
  const all = listStacks(cwd);
  if (given.length === 0) {
    if (all.length === 0) throw new UserError('stacks/: no stack files (expected stacks/Pulumi.<stack>.yaml)');
    return all;
  }
  const unknown = given.filter((s) => !all.includes(s));
  if (unknown.length > 0) {
    throw new UserError(unknown.map((s) => `--stack: "${s}" has no stack file (stacks: ${all.join(', ') || 'none'})`));
  }
  return [...new Set(given)];
}

async function runPreviews(opts: PreviewOptions): Promise<StackPreview[]> {
  const stacks = stacksToPreview(opts.cwd, opts.stacks);
  const engine = opts.engine ?? pulumiEngineFor(opts);
  const results: StackPreview[] = [];
  // One at a time: each preview runs the program and the CLI, and their output stays in order.
  for (const stack of stacks) {
    const loaded = loadStackFile(stack, opts.cwd);
    if (!loaded.ok) {
      results.push(summarise(stack, empty(), loaded.errors.join('\n')));
      opts.output.err(`${stack}: invalid stack file, not previewed`);
      continue;
    }
    opts.output.err(`previewing ${stack} …`);
    const events: EngineEvent[] = [];
    try {
      const handle = await engine.selectStack(stack);
      const result = await handle.preview({
        onEvent: (e) => {
          if (e.kind === 'diagnostic') events.push(e);
        },
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      results.push(summariseReporting(stack, fromEngine(result, events), opts));
    } catch (e) {
      results.push(summarise(stack, fromEngine({ changes: {}, steps: [] }, events), messageOf(e)));
    }
  }
  return results;
}

function fromFiles(opts: PreviewOptions): StackPreview[] {
  const files = opts.from ?? [];
  if ((opts.stacks?.length ?? 0) > 1 || (opts.stacks?.length === 1 && files.length > 1)) {
    throw new UserError('--stack: with --from, name at most one stack and only with a single --from file (otherwise names come from the files)');
  }
  return files.map((f) => {
    const parsed = parsePreviewDocument(readInput(opts.cwd, f), f === '-' ? 'stdin' : f);
    const stack = opts.stacks?.[0] ?? parsed.stack ?? basename(f).replace(/\.(jsonl?|ndjson|log)$/, '');
    return summariseReporting(stack, parsed, opts);
  });
}

/** Summarises, and says on stderr which steps it left out for an operation it does not know. */
function summariseReporting(stack: string, parsed: Parameters<typeof summarise>[1], opts: PreviewOptions): StackPreview {
  for (const s of unknownSteps(parsed)) opts.output.err(`${stack}: ${unknownStepMessage(s)}`);
  return summarise(stack, parsed);
}

/**
 * Largest `--from` input read (a file or stdin): 256 MiB. A 70,000-event log is about 20 MB; the bound
 * keeps a wrong file (a disk image, an endless pipe) from exhausting memory.
 */
export const MAX_FROM_BYTES = 256 * 1024 * 1024;

/** A `--from` input as text, or one line naming the flag and the file when it cannot be one. */
export function readInput(cwd: string, f: string, limit = MAX_FROM_BYTES): string {
  const size = limit % (1 << 20) === 0 ? `${limit / (1 << 20)} MiB` : `${limit} bytes`;
  const tooBig = `--from: ${f === '-' ? 'stdin' : f}: larger than ${size}, the limit for a preview document or event log`;
  if (f === '-') return readBounded(0, limit, tooBig);
  const path = resolve(cwd, f);
  if (!existsSync(path)) throw new UserError(`--from: ${f}: no such file`);
  const st = statSync(path);
  if (st.isDirectory()) throw new UserError(`--from: ${f}: is a directory (expected a saved \`pulumi preview --json\` document or an engine event log)`);
  if (st.isFile() && st.size > limit) throw new UserError(tooBig);
  const fd = openSync(path, 'r');
  try {
    return readBounded(fd, limit, tooBig);
  } finally {
    closeSync(fd);
  }
}

/** Reads a descriptor to its end, refusing to hold more than `limit` bytes (pipes have no size). */
function readBounded(fd: number, limit: number, tooBig: string): string {
  const chunks: Buffer[] = [];
  let total = 0;
  const chunk = Buffer.alloc(1 << 20);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, chunk, 0, chunk.length, null);
    } catch (e) {
      // A non-blocking stdin with nothing yet: try again.
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      throw e;
    }
    if (n === 0) break;
    total += n;
    if (total > limit) throw new UserError(tooBig);
    chunks.push(Buffer.from(chunk.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `--markdown FILE` must name a file in an existing directory; nothing is written otherwise. */
export function checkWritable(cwd: string, file: string): void {
  const path = resolve(cwd, file);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UserError(`--markdown: ${file}: is a directory (expected a file to write the comment to)`);
  const dir = dirname(path);
  if (!existsSync(dir)) throw new UserError(`--markdown: ${file}: no such directory ${dirname(file)} (create it first)`);
  if (!statSync(dir).isDirectory()) throw new UserError(`--markdown: ${file}: ${dirname(file)} is not a directory`);
}

/** Lines of a failed preview's error kept (its last ones). */
const MAX_ERROR_LINES = 19;

const empty = () => fromEngine({ changes: {}, steps: [] });

function messageOf(e: unknown): string {
  if (e instanceof SlipwayError) return e.problems.join('\n');
  const text = e instanceof Error ? e.message : String(e);
  // Automation API errors carry the whole CLI output; the end is where the cause is.
  const lines = text.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
  return lines.length > MAX_ERROR_LINES ? ['…', ...lines.slice(-MAX_ERROR_LINES)].join('\n') : lines.join('\n');
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerPreview(program: Command, ctx: CommandContext): void {
  program
    .command('preview')
    .description('preview what each stack would change and summarise it for a pull request (Markdown or JSON)')
    .option('-s, --stack <name>', 'stack to preview; repeat for more (default: every stack in stacks/)', collect)
    .option('--markdown <file>', 'write the pull-request comment (GitHub Markdown) to this file')
    .option('--json', 'print the summary as JSON: {stacks: [{stack, counts, changes, diagnostics, error}]}')
    .option('--from <file>', 'render a saved `pulumi preview --json` document or engine event log (- for stdin) instead of running previews; repeatable', collect)
    .action(async (f: { stack?: string[]; markdown?: string; json?: boolean; from?: string[] }) => {
      await previewCommand({ ...ctx, stacks: f.stack, markdown: f.markdown, json: f.json === true, from: f.from });
    });
}
