// The console's jobs: one queue per stack, one running job per stack at a time, and never while the
// stack's deployment lock is held elsewhere (a CLI run) — the queue waits and says who holds it. A job
// is the CLI command itself in a child process (runner.ts); its progress is read from its log file as
// the child writes it and handed to whoever follows the job page (server-sent events). When a job
// ends, the people concerned are told (the Notifier port, events.ts).
import { writeFileSync } from 'node:fs';
import { newDeploymentId } from '../../release/deploy';
import { firstLine } from '../../cli/errors';
import type { DeploymentNotice, NotificationKind, Notifier } from '../events';
import type { ConsoleState } from '../state';
import { commandArgs, deploymentIdOf, endingOf, errorLine, EXIT_LOCK_HELD, readLogLine, readResult, type Ending, type Job, type LogLine } from './job';
import type { DeploymentSummary } from '../../ledger/derive';
import { processAlive, type CommandRunner, type RunningCommand } from './runner';
import { JOBS_KEPT, type JobStore } from './store';

/** A new log line; the job started or went back to its queue (`state`); the job ended (`end`). */
export type JobEvent = { type: 'line'; n: number; line: LogLine } | { type: 'state' | 'end'; job: Job };
export type Listener = (e: JobEvent) => void;

export type JobRequest = Pick<Job, 'kind' | 'stack' | 'requestedBy'> & Partial<Pick<Job, 'artifact' | 'deployment' | 'resumes' | 'comment'>>;

export interface JobManagerOptions {
  store: JobStore;
  state: ConsoleState;
  runner: CommandRunner;
  notifier: Notifier;
  /** The absolute URL of a console path (links in notices). */
  urlOf: (path: string) => string;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  now?: () => Date;
  /** How often a running job's log is read, ms. */
  tailMs?: number;
  /** How often a queue blocked by a lock held elsewhere looks again, ms. */
  retryMs?: number;
  warn?: (line: string) => void;
}

interface Followed {
  lines: LogLine[];
  offset: number;
  child?: RunningCommand;
  pid?: number;
  done: Promise<void>;
}

export class JobManager {
  private readonly jobs = new Map<string, Job>();
  private readonly followed = new Map<string, Followed>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private readonly now: () => Date;
  private stopping = false;

