// Build once against a real Docker engine, offline: the example app on a local node base image, run
// by its image ID exactly as the Docker environment runs it, and checked over real HTTP.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifact, execaRunner, type BuiltArtifact, type Runner } from '../../pipeline/release/build';
import { UserError } from '../../pipeline/cli/errors';
import { IMAGE_REF_RE } from '../../stacks/schema';
import { ROOT } from '../mocks';
import {
  docker,
  ensureNodeBaseImage,
  publishedAddress,
  removeContainers,
  removeImages,
  requireDockerEngine,
  TEST_LABEL,
  waitForHttp,
  type BaseImage,
} from '../support/docker';

// Unique per run, so parallel runs by other people never share (or delete) each other's tags.
const NAME = `slipway-test-shop-${process.pid}`;
const containers: string[] = [];
const tags: string[] = [];
let base: BaseImage;
let first: BuiltArtifact;

beforeAll(async () => {
  await requireDockerEngine(); // no engine: every test here fails with this one line, none is skipped
  base = await ensureNodeBaseImage();
  first = await build();
});

afterAll(async () => {
  await removeContainers(containers);
  await removeImages(tags);
  if (base?.created) await removeImages([base.image]);
});

async function build(version?: string): Promise<BuiltArtifact> {
  const a = await buildArtifact({ dir: 'app', cwd: ROOT, name: NAME, version, baseImage: base.image });
  tags.push(`${a.name}:${a.version}`);
  return a;
}

async function inspect(ref: string): Promise<{ Id: string; Config: { Labels: Record<string, string>; Env: string[] } }> {
  return JSON.parse(await docker(['image', 'inspect', '--format', '{{json .}}', ref]));
}

/** Starts the image on a random 127.0.0.1 port; returns the container and its base URL. */
async function run(image: string, env: Record<string, string> = {}): Promise<{ id: string; url: string }> {
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const id = await docker(['run', '-d', '--label', TEST_LABEL, '-p', '127.0.0.1::8080', ...envArgs, image]);
  containers.push(id);
  return { id, url: `http://${await publishedAddress(id, 8080)}` };
}

describe('buildArtifact on a real engine', () => {
  it('pins the reference to the image ID, with the package.json version and the git commit', async () => {
    const head = (await execa('git', ['rev-parse', 'HEAD'], { cwd: ROOT })).stdout.trim();
    expect(first.ref).toMatch(IMAGE_REF_RE);
    expect(first.ref).toBe(`${NAME}:1.0.0@${first.imageId}`);
    expect(first.digest).toBe((await inspect(`${NAME}:1.0.0`)).Id);
    expect([head, `${head}-dirty`]).toContain(first.commit);
  });

  it('labels the image with its version and commit, and bakes them in as the env fallback', async () => {
    const image = await inspect(first.imageId);
    expect(image.Config.Labels).toMatchObject({
      'org.opencontainers.image.version': '1.0.0',
      'org.opencontainers.image.revision': first.commit,
    });
    expect(image.Config.Env).toEqual(expect.arrayContaining(['APP_VERSION=1.0.0', `GIT_COMMIT=${first.commit}`]));
  });

  it('gives the same source the same reference, and another version another digest', async () => {
    const again = await build();
    expect(again.ref).toBe(first.ref);
    const next = await build('1.0.1');
    expect(next.ref).toBe(`${NAME}:1.0.1@${next.imageId}`);
    expect(next.imageId).not.toBe(first.imageId);
  });

  it('runs by image ID and reports its version, commit and slot over HTTP', async () => {
    const { id, url } = await run(first.imageId, { SLOT: 'blue' });
    const health = await waitForHttp(`${url}/healthz`, { container: id });
    expect(await health.text()).toBe('ok');
    expect(await (await fetch(`${url}/version`)).json()).toEqual({ version: '1.0.0', commit: first.commit, slot: 'blue' });
    const items = await fetch(`${url}/api/items`);
    expect(await items.text()).toContain('"items"');

    // docker stop sends SIGTERM; the app drains and exits 0 rather than being killed.
    await docker(['stop', id]);
    expect(await docker(['inspect', '--format', '{{.State.ExitCode}}', id])).toBe('0');
  });

  it('runs as a non-root user', async () => {
    expect(await docker(['image', 'inspect', '--format', '{{.Config.User}}', first.imageId])).toBe('1000:1000');
  });

  it('reports a failed build with its last lines of output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-badbuild-'));
    try {
      mkdirSync(join(dir, 'broken'));
      writeFileSync(join(dir, 'broken/Dockerfile'), `FROM ${base.image}\nCOPY no-such-file.txt /\n`);
      const err = (await buildArtifact({ dir: 'broken', cwd: dir, name: NAME, version: 'broken', commit: 'unknown' }).catch((e: unknown) => e)) as UserError;
      expect(err).toBeInstanceOf(UserError);
      expect(err.problems[0]).toMatch(/^docker build of broken failed \(exit \d+\); its last lines:$/);
      expect(err.problems.join('\n')).toContain('no-such-file.txt');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says in one line when the engine cannot be reached', async () => {
    // The real docker CLI, pointed at a socket where no engine listens.
    const nowhere: Runner = async (file, args, opts) => {
      if (file !== 'docker') return execaRunner(file, args, opts);
      const r = await execa(file, args, { cwd: opts.cwd, reject: false, env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
      return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
    };
    const err = (await buildArtifact({ dir: 'app', cwd: ROOT, name: NAME, run: nowhere }).catch((e: unknown) => e)) as UserError;
    expect(err).toBeInstanceOf(UserError);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(/^cannot reach the Docker engine: .*nonexistent.* — start dockerd \/ Docker Desktop$/);
  });
});
