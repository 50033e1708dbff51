// The Docker environment's switch on a real engine. The Pulumi CLI cannot run here, so the resources
// the component plans (under the SDK's mocks) are created as planned with the docker CLI — network,
// two slot containers run by image ID, the router with its bootstrap config and the image's own
// command — and the RouterConfig dynamic provider's real create/update install the planned nginx.conf
// into the running router. Checked over real HTTP on loopback: routing, switches under load, a config
// nginx refuses, a slot without a release, a reload nginx does not carry out.
import { createRequire } from 'node:module';
import type * as pulumi from '@pulumi/pulumi';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SLOT_HEADER } from '../../components/docker/nginxConfig';
import {
  installConfigCommand,
  RELOAD_TIMEOUT_SECONDS,
  ROUTER_CONF_PATH,
  routerConfigProvider,
  type RouterConfigState,
} from '../../components/docker/routerConfig';
import { buildArtifact, type BuiltArtifact } from '../../pipeline/release/build';
import type { Plan } from '../../pipeline/review/plan';
import type { Slot } from '../../stacks/schema';
import { named, ofType, plan, ROOT } from '../mocks';
import {
  createContainer,
  docker,
  ensureNodeBaseImage,
  removeContainers,
  removeImages,
  requireDockerEngine,
  TEST_LABEL,
} from '../support/docker';
import { get, sleep, startLoad, type Load, type LoadStats } from '../support/load';
import { freePorts } from '../support/ports';
import { ensureNginxImage } from '../support/nginxImage';

const CONTAINER = 'docker:index/container:Container';
const NETWORK = 'docker:index/network:Network';
const IMAGE = 'docker:index/remoteImage:RemoteImage';
const ROUTER_CONFIG = 'pulumi-nodejs:dynamic/slipway:RouterConfig';

// Unique per run: container, network and image names never collide with another person's run.
const APP = `rt-${process.pid}`;
const ARTIFACT = `slipway-test-router-${process.pid}`;

type Provider = Required<Pick<pulumi.dynamic.ResourceProvider<RouterConfigState, RouterConfigState>, 'create' | 'update'>>;
type Release = { live: Slot; blue?: BuiltArtifact; green?: BuiltArtifact };
type Routes = { publicUrl: string; testUrl: string };

const provider = routerConfigProvider() as Provider;
const tags: string[] = [];
const created: { containers: string[]; network?: string } = { containers: [] };
let routerImage: string;
let ports: { public: number; test: number };
let v1: BuiltArtifact;
let v2: BuiltArtifact;
let initial: Plan;
let urls: Routes;
let ids: Record<'router' | Slot, string>;
let current: RouterConfigState;
let load: Load | undefined;
/** Why the environment could not be set up; every test fails with it (a failing beforeAll would only skip them). */
let setupError: unknown;

/** The local stack as the pipeline would configure it for this release, planned by the real program. */
function planRelease(r: Release): Promise<Plan> {
  const slot = (a?: BuiltArtifact) => (a ? { image: a.ref, version: a.version } : {});
  return plan('local', (raw) => {
    raw['slipway:app'].name = APP;
    raw['slipway:release'] = { live: r.live, blue: slot(r.blue), green: slot(r.green) };
    raw['slipway:ports'] = ports;
    raw['slipway:router'] = { image: routerImage };
  });
}

/** What the RouterConfig resource hands its provider, with the real router container's ID. */
function routerConfigState(p: Plan): RouterConfigState {
  const planned = named(p, ROUTER_CONFIG, `${APP}-router-config`).inputs;
  return { container: ids.router, config: String(planned.config), command: installConfigCommand(ids.router) };
}

/** The provider exactly as Pulumi stores it in the state and its dynamic-provider host loads it. */
function serializedProvider(p: Plan): Provider {
  const text = String(named(p, ROUTER_CONFIG, `${APP}-router-config`).inputs.__provider);
  const requireFromString = createRequire(import.meta.url)('require-from-string') as (code: string) => { handler: () => Provider };
  return requireFromString(text).handler();
}

async function containerState(id: string): Promise<{ id: string; startedAt: string; restarts: number }> {
  const [full, startedAt, restarts] = (await docker(['inspect', '--format', '{{.Id}} {{.State.StartedAt}} {{.RestartCount}}', id])).split(' ');
  return { id: full!, startedAt: startedAt!, restarts: Number(restarts) };
}

/** Polls a container's log until `text` appears (the app's "listening on" line). */
async function waitForLog(id: string, text: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let logs = '';
  while (Date.now() < deadline) {
    logs = await docker(['logs', id]).catch((e: Error) => e.message);
    if (logs.includes(text)) return;
    await sleep(100);
  }
  throw new Error(`container ${id.slice(0, 12)} never logged "${text}"; its log:\n${logs.slice(-2000)}`);
}

