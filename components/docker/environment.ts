// The Docker environment: a network, one container per slot that has a release, and an HAProxy router
// publishing the live slot on ports.public and the idle slot on ports.test. A switch changes only the
// router's RouterConfig (its routes map, through the runtime API); no container is recreated.
import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import { SLOTS, type DockerConfig, type Slot } from '../../stacks/schema';
import type { AppConfig } from '../appConfig';
import { baseTags, environmentNames } from '../naming';
import { dockerLabels } from './labels';
import { DockerRouter } from './router';
import { DockerSlot } from './slot';

export interface DockerEnvironmentArgs {
  /** The validated stack configuration (target `docker`). */
  config: DockerConfig;
  /** Stack name, e.g. `local`: part of every container and network name, and the `environment` label. */
  stack: string;
  /** The app's variables and secrets, the same for both slots (components/appConfig.ts). Default: none. */
  appConfig?: AppConfig;
}

export class DockerEnvironment extends pulumi.ComponentResource {
  /** `http://localhost:<ports.public>`: the live slot. */
  readonly publicUrl: pulumi.Output<string>;
  /** `http://localhost:<ports.test>`: the idle slot, for smoke tests before a switch. */
  readonly testUrl: pulumi.Output<string>;

  constructor(name: string, args: DockerEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super('slipway:docker:Environment', name, {}, opts);
    const { config, stack } = args;
    const names = environmentNames({ app: config.app.name, stack });

    const network = new docker.Network(
      `${name}-network`,
      { name: names.network, driver: 'bridge', labels: dockerLabels(baseTags(config, stack)) },
      { parent: this },
    );

    const slots = {} as Record<Slot, DockerSlot>;
    for (const slot of SLOTS) {
      slots[slot] = new DockerSlot(`${name}-${slot}`, { config, stack, slot, network: network.name, appConfig: args.appConfig }, { parent: this });
    }

    new DockerRouter(
      `${name}-router`,
      {
        config,
        stack,
        network: network.name,
        slotContainers: SLOTS.flatMap((s) => slots[s].container ?? []),
      },
      { parent: this },
    );

    this.publicUrl = pulumi.output(`http://localhost:${config.ports.public}`);
    this.testUrl = pulumi.output(`http://localhost:${config.ports.test}`);
    this.registerOutputs({ publicUrl: this.publicUrl, testUrl: this.testUrl });
  }
}
