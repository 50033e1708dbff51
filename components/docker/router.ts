// The router of a Docker environment: one HAProxy container publishing the public port (live slot) and
// the test port (idle slot). The container's own inputs never mention the release, so it survives
// every switch; the routing lives in a RouterConfig resource that changes HAProxy's routes map in place.
import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import { SLOTS, type DockerConfig, type Slot } from '../../stacks/schema';
import { baseTags, environmentNames } from '../naming';
import { dockerLabels } from './labels';
import { renderHaproxyConfig, renderRoutes, routesFor, type Routes } from './haproxyConfig';
import { ROUTES_PATH, RouterConfig, RUNTIME_API } from './routerConfig';
import { slotSpecs } from '../slots';

/**
 * Ports HAProxy listens on inside the router container; the host ports map onto these. Above 1024:
 * the official image runs HAProxy as an unprivileged user.
 */
export const ROUTER_LISTEN = { public: 8080, test: 8081 } as const;


/** Where the official haproxy image reads its configuration. */
export const ROUTER_CONF_PATH = '/usr/local/etc/haproxy/haproxy.cfg';

/** Docker's embedded DNS server, reachable from every container on a user-defined network. */
export const DOCKER_DNS = '127.0.0.11';

export interface DockerRouterArgs {
  /** The validated stack configuration (target `docker`): router image, host ports, app port, live slot. */
  config: DockerConfig;
  /** Stack name, e.g. `local`. */
  stack: string;
  /** Name of the environment's Docker network (the slots' aliases resolve on it). */
  network: pulumi.Input<string>;
  /** Resources the routes must wait for (the slot containers), so a switch lands on running slots. */
  slotContainers: pulumi.Resource[];
}

/**
 * The router's haproxy.cfg as it runs in the container: both slots by their network alias (`blue`,
 * `green`), resolved at run time. Depends on the app's port only, never on the release.
 */
export function containerRouterConfig(appPort: number): string {
  const upstreams = Object.fromEntries(SLOTS.map((s) => [s, { host: s, port: appPort }])) as Record<Slot, { host: string; port: number }>;
  return renderHaproxyConfig({
    listen: ROUTER_LISTEN,
    upstreams,
    resolver: DOCKER_DNS,
    runtimeApi: RUNTIME_API,
    routesFile: ROUTES_PATH,
    log: 'stdout',
  });
}

/** The routes of a stack's release state: public → live, test → idle, 503 for a slot without a release. */
export function releaseRoutes(config: DockerConfig): Routes {
  const specs = slotSpecs(config);
  return routesFor(config.release.live, { blue: specs.blue.running, green: specs.green.running });
}

/**
 * The routes the container starts with, before its RouterConfig applies the release's: both routes
 * answer 503. Fixed text, so it never causes the container to be replaced.
 */
export const BOOTSTRAP_ROUTES = routesFor('blue', { blue: false, green: false });

export class DockerRouter extends pulumi.ComponentResource {
  readonly container: docker.Container;
  readonly routerConfig: RouterConfig;

  constructor(name: string, args: DockerRouterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('slipway:docker:Router', name, {}, opts);
    const { config, stack } = args;
    const labels = dockerLabels(baseTags(config, stack));

    // Pulled once and kept: a machine without registry access can pre-load (or mirror) the image.
    const image = new docker.RemoteImage(`${name}-image`, { name: config.router.image, keepLocally: true }, { parent: this });

    this.container = new docker.Container(
      `${name}-container`,
      {
        name: environmentNames({ app: config.app.name, stack }).router,
        image: image.imageId,
        uploads: [
          { file: ROUTER_CONF_PATH, content: containerRouterConfig(config.app.port) },
          { file: ROUTES_PATH, content: renderRoutes(BOOTSTRAP_ROUTES) },
        ],
        // Loopback only: the local stack, its idle slot included, is not for the rest of the network.
        ports: [
          { internal: ROUTER_LISTEN.public, external: config.ports.public, ip: '127.0.0.1' },
          { internal: ROUTER_LISTEN.test, external: config.ports.test, ip: '127.0.0.1' },
        ],
        networksAdvanced: [{ name: args.network }],
        memory: 64,
        // A soft stop: HAProxy stops listening and lets requests in flight finish (the official image's
        // STOPSIGNAL, stated here so any image stops the same way).
        stopSignal: 'SIGUSR1',
        restart: 'unless-stopped',
        labels,
      },
      { parent: this },
    );

    this.routerConfig = new RouterConfig(
      `${name}-config`,
      { container: this.container.id, routes: releaseRoutes(config) },
      { parent: this, dependsOn: args.slotContainers },
    );

    this.registerOutputs({ container: this.container.id });
  }
}
