import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderRoutes, routeCommands } from '../components/docker/haproxyConfig';
import { BOOTSTRAP_ROUTES, containerRouterConfig, ROUTER_CONF_PATH, ROUTER_LISTEN } from '../components/docker/router';
import { installRoutesCommand, ROUTES_PATH, RUNTIME_API, RUNTIME_API_TIMEOUT_SECONDS, type RouterConfigState } from '../components/docker/routerConfig';
import type { Plan, PlannedResource } from '../pipeline/review/plan';
import { DIGEST_A, DIGEST_B, named, ofType, plan } from './mocks';

const CONTAINER = 'docker:index/container:Container';
const NETWORK = 'docker:index/network:Network';
const IMAGE = 'docker:index/remoteImage:RemoteImage';
const ROUTER_CONFIG = 'pulumi-nodejs:dynamic/slipway:RouterConfig';

type Release = { live: 'blue' | 'green'; blue?: string; green?: string };

/** Plans the local stack with the given release: `blue`/`green` are digests (repo shop, versions 1.0.0/1.1.0). */
function planRelease(r: Release): Promise<Plan> {
  return plan('local', (raw) => {
    raw['slipway:release'] = {
      live: r.live,
      blue: r.blue ? { image: `shop:1.0.0@${r.blue}`, version: '1.0.0' } : {},
      green: r.green ? { image: `registry.local:5000/shop@${r.green}`, version: '1.1.0' } : {},
    };
  });
}

const routesOf = (p: Plan) => named(p, ROUTER_CONFIG, 'shop-router-config').inputs.routes;
const labelsOf = (r: PlannedResource) =>
  Object.fromEntries((r.inputs.labels as { label: string; value: string }[]).map((l) => [l.label, l.value]));

let both: Plan;
let flipped: Plan;
let blueOnly: Plan;
beforeAll(async () => {
  both = await planRelease({ live: 'blue', blue: DIGEST_A, green: DIGEST_B });
  flipped = await planRelease({ live: 'green', blue: DIGEST_A, green: DIGEST_B });
  blueOnly = await planRelease({ live: 'blue', blue: DIGEST_A });
});

