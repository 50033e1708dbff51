// What the docker double asks of Docker, as data: argument lists for the docker CLI (without `docker`),
// the tar stream that carries a container's uploads, and the mapping from `docker inspect` output back
// to resource outputs. Pure, so every translation is tested without an engine; cli.ts runs them.
import { containerCreateArgs as supportCreateArgs } from '../../support/docker';
import type { ContainerInputs, Label, NetworkInputs } from './schema';

/** `docker network create` for a Network's inputs; prints the new network's ID. */
export function networkCreateArgs(n: NetworkInputs): string[] {
  const args = ['network', 'create'];
  if (n.driver) args.push('--driver', n.driver);
  for (const l of n.labels ?? []) args.push('--label', `${l.label}=${l.value}`);
  args.push(n.name);
  return args;
}

/**
 * `docker create` for a Container's inputs; prints the container ID. The translation is the one the
 * real-engine tests use (test/support/docker.ts): one place says how an input becomes a flag. `docker
 * create` joins one network, so the others are joined with `networkConnectArgs` before the start;
 * uploads are copied in before the start too (`uploadArchive`).
 */
export function containerCreateArgs(c: ContainerInputs): string[] {
  const [first] = c.networksAdvanced ?? [];
  return supportCreateArgs(
    {
      name: c.name,
      image: c.image,
      envs: c.envs,
      memory: c.memory,
      restart: c.restart,
      stopSignal: c.stopSignal,
      networksAdvanced: first ? [first] : undefined,
      ports: c.ports,
      labels: c.labels,
    },
    [],
  );
}

/** Joins a created container to one more network, with its aliases there. */
export function networkConnectArgs(network: { name: string; aliases?: string[] }, container: string): string[] {
  return ['network', 'connect', ...(network.aliases ?? []).flatMap((a) => ['--alias', a]), network.name, container];
}

/** `docker cp -` reads a tar stream on stdin and unpacks it at `/` in the container. */
export function copyArchiveArgs(container: string): string[] {
  return ['cp', '-', `${container}:/`];
}

/**
 * The in-place changes the provider makes (resourceDockerContainerUpdate's ContainerUpdate): restart
 * policy always, memory when set (0 means "leave as is" to Docker, as to the provider).
 */
export function containerUpdateArgs(id: string, c: Pick<ContainerInputs, 'restart' | 'memory'>): string[] {
  const args = ['update', '--restart', c.restart ?? 'no'];
  if (c.memory) args.push('--memory', `${c.memory}m`);
  args.push(id);
  return args;
}

/** Removes a container, running or not, with its anonymous volumes (the provider's remove_volumes default). */
export function containerRemoveArgs(id: string): string[] {
  return ['rm', '--force', '--volumes', id];
}

/** Lists the full ID of the container with this ID, or nothing (existence without parsing errors). */
export function containerListArgs(id: string): string[] {
  return ['ps', '--all', '--quiet', '--no-trunc', '--filter', `id=${id}`];
}

/** Lists the full ID of the network with this ID, or nothing. */
export function networkListArgs(id: string): string[] {
  return ['network', 'ls', '--quiet', '--no-trunc', '--filter', `id=${id}`];
}

/** Containers (any state) created from an image: an image that has some is in use. */
export function imageUsersArgs(imageId: string): string[] {
  return ['ps', '--all', '--quiet', '--no-trunc', '--filter', `ancestor=${imageId}`];
}

/**
 * A POSIX tar stream (ustar) of the uploads, each file mode 0644 and owned by root, as the provider
 * writes them (resourceDockerContainerCreate, `upload`). Parent directories are not in the stream:
 * Docker creates missing ones while unpacking.
 */
export function uploadArchive(files: { file: string; content: string }[], mtime = Math.floor(Date.now() / 1000)): Buffer {
  const blocks: Buffer[] = [];
  for (const f of files) {
    const body = Buffer.from(f.content, 'utf8');
    blocks.push(tarHeader(f.file.replace(/^\/+/, ''), body.length, 0o644, mtime));
    blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024)); // end of archive: two empty blocks
  return Buffer.concat(blocks);
}

