// The router config against a real HAProxy (Debian's, on 127.0.0.1) in front of two real HTTP slots.
// A switch changes the routes map through the runtime API, as the Docker router's RouterConfig does:
// routing and the 503s, switches under keep-alive load with no failed or reset request, kept-alive
// connections moving to the new slot, requests in flight finishing where they are, a routes map naming
// no backend, and `haproxy -c` on the config the router container runs.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHaproxyConfig, renderRoutes, routesFor, SLOT_HEADER, type Routes } from '../../components/docker/haproxyConfig';
import { BOOTSTRAP_ROUTES, containerRouterConfig } from '../../components/docker/router';
import { ROUTES_PATH } from '../../components/docker/routerConfig';
import { idleSlotOf } from '../../components/slots';
import type { Slot } from '../../stacks/schema';
import {
  checkHaproxyConfig,
  ensureHostHaproxy,
  hostHaproxyVersion,
  startHaproxy,
  startSlotServer,
  type HaproxyProcess,
  type SlotServer,
} from '../support/haproxy';
import { get, sleep, startLoad, type Load } from '../support/load';
import { freePorts } from '../support/ports';

/** Both slots released, `live` on the public route. */
const released = (live: Slot): Routes => routesFor(live, { blue: true, green: true });

const SWITCHES = 20;

interface Answer {
  status: number;
  slot: string;
  body: string;
  /** performance.now() when the body ended. */
  end: number;
  socket: Socket;
  reused: boolean;
}

/**
 * One request through `agent` (default: a new connection). With `hold`, the first part of `body` is
 * sent at once and the rest only after `hold` resolves: a request still arriving during a switch.
 */
function send(url: string, opts: { method?: string; agent?: Agent; body?: [string, string]; hold?: Promise<void> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = opts.body ?? ['', ''];
    const headers = opts.body ? { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body.join('')) } : {};
    const req = request(url, { method: opts.method ?? 'GET', agent: opts.agent ?? false, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          slot: String(res.headers[SLOT_HEADER.toLowerCase()] ?? ''),
          body: text,
          end: performance.now(),
          socket: req.socket as Socket,
          reused: req.reusedSocket,
        }),
      );
    });
    req.on('error', reject);
    if (!opts.body) return void req.end();
    req.write(body[0]);
    void (opts.hold ?? Promise.resolve()).then(() => req.end(body[1]));
  });
}

async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

