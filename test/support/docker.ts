// Helpers for tests against a real Docker engine: require the engine (fail loudly, never skip), make a
// local base image with node in it (there is no registry to pull node:20-alpine from), run containers,
// wait for HTTP, and clean up what a test created.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';

/** Label on everything these helpers create, so leftovers of a crashed run can be found and removed. */
export const TEST_LABEL = 'slipway.test=true';

/** Runs `docker …` and returns its trimmed stdout; throws with the command and its stderr on failure. */
export async function docker(args: string[], opts: { input?: string } = {}): Promise<string> {
  const r = await execa('docker', args, { reject: false, input: opts.input });
  if (r.exitCode !== 0 || r.failed) {
    throw new Error(`docker ${args.join(' ')} failed (exit ${r.exitCode ?? '?'}): ${String(r.stderr || r.stdout || r.message).trim()}`);
  }
  return r.stdout.trim();
}

/**
 * The engine's server version; throws one clear line when no engine answers. Call it in `beforeAll`
 * so a missing engine fails the suite instead of skipping it.
 */
export async function requireDockerEngine(): Promise<string> {
  const r = await execa('docker', ['version', '--format', '{{.Server.Version}}'], { reject: false });
  if (r.exitCode !== 0 || !r.stdout.trim()) {
    const why = String(r.stderr || r.message).trim().split('\n').pop();
    throw new Error(
      `these tests need a running Docker engine and none answered (${why}); ` +
        'install docker.io and start dockerd (as root: `dockerd > /var/log/dockerd.log 2>&1 &`)',
    );
  }
  return r.stdout.trim();
}

export async function imageExists(ref: string): Promise<boolean> {
  const r = await execa('docker', ['image', 'inspect', ref], { reject: false });
  return r.exitCode === 0;
}

export interface BaseImage {
  /** Tag to pass as BASE_IMAGE. */
  image: string;
  /** True when this call imported it (so the caller should remove it). */
  created: boolean;
}

/**
 * A `FROM scratch`-style image holding just this machine's node binary and the shared libraries it
 * links against, `/tmp`, and passwd/group entries for root and uid 1000 — enough to run `node
 * app/server.mjs` offline. Reused when it already exists.
 */
export async function ensureNodeBaseImage(tag = `slipway-test/node-base:${process.versions.node}`): Promise<BaseImage> {
  if (await imageExists(tag)) return { image: tag, created: false };
  const work = mkdtempSync(join(tmpdir(), 'slipway-base-'));
  try {
    const root = join(work, 'rootfs');
    const put = (from: string, to: string) => {
      mkdirSync(dirname(join(root, to)), { recursive: true });
      copyFileSync(from, join(root, to)); // follows symlinks: the image gets the real file under the linked name
    };
    put(process.execPath, '/usr/local/bin/node');
    for (const lib of await sharedLibraries(process.execPath)) put(lib, lib);
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/sbin/nologin\nnode:x:1000:1000:node:/home/node:/sbin/nologin\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnode:x:1000:\n');
    mkdirSync(join(root, 'tmp'));
    chmodSync(join(root, 'tmp'), 0o1777);
    mkdirSync(join(root, 'home/node'), { recursive: true });
    chmodSync(join(root, 'home/node'), 0o777);

    await importRootfs(root, work, tag, ['ENV PATH=/usr/local/bin:/usr/bin:/bin', 'CMD ["node"]'], `node ${process.version} from the test host`);
    return { image: tag, created: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Tars a root file system (owned by root) and `docker import`s it as `tag`, labelled as a test image. */
export async function importRootfs(root: string, work: string, tag: string, changes: string[], message: string): Promise<void> {
  const tarball = join(work, 'rootfs.tar');
  await execa('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', root, '-cf', tarball, '.']);
  await docker(['import', ...[...changes, `LABEL ${TEST_LABEL}`].flatMap((c) => ['--change', c]), '--message', message, tarball, tag]);
}

/** Absolute paths of the shared libraries (and the loader) `ldd` lists for a binary. */
export async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await execa('ldd', [binary]);
  return parseLdd(stdout);
}

/** `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)` and `/lib64/ld-linux-x86-64.so.2 (0x…)` lines. */
export function parseLdd(output: string): string[] {
  const paths: string[] = [];
  for (const line of output.split('\n')) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
    if (m?.[1]) paths.push(m[1]);
  }
  return paths;
}

/** Removes containers (running or not); ignores ones already gone. */
export async function removeContainers(ids: string[]): Promise<void> {
  if (ids.length > 0) await execa('docker', ['rm', '-f', ...ids], { reject: false });
}

/**
 * Removes images by tag; ignores ones already gone. Not forced and never by ID: an identical build by
 * another test shares the image ID, and removing a tag only deletes the image when it was the last one.
 */
