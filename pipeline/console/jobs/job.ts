// A console job: one run of a `slipway` command (deploy, approve, reject, rollback) as a child process,
// exactly as a person would type it, with the signed-in user as its actor. This module is pure: the
// command line a job runs, how its progress lines read, and what its ending means.
import type { DeploymentSummary } from '../../ledger/derive';
import { printable } from '../../ledger/events';

export type JobKind = 'deploy' | 'approve' | 'reject' | 'rollback';

export type JobStatus =
  /** Waiting for the stack: another job of this console, or a deployment lock held elsewhere. */
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'awaiting-approval'
  | 'failed'
  /** Stopped before it finished (the console stopped, or the process was killed): run it again to resume. */
  | 'interrupted'
  | 'cancelled';

export const ACTIVE: readonly JobStatus[] = ['queued', 'running'];

export interface JobArtifact {
  ref: string;
  version: string;
  digest: string;
}

export interface Job {
  id: string;
  kind: JobKind;
  stack: string;
  /** The signed-in user who asked: the command's --actor / --by. */
  requestedBy: string;
  requestedAt: string;
  artifact?: JobArtifact;
  /** The ledger's deployment id: given for approve and reject, learnt from the run for deploy and rollback. */
  deployment?: string;
  /** The interrupted deployment this deploy job resumes. */
  resumes?: string;
  /** Approval comment or rejection reason. */
  comment?: string;
  status: JobStatus;
  startedAt?: string;
  endedAt?: string;
  pid?: number;
  /** Exit code of the command (null: killed by a signal or not seen, the console was not running). */
  exitCode?: number | null;
  /** One line: the outcome, or why it waits. */
  message?: string;
  publicUrl?: string;
  testUrl?: string;
  cancelledBy?: string;
}

/** The `slipway` arguments a job runs. Values go as `--flag=value`, so none can read as a flag. */
export function commandArgs(job: Job): string[] {
  const stack = `--stack=${job.stack}`;
  switch (job.kind) {
    case 'deploy':
      return ['deploy', stack, `--artifact=${job.artifact!.ref}`, `--app-version=${job.artifact!.version}`, `--actor=${job.requestedBy}`, '--json'];
    case 'approve':
    case 'reject':
      return [job.kind, stack, `--id=${job.deployment!}`, `--by=${job.requestedBy}`, ...(job.comment ? [`--comment=${job.comment}`] : []), '--json'];
    case 'rollback':
      return ['rollback', stack, `--actor=${job.requestedBy}`, '--json'];
  }
}

/** A step as `--json` progress reports it (pipeline/release/progress.ts). */
export interface StepEvent {
  name: string;
  status: 'started' | 'ok' | 'failed' | 'skipped';
  detail?: string;
  ms?: number;
  result?: string;
  reason?: string;
}

/** One line of a job's log (the command's stderr), read. */
export interface LogLine {
  /** For people, control characters escaped. */
  text: string;
  step?: StepEvent;
  /** A deployment id the run announced. */
  deployment?: string;
  /** False for a line that is not progress JSON: warnings and the command's error lines. */
  progress: boolean;
}

const MARKS: Record<StepEvent['status'], string> = { started: '▸', ok: '✓', failed: '✗', skipped: '·' };

