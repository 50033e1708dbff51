// Build once: turn a directory with a Dockerfile into an immutable artifact, referred to by digest from
// then on. Building the `docker build` command line and parsing references are pure functions; only
// buildArtifact runs anything (through a Runner, so tests can drive it without an engine).
//
// On the Docker target an artifact is a local image and there is no registry, so there is no registry
// (manifest) digest. The image ID is used instead: it is the sha256 of the image's configuration, which
// names its layers' content — content-addressed and immutable, exactly what a digest promises. The
// reference `<name>:<version>@sha256:<image id hex>` keeps name and version for people; Docker itself
// cannot resolve `name@sha256:<id>` (it would look for a registry digest), so the Docker environment runs
// the image by its ID (`digestOf(ref)` in components/slots.ts). A registry target (ECR) gets a manifest digest when pushed.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { execa } from 'execa';
import { IMAGE_REF_RE } from '../../stacks/schema';
import { clip, show } from '../../stacks/show';
import { InternalError, UserError } from '../cli/errors';
import type { Artifact } from './deploy';

/** OCI annotation keys the build always sets, whatever the Dockerfile says. */
export const VERSION_LABEL = 'org.opencontainers.image.version';
export const REVISION_LABEL = 'org.opencontainers.image.revision';

/** `sha256:<64 hex>`: an image ID or a digest. */
export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

/** A repository path without registry: `shop`, `team/shop`. Docker's rules for path components. */
const NAME_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
/** Valid both as a Docker tag and as the stack schema's version label. */
const VERSION_RE = /^[\w][\w.-]{0,63}$/;

export interface BuildArgsInput {
  /** Build context (holds the Dockerfile). */
  dir: string;
  /** `name:version`. */
  tag: string;
  /** Passed as the BASE_IMAGE build argument; the Dockerfile's default applies when absent. */
  baseImage?: string;
  version: string;
  commit: string;
  /** Extra labels; the version and revision labels are always set from `version` and `commit`. */
  labels?: Record<string, string>;
  /** File Docker writes the new image ID to. */
  iidfile?: string;
}

/** The arguments of `docker build` (without `docker`). */
export function buildCommandArgs(input: BuildArgsInput): string[] {
  const args = ['build'];
  if (input.iidfile) args.push('--iidfile', input.iidfile);
  if (input.baseImage) args.push('--build-arg', `BASE_IMAGE=${input.baseImage}`);
  args.push('--build-arg', `VERSION=${input.version}`, '--build-arg', `COMMIT=${input.commit}`);
  // Ours override a caller's label of the same key: a label must not misstate what was built.
  const labels: Record<string, string> = { ...input.labels, [VERSION_LABEL]: input.version, [REVISION_LABEL]: input.commit };
  for (const key of Object.keys(labels).sort()) args.push('--label', `${key}=${labels[key]}`);
  args.push('-t', input.tag, input.dir);
  return args;
}

/** `shop:1.2.0@sha256:…` from its parts; throws a UserError if they do not make a pinned reference. */
export function artifactRef(repository: string, tag: string, digest: string): string {
  const ref = `${repository}:${tag}@${digest}`;
  if (!IMAGE_REF_RE.test(ref)) {
    throw new UserError(`${show(ref)} is not an image reference pinned by digest (repository[:tag]@sha256:<64 hex>)`);
  }
  return ref;
}

export interface ImageRef {
  /** With registry host when there is one: `registry.example.com:5000/team/shop`. */
  repository: string;
  tag?: string;
  /** `sha256:<64 hex>`. */
  digest: string;
}

/** Splits `repo[:tag]@sha256:<64hex>`; anything else is a UserError naming the reference. */
export function parseImageRef(ref: string): ImageRef {
  if (!IMAGE_REF_RE.test(ref)) {
    throw new UserError(`${show(ref)} is not an image reference pinned by digest (repository[:tag]@sha256:<64 hex>)`);
  }
  const at = ref.indexOf('@');
  const name = ref.slice(0, at);
  const digest = ref.slice(at + 1);
  // A colon after the last slash starts the tag; one before it belongs to a registry port.
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) return { repository: name.slice(0, colon), tag: name.slice(colon + 1), digest };
  return { repository: name, digest };
}

