// A load generator for the router tests and benchmarks: continuous keep-alive GETs through a router,
// counting failures and retries, and noting when each slot first answers; plus one-off GETs.
import { Agent, request } from 'node:http';

/** One response as the load generator saw it. */
export interface Observation {
  /** `performance.now()` when the response headers arrived. */
  at: number;
  status: number;
  /** The router's slot header, '' if absent. */
  slot: string;
}

export interface LoadStats {
  /** Requests that got a final answer or failed; retries are not counted again. */
  requests: number;
  failed: number;
  /** First few failures: status codes or error messages. */
  failures: string[];
  /** Requests sent again because a reused keep-alive connection was closed before any answer. */
  retried: number;
  /** Requests whose reused keep-alive connection was reset before any answer (retried or not). */
  resets: number;
  /** Successful responses per slot. */
  bySlot: Record<string, number>;
}

export interface Load {
  stats: LoadStats;
  /** Resolves with the first successful response from `slot` whose headers arrive after `since`. */
  firstFrom(slot: string, since: number, timeoutMs: number): Promise<Observation>;
  stop(): Promise<LoadStats>;
}

type Attempt = { ok: Observation } | { error: NodeJS.ErrnoException; reused: boolean };

/**
 * Continuous GETs from `concurrency` clients over keep-alive connections, like browsers behind a
 * router. Any non-2xx status or transport error counts as failed, with one exception every HTTP client
 * makes (RFC 9112 section 9.3.1): a GET sent on a reused
 * idle connection that the server closed before answering is sent once more, on a new connection.
 * Those are counted in `retried`; if the retry fails too, the request failed. With `retry: false` the
 * client behaves like an API client or a POST: nothing is sent twice, and such a reset is a failure.
 * Either way every such reset is counted in `resets`.
 */
export function startLoad(url: string, opts: { concurrency?: number; slotHeader: string; retry?: boolean }): Load {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency ?? 4 });
  const header = opts.slotHeader.toLowerCase();
  const stats: LoadStats = { requests: 0, failed: 0, failures: [], retried: 0, resets: 0, bySlot: {} };
  const waiters = new Set<{ slot: string; since: number; resolve: (o: Observation) => void }>();
  let running = true;
  // Requests each socket has carried. Node's req.reusedSocket stays false for a request that waited
  // in the agent's queue for a kept-alive socket, so count per socket instead.
  const carried = new WeakMap<object, number>();

  const attempt = (fresh: boolean) =>
    new Promise<Attempt>((resolve) => {
      let settled = false;
      const settle = (a: Attempt) => {
        if (!settled) resolve(a);
        settled = true;
      };
      const req = request(url, { agent: fresh ? false : agent }, (res) => {
        const o: Observation = { at: performance.now(), status: res.statusCode ?? 0, slot: String(res.headers[header] ?? '') };
        res.resume();
        res.on('end', () => settle({ ok: o }));
        // An answer had started: never retried.
        res.on('error', (error) => settle({ error, reused: false }));
      });
      let reused = false;
      req.on('socket', (socket) => {
        const n = carried.get(socket) ?? 0;
        reused = n > 0;
        carried.set(socket, n + 1);
      });
      req.on('error', (error) => settle({ error, reused }));
      req.end();
    });

  const once = async () => {
    let a = await attempt(false);
    if ('error' in a && a.reused && a.error.code === 'ECONNRESET') stats.resets++;
    if ('error' in a && a.reused && a.error.code === 'ECONNRESET' && opts.retry !== false) {
      stats.retried++;
      // On a new connection: another idle one from the pool may be closing too.
      a = await attempt(true);
    }
    stats.requests++;
    if ('error' in a) return fail(`${a.error.code ?? ''} ${a.error.message}`.trim());
    const o = a.ok;
    if (o.status < 200 || o.status > 299) return fail(`HTTP ${o.status} from ${o.slot || 'unknown slot'}`);
    stats.bySlot[o.slot] = (stats.bySlot[o.slot] ?? 0) + 1;
    for (const w of waiters) {
      if (w.slot === o.slot && o.at > w.since) {
        waiters.delete(w);
        w.resolve(o);
      }
    }
  };
  const fail = (what: string) => {
    stats.failed++;
    if (stats.failures.length < 10) stats.failures.push(what);
  };
  const loop = async () => {
    while (running) await once();
  };
  const loops = Array.from({ length: opts.concurrency ?? 4 }, loop);

  return {
    stats,
    firstFrom: (slot, since, timeoutMs) =>
      new Promise((resolve, reject) => {
        const w = {
          slot,
          since,
          resolve: (o: Observation) => {
            clearTimeout(t);
            resolve(o);
          },
        };
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`no response from slot ${slot} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(w);
      }),
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return stats;
    },
  };
}

/**
 * One GET on a new connection (so a reload closing idle keep-alive connections cannot interfere):
 * status, slot header and parsed JSON body (or text).
 */
export function get(url: string, slotHeader: string): Promise<{ status: number; slot: string; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('error', reject);
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // plain text: the router's own 503 answer
        }
        resolve({ status: res.statusCode ?? 0, slot: String(res.headers[slotHeader.toLowerCase()] ?? ''), body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
