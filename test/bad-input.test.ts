// Bad input on the command line, as a new user types it: each gets one line naming the flag or file
// and what is allowed, the right exit code (64: the command line is malformed; 1: a well-formed value
// naming something wrong), and changes nothing.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { deployCommand } from '../pipeline/cli/commands/deploy';
import { rollbackCommand } from '../pipeline/cli/commands/rollback';
import { EXIT, exitCodeFor } from '../pipeline/cli/errors';
import { run } from '../pipeline/cli/main';
import { memorySink } from '../pipeline/cli/output';
import { RESPONSE_BODY_MAX_BYTES } from '../pipeline/release/http';
import { runSmokeChecks } from '../pipeline/release/smoke';
import { EngineDouble } from './support/engineDouble';
import { DIGEST_A, ROOT } from './mocks';

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'slipway-bad-'));
  cpSync(join(ROOT, 'stacks'), join(cwd, 'stacks'), { recursive: true });
  cpSync(join(ROOT, 'Pulumi.yaml'), join(cwd, 'Pulumi.yaml'));
  return () => rmSync(cwd, { recursive: true, force: true });
});

/** Runs one command line; returns its exit code and stderr lines. */
async function cli(args: string[]) {
  const output = memorySink();
  const code = await run(args, { cwd, output, env: {} });
  return { code, stderr: output.stderr.trim().split('\n'), stdout: output.stdout };
}

const stackText = (stack: string) => readFileSync(join(cwd, 'stacks', `Pulumi.${stack}.yaml`), 'utf8');
const STACK_NAME_RULE = 'must be 1-10 characters of [a-z0-9-], starting with a letter, not ending with a hyphen, without "--" (it is part of AWS resource names)';
const ARTIFACT = `shop:1.0.0@${DIGEST_A}`;

describe('deploy and rollback', () => {
  it('deploy needs exactly one of --artifact and --build (64)', async () => {
    expect(await cli(['deploy', '--stack', 'local'])).toMatchObject({ code: 64, stderr: ['deploy: give one of --artifact REF@sha256:… or --build DIR'] });
    expect(await cli(['deploy', '--stack', 'local', '--artifact', ARTIFACT, '--build', 'app'])).toMatchObject({
      code: 64,
      stderr: ['deploy: give --artifact or --build, not both'],
    });
  });

  it('refuses an --app-version that is not a version label before writing anything (64)', async () => {
    const before = stackText('local');
    const engine = new EngineDouble();
    const err = await deployCommand({ cwd, output: memorySink(), env: {}, verbose: false, engine, stack: 'local', artifact: ARTIFACT, appVersion: 'a b' }).catch((e: unknown) => e);
    expect([exitCodeFor(err), (err as Error).message]).toEqual([
      EXIT.usage,
      '--app-version: "a b" is not a version label (letters, digits, . _ + -, starting with a letter or digit; at most 64)',
    ]);
    expect(engine.selects).toBe(0);
    expect(stackText('local')).toBe(before);
    expect(await cli(['deploy', '--stack', 'local', '--build', 'app', '--app-version', 'a b'])).toMatchObject({
      code: 64,
      stderr: ['--app-version: "a b" is not a version label (letters, digits, . _ -, starting with a letter or digit; at most 64)'],
    });
    expect(await cli(['deploy', '--stack', 'local', '--artifact', ARTIFACT, '--app-version', 'v'.repeat(65)])).toMatchObject({ code: 64 });
  });

  it('names the stack files there are when the stack has none, before the engine (1)', async () => {
    const line = '--stack: "nope" has no stack file stacks/Pulumi.nope.yaml (stacks: dev, local, prod, staging)';
    expect(await cli(['deploy', '--stack', 'nope', '--artifact', ARTIFACT])).toMatchObject({ code: 1, stderr: [line] });
    expect(await cli(['rollback', '--stack', 'nope'])).toMatchObject({ code: 1, stderr: [line] });
    expect(await cli(['approve', '--stack', 'nope', '--id', 'd-1', '--by', 'alice'])).toMatchObject({ code: 1, stderr: [line] });
    const engine = new EngineDouble();
    await expect(rollbackCommand({ cwd, output: memorySink(), env: {}, verbose: false, engine, stack: 'nope' })).rejects.toThrow(line);
    expect(engine.selects).toBe(0);
  });

  it('names --build when the build directory is missing or not a directory, before the engine (1)', async () => {
    writeFileSync(join(cwd, 'notes.txt'), 'x');
    expect(await cli(['deploy', '--stack', 'local', '--build', 'no-such-dir'])).toMatchObject({
      code: 1,
      stderr: ['--build: no-such-dir: no such directory (the build context)'],
    });
    expect(await cli(['deploy', '--stack', 'local', '--build', 'notes.txt'])).toMatchObject({
      code: 1,
      stderr: ['--build: notes.txt: not a directory (the build context is a directory with a Dockerfile)'],
    });
  });
});

describe('a stack name is checked before any file is opened', () => {
  it.each([
    [['validate', '--stack', '../../etc/passwd']],
    [['deploy', '--stack', '../../etc/passwd', '--artifact', ARTIFACT]],
    [['rollback', '--stack', '../../etc/passwd']],
    [['smoke', '--stack', '../../etc/passwd', '--url', 'http://127.0.0.1:8081']],
  ])('%j → 64', async (args) => {
    expect(await cli(args)).toMatchObject({ code: 64, stderr: [`--stack: "../../etc/passwd" ${STACK_NAME_RULE}`] });
  });
});