/** `/proc/<pid>/cmdline` of the router's nginx workers that accept connections (not draining ones). */
async function acceptingWorkers(container: string): Promise<string[]> {
  const script = 'for c in /proc/[0-9]*/cmdline; do [ "$(cat $c 2>/dev/null)" = "nginx: worker process" ] && echo $c; done; true';
  return (await docker(['exec', container, 'sh', '-c', script])).split('\n').filter(Boolean);
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Polls until `url` answers at all (any status): the router's ports are published and nginx listens. */
async function waitForAnswer(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      await get(url, SLOT_HEADER);
      return;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(100);
  }
  const logs = await docker(['logs', '--tail', '20', ids.router]).catch((e: Error) => e.message);
  throw new Error(`${url} did not answer within ${timeoutMs} ms (last: ${last}); router log:\n${logs}`);
}

const version = (route: keyof Routes) => get(`${urls[route]}/version`, SLOT_HEADER);

beforeAll(async () => {
  try {
    await setUp();
  } catch (e) {
    setupError = e;
  }
});

beforeEach(() => {
  if (setupError) throw setupError;
});

async function setUp(): Promise<void> {
  await requireDockerEngine(); // no engine: every test here fails with this one line, none is skipped
  const base = await ensureNodeBaseImage();
  routerImage = (await ensureNginxImage()).image;
  for (const v of ['1.0.0', '2.0.0']) {
    const a = await buildArtifact({ dir: 'app', cwd: ROOT, name: ARTIFACT, version: v, baseImage: base.image });
    tags.push(`${a.name}:${a.version}`);
    if (v === '1.0.0') v1 = a;
    else v2 = a;
  }
  const [pub, test] = await freePorts(2);
  ports = { public: pub!, test: test! };

  initial = await planRelease({ live: 'blue', blue: v1, green: v2 });
  urls = initial.outputs as Routes;

  const net = named(initial, NETWORK, `${APP}-network`).inputs as { name: string; driver: string; labels: { label: string; value: string }[] };
  const labels = [...net.labels.map((l) => `${l.label}=${l.value}`), TEST_LABEL].flatMap((l) => ['--label', l]);
  await docker(['network', 'create', '--driver', net.driver, ...labels, net.name]);
  created.network = net.name;

  const start = async (logical: string, over: Record<string, unknown> = {}) => {
    const id = await createContainer({ ...named(initial, CONTAINER, logical).inputs, ...over });
    created.containers.push(id);
    return id;
  };
  const blue = await start(`${APP}-blue-container`);
  const green = await start(`${APP}-green-container`);
  // The provider resolves the RemoteImage to the image's ID; the mock cannot, so do what it does.
  const imageName = String(named(initial, IMAGE, `${APP}-router-image`).inputs.name);
  const router = await start(`${APP}-router-container`, { image: await docker(['image', 'inspect', '--format', '{{.Id}}', imageName]) });
  ids = { router, blue, green };

  // RouterConfig depends on the slot containers; wait until their apps listen, so routes answer 200.
  await waitForLog(blue, 'listening on');
  await waitForLog(green, 'listening on');
  await waitForAnswer(`${urls.publicUrl}/version`);
  await waitForAnswer(`${urls.testUrl}/version`);
}

afterAll(async () => {
  await load?.stop();
  await removeContainers(created.containers);
  if (created.network) await docker(['network', 'rm', created.network]).catch(() => undefined);
  await removeImages(tags); // the node and nginx base images are shared and stay
});

