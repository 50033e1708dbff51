// The docker provider double (test/providers/docker) against the real Docker engine, driven through its
// Provider object as the engine would drive it: check, create, read, diff, update, delete. There is no
// registry, so the images are made here from the local node base image (test/support/docker.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNKNOWN } from '../providers/common';
import { dockerProvider } from '../providers/docker/provider';
import { CONTAINER, NETWORK, REMOTE_IMAGE, type ContainerInputs } from '../providers/docker/schema';
import { docker, ensureNodeBaseImage, imageExists, removeContainers, removeImages, requireDockerEngine, TEST_LABEL } from '../support/docker';
import { freePort } from '../support/ports';

const RUN = `pdd-${process.pid}`;
const urn = (type: string, name: string) => `urn:pulumi:local::slipway::${type}::${name}`;
const NET_URN = urn(NETWORK, 'net');
const APP_URN = urn(CONTAINER, 'app');
const IMAGE_URN = urn(REMOTE_IMAGE, 'image');
const UPLOAD = '/etc/double/hello.txt';

// Says at start whether the upload was already in place, then stays up: uploads must precede the start.
const CMD = `const fs=require('fs');console.log(fs.existsSync('${UPLOAD}')?'upload present at start':'upload missing at start');setInterval(()=>{},1e9)`;

const provider = dockerProvider();
const tags = { a: `slipway-test/provider-double-a:${RUN}`, b: `slipway-test/provider-double-b:${RUN}`, extra: `slipway-test/provider-double-c:${RUN}` };
const ids: Record<'a' | 'b', string> = { a: '', b: '' };
const containers: string[] = [];
const networks: string[] = [];
let inputs: ContainerInputs;

/** An image from `base` with the double's test command and `changes` (a commit: no build, no registry). */
async function commitImage(base: string, tag: string, changes: string[]): Promise<string> {
  const scratch = await docker(['create', base]);
  try {
    await docker(['commit', ...[`CMD ["node","-e",${JSON.stringify(CMD)}]`, `LABEL ${TEST_LABEL}`, ...changes].flatMap((c) => ['--change', c]), scratch, tag]);
  } finally {
    await removeContainers([scratch]);
  }
  return docker(['image', 'inspect', '--format', '{{.Id}}', tag]);
}

async function createNetwork(name: string): Promise<{ id: string; outs: Record<string, unknown> }> {
  const news = { name, driver: 'bridge', labels: [{ label: 'slipway.test', value: 'true' }, { label: 'environment', value: 'local' }] };
  expect((await provider.check!(NET_URN, {}, news)).failures).toEqual([]);
  const r = await provider.create!(NET_URN, news);
  networks.push(r.id);
  return { id: r.id, outs: r.outs as Record<string, unknown> };
}

async function createContainer(c: ContainerInputs): Promise<{ id: string; outs: Record<string, any> }> {
  const checked = await provider.check!(APP_URN, {}, c);
  expect(checked.failures).toEqual([]);
  const r = await provider.create!(APP_URN, checked.inputs);
  containers.push(r.id);
  return { id: r.id, outs: r.outs as Record<string, any> };
}

const inspect = async (id: string, format: string) => docker(['inspect', '--format', format, id]);

beforeAll(async () => {
  await requireDockerEngine();
  const base = await ensureNodeBaseImage();
  ids.a = await commitImage(base.image, tags.a, []);
  ids.b = await commitImage(base.image, tags.b, ['ENV DOUBLE_IMAGE=b']);
  const net = await createNetwork(`${RUN}-net`);
  inputs = {
    name: `${RUN}-app`,
    image: ids.a,
    envs: ['PORT=8080', 'APP_VERSION=1.0.0', 'SLOT=blue'],
    memory: 64,
    restart: 'unless-stopped',
    networksAdvanced: [{ name: String(net.outs.name), aliases: ['blue'] }],
    labels: [
      { label: 'app', value: 'double' },
      { label: 'slipway.test', value: 'true' },
    ],
    ports: [{ internal: 8080, external: await freePort(), ip: '127.0.0.1' }],
    uploads: [{ file: UPLOAD, content: 'hello from the double\n' }],
  };
});

afterAll(async () => {
  await removeContainers(containers);
  for (const n of networks) await docker(['network', 'rm', n]).catch(() => undefined);
  await removeImages(Object.values(tags));
});