describe('Docker environment under mocks', () => {
  it('routes public to the live slot and test to the idle slot; the router reaches slots by network alias', () => {
    expect(routesOf(both)).toEqual({ public: 'blue', test: 'green' });
    expect(routesOf(flipped)).toEqual({ public: 'green', test: 'blue' });
    const cfg = named(both, ROUTER_CONFIG, 'shop-router-config').inputs;
    expect(cfg.routesText).toBe(renderRoutes({ public: 'blue', test: 'green' }));
    const router = named(both, CONTAINER, 'shop-router-container').inputs;
    const haproxyCfg = (router.uploads as { file: string; content: string }[])[0]!.content;
    expect(haproxyCfg).toContain('server blue blue:8080 ');
    expect(haproxyCfg).toContain('server green green:8080 ');
  });

  it('a switch changes only the router config: no container, image or network input moves', () => {
    const stable = (p: Plan) => p.resources.filter((r) => r.type !== ROUTER_CONFIG).map((r) => [r.urn, r.inputs]);
    expect(stable(flipped)).toEqual(stable(both));
    const cfg = (p: Plan) => named(p, ROUTER_CONFIG, 'shop-router-config').inputs;
    expect(cfg(flipped).container).toEqual(cfg(both).container);
    expect(cfg(flipped).routes).not.toEqual(cfg(both).routes);
  });

  it('runs each slot container from the local image ID in its release digest', () => {
    expect(named(both, CONTAINER, 'shop-blue-container').inputs.image).toBe(DIGEST_A);
    expect(named(both, CONTAINER, 'shop-green-container').inputs.image).toBe(DIGEST_B);
  });

  it('gives each slot container its name, network alias, memory limit, env and restart policy', () => {
    const green = named(both, CONTAINER, 'shop-green-container').inputs;
    expect(green).toMatchObject({
      name: 'shop-local-green',
      memory: 256,
      restart: 'unless-stopped',
      networksAdvanced: [{ name: 'shop-local', aliases: ['green'] }],
    });
    expect(green.envs).toEqual(expect.arrayContaining(['PORT=8080', 'APP_VERSION=1.1.0']));
    expect(green.ports ?? []).toEqual([]); // reachable only through the router
  });

  it('publishes the host ports to the router on loopback, and starts it with routes that serve nothing', () => {
    const router = named(both, CONTAINER, 'shop-router-container').inputs;
    expect(router).toMatchObject({ name: 'shop-local-router', restart: 'unless-stopped', stopSignal: 'SIGUSR1', networksAdvanced: [{ name: 'shop-local' }] });
    expect(router.ports).toEqual([
      { internal: ROUTER_LISTEN.public, external: 8080, ip: '127.0.0.1' },
      { internal: ROUTER_LISTEN.test, external: 8081, ip: '127.0.0.1' },
    ]);
    expect(router.uploads).toEqual([
      { file: ROUTER_CONF_PATH, content: containerRouterConfig(8080) },
      { file: ROUTES_PATH, content: renderRoutes(BOOTSTRAP_ROUTES) },
    ]);
    expect(BOOTSTRAP_ROUTES).toEqual({ public: 'blue_empty', test: 'green_empty' });
    expect(named(both, IMAGE, 'shop-router-image').inputs).toMatchObject({ name: 'haproxy:3.2', keepLocally: true });
  });

  it('labels the network and every container with the environment, and slot containers with their slot', () => {
    const base = { environment: 'local', app: 'shop', 'managed-by': 'slipway', team: 'platform' };
    expect(labelsOf(named(both, NETWORK, 'shop-network'))).toMatchObject(base);
    expect(labelsOf(named(both, CONTAINER, 'shop-router-container'))).toMatchObject(base);
    expect(labelsOf(named(both, CONTAINER, 'shop-blue-container'))).toMatchObject({ ...base, slot: 'blue' });
    expect(labelsOf(named(both, CONTAINER, 'shop-green-container'))).toMatchObject({ ...base, slot: 'green' });
  });

  it('exports the public and test URLs on localhost', () => {
    expect(both.outputs).toMatchObject({ publicUrl: 'http://localhost:8080', testUrl: 'http://localhost:8081' });
  });

  it('parents every resource under the environment component', () => {
    const env = named(both, 'slipway:docker:Environment', 'shop').urn;
    const byUrn = new Map(both.resources.map((r) => [r.urn, r]));
    const under = (r: PlannedResource): boolean => r.parent === env || (!!r.parent && !!byUrn.get(r.parent) && under(byUrn.get(r.parent)!));
    for (const r of [...ofType(both, CONTAINER), ...ofType(both, NETWORK), ...ofType(both, ROUTER_CONFIG)]) expect(under(r), r.name).toBe(true);
  });
});

describe('a slot without a release', () => {
  it('has no container, and its route answers 503', () => {
    const p = blueOnly;
    expect(ofType(p, CONTAINER).map((r) => r.name).sort()).toEqual(['shop-blue-container', 'shop-router-container']);
    expect(named(p, 'slipway:docker:Slot', 'shop-green')).toBeDefined();
    expect(routesOf(p)).toEqual({ public: 'blue', test: 'green_empty' });
  });

  it('an empty stack plans a router answering 503 on both ports', async () => {
    const p = await planRelease({ live: 'blue' });
    expect(ofType(p, CONTAINER).map((r) => r.name)).toEqual(['shop-router-container']);
    expect(routesOf(p)).toEqual({ public: 'blue_empty', test: 'green_empty' });
  });
});

