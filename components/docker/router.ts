// The router of a Docker environment: one nginx container publishing the public port (live slot) and
// the test port (idle slot). The container's own inputs never mention the release, so it survives
// every switch; the routing lives in a RouterConfig resource that rewrites nginx.conf and reloads.
import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import type { DockerConfig, Slot } from '../../stacks/schema';
import { baseTags, environmentNames } from '../naming';
import { dockerLabels } from './labels';
import { CONTAINER_RUNTIME, renderNginxConfig, type RouterConfigSpec, type Upstream } from './nginxConfig';
import { RouterConfig, ROUTER_CONF_PATH } from './routerConfig';

/** Ports nginx listens on inside the router container; the host ports map onto these. */
export const ROUTER_LISTEN = { public: 80, test: 81 } as const;

/** Docker's embedded DNS server, reachable from every container on a user-defined network. */
export const DOCKER_DNS = '127.0.0.11';

export interface DockerRouterArgs {
  /** The validated stack configuration (target `docker`): router image, host ports, live slot. */
  config: DockerConfig;
  /** Stack name, e.g. `local`. */
  stack: string;
  /** Name of the environment's Docker network (the slots' aliases resolve on it). */
  network: pulumi.Input<string>;
  /** Per slot, where it answers on the network; undefined when the slot has no release (503). */
  upstreams: Record<Slot, Upstream | undefined>;
  /** Resources the config must wait for (the slot containers), so a switch lands on running slots. */
  slotContainers: pulumi.Resource[];
}

/** The router's nginx.conf for a release state, as it runs in the container. */
export function containerRouterConfig(live: Slot, upstreams: Record<Slot, Upstream | undefined>): string {
  const spec: RouterConfigSpec = { live, upstreams, listen: ROUTER_LISTEN, runtime: CONTAINER_RUNTIME, resolver: DOCKER_DNS };
  return renderNginxConfig(spec);
}

/**
 * What the container starts with, before its RouterConfig is written: both routes answer 503. Fixed
 * text, so it never causes the container to be replaced.
 */
export const BOOTSTRAP_CONFIG = containerRouterConfig('blue', { blue: undefined, green: undefined });

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
        uploads: [{ file: ROUTER_CONF_PATH, content: BOOTSTRAP_CONFIG }],
        // Loopback only: the local stack, its idle slot included, is not for the rest of the network.
        ports: [
          { internal: ROUTER_LISTEN.public, external: config.ports.public, ip: '127.0.0.1' },
          { internal: ROUTER_LISTEN.test, external: config.ports.test, ip: '127.0.0.1' },
        ],
        networksAdvanced: [{ name: args.network }],
        memory: 64,
        restart: 'unless-stopped',
        labels,
      },
      { parent: this },
    );

    this.routerConfig = new RouterConfig(
      `${name}-config`,
      { container: this.container.id, config: containerRouterConfig(config.release.live, args.upstreams) },
      { parent: this, dependsOn: args.slotContainers },
    );

    this.registerOutputs({ container: this.container.id });
  }
}
