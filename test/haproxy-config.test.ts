import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  emptyBackend,
  parseRoutes,
  renderHaproxyConfig,
  renderRoutes,
  routeCommands,
  routesFor,
  slotBackend,
  type RouterConfigSpec,
} from '../components/docker/haproxyConfig';
import { SLOTS, type Slot } from '../stacks/schema';

function spec(over: Partial<RouterConfigSpec> = {}): RouterConfigSpec {
  return {
    listen: { public: 8080, test: 8081 },
    bindAddress: '127.0.0.1',
    upstreams: { blue: { host: '127.0.0.1', port: 4001 }, green: { host: '127.0.0.1', port: 4002 } },
    runtimeApi: { host: '127.0.0.1', port: 9999 },
    routesFile: '/tmp/r/routes.map',
    log: 'off',
    ...over,
  };
}

/** The lines of one section (`frontend public`, `backend blue`), trimmed. */
function section(cfg: string, header: string): string[] {
  const blocks = cfg.split('\n\n').map((b) => b.split('\n').map((l) => l.trim()));
  const block = blocks.find((b) => b.includes(header));
  if (!block) throw new Error(`no section "${header}" in:\n${cfg}`);
  return block.slice(block.indexOf(header) + 1);
}

describe('routes', () => {
  it('sends public to the live slot and test to the idle one; a slot without a release gets its 503 backend', () => {
    expect(routesFor('blue', { blue: true, green: true })).toEqual({ public: 'blue', test: 'green' });
    expect(routesFor('green', { blue: true, green: true })).toEqual({ public: 'green', test: 'blue' });
    expect(routesFor('blue', { blue: true, green: false })).toEqual({ public: 'blue', test: 'green_empty' });
    expect(routesFor('blue', { blue: false, green: false })).toEqual({ public: 'blue_empty', test: 'green_empty' });
  });

  it('for any live slot and releases, a switch swaps exactly the two routes', () => {
    fc.assert(
      fc.property(fc.constantFrom<Slot>(...SLOTS), fc.boolean(), fc.boolean(), (live, b, g) => {
        const released = { blue: b, green: g };
        const idle: Slot = live === 'blue' ? 'green' : 'blue';
        const r = routesFor(live, released);
        expect(r.public).toBe(released[live] ? slotBackend(live) : emptyBackend(live));
        expect(routesFor(idle, released)).toEqual({ public: r.test, test: r.public });
      }),
    );
  });

  it('round-trips through the map file and reads the runtime API\'s `show map` answer', () => {
    const r = routesFor('green', { blue: true, green: true });
    expect(renderRoutes(r)).toBe('public green\ntest blue\n');
    expect(parseRoutes(renderRoutes(r))).toEqual(r);
    expect(parseRoutes('\n0x55d0c1 public green\n0x55d0c2 test blue\n\n')).toEqual(r);
    expect(parseRoutes('entry not found.\n')).toEqual({});
  });

  it('applies both routes with `set map` and ends by showing the map, in one runtime API line', () => {
    expect(routeCommands('/etc/r.map', { public: 'green', test: 'blue' })).toBe(
      'set map /etc/r.map public green; set map /etc/r.map test blue; show map /etc/r.map',
    );
  });
});

