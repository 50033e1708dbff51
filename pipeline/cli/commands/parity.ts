// `slipway parity STACK_A STACK_B [--json]`: every difference between two stacks' offline plans, each
// attributed to the declared knob behind it; exit 1 when a difference comes from no knob (a component
// branching on the stack name, or application settings that differ).
import type { Command } from 'commander';
import { CheckFailed } from '../errors';
import type { CommandContext } from '../output';
import { parity, type ParityOptions, type ParityReport } from '../../review/parity';
import { renderParity } from '../../review/parityRender';
import { recordCheck } from '../../review/lastChecks';
import { maskSecrets } from '../../review/values';

export interface ParityCommandOptions extends CommandContext, Pick<ParityOptions, 'configs' | 'beforeProgram' | 'attribute'> {
  stackA: string;
  stackB: string;
  json?: boolean;
}

/** Prints the report; throws CheckFailed (exit 1) after it when a difference is undeclared. */
export async function parityCommand(opts: ParityCommandOptions): Promise<ParityReport> {
  const { stackA, stackB, json, cwd, output, configs, beforeProgram, attribute } = opts;
  const report = await parity(stackA, stackB, { root: cwd, configs, beforeProgram, attribute });
  output.out(json ? JSON.stringify(maskSecrets(report), null, 2) : renderParity(report).join('\n'));
  if (!configs) {
    // Of the stack files as they are: what the console shows as each stack's last parity check.
    const n = report.undeclared.length;
    const summary = n === 0 ? 'only declared knobs differ' : `${n} undeclared difference${n === 1 ? '' : 's'}`;
    const at = new Date().toISOString();
    recordCheck(cwd, stackA, 'parity', { at, clean: report.ok, summary, against: stackB });
    recordCheck(cwd, stackB, 'parity', { at, clean: report.ok, summary, against: stackA });
  }
  if (!report.ok) {
    const n = report.undeclared.length;
    throw new CheckFailed(`parity: ${n} difference${n === 1 ? '' : 's'} between ${stackA} and ${stackB} come${n === 1 ? 's' : ''} from no declared knob`);
  }
  return report;
}

export function registerParity(program: Command, ctx: CommandContext): void {
  program
    .command('parity')
    .description('compare two stacks offline: every difference must come from a declared knob (exit 1 otherwise)')
    .argument('<stack-a>', 'first stack (stacks/Pulumi.<name>.yaml)')
    .argument('<stack-b>', 'second stack, same target')
    .option('--json', 'print one JSON document: {stacks, target, knobs, declared, undeclared, notes, ok}')
    .action(async (stackA: string, stackB: string, flags: { json?: boolean }) => {
      await parityCommand({ ...ctx, stackA, stackB, json: flags.json === true });
    });
}
