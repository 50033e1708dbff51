// The docker double's Provider: each operation runs the commands of commands.ts through cli.ts against
// the local Docker engine. The rules it follows, and where they come from, are listed in main.ts.
import type * as provider from '@pulumi/pulumi/provider';
import { compact, lockedVersion, parseUrn, type DoubleProvider } from '../common';
import {
  containerCreateArgs,
  containerOutputs,
  containerRemoveArgs,
  containerUpdateArgs,
  copyArchiveArgs,
  networkConnectArgs,
  networkCreateArgs,
  networkOutputs,
  remoteImageOutputs,
  uploadArchive,
} from './commands';
import {
  containerExists,
  docker,
  ensureImage,
  findLocalImage,
  imageInUse,
  inspectContainer,
  inspectNetwork,
  networkExists,
  sleep,
  tryDocker,
} from './cli';
import {
  checkInputs,
  CONTAINER,
  diffInputs,
  NETWORK,
  REMOTE_IMAGE,
  type ContainerInputs,
  type NetworkInputs,
  type RemoteImageInputs,
} from './schema';

/** How long deleting a network waits for its last containers to go (resourceDockerNetworkDelete: 30 s). */
const NETWORK_REMOVE_TIMEOUT_MS = 30_000;

/** A read that found nothing: the engine drops the resource from the state. */
const GONE: provider.ReadResult = { id: '', props: {} };

export function dockerProvider(): DoubleProvider {
  return {
    version: lockedVersion('@pulumi/docker'),

    async check(urn, _olds, news) {
      const type = parseUrn(urn).type;
      const inputs = compact(news ?? {}) as Record<string, unknown>;
      // The bridge fills schema defaults into the inputs: a stopped container then previews as
      // `mustRun: false => true` rather than as a removed input.
      if (type === CONTAINER && inputs.mustRun === undefined) inputs.mustRun = true;
      return { inputs, failures: checkInputs(type, inputs) };
    },

    async diff(_id, urn, olds, news) {
      return diffInputs(parseUrn(urn).type, olds ?? {}, news ?? {});
    },

    async create(urn, inputs) {
      const type = parseUrn(urn).type;
      if (type === NETWORK) return createNetwork(inputs as NetworkInputs);
      if (type === CONTAINER) return createContainer(inputs as ContainerInputs);
      if (type === REMOTE_IMAGE) return compact(remoteImageOutputs(await ensureImage(inputs.name), inputs as RemoteImageInputs));
      throw new Error(`the docker test double cannot create ${type}`);
    },

    async read(id, urn, props) {
      const type = parseUrn(urn).type;
      const state = (props ?? {}) as Record<string, unknown>;
      if (type === NETWORK) {
        if (!(await networkExists(id))) return GONE;
        return { id, props: compact(networkOutputs(await inspectNetwork(id), state as unknown as NetworkInputs)) };
      }
      if (type === CONTAINER) {
        if (!(await containerExists(id))) return GONE;
        return { id, props: await containerState(id, state as unknown as ContainerInputs) };
      }
      if (type === REMOTE_IMAGE) {
        const image = await findLocalImage(String(state.name));
        if (!image) return GONE;
        const { id: newId, outs } = remoteImageOutputs(image, state as unknown as RemoteImageInputs);
        return { id: newId, props: compact(outs) };
      }
      throw new Error(`the docker test double cannot read ${type}`);
    },

    async update(id, urn, olds, news) {
      const type = parseUrn(urn).type;
      if (type === CONTAINER) return { outs: await updateContainer(id, olds as ContainerInputs, news as ContainerInputs) };
      if (type === REMOTE_IMAGE) return { outs: compact(remoteImageOutputs(await ensureImage(news.name), news as RemoteImageInputs).outs) };
      // Every Network input forces a replacement, so an update here means the diff and this disagree.
      throw new Error(`the docker test double cannot update ${type} in place (its diff should have replaced it)`);
    },

    async delete(id, urn, props) {
      const type = parseUrn(urn).type;
      if (type === NETWORK) return deleteNetwork(id);
      if (type === CONTAINER) return deleteContainer(id);
      if (type === REMOTE_IMAGE) return deleteImage(props as RemoteImageInputs);
      throw new Error(`the docker test double cannot delete ${type}`);
    },
  };
}