function tarHeader(path: string, size: number, mode: number, mtime: number): Buffer {
  const h = Buffer.alloc(512);
  let name = path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    // ustar splits long paths at a slash: prefix (<= 155 bytes) / name (<= 100 bytes).
    const fits = (i: number) => Buffer.byteLength(path.slice(0, i)) <= 155 && Buffer.byteLength(path.slice(i + 1)) <= 100;
    const at = [...path.matchAll(/\//g)].map((m) => m.index!).find(fits);
    if (at === undefined) throw new Error(`upload path too long for a tar header: ${path}`);
    prefix = path.slice(0, at);
    name = path.slice(at + 1);
  }
  const octal = (v: number, width: number) => `${v.toString(8).padStart(width - 1, '0')}\0`;
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii'); // uid
  h.write(octal(0, 8), 116, 'ascii'); // gid
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(mtime, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii'); // checksum counts as spaces while it is computed
  h.write('0', 156, 'ascii'); // regular file
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write('root', 265, 'ascii');
  h.write('root', 297, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** The parts of `docker container inspect` the double reads. */
export interface ContainerInspect {
  Id: string;
  Name: string;
  Image: string;
  State: { Running: boolean; ExitCode: number };
  Config: { Image: string; Env: string[] | null; Labels: Record<string, string> | null; Hostname: string; StopSignal?: string };
  HostConfig: { Memory: number; RestartPolicy: { Name: string } };
  NetworkSettings: {
    Bridge: string;
    Networks: Record<string, { NetworkID: string; Aliases: string[] | null; IPAddress: string; IPPrefixLen: number; Gateway: string; MacAddress: string }> | null;
  };
}

/** The parts of `docker image inspect` the double reads. */
export interface ImageInspect {
  Id: string;
  RepoDigests: string[] | null;
  Config: { Env: string[] | null; Labels: Record<string, string> | null } | null;
}

/** The parts of `docker network inspect` the double reads. */
export interface NetworkInspect {
  Id: string;
  Name: string;
  Driver: string;
  Scope: string;
  Internal: boolean;
  Labels: Record<string, string> | null;
  IPAM: { Driver: string; Config: { Subnet?: string; Gateway?: string }[] | null };
  Containers: Record<string, unknown> | null;
}

const envKey = (e: string) => e.split('=', 1)[0]!;

/** `live` in `prior`'s order when they hold the same items (so an unchanged list reads back as given). */
function inPriorOrder<T>(live: T[], prior: T[] | undefined, key: (x: T) => string): T[] {
  const rank = new Map((prior ?? []).map((x, i) => [key(x), i]));
  return [...live].sort((a, b) => (rank.get(key(a)) ?? Infinity) - (rank.get(key(b)) ?? Infinity) || (key(a) < key(b) ? -1 : 1));
}

/**
 * A container's outputs from `docker inspect`, given what the state (or the inputs, on create) says
 * (`prior`). Env and labels are Docker's minus what the container inherited unchanged from its image,
 * so they read back exactly as given; without the image's inspect they are left as `prior` has them,
 * as the provider always does. Ports and uploads cannot change on a container and come from `prior`.
 */
export function containerOutputs(c: ContainerInspect, image: ImageInspect | undefined, prior: ContainerInputs): Record<string, unknown> {
  const running = c.State.Running;
  const out: Record<string, unknown> = {
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    // resourceDockerContainerRead: an image given by ID reads back as the ID, a reference as written.
    image: prior.image.startsWith('sha256:') ? c.Image : c.Config.Image,
    envs: prior.envs,
    labels: prior.labels,
    memory: Math.floor(c.HostConfig.Memory / 1024 / 1024),
    restart: c.HostConfig.RestartPolicy.Name || 'no',
    ...(c.Config.StopSignal ? { stopSignal: c.Config.StopSignal } : {}),
    networksAdvanced: liveNetworks(c, prior.networksAdvanced),
    ports: prior.ports,
    uploads: prior.uploads,
    // A stopped container reads as mustRun false, so the next update starts it again.
    mustRun: running ? (prior.mustRun ?? true) : false,
    exitCode: running ? undefined : c.State.ExitCode,
    hostname: c.Config.Hostname,
    bridge: c.NetworkSettings.Bridge,
    networkDatas: Object.entries(c.NetworkSettings.Networks ?? {}).map(([networkName, n]) => ({
      networkName,
      ipAddress: n.IPAddress,
      ipPrefixLength: n.IPPrefixLen,
      gateway: n.Gateway,
      macAddress: n.MacAddress,
    })),
  };
  if (image) {
    const inherited = new Set(image.Config?.Env ?? []);
    const given = new Set((prior.envs ?? []).map(envKey));
    const envs = (c.Config.Env ?? []).filter((e) => !inherited.has(e) || given.has(envKey(e)));
    out.envs = inPriorOrder(envs, prior.envs, envKey);
    const imageLabels = image.Config?.Labels ?? {};
    const givenLabels = new Set((prior.labels ?? []).map((l) => l.label));
    const labels = Object.entries(c.Config.Labels ?? {})
      .filter(([k, v]) => imageLabels[k] !== v || givenLabels.has(k))
      .map(([label, value]) => ({ label, value }));
    out.labels = inPriorOrder(labels, prior.labels, (l) => l.label);
  }
  return out;
}

/** The given networks the container is still on, each with the given aliases it still has there. */
function liveNetworks(c: ContainerInspect, prior: ContainerInputs['networksAdvanced']): ContainerInputs['networksAdvanced'] {
  if (!prior) return undefined;
  const live = Object.entries(c.NetworkSettings.Networks ?? {});
  return prior.flatMap((n) => {
    const found = live.find(([name, l]) => name === n.name || l.NetworkID === n.name);
    if (!found) return [];
    const aliases = new Set(found[1].Aliases ?? []);
    return [n.aliases ? { name: n.name, aliases: n.aliases.filter((a) => aliases.has(a)) } : { name: n.name }];
  });
}

/** A network's outputs from `docker network inspect` (labels in the order the state has them). */
export function networkOutputs(n: NetworkInspect, prior: NetworkInputs): Record<string, unknown> {
  const labels: Label[] = Object.entries(n.Labels ?? {}).map(([label, value]) => ({ label, value }));
  return {
    id: n.Id,
    name: n.Name,
    driver: n.Driver,
    labels: inPriorOrder(labels, prior.labels, (l) => l.label),
    scope: n.Scope,
    internal: n.Internal,
    ipamDriver: n.IPAM.Driver,
    ipamConfigs: (n.IPAM.Config ?? []).map((c) => ({ subnet: c.Subnet, gateway: c.Gateway })),
  };
}

/**
 * The repo digest for `name` (data_source_docker_image.go determineRepoDigest): none for an image
 * that was never pulled or pushed, the only one, the one of `name`'s repository, else the first.
 */
export function repoDigestOf(name: string, repoDigests: string[] | null): string {
  const digests = repoDigests ?? [];
  if (digests.length <= 1) return digests[0] ?? '';
  const colon = name.indexOf(':');
  const repo = colon === -1 ? name : name.slice(0, colon);
  return digests.find((d) => d.startsWith(repo)) ?? digests[0]!;
}

/** A RemoteImage's ID and outputs: the provider's ID is the image ID followed by the name. */
export function remoteImageOutputs(image: ImageInspect, inputs: { name: string; keepLocally?: boolean }): { id: string; outs: Record<string, unknown> } {
  const id = `${image.Id}${inputs.name}`;
  return { id, outs: { id, name: inputs.name, keepLocally: inputs.keepLocally, imageId: image.Id, repoDigest: repoDigestOf(inputs.name, image.RepoDigests) } };
}
