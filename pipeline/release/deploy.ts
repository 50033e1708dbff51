// The deployment state machine: resolve artifact → ensure environment → deploy to idle → wait healthy
// → smoke idle → gate → switch → verify (bake) → done, or roll back. Every step is recorded in the
// ledger; a re-run of the same artifact resumes after the last step that succeeded.
import type { SlipwayConfig, Slot } from '../../stacks/schema';
import { configHash } from '../../stacks/validate';
import { digestOf, idleSlotOf } from '../../components/slots';
import type { EnginePort, StackHandle } from '../engine/port';
import { AwaitingApproval, CheckFailed, firstLine, UserError } from '../cli/errors';
import { holds, loadStackConfig, recordedConfig, slotRelease } from './appConfig';
import type { DeploymentLock } from './lock';
import type { Progress } from './progress';
import type { SignalsPort } from './signals';
import { formatSmokeReport, type SmokeOptions, type SmokeReport } from './smoke';
import { deployments, type DeploymentSummary, type EventType, type LedgerEntry, type LedgerEventData, type LedgerEventInput } from '../ledger/ledger';

/** An immutable artifact: an image pinned by digest, with the version it reports. */
export interface Artifact {
  ref: string;
  digest: string;
  version: string;
  commit?: string;
}

export interface LedgerPort {
  append(stack: string, event: LedgerEventInput): Promise<unknown>;
  read(stack: string): Promise<LedgerEntry[]>;
}

export interface Timing {
  /** How long a new slot may take to answer its health check. */
  healthDeadlineMs: number;
  /** How long the smoke checks may retry against a warming slot. */
  smokeDeadlineMs: number;
  /** Pause between verification rounds during bake time. */
  verifyIntervalMs: number;
}

export const DEFAULT_TIMING: Record<string, Timing> = {
  aws: { healthDeadlineMs: 10 * 60_000, smokeDeadlineMs: 2 * 60_000, verifyIntervalMs: 10_000 },
  docker: { healthDeadlineMs: 2 * 60_000, smokeDeadlineMs: 60_000, verifyIntervalMs: 2_000 },
};

/** Everything a deployment touches, passed in: no globals, so tests drive each branch. */
export interface DeployContext {
  engine: EnginePort;
  ledger: LedgerPort;
  lock: DeploymentLock;
  smoke: (opts: SmokeOptions) => Promise<SmokeReport>;
  /** Alarm source for a stack's target (CloudWatch on AWS, none on Docker). */
  signals: (config: SlipwayConfig, stack: string) => SignalsPort;
  progress: Progress;
  now: () => Date;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  actor: string;
  signal?: AbortSignal;
  timing?: Partial<Timing>;
  /** Deployment id generator (tests pin it). */
  newId?: () => string;
}

export interface DeployOutcome {
  deploymentId: string;
  stack: string;
  status: 'live' | 'awaiting-approval';
  slot: Slot;
  from: Slot;
  artifact: Artifact;
  publicUrl?: string;
  testUrl?: string;
}

export const STEPS = ['ensure-environment', 'deploy-idle', 'wait-healthy', 'smoke-idle', 'switch', 'verify'] as const;
export type StepName = (typeof STEPS)[number];

export function newDeploymentId(now: Date, random: () => number = Math.random): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `d-${stamp}-${Math.floor(random() * 0xffff).toString(16).padStart(4, '0')}`;
}

/** The open (unfinished) deployment of a stack, if any. */
export function openDeployment(entries: LedgerEntry[]): DeploymentSummary | undefined {
  return deployments(entries).find((d) => d.kind !== 'recovery' && d.kind !== 'drill' && (d.status === 'running' || d.status === 'awaiting-approval'));
}

/** Deploys `artifact` to the idle slot of `stack` and, when every check passes (and approval if required), makes it live. */
export async function deploy(ctx: DeployContext, stack: string, artifact: Artifact): Promise<DeployOutcome> {
  const open = openDeployment(await ctx.ledger.read(stack));
  let resume: DeploymentSummary | undefined;
  if (open && open.digest === artifact.digest) {
    resume = open;
  } else if (open?.status === 'awaiting-approval') {
    throw new UserError(
      `stack ${stack}: deployment ${open.id} (${open.version}) is awaiting approval; approve or reject it before deploying another artifact`,
    );
  }
  const id = resume?.id ?? (ctx.newId ?? (() => newDeploymentId(ctx.now())))();
  const release = ctx.lock.acquire(stack, { deploymentId: id, actor: ctx.actor });
  try {
    if (open && !resume) {
      // An earlier run died mid-way with another artifact; it will never resume now.
      await record(ctx, stack, open.id, 'failed', { reason: `superseded by deployment ${id}` });
    }
    if (resume) await record(ctx, stack, id, 'resumed', { by: ctx.actor }); // the audit trail names who carried it on
    return await run(ctx, stack, id, artifact, resume);
  } finally {
    release();
  }
}

