// `slipway validate [--stack NAME]`: checks stack files against the schema without touching any engine.
import type { Command } from 'commander';
import { relative } from 'node:path';
import { listStacks, loadStackFile, stackFile, STACKS_DIR } from '../../../stacks/load';
import { stackWarnings } from '../../../stacks/warnings';
import { stackName } from '../args';
import { UserError } from '../errors';
import type { CommandContext } from '../output';

export interface ValidateCommandOptions extends CommandContext {
  /** One stack to check; all files in stacks/ when absent. */
  stack?: string;
}

export interface ValidateResult {
  /** Stack files that passed, relative to cwd (e.g. `stacks/Pulumi.prod.yaml`). */
  valid: string[];
  /** `<file>: <key>: <message>` for what valid files may still get wrong; they do not fail validation. */
  warnings: string[];
}

/**
 * Prints `ok <file>` for each valid stack file, and on stderr `warning: <file>: <key>: …` for what it may
 * still get wrong (exit 0). Throws a UserError carrying every problem line of every invalid file, so
 * one run reports all of them.
 */
export async function validate(opts: ValidateCommandOptions): Promise<ValidateResult> {
  const stacks = opts.stack !== undefined ? [stackName(opts.stack)] : listStacks(opts.cwd);
  if (stacks.length === 0) {
    throw new UserError(`${STACKS_DIR}/: no stack files (expected ${STACKS_DIR}/Pulumi.<stack>.yaml)`);
  }
  const valid: string[] = [];
  const warnings: string[] = [];
  const problems: string[] = [];
  for (const stack of stacks) {
    const result = loadStackFile(stack, opts.cwd);
    if (result.ok) {
      const file = relative(opts.cwd, stackFile(stack, opts.cwd));
      valid.push(file);
      opts.output.out(`ok ${file}`);
      for (const w of stackWarnings(result.config)) {
        warnings.push(`${file}: ${w.key}: ${w.message}`);
        opts.output.err(`warning: ${file}: ${w.key}: ${w.message}`);
      }
    } else {
      problems.push(...result.errors);
    }
  }
  if (problems.length > 0) throw new UserError(problems);
  return { valid, warnings };
}

export function registerValidate(program: Command, ctx: CommandContext): void {
  program
    .command('validate')
    .description('check stack files against the configuration schema (all files in stacks/, or one)')
    .option('-s, --stack <name>', 'check only stacks/Pulumi.<name>.yaml')
    .action(async (flags: { stack?: string }) => {
      await validate({ ...ctx, stack: flags.stack });
    });
}
