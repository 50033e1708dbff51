// `slipway rollback`: production traffic back to the other (warm) slot, as one switch of the release
// state — nothing rebuilt or redeployed — recorded in the ledger as a deployment of kind `rollback`.
// Only to a release that served production before: never a way around a gate or failed checks.
import type { Slot } from '../../stacks/schema';
import { configHash } from '../../stacks/validate';
import { digestOf, idleSlotOf } from '../../components/slots';
import { CheckFailed, firstLine, UserError } from '../cli/errors';
import { deployments, rollbackTargetProblem } from '../ledger/ledger';
import { recordedConfig } from './appConfig';
import { knobsOf, loadConfig, newDeploymentId, record, type DeployContext } from './deploy';

/** Switches traffic back to the other slot: no rebuild, no redeploy. */
export async function rollback(ctx: DeployContext, stack: string): Promise<{ from: Slot; to: Slot; version: string }> {
  const handle = await ctx.engine.selectStack(stack);
  const config = await loadConfig(handle);
  const from = config.release.live;
  const to = idleSlotOf(from);
  const target = config.release[to];
  if (!target.image || !target.version) throw new UserError(`stack ${stack}: slot ${to} has no release to roll back to`);
  const never = rollbackTargetProblem(deployments(await ctx.ledger.read(stack)), to, digestOf(target.image));
  if (never) throw new UserError(`stack ${stack}: ${never}`);
  const id = `r-${(ctx.newId ?? (() => newDeploymentId(ctx.now())))().replace(/^d-/, '')}`;
  const release = ctx.lock.acquire(stack, { deploymentId: id, actor: ctx.actor });
  try {
    ctx.progress.info(`rollback ${id}: ${from} → ${to} (${target.version})`, { deployment: id, stack, resumed: false });
    await record(ctx, stack, id, 'started', {
      artifact: target.image,
      digest: digestOf(target.image),
      version: target.version,
      actor: ctx.actor,
      slot: to,
      from,
      configHash: configHash(config),
      appConfig: recordedConfig(target),
      knobs: knobsOf(config),
      kind: 'rollback',
    });
    const p = ctx.progress.step('switch', `${from} → ${to}`);
    try {
      await handle.setConfig({ 'slipway:release': { ...config.release, live: to } });
      await handle.up({ message: `slipway ${id}: roll back ${from} → ${to}`, signal: ctx.signal });
    } catch (e) {
      // Closed as failed, never left open: an open entry would be resumed by the next deploy of its
      // artifact. The release state goes back to what is live, so config stays the source of truth.
      p.fail(firstLine(e));
      const restored = await handle.setConfig({ 'slipway:release': config.release }).then(
        () => '',
        (r) => `; the stack's release state could not be restored (${firstLine(r)})`,
      );
      await record(ctx, stack, id, 'failed', { reason: `rollback ${from} → ${to} failed: ${firstLine(e)}${restored}` });
      throw new CheckFailed(`stack ${stack}: rollback ${from} → ${to} failed: ${firstLine(e)}${restored}; re-run \`slipway rollback --stack ${stack}\` to retry`);
    }
    p.ok();
    await record(ctx, stack, id, 'rolled-back', { to, from, reason: `requested by ${ctx.actor}`, automatic: false });
    return { from, to, version: target.version };
  } finally {
    release();
  }
}

/** Reads and validates the stack's configuration as the engine sees it. */
