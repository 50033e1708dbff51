// Backing up a stack's state and restoring it, through the engine port: what `slipway backup` and
// `slipway restore` do. Every check runs before the first change; a refusal names why and leaves the
// state, the stack file, the ledger and its anchor as they were.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stackFile } from '../../stacks/load';
import { parseYaml } from '../../stacks/load';
import { validateStackConfig } from '../../stacks/validate';
import { CheckFailed, firstLine, InternalError, UserError } from '../cli/errors';
import type { EnginePort } from '../engine/port';
import { projectOf } from '../engine/program';
import { formatAnchor, stackTagAnchor } from '../ledger/anchor';
import { verifyText } from '../ledger/chain';
import { checkLedgerDir, defaultLedgerDir } from '../ledger/store';
import type { DeploymentLock } from '../release/lock';
import {
  BACKUP_FORMAT,
  BACKUP_MAX_BYTES,
  currentIsNewer,
  foreignProblem,
  plaintextSecrets,
  resourceCount,
  sealBackup,
  serializeBackup,
  stateTime,
  type Backup,
  type ExportedState,
} from './backup';
import { readBackup, sizeLabel, writeAtomically } from './backupFile';

export interface RecoveryContext {
  /** Project root (Pulumi.yaml, stacks/). */
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  engine: EnginePort;
  now?: () => Date;
}

/** A backup of `stack`, taken now; its serialized text is bounded like the file restore reads. */
export async function takeBackup(ctx: RecoveryContext, stack: string): Promise<{ backup: Backup; text: string }> {
  const project = projectOf(ctx.cwd).name;
  const stackText = readFileSync(stackFile(stack, ctx.cwd), 'utf8');
  const handle = await ctx.engine.findStack(stack);
  if (!handle) throw new UserError(`stack ${stack}: no state in its backend (nothing deployed yet); nothing to back up`);
  const state = (await handle.exportState()) as ExportedState;
  if (state === null || typeof state !== 'object' || typeof state.version !== 'number' || typeof state.deployment !== 'object') {
    throw new InternalError(`stack ${stack}: the engine exported a state without version and deployment`);
  }
  const secrets = plaintextSecrets(state);
  if (secrets.length > 0) {
    throw new UserError(`stack ${stack}: the exported state holds ${secrets.length} secret(s) in plaintext (first at ${secrets[0]}); a backup keeps secrets encrypted only; nothing was written`);
  }
  const anchor = stackTagAnchor(ctx.engine);
  const file = ledgerFile(ctx, stack);
  const ledgerText = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const head = await anchor.read(stack);
  if (ledgerText !== '' || head) {
    // A backup carries only a ledger that `slipway ledger verify` passes: one that reaches its anchor.
    const checked = verifyText(ledgerText, stack, { head, where: anchor.where(stack) });
    if (!checked.ok) {
      const shown = relative(ctx.cwd, file);
      throw new CheckFailed([
        ...checked.problems.map((p) => `${shown}: ${p.reason}`),
        `stack ${stack}: no backup written: its ledger does not verify (\`slipway ledger verify --stack ${stack}\`)`,
      ]);
    }
  }
  const backup = sealBackup({
    format: BACKUP_FORMAT,
    project,
    stack,
    createdAt: (ctx.now ?? (() => new Date()))().toISOString(),
    state,
    stackFile: stackText,
    ledger: { head, text: ledgerText },
  });
  const text = serializeBackup(backup);
  const size = Buffer.byteLength(text);
  if (size > BACKUP_MAX_BYTES) {
    throw new UserError(`stack ${stack}: its backup would be ${sizeLabel(size)}, over the ${sizeLabel(BACKUP_MAX_BYTES)} limit for a backup (restore would refuse it); nothing was written`);
  }
  return { backup, text };
}

export interface RestoreOptions {
  stack: string;
  /** The backup file (`--from`), relative to cwd. */
  from: string;
  /** Restore over a newer state, and write the backup's stack file over a different one. */
  force: boolean;
  /** The deployment lock: a restore never runs beside a deployment of the same stack. */
  lock: DeploymentLock;
  actor: string;
}

export interface RestoreResult {
  backup: Pick<Backup, 'stack' | 'createdAt' | 'checksum'>;
  resources: number;
  stackFile: 'same' | 'written' | 'kept';
  ledgerFile: 'present' | 'written' | 'none';
  anchor: 'set' | 'kept' | 'unset' | 'none';
  /** Lines for stderr: what was left for a person to look at. */
  warnings: string[];
}