  constructor(private readonly opts: JobManagerOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  /** Loads the jobs an earlier console left: a job still running is followed again, one whose process is gone is settled. */
  async init(): Promise<void> {
    const all = this.opts.store.loadAll();
    const pruned = new Set(this.opts.store.prune(all, JOBS_KEPT));
    for (const job of all.filter((j) => !pruned.has(j.id)).sort((a, b) => a.requestedAt.localeCompare(b.requestedAt))) {
      this.jobs.set(job.id, job);
      // What jobs learnt of a stack's URLs (an AWS stack's load balancer) outlives the process.
      this.opts.state.learnUrls(job.stack, job);
      if (job.status === 'queued') await this.settle(job, { status: 'interrupted', message: 'the console stopped before it started; ask again' });
      else if (job.status === 'running') {
        if (job.pid !== undefined && processAlive(job.pid)) this.follow(job, watchPid(job.pid), undefined);
        else await this.finish(job, undefined);
      }
    }
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** Newest first. */
  list(filter: (j: Job) => boolean = () => true): Job[] {
    return [...this.jobs.values()].filter(filter).sort((a, b) => b.requestedAt.localeCompare(a.requestedAt) || b.id.localeCompare(a.id));
  }

  /** The stack's running job and its queue, in the order they run. */
  active(stack: string): Job[] {
    return this.list((j) => j.stack === stack && (j.status === 'running' || j.status === 'queued')).reverse();
  }

  async enqueue(request: JobRequest): Promise<Job> {
    let id = `j-${newDeploymentId(this.now()).slice(2)}`;
    while (this.jobs.has(id)) id = `j-${newDeploymentId(this.now()).slice(2)}`;
    const job: Job = { ...request, id, requestedAt: this.now().toISOString(), status: 'queued' };
    this.jobs.set(id, job);
    await this.opts.store.save(job);
    this.pump(job.stack);
    return job;
  }

  /** Cancels a job that has not started. */
  async cancel(job: Job, by: string): Promise<void> {
    job.cancelledBy = by;
    await this.settle(job, { status: 'cancelled', message: `cancelled by ${by} before it started` });
    this.pump(job.stack);
  }

  /** The job's log so far, read; for a job being followed, exactly what its listeners were sent. */
  async lines(id: string): Promise<LogLine[]> {
    const f = this.followed.get(id);
    if (f) return f.lines;
    const { lines } = await this.opts.store.readLines(id, 0);
    return lines.map(readLogLine);
  }

  /**
   * Lines from `from` on, then (for a job being followed) every new line and its end. Synchronous
   * between the backlog and the subscription, so nothing is missed or sent twice.
   */
  async subscribe(id: string, from: number, listener: Listener): Promise<{ backlog: LogLine[]; live: boolean; unsubscribe: () => void }> {
    const listen = () => {
      const set = this.listeners.get(id) ?? new Set();
      set.add(listener);
      this.listeners.set(id, set);
    };
    const unsubscribe = () => void this.listeners.get(id)?.delete(listener);
    if (!this.followed.has(id)) {
      const lines = await this.lines(id);
      // Still not started after the read: a queued job's listeners hear when it starts.
      if (!this.followed.has(id)) {
        const live = this.jobs.get(id)?.status === 'queued';
        if (live) listen();
        return { backlog: lines.slice(from), live, unsubscribe };
      }
    }
    listen();
    return { backlog: this.followed.get(id)!.lines.slice(from), live: true, unsubscribe };
  }

  /** Stops every job with SIGTERM (the pipeline records the interruption) and waits for them, up to `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    for (const t of this.retries.values()) clearTimeout(t);
    for (const job of this.list((j) => j.status === 'queued')) await this.settle(job, { status: 'interrupted', message: 'the console stopped before it started; ask again' });
    const waits = [...this.followed.values()].map((f) => {
      if (f.child) f.child.kill('SIGTERM');
      else if (f.pid !== undefined) process.kill(f.pid, 'SIGTERM');
      return f.done;
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(waits), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    await this.opts.store.flush();
  }

  /** Saves a job's record without waiting; a failed write is reported, the job carries on. */
  private persist(job: Job): void {
    this.opts.store.save(job).catch((e: unknown) => this.warn(`console: could not record job ${job.id}: ${firstLine(e)}`));
  }

  private warn(line: string): void {
    (this.opts.warn ?? ((l: string) => process.stderr.write(`${l}\n`)))(line);
  }

  /** Starts the stack's next job when nothing of it runs and nobody else holds its lock. */
  private pump(stack: string): void {
    if (this.stopping || this.list((j) => j.stack === stack && j.status === 'running').length > 0) return;
    const next = this.active(stack).find((j) => j.status === 'queued');
    if (!next) return;
    clearTimeout(this.retries.get(stack));
    const holder = this.opts.state.lockHolder(stack);
    if (holder) {
      const message = `waiting: ${stack} is being deployed by ${holder.actor ?? 'someone'} (deployment ${holder.deploymentId ?? '?'}, pid ${holder.pid ?? '?'} on ${holder.host ?? '?'})`;
      if (next.message !== message) {
        next.message = message;
        this.persist(next);
      }
      this.retries.set(stack, setTimeout(() => this.pump(stack), this.opts.retryMs ?? 1000));
      return;
    }
    this.start(next);
  }

  private start(job: Job): void {
    job.status = 'running';
    job.startedAt = this.now().toISOString();
    delete job.message;
    const { store } = this.opts;
    writeFileSync(store.outFile(job.id), '', { mode: 0o600 });
    let child: RunningCommand;
    try {
      child = this.opts.runner(commandArgs(job), { cwd: this.opts.cwd, env: this.opts.env, logFile: store.logFile(job.id), outFile: store.outFile(job.id) });
    } catch (e) {
      void this.settle(job, { status: 'failed', message: `could not start: ${firstLine(e)}` }).then(() => this.pump(job.stack));
      return;
    }
    if (child.pid !== undefined) job.pid = child.pid;
    this.persist(job);
    this.changed(job, 'state');
    this.follow(job, child.exited, child);
  }

  /** Reads the job's log as it grows until `exited` settles, then finishes the job. */
  private follow(job: Job, exited: Promise<number | null | undefined>, child: RunningCommand | undefined): void {
    const f: Followed = { lines: [], offset: 0, done: Promise.resolve(), ...(child ? { child } : {}), ...(job.pid !== undefined ? { pid: job.pid } : {}) };
    this.followed.set(job.id, f);
    let busy: Promise<void> | undefined;
    const readMore = async () => {
      const { lines, next } = await this.opts.store.readLines(job.id, f.offset);
      f.offset = next;
      for (const raw of lines) {
        const line = readLogLine(raw);
        if (line.deployment && !job.deployment) job.deployment = line.deployment;
        f.lines.push(line);
        this.emit(job.id, { type: 'line', n: f.lines.length - 1, line });
      }
    };
    // One read at a time; a tick that finds one under way skips.
    const read = () => (busy ??= readMore().catch(() => undefined).finally(() => (busy = undefined)));
    const timer = setInterval(() => void read(), this.opts.tailMs ?? 100);
    f.done = exited.then(async (code) => {
      clearInterval(timer);
      await read();
      await read(); // what was written after the read under way began
      await this.finish(job, code);
    });
  }

  /** Settles a job whose command ended (`code` undefined: ended unseen, while no console watched it). */
  private async finish(job: Job, code: number | null | undefined): Promise<void> {
    const lines = await this.lines(job.id);
    this.followed.delete(job.id);
    const stdout = await this.opts.store.readOut(job.id);
    const id = deploymentIdOf(job, readResult(stdout), lines);
    const view = await this.opts.state.ledgerView(job.stack).catch(() => undefined);
    const deployment = id ? view?.byId.get(id) : undefined;
    if (code === EXIT_LOCK_HELD && !this.stopping) {
      // Another slipway took the stack between our look at its lock and the command's: wait again.
      job.status = 'queued';
      job.message = `waiting: ${errorLine(lines) ?? 'the stack is locked'}`;
      await this.opts.store.save(job);
      this.changed(job, 'state');
      this.retries.set(job.stack, setTimeout(() => this.pump(job.stack), this.opts.retryMs ?? 1000));
      return;
    }
    const ending = endingOf(job, code, stdout, lines, deployment);
    job.exitCode = code ?? null;
    this.opts.state.learnUrls(job.stack, ending);
    await this.settle(job, ending);
    await this.notify(job, ending, deployment);
    this.pump(job.stack);
  }

  private async settle(job: Job, ending: Partial<Ending> & Pick<Ending, 'status' | 'message'>): Promise<void> {
    Object.assign(job, ending, { endedAt: this.now().toISOString() });
    await this.opts.store.save(job);
    this.changed(job, 'end');
  }

  /** Tells the job's listeners its state changed (their page is out of date) and lets them go. */
  private changed(job: Job, type: 'state' | 'end'): void {
    this.emit(job.id, { type, job });
    this.listeners.delete(job.id);
  }

  private emit(id: string, e: JobEvent): void {
    for (const l of this.listeners.get(id) ?? []) {
      try {
        l(e);
      } catch {
        /* a listener that fails (a closed connection) is its own problem */
      }
    }
  }

  /** Tells the requester (and approvers) how a deployment they asked for, or approved, ended. */
  private async notify(job: Job, ending: Ending, d: DeploymentSummary | undefined): Promise<void> {
    if (job.kind !== 'deploy' && job.kind !== 'approve') return;
    const kinds: Partial<Record<Job['status'], NotificationKind>> = { succeeded: 'ready', failed: 'failed', 'awaiting-approval': 'awaiting-approval' };
    const kind = kinds[ending.status];
    if (!kind) return;
    const overview = await this.opts.state.overview(job.stack).catch(() => undefined);
    const notice: DeploymentNotice = {
      kind,
      stack: job.stack,
      deployment: ending.deployment ?? job.id,
      version: job.artifact?.version ?? d?.version ?? '',
      digest: job.artifact?.digest ?? d?.digest ?? '',
      requester: job.kind === 'approve' ? d?.actor || job.requestedBy : job.requestedBy,
      approvers: kind === 'awaiting-approval' ? (d?.gate?.approvers ?? overview?.approvers ?? []) : [],
      consoleUrl: this.opts.urlOf(ending.deployment ? `/stacks/${job.stack}/deployments/${ending.deployment}` : `/jobs/${job.id}`),
      at: this.now().toISOString(),
      ...((ending.publicUrl ?? overview?.urls.publicUrl) ? { appUrl: ending.publicUrl ?? overview!.urls.publicUrl! } : {}),
      ...(kind === 'failed' ? { reason: ending.message } : {}),
    };
    try {
      await this.opts.notifier.notify(notice);
    } catch (e) {
      this.warn(`console: notification for ${job.id} failed: ${firstLine(e)}`);
    }
  }
}

/** Settles (with no exit code) once a process of an earlier console is gone. */
function watchPid(pid: number, everyMs = 500): Promise<undefined> {
  return new Promise((resolve) => {
    const t = setInterval(() => {
      if (!processAlive(pid)) {
        clearInterval(t);
        resolve(undefined);
      }
    }, everyMs);
  });
}
