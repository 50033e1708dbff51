// Pushing a built artifact to a repository whose tags are immutable (the environments' ECR repositories):
// re-deploying a version pushes nothing and pins the digest the registry already has; a tag holding
// other bits is refused before anything is pushed.
import { describe, expect, it } from 'vitest';
import { UserError } from '../pipeline/cli/errors';
import { existingTag, pushArtifact, remoteTagArgs, type BuiltArtifact, type RunResult, type Runner } from '../pipeline/release/build';

const REPO = '123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway/shop-prod';
const IMAGE_ID = `sha256:${'1'.repeat(64)}`;
const MANIFEST = `sha256:${'2'.repeat(64)}`;
const OTHER = `sha256:${'3'.repeat(64)}`;
const built: BuiltArtifact = { ref: `shop:1.4.2@${IMAGE_ID}`, digest: IMAGE_ID, imageId: IMAGE_ID, name: 'shop', version: '1.4.2', commit: 'abc' };

/** `docker manifest inspect --verbose` of a single-platform image. */
const inspect = (manifest: string, config: string) => JSON.stringify({ Ref: `${REPO}:1.4.2`, Descriptor: { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: manifest, size: 1234 }, SchemaV2Manifest: { config: { digest: config } } });

/** A docker CLI answering from a table: the first entry whose key starts the command line. */
function docker(answers: [string, RunResult][]): { run: Runner; calls: string[] } {
  const calls: string[] = [];
  const run: Runner = async (file, args) => {
    const line = [file, ...args].join(' ');
    calls.push(line);
    return answers.find(([prefix]) => line.startsWith(prefix))?.[1] ?? { exitCode: 0, stdout: '', stderr: '' };
  };
  return { run, calls };
}
const ok = (stdout = ''): RunResult => ({ exitCode: 0, stdout, stderr: '' });

describe('pushArtifact to immutable tags', () => {
  it('a new version: looks the tag up, then tags, pushes and pins the registry digest', async () => {
    const { run, calls } = docker([
      ['docker manifest inspect', { exitCode: 1, stdout: '', stderr: `no such manifest: ${REPO}:1.4.2` }],
      ['docker image inspect', ok(JSON.stringify([`${REPO}@${MANIFEST}`]))],
    ]);
    expect(await pushArtifact(built, REPO, run)).toMatchObject({ ref: `${REPO}:1.4.2@${MANIFEST}`, digest: MANIFEST });
    expect(calls.slice(0, 3)).toEqual([`docker ${remoteTagArgs(built, REPO).join(' ')}`, `docker tag ${IMAGE_ID} ${REPO}:1.4.2`, `docker push ${REPO}:1.4.2`]);
  });

  it('the same version again (a re-deploy, a resumed deployment): pushes nothing, pins the digest the tag holds', async () => {
    const { run, calls } = docker([['docker manifest inspect', ok(inspect(MANIFEST, IMAGE_ID))]]);
    expect(await pushArtifact(built, REPO, run)).toMatchObject({ ref: `${REPO}:1.4.2@${MANIFEST}`, digest: MANIFEST, version: '1.4.2' });
    expect(calls).toEqual([`docker manifest inspect --verbose ${REPO}:1.4.2`]);
  });

  it('a tag that holds other bits is refused before anything is pushed, saying what to do', async () => {
    const { run, calls } = docker([['docker manifest inspect', ok(inspect(OTHER, `sha256:${'4'.repeat(64)}`))]]);
    const err = await pushArtifact(built, REPO, run).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(
      `${REPO}:1.4.2 already holds another image (${OTHER}) and the repository's tags are immutable: deploy that image with --artifact ${REPO}:1.4.2@${OTHER}, or build under a new --app-version`,
    );
    expect(calls).toHaveLength(1);
  });

  it('reads single manifests, manifest lists and the containerd image store (image ID = manifest digest)', () => {
    expect(existingTag(inspect(MANIFEST, IMAGE_ID), IMAGE_ID)).toEqual({ same: true, digest: MANIFEST });
    expect(existingTag(inspect(IMAGE_ID, OTHER), IMAGE_ID)).toEqual({ same: true, digest: IMAGE_ID });
    const list = JSON.stringify([JSON.parse(inspect(OTHER, OTHER)), { Descriptor: { digest: MANIFEST }, OCIManifest: { config: { digest: IMAGE_ID } } }]);
    expect(existingTag(list, IMAGE_ID)).toEqual({ same: true, digest: MANIFEST });
    expect(existingTag(inspect(OTHER, OTHER), IMAGE_ID)).toEqual({ same: false, digest: OTHER });
    expect(existingTag('not json', IMAGE_ID)).toBeUndefined();
    expect(existingTag('{}', IMAGE_ID)).toBeUndefined();
  });
});
