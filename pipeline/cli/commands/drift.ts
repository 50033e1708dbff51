// `slipway drift [--stack S]… [--json]`: resources changed outside Pulumi, found by a refresh in
// preview mode (the stack's state is not written). Exit 0: none; exit 2: drift.
import type { Command } from 'commander';
import { listStacks } from '../../../stacks/load';
import { pulumiEngineFor } from '../../release/context';
import { detectDrift, renderDrift, type IgnoredChanges, type StackDrift } from '../../review/drift';
import { recordCheck } from '../../review/lastChecks';
import { planStack } from '../../review/plan';
import type { EnginePort } from '../../engine/port';
import { maskSecrets } from '../../review/values';
import { DriftDetected, UserError } from '../errors';
import type { CommandContext } from '../output';

export interface DriftCommandOptions extends CommandContext {
  /** Stacks to check (default: every stack file). */
  stacks?: readonly string[];
  json?: boolean;
  /** Default: the Pulumi engine for this project. */
  engine?: EnginePort;
  signal?: AbortSignal;
}

/** Prints the report; throws DriftDetected (exit 2) after it when any stack drifted. */
export async function driftCommand(opts: DriftCommandOptions): Promise<StackDrift[]> {
  const known = listStacks(opts.cwd);
  const stacks = opts.stacks && opts.stacks.length > 0 ? [...new Set(opts.stacks)] : known;
  const unknown = stacks.filter((s) => !known.includes(s));
  if (unknown.length > 0) {
    throw new UserError(unknown.map((s) => `--stack: "${s}" has no stack file (stacks: ${known.join(', ') || 'none'})`));
  }
  if (stacks.length === 0) throw new UserError('drift: no stack files in stacks/');
  const engine = opts.engine ?? pulumiEngineFor(opts);
  const report = await detectDrift(engine, stacks, { ...(opts.signal ? { signal: opts.signal } : {}), ignoredOf: (stack) => ignoredChangesOf(stack, opts.cwd) });
  // The engine's states carry secrets as envelopes or `[secret]`; none is printed, in JSON either.
  opts.output.out(opts.json ? JSON.stringify(maskSecrets(report), null, 2) : renderDrift(report).join('\n'));
  const at = new Date().toISOString();
  for (const s of report) {
    const n = s.drifted.length;
    recordCheck(opts.cwd, s.stack, 'drift', { at, clean: n === 0, summary: n === 0 ? 'no drift' : `${n} resource${n === 1 ? '' : 's'} changed outside Pulumi` });
  }
  const drifted = report.filter((s) => s.drifted.length > 0);
  if (drifted.length > 0) {
    const n = drifted.reduce((sum, s) => sum + s.drifted.length, 0);
    throw new DriftDetected(
      `drift: ${n} resource${n === 1 ? '' : 's'} changed outside Pulumi in ${drifted.map((s) => s.stack).join(', ')} ` +
        '(`pulumi refresh` takes the real state into the stack; `pulumi up` puts the code\'s back)',
    );
  }
  return report;
}

/**
 * What the program leaves to something else in `stack`, read from its offline plan of the stack file
 * (the configuration the stack was deployed with). A stack that does not plan ignores nothing: drift
 * then shows those inputs too, which errs on the side of telling.
 */
export async function ignoredChangesOf(stack: string, cwd: string): Promise<IgnoredChanges> {
  const planned = await planStack(stack, { root: cwd }).catch(() => undefined);
  if (!planned?.ok) return new Map();
  return new Map(planned.plan.resources.filter((r) => r.ignoreChanges?.length).map((r) => [`${r.type}::${r.name}`, r.ignoreChanges!]));
}

/** `engine` replaces the Pulumi engine (tests drive the command line against a double). */
export function registerDrift(program: Command, ctx: CommandContext, engine?: EnginePort): void {
  program
    .command('drift')
    .description('find resources changed outside Pulumi (refresh in preview mode; exit 2 when there are any)')
    .option('-s, --stack <name>', 'stack to check; repeat for several (default: every stack file)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--json', 'print one JSON document: [{stack, drifted: [{urn, type, name, op, kind, properties: [{path, kind}]}]}]')
    .action(async (flags: { stack: string[]; json?: boolean }) => {
      await driftCommand({ ...ctx, stacks: flags.stack, json: flags.json === true, ...(engine ? { engine } : {}) });
    });
}