describe('the RouterConfig provider', () => {
  let serialized: string;
  let dir: string;
  beforeAll(() => {
    serialized = String(named(blueOnly, ROUTER_CONFIG, 'shop-router-config').inputs.__provider);
    dir = mkdtempSync(join(tmpdir(), 'slipway-fake-docker-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Loads the serialized provider the way Pulumi's dynamic-provider host does: a fresh CommonJS module. */
  function loadProvider() {
    const Module = createRequire(import.meta.url)('node:module') as new (id: string) => { _compile(code: string, file: string): void; exports: any };
    const m = new Module('router-config-provider');
    m._compile(serialized, join(dir, 'provider.js'));
    return m.exports.handler() as {
      diff(id: string, olds: RouterConfigState, news: RouterConfigState): Promise<{ changes?: boolean; replaces?: string[] }>;
      create(inputs: RouterConfigState): Promise<{ id: string; outs: RouterConfigState }>;
      update(id: string, olds: RouterConfigState, news: RouterConfigState): Promise<{ outs: RouterConfigState }>;
    };
  }

  const COMMANDS = routeCommands(ROUTES_PATH, { public: 'blue', test: 'green' });
  const command = (id = 'router-id') => installRoutesCommand(id, ROUTES_PATH, COMMANDS, RUNTIME_API.port);

  /** A `docker` stand-in that records its argv and stdin, prints `stdout` and exits with `code`. */
  function fakeDocker(code: number, stdout = ''): RouterConfigState['command'] {
    const bin = join(dir, `docker-${code}-${stdout.length}`);
    writeFileSync(bin, `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/argv"\ncat > "${dir}/stdin"\nprintf '%s' '${stdout}'\necho "fake docker failed" >&2\nexit ${code}\n`);
    chmodSync(bin, 0o755);
    return [bin, ...command().slice(1)];
  }
  const HELD = '\n\n0x55d0c1 public blue\n0x55d0c2 test green\n\n';

  const state = (over: Partial<RouterConfigState> = {}): RouterConfigState => ({
    container: 'router-id',
    routes: { public: 'blue', test: 'green' },
    routesText: 'public blue\ntest green\n',
    command: command(),
    ...over,
  });

  it('updates in place when only the routes change, and replaces when the router container does', async () => {
    const p = loadProvider();
    expect(await p.diff('x', state(), state({ routes: { public: 'green', test: 'blue' } }))).toMatchObject({ changes: true, replaces: [] });
    expect(await p.diff('x', state(), state())).toMatchObject({ changes: false, replaces: [] });
    expect(await p.diff('x', state(), state({ container: 'new-router' }))).toMatchObject({ changes: true, replaces: ['container'] });
  });

  it('pipes the map into the router container and checks the map HAProxy answers with (serialized code runs standalone)', async () => {
    const p = loadProvider();
    const created = await p.create(state({ command: fakeDocker(0, HELD) }));
    expect(created.id).toBe('router-id:routes');
    expect(readFileSync(join(dir, 'stdin'), 'utf8')).toBe('public blue\ntest green\n');
    expect(readFileSync(join(dir, 'argv'), 'utf8').trim().split('\n').slice(0, 7)).toEqual(command().slice(1, 8));
    const flippedHeld = '0x1 public green\n0x2 test blue\n';
    const next = state({ routes: { public: 'green', test: 'blue' }, routesText: 'public green\ntest blue\n', command: fakeDocker(0, flippedHeld) });
    await p.update('router-id:routes', created.outs, next);
    expect(readFileSync(join(dir, 'stdin'), 'utf8')).toBe('public green\ntest blue\n');
  });

  it('fails when HAProxy does not hold the routes afterwards, quoting its answer', async () => {
    await expect(loadProvider().update('x', state(), state({ command: fakeDocker(0, 'entry not found.\n') }))).rejects.toThrow(
      'router config: applying routes to container router-id failed: HAProxy holds public -> nothing, not blue; its answer: "entry not found."',
    );
  });

  it('fails the update with docker\'s own message when the command fails', async () => {
    await expect(loadProvider().update('x', state(), state({ command: fakeDocker(1) }))).rejects.toThrow(
      'router config: applying routes to container router-id failed: exit 1: fake docker failed',
    );
  });

  it('changes HAProxy first, on the container\'s loopback as root, and replaces the map file only once HAProxy holds it', () => {
    const argv = installRoutesCommand('abc123', ROUTES_PATH, COMMANDS, 9999);
    expect(argv.slice(0, 8)).toEqual(['docker', 'exec', '-i', '-u', '0', 'abc123', 'bash', '-c']);
    expect(argv.slice(9)).toEqual(['slipway-routes', ROUTES_PATH, COMMANDS, '9999']);
    const script = argv[8]!;
    expect(script.indexOf('mv "$1.next" "$1"')).toBeGreaterThan(script.indexOf('/dev/tcp/127.0.0.1/$3'));
    expect(script.indexOf('mv "$1.next" "$1"')).toBeGreaterThan(script.indexOf('does not hold $k -> $v after the change'));
    expect(script).toContain(`did not answer within ${RUNTIME_API_TIMEOUT_SECONDS}s`);
    // The script really is valid bash.
    execFileSync('bash', ['-n', '-c', script]);
  });
});
