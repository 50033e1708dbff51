// The example artifact Slipway deploys: a small HTTP service with a health check, a version report and
// a catalogue. Plain Node, no dependencies, so its image needs nothing but a node binary.
//
// Environment:
//   PORT         port to listen on (default 8080)
//   APP_VERSION  version reported by /version (the image bakes in the version it was built from)
//   GIT_COMMIT   source commit reported by /version (baked in the same way)
//   SLOT         the slot this copy runs in (blue/green), set by the environment
//   DELAY_MS     simulated backend latency for /api/items, after the headers are sent (default 0)
//   GRACE_MS     how long a shutdown waits for in-flight requests before closing them (default 8000)
//   DATABASE_URL where the (example) database is; a secret: /healthz/detail says whether it is set,
//                and nothing here ever prints or logs its value
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const env = process.env;
const port = integer('PORT', 8080, 0, 65535);
const delayMs = integer('DELAY_MS', 0, 0, 60000);
const graceMs = integer('GRACE_MS', 8000, 0, 600000);
const info = {
  version: env.APP_VERSION || packageVersion() || 'unknown',
  commit: env.GIT_COMMIT || 'unknown',
  slot: env.SLOT || null,
};

const ITEMS = [
  { id: 1, name: 'Canvas tote', priceCents: 1800 },
  { id: 2, name: 'Enamel mug', priceCents: 1200 },
  { id: 3, name: 'Wool beanie', priceCents: 2400 },
];

const routes = {
  '/healthz': (res) => send(res, 200, 'text/plain; charset=utf-8', 'ok'),
  // Whether the configuration this copy runs with has a database, never the value itself.
  '/healthz/detail': (res) => send(res, 200, 'application/json', JSON.stringify({ database: env.DATABASE_URL ? 'set' : 'unset' })),
  '/version': (res) => send(res, 200, 'application/json', JSON.stringify(info)),
  '/api/items': async (res) => {
    if (delayMs > 0) {
      // Headers first, body later: the request is visibly in flight while the "backend" is slow.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      await new Promise((r) => setTimeout(r, delayMs));
      res.end(JSON.stringify({ items: ITEMS }));
    } else {
      send(res, 200, 'application/json', JSON.stringify({ items: ITEMS }));
    }
  },
};

let inFlight = 0;
let stopping = false;

const server = createServer(async (req, res) => {
  inFlight++;
  res.on('close', () => {
    inFlight--;
    // Keep-alive sockets that just went idle would hold the closing server open.
    if (stopping) server.closeIdleConnections();
  });
  if (stopping) res.setHeader('connection', 'close');
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const route = routes[path];
  try {
    if (!route) send(res, 404, 'text/plain; charset=utf-8', 'not found');
    else if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed');
    } else await route(res);
  } catch (e) {
    log(`error ${req.method} ${path}: ${e instanceof Error ? e.message : e}`);
    if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error');
    else res.destroy();
  }
});

// Longer than the router keeps idle connections to a slot, so the router, never the app, closes them:
// a request sent on a connection the app was closing at that moment would fail.
server.keepAliveTimeout = 75_000;
server.listen(port, () => {
  const addr = server.address();
  log(`listening on :${typeof addr === 'object' && addr ? addr.port : port} version=${info.version} commit=${info.commit} slot=${info.slot ?? '-'}`);
});

// Containers are stopped on every deploy: stop accepting, let in-flight requests finish, then exit.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: shutting down, draining ${inFlight} in-flight request(s)`);
    server.close(() => {
      log('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => {
      log(`grace period of ${graceMs} ms over, closing ${inFlight} request(s)`);
      server.closeAllConnections();
      process.exit(1);
    }, graceMs).unref();
  });
}

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function integer(name, fallback, min, max) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`${name}: "${raw}" is not a whole number from ${min} to ${max}`);
    process.exit(2);
  }
  return n;
}

function packageVersion() {
  try {
    return JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).version;
  } catch {
    return undefined;
  }
}

function log(line) {
  console.log(`${new Date().toISOString()} ${line}`);
}
