// `slipway ledger verify [--stack NAME]`: checks that each ledger is intact — every line well formed,
// of its stack, its hash matching its content, chained to the line before. Exits 1 on any problem.
import type { Command } from 'commander';
import { isAbsolute, relative } from 'node:path';
import { CheckFailed } from '../errors';
import { defaultLedgerDir, Ledger, ledgerStacks, type VerifyResult } from '../../ledger/ledger';
import type { CommandContext } from '../output';

export interface VerifyLedgerOptions extends CommandContext {
  /** One stack to check; every stack with a ledger file when absent. */
  stack?: string;
  /** Ledger directory (default: `$SLIPWAY_LEDGER_DIR` or `.slipway/ledger` under cwd). */
  ledgerDir?: string;
}

/**
 * Prints `ok <file>: N entries, head <hash>` per intact ledger. Throws a CheckFailed carrying every
 * problem of every ledger, one line each, prefixed with its file.
 */
export async function verifyLedgers(opts: VerifyLedgerOptions): Promise<Record<string, VerifyResult>> {
  const dir = opts.ledgerDir ?? defaultLedgerDir(opts.cwd, opts.env);
  const ledger = new Ledger(dir);
  const shown = (path: string) => displayPath(opts.cwd, path);
  const stacks = opts.stack !== undefined ? [opts.stack] : await ledgerStacks(dir);
  if (stacks.length === 0) {
    opts.output.out(`no ledgers in ${shown(dir)} (nothing deployed yet)`);
    return {};
  }
  const results: Record<string, VerifyResult> = {};
  const problems: string[] = [];
  for (const stack of stacks) {
    const file = shown(ledger.file(stack));
    const result = await ledger.verify(stack);
    results[stack] = result;
    if (result.ok && result.entries === 0) opts.output.out(`no ledger for ${stack} (${file})`);
    else if (result.ok) opts.output.out(`ok ${file}: ${result.entries} entries, head ${result.head}`);
    else problems.push(...result.problems.map((p) => `${file}: ${p.reason}`));
  }
  if (problems.length > 0) throw new CheckFailed(problems);
  return results;
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
    .description('check that ledgers are intact (no edited, removed, reordered or half-written entries)')
    .option('-s, --stack <name>', 'check only this stack (default: every stack with a ledger)')
    .action(async (flags: { stack?: string }) => {
      await verifyLedgers({ ...ctx, stack: flags.stack });
    });
}
