// Runs the docker CLI for the double: the thin, impure half of commands.ts. Each function is one or two
// CLI calls; failures carry the command and Docker's own message.
import { execa } from 'execa';
import {
  containerListArgs,
  imageUsersArgs,
  networkListArgs,
  type ContainerInspect,
  type ImageInspect,
  type NetworkInspect,
} from './commands';

/** How long a `docker pull` may take before the double gives up: machines here have no registry. */
export const PULL_TIMEOUT_MS = 30_000;

export interface RunResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** Runs `docker …` and reports the outcome without throwing. */
export async function tryDocker(args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
  const r = await execa('docker', args, { reject: false, input: opts.input, timeout: opts.timeoutMs, stripFinalNewline: true });
  const stderr = r.timedOut ? `timed out after ${opts.timeoutMs} ms` : String(r.stderr || r.message || '').trim();
  return { ok: r.exitCode === 0 && !r.failed, stdout: String(r.stdout).trim(), stderr };
}

/** Runs `docker …` and returns its stdout; throws with the command and Docker's message on failure. */
export async function docker(args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<string> {
  const r = await tryDocker(args, opts);
  if (!r.ok) throw new Error(`docker ${shownArgs(args).join(' ')}: ${r.stderr || 'failed'}`);
  return r.stdout;
}

/** The arguments as an error shows them: environment values (the app's secrets among them) left out. */
export function shownArgs(args: readonly string[]): string[] {
  return args.map((a, i) => (args[i - 1] === '--env' ? `${a.split('=')[0]}=…` : a));
}

async function inspect<T>(args: string[]): Promise<T> {
  const parsed = JSON.parse(await docker(args)) as T[];
  if (!parsed[0]) throw new Error(`docker ${args.join(' ')} printed nothing`);
  return parsed[0];
}

/** Whether a container with this full ID exists, running or not (a listing: no error text to parse). */
export async function containerExists(id: string): Promise<boolean> {
  return (await docker(containerListArgs(id))).split('\n').includes(id);
}

export function inspectContainer(id: string): Promise<ContainerInspect> {
  return inspect<ContainerInspect>(['container', 'inspect', id]);
}

export async function networkExists(id: string): Promise<boolean> {
  return (await docker(networkListArgs(id))).split('\n').includes(id);
}

export function inspectNetwork(id: string): Promise<NetworkInspect> {
  return inspect<NetworkInspect>(['network', 'inspect', id]);
}

/**
 * The local image `ref` names (a reference or an ID), or undefined when there is none. Docker has no
 * listing that resolves references the way `inspect` does, so absence is recognised by its "No such
 * image" answer; any other failure (no engine, no permission) is thrown.
 */
export async function findLocalImage(ref: string): Promise<ImageInspect | undefined> {
  const r = await tryDocker(['image', 'inspect', ref]);
  if (r.ok) return (JSON.parse(r.stdout) as ImageInspect[])[0];
  if (/no such image/i.test(r.stderr)) return undefined;
  throw new Error(`docker image inspect ${ref}: ${r.stderr}`);
}

/**
 * The image `ref` names, pulled once (within PULL_TIMEOUT_MS) when it is not local: the provider's
 * findImage, which uses a local image by that name before trying a registry.
 */
export async function ensureImage(ref: string): Promise<ImageInspect> {
  const local = await findLocalImage(ref);
  if (local) return local;
  const pull = ref.startsWith('sha256:') ? { ok: false, stderr: 'an image ID cannot be pulled' } : await tryDocker(['pull', ref], { timeoutMs: PULL_TIMEOUT_MS });
  const pulled = pull.ok ? await findLocalImage(ref) : undefined;
  if (pulled) return pulled;
  const why = pull.stderr.split('\n').filter(Boolean).pop() ?? 'no reason given';
  throw new Error(
    `image ${ref} is not on this Docker engine and pulling it failed (${why}); ` +
      'load it first (docker load, docker import, or docker tag of a local image)',
  );
}

/** Whether any container (in any state) was created from this image. */
export async function imageInUse(imageId: string): Promise<boolean> {
  return (await docker(imageUsersArgs(imageId))) !== '';
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
