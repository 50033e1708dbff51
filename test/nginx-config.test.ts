import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONTAINER_RUNTIME, renderNginxConfig, type RouterConfigSpec, type Upstream } from '../components/docker/nginxConfig';
import type { Slot } from '../stacks/schema';
import { routesOf } from './support/nginx';

const runtime = { pidFile: '/tmp/r/nginx.pid', tempDir: '/tmp/r', errorLog: '/tmp/r/error.log', accessLog: 'off' };
const BLUE: Upstream = { host: '127.0.0.1', port: 4001 };
const GREEN: Upstream = { host: '127.0.0.1', port: 4002 };

function spec(over: Partial<RouterConfigSpec> = {}): RouterConfigSpec {
  return { live: 'blue', upstreams: { blue: BLUE, green: GREEN }, listen: { public: 8080, test: 8081 }, bindAddress: '127.0.0.1', runtime, ...over };
}

describe('router routes', () => {
  it('sends public to the live slot and test to the idle one, naming the slot in a header', () => {
    expect(routesOf(renderNginxConfig(spec()))).toEqual([
      { listen: '127.0.0.1:8080', slot: 'blue', target: '127.0.0.1:4001' },
      { listen: '127.0.0.1:8081', slot: 'green', target: '127.0.0.1:4002' },
    ]);
    expect(routesOf(renderNginxConfig(spec({ live: 'green' })))).toEqual([
      { listen: '127.0.0.1:8080', slot: 'green', target: '127.0.0.1:4002' },
      { listen: '127.0.0.1:8081', slot: 'blue', target: '127.0.0.1:4001' },
    ]);
  });

  it('answers 503 with a short text for a slot without a release, still naming the slot', () => {
    const conf = renderNginxConfig(spec({ upstreams: { blue: BLUE, green: undefined } }));
    expect(routesOf(conf)[1]).toEqual({ listen: '127.0.0.1:8081', slot: 'green', target: '503' });
    expect(conf).toContain('return 503 "slot green has no release\\n";');
    expect(conf).toMatch(/add_header X-Slipway-Slot green always;/);
  });

  it('for any live slot and releases: public is live, test is idle, and a switch swaps exactly those', () => {
    const up = fc.option(fc.record({ host: fc.constantFrom('blue', 'green', '10.0.0.7'), port: fc.integer({ min: 1, max: 65535 }) }), { nil: undefined });
    fc.assert(
      fc.property(fc.constantFrom<Slot>('blue', 'green'), up, up, fc.boolean(), (live, blue, green, dns) => {
        const idle: Slot = live === 'blue' ? 'green' : 'blue';
        const ups = { blue, green };
        const want = (s: Slot) => (ups[s] ? `${ups[s].host}:${ups[s].port}` : '503');
        const s = spec({ live, upstreams: ups, ...(dns ? { resolver: '127.0.0.11' } : {}) });
        const [pub, test] = routesOf(renderNginxConfig(s));
        expect(pub).toMatchObject({ slot: live, target: want(live) });
        expect(test).toMatchObject({ slot: idle, target: want(idle) });
        const [pub2, test2] = routesOf(renderNginxConfig({ ...s, live: idle }));
        expect([pub2, test2]).toEqual([{ ...pub, slot: idle, target: want(idle) }, { ...test, slot: live, target: want(live) }]);
      }),
    );
  });
});

describe('container mode (Docker DNS)', () => {
  const conf = renderNginxConfig(
    spec({ upstreams: { blue: { host: 'blue', port: 8080 }, green: { host: 'green', port: 8080 } }, bindAddress: undefined, runtime: CONTAINER_RUNTIME, resolver: '127.0.0.11' }),
  );

  it('resolves slot names per request through the resolver, so a missing container is a 502, not a failed load', () => {
    expect(conf).toMatch(/^\s*resolver 127\.0\.0\.11 valid=\d+s ipv6=off;$/m);
    expect(conf).not.toMatch(/^\s*upstream\s/m);
    expect(conf).toMatch(/set \$slipway_upstream http:\/\/blue:8080;\s*proxy_pass \$slipway_upstream;/);
    expect(routesOf(conf).map((r) => [r.listen, r.target])).toEqual([['8080', 'blue:8080'], ['8081', 'green:8080']]);
  });

  it("uses the official image's paths", () => {
    expect(conf).toContain('pid /var/run/nginx.pid;');
    expect(conf).toContain('error_log /var/log/nginx/error.log warn;');
    expect(conf).toContain('proxy_temp_path /var/cache/nginx/proxy_temp;');
    expect(conf).toMatch(/access_log \/var\/log\/nginx\/access\.log slipway;/);
  });
});

describe('proxy behaviour', () => {
  const conf = renderNginxConfig(spec());

  it('never replays a request on another upstream, and keeps upstream connections alive', () => {
    expect(conf).toMatch(/^\s*proxy_next_upstream off;$/m);
    expect(conf).toMatch(/^\s*proxy_http_version 1\.1;$/m);
    expect(conf).toMatch(/^\s*proxy_set_header Connection "";$/m);
    expect(conf).toMatch(/upstream slipway_blue \{[^}]*keepalive \d+;/);
  });

  it('bounds connect and read time, and hides an app-set slot header so only the router names it', () => {
    expect(conf).toMatch(/proxy_connect_timeout \d+s;/);
    expect(conf).toMatch(/proxy_read_timeout \d+s;/);
    expect(conf).toMatch(/proxy_hide_header X-Slipway-Slot;/);
  });

  it('puts every file nginx writes under the runtime paths', () => {
    expect(conf).toContain('pid /tmp/r/nginx.pid;');
    expect(conf).toContain('error_log /tmp/r/error.log warn;');
    for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) expect(conf).toContain(`${t}_temp_path /tmp/r/${t}_temp;`);
    expect(conf).toMatch(/^\s*access_log off;$/m);
  });
});

describe('bad input', () => {
  const bad = (over: Partial<RouterConfigSpec>) => () => renderNginxConfig(spec(over));

  it('names the field and what is allowed, in one line', () => {
    expect(bad({ upstreams: { blue: { host: 'blue; evil', port: 80 }, green: undefined } })).toThrow(
      'router config: upstreams.blue.host: "blue; evil" is not a host name or IPv4 address',
    );
    expect(bad({ upstreams: { blue: BLUE, green: { host: 'green', port: 70000 } } })).toThrow(
      'router config: upstreams.green.port: 70000 is not a port (1-65535)',
    );
    expect(bad({ listen: { public: 8080, test: 8080 } })).toThrow('router config: listen.test: 8080 is not different from listen.public');
    expect(bad({ runtime: { ...runtime, pidFile: 'nginx.pid' } })).toThrow(
      'router config: runtime.pidFile: "nginx.pid" is not an absolute path without spaces, quotes, ; { } $ or #',
    );
    expect(bad({ live: 'red' as Slot })).toThrow('router config: live: "red" is not a slot (blue, green)');
    expect(bad({ workerProcesses: 0 })).toThrow('router config: workerProcesses: 0 is not a whole number from 1 to 64');
  });
});
