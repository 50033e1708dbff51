// `slipway approve|reject --stack S --id ID --by NAME`: a person's decision at a deployment's gate.
import type { Command } from 'commander';
import { approve, reject, type DeployOutcome } from '../../release/deploy';
import type { CommandContext } from '../output';
import { deployContext, interruptSignal, type PipelineOverrides } from '../../release/context';
import { existingStack } from '../args';
import { UsageError } from '../errors';

export interface DecisionOptions extends CommandContext, PipelineOverrides {
  stack: string;
  id: string;
  by: string;
  comment?: string;
  json?: boolean;
}

function checkArgs(opts: DecisionOptions): void {
  if (!opts.by.trim()) throw new UsageError('--by: must name the person deciding');
  existingStack(opts.stack, opts.cwd);
}

export async function approveCommand(opts: DecisionOptions): Promise<DeployOutcome> {
  checkArgs(opts);
  const out = await approve(deployContext(opts, { actor: opts.by, json: opts.json }, opts), opts.stack, opts.id, opts.by, opts.comment);
  opts.output.out(opts.json ? JSON.stringify(out, null, 2) : `${out.artifact.version} is live on ${out.stack} (slot ${out.slot}), approved by ${opts.by} — deployment ${out.deploymentId}`);
  return out;
}

export async function rejectCommand(opts: DecisionOptions): Promise<void> {
  checkArgs(opts);
  await reject(deployContext(opts, { actor: opts.by, json: opts.json }, opts), opts.stack, opts.id, opts.by, opts.comment);
  opts.output.out(`deployment ${opts.id} on ${opts.stack} rejected by ${opts.by}; production unchanged, the idle slot keeps the release for inspection`);
}

export function registerApprove(program: Command, ctx: CommandContext): void {
  for (const [name, desc, fn] of [
    ['approve', 'let a deployment waiting at its gate through: switch traffic, verify, or roll back', approveCommand],
    ['reject', 'end a deployment at its gate; production stays as it is', rejectCommand],
  ] as const) {
    program
      .command(name)
      .description(desc)
      .requiredOption('-s, --stack <name>', 'stack the deployment targets')
      .requiredOption('--id <deployment>', 'deployment id (from deploy or `slipway status`)')
      .requiredOption('--by <name>', 'who decides (must be in slipway:promotion.approvers to approve)')
      .option('-m, --comment <text>', 'recorded in the ledger with the decision')
      .option('--json', 'JSON output')
      .action(async (f: { stack: string; id: string; by: string; comment?: string; json?: boolean }) => {
        await fn({ ...ctx, ...f, signal: interruptSignal() });
      });
  }
}
