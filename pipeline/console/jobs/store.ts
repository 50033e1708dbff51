// Where jobs live between console restarts: one small JSON file per job, replaced atomically (written
// to a temporary file, flushed, renamed over the old one), beside the command's own output — its
// stderr (progress and errors) in `<id>.log`, its stdout (the --json result) in `<id>.out`. The child
// writes those two files itself, so it keeps going, and its record stays readable, if the console stops.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { open, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { JOB_ID_RE } from '../input';
import type { Job } from './job';

/** Finished jobs whose files a console keeps across restarts (older ones are removed at start). */
export const JOBS_KEPT = 500;

/** Most of a log the console reads back for a page (the newest part). */
export const LOG_READ_MAX = 1024 * 1024;

export class JobStore {
  readonly dir: string;
  private readonly writes = new Map<string, Promise<void>>();

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  logFile(id: string): string {
    return join(this.dir, `${id}.log`);
  }

  outFile(id: string): string {
    return join(this.dir, `${id}.out`);
  }

  /** Writes the job's record atomically; writes of one job happen in order. */
  save(job: Job): Promise<void> {
    const body = `${JSON.stringify(job, null, 2)}\n`;
    const next = (this.writes.get(job.id) ?? Promise.resolve()).then(async () => {
      const file = join(this.dir, `${job.id}.json`);
      const tmp = `${file}.${process.pid}.tmp`;
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(body);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, file);
    });
    this.writes.set(job.id, next.catch(() => undefined));
    return next;
  }

  /** Resolves once every write begun so far has ended. */
  async flush(): Promise<void> {
    await Promise.all([...this.writes.values()]);
  }

  /** Every job recorded here; a record that cannot be read is skipped. */
  loadAll(): Job[] {
    const jobs: Job[] = [];
    for (const name of readdirSync(this.dir)) {
      const id = /^(.+)\.json$/.exec(name)?.[1];
      if (!id || !JOB_ID_RE.test(id)) continue;
      try {
        const job = JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as Job;
        if (job.id === id) jobs.push(job);
      } catch {
        /* half a record from a crash before the rename cannot exist; anything else is not ours */
      }
    }
    return jobs;
  }

  /**
   * Removes the records and output of the oldest finished jobs beyond the newest `keep` (the ledger
   * keeps what happened; these are the console's working files). Returns the ids removed.
   */
  prune(jobs: readonly Job[], keep: number): string[] {
    const done = jobs.filter((j) => j.status !== 'queued' && j.status !== 'running').sort((a, b) => b.requestedAt.localeCompare(a.requestedAt));
    const gone = done.slice(keep).map((j) => j.id);
    for (const id of gone) for (const ext of ['json', 'log', 'out']) rmSync(join(this.dir, `${id}.${ext}`), { force: true });
    return gone;
  }

  /** The log from byte `from` on: complete lines, and the offset after them. */
  async readLines(id: string, from: number): Promise<{ lines: string[]; next: number }> {
    const file = this.logFile(id);
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch {
      return { lines: [], next: from };
    }
    if (size <= from) return { lines: [], next: from };
    const start = Math.max(from, size - LOG_READ_MAX);
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      const end = buf.lastIndexOf(0x0a);
      if (end < 0) return { lines: [], next: from };
      const lines = buf.subarray(0, end).toString('utf8').split('\n');
      // Cut inside the first line when the log was longer than LOG_READ_MAX: drop the partial line.
      if (start > from) lines.shift();
      return { lines, next: start + end + 1 };
    } finally {
      await fh.close();
    }
  }

  async readOut(id: string): Promise<string> {
    return readFile(this.outFile(id), 'utf8').catch(() => '');
  }
}