/** `<sha>`, `<sha>-dirty` when the build context has uncommitted changes, or `unknown` outside git. */
export function describeCommit(head: string | undefined, porcelainStatus: string): string {
  const sha = head?.trim();
  if (!sha || !/^[0-9a-f]{7,64}$/.test(sha)) return 'unknown';
  return porcelainStatus.trim() === '' ? sha : `${sha}-dirty`;
}

/** The package.json version when there is one, else `0.0.0-<short commit>` (keeping `-dirty`). */
export function defaultVersion(packageVersion: string | undefined, commit: string): string {
  if (packageVersion) return packageVersion;
  const dirty = commit.endsWith('-dirty');
  const sha = dirty ? commit.slice(0, -'-dirty'.length) : commit;
  return `0.0.0-${sha === 'unknown' ? 'unknown' : sha.slice(0, 12)}${dirty ? '-dirty' : ''}`;
}

/** Why `name` cannot name the image, or undefined when it can. */
export function imageNameProblem(name: string): string | undefined {
  if (name.length <= 128 && NAME_RE.test(name)) return undefined;
  return `${show(name)} is not an image name (lower-case letters and digits, separated by . _ - or /; at most 128)`;
}

/** Why `version` cannot be the image's tag and version label, or undefined when it can. */
export function versionTagProblem(version: string): string | undefined {
  if (VERSION_RE.test(version)) return undefined;
  return `${show(version)} is not a version label (letters, digits, . _ -, starting with a letter or digit; at most 64)`;
}

/** Problems with a name and version, one line each, naming the option. */
export function checkNameAndVersion(name: string, version: string): string[] {
  const name_ = imageNameProblem(name);
  const version_ = versionTagProblem(version);
  return [...(name_ ? [`name: ${name_}`] : []), ...(version_ ? [`version: ${version_}`] : [])];
}

/** Why `dir` (relative to `cwd`) cannot be a build context, or undefined when it can. */
export function buildContextProblem(dir: string, cwd: string): string | undefined {
  const abs = resolve(cwd, dir);
  if (!existsSync(abs)) return `${clip(dir)}: no such directory (the build context)`;
  if (!statSync(abs).isDirectory()) return `${clip(dir)}: not a directory (the build context is a directory with a Dockerfile)`;
  if (!existsSync(join(abs, 'Dockerfile'))) return `${clip(join(dir, 'Dockerfile'))}: not found (the build context needs a Dockerfile)`;
  return undefined;
}

export interface RunResult {
  /** Undefined when the program could not be started at all. */
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** `ENOENT` when the program is not installed. */
  startError?: string;
}

export type Runner = (file: string, args: readonly string[], opts: { cwd?: string; onLine?: (line: string) => void }) => Promise<RunResult>;

/** Runs a program with execa; never throws for a non-zero exit. `onLine` sees stdout and stderr lines. */
export const execaRunner: Runner = async (file, args, opts) => {
  const tap = opts.onLine
    ? {
        stdout: [function* (line: unknown) { opts.onLine?.(String(line)); yield line; }],
        stderr: [function* (line: unknown) { opts.onLine?.(String(line)); yield line; }],
      }
    : {};
  const r = await execa(file, args, { cwd: opts.cwd, reject: false, stripFinalNewline: true, ...tap });
  const lines = (v: unknown) => (Array.isArray(v) ? v.join('\n') : String(v ?? ''));
  return {
    exitCode: r.exitCode,
    stdout: lines(r.stdout),
    stderr: lines(r.stderr),
    startError: r.exitCode === undefined ? ((r as { code?: string }).code ?? r.shortMessage) : undefined,
  };
};

export interface BuildOptions {
  /** Build context with a Dockerfile; relative to `cwd`. */
  dir: string;
  /** Default: process.cwd(). */
  cwd?: string;
  /** Image name; default: the directory's base name, lower-cased. */
  name?: string;
  /** Default: `version` of `<dir>/package.json`, else `0.0.0-<short commit>`. */
  version?: string;
  /** Default: `git rev-parse HEAD` in `dir` (+ `-dirty`), or `unknown` outside git. */
  commit?: string;
  /** BASE_IMAGE build argument; default: the Dockerfile's own. */
  baseImage?: string;
  labels?: Record<string, string>;
  /** Build output, line by line (progress for stderr). */
  onProgress?: (line: string) => void;
  run?: Runner;
}

