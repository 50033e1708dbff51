// The Docker environment's switch on a real engine. The Pulumi CLI cannot run here, so the resources
// the component plans (under the SDK's mocks) are created as planned with the docker CLI — network,
// two slot containers run by image ID, the HAProxy router with its uploaded haproxy.cfg and bootstrap
// routes map, started by the image's own command — and the RouterConfig dynamic provider's real
// create/update apply the planned routes to the running router through its runtime API. Checked over
// real HTTP on loopback: routing, switches under load, a request in flight during a switch, a router
// restart, a runtime API that does not answer, and a slot container replaced behind the router.
import { createRequire } from 'node:module';
import { request } from 'node:http';
import type * as pulumi from '@pulumi/pulumi';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { renderRoutes, routeCommands, SLOT_HEADER, type Routes } from '../../components/docker/haproxyConfig';
import { BOOTSTRAP_ROUTES, containerRouterConfig, ROUTER_CONF_PATH } from '../../components/docker/router';
import { installRoutesCommand, routerConfigProvider, ROUTES_PATH, RUNTIME_API, RUNTIME_API_TIMEOUT_SECONDS, type RouterConfigState } from '../../components/docker/routerConfig';
import { buildArtifact, type BuiltArtifact } from '../../pipeline/release/build';
import type { Plan } from '../../pipeline/review/plan';
import type { Slot } from '../../stacks/schema';
import { named, plan, ROOT } from '../mocks';
import { createContainer, docker, ensureNodeBaseImage, removeContainers, removeImages, requireDockerEngine, TEST_LABEL } from '../support/docker';
import { ensureHaproxyImage, HAPROXY_IMAGE_CMD } from '../support/haproxyImage';
import { get, sleep, startLoad, type Load } from '../support/load';
import { freePorts } from '../support/ports';

const CONTAINER = 'docker:index/container:Container';
const NETWORK = 'docker:index/network:Network';
const IMAGE = 'docker:index/remoteImage:RemoteImage';
const ROUTER_CONFIG = 'pulumi-nodejs:dynamic/slipway:RouterConfig';

// Unique per run: container, network and image names never collide with another person's run.
const APP = `rt-${process.pid}`;
const ARTIFACT = `slipway-test-router-${process.pid}`;
/** The slots' /api/items sends its headers at once and its body this much later (app/server.mjs). */
const DELAY_MS = 5000;

type Provider = Required<Pick<pulumi.dynamic.ResourceProvider<RouterConfigState, RouterConfigState>, 'create' | 'update'>>;
type Release = { live: Slot; blue?: BuiltArtifact; green?: BuiltArtifact };
type Urls = { publicUrl: string; testUrl: string };

const provider = routerConfigProvider() as Provider;
const tags: string[] = [];
const created: { containers: string[]; network?: string } = { containers: [] };
const artifacts: Record<'v1' | 'v2' | 'v3', BuiltArtifact> = {} as never;
let routerImage: string;
let ports: { public: number; test: number };
let plans: Record<Slot, Plan>; // live blue / live green, blue v1 and green v2 released
let urls: Urls;
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

const plannedConfig = (p: Plan) => named(p, ROUTER_CONFIG, `${APP}-router-config`).inputs;

/** What the RouterConfig resource hands its provider, with the real router container's ID. */
function routerConfigState(p: Plan, apiPort: number = RUNTIME_API.port): RouterConfigState {
  const { routes, routesText } = plannedConfig(p) as { routes: Routes; routesText: string };
  return { container: ids.router, routes, routesText, command: installRoutesCommand(ids.router, ROUTES_PATH, routeCommands(ROUTES_PATH, routes), apiPort) };
}

/** The provider exactly as Pulumi stores it in the state and its dynamic-provider host loads it. */
function serializedProvider(p: Plan): Provider {
  const text = String(plannedConfig(p).__provider);
  const requireFromString = createRequire(import.meta.url)('require-from-string') as (code: string) => { handler: () => Provider };
  return requireFromString(text).handler();
}

/** Planned inputs of every resource but `except`, by URN: what a switch must leave alone. */
const inputsBut = (p: Plan, except: string) => Object.fromEntries(p.resources.filter((r) => r.type !== except).map((r) => [r.urn, r.inputs]));

async function containerState(id: string): Promise<{ id: string; startedAt: string; restarts: number }> {
  const [full, startedAt, restarts] = (await docker(['inspect', '--format', '{{.Id}} {{.State.StartedAt}} {{.RestartCount}}', id])).split(' ');
  return { id: full!, startedAt: startedAt!, restarts: Number(restarts) };
}