/** Records an approval and carries the deployment on to the switch. */
export async function approve(ctx: DeployContext, stack: string, id: string, by: string, comment?: string): Promise<DeployOutcome> {
  const d = await pendingDeployment(ctx, stack, id);
  const handle = await ctx.engine.selectStack(stack);
  const config = await loadConfig(handle);
  const refused = approverProblem(config.promotion.approvers, stack, by);
  if (refused) throw new UserError(refused);
  const release = ctx.lock.acquire(stack, { deploymentId: id, actor: by });
  try {
    await record(ctx, stack, id, 'approved', { by, comment });
    return await run(ctx, stack, id, artifactOf(d), { ...d, approvals: [...d.approvals, { by, at: ctx.now().toISOString() }] });
  } finally {
    release();
  }
}

/** Why `by` may not decide at `stack`'s gate, or undefined when they are one of its approvers. */
export function approverProblem(approvers: readonly string[], stack: string, by: string): string | undefined {
  return approvers.includes(by) ? undefined : `${by} is not an approver for ${stack} (slipway:promotion.approvers: ${approvers.join(', ') || 'none'})`;
}

/** Ends a deployment at its gate; the idle slot keeps the release for inspection. */
export async function reject(ctx: DeployContext, stack: string, id: string, by: string, reason?: string): Promise<void> {
  await pendingDeployment(ctx, stack, id);
  await record(ctx, stack, id, 'rejected', { by, reason });
}

async function pendingDeployment(ctx: DeployContext, stack: string, id: string): Promise<DeploymentSummary> {
  const all = deployments(await ctx.ledger.read(stack));
  const d = all.find((x) => x.id === id);
  if (!d) throw new UserError(`stack ${stack}: no deployment ${id} (see \`slipway status --stack ${stack}\`)`);
  if (d.status !== 'awaiting-approval') throw new UserError(`stack ${stack}: deployment ${id} is ${d.status}, not awaiting approval`);
  return d;
}

function artifactOf(d: DeploymentSummary): Artifact {
  return { ref: d.artifact, digest: d.digest, version: d.version, commit: d.commit };
}

