// `slipway restore --stack S --from FILE [--force]`: imports a backup's state into the stack after
// checking, before anything changes, that the file is a backup (format, size), intact (checksum), and
// this project's and this stack's; a newer current state, or a stack file that differs, is replaced
// only with --force. See pipeline/recovery/ and README "Backup and restore".
import type { Command } from 'commander';
import { join } from 'node:path';
import { existingStack } from '../args';
import type { EnginePort } from '../../engine/port';
import type { CommandContext } from '../output';
import { defaultLedgerDir } from '../../ledger/store';
import { actorOf, pulumiEngineFor } from '../../release/context';
import { fileLock, type DeploymentLock } from '../../release/lock';
import { restoreBackup, type RestoreResult } from '../../recovery/stateBackup';

export interface RestoreCommandOptions extends CommandContext {
  stack: string;
  from: string;
  force?: boolean;
  actor?: string;
  engine?: EnginePort;
  lock?: DeploymentLock;
}

export async function restoreCommand(opts: RestoreCommandOptions): Promise<RestoreResult> {
  existingStack(opts.stack, opts.cwd);
  const engine = opts.engine ?? pulumiEngineFor(opts);
  // The deployment lock deploy takes (pipeline/release/context.ts): never beside a deployment.
  const lock = opts.lock ?? fileLock(join(defaultLedgerDir(opts.cwd, opts.env), '..', 'locks'));
  const r = await restoreBackup(
    { cwd: opts.cwd, env: opts.env, engine },
    { stack: opts.stack, from: opts.from, force: opts.force === true, lock, actor: actorOf(opts, opts.env) },
  );
  const out = [`${opts.stack}: state restored from ${opts.from} (backup taken ${r.backup.createdAt}, ${r.resources} resources)`];
  if (r.stackFile === 'written') out.push(`${opts.stack}: stacks/Pulumi.${opts.stack}.yaml written from the backup`);
  if (r.ledgerFile === 'written') out.push(`${opts.stack}: ledger written from the backup (it was missing here)`);
  if (r.anchor === 'set') out.push(`${opts.stack}: ledger head anchored again from the backup`);
  opts.output.out(out.join('\n'));
  for (const w of r.warnings) opts.output.err(w);
  return r;
}

export function registerRestore(program: Command, ctx: CommandContext): void {
  program
    .command('restore')
    .description("import a backup's state into its stack, refusing a changed, foreign or malformed backup")
    .requiredOption('-s, --stack <name>', 'stack to restore')
    .requiredOption('--from <file>', 'the backup file (written by `slipway backup`)')
    .option('--force', "restore over a newer state, and write the backup's stack file over a different one")
    .option('--actor <name>', 'who is restoring (recorded in the deployment lock)')
    .action(async (f: { stack: string; from: string; force?: boolean; actor?: string }) => {
      await restoreCommand({ ...ctx, ...f });
    });
}