const ipOf = (id: string) => docker(['inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', id]);

/** Polls a container's log until `text` appears; returns the matching line. */
async function waitForLog(id: string, text: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let logs = '';
  while (Date.now() < deadline) {
    logs = await docker(['logs', id]).catch((e: Error) => e.message);
    const line = logs.split('\n').find((l) => l.includes(text));
    if (line) return line;
    await sleep(100);
  }
  throw new Error(`container ${id.slice(0, 12)} never logged "${text}"; its log:\n${logs.slice(-2000)}`);
}

/** Polls `url` until `ok` holds for its answer; returns how long that took. A try slower than `tryMs` is left behind. */
async function waitFor(url: string, ok: (r: Awaited<ReturnType<typeof get>>) => boolean, timeoutMs = 15_000, tryMs = timeoutMs): Promise<number> {
  const start = Date.now();
  let last = '';
  while (Date.now() - start < timeoutMs) {
    try {
      const late = sleep(tryMs).then(() => Promise.reject(new Error(`no answer within ${tryMs} ms`)));
      const r = await Promise.race([get(url, SLOT_HEADER), late]);
      if (ok(r)) return Date.now() - start;
      last = JSON.stringify(r);
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(50);
  }
  const logs = await docker(['logs', '--tail', '20', ids.router]).catch((e: Error) => e.message);
  throw new Error(`${url} did not answer as expected within ${timeoutMs} ms (last: ${last}); router log:\n${logs}`);
}

/** One GET whose response headers and end are observed separately: a request visibly in flight. */
function inFlight(url: string) {
  const start = performance.now();
  let headers!: Promise<void>;
  const done = new Promise<{ status: number; slot: string; body: string; ms: number }>((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, slot: String(res.headers[SLOT_HEADER.toLowerCase()] ?? ''), body, ms: Math.round(performance.now() - start) }));
    });
    headers = new Promise((onHeaders, onError) => req.on('response', () => onHeaders()).on('error', onError));
    req.on('error', reject);
    req.end();
  });
  return { headers, done };
}

const version = (route: keyof Urls) => get(`${urls[route]}/version`, SLOT_HEADER);
const served = (a: BuiltArtifact, slot: Slot) => ({ status: 200, slot, body: { version: a.version, commit: a.commit, slot } });
const routesFile = () => docker(['exec', ids.router, 'cat', ROUTES_PATH]);

/** A planned slot container, started as planned plus DELAY_MS (which only slows /api/items). */
async function startSlot(p: Plan, slot: Slot): Promise<string> {
  const inputs = named(p, CONTAINER, `${APP}-${slot}-container`).inputs as { envs: string[] };
  const id = await createContainer({ ...inputs, envs: [...inputs.envs, `DELAY_MS=${DELAY_MS}`] });
  created.containers.push(id);
  return id;
}

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
  routerImage = (await ensureHaproxyImage()).image;
  for (const [key, v] of [['v1', '1.0.0'], ['v2', '2.0.0'], ['v3', '3.0.0']] as const) {
    // A label of this run's own: an identical build elsewhere would share the image ID, and a test
    // that removes images by ID (`rmi -f`) would remove this run's too.
    artifacts[key] = await buildArtifact({ dir: 'app', cwd: ROOT, name: ARTIFACT, version: v, baseImage: base.image, labels: { 'slipway.test.run': APP } });
    tags.push(`${ARTIFACT}:${v}`);
  }
  const [pub, test] = await freePorts(2);
  ports = { public: pub!, test: test! };

  plans = {
    blue: await planRelease({ live: 'blue', blue: artifacts.v1, green: artifacts.v2 }),
    green: await planRelease({ live: 'green', blue: artifacts.v1, green: artifacts.v2 }),
  };
  urls = plans.blue.outputs as Urls;

  const net = named(plans.blue, NETWORK, `${APP}-network`).inputs as { name: string; driver: string; labels: { label: string; value: string }[] };
  const labels = [...net.labels.map((l) => `${l.label}=${l.value}`), TEST_LABEL].flatMap((l) => ['--label', l]);
  await docker(['network', 'create', '--driver', net.driver, ...labels, net.name]);
  created.network = net.name;

  const blue = await startSlot(plans.blue, 'blue');
  const green = await startSlot(plans.blue, 'green');
  // The provider resolves the RemoteImage to the image's ID; the mock cannot, so do what it does.
  const imageName = String(named(plans.blue, IMAGE, `${APP}-router-image`).inputs.name);
  const routerInputs = named(plans.blue, CONTAINER, `${APP}-router-container`).inputs;
  const router = await createContainer({ ...routerInputs, image: await docker(['image', 'inspect', '--format', '{{.Id}}', imageName]) });
  created.containers.push(router);
  ids = { router, blue, green };

  // RouterConfig depends on the slot containers; wait until their apps listen, so routes answer 200.
  await waitForLog(blue, 'listening on');
  await waitForLog(green, 'listening on');
  await waitFor(`${urls.publicUrl}/version`, () => true);
  await waitFor(`${urls.testUrl}/version`, () => true);
}

