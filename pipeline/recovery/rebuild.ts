// `slipway rebuild`: brings an environment back from the repository (the stack file's release state)
// and the artifacts. Pre-flight first (every artifact still exists), then: no stack in the backend → a
// fresh stack from the stack file and `up`; a stack whose resources were deleted behind its back →
// `refresh`, then `up`. No switch: the live slot comes back live. Then the smoke checks on both routes,
// and a `recovery` in the ledger with its measured recovery time.
import type { SlipwayConfig } from '../../stacks/schema';
import { configHash } from '../../stacks/validate';
import type { StackHandle } from '../engine/port';
import { engineErrorLine } from '../engine/automation';
import { CheckFailed, firstLine, SlipwayError, UserError } from '../cli/errors';
import { changesText, DEFAULT_TIMING, knobsOf, newDeploymentId, record, type DeployContext } from '../release/deploy';
import { digestOf } from '../../components/slots';
import { formatSmokeReport } from '../release/smoke';
import type { LedgerEventData, StartedData } from '../ledger/events';
import { artifactStoreFor, preflightArtifacts, slotArtifacts, type ArtifactStore } from './artifacts';
import { refuseOrphans, type DockerObjects } from './orphans';
import { modeAfterRefresh, rebuiltCount, recoveryPlan, type RecoveryMode, type RouteCheck } from './plan';

export interface RecoveryContext extends DeployContext {
  /** Where the pre-flight looks for artifacts (default: the Docker engine or ECR, by target). */
  artifacts?: (config: SlipwayConfig) => ArtifactStore;
  /** Which of a Docker environment's containers and network exist (default: ask the Docker engine). */
  dockerObjects?: (objects: DockerObjects) => Promise<{ containers: string[]; network?: string }>;
}

export interface RebuildOptions {
  /** The configuration from the stack file: what the environment must be. */
  config: SlipwayConfig;
  /** When the command started: the recovery time runs from here. */
  startedAt: Date;
  /** The stack this one's file was created from (`--into`). */
  source?: string;
}

export interface RebuildOutcome {
  id: string;
  stack: string;
  mode: RecoveryMode;
  /** Command start to the public URL passing its smoke checks. */
  recoveryMs: number;
  /** Command start to the end (both routes checked). */
  totalMs: number;
  rebuilt: number;
  checks: (RouteCheck & { url: string })[];
  publicUrl: string;
  testUrl: string;
  source?: string;
}

/** The pre-flight alone: nothing is changed, and a missing artifact stops everything. Returns its step record. */
export async function preflight(ctx: RecoveryContext, stack: string, config: SlipwayConfig, slots = slotArtifacts(config)): Promise<LedgerEventData['step']> {
  const store = (ctx.artifacts ?? artifactStoreFor)(config);
  const detail = `${slots.length} artifact${slots.length === 1 ? '' : 's'} in ${store.where}`;
  const started = ctx.now();
  const p = ctx.progress.step('preflight', detail);
  try {
    await preflightArtifacts(stack, slots, store);
    p.ok();
  } catch (e) {
    p.fail(firstLine(e));
    throw e;
  }
  return { name: 'preflight', status: 'ok', startedAt: started.toISOString(), ms: ctx.now().getTime() - started.getTime(), detail };
}

