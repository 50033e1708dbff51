import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { digestOf } from '../components/slots';
import {
  artifactRef,
  buildArtifact,
  buildCommandArgs,
  checkNameAndVersion,
  defaultVersion,
  describeCommit,
  parseImageRef,
  type RunResult,
  type Runner,
} from '../pipeline/release/build';
import { run as runCli } from '../pipeline/cli/main';
import { build, registerBuild } from '../pipeline/cli/commands/build';
import { UserError } from '../pipeline/cli/errors';
import { commandContext, memorySink } from '../pipeline/cli/output';
import { IMAGE_REF_RE } from '../stacks/schema';

const ROOT_DIR = new URL('..', import.meta.url).pathname;
const ID = `sha256:${'ab12'.repeat(16)}`;
const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('buildCommandArgs', () => {
  const base = { dir: '/src/app', tag: 'shop:1.2.0', version: '1.2.0', commit: SHA };

  it('passes version and commit as build args and labels, tags, and ends with the context', () => {
    const args = buildCommandArgs(base);
    expect(args[0]).toBe('build');
    expect(args.at(-1)).toBe('/src/app');
    expect(pairs(args, '--build-arg')).toEqual(['VERSION=1.2.0', `COMMIT=${SHA}`]);
    expect(pairs(args, '--label')).toEqual([`org.opencontainers.image.revision=${SHA}`, 'org.opencontainers.image.version=1.2.0']);
    expect(pairs(args, '-t')).toEqual(['shop:1.2.0']);
  });

  it('sets BASE_IMAGE only when a base image is given', () => {
    expect(pairs(buildCommandArgs(base), '--build-arg').some((a) => a.startsWith('BASE_IMAGE='))).toBe(false);
    expect(pairs(buildCommandArgs({ ...base, baseImage: 'node-base:20' }), '--build-arg')).toContain('BASE_IMAGE=node-base:20');
  });

  it('adds extra labels, but a caller cannot override the version or revision label', () => {
    const labels = pairs(buildCommandArgs({ ...base, labels: { team: 'platform', 'org.opencontainers.image.version': '9.9.9' } }), '--label');
    expect(labels).toContain('team=platform');
    expect(labels).toContain('org.opencontainers.image.version=1.2.0');
    expect(labels).not.toContain('org.opencontainers.image.version=9.9.9');
  });

  it('asks for the image ID file when given one', () => {
    expect(pairs(buildCommandArgs({ ...base, iidfile: '/tmp/x/iid' }), '--iidfile')).toEqual(['/tmp/x/iid']);
  });
});

describe('image references', () => {
  it('assembles a reference the stack schema accepts', () => {
    const ref = artifactRef('shop', '1.2.0', ID);
    expect(ref).toBe(`shop:1.2.0@${ID}`);
    expect(IMAGE_REF_RE.test(ref)).toBe(true);
  });

  it('refuses parts that do not make a pinned reference', () => {
    expect(() => artifactRef('Shop', '1.2.0', ID)).toThrow(UserError);
    expect(() => artifactRef('shop', '1.2.0', 'sha256:abc')).toThrow(/not an image reference pinned by digest/);
  });

  it('parses repository, tag and digest, telling a registry port from a tag', () => {
    expect(parseImageRef(`shop:1.2.0@${ID}`)).toEqual({ repository: 'shop', tag: '1.2.0', digest: ID });
    expect(parseImageRef(`shop@${ID}`)).toEqual({ repository: 'shop', digest: ID });
    expect(parseImageRef(`registry.local:5000/team/shop@${ID}`)).toEqual({ repository: 'registry.local:5000/team/shop', digest: ID });
    expect(parseImageRef(`registry.local:5000/team/shop:v2@${ID}`)).toEqual({ repository: 'registry.local:5000/team/shop', tag: 'v2', digest: ID });
  });

  it('rejects a reference without a digest, naming it', () => {
    expect(() => parseImageRef('shop:1.2.0')).toThrow('"shop:1.2.0" is not an image reference pinned by digest');
    expect(() => parseImageRef(`shop:1.2.0@sha256:${'A'.repeat(64)}`)).toThrow(UserError);
  });

  it('runs a local artifact by its image ID', () => {
    expect(digestOf(`shop:1.2.0@${ID}`)).toBe(ID);
  });
});

