// Shared by the ledger tests: event builders, entries built without touching disk, a ticking clock, and
// a sample ledger of one approved, live deployment.
import { readFile } from 'node:fs/promises';
import { entryHash, GENESIS, type LedgerEntry, type LedgerEvent, type StartedData } from '../../pipeline/ledger/events';
import { Ledger, type LedgerOptions } from '../../pipeline/ledger/store';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const DIGEST_1 = `sha256:${'1'.repeat(64)}`;
export const DIGEST_2 = `sha256:${'2'.repeat(64)}`;
export const DIGEST_3 = `sha256:${'3'.repeat(64)}`;

export function started(id: string, over: Partial<StartedData> = {}): LedgerEvent {
  const digest = over.digest ?? DIGEST_1;
  return {
    deploymentId: id,
    type: 'started',
    data: {
      artifact: `registry.local/shop@${digest}`,
      digest,
      version: '1.0.0',
      commit: '4f2c9e1',
      configHash: `sha256:${'c'.repeat(64)}`,
      actor: 'ci',
      slot: 'green',
      from: 'blue',
      knobs: { target: 'docker', memoryMb: 256, approval: 'auto' },
      ...over,
    },
  };
}
export const step = (id: string, name: string, status: 'ok' | 'failed' | 'skipped' = 'ok', ms = 120): LedgerEvent => ({
  deploymentId: id,
  type: 'step',
  data: { name, status, startedAt: '2025-03-01T10:00:00.000Z', ms, detail: `${name} ${status}` },
});
export const ev = {
  gate: (id: string, approvers = ['bob', 'carol']): LedgerEvent => ({ deploymentId: id, type: 'gate', data: { approvers } }),
  approved: (id: string, by: string): LedgerEvent => ({ deploymentId: id, type: 'approved', data: { by, comment: 'looks good' } }),
  rejected: (id: string, by: string): LedgerEvent => ({ deploymentId: id, type: 'rejected', data: { by, reason: 'wrong build' } }),
  switched: (id: string, from: 'blue' | 'green', to: 'blue' | 'green'): LedgerEvent => ({ deploymentId: id, type: 'switched', data: { from, to } }),
  rolledBack: (id: string, to: 'blue' | 'green', reason = '5xx alarm'): LedgerEvent => ({ deploymentId: id, type: 'rolled-back', data: { to, reason, automatic: true } }),
  finished: (id: string, slot: 'blue' | 'green'): LedgerEvent => ({ deploymentId: id, type: 'finished', data: { slot } }),
  failed: (id: string, reason: string): LedgerEvent => ({ deploymentId: id, type: 'failed', data: { reason, liveUnchanged: true } }),
};

/** Entries as the ledger would write them, one second apart, without touching disk. */
export function entriesOf(events: LedgerEvent[], stack = 'prod'): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  events.forEach((e, i) => {
    const entry = {
      seq: i + 1,
      at: new Date(Date.UTC(2025, 2, 1, 10, 0, i)).toISOString(),
      stack,
      ...e,
      prev: out[i - 1]?.hash ?? GENESIS,
    };
    out.push({ ...entry, hash: entryHash(entry) } as LedgerEntry);
  });
  return out;
}

/** A clock that ticks one second per call. */
export function clock(start = '2025-03-01T10:00:00Z') {
  let t = Date.parse(start);
  return () => new Date((t += 1000));
}

/** A stack ledger of one approved, live deployment: 8 lines. */
export async function sampleLedger(dir: string, stack = 'prod', opts: LedgerOptions = {}): Promise<{ ledger: Ledger; file: string; lines: string[] }> {
  const ledger = new Ledger(dir, { now: clock(), ...opts });
  for (const e of [
    started('d1'),
    step('d1', 'deploy-idle'),
    step('d1', 'smoke-idle'),
    ev.gate('d1'),
    ev.approved('d1', 'bob'),
    ev.switched('d1', 'blue', 'green'),
    step('d1', 'verify'),
    ev.finished('d1', 'green'),
  ]) {
    await ledger.append(stack, e);
  }
  const file = ledger.file(stack);
  return { ledger, file, lines: (await readFile(file, 'utf8')).split('\n').slice(0, -1) };
}

export const linesOf = (problems: { line: number }[]) => problems.map((p) => p.line);
export const firstLine = (problems: { line: number }[]) => Math.min(...linesOf(problems));
