// A job's progress as server-sent events: `line` for each new log line (its number as the event id, so
// a reconnecting browser resumes with Last-Event-ID), `state` when the job starts or goes back to its
// queue, `end` when it ends. The job page's script appends lines and reloads on state and end.
import type { FastifyInstance } from 'fastify';
import { notFound } from '../httpError';
import { eventsQuery, jobParams, parseInput } from '../input';
import type { LogLine } from '../jobs/job';
import type { JobEvent } from '../jobs/manager';
import { SECURITY_HEADERS, type ConsoleContext } from '../server';
import { requireUser } from '../guard';

/** A comment line now and then keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

export function registerEvents(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get('/jobs/:job/events', async (request, reply) => {
    requireUser(request);
    const { job: id } = parseInput(jobParams, request.params, 'params');
    const q = parseInput(eventsQuery, request.query, 'query');
    const job = ctx.jobs.get(id);
    if (!job) throw notFound(`job: no job ${id}`);
    const lastId = Number(request.headers['last-event-id']);
    const from = Number.isInteger(lastId) && lastId >= 0 ? lastId + 1 : q.from;

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    const send = (event: string, data: unknown, eventId?: number) => res.write(`event: ${event}\n${eventId !== undefined ? `id: ${eventId}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
    const line = (n: number, l: LogLine) => send('line', { n, text: l.text, progress: l.progress, ...(l.step ? { step: l.step } : {}), ...(l.deployment ? { deployment: l.deployment } : {}) }, n);
    let heartbeat: NodeJS.Timeout | undefined;
    let unsubscribe = () => {};
    let open = true;
    const close = () => {
      if (!open) return;
      open = false;
      clearInterval(heartbeat);
      unsubscribe();
      res.end();
    };
    const deliver = (e: JobEvent) => {
      if (!open) return;
      if (e.type === 'line') line(e.n, e.line);
      else {
        send(e.type, { status: e.job.status, message: e.job.message ?? null });
        close();
      }
    };
    // Events that arrive before the backlog is written wait for it, so lines go out in order.
    let early: JobEvent[] | undefined = [];
    const sub = await ctx.jobs.subscribe(id, from, (e) => (early ? early.push(e) : deliver(e)));
    unsubscribe = sub.unsubscribe;
    sub.backlog.forEach((l, i) => line(from + i, l));
    for (const e of early) deliver(e);
    early = undefined;
    if (!sub.live) {
      const now = ctx.jobs.get(id)!;
      send('end', { status: now.status, message: now.message ?? null });
      close();
      return;
    }
    heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    request.raw.on('close', close);
  });
}
