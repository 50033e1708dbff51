// `slipway rebuild --stack S [--into NEW --set key=value…]`: an environment back from its stack file and
// its artifacts, with the recovery time measured and recorded. See pipeline/recovery/rebuild.ts.
import type { Command } from 'commander';
import { relative } from 'node:path';
import { loadStackFile } from '../../../stacks/load';
import { existingStack, stackName } from '../args';
import { UsageError, UserError } from '../errors';
import type { CommandContext } from '../output';
import { deployContext, interruptSignal, pulumiEngineFor, type PipelineFlags, type PipelineOverrides } from '../../release/context';
import { planInto, writeInto } from '../../recovery/into';
import { preflight, rebuild, type RebuildOutcome, type RecoveryContext } from '../../recovery/rebuild';

export interface RebuildCommandOptions extends CommandContext, PipelineFlags, PipelineOverrides {
  stack: string;
  /** Rebuild into this new stack instead, its stack file created from the source's. */
  into?: string;
  /** `key=value` overrides of declared knobs for `--into`. */
  set?: string[];
  artifacts?: RecoveryContext['artifacts'];
  /** When the command started (default: when this process started). */
  startedAt?: Date;
}

export async function rebuildCommand(opts: RebuildCommandOptions): Promise<RebuildOutcome> {
  const startedAt = opts.startedAt ?? new Date(performance.timeOrigin);
  existingStack(opts.stack, opts.cwd);
  if (opts.into !== undefined) stackName(opts.into, '--into');
  if ((opts.set?.length ?? 0) > 0 && opts.into === undefined) {
    throw new UsageError('--set: only with --into NEW (to change a stack itself, edit its stack file)');
  }
  const loaded = loadStackFile(opts.stack, opts.cwd);
  if (!loaded.ok) throw new UserError(loaded.errors);
  // Everything about --into checked before the new stack file is written or a stack created.
  const into = opts.into === undefined ? undefined : planInto(opts.cwd, opts.stack, loaded.config, opts.into, opts.set ?? []);
  // The engine learns each stack's target (its backend) from its stack file; the new one has none yet.
  const engine = opts.engine ?? (into ? pulumiEngineFor(opts, (s) => (s === into.stack ? into.config.target : undefined)) : undefined);
  const ctx: RecoveryContext = { ...deployContext(opts, opts, { ...opts, ...(engine ? { engine } : {}) }), ...(opts.artifacts ? { artifacts: opts.artifacts } : {}) };

  let stack = opts.stack;
  let config = loaded.config;
  if (into) {
    if (await ctx.engine.findStack(into.stack)) {
      throw new UserError(`--into: stack ${into.stack} already exists in its backend; rebuild into a new stack name`);
    }
    await preflight(ctx, into.stack, into.config);
    writeInto(into);
    ctx.progress.info(`wrote ${relative(opts.cwd, into.file)} from stacks/Pulumi.${opts.stack}.yaml`);
    stack = into.stack;
    config = into.config;
  }
  const out = await rebuild(ctx, stack, { config, startedAt, ...(opts.into !== undefined ? { source: opts.stack } : {}) });
  if (opts.json) opts.output.out(JSON.stringify(out, null, 2));
  else {
    const routes = out.checks.map((c) => `${c.route} ${c.url} → ${c.slot} ${c.version}`).join(', ');
    opts.output.out(`${stack} rebuilt (${out.mode}) in ${(out.recoveryMs / 1000).toFixed(1)} s to the public URL passing its smoke checks: ${routes} — ${out.id}`);
  }
  return out;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerRebuild(program: Command, ctx: CommandContext): void {
  program
    .command('rebuild')
    .description('bring an environment back from its stack file and artifacts (state lost, or resources deleted), no switch; smoke-test both routes; record the recovery time')
    .requiredOption('-s, --stack <name>', 'stack to rebuild (stacks/Pulumi.<name>.yaml)')
    .option('--into <stack>', 'rebuild into a new stack, its stack file created from the source\'s')
    .option('--set <key=value>', 'with --into: override a declared knob, e.g. slipway:ports.public=8090 (repeatable)', collect)
    .option('--actor <name>', 'who is rebuilding (default $SLIPWAY_ACTOR, $GITHUB_ACTOR or the OS user)')
    .option('--json', 'print the outcome as JSON on stdout and progress as JSON lines on stderr')
    .action(async (f: { stack: string; into?: string; set?: string[]; actor?: string; json?: boolean }) => {
      await rebuildCommand({ ...ctx, ...f, signal: interruptSignal() });
    });
}
