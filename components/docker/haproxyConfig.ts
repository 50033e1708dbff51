// The router's configuration, as pure functions of the stack and its release state. HAProxy, because it
// can move traffic without closing anything: haproxy.cfg names both slots and never mentions the
// release; a routes map (`public <backend>`, `test <backend>`) says which slot each port serves, and a
// switch rewrites that map through the runtime API. Every request HAProxy parses after the change goes
// to the new slot, on new and kept-alive connections alike, while requests already sent finish where
// they are. A reload (which nginx needs, and which closes idle keep-alive connections) never happens.
import { SLOTS, type Slot } from '../../stacks/schema';
import { idleSlotOf } from '../slots';

/** Where one slot's application answers. */
export interface Upstream {
  /** Host name (a Docker network alias) or IPv4 address. */
  host: string;
  port: number;
}

/** The two routes the router serves: production traffic and the pre-switch test route. */
export const ROUTES = ['public', 'test'] as const;
export type Route = (typeof ROUTES)[number];

/** What each route serves: a slot's backend, or the slot's 503 backend when it has no release. */
export type Routes = Record<Route, string>;

/** Response header naming the slot that served (or refused) a request. */
export const SLOT_HEADER = 'X-Slipway-Slot';

export interface RouterConfigSpec {
  /** Ports HAProxy listens on for each route. */
  listen: Record<Route, number>;
  /** Address to bind, e.g. `127.0.0.1`. Default: every interface (inside a container). */
  bindAddress?: string;
  /** Where each slot answers. Both always: a slot without a release is routed to its 503 backend. */
  upstreams: Record<Slot, Upstream>;
  /**
   * DNS server that resolves upstream names at run time, e.g. Docker's embedded `127.0.0.11`: a slot
   * container that is replaced comes back with a new address, which HAProxy picks up within a second.
   * Without it upstreams are fixed addresses.
   */
  resolver?: string;
  /** The runtime API (admin level): TCP on loopback, reached with `docker exec` in the container. */
  runtimeApi: { host: string; port: number };
  /** Absolute path of the routes map the frontends read (see renderRoutes). */
  routesFile: string;
  /** `stdout` (the container's log) or `off`. */
  log: 'stdout' | 'off';
}

/** Backend of a slot with a release. */
export function slotBackend(slot: Slot): string {
  return slot;
}

/** Backend that answers 503 for a slot without a release. */
export function emptyBackend(slot: Slot): string {
  return `${slot}_empty`;
}

/** The routes of a release state: public → live, test → idle; a slot without a release answers 503. */
export function routesFor(live: Slot, released: Record<Slot, boolean>): Routes {
  const backend = (slot: Slot) => (released[slot] ? slotBackend(slot) : emptyBackend(slot));
  return { public: backend(live), test: backend(idleSlotOf(live)) };
}

/** The routes map file: one `route backend` line per route. */
export function renderRoutes(routes: Routes): string {
  return ROUTES.map((r) => `${r} ${routes[r]}\n`).join('');
}

/** Reads a routes map (file text, or the runtime API's `show map` lines `0x… key value`). */
export function parseRoutes(text: string): Partial<Routes> {
  const found: Partial<Routes> = {};
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0]?.startsWith('0x')) words.shift();
    const [key, value] = words;
    if ((ROUTES as readonly string[]).includes(key ?? '') && value) found[key as Route] = value;
  }
  return found;
}

/**
 * The runtime API line that applies `routes` and then shows the map, so the caller can check what
 * HAProxy now holds. Both keys exist from the start (the bootstrap map), so `set map` always finds them.
 */
export function routeCommands(routesFile: string, routes: Routes): string {
  // Only backends the config defines: anything else would be stored and then answer 503, and a `;`
  // would start another runtime command.
  const known = SLOTS.flatMap((s) => [slotBackend(s), emptyBackend(s)]);
  for (const r of ROUTES) {
    if (!known.includes(routes[r])) throw new Error(`router routes: ${r}: ${JSON.stringify(routes[r])} is not a backend (${known.join(', ')})`);
  }
  if (!PATH_RE.test(routesFile)) throw new Error(`router routes: routesFile: ${JSON.stringify(routesFile)} is not an absolute path of letters, digits, . _ - and /`);
  return [...ROUTES.map((r) => `set map ${routesFile} ${r} ${routes[r]}`), `show map ${routesFile}`].join('; ');
}

const HOST_RE = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
// Absolute, and nothing HAProxy's parser or a shell would treat as syntax.
const PATH_RE = /^\/[A-Za-z0-9._/-]*$/;

