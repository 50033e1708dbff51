// Real HTTP servers on 127.0.0.1 for tests, with programmable behaviour: healthy, wrong version,
// failing, slow, hanging, flapping while warming up, or not listening at all. Real sockets, so the
// code under test sees exactly what it would see from a slot (refused connections included).
//
//   const servers = new TestServers();
//   afterAll(() => servers.closeAll());
//   const app = await servers.start({ routes: appRoutes({ version: '1.2.3' }) });
//   fetch(app.url + '/version');
import { freePort } from './ports';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** What to answer one request with. */
export interface Reply {
  /** Default 200. */
  status?: number;
  /** A string is sent as text/plain, anything else as JSON. Default: empty. */
  body?: unknown;
  /** Wait this long before answering. */
  delayMs?: number;
  headers?: Record<string, string>;
}

/** Context a responder sees: which request this is, counted per path from 1, and the server's age. */
export interface RequestInfo {
  path: string;
  n: number;
  ageMs: number;
}

/** `hang` never answers (until the server closes); `reset` destroys the socket without answering. */
export type Responder = (req: RequestInfo) => Reply | 'hang' | 'reset';

export interface ServerOptions {
  /** Behaviour per path (query string ignored). Other paths answer 404. */
  routes: Record<string, Reply | Responder>;
  /**
   * Do not listen for this long after `start` returns: until then connections are refused, the way
   * a slot whose process has not bound its port yet refuses them.
   */
  listenAfterMs?: number;
}

export interface TestServer {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  port: number;
  /** Requests received so far, per path. */
  hits: Record<string, number>;
  /** Most requests that were being handled at the same moment (shows whether callers run in parallel). */
  maxInFlight: number;
  close(): Promise<void>;
}

/** Routes of a healthy app like app/: health, version, and a catalogue endpoint. */
export function appRoutes(opts: { version: string; delayMs?: number }): Record<string, Reply> {
  const d = opts.delayMs === undefined ? {} : { delayMs: opts.delayMs };
  return {
    '/healthz': { body: 'ok', ...d },
    '/version': { body: { version: opts.version }, ...d },
    '/api/items': { body: { items: [{ id: 1, name: 'anchor' }] }, ...d },
  };
}

/** Answers `during` (default 503) to the first `n` requests of a path, then `then`. */
export function flapping(n: number, then: Reply, during: Reply | 'reset' = { status: 503, body: 'warming up' }): Responder {
  return (req) => (req.n <= n ? during : then);
}

/** Starts and tracks servers so one `closeAll()` in afterAll releases every socket. */
export class TestServers {
  private readonly open = new Set<TestServer>();

  async start(opts: ServerOptions): Promise<TestServer> {
    const s = await startServer(opts);
    this.open.add(s);
    return s;
  }

  /** A URL on 127.0.0.1 where nothing listens: connections to it are refused. */
  async deadUrl(): Promise<string> {
    return `http://127.0.0.1:${await freePort()}`;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.open].map((s) => s.close()));
    this.open.clear();
  }
}

async function startServer(opts: ServerOptions): Promise<TestServer> {
  const port = await freePort();
  const started = Date.now();
  const hits: Record<string, number> = {};
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let inFlight = 0;
  let pending: NodeJS.Timeout | undefined;
  const handle: TestServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    maxInFlight: 0,
    close: async () => {
      clearTimeout(pending);
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const n = (hits[path] = (hits[path] ?? 0) + 1);
    const route = opts.routes[path];
    const reply = typeof route === 'function' ? route({ path, n, ageMs: Date.now() - started }) : (route ?? { status: 404, body: 'not found' });
    if (reply === 'reset') {
      req.socket.destroy();
      return;
    }
    inFlight++;
    handle.maxInFlight = Math.max(handle.maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    if (reply === 'hang') return;
    const send = () => {
      const json = typeof reply.body !== 'string' && reply.body !== undefined;
      const body = json ? JSON.stringify(reply.body) : ((reply.body as string | undefined) ?? '');
      res.writeHead(reply.status ?? 200, { 'content-type': json ? 'application/json' : 'text/plain', ...reply.headers });
      res.end(body);
    };
    if (reply.delayMs) {
      const t = setTimeout(() => {
        timers.delete(t);
        send();
      }, reply.delayMs);
      timers.add(t);
    } else send();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const listen = () => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  if (opts.listenAfterMs) {
    // The port is reserved, then bound later. Should another process take it in between, tests see
    // that process's answers and fail; they cannot pass by mistake.
    pending = setTimeout(() => listen().catch(() => {}), opts.listenAfterMs);
  } else {
    await listen();
  }

  return handle;
}