async function run(ctx: DeployContext, stack: string, id: string, artifact: Artifact, resume?: DeploymentSummary): Promise<DeployOutcome> {
  const handle = await ctx.engine.selectStack(stack);
  let { config, appConfig } = await loadStackConfig(handle);
  const timing = { ...DEFAULT_TIMING[config.target]!, ...ctx.timing };
  const from: Slot = resume?.from ?? config.release.live;
  const slot: Slot = resume?.slot ?? idleSlotOf(from);
  const done = new Set(resume?.steps.filter((s) => s.status === 'ok').map((s) => s.name) ?? []);
  // Named first, so whoever follows the run (the console) knows which ledger entry it writes.
  ctx.progress.info(`${resume ? 'resuming deployment' : 'deployment'} ${id}: ${artifact.version} to ${stack}, slot ${slot}`, { deployment: id, stack, resumed: resume !== undefined });

  if (!resume) {
    await record(ctx, stack, id, 'started', {
      artifact: artifact.ref,
      digest: artifact.digest,
      version: artifact.version,
      commit: artifact.commit,
      actor: ctx.actor,
      slot,
      from,
      configHash: configHash(config),
      appConfig,
      knobs: knobsOf(config),
    });
  }
  const outcome: DeployOutcome = { deploymentId: id, stack, status: 'live', slot, from, artifact };

  const step = async (name: StepName, detail: string, skipIf: boolean, fn: () => Promise<string | undefined>) => {
    const p = ctx.progress.step(name, detail);
    if (skipIf) {
      p.skip('done in an earlier run');
      return;
    }
    const started = ctx.now();
    try {
      const result = await fn();
      p.ok(result);
      await record(ctx, stack, id, 'step', { name, status: 'ok', startedAt: started.toISOString(), ms: ctx.now().getTime() - started.getTime(), detail: result });
    } catch (e) {
      // An aborted engine call fails with the CLI's exit status; the abort's own reason says more.
      const reason = firstLine(ctx.signal?.aborted ? ctx.signal.reason : e);
      p.fail(reason);
      await record(ctx, stack, id, 'step', { name, status: 'failed', startedAt: started.toISOString(), ms: ctx.now().getTime() - started.getTime(), detail: reason });
      throw e;
    }
  };
  const urls = async () => {
    const out = await handle.outputs();
    outcome.publicUrl = String(out.publicUrl ?? '');
    outcome.testUrl = String(out.testUrl ?? '');
    return out;
  };
  const up = (message: string) => handle.up({ message: `slipway ${id}: ${message}`, signal: ctx.signal });

  try {
    await step('ensure-environment', stack, done.has('ensure-environment'), async () => {
      const r = await up('ensure environment');
      return changesText(r.changes);
    });

    const placed = holds(config.release[slot], artifact, appConfig);
    await step('deploy-idle', `${slot} ← ${artifact.version}`, done.has('deploy-idle') && placed, async () => {
      if (!placed) {
        await handle.setConfig({ 'slipway:release': { ...config.release, [slot]: slotRelease(artifact, appConfig) } });
        config = await loadConfig(handle);
        for (const s of ['wait-healthy', 'smoke-idle'] as const) done.delete(s);
      }
      const r = await up(`deploy ${artifact.version} to ${slot}`);
      return changesText(r.changes);
    });
    await urls();

    await step('wait-healthy', `${slot} via ${outcome.testUrl}`, done.has('wait-healthy'), async () => {
      const report = await ctx.smoke({
        baseUrl: outcome.testUrl!,
        checks: [{ path: config.app.healthPath, status: 200, latencyMs: 5000 }],
        versionPath: config.app.versionPath,
        deadlineMs: timing.healthDeadlineMs,
        signal: ctx.signal,
      });
      if (!report.ok) throw new CheckFailed([`slot ${slot} did not become healthy at ${outcome.testUrl}${config.app.healthPath}; the live slot (${from}) was not touched`, formatSmokeReport(report)]);
      return `healthy after ${Math.round(report.elapsedMs)} ms`;
    });

    await step('smoke-idle', `${slot} via ${outcome.testUrl}`, done.has('smoke-idle'), async () => {
      const report = await ctx.smoke({
        baseUrl: outcome.testUrl!,
        checks: config.app.smoke,
        versionPath: config.app.versionPath,
        expectVersion: artifact.version,
        deadlineMs: timing.smokeDeadlineMs,
        signal: ctx.signal,
      });
      if (!report.ok) throw new CheckFailed([`smoke tests failed on the idle slot ${slot} (${outcome.testUrl}); the live slot (${from}) was not touched`, formatSmokeReport(report)]);
      return `${report.checks.length} checks passed`;
    });
  } catch (e) {
    if (ctx.signal?.aborted) {
      // Interrupted, not failed: the entry stays open, so the same command resumes it.
      throw new UserError(`deployment ${id} stopped: ${firstLine(ctx.signal.reason)}; the live slot (${from}) was not touched; run the same command again to resume it`);
    }
    await record(ctx, stack, id, 'failed', { reason: firstLine(e), liveUnchanged: true });
    throw e;
  }

  if (config.promotion.approval === 'manual' && (resume?.approvals.length ?? 0) === 0) {
    if (resume?.status !== 'awaiting-approval') {
      await record(ctx, stack, id, 'gate', { approvers: config.promotion.approvers, slot, testUrl: outcome.testUrl });
    }
    ctx.progress.info(`gate: waiting for approval from ${config.promotion.approvers.join(' or ')}`);
    throw new AwaitingApproval([
      `deployment ${id} of ${artifact.version} to ${stack} is waiting for approval (slot ${slot} is ready at ${outcome.testUrl})`,
      `approve: slipway approve --stack ${stack} --id ${id} --by <name>    reject: slipway reject --stack ${stack} --id ${id} --by <name>`,
    ]);
  }

  try {
    const switched = config.release.live === slot;
    await step('switch', `${from} → ${slot}`, done.has('switch') && switched, async () => {
      if (!switched) {
        await handle.setConfig({ 'slipway:release': { ...config.release, live: slot } });
        config = await loadConfig(handle);
      }
      const r = await up(`switch ${from} → ${slot}`);
      await record(ctx, stack, id, 'switched', { from, to: slot });
      return changesText(r.changes);
    });
    const outputs = await urls();

    await step('verify', `${slot} live for ${config.promotion.bakeSeconds}s`, false, () =>
      verifyLive(ctx, stack, config, outcome.publicUrl!, artifact.version, alarmNamesOf(outputs, slot), timing),
    );
  } catch (e) {
    await rollBack(ctx, handle, stack, id, from, firstLine(e));
    throw new CheckFailed([`deployment ${id} failed after the switch and was rolled back to ${from}: ${firstLine(e)}`]);
  }

  await record(ctx, stack, id, 'finished', { slot });
  return outcome;
}

