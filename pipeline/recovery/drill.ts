// `slipway drill`: the disaster-recovery procedure tested on a live environment without touching
// production. The idle slot's workload (its container, or its ECS service and task definition) is
// replaced from nothing — `up` with those resources as both target and replace — from the recorded
// release and the artifact, then smoke-tested through the test route. The live slot, the router and
// the network are not targeted, so the engine leaves them exactly as they are.
import { idleSlotOf } from '../../components/slots';
import { CheckFailed, SlipwayError, UserError } from '../cli/errors';
import { loadConfig, newDeploymentId, record } from '../release/deploy';
import { slotArtifacts } from './artifacts';
import { rebuiltCount, slotWorkloadUrns } from './plan';
import { engineErrorLine } from '../engine/automation';
import { preflight, recordStarted, smokeRoute, stepper, type RecoveryContext } from './rebuild';
import type { Slot } from '../../stacks/schema';

export interface DrillOutcome {
  id: string;
  stack: string;
  slot: Slot;
  version: string;
  /** Command start to the test URL passing its smoke checks. */
  recoveryMs: number;
  /** URNs replaced. */
  replaced: string[];
  testUrl: string;
}

export async function drill(ctx: RecoveryContext, stack: string, opts: { startedAt: Date }): Promise<DrillOutcome> {
  const handle = await ctx.engine.findStack(stack);
  if (!handle) throw new UserError(`stack ${stack} has no state in its backend: nothing to drill; bring it back with \`slipway rebuild --stack ${stack}\``);
  const config = await loadConfig(handle);
  if (!config.promotion.drill) throw new UserError(`stacks/Pulumi.${stack}.yaml: slipway:promotion.drill is false: this stack refuses drills`);
  const slot = idleSlotOf(config.release.live);
  const release = config.release[slot];
  if (!release.image || !release.version) throw new UserError(`stack ${stack}: the idle slot ${slot} has no release to drill (slipway:release.${slot} is empty)`);
  const version = release.version;
  const urns = slotWorkloadUrns(await handle.exportState(), config.app.name, slot);
  if (urns.length === 0) throw new UserError(`stack ${stack}: the state holds no resources of slot ${slot}; run \`slipway rebuild --stack ${stack}\` first`);
  const checkedArtifacts = await preflight(ctx, stack, config, slotArtifacts(config, [slot]));

  const id = `x-${(ctx.newId ?? (() => newDeploymentId(ctx.now())))().replace(/^d-/, '')}`;
  const unlock = ctx.lock.acquire(stack, { deploymentId: id, actor: ctx.actor });
  try {
    await recordStarted(ctx, stack, id, config, 'drill', slot);
    await record(ctx, stack, id, 'step', checkedArtifacts);
    const step = stepper(ctx, stack, id);
    try {
      const up = await step('rebuild-idle', `${slot} (${version}) from nothing; ${config.release.live} untouched`, async () => {
        const r = await handle.up({ message: `slipway ${id}: drill: rebuild ${slot}`, target: urns, replace: urns, signal: ctx.signal });
        return { detail: `${urns.length} replaced`, value: r };
      });
      const testUrl = String(up.outputs.testUrl ?? (await handle.outputs()).testUrl ?? '');
      await smokeRoute(ctx, step, config, { route: 'test', slot, version }, testUrl);
      const recoveryMs = ctx.now().getTime() - opts.startedAt.getTime();
      await record(ctx, stack, id, 'recovered', { mode: 'drill', ms: recoveryMs, rebuilt: Math.max(rebuiltCount(up.changes), urns.length) });
      return { id, stack, slot, version, recoveryMs, replaced: urns, testUrl };
    } catch (e) {
      const reason = engineErrorLine(ctx.signal?.aborted ? ctx.signal.reason : e);
      await record(ctx, stack, id, 'failed', { reason: `drill of ${slot} failed: ${reason}`, liveUnchanged: true });
      throw e instanceof SlipwayError ? e : new CheckFailed(`stack ${stack}: drill ${id} of slot ${slot} failed: ${reason}; the live slot (${config.release.live}) was not touched`);
    }
  } finally {
    unlock();
  }
}