describe('router on a real HAProxy', () => {
  let blue: SlotServer;
  let green: SlotServer;
  let router: HaproxyProcess;
  let load: Load | undefined;
  let ports: { public: number; test: number; runtime: number };
  let scratch: string | undefined;
  const url = (route: 'public' | 'test', path = '/version') => `http://127.0.0.1:${ports[route]}${path}`;
  const slotOf = (s: SlotServer) => ({ slot: s.slot, version: s.version });

  beforeAll(async () => {
    await ensureHostHaproxy(); // fails (never skips) when haproxy is missing and cannot be installed
    expect(await hostHaproxyVersion()).toMatch(/^\d+\.\d+\.\d+$/);
    blue = await startSlotServer('blue', '1.0.0');
    green = await startSlotServer('green', '1.1.0');
    const [pub, test, runtime] = await freePorts(3);
    ports = { public: pub!, test: test!, runtime: runtime! };
    router = await startHaproxy(
      (paths) =>
        renderHaproxyConfig({
          listen: { public: ports.public, test: ports.test },
          bindAddress: '127.0.0.1',
          upstreams: { blue: { host: '127.0.0.1', port: blue.port }, green: { host: '127.0.0.1', port: green.port } },
          runtimeApi: { host: '127.0.0.1', port: ports.runtime },
          routesFile: paths.routesFile,
          log: 'off',
        }),
      released('blue'),
      { ports: [ports.public, ports.test], runtimePort: ports.runtime },
    );
  });

  afterAll(async () => {
    await load?.stop();
    await router?.stop();
    await blue?.close();
    await green?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('sends public to the live slot and test to the idle one, 503 for a slot without a release', async () => {
    await router.apply(released('blue'));
    expect(await get(url('public'), SLOT_HEADER)).toEqual({ status: 200, slot: 'blue', body: slotOf(blue) });
    expect(await get(url('test'), SLOT_HEADER)).toEqual({ status: 200, slot: 'green', body: slotOf(green) });

    await router.apply(routesFor('blue', { blue: true, green: false }));
    expect(await get(url('test'), SLOT_HEADER)).toEqual({ status: 503, slot: 'green', body: 'slot green has no release' });
    expect(await get(url('public'), SLOT_HEADER)).toEqual({ status: 200, slot: 'blue', body: slotOf(blue) });

    await router.apply(released('green'));
    expect(await get(url('public'), SLOT_HEADER)).toEqual({ status: 200, slot: 'green', body: slotOf(green) });
    expect(await get(url('test'), SLOT_HEADER)).toEqual({ status: 200, slot: 'blue', body: slotOf(blue) });
  });

  it(`switches ${SWITCHES} times under keep-alive load without a failed or reset request`, async () => {
    await router.apply(released('blue'));
    const running = startLoad(url('public'), { concurrency: 8, slotHeader: SLOT_HEADER, retry: false });
    load = running;
    await running.firstFrom('blue', 0, 5000);
    const latencies: number[] = [];
    let live: Slot = 'blue';
    for (let i = 0; i < SWITCHES; i++) {
      live = idleSlotOf(live);
      const first = running.firstFrom(live, performance.now(), 5000);
      const { at } = await router.apply(released(live));
      latencies.push((await first).at - at);
      // Traffic on this slot before the next switch: the requests sent before this one have finished.
      const served = running.stats.bySlot[live] ?? 0;
      const start = performance.now();
      await until(`traffic on ${live}`, () => (running.stats.bySlot[live] ?? 0) >= served + 40 && performance.now() - start >= 20);
    }
    const stats = await running.stop();
    load = undefined;
    latencies.sort((a, b) => a - b);
    const ms = (v: number | undefined) => Math.round((v ?? NaN) * 100) / 100;
    const latencyMs = { min: ms(latencies[0]), median: ms(latencies[latencies.length >> 1]), max: ms(latencies.at(-1)) };
    console.log(`haproxy router switches: ${JSON.stringify({ switches: SWITCHES, ...stats, latencyMs })}`);

    expect(latencies).toHaveLength(SWITCHES);
    expect(stats.failures).toEqual([]);
    expect(stats.failed).toBe(0);
    expect(stats.resets).toBe(0);
    expect(stats.retried).toBe(0);
    expect(stats.bySlot.blue).toBeGreaterThan(SWITCHES * 20);
    expect(stats.bySlot.green).toBeGreaterThan(SWITCHES * 20);
    // An even number of switches ends on blue, and every new request goes there.
    expect(live).toBe('blue');
    for (let i = 0; i < 20; i++) expect((await get(url('public'), SLOT_HEADER)).slot).toBe('blue');
    expect((await get(url('test'), SLOT_HEADER)).slot).toBe('green');
  });

  it('moves a kept-alive connection to the new slot on its next request', async () => {
    await router.apply(released('blue'));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const before = await send(url('public'), { agent });
      expect(before).toMatchObject({ status: 200, slot: 'blue' });
      await router.apply(released('green'));
      const after = await send(url('public'), { agent });
      // The same TCP connection: the switch closed nothing, and HAProxy routed its next request anew.
      expect(after.reused).toBe(true);
      expect(after.socket).toBe(before.socket);
      expect(after.socket.localPort).toBe(before.socket.localPort);
      expect(after).toMatchObject({ status: 200, slot: 'green' });
      expect(JSON.parse(after.body)).toEqual(slotOf(green));
    } finally {
      agent.destroy();
    }
  });

  it('lets requests in flight (a slow GET, a POST whose body is still arriving) finish on their slot', async () => {
    await router.apply(released('blue'));
    const count = (s: SlotServer, method: string) => s.received.filter((r) => r.method === method && r.path === '/slow').length;
    const was = { blueGet: count(blue, 'GET'), bluePost: count(blue, 'POST'), greenGet: count(green, 'GET'), greenPost: count(green, 'POST') };
    let switched!: () => void;
    const hold = new Promise<void>((resolve) => (switched = resolve));

    const started = performance.now();
    const slowGet = send(url('public', '/slow?ms=5000'));
    const post = send(url('public', '/slow?ms=3000'), { method: 'POST', body: ['{"order":', '42}'], hold });
    await until('both requests to reach blue', () => count(blue, 'GET') > was.blueGet && count(blue, 'POST') > was.bluePost);

    await router.apply(released('green'));
    expect((await get(url('public'), SLOT_HEADER)).slot).toBe('green'); // new requests move at once
    switched(); // the rest of the POST's body goes out after the switch

    const [g, p] = await Promise.all([slowGet, post]);
    expect(g).toMatchObject({ status: 200, slot: 'blue' });
    expect(JSON.parse(g.body)).toEqual(slotOf(blue));
    expect(g.end - started).toBeGreaterThanOrEqual(4900);
    expect(g.end - started).toBeLessThan(9000);
    expect(p).toMatchObject({ status: 200, slot: 'blue' });
    expect(JSON.parse(p.body)).toEqual(slotOf(blue));
    // Delivered once, to the slot it started on; nothing replayed on green.
    expect(count(blue, 'POST') - was.bluePost).toBe(1);
    expect(count(green, 'POST') - was.greenPost).toBe(0);
    expect(count(blue, 'GET') - was.blueGet).toBe(1);
    expect(count(green, 'GET') - was.greenGet).toBe(0);
  });

  it('refuses a route naming no backend before HAProxy sees it, and reports a change HAProxy did not take', async () => {
    await router.apply(released('blue'));
    // `set map` would store any string (and `;` would start another command): routeCommands refuses it.
    await expect(router.apply({ public: 'nope', test: 'green' })).rejects.toThrow('router routes: public: "nope" is not a backend');
    expect(await router.runtime(`show map ${router.routesFile}`)).toMatch(/ public blue\n/);
    expect(await get(url('public'), SLOT_HEADER)).toEqual({ status: 200, slot: 'blue', body: slotOf(blue) });

    // apply checks what HAProxy holds: with the key gone from the map, `set map` fails
    // ("entry not found") and apply says so instead of reporting a switch that did not happen.
    expect(await router.runtime(`del map ${router.routesFile} public`)).not.toMatch(/not found|unknown/i);
    await expect(router.apply(released('blue'))).rejects.toThrow(/haproxy holds public -> nothing, not blue/);
    expect(await get(url('public'), SLOT_HEADER)).toMatchObject({ status: 503, body: 'no route in the routes map' });

    expect(await router.runtime(`add map ${router.routesFile} public blue`)).not.toMatch(/not found|unknown/i);
    await router.apply(released('blue'));
    expect(await get(url('public'), SLOT_HEADER)).toEqual({ status: 200, slot: 'blue', body: slotOf(blue) });
  });

  it('accepts the haproxy.cfg the router container runs (haproxy -c)', async () => {
    scratch = await mkdtemp(join(tmpdir(), 'slipway-haproxy-check-'));
    const routes = join(scratch, 'routes.map');
    await writeFile(routes, renderRoutes(BOOTSTRAP_ROUTES));
    const conf = containerRouterConfig(8080);
    expect(conf).toContain(`map(${ROUTES_PATH})`);
    // Same text as in the container, with this machine's routes path: `blue`/`green` do not resolve
    // here, which HAProxy only warns about (init-addr none).
    await writeFile(join(scratch, 'haproxy.cfg'), conf.replaceAll(ROUTES_PATH, routes));
    await checkHaproxyConfig(join(scratch, 'haproxy.cfg'));
    // The check can fail, and says why: the same config with a routes map that does not exist.
    await writeFile(join(scratch, 'missing.cfg'), conf.replaceAll(ROUTES_PATH, join(scratch, 'missing.map')));
    await expect(checkHaproxyConfig(join(scratch, 'missing.cfg'))).rejects.toThrow(/missing\.cfg failed \(exit 1\): .*missing\.map/s);
  });
});
