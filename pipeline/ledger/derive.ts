// What a ledger means, derived by pure folds over its entries: one summary per deployment, what serves
// production now and since when, and what waits at a gate. Used by history, status and the pipeline.
import type { Slot } from '../../stacks/schema';
import type { LedgerEntry, StartedData, StepStatus } from './events';

export type DeploymentStatus =
  | 'running'
  | 'awaiting-approval'
  /** Serving production now. */
  | 'live'
  /** Went live, then a later deployment replaced it. */
  | 'superseded'
  | 'rolled-back'
  | 'rejected'
  | 'failed'
  /** A rebuild or drill that ended with its smoke checks passing (no release went live). */
  | 'recovered';

export interface Decision {
  by: string;
  at: string;
  comment?: string;
}

/** Image reference, digest, version… come from `started` ('' only when the ledger lacks that entry). */
export interface DeploymentSummary extends Pick<StartedData, 'artifact' | 'digest' | 'version' | 'commit' | 'configHash' | 'actor'> {
  id: string;
  stack: string;
  status: DeploymentStatus;
  /**
   * `rollback`: a switch back to the warm slot, not a new release; `recovery`: `slipway rebuild`;
   * `drill`: `slipway drill`. Neither recovery nor drill changes what serves production.
   */
  kind: 'deploy' | 'rollback' | 'recovery' | 'drill';
  /** A rebuild or drill: how it found the environment, and its measured recovery time. */
  recovery?: { mode: string; ms: number; rebuilt: number; source?: string };
  /** The slot the release went to. */
  slot?: Slot;
  /** The slot that was live when it started. */
  from?: Slot;
  approvals: Decision[];
  /** Who carried the deployment on after an interrupt, and when (each run after the first). */
  resumes?: Decision[];
  rejection?: Decision;
  /** The open or last gate. */
  gate?: { at: string; approvers: string[] };
  /** Latest result per step name, in the order the steps first ran (a resumed run replaces a result). */
  steps: { name: string; status: StepStatus; ms: number }[];
  startedAt: string;
  finishedAt?: string;
  /** When it last started serving production (a rollback to it counts). */
  liveSince?: string;
  /** Why it failed, was rejected or rolled back. */
  reason?: string;
}

/**
 * Folds entries into one summary per deployment, oldest first. A deployment's status follows its own
 * events; who serves production follows `switched` (and `finished` without a switch) and is undone
 * by `rolled-back`, which makes the deployment that last filled the rolled-back-to slot live again.
 */
export function deployments(entries: readonly LedgerEntry[]): DeploymentSummary[] {
  return fold(entries).all;
}

