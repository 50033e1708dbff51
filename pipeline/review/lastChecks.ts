// The last result of `slipway parity` and `slipway drift` per stack, kept in `.slipway/checks/<stack>.json`
// so the console can say whether an environment was last found clean, and when. Written atomically;
// a missing or unreadable file means "not checked". Holds counts and stack names, never values.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STACK_RE } from '../ledger/events';
import { writeAtomically } from '../recovery/backupFile';

export interface CheckResult {
  /** ISO time the check ran. */
  at: string;
  clean: boolean;
  /** One line: `no drift`, `2 resources changed outside Pulumi`, `1 undeclared difference`. */
  summary: string;
  /** Parity: the stack it was compared with. */
  against?: string;
}

export interface LastChecks {
  drift?: CheckResult;
  parity?: CheckResult;
}

export function checksDir(cwd: string): string {
  return join(cwd, '.slipway', 'checks');
}

/** The file holding `stack`'s last results. */
export function checksFile(cwd: string, stack: string): string {
  return join(checksDir(cwd), `${stack}.json`);
}

/** What was last recorded for `stack`; empty when nothing was (or the file is unreadable). */
export function readLastChecks(cwd: string, stack: string): LastChecks {
  if (!STACK_RE.test(stack)) return {};
  try {
    const doc = JSON.parse(readFileSync(checksFile(cwd, stack), 'utf8')) as LastChecks;
    const ok = (r: unknown): r is CheckResult =>
      typeof r === 'object' && r !== null && typeof (r as CheckResult).at === 'string' && typeof (r as CheckResult).clean === 'boolean' && typeof (r as CheckResult).summary === 'string';
    return { ...(ok(doc.drift) ? { drift: doc.drift } : {}), ...(ok(doc.parity) ? { parity: doc.parity } : {}) };
  } catch {
    return {};
  }
}

/** Records one check's result for `stack`, keeping the other kind's. Best effort: a read-only tree records nothing. */
export function recordCheck(cwd: string, stack: string, kind: keyof LastChecks, result: CheckResult): void {
  if (!STACK_RE.test(stack)) return;
  try {
    const dir = checksDir(cwd);
    mkdirSync(dir, { recursive: true });
    const file = checksFile(cwd, stack);
    const next = { ...readLastChecks(cwd, stack), [kind]: result };
    writeAtomically(file, `${JSON.stringify(next, null, 2)}\n`, { overwrite: true, label: file, mode: 0o644 });
  } catch {
    // The check's own output already said what it found; the record is for the console only.
  }
}