/** Consecutive failures to read the alarms that fail verification. */
export const SIGNAL_ERROR_LIMIT = 3;

/** Bake time: single-shot smoke checks and alarms, round after round, until bakeSeconds pass. */
async function verifyLive(ctx: DeployContext, stack: string, config: SlipwayConfig, url: string, version: string, alarms: string[], timing: Timing): Promise<string> {
  const end = ctx.now().getTime() + config.promotion.bakeSeconds * 1000;
  const signals = ctx.signals(config, stack);
  let rounds = 0;
  let signalErrors = 0;
  for (;;) {
    rounds++;
    const report = await ctx.smoke({ baseUrl: url, checks: config.app.smoke, versionPath: config.app.versionPath, expectVersion: version, deadlineMs: timing.smokeDeadlineMs, retry: false, signal: ctx.signal });
    if (!report.ok) throw new CheckFailed([`live smoke checks failed in round ${rounds}`, formatSmokeReport(report)]);
    try {
      const firing = await signals.firing(alarms);
      if (firing.length > 0) throw new CheckFailed(`alarm firing: ${firing.join(', ')}`);
      signalErrors = 0;
    } catch (e) {
      if (e instanceof CheckFailed) throw e;
      // One failed read is noise; a run of them means we are blind, and blind is not healthy.
      if (++signalErrors >= SIGNAL_ERROR_LIMIT) throw new CheckFailed(`cannot read the alarms (${SIGNAL_ERROR_LIMIT} tries): ${firstLine(e)}`);
    }
    if (ctx.now().getTime() >= end) return `${rounds} rounds clean`;
    await ctx.sleep(Math.min(timing.verifyIntervalMs, Math.max(0, end - ctx.now().getTime())), ctx.signal);
  }
}

async function rollBack(ctx: DeployContext, handle: StackHandle, stack: string, id: string, to: Slot, reason: string): Promise<void> {
  const p = ctx.progress.step('rollback', `traffic back to ${to}`);
  try {
    const config = await loadConfig(handle);
    if (config.release.live !== to) await handle.setConfig({ 'slipway:release': { ...config.release, live: to } });
    await handle.up({ message: `slipway ${id}: roll back to ${to}` });
    await record(ctx, stack, id, 'rolled-back', { to, reason, automatic: true });
    p.ok();
  } catch (e) {
    p.fail(firstLine(e));
    await record(ctx, stack, id, 'failed', { reason: `rollback to ${to} failed: ${firstLine(e)}` });
    throw new CheckFailed(`deployment ${id} failed (${reason}) and the rollback to ${to} failed too: ${firstLine(e)}; run \`slipway rollback --stack ${stack}\``);
  }
}

export async function loadConfig(handle: StackHandle): Promise<SlipwayConfig> {
  return (await loadStackConfig(handle)).config;
}

function alarmNamesOf(outputs: Record<string, unknown>, slot: Slot): string[] {
  const all = outputs.alarmNames as Record<string, string[]> | undefined;
  return all?.[slot] ?? [];
}

/** Appends one event of a deployment (or a rollback, rebuild or drill) to the stack's ledger. */
export function record<T extends EventType>(ctx: DeployContext, stack: string, deploymentId: string, type: T, data: LedgerEventData[T]) {
  return ctx.ledger.append(stack, { deploymentId, type, data } as LedgerEventInput);
}

/** The stack's declared knobs: everything but the application and the release state. */
export function knobsOf(config: SlipwayConfig): Record<string, unknown> {
  const { app: _app, release: _release, ...knobs } = config;
  return knobs;
}

/** An engine operation's changes for people: `2 create, 1 update`, or `no changes`. */
export function changesText(changes: Record<string, number>): string {
  const parts = Object.entries(changes).filter(([op, n]) => op !== 'same' && n > 0).map(([op, n]) => `${n} ${op}`);
  return parts.length ? parts.join(', ') : 'no changes';
}