describe('version and commit defaults', () => {
  it('marks a commit dirty when the build context has changes, and is unknown outside git', () => {
    expect(describeCommit(`${SHA}\n`, '')).toBe(SHA);
    expect(describeCommit(SHA, ' M server.mjs\n?? notes.txt\n')).toBe(`${SHA}-dirty`);
    expect(describeCommit(undefined, '')).toBe('unknown');
    expect(describeCommit('fatal: not a git repository', '')).toBe('unknown');
  });

  it('takes the package.json version, else 0.0.0 with the short commit', () => {
    expect(defaultVersion('1.4.2', SHA)).toBe('1.4.2');
    expect(defaultVersion(undefined, SHA)).toBe('0.0.0-0123456789ab');
    expect(defaultVersion(undefined, `${SHA}-dirty`)).toBe('0.0.0-0123456789ab-dirty');
    expect(defaultVersion(undefined, 'unknown')).toBe('0.0.0-unknown');
  });

  it('default versions are valid tags and schema version labels', () => {
    for (const commit of [SHA, `${SHA}-dirty`, 'unknown']) expect(checkNameAndVersion('shop', defaultVersion(undefined, commit))).toEqual([]);
  });

  it('names the option and what is allowed for a bad name or version', () => {
    expect(checkNameAndVersion('My App', '1.0.0+build.5')).toEqual([
      'name: "My App" is not an image name (lower-case letters and digits, separated by . _ - or /; at most 128)',
      'version: "1.0.0+build.5" is not a version label (letters, digits, . _ -, starting with a letter or digit; at most 64)',
    ]);
  });
});

describe('buildArtifact with a scripted runner', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  /** A project with `app/Dockerfile` (and package.json when given a version). */
  const project = (pkgVersion?: string) => {
    const root = mkdtempSync(join(tmpdir(), 'slipway-build-test-'));
    dirs.push(root);
    mkdirSync(join(root, 'app'));
    writeFileSync(join(root, 'app/Dockerfile'), 'FROM scratch\n');
    if (pkgVersion) writeFileSync(join(root, 'app/package.json'), JSON.stringify({ name: 'shop', version: pkgVersion }));
    return root;
  };

  /** Answers git and docker like a clean checkout and a working engine; records docker build args. */
  const scripted = (over: Partial<Record<'git' | 'version' | 'build', RunResult>> = {}) => {
    const calls: string[][] = [];
    const ok = (stdout = ''): RunResult => ({ exitCode: 0, stdout, stderr: '' });
    const run: Runner = async (file, args, opts) => {
      calls.push([file, ...args]);
      if (file === 'git') return over.git ?? (args[0] === 'rev-parse' ? ok(SHA) : ok(''));
      if (args[0] === 'version') return over.version ?? ok('20.10.24');
      const result = over.build ?? ok('Successfully built');
      if (result.exitCode === 0) writeFileSync(args[args.indexOf('--iidfile') + 1]!, `${ID}\n`);
      // Like a real runner: every output line goes to onLine as it comes.
      for (const line of ['Step 1/1 : FROM scratch', ...`${result.stdout}\n${result.stderr}`.split('\n')]) opts.onLine?.(line);
      return result;
    };
    return { run, calls };
  };

  it('returns the digest-pinned reference from the image ID, with version and commit defaults', async () => {
    const root = project('1.2.0');
    const { run, calls } = scripted();
    const a = await buildArtifact({ dir: 'app', cwd: root, run });
    expect(a).toEqual({ ref: `app:1.2.0@${ID}`, digest: ID, imageId: ID, name: 'app', version: '1.2.0', commit: SHA });
    const buildCall = calls.find((c) => c[1] === 'build')!;
    expect(buildCall.at(-1)).toBe(join(root, 'app'));
    expect(buildCall).toContain(`COMMIT=${SHA}`);
  });

  it('uses 0.0.0-<commit> without package.json and "unknown" outside git', async () => {
    const { run } = scripted({ git: { exitCode: 128, stdout: '', stderr: 'fatal: not a git repository' } });
    const a = await buildArtifact({ dir: 'app', cwd: project(), name: 'shop', run });
    expect([a.version, a.commit, a.ref]).toEqual(['0.0.0-unknown', 'unknown', `shop:0.0.0-unknown@${ID}`]);
  });

  it('names a missing directory or Dockerfile', async () => {
    const root = project();
    const { run } = scripted();
    await expect(buildArtifact({ dir: 'nope', cwd: root, run })).rejects.toThrow('nope: no such directory');
    rmSync(join(root, 'app/Dockerfile'));
    await expect(buildArtifact({ dir: 'app', cwd: root, run })).rejects.toThrow('app/Dockerfile: not found');
  });

  it('says in one line that the engine is unreachable and how to start it', async () => {
    const down = { exitCode: 1, stdout: '', stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' };
    const { run, calls } = scripted({ version: down });
    const err = await buildArtifact({ dir: 'app', cwd: project('1.0.0'), run }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).problems).toEqual([
      'cannot reach the Docker engine: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running? — start dockerd / Docker Desktop',
    ]);
    expect(calls.some((c) => c[1] === 'build')).toBe(false);
  });

  it('says when the docker CLI is not installed', async () => {
    const { run } = scripted({ version: { exitCode: undefined, stdout: '', stderr: '', startError: 'ENOENT' } });
    await expect(buildArtifact({ dir: 'app', cwd: project('1.0.0'), run })).rejects.toThrow('the docker CLI is not on PATH');
  });

  it('carries the last lines of a failed build', async () => {
    const stderr = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n');
    const { run } = scripted({ build: { exitCode: 1, stdout: '', stderr } });
    const err = (await buildArtifact({ dir: 'app', cwd: project('1.0.0'), run }).catch((e: unknown) => e)) as UserError;
    expect(err).toBeInstanceOf(UserError);
    expect(err.problems[0]).toBe('docker build of app failed (exit 1); its last lines:');
    expect(err.problems.at(-1)).toBe('  line 30');
    expect(err.problems).not.toContain('  line 1');
  });

  it('refuses a bad version before running docker', async () => {
    const { run, calls } = scripted();
    await expect(buildArtifact({ dir: 'app', cwd: project(), version: '1.0+x', run })).rejects.toThrow('version: "1.0+x" is not a version label');
    expect(calls.filter((c) => c[0] === 'docker')).toEqual([]);
  });
});

