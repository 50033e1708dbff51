// The router config against a real nginx (Debian's, on 127.0.0.1) in front of two real HTTP slots:
// routing, the 503 for an empty slot, and a switch by reload under continuous load with no failed request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderNginxConfig, SLOT_HEADER, type RouterRuntime, type Upstream } from '../../components/docker/nginxConfig';
import { BOOTSTRAP_CONFIG, containerRouterConfig } from '../../components/docker/router';
import type { Slot } from '../../stacks/schema';
import {
  checkConfig,
  findNginx,
  startNginx,
  startSlotServer,
  type NginxProcess,
  type SlotServer,
} from '../support/nginx';
import { freePorts } from '../support/ports';
import { get, startLoad, type Load } from '../support/load';

describe('router on a real nginx', () => {
  let blue: SlotServer;
  let green: SlotServer;
  let nginx: NginxProcess;
  let load: Load | undefined;
  let ports: { public: number; test: number };
  let render: (live: Slot, upstreams?: Record<Slot, Upstream | undefined>) => string;
  const url = (route: 'public' | 'test') => `http://127.0.0.1:${ports[route]}/version`;

  beforeAll(async () => {
    findNginx(); // a clear error, before anything starts, when nginx is not installed
    blue = await startSlotServer('blue', '1.0.0');
    green = await startSlotServer('green', '1.1.0');
    const [pub, test] = await freePorts(2);
    ports = { public: pub!, test: test! };
    const both = { blue: { host: '127.0.0.1', port: blue.port }, green: { host: '127.0.0.1', port: green.port } };
    let runtime: RouterRuntime | undefined;
    render = (live, upstreams = both) => renderNginxConfig({ live, upstreams, listen: ports, bindAddress: '127.0.0.1', runtime: runtime! });
    nginx = await startNginx((rt) => {
      runtime = rt;
      return render('blue');
    }, [ports.public, ports.test]);
  });

  afterAll(async () => {
    await load?.stop();
    await nginx?.stop();
    await blue?.close();
    await green?.close();
  });

  it('sends public to the live slot and test to the idle slot', async () => {
    expect(await get(url('public'), SLOT_HEADER)).toEqual({ status: 200, slot: 'blue', body: { slot: 'blue', version: '1.0.0' } });
    expect(await get(url('test'), SLOT_HEADER)).toEqual({ status: 200, slot: 'green', body: { slot: 'green', version: '1.1.0' } });
  });

  it('answers 503 with a short text on the route of a slot without a release', async () => {
    await nginx.reload(render('blue', { blue: { host: '127.0.0.1', port: blue.port }, green: undefined }));
    expect(await get(url('test'), SLOT_HEADER)).toEqual({ status: 503, slot: 'green', body: 'slot green has no release\n' });
    expect((await get(url('public'), SLOT_HEADER)).slot).toBe('blue');
    await nginx.reload(render('blue'));
    expect((await get(url('test'), SLOT_HEADER)).slot).toBe('green');
  });

  it('switches under continuous load without a failed request, and traffic ends on the new live slot', async () => {
    load = startLoad(url('public'), { concurrency: 4, slotHeader: SLOT_HEADER });
    await load.firstFrom('blue', 0, 5000);
    for (const live of ['green', 'blue', 'green'] as const) {
      const since = performance.now();
      const first = load.firstFrom(live, since, 10_000);
      await nginx.reload(render(live)); // returns once the old workers have exited
      await first;
    }
    const stats = await load.stop();
    load = undefined;
    expect(stats.failures).toEqual([]);
    expect(stats.failed).toBe(0);
    expect(stats.bySlot.blue).toBeGreaterThan(0);
    expect(stats.bySlot.green).toBeGreaterThan(0);
    // The old workers are gone: every request lands on the new live slot, and test on the old one.
    for (let i = 0; i < 20; i++) expect((await get(url('public'), SLOT_HEADER)).body).toEqual({ slot: 'green', version: '1.1.0' });
    expect((await get(url('test'), SLOT_HEADER)).body).toEqual({ slot: 'blue', version: '1.0.0' });
  });

  it('accepts the configs the Docker router runs (resolver, slot names, bootstrap)', async () => {
    const names = { blue: { host: 'blue', port: 8080 }, green: { host: 'green', port: 8080 } };
    // Same text as in the container, but with this machine's writable paths.
    const local = (conf: string) => conf.replaceAll('/var/run/nginx.pid', `${nginx.prefix}/check.pid`).replaceAll('/var/cache/nginx', nginx.prefix).replaceAll('/var/log/nginx', nginx.prefix);
    await checkConfig(local(containerRouterConfig('green', names)));
    await checkConfig(local(BOOTSTRAP_CONFIG));
  });
});
