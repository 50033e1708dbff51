// What a ledger means (pipeline/ledger/derive.ts): deployments, what is live, what waits at a gate.
import { describe, expect, it } from 'vitest';
import { currentLive, deployments, pendingApprovals } from '../../pipeline/ledger/derive';
import type { LedgerEntry, LedgerEvent } from '../../pipeline/ledger/events';
import { DIGEST_1, DIGEST_2, entriesOf, ev, started, step } from './fixtures';

describe('deployments, currentLive, pendingApprovals', () => {
  /** d1 went live automatically (blue → green). */
  const first: LedgerEvent[] = [started('d1'), step('d1', 'deploy-idle'), step('d1', 'smoke-idle'), ev.switched('d1', 'blue', 'green'), step('d1', 'verify'), ev.finished('d1', 'green')];
  const second = (id: string) => started(id, { digest: DIGEST_2, version: '2.0.0', slot: 'blue', from: 'green', actor: 'alice' });
  const byId = (entries: LedgerEntry[], id: string) => deployments(entries).find((d) => d.id === id)!;

  it('automatic promotion: live, with what runs, since the switch, approved by nobody', () => {
    const entries = entriesOf(first);
    const [d] = deployments(entries);
    expect(d).toMatchObject({
      id: 'd1', stack: 'prod', status: 'live', kind: 'deploy', artifact: `registry.local/shop@${DIGEST_1}`, digest: DIGEST_1,
      version: '1.0.0', commit: '4f2c9e1', actor: 'ci', slot: 'green', from: 'blue', approvals: [],
      startedAt: entries[0]!.at, finishedAt: entries[5]!.at, liveSince: entries[3]!.at,
    });
    expect(d!.steps).toEqual([{ name: 'deploy-idle', status: 'ok', ms: 120 }, { name: 'smoke-idle', status: 'ok', ms: 120 }, { name: 'verify', status: 'ok', ms: 120 }]);
    expect(currentLive(entries)).toEqual({ deployment: d, since: entries[3]!.at, approvedBy: [] });
  });

  it('approval gate: awaiting approval, then approved → live, approved by the approver', () => {
    const waiting = [...first, second('d2'), step('d2', 'smoke-idle'), ev.gate('d2')];
    let entries = entriesOf(waiting);
    expect(byId(entries, 'd2').status).toBe('awaiting-approval');
    expect(pendingApprovals(entries)).toEqual([{ deployment: byId(entries, 'd2'), since: entries[8]!.at, approvers: ['bob', 'carol'] }]);
    expect(currentLive(entries)?.deployment.id).toBe('d1');

    entries = entriesOf([...waiting, ev.approved('d2', 'bob')]);
    expect(byId(entries, 'd2').status).toBe('running');
    expect(pendingApprovals(entries)).toEqual([]);

    entries = entriesOf([...waiting, ev.approved('d2', 'bob'), ev.switched('d2', 'green', 'blue'), ev.finished('d2', 'blue')]);
    const live = currentLive(entries)!;
    expect(live.deployment).toMatchObject({ id: 'd2', status: 'live', version: '2.0.0', slot: 'blue' });
    expect(live.approvedBy).toEqual(['bob']);
    expect(live.deployment.approvals).toEqual([{ by: 'bob', at: entries[9]!.at, comment: 'looks good' }]);
    expect(live.since).toBe(entries[10]!.at);
    expect(byId(entries, 'd1').status).toBe('superseded');
  });

  it('rejected at the gate: rejected, and production stays on the previous release', () => {
    const entries = entriesOf([...first, second('d2'), ev.gate('d2'), ev.rejected('d2', 'carol')]);
    expect(byId(entries, 'd2')).toMatchObject({ status: 'rejected', rejection: { by: 'carol', comment: 'wrong build' }, reason: 'wrong build' });
    expect(pendingApprovals(entries)).toEqual([]);
    expect(currentLive(entries)?.deployment).toMatchObject({ id: 'd1', status: 'live' });
  });

  it('failed before the switch: failed, and production stays on the previous release', () => {
    const entries = entriesOf([...first, second('d2'), step('d2', 'smoke-idle', 'failed'), ev.failed('d2', 'smoke tests failed on the idle slot blue')]);
    expect(byId(entries, 'd2')).toMatchObject({ status: 'failed', reason: 'smoke tests failed on the idle slot blue', steps: [{ name: 'smoke-idle', status: 'failed', ms: 120 }] });
    expect(currentLive(entries)).toMatchObject({ deployment: { id: 'd1', status: 'live' }, since: entriesOf(first)[3]!.at });
  });

  it('rolled back after the switch: rolled-back, and the previous release is live again since the rollback', () => {
    const entries = entriesOf([...first, second('d2'), ev.switched('d2', 'green', 'blue'), step('d2', 'verify', 'failed'), ev.rolledBack('d2', 'green')]);
    expect(byId(entries, 'd2')).toMatchObject({ status: 'rolled-back', reason: '5xx alarm' });
    expect(currentLive(entries)).toMatchObject({ deployment: { id: 'd1', status: 'live' }, since: entries[9]!.at });
  });

  it('a rollback whose switch back failed leaves the failed deployment serving traffic', () => {
    const entries = entriesOf([...first, second('d2'), ev.switched('d2', 'green', 'blue'), ev.failed('d2', 'rollback to green failed: engine down')]);
    expect(currentLive(entries)?.deployment).toMatchObject({ id: 'd2', status: 'failed' });
    expect(byId(entries, 'd1').status).toBe('superseded');
  });

  it('a separate rollback run moves production back to the release in the other slot', () => {
    const rollback = started('r1', { kind: 'rollback', digest: DIGEST_1, version: '1.0.0', slot: 'green', from: 'blue', actor: 'alice' });
    const entries = entriesOf([...first, second('d2'), ev.switched('d2', 'green', 'blue'), ev.finished('d2', 'blue'), rollback, ev.rolledBack('r1', 'green', 'requested by alice')]);
    expect(byId(entries, 'd2')).toMatchObject({ status: 'rolled-back', reason: 'r1: requested by alice' });
    expect(byId(entries, 'r1')).toMatchObject({ kind: 'rollback', status: 'rolled-back' });
    expect(currentLive(entries)).toMatchObject({ deployment: { id: 'd1', status: 'live' }, since: entries.at(-1)!.at });
  });

  it('a resumed step replaces its earlier result; unknown event types are ignored by the fold', () => {
    const note = { deploymentId: 'd1', type: 'note', data: { text: 'from a newer slipway' } } as unknown as LedgerEvent;
    const entries = entriesOf([started('d1'), step('d1', 'deploy-idle', 'failed', 5), note, step('d1', 'deploy-idle', 'ok', 7)]);
    expect(byId(entries, 'd1')).toMatchObject({ status: 'running', steps: [{ name: 'deploy-idle', status: 'ok', ms: 7 }] });
  });

  it('nothing live before anything finished or switched', () => {
    expect(currentLive(entriesOf([started('d1'), step('d1', 'deploy-idle')]))).toBeUndefined();
    expect(currentLive([])).toBeUndefined();
  });
});
