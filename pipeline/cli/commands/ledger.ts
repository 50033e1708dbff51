// `slipway ledger verify [--stack NAME] [--no-anchor]`: checks that each ledger is intact — every line
// well formed, of its stack, its hash matching its content, chained to the line before — and that it
// still reaches the head anchored in the stack's backend (so a cut-off end or a rewrite from an edit
// on is caught). Exits 1 on any problem.
import type { Command } from 'commander';
import { isAbsolute, relative } from 'node:path';
import { CheckFailed, firstLine, UserError } from '../errors';
import { ANCHOR_TAG, type LedgerAnchor } from '../../ledger/anchor';
import type { VerifyResult } from '../../ledger/chain';
import { checkLedgerDir, defaultLedgerDir, Ledger, ledgerStacks } from '../../ledger/store';
import type { CommandContext } from '../output';

export interface VerifyLedgerOptions extends CommandContext {
  /** One stack to check; every stack with a ledger file when absent. */
  stack?: string;
  /** Ledger directory (default: `$SLIPWAY_LEDGER_DIR` or `.slipway/ledger` under cwd). */
  ledgerDir?: string;
  /** Where the heads are anchored; absent: the chain alone is checked. */
  anchor?: LedgerAnchor;
}

/**
 * Prints `ok <file>: N entries, head <hash>[, anchored]` per intact ledger. Throws a CheckFailed
 * carrying every problem of every ledger, one line each, prefixed with its file.
 */
export async function verifyLedgers(opts: VerifyLedgerOptions): Promise<Record<string, VerifyResult>> {
  const dir = opts.ledgerDir ?? defaultLedgerDir(opts.cwd, opts.env);
  const shown = (path: string) => displayPath(opts.cwd, path);
  await checkLedgerDir(dir, shown(dir), ledgerDirSource(opts));
  const ledger = new Ledger(dir, opts.anchor ? { anchor: opts.anchor } : {});
  const stacks = opts.stack !== undefined ? [opts.stack] : await ledgerStacks(dir);
  if (stacks.length === 0) {
    opts.output.out(`no ledgers in ${shown(dir)} (nothing deployed yet)`);
    return {};
  }
  const results: Record<string, VerifyResult> = {};
  const problems: string[] = [];
  for (const stack of stacks) {
    const file = shown(ledger.file(stack));
    let result: VerifyResult;
    try {
      result = await ledger.verify(stack);
    } catch (e) {
      if (!opts.anchor) throw e;
      problems.push(`${file}: the anchor in ${opts.anchor.where(stack)} could not be read: ${firstLine(e)}`);
      continue;
    }
    results[stack] = result;
    if (result.ok && result.entries === 0) opts.output.out(`no ledger for ${stack} (${file})`);
    else if (result.ok) opts.output.out(`ok ${file}: ${result.entries} entries, head ${result.head}${anchorNote(result)}`);
    else problems.push(...result.problems.map((p) => `${file}: ${p.reason}`));
  }
  if (problems.length > 0) throw new CheckFailed(problems);
  return results;
}

function anchorNote(r: VerifyResult): string {
  if (r.anchor === undefined) return '';
  if (!r.unanchored) return ', anchored';
  return `, anchored at seq ${r.anchor?.seq} (the last ${r.unanchored} entr${r.unanchored === 1 ? 'y is' : 'ies are'} not anchored yet: a run that ended before its last event)`;
}

/** `$SLIPWAY_LEDGER_DIR` when the ledger folder was given explicitly, for messages; else undefined. */
export function ledgerDirSource(opts: { ledgerDir?: string; env: CommandContext['env'] }): string | undefined {
  if (opts.ledgerDir !== undefined) return 'ledger folder';
  return opts.env.SLIPWAY_LEDGER_DIR ? '$SLIPWAY_LEDGER_DIR' : undefined;
}

/**
 * The anchors in the stacks' Pulumi backends, through an installed CLI (verify never installs one).
 * Nothing is loaded or looked for until a ledger is there to check.
 */
export function backendAnchor(ctx: CommandContext): LedgerAnchor {
  let made: Promise<LedgerAnchor> | undefined;
  const anchor = () => (made ??= engineAnchor(ctx));
  return {
    where: (stack) => `stack tag ${ANCHOR_TAG} of stack ${stack}`,
    read: async (stack) => (await anchor()).read(stack),
    write: async (stack, head) => (await anchor()).write(stack, head),
  };
}

async function engineAnchor(ctx: CommandContext): Promise<LedgerAnchor> {
  const [{ createPulumiEngine, findPulumiCli }, { loadStackFile }, { stackTagAnchor }] = await Promise.all([
    import('../../engine/automation'),
    import('../../../stacks/load'),
    import('../../ledger/anchor'),
  ]);
  const cli = await findPulumiCli(ctx.cwd);
  if (!cli) throw new UserError('no Pulumi CLI is installed to read it (see README "Prerequisites"); --no-anchor checks the chain alone');
  const engine = createPulumiEngine({
    root: ctx.cwd,
    env: ctx.env as NodeJS.ProcessEnv,
    resolveCli: async () => cli,
    targetOf: (stack) => {
      const v = loadStackFile(stack, ctx.cwd);
      return v.ok ? v.config.target : undefined;
    },
  });
  return stackTagAnchor(engine);
}

/** A path relative to the project when it is inside it, absolute otherwise. */
export function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

export function registerLedger(program: Command, ctx: CommandContext): void {
  const ledger = program.command('ledger').description('the deployment ledger: append-only, hash-chained history per stack');
  ledger
    .command('verify')
    .description('check that ledgers are intact (no edited, removed, reordered or half-written entries, nothing cut off the end)')
    .option('-s, --stack <name>', 'check only this stack (default: every stack with a ledger)')
    .option('--no-anchor', 'check the hash chain alone, not the head anchored in the stack\'s Pulumi backend')
    .action(async (flags: { stack?: string; anchor: boolean }) => {
      await verifyLedgers({ ...ctx, stack: flags.stack, ...(flags.anchor ? { anchor: backendAnchor(ctx) } : {}) });
    });
}