/** An artifact as `build` made it: the deployable Artifact plus what the build knows of the image. */
export interface BuiltArtifact extends Artifact {
  /** `<name>:<version>@sha256:<image id hex>`. */
  ref: string;
  /** Equal to `imageId` on the Docker target (see the top of this file). */
  digest: string;
  /** `sha256:<hex>`, what `docker run` takes. */
  imageId: string;
  name: string;
  commit: string;
}

/** How many lines of a failed build's output the error carries. */
const FAILURE_TAIL = 15;

/** Builds the image once and returns its digest-pinned reference. Expected failures are UserErrors. */
export async function buildArtifact(opts: BuildOptions): Promise<BuiltArtifact> {
  const run = opts.run ?? execaRunner;
  const dir = resolve(opts.cwd ?? process.cwd(), opts.dir);
  const contextProblem = buildContextProblem(opts.dir, opts.cwd ?? process.cwd());
  if (contextProblem) throw new UserError(contextProblem);

  const commit = opts.commit ?? (await gitCommit(dir, run));
  const version = opts.version ?? defaultVersion(readPackageVersion(dir, join(opts.dir, 'package.json')), commit);
  const name = opts.name ?? basename(dir).toLowerCase();
  const problems = checkNameAndVersion(name, version);
  if (problems.length > 0) throw new UserError(problems);

  await requireEngine(run);

  const work = mkdtempSync(join(tmpdir(), 'slipway-build-'));
  try {
    const iidfile = join(work, 'iid');
    const args = buildCommandArgs({ dir, tag: `${name}:${version}`, baseImage: opts.baseImage, version, commit, labels: opts.labels, iidfile });
    const seen: string[] = []; // stdout and stderr interleaved, as they came
    const onLine = (line: string) => {
      if (line.trim() !== '') seen.push(line);
      if (seen.length > FAILURE_TAIL) seen.shift();
      opts.onProgress?.(line);
    };
    const r = await run('docker', args, { cwd: dir, onLine });
    if (r.exitCode !== 0) {
      const output = seen.length > 0 ? seen : `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.trim() !== '');
      const tail = output.slice(-FAILURE_TAIL);
      throw new UserError([`docker build of ${opts.dir} failed (exit ${r.exitCode ?? r.startError}); its last lines:`, ...tail.map((l) => `  ${l}`)]);
    }
    const imageId = existsSync(iidfile) ? readFileSync(iidfile, 'utf8').trim() : '';
    if (!DIGEST_RE.test(imageId)) throw new InternalError(`docker build succeeded but wrote no image ID (got ${show(imageId)})`);
    return { ref: artifactRef(name, version, imageId), digest: imageId, imageId, name, version, commit };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Fails with one actionable line when the docker CLI is missing or no engine answers. */
async function requireEngine(run: Runner): Promise<void> {
  const r = await run('docker', ['version', '--format', '{{.Server.Version}}'], {});
  if (r.startError === 'ENOENT') throw new UserError('cannot run docker: the docker CLI is not on PATH (install Docker)');
  if (r.exitCode !== 0 || r.stdout.trim() === '') {
    const why = lastLine(r.stderr) || lastLine(r.stdout) || `exit ${r.exitCode ?? r.startError}`;
    throw new UserError(`cannot reach the Docker engine: ${why} — start dockerd / Docker Desktop`);
  }
}

async function gitCommit(dir: string, run: Runner): Promise<string> {
  const head = await run('git', ['rev-parse', 'HEAD'], { cwd: dir });
  if (head.exitCode !== 0) return 'unknown';
  // Only the build context counts: edits elsewhere in the repository do not change what goes in the image.
  const status = await run('git', ['status', '--porcelain', '--', '.'], { cwd: dir });
  return describeCommit(head.stdout, status.exitCode === 0 ? status.stdout : '');
}

function readPackageVersion(dir: string, label: string): string | undefined {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return undefined;
  try {
    const v = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' && v !== '' ? v : undefined;
  } catch {
    throw new UserError(`${label}: not valid JSON (its version is the default artifact version; pass --version to override)`);
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.trim() ?? '';
}

/** `docker tag` and `docker push` argument lists that publish a local artifact to a registry repository. */
export function pushCommandArgs(artifact: Pick<BuiltArtifact, 'imageId' | 'version'>, repository: string): string[][] {
  const target = `${repository}:${artifact.version}`;
  return [
    ['tag', artifact.imageId, target],
    ['push', target],
  ];
}

/** The registry digest of `repository` among an image's RepoDigests (`repo@sha256:…`). */
export function repoDigestOf(repoDigests: readonly string[], repository: string): string | undefined {
  const hit = repoDigests.find((d) => d.startsWith(`${repository}@`));
  return hit?.slice(repository.length + 1);
}

/** `docker manifest inspect` of the version's tag in the registry: what it holds already, if anything. */
export function remoteTagArgs(artifact: Pick<BuiltArtifact, 'version'>, repository: string): string[] {
  return ['manifest', 'inspect', '--verbose', `${repository}:${artifact.version}`];
}

/**
 * What the registry holds under the tag (the output of remoteTagArgs), against the local image: the
 * same image — its manifest or config digest is the local image ID — with the manifest digest to pin;
 * another image; or undefined when the output says nothing usable (then push as usual).
 */
export function existingTag(inspectJson: string, imageId: string): { same: boolean; digest: string } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(inspectJson);
  } catch {
    return undefined;
  }
  // One entry per platform for a manifest list, a single one otherwise.
  const entries = (Array.isArray(parsed) ? parsed : [parsed]) as { Descriptor?: { digest?: string }; SchemaV2Manifest?: { config?: { digest?: string } }; OCIManifest?: { config?: { digest?: string } } }[];
  const described = entries
    .map((e) => ({ digest: e?.Descriptor?.digest, config: (e?.SchemaV2Manifest ?? e?.OCIManifest)?.config?.digest }))
    .filter((e): e is { digest: string; config: string | undefined } => typeof e.digest === 'string' && /^sha256:[0-9a-f]{64}$/.test(e.digest));
  const same = described.find((e) => e.digest === imageId || e.config === imageId);
  if (same) return { same: true, digest: same.digest };
  return described[0] ? { same: false, digest: described[0].digest } : undefined;
}

/**
 * Pushes a locally built artifact to a registry (AWS: the environment's ECR repository). The registry
 * assigns the manifest digest; the returned reference pins that digest, so every environment pulls
 * exactly these bytes. Needs `docker login` to the registry first (for ECR:
 * `aws ecr get-login-password | docker login --username AWS --password-stdin <registry>`).
 *
 * ECR repositories here have immutable tags, and ECR refuses a push to an existing tag even of the
 * same image. So the tag is looked up first: holding this image already, nothing is pushed and its
 * digest is used (re-deploying a version, resuming a deployment); holding another image, the push is
 * refused before it starts, naming what to do.
 */
export async function pushArtifact(artifact: BuiltArtifact, repository: string, run: Runner = execaRunner): Promise<BuiltArtifact> {
  const target = `${repository}:${artifact.version}`;
  const remote = await run('docker', remoteTagArgs(artifact, repository), {});
  const existing = remote.exitCode === 0 ? existingTag(remote.stdout, artifact.imageId) : undefined;
  if (existing?.same) return { ...artifact, ref: `${target}@${existing.digest}`, digest: existing.digest };
  if (existing) {
    throw new UserError(
      `${target} already holds another image (${existing.digest}) and the repository's tags are immutable: deploy that image with --artifact ${target}@${existing.digest}, or build under a new --app-version`,
    );
  }
  for (const args of pushCommandArgs(artifact, repository)) {
    const r = await run('docker', args, {});
    if (r.exitCode !== 0) {
      throw new UserError(`docker ${args[0]} ${args.slice(1).join(' ')} failed: ${lastLines(r, 3)}`);
    }
  }
  const inspect = await run('docker', ['image', 'inspect', '--format', '{{json .RepoDigests}}', `${repository}:${artifact.version}`], {});
  const digest = repoDigestOf(JSON.parse(inspect.stdout.trim() || '[]') as string[], repository);
  if (!digest) throw new UserError(`pushed ${repository}:${artifact.version} but docker reports no digest for ${repository}`);
  return { ...artifact, ref: `${repository}:${artifact.version}@${digest}`, digest };
}

function lastLines(r: RunResult, n: number): string {
  return `${r.stderr}\n${r.stdout}`.trim().split('\n').slice(-n).join(' / ');
}