describe('haproxy.cfg', () => {
  const cfg = renderHaproxyConfig(spec());

  it('never mentions the release: the same text for every live slot and release', () => {
    expect(cfg).not.toMatch(/\blive\b/);
    expect(renderHaproxyConfig(spec())).toBe(cfg);
  });

  it('routes each frontend through the routes map, on its port', () => {
    expect(section(cfg, 'frontend public')).toEqual(
      expect.arrayContaining(['bind 127.0.0.1:8080', 'use_backend %[str(public),map(/tmp/r/routes.map)]', 'default_backend unrouted']),
    );
    expect(section(cfg, 'frontend test')).toEqual(expect.arrayContaining(['bind 127.0.0.1:8081', 'use_backend %[str(test),map(/tmp/r/routes.map)]']));
  });

  it('names the slot in a header on every answer, 503s and HAProxy\'s own errors included', () => {
    for (const slot of SLOTS) {
      expect(section(cfg, `backend ${slot}`)).toContain(`http-after-response set-header X-Slipway-Slot ${slot}`);
      expect(section(cfg, `backend ${slot}_empty`)).toEqual([
        `http-request return status 503 content-type text/plain string "slot ${slot} has no release"`,
        `http-after-response set-header X-Slipway-Slot ${slot}`,
      ]);
    }
    expect(section(cfg, 'backend blue')).toContain('server blue 127.0.0.1:4001');
    expect(section(cfg, 'backend green')).toContain('server green 127.0.0.1:4002');
  });

  it('never replays a request on another slot: only failed connects are retried, no redispatch', () => {
    const defaults = section(cfg, 'defaults');
    expect(defaults).toEqual(expect.arrayContaining(['retry-on conn-failure', 'no option redispatch']));
    expect(cfg).not.toMatch(/retry-on .*(all-retryable-errors|empty-response|response-timeout|50\d)/);
    expect(cfg).not.toMatch(/^\s*option redispatch/m);
  });

  it('keeps client connections alive longer than HAProxy\'s pooled server connections live', () => {
    expect(section(cfg, 'defaults')).toEqual(expect.arrayContaining(['timeout http-keep-alive 65s', 'default-server pool-purge-delay 1s']));
  });

  it('serves the runtime API on loopback only, at admin level', () => {
    expect(section(cfg, 'global')).toContain('stats socket ipv4@127.0.0.1:9999 level admin');
  });

  it('in a container: binds every interface, resolves slot aliases through Docker\'s DNS, logs to stdout', () => {
    const c = renderHaproxyConfig(
      spec({ bindAddress: undefined, resolver: '127.0.0.11', log: 'stdout', upstreams: { blue: { host: 'blue', port: 8080 }, green: { host: 'green', port: 8080 } } }),
    );
    expect(section(c, 'frontend public')).toContain('bind :8080');
    expect(section(c, 'resolvers slots')).toContain('nameserver dns 127.0.0.11:53');
    expect(section(c, 'backend blue')).toContain('server blue blue:8080 resolvers slots resolve-prefer ipv4 init-addr last,libc,none');
    expect(section(c, 'global')).toContain('log stdout format raw local0 info');
  });
});

describe('bad router config input', () => {
  const bad = (over: Partial<RouterConfigSpec>) => () => renderHaproxyConfig(spec(over));
  it('names the field and what is allowed', () => {
    expect(bad({ listen: { public: 0, test: 8081 } })).toThrow('router config: listen.public: 0 is not a port (1-65535)');
    expect(bad({ listen: { public: 8080, test: 8080 } })).toThrow('router config: listen.test: 8080 is not different from listen.public');
    expect(bad({ upstreams: { blue: { host: 'a b', port: 1 }, green: { host: 'g', port: 1 } } })).toThrow(
      'router config: upstreams.blue.host: "a b" is not a host name or IPv4 address',
    );
    expect(bad({ runtimeApi: { host: '127.0.0.1', port: 8080 } })).toThrow('router config: runtimeApi.port: 8080 is not different from the listen ports');
    expect(bad({ routesFile: 'routes.map' })).toThrow('router config: routesFile: "routes.map" is not an absolute path of letters, digits, . _ - and /');
    expect(bad({ routesFile: '/tmp/a;b' })).toThrow(/routesFile/);
  });
});

describe('bad routes', () => {
  it('refuses a backend the config does not define, and anything that could start another runtime command', () => {
    expect(() => routeCommands('/r.map', { public: 'nope', test: 'blue' })).toThrow(
      'router routes: public: "nope" is not a backend (blue, blue_empty, green, green_empty)',
    );
    expect(() => routeCommands('/r.map', { public: 'blue', test: 'green; shutdown sessions' })).toThrow(/router routes: test: /);
    expect(() => routeCommands('/r map', { public: 'blue', test: 'green' })).toThrow(/router routes: routesFile: /);
  });
});