describe('the Docker router on a real engine', () => {
  it('starts from the image command with the bootstrap config: both routes answer 503 before any RouterConfig', async () => {
    expect(await version('publicUrl')).toEqual({ status: 503, slot: 'blue', body: 'slot blue has no release\n' });
    expect(await version('testUrl')).toEqual({ status: 503, slot: 'green', body: 'slot green has no release\n' });
  });

  it('create installs the planned config into the running router: public → live slot, test → idle slot', async () => {
    const planned = named(initial, ROUTER_CONFIG, `${APP}-router-config`).inputs;
    // The resource computes its command from the container ID alone; here that ID is the real one.
    expect(planned.command).toEqual(installConfigCommand(String(planned.container)));

    const state = routerConfigState(initial);
    const result = await provider.create(state);
    expect(result.id).toBe(`${ids.router}:nginx.conf`);
    current = result.outs as RouterConfigState;

    expect(await version('publicUrl')).toEqual({ status: 200, slot: 'blue', body: { version: '1.0.0', commit: v1.commit, slot: 'blue' } });
    expect(await version('testUrl')).toEqual({ status: 200, slot: 'green', body: { version: '2.0.0', commit: v2.commit, slot: 'green' } });
    expect(await docker(['exec', ids.router, 'cat', ROUTER_CONF_PATH])).toBe(state.config.trimEnd());
  });

  it('switches under continuous load without losing a request and without replacing a container', async () => {
    const planned = { blue: initial, green: await planRelease({ live: 'green', blue: v1, green: v2 }) };
    // Why no container is replaced: only the RouterConfig's inputs differ between the two plans.
    const containers = (p: Plan) => ofType(p, CONTAINER).map((r) => [r.urn, r.inputs]);
    expect(containers(planned.green)).toEqual(containers(planned.blue));

    const before = await Promise.all(Object.values(ids).map(containerState));
    load = startLoad(`${urls.publicUrl}/version`, { slotHeader: SLOT_HEADER });
    await load.firstFrom('blue', 0, 10_000);

    const switches: { to: Slot; via: string; updateMs: number; firstResponseMs: number }[] = [];
    // Five switches, ending on green; every other one through the provider as Pulumi serializes it.
    const steps = (['green', 'blue', 'green', 'blue', 'green'] as const).map((to, i) => [to, i % 2 ? 'serialized' : 'imported'] as const);
    for (const [to, via] of steps) {
      const next = routerConfigState(planned[to]);
      const p = via === 'imported' ? provider : serializedProvider(planned[to]);
      const at = performance.now();
      const first = load.firstFrom(to, at, 10_000);
      const { outs } = await p.update(`${ids.router}:nginx.conf`, current, next);
      const done = performance.now();
      current = outs as RouterConfigState;
      // Once update has returned, a new connection reaches the new live slot.
      expect((await version('publicUrl')).slot, `public right after the switch to ${to}`).toBe(to);
      switches.push({ to, via, updateMs: Math.round(done - at), firstResponseMs: Math.round((await first).at - at) });
      await sleep(300); // traffic keeps flowing on the new config before the next switch
    }
    const stats: LoadStats = await load.stop();
    load = undefined;
    console.log(`docker router switch: ${JSON.stringify({ ...stats, switches })}`);

    expect(stats.failures).toEqual([]);
    expect(stats.failed).toBe(0);
    expect(stats.bySlot.blue).toBeGreaterThan(0);
    expect(stats.bySlot.green).toBeGreaterThan(0);
    expect(await Promise.all(Object.values(ids).map(containerState))).toEqual(before);
    for (let i = 0; i < 10; i++) expect((await version('publicUrl')).body).toEqual({ version: '2.0.0', commit: v2.commit, slot: 'green' });
    expect((await version('testUrl')).body).toEqual({ version: '1.0.0', commit: v1.commit, slot: 'blue' });
  });

  it('rejects a config nginx refuses, and the previous config keeps serving', async () => {
    const broken = { ...current, config: current.config.replace('proxy_pass ', 'proxy_pas ') };
    expect(broken.config).not.toBe(current.config);
    const err = (await provider.update(`${ids.router}:nginx.conf`, current, broken).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/^router config: installing nginx\.conf into container \w+ failed \(exit 1\): /);
    expect(err.message).toContain('unknown directive "proxy_pas"');

    expect(await docker(['exec', ids.router, 'cat', ROUTER_CONF_PATH])).toBe(current.config.trimEnd());
    await expect(docker(['exec', ids.router, 'sh', '-c', `[ ! -e ${ROUTER_CONF_PATH}.next ]`])).resolves.toBe('');
    expect(await version('publicUrl')).toMatchObject({ status: 200, slot: 'green', body: { version: '2.0.0' } });
    expect(await version('testUrl')).toMatchObject({ status: 200, slot: 'blue', body: { version: '1.0.0' } });
  });

  it('answers 503 on the route of a slot without a release, and keeps serving the live one', async () => {
    const p = await planRelease({ live: 'green', green: v2 });
    expect(ofType(p, CONTAINER).map((r) => r.name)).not.toContain(`${APP}-blue-container`);
    const { outs } = await provider.update(`${ids.router}:nginx.conf`, current, routerConfigState(p));
    current = outs as RouterConfigState;
    expect(await version('testUrl')).toEqual({ status: 503, slot: 'blue', body: 'slot blue has no release\n' });
    expect(await version('publicUrl')).toEqual({ status: 200, slot: 'green', body: { version: '2.0.0', commit: v2.commit, slot: 'green' } });
  });

  it('fails the update when nginx does not carry out the reload, rather than report a switch that did not happen', async () => {
    // A stopped master acts on the reload signal only once resumed; meanwhile its worker serves the old config.
    const before = await acceptingWorkers(ids.router);
    expect(before.length).toBeGreaterThan(0);
    await docker(['kill', '--signal', 'STOP', ids.router]);
    let err: Error;
    try {
      err = (await provider.update(`${ids.router}:nginx.conf`, current, routerConfigState(initial)).catch((e: unknown) => e)) as Error;
      expect((await version('publicUrl')).slot).toBe('green');
    } finally {
      await docker(['kill', '--signal', 'CONT', ids.router]);
    }
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain(`nginx did not apply the new config within ${RELOAD_TIMEOUT_SECONDS}s`);
    // Resumed, the master carries out the pending reload of the installed file; once the workers that
    // served the old config stop accepting, only the new one answers.
    await waitUntil(async () => !(await acceptingWorkers(ids.router)).some((w) => before.includes(w)), 10_000, 'the old workers to drain');
    expect(await version('publicUrl')).toMatchObject({ status: 200, slot: 'blue' });
    expect(await containerState(ids.router)).toMatchObject({ restarts: 0 });
  });
});
