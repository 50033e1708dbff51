// `slipway history --stack NAME [--json] [--limit N]`: a stack's deployments from its ledger, newest
// first, with what serves production now, since when and who approved it.
import { InvalidArgumentError, type Command } from 'commander';
import { existsSync } from 'node:fs';
import { listStacks, stackFile } from '../../../stacks/load';
import { stackName } from '../args';
import { UserError } from '../errors';
import { currentLive, deployments, pendingApprovals, type DeploymentSummary, type LiveRelease, type PendingApproval } from '../../ledger/derive';
import { printable, printableJson } from '../../ledger/events';
import { checkLedgerDir, defaultLedgerDir, Ledger } from '../../ledger/store';
import { displayPath, ledgerDirSource } from './ledger';
import type { CommandContext } from '../output';

export interface HistoryOptions extends CommandContext {
  stack: string;
  /** Print one JSON document `{stack, live, deployments}` instead of a table. */
  json?: boolean;
  /** Show at most this many deployments (the newest). */
  limit?: number;
  /** Ledger directory (default: `$SLIPWAY_LEDGER_DIR` or `.slipway/ledger` under cwd). */
  ledgerDir?: string;
}

export interface HistoryResult {
  stack: string;
  live?: LiveRelease;
  /** Deployments waiting at a gate, oldest first. */
  pending: PendingApproval[];
  /** Newest first, at most `limit`. */
  deployments: DeploymentSummary[];
}

export async function history(opts: HistoryOptions): Promise<HistoryResult> {
  if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit >= 1)) {
    throw new UserError(`--limit: ${opts.limit} is not a whole number of 1 or more`);
  }
  const dir = opts.ledgerDir ?? defaultLedgerDir(opts.cwd, opts.env);
  await checkLedgerDir(dir, displayPath(opts.cwd, dir), ledgerDirSource(opts));
  const ledger = new Ledger(dir);
  stackName(opts.stack); // before the name becomes part of a path
  const file = ledger.file(opts.stack);
  if (!existsSync(file) && !existsSync(stackFile(opts.stack, opts.cwd))) {
    throw new UserError(`--stack: "${opts.stack}" has no stack file and no ledger (stacks: ${listStacks(opts.cwd).join(', ') || 'none'})`);
  }
  // A malformed entry (well chained, wrong-typed data) stops here with one line naming it.
  const entries = await ledger.read(opts.stack);
  const all = deployments(entries).reverse();
  const result: HistoryResult = {
    stack: opts.stack,
    live: currentLive(entries),
    pending: pendingApprovals(entries),
    deployments: opts.limit === undefined ? all : all.slice(0, opts.limit),
  };

  if (opts.json) {
    opts.output.out(printableJson({ ...result, live: result.live ?? null }, 2));
  } else if (all.length === 0) {
    opts.output.out(`no deployments recorded for stack ${opts.stack} (${displayPath(opts.cwd, file)})`);
  } else {
    opts.output.out(renderHistory(result, all.length).join('\n'));
  }
  return result;
}

export function registerHistory(program: Command, ctx: CommandContext): void {
  program
    .command('history')
    .description("a stack's deployments from its ledger, newest first, and what serves production now")
    .requiredOption('-s, --stack <name>', 'stack whose ledger to read')
    .option('--json', 'print one JSON document: {stack, live, deployments: [...]}')
    .option('-n, --limit <count>', 'show only the newest <count> deployments', parseLimit)
    .action(async (flags: { stack: string; json?: boolean; limit?: number }) => {
      await history({ ...ctx, stack: flags.stack, json: flags.json === true, limit: flags.limit });
    });
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError(`"${value}" is not a whole number of 1 or more`);
  return n;
}

const COLUMNS = ['ID', 'WHEN (UTC)', 'VERSION', 'DIGEST', 'STATUS', 'ACTOR', 'APPROVED BY'] as const;

/** The human form: what is live, then one row per deployment. Text from the ledger is `printable`. */
export function renderHistory(result: HistoryResult, total: number): string[] {
  return renderRaw(result, total).map(printable);
}

function renderRaw(result: HistoryResult, total: number): string[] {
  const lines: string[] = [];
  const live = result.live;
  if (live) {
    const d = live.deployment;
    const approved = live.approvedBy.length > 0 ? `approved by ${live.approvedBy.join(', ')}` : 'no approval required';
    lines.push(`live on ${result.stack}: ${d.version || '?'} (${shortDigest(d.digest)}) in slot ${d.slot ?? '?'} since ${when(live.since)}, deployment ${d.id}, ${approved}`);
  } else {
    lines.push(`live on ${result.stack}: nothing recorded`);
  }
  for (const p of result.pending) {
    lines.push(`awaiting approval: ${p.deployment.version || '?'} (${shortDigest(p.deployment.digest)}), deployment ${p.deployment.id}, since ${when(p.since)}, approvers ${p.approvers.join(', ') || 'none'}`);
  }
  const shown = result.deployments.length;
  lines.push(shown < total ? `newest ${shown} of ${total} deployments:` : `${total} deployment${total === 1 ? '' : 's'}, newest first:`, '');
  // Cells escaped before the widths are measured, so the columns line up as shown.
  const rows = result.deployments.map((d) =>
    [
      d.id,
      when(d.startedAt),
      d.version || '?',
      shortDigest(d.digest),
      statusText(d),
      d.actor || '?',
      d.approvals.map((a) => a.by).join(', ') || '-',
    ].map(printable),
  );
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  lines.push(format(COLUMNS), ...rows.map(format));
  return lines;
}

/** `sha256:0123…` → `0123456789ab`, enough to tell artifacts apart in a table. */
export function shortDigest(digest: string): string {
  const hex = digest.replace(/^sha256:/, '');
  return hex ? hex.slice(0, 12) : '?';
}

function when(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function statusText(d: DeploymentSummary): string {
  if (d.kind === 'recovery' || d.kind === 'drill') {
    const what = d.kind === 'drill' ? `drill of ${d.slot ?? '?'}` : 'rebuild';
    return d.recovery ? `${what} ${d.recovery.mode} in ${(d.recovery.ms / 1000).toFixed(1)} s` : `${what} ${d.status}`;
  }
  if (d.kind !== 'rollback') return d.status;
  return d.status === 'rolled-back' ? `rollback to ${d.slot ?? '?'}` : `rollback ${d.status}`;
}
