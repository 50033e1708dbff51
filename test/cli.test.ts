// The CLI commands, called as functions against a temp copy of the project, and the exit-code mapping.
import { execa } from 'execa';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockMonitor } from '@pulumi/pulumi/runtime/mocks';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run, type RegisterCommand } from '../pipeline/cli/main';
import { plan, renderPlan } from '../pipeline/cli/commands/plan';
import { validate } from '../pipeline/cli/commands/validate';
import { referenceMarkdown } from '../pipeline/cli/configReference';
import { AwaitingApproval, CheckFailed, EXIT, InternalError, LockHeld, UsageError, UserError } from '../pipeline/cli/errors';
import { commandContext, memorySink } from '../pipeline/cli/output';
import { planStack, runUnderMocks, type Plan } from '../pipeline/review/plan';
import { rawStack, ROOT } from './mocks';
import { indexWithExtra, projectCopy } from './support/projectCopy';

const dirs: string[] = [];

/** A throw-away project root: Pulumi.yaml, the program (index.ts, components/) and stacks/ copied from the repository. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-cli-'));
  dirs.push(dir);
  for (const f of ['Pulumi.yaml', 'index.ts', 'package.json', 'stacks', 'components']) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

function edit(dir: string, stack: string, change: (text: string) => string): void {
  const file = join(dir, 'stacks', `Pulumi.${stack}.yaml`);
  const before = readFileSync(file, 'utf8');
  const after = change(before);
  if (after === before) throw new Error(`test setup: edit of ${file} changed nothing`);
  writeFileSync(file, after);
}

const breakProdCpu = (dir: string) => edit(dir, 'prod', (t) => t.replace(/^(\s+cpu:) \d+$/m, '$1 300'));
const CPU_ERROR = 'stacks/Pulumi.prod.yaml: slipway:capacity.cpu: 300 is not a Fargate CPU value (256, 512, 1024, 2048, 4096, 8192, 16384)';

async function runIn(cwd: string, args: string[], extra: Parameters<typeof run>[1] = {}) {
  const output = memorySink();
  const code = await run(args, { cwd, output, env: {}, ...extra });
  return { code, stdout: output.stdout, stderr: output.stderr };
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('slipway validate', () => {
  it('passes every shipped stack, one ok line each', async () => {
    const output = memorySink();
    const result = await validate({ ...commandContext({ cwd: project(), output }) });
    const files = ['dev', 'local', 'prod', 'staging'].map((s) => `stacks/Pulumi.${s}.yaml`);
    expect(result.valid).toEqual(files);
    expect(output.stdout).toBe(files.map((f) => `ok ${f}\n`).join(''));
  });

  it('names the file and key of a broken value, still reports the good files, exits 1', async () => {
    const dir = project();
    breakProdCpu(dir);
    const err = await validate(commandContext({ cwd: dir })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).problems).toEqual([CPU_ERROR]);

    const { code, stdout, stderr } = await runIn(dir, ['validate']);
    expect(code).toBe(EXIT.failure);
    expect(stdout).toContain('ok stacks/Pulumi.local.yaml\n');
    expect(stdout).not.toContain('Pulumi.prod.yaml');
    expect(stderr).toBe(`${CPU_ERROR}\n`);
  });

  it('reports every problem of every invalid file together', async () => {
    const dir = project();
    breakProdCpu(dir);
    edit(dir, 'local', (t) => t.replace('public: 8080', 'public: 80'));
    const { code, stderr } = await runIn(dir, ['validate']);
    expect(code).toBe(EXIT.failure);
    expect(stderr.trim().split('\n')).toEqual([
      'stacks/Pulumi.local.yaml: slipway:ports.public: 80 is below the minimum 1024',
      CPU_ERROR,
    ]);
  });

  it('names the file of a YAML syntax error', async () => {
    const dir = project();
    edit(dir, 'dev', (t) => t.replace('  slipway:release:', '  slipway:release: [unclosed'));
    const { code, stderr } = await runIn(dir, ['validate', '--stack', 'dev']);
    expect(code).toBe(EXIT.failure);
    expect(stderr).toMatch(/^stacks\/Pulumi\.dev\.yaml: not valid YAML: .+\n$/);
  });

  it('checks only the named stack, and names a missing one', async () => {
    const dir = project();
    breakProdCpu(dir);
    expect(await runIn(dir, ['validate', '--stack', 'local'])).toEqual({ code: 0, stdout: 'ok stacks/Pulumi.local.yaml\n', stderr: '' });
    const missing = await runIn(dir, ['validate', '--stack', 'qa']);
    expect(missing.code).toBe(EXIT.failure);
    expect(missing.stderr).toBe('stacks/Pulumi.qa.yaml: no such stack file (stacks: dev, local, prod, staging)\n');
  });
});

describe('slipway plan', () => {
  it.each(['prod', 'local'])('--json for %s prints one JSON document with the stack and its environment', async (stack) => {
    const { code, stdout, stderr } = await runIn(project(), ['plan', '--stack', stack, '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(EXIT.ok);
    const doc = JSON.parse(stdout) as Plan;
    expect(Object.keys(doc).sort()).toEqual(['outputs', 'resources', 'stack']);
    expect(doc.stack).toBe(stack);
    const root = doc.resources.find((r) => r.type === 'pulumi:pulumi:Stack');
    const envType = stack === 'prod' ? 'slipway:aws:Environment' : 'slipway:docker:Environment';
    const env = doc.resources.find((r) => r.type === envType);
    expect(root?.parent).toBeUndefined();
    expect(env?.parent).toBe(root?.urn);
    expect(env?.name).toBe('shop');
    for (const r of doc.resources) expect(Object.keys(r)).toEqual(expect.arrayContaining(['urn', 'type', 'name', 'inputs']));
    expect(doc.outputs).toMatchObject({ target: stack === 'prod' ? 'aws' : 'docker', liveSlot: 'blue', idleSlot: 'green' });
  });

  it('prints a tree by parent with key inputs, and explains placeholders', () => {
    const lines = renderPlan({
      stack: 'demo',
      resources: [
        { urn: 'urn:s', type: 'pulumi:pulumi:Stack', name: 'slipway-demo', inputs: {} },
        { urn: 'urn:e', type: 'slipway:aws:Environment', name: 'shop', parent: 'urn:s', inputs: {} },
        { urn: 'urn:v', type: 'aws:ec2/vpc:Vpc', name: 'shop-vpc', parent: 'urn:e', inputs: { cidrBlock: '10.0.0.0/16', tags: { app: 'shop' } } },
        { urn: 'urn:l', type: 'aws:lb/listener:Listener', name: 'shop-http', parent: 'urn:e', inputs: { loadBalancerArn: '<computed:shop-alb.arn>', port: 80 } },
      ],
      outputs: { publicUrl: 'http://<computed:shop-alb.dnsName>', blueArtifact: '' },
    });
    expect(lines).toEqual(expect.arrayContaining([
      'pulumi:pulumi:Stack  slipway-demo',
      '  slipway:aws:Environment  shop',
      '    aws:ec2/vpc:Vpc  shop-vpc  cidrBlock=10.0.0.0/16',
      '    aws:lb/listener:Listener  shop-http  loadBalancerArn=<computed:shop-alb.arn> port=80',
      '  publicUrl     http://<computed:shop-alb.dnsName>',
      '  blueArtifact  ""',
    ]));
    expect(lines.indexOf('  slipway:aws:Environment  shop')).toBe(lines.indexOf('pulumi:pulumi:Stack  slipway-demo') + 1);
    expect(lines.join('\n')).toContain('<computed:RESOURCE.PROPERTY> are assigned by the cloud');
  });

  it('runs the program Pulumi.yaml names: a resource added only in index.ts is planned, under the project name Pulumi.yaml gives', async () => {
    const { dir, remove } = projectCopy({ 'index.ts': indexWithExtra() });
    try {
      writeFileSync(join(dir, 'Pulumi.yaml'), readFileSync(join(dir, 'Pulumi.yaml'), 'utf8').replace('name: slipway', 'name: demo'));
      const { code, stdout, stderr } = await runIn(dir, ['plan', '--stack', 'local']);
      expect([code, stderr]).toEqual([EXIT.ok, '']);
      expect(stdout.split('\n')).toContain('  test:index:Extra  extra  size=3 token=[secret]');
      expect(stdout).toMatch(/^ {2}extraToken +\[secret\]$/m);
      expect(stdout).not.toMatch(/hunter2|s3cr3t/);
      const doc = JSON.parse((await runIn(dir, ['plan', '--stack', 'local', '--json'])).stdout) as Plan;
      const extra = doc.resources.find((r) => r.name === 'extra');
      expect(extra).toEqual({ urn: 'urn:pulumi:local::demo::pulumi:pulumi:Stack$test:index:Extra::extra', type: 'test:index:Extra', name: 'extra', parent: 'urn:pulumi:local::demo::pulumi:pulumi:Stack::demo-local', inputs: { size: 3, token: '[secret]' } });
      expect(doc.outputs.extraToken).toBe('[secret]');
      expect(JSON.stringify(doc)).not.toMatch(/hunter2|s3cr3t/);
    } finally {
      remove();
    }
  });

  it('re-runs the program module for every plan: top-level resources and named exports (no default export) count each time', async () => {
    const main = [
      `import * as pulumi from '@pulumi/pulumi';`,
      `new pulumi.CustomResource('test:index:Extra', 'top', { n: 1 });`,
      `export const where = pulumi.getStack();`,
      `export const secretThing = pulumi.secret('p4ss');`,
      '',
    ].join('\n');
    const { dir, remove } = projectCopy({ 'alt.ts': main });
    try {
      writeFileSync(join(dir, 'Pulumi.yaml'), readFileSync(join(dir, 'Pulumi.yaml'), 'utf8').replace('main: index.ts', 'main: alt.ts'));
      for (const stack of ['local', 'dev']) {
        const r = await planStack(stack, { root: dir });
        if (!r.ok) throw new Error(r.errors.join('\n'));
        expect(r.plan.resources.map((x) => x.name)).toEqual([`slipway-${stack}`, 'top']);
        expect(Object.keys(r.plan.outputs)).toEqual(['where', 'secretThing']);
        expect(r.plan.outputs.where).toBe(stack);
        expect(renderPlan(r.plan).filter((l) => l.includes('secretThing'))).toEqual(['  secretThing  [secret]']);
      }
    } finally {
      remove();
    }
  });

  it('gives the program a secure: config value as [secret], marked secret, never the ciphertext', async () => {
    const main = [
      `import * as pulumi from '@pulumi/pulumi';`,
      `export default () => {`,
      `  const c = new pulumi.Config('shop');`,
      `  new pulumi.CustomResource('test:index:Db', 'db', { plain: c.require('dbPassword'), marked: c.requireSecret('dbPassword') });`,
      `  return { password: c.requireSecret('dbPassword') };`,
      `};`,
      '',
    ].join('\n');
    const { dir, remove } = projectCopy({ 'index.ts': main });
    try {
      edit(dir, 'local', (t) => t.replace('config:\n', 'config:\n  shop:dbPassword:\n    secure: v1:AAAABBBBcipher\n'));
      const text = await runIn(dir, ['plan', '--stack', 'local']);
      expect(text.stdout.split('\n')).toEqual(expect.arrayContaining(['  test:index:Db  db  marked=[secret] plain=[secret]', '  password  [secret]']));
      const json = await runIn(dir, ['plan', '--stack', 'local', '--json']);
      expect((JSON.parse(json.stdout) as Plan).resources.find((r) => r.name === 'db')?.inputs).toEqual({ marked: '[secret]', plain: '[secret]' });
      expect(text.stdout + json.stdout).not.toContain('cipher');
    } finally {
      remove();
    }
  });

  it('names a missing program file in one line', async () => {
    const dir = project();
    rmSync(join(dir, 'index.ts'));
    expect(await runIn(dir, ['plan', '--stack', 'local'])).toEqual({ code: EXIT.failure, stdout: '', stderr: `Pulumi.yaml: main: index.ts: no such file in ${dir}\n` });
  });

  it('plans nothing for an invalid stack: the validation line, exit 1, empty stdout', async () => {
    const dir = project();
    breakProdCpu(dir);
    expect(await runIn(dir, ['plan', '--stack', 'prod', '--json'])).toEqual({ code: EXIT.failure, stdout: '', stderr: `${CPU_ERROR}\n` });
    await expect(plan({ ...commandContext({ cwd: dir }), stack: 'prod' })).rejects.toThrow(UserError);
  });

  it('is a usage error without --stack', async () => {
    const { code, stdout, stderr } = await runIn(project(), ['plan', '--json']);
    expect(code).toBe(EXIT.usage);
    expect(stdout).toBe('');
    expect(stderr).toContain("required option '-s, --stack <name>' not specified");
  });

  describe('the real program under mocks, given an invalid configuration', () => {
    let registered: string[];
    beforeEach(() => {
      registered = [];
      const original = MockMonitor.prototype.registerResource;
      vi.spyOn(MockMonitor.prototype, 'registerResource').mockImplementation(function (this: MockMonitor, req: any, cb: any) {
        registered.push(req.getType());
        return original.call(this, req, cb);
      });
    });
    afterEach(() => vi.restoreAllMocks());

    it('fails before registering anything besides the stack', async () => {
      const raw = rawStack('prod');
      raw['slipway:capacity'].cpu = 300;
      const { result, unhandled } = await catchingUnhandledRejections(() => runUnderMocks('prod', raw));
      expect(result.status).toBe('rejected');
      const reason = result.status === 'rejected' ? String(result.reason) : '';
      expect(reason).toMatch(/invalid stack configuration:\n.*slipway:capacity\.cpu: 300/);
      // The planner catches the program's error itself, so the SDK leaves no stray copies of it.
      expect(unhandled).toEqual([]);
      expect(registered).toEqual(['pulumi:pulumi:Stack']);
    });

    it('registers the environment once the configuration is valid (the spy sees registrations)', async () => {
      await runUnderMocks('prod', rawStack('prod'));
      expect(registered).toContain('slipway:aws:Environment');
    });
  });
});

/** Runs `fn` with the process's unhandled-rejection listeners swapped for a collector. */
async function catchingUnhandledRejections<T>(fn: () => Promise<T>) {
  const previous = process.listeners('unhandledRejection');
  const unhandled: unknown[] = [];
  const collect = (reason: unknown) => void unhandled.push(reason);
  process.removeAllListeners('unhandledRejection');
  process.on('unhandledRejection', collect);
  try {
    const [result] = await Promise.allSettled([fn()]);
    // Node reports unhandled rejections once the microtask queue drains; let that happen here.
    await new Promise((resolve) => setImmediate(resolve));
    return { result: result!, unhandled };
  } finally {
    process.off('unhandledRejection', collect);
    for (const l of previous) process.on('unhandledRejection', l);
  }
}