function fold(entries: readonly LedgerEntry[]): { all: DeploymentSummary[]; current?: DeploymentSummary } {
  const byId = new Map<string, DeploymentSummary>();
  // Deployments that took production traffic, most recent last.
  const taken: DeploymentSummary[] = [];
  const goLive = (d: DeploymentSummary, at: string) => {
    const i = taken.indexOf(d);
    if (i >= 0) taken.splice(i, 1);
    taken.push(d);
    d.liveSince = at;
  };

  for (const e of entries) {
    let d = byId.get(e.deploymentId);
    if (!d) {
      d = {
        id: e.deploymentId, stack: e.stack, status: 'running', kind: 'deploy', artifact: '', digest: '', version: '',
        configHash: '', actor: '', approvals: [], steps: [], startedAt: e.at,
      };
      byId.set(e.deploymentId, d);
    }
    switch (e.type) {
      case 'started': {
        const s = e.data;
        Object.assign(d, {
          kind: s.kind ?? 'deploy', artifact: s.artifact, digest: s.digest, version: s.version, commit: s.commit,
          configHash: s.configHash ?? '', actor: s.actor, slot: s.slot, from: s.from, status: 'running',
        });
        // Started again: a re-run resumes this deployment, so it is open once more.
        delete d.finishedAt;
        delete d.reason;
        break;
      }
      case 'step': {
        const step = { name: e.data.name, status: e.data.status, ms: e.data.ms };
        const i = d.steps.findIndex((s) => s.name === step.name);
        if (i >= 0) d.steps[i] = step;
        else d.steps.push(step);
        break;
      }
      case 'gate':
        d.status = 'awaiting-approval';
        d.gate = { at: e.at, approvers: e.data.approvers };
        break;
      case 'approved':
        d.approvals.push(e.data.comment === undefined ? { by: e.data.by, at: e.at } : { by: e.data.by, at: e.at, comment: e.data.comment });
        if (d.status === 'awaiting-approval') d.status = 'running';
        break;
      case 'resumed':
        (d.resumes ??= []).push({ by: e.data.by, at: e.at });
        break;
      case 'rejected':
        d.rejection = e.data.reason === undefined ? { by: e.data.by, at: e.at } : { by: e.data.by, at: e.at, comment: e.data.reason };
        d.status = 'rejected';
        d.reason = e.data.reason;
        d.finishedAt = e.at;
        break;
      case 'switched':
        d.slot = e.data.to;
        goLive(d, e.at);
        break;
      case 'rolled-back': {
        d.status = 'rolled-back';
        d.reason = e.data.reason;
        d.finishedAt = e.at;
        const own = taken.indexOf(d);
        if (own >= 0) taken.splice(own, 1);
        // A rollback run of its own (not the failing deployment) takes traffic away from whatever
        // held the other slot: that deployment is rolled back too.
        while (taken.length > 0 && taken[taken.length - 1]!.slot !== e.data.to) {
          const off = taken.pop()!;
          if (off.status === 'live') {
            off.status = 'rolled-back';
            off.reason = `${d.id}: ${e.data.reason}`;
          }
        }
        const back = taken[taken.length - 1];
        if (back) back.liveSince = e.at;
        break;
      }
      case 'finished':
        // A rollback or rejection is the outcome even if the pipeline reports finishing after it.
        if (d.status !== 'rolled-back' && d.status !== 'rejected') {
          d.status = 'live';
          d.slot = e.data.slot ?? d.slot;
          if (taken[taken.length - 1] !== d) goLive(d, e.at);
        }
        d.finishedAt = e.at;
        break;
      case 'recovered':
        d.status = 'recovered';
        d.recovery = { mode: e.data.mode, ms: e.data.ms, rebuilt: e.data.rebuilt, ...(e.data.source ? { source: e.data.source } : {}) };
        d.finishedAt = e.at;
        break;
      case 'failed':
        if (d.status !== 'rolled-back') d.status = 'failed';
        d.reason = e.data.reason;
        d.finishedAt = e.at;
        break;
      default:
        // An event type from a newer Slipway: recorded and verified, not summarised.
        break;
    }
  }

  const current = taken[taken.length - 1];
  const all = [...byId.values()];
  for (const d of all) {
    if (d.status === 'live' && d !== current) d.status = 'superseded';
  }
  return { all, current };
}

export interface LiveRelease {
  deployment: DeploymentSummary;
  /** Since when it serves production. */
  since: string;
  /** Who approved it (empty under automatic promotion). */
  approvedBy: string[];
}

/**
 * What serves production: the deployment that last took traffic and was not rolled back, whatever
 * its own status (one still baking, or one whose rollback failed, does serve traffic).
 */
export function currentLive(entries: readonly LedgerEntry[]): LiveRelease | undefined {
  const { current } = fold(entries);
  if (!current) return undefined;
  return { deployment: current, since: current.liveSince ?? current.startedAt, approvedBy: current.approvals.map((a) => a.by) };
}

export interface PendingApproval {
  deployment: DeploymentSummary;
  /** When the gate opened. */
  since: string;
  approvers: string[];
}

/** Deployments waiting at a gate, oldest first. */
export function pendingApprovals(entries: readonly LedgerEntry[]): PendingApproval[] {
  return deployments(entries)
    .filter((d) => d.status === 'awaiting-approval')
    .map((d) => ({ deployment: d, since: d.gate?.at ?? d.startedAt, approvers: d.gate?.approvers ?? [] }));
}

/**
 * Why traffic may not go back to `slot`, which holds the image `digest` (undefined when it may): a
 * rollback returns to a release that served production before. The deployment that last put this
 * image into the slot must have gone live; one waiting for approval, rejected, or failed before its
 * switch never did, and a rollback must not become a way around its gate or its checks. A slot no
 * deployment in the ledger filled (a stack set up before its ledger) is not refused.
 */
export function rollbackTargetProblem(all: readonly DeploymentSummary[], slot: Slot, digest: string): string | undefined {
  const filled = all.filter((d) => d.kind === 'deploy' && d.slot === slot && d.digest === digest);
  const last = filled[filled.length - 1];
  if (!last || last.liveSince) return undefined;
  return `slot ${slot} holds ${last.version} from deployment ${last.id}, which never served production (${last.status}); ${
    last.status === 'awaiting-approval' ? 'an approver approves it' : 'deploy a release'
  } instead of rolling back to it`;
}
