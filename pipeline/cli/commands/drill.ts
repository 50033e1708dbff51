// `slipway drill --stack S`: rebuild the idle slot from nothing and smoke-test it through the test
// route; the live slot is never touched. See pipeline/recovery/drill.ts.
import type { Command } from 'commander';
import { existingStack } from '../args';
import type { CommandContext } from '../output';
import { deployContext, interruptSignal, type PipelineFlags, type PipelineOverrides } from '../../release/context';
import { drill, type DrillOutcome } from '../../recovery/drill';
import type { RecoveryContext } from '../../recovery/rebuild';

export interface DrillCommandOptions extends CommandContext, PipelineFlags, PipelineOverrides {
  stack: string;
  artifacts?: RecoveryContext['artifacts'];
  startedAt?: Date;
}

export async function drillCommand(opts: DrillCommandOptions): Promise<DrillOutcome> {
  const startedAt = opts.startedAt ?? new Date(performance.timeOrigin);
  existingStack(opts.stack, opts.cwd);
  const ctx: RecoveryContext = { ...deployContext(opts, opts, opts), ...(opts.artifacts ? { artifacts: opts.artifacts } : {}) };
  const out = await drill(ctx, opts.stack, { startedAt });
  if (opts.json) opts.output.out(JSON.stringify(out, null, 2));
  else opts.output.out(`${opts.stack}: drill passed: idle slot ${out.slot} (${out.version}) rebuilt from nothing and answering at ${out.testUrl} in ${(out.recoveryMs / 1000).toFixed(1)} s; the live slot was not touched — ${out.id}`);
  return out;
}

export function registerDrill(program: Command, ctx: CommandContext): void {
  program
    .command('drill')
    .description('rebuild the idle slot from nothing and smoke-test it via the test route; the live slot is never touched')
    .requiredOption('-s, --stack <name>', 'stack to drill (slipway:promotion.drill must not be false)')
    .option('--actor <name>', 'who is drilling (default $SLIPWAY_ACTOR, $GITHUB_ACTOR or the OS user)')
    .option('--json', 'print the outcome as JSON on stdout and progress as JSON lines on stderr')
    .action(async (f: { stack: string; actor?: string; json?: boolean }) => {
      await drillCommand({ ...ctx, ...f, signal: interruptSignal() });
    });
}