async function createNetwork(n: NetworkInputs): Promise<provider.CreateResult> {
  const id = (await docker(networkCreateArgs(n))).split('\n').pop()!;
  return { id, outs: compact(networkOutputs(await inspectNetwork(id), n)) };
}

/**
 * Create, join the other networks, copy the uploads in, start: the provider's order, so the files are
 * in place before the entrypoint runs. All or nothing: a failure removes the half-made container.
 */
async function createContainer(c: ContainerInputs): Promise<provider.CreateResult> {
  try {
    await ensureImage(c.image);
  } catch (e) {
    throw new Error(`Unable to create container ${c.name} with image ${c.image}: ${(e as Error).message}`);
  }
  const id = (await docker(containerCreateArgs(c))).split('\n').pop()!;
  try {
    for (const network of (c.networksAdvanced ?? []).slice(1)) await docker(networkConnectArgs(network, id));
    if (c.uploads?.length) await docker(copyArchiveArgs(id), { input: uploadArchive(c.uploads) });
    await docker(['start', id]);
    return { id, outs: await containerState(id, c) };
  } catch (e) {
    await tryDocker(containerRemoveArgs(id));
    throw e;
  }
}

/** A container's outputs as Docker reports them now (with its image, to tell inherited env from given). */
async function containerState(id: string, prior: ContainerInputs): Promise<Record<string, unknown>> {
  const c = await inspectContainer(id);
  const image = await findLocalImage(c.Image);
  return compact(containerOutputs(c, image, prior));
}

async function updateContainer(id: string, olds: ContainerInputs, news: ContainerInputs): Promise<Record<string, unknown>> {
  if ((olds.restart ?? 'no') !== (news.restart ?? 'no') || (olds.memory ?? 0) !== (news.memory ?? 0)) {
    await docker(containerUpdateArgs(id, news));
  }
  // resourceDockerContainerUpdate: must_run going from false (a stopped container) to true starts it.
  if (olds.mustRun === false && (news.mustRun ?? true)) await docker(['start', id]);
  // What the container is now asked to be: must run unless the inputs say otherwise.
  return containerState(id, { ...olds, ...news, mustRun: news.mustRun ?? true });
}

async function deleteContainer(id: string): Promise<void> {
  const r = await tryDocker(containerRemoveArgs(id));
  if (!r.ok && (await containerExists(id))) throw new Error(`docker rm ${id}: ${r.stderr}`);
}

/** Removes a network, waiting (bounded) while containers being removed still hold endpoints on it. */
async function deleteNetwork(id: string): Promise<void> {
  const deadline = Date.now() + NETWORK_REMOVE_TIMEOUT_MS;
  for (;;) {
    if (!(await networkExists(id))) return;
    const r = await tryDocker(['network', 'rm', id]);
    if (r.ok) return;
    const attached = Object.keys((await inspectNetwork(id)).Containers ?? {}).length;
    if (attached === 0 || Date.now() > deadline) throw new Error(`docker network rm ${id}: ${r.stderr}`);
    await sleep(500);
  }
}

/**
 * keepLocally leaves the image; otherwise its tag is removed (not forced). An image a container still
 * uses stays, with a warning: removing it is not this stack's call.
 */
async function deleteImage(s: RemoteImageInputs): Promise<void> {
  if (s.keepLocally) return;
  const image = await findLocalImage(s.name);
  if (!image) return;
  const r = await tryDocker(['image', 'rm', s.name]);
  if (r.ok) return;
  if (await imageInUse(image.Id)) {
    console.error(`warning: image ${s.name} is in use by a container; left in place (${r.stderr})`);
    return;
  }
  throw new Error(`docker image rm ${s.name}: ${r.stderr}`);
}