export function readLogLine(raw: string): LogLine {
  let v: unknown;
  try {
    v = raw.startsWith('{') ? JSON.parse(raw) : undefined;
  } catch {
    v = undefined;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { text: printable(raw), progress: false };
  const o = v as Record<string, unknown>;
  const str = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  if (typeof o.info === 'string') {
    const deployment = str('deployment');
    return { text: printable(o.info), progress: true, ...(deployment ? { deployment } : {}) };
  }
  const name = str('step');
  const status = str('status') as StepEvent['status'] | undefined;
  if (!name || !status || !(status in MARKS)) return { text: printable(raw), progress: false };
  const step: StepEvent = { name, status };
  for (const k of ['detail', 'result', 'reason'] as const) if (str(k) !== undefined) step[k] = str(k);
  if (typeof o.ms === 'number') step.ms = o.ms;
  const label = step.detail ? `${name} (${step.detail})` : name;
  const time = step.ms !== undefined ? ` ${(step.ms / 1000).toFixed(1)}s` : '';
  const tail = step.result ? ` — ${step.result}` : step.reason ? ` — ${status === 'skipped' ? 'skipped: ' : ''}${step.reason}` : '';
  return { text: printable(`${MARKS[status]} ${label}${status === 'started' ? ' …' : time}${tail}`), step, progress: true };
}

/** The first line of the command's closing error block (its last lines that are not progress). */
export function errorLine(lines: readonly LogLine[]): string | undefined {
  let i = lines.length;
  while (i > 0 && !lines[i - 1]!.progress) i--;
  return lines.slice(i).find((l) => l.text.trim() !== '')?.text;
}

/** The latest state of each step, in the order they first ran. */
export function stepsOf(lines: readonly LogLine[]): StepEvent[] {
  const steps = new Map<string, StepEvent>();
  for (const l of lines) if (l.step) steps.set(l.step.name, l.step);
  return [...steps.values()];
}

/** What the command printed on stdout with --json, when it is one JSON object. */
export function readResult(stdout: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(stdout) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The exit code `slipway` uses when another deployment holds the stack (pipeline/cli/errors.ts). */
export const EXIT_LOCK_HELD = 4;
const EXIT_AWAITING = 3;

export interface Ending {
  status: JobStatus;
  message: string;
  deployment?: string;
  publicUrl?: string;
  testUrl?: string;
}

/** The ledger deployment a job ran: its --json result says, else the job knew, else its progress named it. */
export function deploymentIdOf(job: Job, result: Record<string, unknown> | undefined, lines: readonly LogLine[]): string | undefined {
  return (typeof result?.deploymentId === 'string' ? result.deploymentId : undefined) ?? job.deployment ?? lines.filter((l) => l.deployment).at(-1)?.deployment;
}

/**
 * What a finished job means, from its exit code (undefined when the console did not see the process
 * end), what it printed, and its deployment as the ledger now tells it.
 */
export function endingOf(job: Job, exitCode: number | null | undefined, stdout: string, lines: readonly LogLine[], deployment: DeploymentSummary | undefined): Ending {
  const result = readResult(stdout);
  const urls = {
    ...(typeof result?.publicUrl === 'string' && result.publicUrl ? { publicUrl: result.publicUrl } : {}),
    ...(typeof result?.testUrl === 'string' && result.testUrl ? { testUrl: result.testUrl } : {}),
  };
  const id = deploymentIdOf(job, result, lines);
  const base = { ...(id ? { deployment: id } : {}), ...urls };
  const error = errorLine(lines);
  const version = job.artifact?.version ?? deployment?.version ?? '';
  if (result?.status === 'awaiting-approval' || exitCode === EXIT_AWAITING) {
    return { ...base, status: 'awaiting-approval', message: `${version} is ready in the idle slot and waits for approval` };
  }
  if (exitCode === 0 || (exitCode === undefined && result)) {
    const messages: Record<JobKind, string> = {
      deploy: `${version} is live on ${job.stack}${typeof result?.slot === 'string' ? ` (slot ${result.slot})` : ''}`,
      approve: `${version} is live on ${job.stack}, approved by ${job.requestedBy}`,
      reject: `deployment ${job.deployment ?? '?'} rejected by ${job.requestedBy}; production unchanged`,
      rollback: typeof result?.to === 'string' ? `traffic back on ${result.to} (${String(result.version ?? '?')})` : 'rolled back',
    };
    return { ...base, status: 'succeeded', message: messages[job.kind] };
  }
  const open = deployment && (job.kind === 'deploy' || job.kind === 'approve') && deployment.status === 'running';
  if (open) return { ...base, status: 'interrupted', message: `interrupted${error ? `: ${error}` : ''}; the same deployment again resumes ${deployment.id}` };
  if (exitCode === undefined && deployment) {
    if (deployment.status === 'awaiting-approval') return { ...base, status: 'awaiting-approval', message: `${version} waits for approval` };
    if (deployment.status === 'live' || deployment.status === 'superseded') return { ...base, status: 'succeeded', message: `${version} went live on ${job.stack}` };
    return { ...base, status: 'failed', message: `${deployment.status}${deployment.reason ? `: ${deployment.reason}` : ''}` };
  }
  if (exitCode === undefined) return { ...base, status: 'interrupted', message: 'ended while the console was not running; its log shows how far it got' };
  return { ...base, status: 'failed', message: error ?? `exit code ${exitCode ?? '(killed by a signal)'}` };
}
