import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOTSTRAP_CONFIG, ROUTER_LISTEN } from '../components/docker/router';
import { installConfigCommand, RELOAD_TIMEOUT_SECONDS, type RouterConfigState } from '../components/docker/routerConfig';
import type { Plan, PlannedResource } from '../pipeline/review/plan';
import { DIGEST_A, DIGEST_B, named, ofType, plan } from './mocks';
import { routesOf } from './support/nginx';

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

const routerConfigOf = (p: Plan) => String(named(p, ROUTER_CONFIG, 'shop-router-config').inputs.config);
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
  it('routes public to the live slot and test to the idle slot, by network alias', () => {
    expect(routesOf(routerConfigOf(both)).map((r) => [r.listen, r.slot, r.target])).toEqual([
      [String(ROUTER_LISTEN.public), 'blue', 'blue:8080'],
      [String(ROUTER_LISTEN.test), 'green', 'green:8080'],
    ]);
    expect(routesOf(routerConfigOf(flipped)).map((r) => r.slot)).toEqual(['green', 'blue']);
  });

  it('a switch changes only the router config: no container, image or network input moves', () => {
    const stable = (p: Plan) => p.resources.filter((r) => r.type !== ROUTER_CONFIG).map((r) => [r.urn, r.inputs]);
    expect(stable(flipped)).toEqual(stable(both));
    const cfg = (p: Plan) => named(p, ROUTER_CONFIG, 'shop-router-config').inputs;
    expect(cfg(flipped).container).toEqual(cfg(both).container);
    expect(cfg(flipped).config).not.toEqual(cfg(both).config);
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

  it('publishes the host ports to the router on loopback, and starts it with a config that serves nothing', () => {
    const router = named(both, CONTAINER, 'shop-router-container').inputs;
    expect(router).toMatchObject({ name: 'shop-local-router', restart: 'unless-stopped', networksAdvanced: [{ name: 'shop-local' }] });
    expect(router.ports).toEqual([
      { internal: ROUTER_LISTEN.public, external: 8080, ip: '127.0.0.1' },
      { internal: ROUTER_LISTEN.test, external: 8081, ip: '127.0.0.1' },
    ]);
    expect(router.uploads).toEqual([{ file: '/etc/nginx/nginx.conf', content: BOOTSTRAP_CONFIG }]);
    expect(routesOf(BOOTSTRAP_CONFIG).map((r) => r.target)).toEqual(['503', '503']);
    expect(named(both, IMAGE, 'shop-router-image').inputs).toMatchObject({ name: 'nginx:1.27-alpine', keepLocally: true });
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
    expect(routesOf(routerConfigOf(p)).map((r) => [r.slot, r.target])).toEqual([['blue', 'blue:8080'], ['green', '503']]);
  });

  it('an empty stack plans a router answering 503 on both ports', async () => {
    const p = await planRelease({ live: 'blue' });
    expect(ofType(p, CONTAINER).map((r) => r.name)).toEqual(['shop-router-container']);
    expect(routesOf(routerConfigOf(p)).map((r) => r.target)).toEqual(['503', '503']);
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

  /** A `docker` stand-in that records its argv and stdin, exiting with `code`. */
  function fakeDocker(code: number): RouterConfigState['command'] {
    const bin = join(dir, `docker-${code}`);
    writeFileSync(bin, `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/argv"\ncat > "${dir}/stdin"\necho "fake docker failed" >&2\nexit ${code}\n`);
    chmodSync(bin, 0o755);
    return [bin, ...installConfigCommand('router-id').slice(1)];
  }

  const state = (over: Partial<RouterConfigState> = {}): RouterConfigState => ({
    container: 'router-id',
    config: 'events {}\n',
    command: installConfigCommand('router-id'),
    ...over,
  });

  it('updates in place when only the config changes, and replaces when the router container does', async () => {
    const p = loadProvider();
    expect(await p.diff('x', state(), state({ config: 'other' }))).toMatchObject({ changes: true, replaces: [] });
    expect(await p.diff('x', state(), state())).toMatchObject({ changes: false, replaces: [] });
    expect(await p.diff('x', state(), state({ container: 'new-router' }))).toMatchObject({ changes: true, replaces: ['container'] });
  });

  it('pipes the config into the router container and reloads nginx (serialized code runs standalone)', async () => {
    const p = loadProvider();
    const created = await p.create(state({ command: fakeDocker(0), config: 'worker_processes 1;\n' }));
    expect(created.id).toBe('router-id:nginx.conf');
    expect(readFileSync(join(dir, 'stdin'), 'utf8')).toBe('worker_processes 1;\n');
    expect(readFileSync(join(dir, 'argv'), 'utf8').trim().split('\n')).toEqual(installConfigCommand('router-id').slice(1));
    await p.update('router-id:nginx.conf', created.outs, state({ command: fakeDocker(0), config: 'worker_processes 2;\n' }));
    expect(readFileSync(join(dir, 'stdin'), 'utf8')).toBe('worker_processes 2;\n');
  });

  it('fails the update with docker\'s own message when the install fails', async () => {
    await expect(loadProvider().update('x', state(), state({ command: fakeDocker(1) }))).rejects.toThrow(
      'router config: installing nginx.conf into container router-id failed (exit 1): fake docker failed',
    );
  });

  it('installs through a checked temp file, so a config nginx rejects never replaces the running one', () => {
    const [docker, exec, i, container, sh, c, script] = installConfigCommand('abc123');
    expect([docker, exec, i, container, sh, c]).toEqual(['docker', 'exec', '-i', 'abc123', 'sh', '-c']);
    // Checked before it goes live, then reloaded, then waited for: the old workers must stop accepting.
    expect(script!.startsWith(
      'cat > /etc/nginx/nginx.conf.next && if ! nginx -t -q -c /etc/nginx/nginx.conf.next; then rm -f /etc/nginx/nginx.conf.next; exit 1; fi' +
        ' && mv /etc/nginx/nginx.conf.next /etc/nginx/nginx.conf && ',
    )).toBe(true);
    expect(script!.indexOf('nginx -s reload')).toBeGreaterThan(script!.indexOf('mv /etc/nginx/nginx.conf.next'));
    expect(script).toContain(`within ${RELOAD_TIMEOUT_SECONDS}s`);
    // The script really is valid sh.
    execFileSync('sh', ['-n', '-c', script!]);
  });
});