export async function rebuild(ctx: RecoveryContext, stack: string, opts: RebuildOptions): Promise<RebuildOutcome> {
  const { config } = opts;
  const since = () => ctx.now().getTime() - opts.startedAt.getTime();
  const existing = await ctx.engine.findStack(stack);
  const plan = recoveryPlan(stack, config, existing !== undefined);
  const checkedArtifacts = await preflight(ctx, stack, config);
  if (!existing && config.target === 'docker') await refuseOrphans(stack, config, ctx.dockerObjects);

  const id = `v-${(ctx.newId ?? (() => newDeploymentId(ctx.now())))().replace(/^d-/, '')}`;
  const live = config.release.live;
  const release = ctx.lock.acquire(stack, { deploymentId: id, actor: ctx.actor });
  try {
    await recordStarted(ctx, stack, id, config, 'recovery', live);
    const step = stepper(ctx, stack, id);
    try {
      await record(ctx, stack, id, 'step', checkedArtifacts);
      let handle: StackHandle;
      let mode: RecoveryMode;
      if (existing) {
        handle = existing;
        mode = await step('refresh', stack, async () => {
          const r = await handle.refresh({ message: `slipway ${id}: rebuild: refresh`, signal: ctx.signal });
          return { detail: `${r.steps.filter((s) => s.op === 'delete').length} resources gone`, value: modeAfterRefresh(r.steps) };
        });
      } else {
        mode = 'state-lost';
        handle = await step('create-stack', `${stack} from stacks/Pulumi.${stack}.yaml`, async () => ({ detail: 'created', value: await ctx.engine.selectStack(stack) }));
      }
      const up = await step('up', `both slots, ${live} live`, async () => {
        const r = await handle.up({ message: `slipway ${id}: rebuild (${mode})`, signal: ctx.signal });
        return { detail: changesText(r.changes), value: r };
      });
      const urls = { publicUrl: String(up.outputs.publicUrl ?? ''), testUrl: String(up.outputs.testUrl ?? '') };
      let recoveryMs = 0;
      const checked: RebuildOutcome['checks'] = [];
      for (const check of plan.checks) {
        const url = check.route === 'public' ? urls.publicUrl : urls.testUrl;
        await smokeRoute(ctx, step, config, check, url);
        if (check.route === 'public') recoveryMs = since();
        checked.push({ ...check, url });
      }
      const rebuilt = rebuiltCount(up.changes);
      await record(ctx, stack, id, 'recovered', { mode, ms: recoveryMs, rebuilt, ...(opts.source ? { source: opts.source } : {}) });
      return { id, stack, mode, recoveryMs, totalMs: since(), rebuilt, checks: checked, ...urls, ...(opts.source ? { source: opts.source } : {}) };
    } catch (e) {
      const reason = ctx.signal?.aborted ? firstLine(ctx.signal.reason) : engineErrorLine(e);
      await record(ctx, stack, id, 'failed', { reason: `rebuild failed: ${reason}` });
      throw e instanceof SlipwayError ? e : new CheckFailed(`stack ${stack}: rebuild ${id} failed: ${reason}`);
    }
  } finally {
    release();
  }
}

/** Smoke checks on one route with the version its slot must report; retried while the slot warms up. */
export async function smokeRoute(ctx: RecoveryContext, step: Stepper, config: SlipwayConfig, check: RouteCheck, url: string): Promise<void> {
  const timing = { ...DEFAULT_TIMING[config.target]!, ...ctx.timing };
  await step(`smoke-${check.route}`, `${check.slot} (${check.version}) via ${url}`, async () => {
    const report = await ctx.smoke({
      baseUrl: url,
      checks: config.app.smoke,
      versionPath: config.app.versionPath,
      expectVersion: check.version,
      // The slots were just (re)created: ask often, so the measured time is the slot's, not the backoff's.
      initialBackoffMs: 50,
      maxBackoffMs: 500,
      deadlineMs: timing.healthDeadlineMs,
      signal: ctx.signal,
    });
    if (!report.ok) throw new CheckFailed([`smoke checks failed on the ${check.route} route (${check.slot}, ${url}) after the rebuild`, formatSmokeReport(report)]);
    return { detail: `${report.checks.length} checks passed`, value: undefined };
  });
}

export type Stepper = <T>(name: string, detail: string, fn: () => Promise<{ detail: string; value: T }>) => Promise<T>;

/** Runs a named step with progress and a ledger `step` entry; `fn` returns what to show and its value. */
export function stepper(ctx: RecoveryContext, stack: string, id: string): Stepper {
  return async <T>(name: string, detail: string, fn: () => Promise<{ detail: string; value: T }>): Promise<T> => {
    const started = ctx.now();
    const p = ctx.progress.step(name, detail);
    const ms = () => ctx.now().getTime() - started.getTime();
    try {
      const r = await fn();
      p.ok(r.detail);
      await record(ctx, stack, id, 'step', { name, status: 'ok', startedAt: started.toISOString(), ms: ms(), detail: r.detail });
      return r.value;
    } catch (e) {
      const reason = ctx.signal?.aborted ? firstLine(ctx.signal.reason) : engineErrorLine(e);
      p.fail(reason);
      await record(ctx, stack, id, 'step', { name, status: 'failed', startedAt: started.toISOString(), ms: ms(), detail: reason });
      throw e;
    }
  };
}

export async function recordStarted(ctx: RecoveryContext, stack: string, id: string, config: SlipwayConfig, kind: 'recovery' | 'drill', slot: StartedData['slot']): Promise<void> {
  const r = config.release[slot];
  if (!r.image || !r.version) throw new UserError(`stack ${stack}: slot ${slot} has no release`);
  await record(ctx, stack, id, 'started', {
    artifact: r.image,
    digest: digestOf(r.image),
    version: r.version,
    actor: ctx.actor,
    slot,
    from: config.release.live,
    configHash: configHash(config),
    knobs: knobsOf(config),
    kind,
  });
}
