// `slipway rollback --stack S`: switch traffic back to the warm slot. No rebuild, no redeploy.
import type { Command } from 'commander';
import { rollback } from '../../release/rollback';
import { existingStack } from '../args';
import type { CommandContext } from '../output';
import { deployContext, type PipelineFlags, type PipelineOverrides } from '../../release/context';

export interface RollbackOptions extends CommandContext, PipelineFlags, PipelineOverrides {
  stack: string;
}

export async function rollbackCommand(opts: RollbackOptions) {
  existingStack(opts.stack, opts.cwd);
  const r = await rollback(deployContext(opts, opts, opts), opts.stack);
  opts.output.out(opts.json ? JSON.stringify({ stack: opts.stack, ...r }, null, 2) : `${opts.stack}: traffic back on ${r.to} (${r.version}); ${r.from} stays warm`);
  return r;
}

export function registerRollback(program: Command, ctx: CommandContext): void {
  program
    .command('rollback')
    .description('switch production traffic back to the other (warm) slot')
    .requiredOption('-s, --stack <name>', 'stack to roll back')
    .option('--actor <name>', 'who is rolling back')
    .option('--json', 'JSON output')
    .action(async (f: { stack: string; actor?: string; json?: boolean }) => {
      await rollbackCommand({ ...ctx, ...f });
    });
}