describe('slipway build', () => {
  it('prints only the reference on stdout and progress on stderr', async () => {
    const root = mkdtempSync(join(tmpdir(), 'slipway-build-cmd-'));
    try {
      mkdirSync(join(root, 'app'));
      writeFileSync(join(root, 'app/Dockerfile'), 'FROM scratch\n');
      const run: Runner = async (file, args, opts) => {
        if (file === 'git') return { exitCode: 0, stdout: args[0] === 'rev-parse' ? SHA : '', stderr: '' };
        if (args[0] === 'build') {
          writeFileSync(args[args.indexOf('--iidfile') + 1]!, ID);
          opts.onLine?.('Successfully built');
        }
        return { exitCode: 0, stdout: '20.10.24', stderr: '' };
      };
      const output = memorySink();
      await build({ ...commandContext({ cwd: root, output }), name: 'shop', version: '2.0.0', run });
      expect(output.stdout).toBe(`shop:2.0.0@${ID}\n`);
      expect(output.stderr).toContain('Successfully built');

      const json = memorySink();
      await build({ ...commandContext({ cwd: root, output: json }), name: 'shop', version: '2.0.0', json: true, run });
      expect(JSON.parse(json.stdout)).toMatchObject({ ref: `shop:2.0.0@${ID}`, digest: ID, commit: SHA });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('slipway build on the command line', () => {
  const cli = async (args: string[]) => {
    const output = memorySink();
    const code = await runCli(args, { cwd: ROOT_DIR, output, commands: [registerBuild] });
    return { code, stdout: output.stdout, stderr: output.stderr };
  };

  it('refuses a malformed --name or --app-version as a usage error, before any docker call', async () => {
    const r = await cli(['build', 'app', '--name', 'Bad Name', '--app-version', '1.0+x']);
    expect(r.code).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      '--name: "Bad Name" is not an image name (lower-case letters and digits, separated by . _ - or /; at most 128)',
      '--app-version: "1.0+x" is not a version label (letters, digits, . _ -, starting with a letter or digit; at most 64)',
    ]);
    const spaced = await cli(['build', 'app', '--app-version', 'a b']);
    expect([spaced.code, spaced.stderr]).toEqual([
      64,
      '--app-version: "a b" is not a version label (letters, digits, . _ -, starting with a letter or digit; at most 64)\n',
    ]);
  });

  it('names a missing build context', async () => {
    const r = await cli(['build', 'no-such-dir']);
    expect([r.code, r.stderr.trim().split('\n').at(-1)]).toEqual([1, 'no-such-dir: no such directory (the build context)']);
  });
});

/** Values following each occurrence of `flag`. */
function pairs(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag && args[i + 1] !== undefined ? [args[i + 1]!] : []));
}