export async function removeImages(tags: string[]): Promise<void> {
  for (const tag of tags) await execa('docker', ['image', 'rm', tag], { reject: false });
}

/** The host address a container port is published on, e.g. `127.0.0.1:49153`. */
export async function publishedAddress(container: string, port: number): Promise<string> {
  const out = await docker(['port', container, `${port}/tcp`]);
  const first = out.split('\n').find((l) => l.startsWith('127.0.0.1:')) ?? out.split('\n')[0];
  if (!first) throw new Error(`container ${container} publishes nothing for ${port}/tcp`);
  return first;
}

/**
 * Polls `url` until it answers 200 or `timeoutMs` passes; then throws with the last outcome and,
 * when given, the container's logs (the usual reason a container never got healthy).
 */
export async function waitForHttp(url: string, opts: { timeoutMs?: number; container?: string } = {}): Promise<Response> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30000);
  let last = 'no attempt';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return res;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = (e as Error).cause ? String((e as Error).cause) : (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const logs = opts.container ? await execa('docker', ['logs', '--tail', '20', opts.container], { reject: false, all: true }) : undefined;
  throw new Error(`${url} did not answer 200 within ${opts.timeoutMs ?? 30000} ms (last: ${last})${logs ? `\ncontainer logs:\n${logs.all}` : ''}`);
}

/** The inputs of a `docker.Container` resource that `containerCreateArgs` knows how to turn into CLI flags. */
export interface ContainerInputs {
  name: string;
  image: string;
  envs?: string[];
  /** MiB, as the Pulumi Docker provider takes it. */
  memory?: number;
  restart?: string;
  networksAdvanced?: { name: string; aliases?: string[] }[];
  ports?: { internal: number; external?: number; ip?: string; protocol?: string }[];
  labels?: { label: string; value: string }[];
  uploads?: { file: string; content: string }[];
  /** Signal `docker stop` sends first, e.g. SIGUSR1 for HAProxy's soft stop. */
  stopSignal?: string;
}

const CONTAINER_INPUT_KEYS = ['name', 'image', 'envs', 'memory', 'restart', 'networksAdvanced', 'ports', 'labels', 'uploads', 'stopSignal'];

/**
 * `docker create` arguments (without `docker`) for a `docker.Container`'s inputs as a program planned
 * them, plus `extraLabels`. Uploads are not flags: `createContainer` copies them in before the start, as
 * the provider does. An input this does not translate throws, so a new one cannot be silently dropped.
 */
export function containerCreateArgs(inputs: Record<string, unknown>, extraLabels: string[] = []): string[] {
  const unknown = Object.keys(inputs).filter((k) => !CONTAINER_INPUT_KEYS.includes(k) && inputs[k] !== undefined);
  if (unknown.length > 0) throw new Error(`container inputs ${unknown.join(', ')} have no docker create translation in test/support/docker.ts`);
  const c = inputs as unknown as ContainerInputs;
  const networks = c.networksAdvanced ?? [];
  if (networks.length > 1) throw new Error(`container ${c.name}: docker create joins one network; ${networks.length} given`);
  const args = ['create', '--name', c.name];
  for (const env of c.envs ?? []) args.push('--env', env);
  if (c.memory !== undefined) args.push('--memory', `${c.memory}m`);
  if (c.restart) args.push('--restart', c.restart);
  if (c.stopSignal) args.push('--stop-signal', c.stopSignal);
  for (const n of networks) {
    args.push('--network', n.name);
    for (const alias of n.aliases ?? []) args.push('--network-alias', alias);
  }
  for (const p of c.ports ?? []) {
    args.push('--publish', `${p.ip ? `${p.ip}:` : ''}${p.external ?? ''}:${p.internal}/${p.protocol ?? 'tcp'}`);
  }
  for (const l of c.labels ?? []) args.push('--label', `${l.label}=${l.value}`);
  for (const l of extraLabels) args.push('--label', l);
  args.push(c.image);
  return args;
}

/**
 * Creates a container from planned inputs, copies its uploads in, and starts it (the Docker provider's
 * order: the files are in place before the entrypoint runs). Returns the container ID.
 */
export async function createContainer(inputs: Record<string, unknown>, extraLabels: string[] = [TEST_LABEL]): Promise<string> {
  const id = await docker(containerCreateArgs(inputs, extraLabels));
  try {
    const uploads = (inputs as unknown as ContainerInputs).uploads ?? [];
    if (uploads.length > 0) {
      const work = mkdtempSync(join(tmpdir(), 'slipway-upload-'));
      try {
        for (const [i, u] of uploads.entries()) {
          const file = join(work, String(i));
          writeFileSync(file, u.content, { mode: 0o644 });
          await docker(['cp', file, `${id}:${u.file}`]);
        }
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }
    await docker(['start', id]);
    return id;
  } catch (e) {
    await removeContainers([id]);
    throw e;
  }
}
