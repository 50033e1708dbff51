// `slipway schema [--markdown | --write-readme]`: the configuration reference, generated from the schema.
import type { Command } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { README_END, README_START, referenceMarkdown, referenceText, withReadmeBlock } from '../configReference';
import { UsageError, UserError } from '../errors';
import type { CommandContext } from '../output';

export interface SchemaOptions extends CommandContext {
  /** Print the Markdown table that README.md holds between its config-reference markers. */
  markdown?: boolean;
  /** Replace that block in `<cwd>/README.md` instead of printing. */
  writeReadme?: boolean;
}

export async function schema(opts: SchemaOptions): Promise<void> {
  if (opts.markdown && opts.writeReadme) throw new UsageError('--markdown and --write-readme cannot be used together');
  if (!opts.writeReadme) {
    opts.output.out(opts.markdown ? referenceMarkdown() : referenceText());
    return;
  }
  const file = join(opts.cwd, 'README.md');
  if (!existsSync(file)) throw new UserError(`README.md: not found in ${opts.cwd}`);
  const readme = readFileSync(file, 'utf8');
  if (!readme.includes(README_START) || !readme.includes(README_END)) {
    throw new UserError(`README.md: has no ${README_START} ... ${README_END} block to replace`);
  }
  const updated = withReadmeBlock(readme, referenceMarkdown());
  if (updated === readme) {
    opts.output.err('README.md: configuration reference already up to date');
  } else {
    writeFileSync(file, updated);
    opts.output.err('README.md: configuration reference updated');
  }
}

export function registerSchema(program: Command, ctx: CommandContext): void {
  program
    .command('schema')
    .description('print the configuration reference (every stack key: type, default, target, meaning)')
    .option('--markdown', 'print the Markdown table README.md holds')
    .option('--write-readme', 'replace the reference block in README.md')
    .action(async (flags: { markdown?: boolean; writeReadme?: boolean }) => {
      await schema({ ...ctx, markdown: flags.markdown === true, writeReadme: flags.writeReadme === true });
    });
}