describe('docker double against the Docker engine', () => {
  let app: { id: string; outs: Record<string, any> };

  it('creates a network as given', async () => {
    const id = networks[0]!;
    expect(await inspect(id, '{{.Driver}} {{index .Labels "environment"}}')).toBe('bridge local');
    const read = await provider.read!(id, NET_URN, { name: `${RUN}-net`, labels: [] });
    expect(read.props).toMatchObject({ id, name: `${RUN}-net`, driver: 'bridge', scope: 'local' });
  });

  it('creates a running container with its uploads in place before the start, env, labels, limits and alias', async () => {
    app = await createContainer(inputs);
    expect(await inspect(app.id, '{{.State.Running}} {{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}')).toBe(`true ${64 * 1024 * 1024} unless-stopped`);
    expect(await inspect(app.id, `{{json (index .NetworkSettings.Networks "${RUN}-net").Aliases}}`)).toContain('"blue"');
    expect(await docker(['exec', app.id, 'node', '-e', `process.stdout.write(require('fs').readFileSync('${UPLOAD}','utf8'))`])).toBe('hello from the double');
    await expect.poll(() => docker(['logs', app.id])).toContain('upload present at start');
    // Outputs read back as given: the image's PATH and its own label are not the container's inputs.
    expect(app.outs).toMatchObject({ ...inputs, id: app.id, mustRun: true });
    expect(app.outs.networkDatas[0]).toMatchObject({ networkName: `${RUN}-net` });
  });

  it('reads it back with no changes to make', async () => {
    const read = await provider.read!(app.id, APP_URN, app.outs);
    expect(read.id).toBe(app.id);
    expect(await provider.diff(app.id, APP_URN, read.props, inputs)).toMatchObject({ changes: false });
  });

  it('updates restart and memory in place: same container', async () => {
    const news = { ...inputs, restart: 'always', memory: 128 };
    expect(await provider.diff(app.id, APP_URN, app.outs, news)).toMatchObject({ replaces: [], detailedDiff: { restart: 'update', memory: 'update' } });
    const { outs } = await provider.update!(app.id, APP_URN, app.outs, news);
    expect(outs).toMatchObject({ id: app.id, restart: 'always', memory: 128 });
    expect(await inspect(app.id, '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.Memory}}')).toBe(`always ${128 * 1024 * 1024}`);
    app = { id: app.id, outs };
    inputs = news;
  });

  it('reports drift made behind its back, and a stopped container as an update that starts it', async () => {
    await docker(['update', '--memory', '96m', app.id]);
    await docker(['stop', '--time', '0', app.id]);
    const read = await provider.read!(app.id, APP_URN, app.outs);
    expect(read.props).toMatchObject({ memory: 96, mustRun: false, exitCode: expect.any(Number) });
    expect((await provider.diff(app.id, APP_URN, read.props, inputs)).detailedDiff).toEqual({ memory: 'update', mustRun: 'update' });
    const { outs } = await provider.update!(app.id, APP_URN, read.props, inputs);
    expect(outs).toMatchObject({ memory: 128, mustRun: true });
    expect(await inspect(app.id, '{{.State.Running}}')).toBe('true');
    app = { id: app.id, outs };
  });

  it('replaces on an image change, deleting first, and the new container runs the new image', async () => {
    const news = { ...inputs, image: ids.b };
    expect(await provider.diff(app.id, APP_URN, app.outs, news)).toMatchObject({ replaces: ['image'], deleteBeforeReplace: true, detailedDiff: { image: 'update-replace' } });
    expect((await provider.diff(app.id, APP_URN, app.outs, { ...news, image: UNKNOWN })).replaces).toEqual(['image']);
    await provider.delete!(app.id, APP_URN, app.outs);
    const replaced = await createContainer(news);
    expect(replaced.id).not.toBe(app.id);
    expect(await inspect(replaced.id, '{{.Image}}')).toBe(ids.b);
    // DOUBLE_IMAGE comes from image b: not an input, so not an output either.
    expect(replaced.outs.envs).toEqual(inputs.envs);
    expect((await provider.read!(app.id, APP_URN, app.outs)).id).toBe('');
    app = replaced;
  });

  it('reads a container removed behind its back as gone, and deletes a gone one quietly', async () => {
    await docker(['rm', '-f', app.id]);
    expect(await provider.read!(app.id, APP_URN, app.outs)).toEqual({ id: '', props: {} });
    await provider.delete!(app.id, APP_URN, app.outs);
  });

  it('a failed create leaves no container behind', async () => {
    await expect(createContainer({ ...inputs, name: `${RUN}-bad`, networksAdvanced: [{ name: `${RUN}-no-such-net` }] })).rejects.toThrow(/no-such-net/);
    expect(await docker(['ps', '-aq', '--filter', `name=${RUN}-bad`])).toBe('');
  });

  it('deletes a network, and reads one removed behind its back as gone', async () => {
    const other = await createNetwork(`${RUN}-net2`);
    await docker(['network', 'rm', other.id]);
    expect((await provider.read!(other.id, NET_URN, other.outs)).id).toBe('');
    await provider.delete!(networks[0]!, NET_URN, {});
    expect(await docker(['network', 'ls', '-q', '--filter', `id=${networks[0]}`])).toBe('');
  });
});

describe('docker double: RemoteImage without a registry', () => {
  it('uses an image that exists locally by that name, never pulling it', async () => {
    const { id, outs } = await provider.create!(IMAGE_URN, { name: tags.a, keepLocally: true });
    expect(outs).toMatchObject({ imageId: ids.a, repoDigest: '', name: tags.a });
    expect(id).toBe(`${ids.a}${tags.a}`);
    expect((await provider.read!(id, IMAGE_URN, outs)).props).toEqual(outs);
  });

  it('keepLocally true leaves the image on delete; false removes its name', async () => {
    await provider.delete!('x', IMAGE_URN, { name: tags.a, keepLocally: true });
    expect(await imageExists(tags.a)).toBe(true);
    await docker(['tag', tags.a, tags.extra]);
    await provider.delete!('x', IMAGE_URN, { name: tags.extra, keepLocally: false });
    expect(await imageExists(tags.extra)).toBe(false);
    expect(await imageExists(tags.a)).toBe(true);
  });

  it('fails naming the image when it is neither local nor pullable', async () => {
    const missing = `slipway-test/provider-double-absent:${RUN}`;
    await expect(provider.create!(IMAGE_URN, { name: missing })).rejects.toThrow(`image ${missing} is not on this Docker engine and pulling it failed`);
    expect((await provider.read!(`sha256:x${missing}`, IMAGE_URN, { name: missing })).id).toBe('');
  });
});
