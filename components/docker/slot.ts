// One slot of a Docker environment: a container running the slot's release, or nothing when the slot
// has none. Its inputs depend only on that slot's release, never on which slot is live, so a switch
// leaves it untouched.
import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import type { DockerConfig, Slot } from '../../stacks/schema';
import { appConfigFor, envLines, keepsOwnConfig, type AppConfig } from '../appConfig';
import { environmentNames, slotTags } from '../naming';
import { digestOf, slotSpec } from '../slots';
import { dockerLabels } from './labels';

export interface DockerSlotArgs {
  /** The validated stack configuration (target `docker`). */
  config: DockerConfig;
  /** Stack name, e.g. `local`; part of the container name and the `environment` label. */
  stack: string;
  /** Which slot this is: `blue` or `green`. */
  slot: Slot;
  /** Name of the environment's Docker network; the container joins it with the alias `slot`. */
  network: pulumi.Input<string>;
  /** The app's variables (plain and secret) and the id of that configuration. Default: none. */
  appConfig?: AppConfig;
}

export class DockerSlot extends pulumi.ComponentResource {
  /** The slot's container, when it has a release. */
  readonly container: docker.Container | undefined;

  constructor(name: string, args: DockerSlotArgs, opts?: pulumi.ComponentResourceOptions) {
    super('slipway:docker:Slot', name, {}, opts);
    const { config, stack, slot } = args;
    const spec = slotSpec(config, slot);
    const app = args.appConfig ?? appConfigFor(config);

    if (spec.running && spec.image && spec.version) {
      this.container = new docker.Container(
        `${name}-container`,
        {
          name: environmentNames({ app: config.app.name, stack }).container(slot),
          // On the Docker target an artifact is a local image with no registry behind it: the digest in
          // `repo[:tag]@sha256:<hex>` is the image ID the pipeline built, and running by ID pins exactly
          // that image whatever the tag points to now.
          image: digestOf(spec.image),
          // Plain variables in the clear; each secret one as a secret, so state and outputs hold it encrypted.
          envs: [
            `PORT=${config.app.port}`,
            `APP_VERSION=${spec.version}`,
            `SLOT=${slot}`,
            ...envLines(app.env),
            ...app.secretNames.map((n) => app.secrets.apply((v) => `${n}=${v[n]}`)),
          ],
          memory: config.capacity.memoryMb,
          restart: 'unless-stopped',
          networksAdvanced: [{ name: args.network, aliases: [slot] }],
          labels: dockerLabels(slotTags(config, stack, slot)),
        },
        // A fixed container name cannot exist twice, so every replacement deletes first — also one the
        // provider's diff did not ask for (`up` with `replace`, which `slipway drill` uses). A slot
        // deployed with another configuration keeps its environment (components/appConfig.ts).
        { parent: this, deleteBeforeReplace: true, ...(keepsOwnConfig(config, slot, app) ? { ignoreChanges: ['envs'] } : {}) },
      );
    }

    this.registerOutputs({ container: this.container?.id });
  }
}