describe('smoke --url', () => {
  it.each([
    ['http://user:pw@127.0.0.1:8081', '--url: "http://***@127.0.0.1:8081": a URL with a user name or password is refused (smoke checks send no credentials, and the line would show them)'],
    [':1', '--url: ":1" is not a URL (expected http://host[:port] or https://…)'],
    ['http:1', '--url: "http:1" is not a URL (expected http://host[:port] or https://…)'],
    [' http://127.0.0.1:8081', '--url: " http://127.0.0.1:8081" has leading or trailing spaces'],
    ['http://127.0.0.1:8081 ', '--url: "http://127.0.0.1:8081 " has leading or trailing spaces'],
    ['http://127.0.0.1:0', '--url: "http://127.0.0.1:0": port 0 is not a port (1 to 65535)'],
    ['http://1:8081', '--url: "http://1:8081": the host "1" means 0.0.0.1; write 0.0.0.1'],
  ])('%j is refused at once (64), not retried', async (url, line) => {
    expect(await cli(['smoke', '--stack', 'local', '--url', url])).toMatchObject({ code: 64, stderr: [line], stdout: '' });
  });
});

describe('a smoke response body is bounded', () => {
  let server: Server;
  afterAll(() => new Promise((r) => server.close(r)));

  it('an endless body fails its check naming the limit, after one attempt, and the reading stops', async () => {
    let written = 0;
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) written += chunk.length;
        if (!res.destroyed) res.once('drain', pump);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const report = await runSmokeChecks({ baseUrl: url, checks: [{ path: '/', status: 200, latencyMs: 10000 }], versionPath: '/version', deadlineMs: 60000 });
    expect(report.checks).toEqual([{ name: '/', path: '/', ok: false, status: 200, latencyMs: expect.any(Number), attempts: 1, reason: 'body is over the 1 MiB limit (stopped reading)' }]);
    // The server was not drained: what it managed to write is the limit plus what sat in socket buffers.
    expect(written).toBeLessThan(RESPONSE_BODY_MAX_BYTES * 64);
  });

  it('a declared Content-Length over the limit is refused without reading', async () => {
    const fetch = async () => new Response('small', { headers: { 'content-length': String(RESPONSE_BODY_MAX_BYTES + 1) } });
    const report = await runSmokeChecks({ baseUrl: 'http://h', checks: [{ path: '/', status: 200, latencyMs: 1000 }], versionPath: '/version', deadlineMs: 1000, fetch });
    expect(report.checks[0]).toMatchObject({ ok: false, attempts: 1, reason: 'body is over the 1 MiB limit (stopped reading)' });
  });
});

describe('validate on the command line', () => {
  it('a wrong type names the type given and what is allowed (1)', async () => {
    const file = join(cwd, 'stacks', 'Pulumi.local.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('    port: 8080', '    port: "8080"').replace('    memoryMb: 256', '    memoryMb: true'));
    expect(await cli(['validate', '--stack', 'local'])).toMatchObject({
      code: 1,
      stderr: [
        'stacks/Pulumi.local.yaml: slipway:app.port: "8080" is a string, expected a whole number from 1 to 65535',
        'stacks/Pulumi.local.yaml: slipway:capacity.memoryMb: true is a boolean, expected a whole number from 16 to 65536',
      ],
    });
  });

  it('a typo of an aws: provider key is refused with the key it is close to (1)', async () => {
    const file = join(cwd, 'stacks', 'Pulumi.prod.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('aws:region:', 'aws:regoin:'));
    expect(await cli(['validate', '--stack', 'prod'])).toMatchObject({
      code: 1,
      stderr: ['stacks/Pulumi.prod.yaml: aws:regoin: unknown AWS provider key (did you mean aws:region?)'],
    });
  });

  it('a long value comes back cut at 80 characters (a 900 kB one here: a 5 MB file is over the size limit)', async () => {
    const file = join(cwd, 'stacks', 'Pulumi.local.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('    name: shop', `    name: ${'s'.repeat(900_000)}`));
    const { code, stderr } = await cli(['validate', '--stack', 'local']);
    expect([code, stderr]).toEqual([
      1,
      [`stacks/Pulumi.local.yaml: slipway:app.name: "${'s'.repeat(78)}… is longer than 12 characters (ALB and target group names are limited to 32)`],
    ]);
  });
});

describe('history and status', () => {
  it('check --stack before it becomes part of a path (64), and name the stacks there are (1)', async () => {
    for (const cmd of ['history', 'status']) {
      expect(await cli([cmd, '--stack', '../../etc/passwd'])).toMatchObject({ code: 64, stderr: [`--stack: "../../etc/passwd" ${STACK_NAME_RULE}`] });
    }
    expect(await cli(['status', '--stack', 'nope'])).toMatchObject({
      code: 1,
      stderr: ['--stack: "nope" has no stack file stacks/Pulumi.nope.yaml (stacks: dev, local, prod, staging)'],
    });
  });
});