/** Renders the complete haproxy.cfg; throws a one-line error naming the first bad field. */
export function renderHaproxyConfig(spec: RouterConfigSpec): string {
  validate(spec);
  const bind = spec.bindAddress ?? '';
  const lines: string[] = [
    '# Generated by Slipway. Routing lives in the routes map, changed through the runtime API on a',
    '# switch; this file names both slots and changes only with the stack configuration.',
    'global',
    ...(spec.log === 'stdout' ? ['  log stdout format raw local0 info'] : []),
    `  stats socket ipv4@${spec.runtimeApi.host}:${spec.runtimeApi.port} level admin`,
    '  # A stop (SIGUSR1 from `docker stop`) lets requests in flight finish, within limits.',
    '  hard-stop-after 30s',
    '',
  ];
  if (spec.resolver) {
    lines.push(
      'resolvers slots',
      `  nameserver dns ${spec.resolver}:53`,
      '  resolve_retries 3',
      '  timeout resolve 1s',
      '  timeout retry 1s',
      '  hold valid 10s',
      '  hold obsolete 1s',
      '',
    );
  }
  lines.push(
    'defaults',
    '  mode http',
    ...(spec.log === 'stdout' ? ['  log global', '  option httplog'] : []),
    '  option forwardfor',
    '  timeout connect 3s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout http-request 10s',
    '  timeout http-keep-alive 65s',
    '  # A request that reached one slot is never replayed: only a connection that failed before',
    '  # anything was sent is retried, and on the same slot.',
    '  retries 3',
    '  retry-on conn-failure',
    '  no option redispatch',
    '  # Idle connections to the slots are closed long before the app drops them (it keeps them 75s).',
    '  default-server pool-purge-delay 1s',
    '',
  );
  for (const route of ROUTES) {
    lines.push(
      `frontend ${route}`,
      `  bind ${bind}:${spec.listen[route]}`,
      '  http-request set-header X-Forwarded-Proto http',
      `  use_backend %[str(${route}),map(${spec.routesFile})]`,
      '  default_backend unrouted',
      '',
    );
  }
  for (const slot of SLOTS) {
    const up = spec.upstreams[slot];
    const resolve = spec.resolver ? ' resolvers slots resolve-prefer ipv4 init-addr last,libc,none' : '';
    lines.push(
      `backend ${slotBackend(slot)}`,
      `  http-after-response set-header ${SLOT_HEADER} ${slot}`,
      `  server ${slot} ${up.host}:${up.port}${resolve}`,
      '',
      `backend ${emptyBackend(slot)}`,
      `  http-request return status 503 content-type text/plain string "slot ${slot} has no release"`,
      `  http-after-response set-header ${SLOT_HEADER} ${slot}`,
      '',
    );
  }
  lines.push('backend unrouted', '  http-request return status 503 content-type text/plain string "no route in the routes map"', '');
  return lines.join('\n');
}

function validate(spec: RouterConfigSpec): void {
  const fail = (field: string, value: unknown, allowed: string): never => {
    throw new Error(`router config: ${field}: ${JSON.stringify(value)} is not ${allowed}`);
  };
  const port = (field: string, v: number) => {
    if (!Number.isInteger(v) || v < 1 || v > 65535) fail(field, v, 'a port (1-65535)');
  };
  const host = (field: string, v: string) => {
    if (!HOST_RE.test(v)) fail(field, v, 'a host name or IPv4 address');
  };
  port('listen.public', spec.listen.public);
  port('listen.test', spec.listen.test);
  if (spec.listen.public === spec.listen.test) fail('listen.test', spec.listen.test, 'different from listen.public');
  for (const slot of SLOTS) {
    host(`upstreams.${slot}.host`, spec.upstreams[slot].host);
    port(`upstreams.${slot}.port`, spec.upstreams[slot].port);
  }
  if (spec.bindAddress !== undefined) host('bindAddress', spec.bindAddress);
  if (spec.resolver !== undefined) host('resolver', spec.resolver);
  host('runtimeApi.host', spec.runtimeApi.host);
  port('runtimeApi.port', spec.runtimeApi.port);
  if ([spec.listen.public, spec.listen.test].includes(spec.runtimeApi.port)) fail('runtimeApi.port', spec.runtimeApi.port, 'different from the listen ports');
  if (!PATH_RE.test(spec.routesFile)) fail('routesFile', spec.routesFile, 'an absolute path of letters, digits, . _ - and /');
  if (spec.log !== 'stdout' && spec.log !== 'off') fail('log', spec.log, '"stdout" or "off"');
}
