// `slipway status [--stack S] [--json]`: per stack, the live slot, what each slot runs, the URLs, the
// last deployment and pending approvals. Reads the stack files and ledgers; asks the engine for URLs
// only where the Pulumi CLI is already installed (status never installs anything).
import type { Command } from 'commander';
import { listStacks, loadStackFile } from '../../../stacks/load';
import type { Slot } from '../../../stacks/schema';
import { SLOTS } from '../../../stacks/schema';
import { existingStack } from '../args';
import { UserError } from '../errors';
import { currentLive, deployments, pendingApprovals, type DeploymentSummary } from '../../ledger/derive';
import { printable, printableJson } from '../../ledger/events';
import { checkLedgerDir, defaultLedgerDir, Ledger } from '../../ledger/store';
import { displayPath, ledgerDirSource } from './ledger';
import type { EnginePort } from '../../engine/port';
import type { CommandContext } from '../output';
import { createPulumiEngine, findPulumiCli } from '../../engine/automation';
import { knownUrls } from '../../release/urls';

export interface StackStatus {
  stack: string;
  target: string;
  live: Slot;
  slots: Record<Slot, { version: string | null; artifact: string | null }>;
  publicUrl: string | null;
  testUrl: string | null;
  liveSince: string | null;
  approvedBy: string[];
  lastDeployment: Pick<DeploymentSummary, 'id' | 'status' | 'version' | 'actor' | 'startedAt'> | null;
  /** The last `slipway rebuild` or `drill`, with its measured recovery time (null when none passed). */
  lastRecovery?: { id: string; kind: string; status: string; mode: string | null; ms: number | null; startedAt: string } | null;
  pendingApprovals: { id: string; version: string; since: string; approvers: string[] }[];
}

export interface StatusOptions extends CommandContext {
  stack?: string;
  json?: boolean;
  /** Engine to read URLs from; default: the Pulumi CLI if installed, else none. */
  engine?: EnginePort | null;
}

export async function statusCommand(opts: StatusOptions): Promise<StackStatus[]> {
  const stacks = opts.stack ? [existingStack(opts.stack, opts.cwd)] : listStacks(opts.cwd);
  const engine = opts.engine === undefined ? await installedEngine(opts) : opts.engine;
  const ledgerDir = defaultLedgerDir(opts.cwd, opts.env);
  await checkLedgerDir(ledgerDir, displayPath(opts.cwd, ledgerDir), ledgerDirSource(opts));
  const ledger = new Ledger(ledgerDir);
  const result: StackStatus[] = [];
  for (const stack of stacks) {
    const loaded = loadStackFile(stack, opts.cwd);
    if (!loaded.ok) throw new UserError(loaded.errors);
    const c = loaded.config;
    const entries = await ledger.read(stack);
    const all = deployments(entries);
    const last = all.filter((d) => d.kind === 'deploy' || d.kind === 'rollback').at(-1);
    const recovery = all.filter((d) => d.kind === 'recovery' || d.kind === 'drill').at(-1);
    const live = currentLive(entries);
    let urls = knownUrls(c);
    if (c.target === 'aws' && engine) {
      const out = await (await engine.selectStack(stack)).outputs().catch(() => ({}) as Record<string, unknown>);
      urls = { publicUrl: (out.publicUrl as string) ?? null, testUrl: (out.testUrl as string) ?? null };
    }
    result.push({
      stack,
      target: c.target,
      live: c.release.live,
      slots: Object.fromEntries(SLOTS.map((s) => [s, { version: c.release[s].version ?? null, artifact: c.release[s].image ?? null }])) as StackStatus['slots'],
      ...urls,
      liveSince: live?.since ?? null,
      approvedBy: live?.approvedBy ?? [],
      lastDeployment: last ? { id: last.id, status: last.status, version: last.version, actor: last.actor, startedAt: last.startedAt } : null,
      lastRecovery: recovery
        ? { id: recovery.id, kind: recovery.kind, status: recovery.status, mode: recovery.recovery?.mode ?? null, ms: recovery.recovery?.ms ?? null, startedAt: recovery.startedAt }
        : null,
      pendingApprovals: pendingApprovals(entries).map((p) => ({ id: p.deployment.id, version: p.deployment.version, since: p.since, approvers: p.approvers })),
    });
  }
  if (opts.json) opts.output.out(printableJson(opts.stack ? result[0] : result, 2));
  else opts.output.out(result.map(renderStatus).join('\n\n'));
  return result;
}

export function renderStatus(s: StackStatus): string {
  const lines = [`${s.stack} (${s.target}) — live: ${s.live}${s.liveSince ? ` since ${s.liveSince}` : ''}${s.approvedBy.length ? `, approved by ${s.approvedBy.join(', ')}` : ''}`];
  for (const slot of SLOTS) {
    const r = s.slots[slot];
    lines.push(`  ${slot === s.live ? '●' : '○'} ${slot.padEnd(5)} ${r.version ?? '(empty)'}${r.artifact ? `  ${r.artifact}` : ''}`);
  }
  lines.push(`  public: ${s.publicUrl ?? 'unknown (needs the Pulumi CLI and a deployed stack)'}`);
  lines.push(`  test:   ${s.testUrl ?? 'unknown'}`);
  if (s.lastDeployment) {
    const d = s.lastDeployment;
    lines.push(`  last deployment: ${d.id} ${d.version} ${d.status} by ${d.actor} at ${d.startedAt}`);
  }
  if (s.lastRecovery) {
    const r = s.lastRecovery;
    const how = r.ms === null ? r.status : `${r.mode}, recovered in ${(r.ms / 1000).toFixed(1)} s`;
    lines.push(`  last ${r.kind === 'drill' ? 'drill' : 'rebuild'}: ${r.id} ${how} at ${r.startedAt}`);
  }
  for (const p of s.pendingApprovals) lines.push(`  awaiting approval: ${p.id} ${p.version} (approvers: ${p.approvers.join(', ')})`);
  // Versions, actors and reasons come from the ledger and stack files: no escape codes reach the terminal.
  return lines.map(printable).join('\n');
}

async function installedEngine(opts: StatusOptions): Promise<EnginePort | null> {
  const cli = await findPulumiCli(opts.cwd);
  if (!cli) return null;
  return createPulumiEngine({ root: opts.cwd, env: opts.env as NodeJS.ProcessEnv, resolveCli: async () => cli, targetOf: () => 'aws' });
}

export function registerStatus(program: Command, ctx: CommandContext): void {
  program
    .command('status')
    .description('live slot, version in each slot, URLs, last deployment and pending approvals')
    .option('-s, --stack <name>', 'one stack (default: all)')
    .option('--json', 'JSON output')
    .action(async (f: { stack?: string; json?: boolean }) => {
      await statusCommand({ ...ctx, ...f });
    });
}