afterAll(async () => {
  await load?.stop();
  await removeContainers(created.containers);
  if (created.network) await docker(['network', 'rm', created.network]).catch(() => undefined);
  await removeImages(tags); // the node and haproxy base images are shared and stay
});

describe('the HAProxy router on a real engine', () => {
  it('starts from the image command with the uploaded config: both routes answer 503 before any RouterConfig', async () => {
    const [cmd, entrypoint, stopSignal] = (await docker(['inspect', '--format', '{{json .Config.Cmd}}|{{json .Config.Entrypoint}}|{{.Config.StopSignal}}', ids.router])).split('|');
    expect(JSON.parse(cmd!)).toEqual(HAPROXY_IMAGE_CMD);
    expect(JSON.parse(entrypoint!)).toBeNull();
    expect(stopSignal).toBe('SIGUSR1');
    const planned = named(plans.blue, CONTAINER, `${APP}-router-container`).inputs;
    expect(planned.command ?? planned.entrypoint).toBeUndefined();
    expect(planned.uploads).toEqual([
      { file: ROUTER_CONF_PATH, content: containerRouterConfig(8080) },
      { file: ROUTES_PATH, content: renderRoutes(BOOTSTRAP_ROUTES) },
    ]);
    expect(await docker(['exec', ids.router, 'cat', ROUTER_CONF_PATH])).toBe(containerRouterConfig(8080).trimEnd());
    expect(await routesFile()).toBe(renderRoutes(BOOTSTRAP_ROUTES).trimEnd());

    expect(await version('publicUrl')).toEqual({ status: 503, slot: 'blue', body: 'slot blue has no release' });
    expect(await version('testUrl')).toEqual({ status: 503, slot: 'green', body: 'slot green has no release' });
  });

  it('create applies the release routes to the running router: public → live slot, test → idle slot', async () => {
    const planned = plannedConfig(plans.blue);
    expect(planned.routes).toEqual({ public: 'blue', test: 'green' });
    // The resource computes its command from the container ID alone; here that ID is the real one.
    expect(planned.command).toEqual(installRoutesCommand(String(planned.container), ROUTES_PATH, routeCommands(ROUTES_PATH, planned.routes as Routes), RUNTIME_API.port));

    const state = routerConfigState(plans.blue);
    const result = await provider.create(state);
    expect(result.id).toBe(`${ids.router}:routes`);
    current = result.outs as RouterConfigState;

    expect(await version('publicUrl')).toEqual(served(artifacts.v1, 'blue'));
    expect(await version('testUrl')).toEqual(served(artifacts.v2, 'green'));
    expect(await routesFile()).toBe(state.routesText.trimEnd());
  });

  it('switches 20 times under keep-alive load without failing or resetting a request, and replaces no container', async () => {
    // Why no container is replaced: only the RouterConfig's inputs differ between the two plans.
    expect(inputsBut(plans.green, ROUTER_CONFIG)).toEqual(inputsBut(plans.blue, ROUTER_CONFIG));
    expect(plannedConfig(plans.green).routes).toEqual({ public: 'green', test: 'blue' });
    const serialized = { blue: serializedProvider(plans.blue), green: serializedProvider(plans.green) };

    const before = await Promise.all(Object.values(ids).map(containerState));
    load = startLoad(`${urls.publicUrl}/version`, { concurrency: 8, slotHeader: SLOT_HEADER, retry: false });
    await load.firstFrom('blue', 0, 10_000);

    const switches: { to: Slot; updateMs: number; firstResponseMs: number }[] = [];
    for (let i = 0; i < 20; i++) {
      const to: Slot = i % 2 ? 'blue' : 'green';
      const at = performance.now();
      const first = load.firstFrom(to, at, 10_000);
      const { outs } = await serialized[to].update(`${ids.router}:routes`, current, routerConfigState(plans[to]));
      const updateMs = Math.round(performance.now() - at);
      current = outs as RouterConfigState;
      // Once update has returned, a new connection reaches the new live slot.
      expect((await version('publicUrl')).slot, `public right after switch ${i + 1} to ${to}`).toBe(to);
      switches.push({ to, updateMs, firstResponseMs: Math.round((await first).at - at) });
      await sleep(250); // traffic keeps flowing on the new routes before the next switch
    }
    const stats = await load.stop();
    load = undefined;
    const ms = switches.map((s) => s.updateMs).sort((a, b) => a - b);
    console.log(`haproxy router switches: ${JSON.stringify({ ...stats, updateMs: { min: ms[0], median: ms[10], max: ms[19] }, switches })}`);

    expect(stats.failures).toEqual([]);
    expect(stats.failed).toBe(0);
    expect(stats.resets).toBe(0);
    expect(stats.bySlot.blue).toBeGreaterThan(0);
    expect(stats.bySlot.green).toBeGreaterThan(0);
    expect(await Promise.all(Object.values(ids).map(containerState))).toEqual(before);
    expect(await version('publicUrl')).toEqual(served(artifacts.v1, 'blue'));
    expect(await version('testUrl')).toEqual(served(artifacts.v2, 'green'));
  });

  it('lets a 5 s request in flight finish on the old slot while the switch moves new requests', async () => {
    expect(current.routes.public).toBe('blue');
    const slow = inFlight(`${urls.publicUrl}/api/items`);
    await slow.headers; // blue has answered the headers; its body follows DELAY_MS later
    const at = performance.now();
    const { outs } = await provider.update(`${ids.router}:routes`, current, routerConfigState(plans.green));
    const updateMs = Math.round(performance.now() - at);
    current = outs as RouterConfigState;
    expect(await version('publicUrl')).toEqual(served(artifacts.v2, 'green'));

    const r = await slow.done;
    console.log(`haproxy router in-flight request: ${JSON.stringify({ ms: r.ms, updateMs })}`);
    expect({ status: r.status, slot: r.slot }).toEqual({ status: 200, slot: 'blue' });
    expect(JSON.parse(r.body)).toMatchObject({ items: expect.any(Array) });
    expect(r.ms).toBeGreaterThanOrEqual(DELAY_MS - 100);
  });

  it('comes back from a restart with the last applied routes (the map file was rewritten)', async () => {
    expect(await routesFile()).toBe(current.routesText.trimEnd());
    const before = await containerState(ids.router);
    const at = Date.now();
    await docker(['restart', ids.router]);
    const restartMs = Date.now() - at;
    const answerMs = await waitFor(`${urls.publicUrl}/version`, (r) => r.status === 200);
    console.log(`haproxy router restart: ${JSON.stringify({ restartMs, answerMs })}`);
    const after = await containerState(ids.router);
    expect(after.id).toBe(before.id);
    expect(after.startedAt).not.toBe(before.startedAt);

    expect(await version('publicUrl')).toEqual(served(artifacts.v2, 'green'));
    expect(await version('testUrl')).toEqual(served(artifacts.v1, 'blue'));
  });

  it('fails in one line, within the runtime API timeout, when the runtime API does not answer', async () => {
    const wrongPort = RUNTIME_API.port + 1; // nothing listens there in the container
    const at = performance.now();
    const err = (await provider.update(`${ids.router}:routes`, current, routerConfigState(plans.blue, wrongPort)).catch((e: unknown) => e)) as Error;
    const ms = Math.round(performance.now() - at);
    console.log(`haproxy router unreachable runtime API: ${JSON.stringify({ ms, message: err.message })}`);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).not.toContain('\n');
    expect(err.message).toMatch(new RegExp(`^router config: applying routes to container ${ids.router} failed: `));
    expect(err.message).toContain(`did not answer within ${RUNTIME_API_TIMEOUT_SECONDS}s`);
    expect(ms).toBeLessThan((RUNTIME_API_TIMEOUT_SECONDS + 5) * 1000);
    // HAProxy never got the switch: public still serves green.
    expect(await version('publicUrl')).toEqual(served(artifacts.v2, 'green'));

    // Nor the map file a restart would read: a failed switch changes neither.
    expect(await routesFile()).toBe(current.routesText.trimEnd());
    await expect(docker(['exec', ids.router, 'bash', '-c', `[ ! -e ${ROUTES_PATH}.next ]`])).resolves.toBe('');
  });

  it('fails within the runtime API timeout when HAProxy accepts the connection but never answers', async () => {
    // A frozen worker: the kernel still accepts on the runtime API's socket, nothing reads or answers.
    const findWorker = 'for s in /proc/[0-9]*/stat; do read -r pid comm _ ppid _ < "$s"; [ "$comm" = "(haproxy)" ] && [ "$ppid" = 1 ] && echo "$pid"; done; true';
    const worker = await docker(['exec', '-u', '0', ids.router, 'bash', '-c', findWorker]);
    expect(worker).toMatch(/^\d+$/);
    await docker(['exec', '-u', '0', ids.router, 'bash', '-c', `kill -STOP ${worker}`]);
    const limitMs = (RUNTIME_API_TIMEOUT_SECONDS + 5) * 1000;
    const at = performance.now();
    const pending = provider.update(`${ids.router}:routes`, current, current).then(() => 'applied', (e: Error) => e);
    let outcome: Error | string;
    try {
      outcome = await Promise.race([pending, sleep(limitMs).then(() => `still waiting after ${limitMs} ms`)]);
    } finally {
      await docker(['exec', '-u', '0', ids.router, 'bash', '-c', `kill -CONT ${worker}`]);
    }
    const ms = Math.round(performance.now() - at);
    await Promise.race([pending, sleep(5000)]); // an install still waiting gets its answer now
    console.log(`haproxy router frozen runtime API: ${JSON.stringify({ ms, outcome: String(outcome) })}`);
    expect(outcome).toBeInstanceOf(Error);
    const { message } = outcome as Error;
    expect(message).not.toContain('\n');
    expect(message).toMatch(new RegExp(`^router config: applying routes to container ${ids.router} failed: .*did not answer`));
    expect(await version('publicUrl')).toEqual(served(artifacts.v2, 'green'));
  });

  it('reaches a replaced slot container (new image, new address) through the test route within seconds', async () => {
    const next = await planRelease({ live: 'green', blue: artifacts.v3, green: artifacts.v2 });
    // A new release of the idle slot replaces only its container; the routes do not change.
    const was = inputsBut(plans.green, ROUTER_CONFIG);
    const changed = Object.entries(inputsBut(next, ROUTER_CONFIG)).filter(([urn, inputs]) => JSON.stringify(inputs) !== JSON.stringify(was[urn]));
    expect(changed.map(([urn]) => urn.split('::').pop())).toEqual([`${APP}-blue-container`]);
    expect(plannedConfig(next)).toEqual(plannedConfig(plans.green));

    load = startLoad(`${urls.publicUrl}/version`, { concurrency: 4, slotHeader: SLOT_HEADER, retry: false });
    const oldIp = await ipOf(ids.blue);
    await removeContainers([ids.blue]); // deleteBeforeReplace: the name cannot exist twice
    // Docker hands a freed address straight to the next container: hold it, so the new one gets another.
    const holder = await docker(['run', '-d', '--network', created.network!, '--label', TEST_LABEL, routerImage, 'sleep', '600']);
    created.containers.push(holder);
    ids.blue = await startSlot(next, 'blue');
    // A request HAProxy sent to the old address is retried there (three times, a second apart): poll
    // with fresh requests instead of waiting for one stuck in those retries.
    const reachedAt = Date.now() + (await waitFor(`${urls.testUrl}/version`, (r) => r.status === 200, 15_000, 200));
    const stats = await load.stop();
    load = undefined;
    const newIp = await ipOf(ids.blue);
    const startedAt = Date.parse(await docker(['inspect', '--format', '{{.State.StartedAt}}', ids.blue]));
    const listeningAt = Date.parse((await waitForLog(ids.blue, 'listening on')).split(' ')[0]!);
    // HAProxy logs the address it resolved: `blue/blue changed its IP from <old> to <new> by slots/dns.`
    const change = (await docker(['logs', '--timestamps', ids.router])).split('\n').find((l) => l.includes(`blue/blue changed its IP from ${oldIp} to ${newIp}`));
    const resolvedAt = Date.parse(change?.split(' ')[0] ?? '');
    const timing = { resolvedMs: resolvedAt - startedAt, listeningMs: listeningAt - startedAt, reachedMs: reachedAt - startedAt };
    console.log(`haproxy router re-resolve: ${JSON.stringify({ oldIp, newIp, ...timing, publicLoad: stats })}`);

    expect(newIp).not.toBe(oldIp);
    expect(change, 'the router log line of the new address').toBeDefined();
    expect(await version('testUrl')).toEqual(served(artifacts.v3, 'blue'));
    expect(timing.reachedMs).toBeLessThan(5000);
    // The live slot, behind the other route, never noticed.
    expect(stats.failed).toBe(0);
    expect(stats.bySlot.green).toBe(stats.requests);
  });
});
