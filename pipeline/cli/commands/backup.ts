// `slipway backup --stack S --out FILE [--force]`: one file holding the stack's exported state (secrets
// as the backend's ciphertext), its stack file, its ledger and anchored head, and a checksum over them.
// Written whole or not at all, never over an existing file without --force. See pipeline/recovery/.
import type { Command } from 'commander';
import { existingStack } from '../args';
import type { EnginePort } from '../../engine/port';
import type { CommandContext } from '../output';
import { resourceCount, type Backup } from '../../recovery/backup';
import { checkOut, sizeLabel, writeAtomically } from '../../recovery/backupFile';
import { takeBackup } from '../../recovery/stateBackup';

export interface BackupCommandOptions extends CommandContext {
  stack: string;
  out: string;
  force?: boolean;
  /** Engine to export from; default: the Pulumi CLI (as deploy finds it). */
  engine?: EnginePort;
  now?: () => Date;
}

export async function backupCommand(opts: BackupCommandOptions): Promise<Backup> {
  existingStack(opts.stack, opts.cwd);
  const path = checkOut(opts.cwd, opts.out, opts.force === true);
  const engine = opts.engine ?? (await import('../../release/context')).pulumiEngineFor(opts);
  const { backup, text } = await takeBackup({ cwd: opts.cwd, env: opts.env, engine, ...(opts.now ? { now: opts.now } : {}) }, opts.stack);
  writeAtomically(path, text, { overwrite: opts.force === true, label: `--out: ${opts.out}` });
  const head = backup.ledger.head ? `ledger head seq ${backup.ledger.head.seq}` : 'no ledger head';
  opts.output.out(`${opts.stack}: backup written to ${opts.out} (${resourceCount(backup.state)} resources, ${head}, ${sizeLabel(Buffer.byteLength(text))}, checksum ${backup.checksum})`);
  return backup;
}

export function registerBackup(program: Command, ctx: CommandContext): void {
  program
    .command('backup')
    .description("write a stack's state (secrets stay encrypted), stack file and ledger into one checksummed file")
    .requiredOption('-s, --stack <name>', 'stack to back up')
    .requiredOption('--out <file>', 'the backup file to write (JSON)')
    .option('--force', 'overwrite --out when it exists')
    .action(async (f: { stack: string; out: string; force?: boolean }) => {
      await backupCommand({ ...ctx, ...f });
    });
}
