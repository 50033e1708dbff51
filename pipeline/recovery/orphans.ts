// Pre-flight of a rebuild whose state is lost, on the Docker target: the environment's containers and
// network must be gone too. Docker names are fixed, so `up` would fail half-way on the first one that
// survived; and a survivor may still serve traffic nobody knows about. Refused, naming each, before
// anything changes. What to look for is pure; asking Docker is a port, so tests stub it.
import { execa } from 'execa';
import type { DockerConfig } from '../../stacks/schema';
import { SLOTS } from '../../stacks/schema';
import { environmentNames } from '../../components/naming';
import { UserError } from '../cli/errors';

export interface DockerObjects {
  containers: string[];
  network: string;
}

/** The names the environment's containers and network have (components/docker/*). */
export function environmentObjects(config: DockerConfig, stack: string): DockerObjects {
  const names = environmentNames({ app: config.app.name, stack });
  return { containers: [...SLOTS.map((s) => names.container(s)), names.router], network: names.network };
}

/** One line naming what is left and the two ways out. */
export function orphansMessage(stack: string, left: { containers: string[]; network?: string }): string {
  const what = [...left.containers.map((c) => `container ${c}`), ...(left.network ? [`network ${left.network}`] : [])].join(', ');
  const rm = [
    ...(left.containers.length ? [`docker rm -f ${left.containers.join(' ')}`] : []),
    ...(left.network ? [`docker network rm ${left.network}`] : []),
  ].join(' && ');
  return `stack ${stack}: its state is gone but ${what} still exist${left.containers.length + (left.network ? 1 : 0) === 1 ? 's' : ''}; remove them (${rm}) or restore the state (slipway restore --stack ${stack} --from BACKUP); nothing was changed`;
}

/** Which of `objects` exist in the Docker engine. */
export async function existingDockerObjects(objects: DockerObjects): Promise<{ containers: string[]; network?: string }> {
  const exists = async (args: string[]) => (await execa('docker', args, { reject: false })).exitCode === 0;
  const containers: string[] = [];
  for (const c of objects.containers) if (await exists(['container', 'inspect', '--format', '{{.Id}}', c])) containers.push(c);
  const network = (await exists(['network', 'inspect', '--format', '{{.Id}}', objects.network])) ? objects.network : undefined;
  return { containers, ...(network ? { network } : {}) };
}

/** Throws the one-line refusal when anything of the environment is left. */
export async function refuseOrphans(
  stack: string,
  config: DockerConfig,
  find: (objects: DockerObjects) => Promise<{ containers: string[]; network?: string }> = existingDockerObjects,
): Promise<void> {
  const left = await find(environmentObjects(config, stack));
  if (left.containers.length > 0 || left.network) throw new UserError(orphansMessage(stack, left));
}