describe('slipway schema', () => {
  it('--markdown prints the README block', async () => {
    const { code, stdout } = await runIn(project(), ['schema', '--markdown']);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toBe(`${referenceMarkdown()}\n`);
  });

  it('--write-readme replaces only the block', async () => {
    const dir = project();
    writeFileSync(join(dir, 'README.md'), '# X\n<!-- config-reference:start -->\nold\n<!-- config-reference:end -->\ntail\n');
    expect((await runIn(dir, ['schema', '--write-readme'])).code).toBe(EXIT.ok);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe(
      `# X\n<!-- config-reference:start -->\n${referenceMarkdown()}\n<!-- config-reference:end -->\ntail\n`,
    );
  });
});

describe('exit codes and error output', () => {
  const throwing = (error: unknown): RegisterCommand => (program) => {
    program.command('boom').action(async () => {
      throw error;
    });
  };

  it.each([
    [new UserError(['a.yaml: x: bad', 'a.yaml: y: bad']), EXIT.failure, 'a.yaml: x: bad\na.yaml: y: bad\n'],
    [new CheckFailed('smoke /healthz on green: 503, expected 200'), EXIT.failure, 'smoke /healthz on green: 503, expected 200\n'],
    [new AwaitingApproval('prod: waiting for approval'), EXIT.awaitingApproval, 'prod: waiting for approval\n'],
    [new LockHeld('prod: locked by another deployment'), EXIT.lockHeld, 'prod: locked by another deployment\n'],
    [new UsageError('--a and --b cannot be used together'), EXIT.usage, '--a and --b cannot be used together\n'],
  ])('%s exits with its code and prints only its lines', async (error, code, stderr) => {
    expect(await runIn(ROOT, ['boom'], { commands: [throwing(error)] })).toEqual({ code, stdout: '', stderr });
  });

  it('an internal error exits 70 with one line; the stack trace only when asked', async () => {
    const quiet = await runIn(ROOT, ['boom'], { commands: [throwing(new InternalError('slot table is empty'))] });
    expect(quiet.code).toBe(EXIT.internal);
    expect(quiet.stderr.trim().split('\n')).toHaveLength(1);
    expect(quiet.stderr).toContain('internal error: slot table is empty');

    const bug = new TypeError('x is undefined');
    for (const extra of [{ env: { SLIPWAY_DEBUG: '1' } }, {}]) {
      const args = 'env' in extra ? ['boom'] : ['boom', '--verbose'];
      const loud = await runIn(ROOT, args, { commands: [throwing(bug)], ...extra });
      expect(loud.code).toBe(EXIT.internal);
      expect(loud.stderr).toMatch(/internal error: TypeError: x is undefined\n\s+at /);
    }
  });

  it('unknown commands and flags are usage errors', async () => {
    expect((await runIn(ROOT, ['deploi'])).code).toBe(EXIT.usage);
    expect((await runIn(ROOT, ['validate', '--stak', 'prod'])).code).toBe(EXIT.usage);
    expect((await runIn(ROOT, [])).code).toBe(EXIT.usage);
    const help = await runIn(ROOT, ['--help']);
    expect(help.code).toBe(EXIT.ok);
    expect(help.stdout).toMatch(/validate.*\n[\s\S]*plan.*\n[\s\S]*schema/);
  });
});

describe('bin/slipway.mjs', () => {
  it('runs as a real process: ok lines on stdout, problems on stderr, exit code 1', async () => {
    const dir = project();
    breakProdCpu(dir);
    const r = await execa('node', [join(ROOT, 'bin/slipway.mjs'), 'validate'], { cwd: dir, reject: false, env: { SLIPWAY_DEBUG: '' } });
    expect(r.exitCode).toBe(1);
    expect(r.stdout.split('\n')).toEqual(['ok stacks/Pulumi.dev.yaml', 'ok stacks/Pulumi.local.yaml', 'ok stacks/Pulumi.staging.yaml']);
    expect(r.stderr).toBe(CPU_ERROR);
  });
});