/** Restores a checked backup into `stack`; throws (changing nothing) when it is not this stack's to take. */
export async function restoreBackup(ctx: RecoveryContext, opts: RestoreOptions): Promise<RestoreResult> {
  const { stack } = opts;
  const backup = readBackup(ctx.cwd, opts.from);
  const foreign = foreignProblem(backup, { project: projectOf(ctx.cwd).name, stack });
  if (foreign) throw new UserError(`--from: ${opts.from}: ${foreign}; nothing was restored`);
  const stackPath = stackFile(stack, ctx.cwd);
  const shownStack = relative(ctx.cwd, stackPath);
  const stackDiffers = readFileSync(stackPath, 'utf8') !== backup.stackFile;
  if (stackDiffers && opts.force) checkStackText(backup.stackFile, stack, opts.from);
  const ledgerDir = defaultLedgerDir(ctx.cwd, ctx.env);
  await checkLedgerDir(ledgerDir, relative(ctx.cwd, ledgerDir), ctx.env.SLIPWAY_LEDGER_DIR ? '$SLIPWAY_LEDGER_DIR' : undefined);

  const release = opts.lock.acquire(stack, { deploymentId: `restore-${Date.parse(backup.createdAt)}`, actor: opts.actor });
  try {
    const existing = await ctx.engine.findStack(stack);
    const current = existing ? await existing.exportState() : undefined;
    if (!opts.force && currentIsNewer(current, backup.state)) {
      throw new UserError(
        `stack ${stack}: its current state (written ${stateTime(current) ?? 'at an unknown time'}, ${resourceCount(current)} resources) is newer than the backup's (${stateTime(backup.state) ?? 'unknown'}) and differs from it; --force restores the backup over it; nothing was restored`,
      );
    }
    const warnings: string[] = [];
    // The stack file first: a stack created afresh below takes its encryption salt from it.
    let stackFileResult: RestoreResult['stackFile'] = 'same';
    if (stackDiffers && opts.force) {
      writeAtomically(stackPath, backup.stackFile, { overwrite: true, label: shownStack, mode: 0o644 });
      stackFileResult = 'written';
    } else if (stackDiffers) {
      stackFileResult = 'kept';
      warnings.push(`${stack}: ${shownStack} differs from the backup's copy and was kept (--force writes the backup's); \`slipway preview --stack ${stack}\` shows what an up would change`);
    }
    const handle = existing ?? (await ctx.engine.selectStack(stack));
    await handle.importState(backup.state);
    const ledger = restoreLedger(ctx, stack, backup);
    const anchor = await restoreAnchor(ctx, stack, backup, warnings);
    return {
      backup: { stack: backup.stack, createdAt: backup.createdAt, checksum: backup.checksum },
      resources: resourceCount(backup.state),
      stackFile: stackFileResult,
      ledgerFile: ledger,
      anchor,
      warnings,
    };
  } finally {
    release();
  }
}

/** The backup's stack file must still pass validation before it replaces the one here. */
function checkStackText(text: string, stack: string, from: string): void {
  const parsed = parseYaml(text);
  const doc = typeof parsed === 'string' ? undefined : (parsed.value as { config?: unknown } | null);
  const config = doc?.config;
  const problems =
    typeof parsed === 'string'
      ? [parsed]
      : config === null || typeof config !== 'object' || Array.isArray(config)
        ? ['config: must be a mapping']
        : (() => {
            const v = validateStackConfig(config as Record<string, unknown>, { stack, file: 'stack file' });
            return v.ok ? [] : v.errors;
          })();
  if (problems.length > 0) throw new UserError(`--from: ${from}: its stack file does not pass validation (${firstLine(problems[0])}); nothing was restored`);
}

function ledgerFile(ctx: Pick<RecoveryContext, 'cwd' | 'env'>, stack: string): string {
  return join(defaultLedgerDir(ctx.cwd, ctx.env), `${stack}.jsonl`);
}

/** A ledger lost with the state comes back from the backup; one that is here is never touched. */
function restoreLedger(ctx: RecoveryContext, stack: string, backup: Backup): RestoreResult['ledgerFile'] {
  const file = ledgerFile(ctx, stack);
  if (existsSync(file)) return 'present';
  if (backup.ledger.text === '') return 'none';
  // The default folder may be gone with the state (.slipway); an explicit one was checked up front.
  mkdirSync(join(file, '..'), { recursive: true });
  writeAtomically(file, backup.ledger.text, { overwrite: false, label: relative(ctx.cwd, file), mode: 0o644 });
  return 'written';
}

/**
 * The anchor never moves backwards, and is set only where the ledger here reaches the backup's head
 * with its hash: a stack whose tag went with its state gets the backup's head back; one whose tag
 * records that head or a later one keeps it (the ledger, not the state, is what it anchors).
 */
async function restoreAnchor(ctx: RecoveryContext, stack: string, backup: Backup, warnings: string[]): Promise<RestoreResult['anchor']> {
  const head = backup.ledger.head;
  if (!head) return 'none';
  const anchor = stackTagAnchor(ctx.engine);
  try {
    const recorded = await anchor.read(stack);
    if (recorded && recorded.seq >= head.seq) return 'kept';
    const file = ledgerFile(ctx, stack);
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const checked = verifyText(text, stack, { head, where: 'the backup' });
    if (!checked.ok) {
      warnings.push(`${stack}: ${relative(ctx.cwd, file)} does not reach the backup's ledger head (seq ${head.seq}): ${anchor.where(stack)} was left ${recorded ? `at seq ${recorded.seq}` : 'unset'}; run \`slipway ledger verify --stack ${stack}\``);
      return 'unset';
    }
    await anchor.write(stack, head);
    return 'set';
  } catch (e) {
    warnings.push(`${stack}: the ledger head ${formatAnchor(head)} was not anchored in ${anchor.where(stack)}: ${firstLine(e)}`);
    return 'unset';
  }
}
