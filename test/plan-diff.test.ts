// Plan diffs: the pure diff on hand-made plans, and `slipway plan --diff` for real against a temp git
// repository holding a copy of the project (both sides planned in child processes).
import { execa } from 'execa';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planDiff } from '../pipeline/cli/commands/plan';
import { UserError } from '../pipeline/cli/errors';
import { commandContext, memorySink } from '../pipeline/cli/output';
import type { Plan, PlannedResource } from '../pipeline/review/plan';
import { diffPlans, normalise, renderPlanDiff, showChange } from '../pipeline/review/planDiff';
import { diffTrees, renderRefDiff } from '../pipeline/review/refDiff';
import { ROOT } from './mocks';
import { indexWithExtra } from './support/projectCopy';

const urn = (stack: string, type: string, name: string) => `urn:pulumi:${stack}::slipway::${type}::${name}`;
const res = (name: string, inputs: Record<string, unknown>, extra: Partial<PlannedResource> = {}, stack = 'dev'): PlannedResource => ({
  urn: urn(stack, 'aws:x:Thing', name),
  type: 'aws:x:Thing',
  name,
  inputs,
  ...extra,
});
const planOf = (resources: PlannedResource[], outputs: Record<string, unknown> = {}, stack = 'dev'): Plan => ({ stack, resources, outputs });

describe('diffPlans', () => {
  it('reports a changed input by its property path with before and after', () => {
    const d = diffPlans(
      planOf([res('tg', { healthCheck: { interval: 10, path: '/healthz' }, tags: { 'cost-center': 'shop', team: 'a' } })]),
      planOf([res('tg', { healthCheck: { interval: 30, path: '/healthz' }, tags: { 'cost-center': 'web', team: 'a' } })]),
    );
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
    expect(d.changed).toEqual([
      {
        urn: urn('dev', 'aws:x:Thing', 'tg'),
        type: 'aws:x:Thing',
        name: 'tg',
        changes: [
          { path: 'healthCheck.interval', before: 10, after: 30 },
          { path: 'tags["cost-center"]', before: 'shop', after: 'web' },
        ],
      },
    ]);
  });

  it('keys resources by URN: a new name is one added and one removed, not a change', () => {
    const d = diffPlans(planOf([res('a', { x: 1 }), res('keep', { y: 1 })]), planOf([res('keep', { y: 1 }), res('b', { x: 1 })]));
    expect(d.removed.map((r) => r.name)).toEqual(['a']);
    expect(d.added.map((r) => r.name)).toEqual(['b']);
    expect(d.changed).toEqual([]);
  });

  it('compares JSON held in strings by content: key order is no change, an inner change has an inner path', () => {
    const before = JSON.stringify([{ name: 'app', image: 'shop@sha256:1', cpu: 256 }]);
    const reordered = JSON.stringify([{ cpu: 256, image: 'shop@sha256:1', name: 'app' }]);
    const changed = JSON.stringify([{ cpu: 256, image: 'shop@sha256:2', name: 'app' }]);
    expect(diffPlans(planOf([res('task', { defs: before })]), planOf([res('task', { defs: reordered })])).changed).toEqual([]);
    expect(diffPlans(planOf([res('task', { defs: before })]), planOf([res('task', { defs: changed })])).changed[0]!.changes).toEqual([
      { path: 'defs[0].image', before: 'shop@sha256:1', after: 'shop@sha256:2' },
    ]);
  });

  it('shows a property set on one side only as unset on the other, and longer lists element by element', () => {
    const d = diffPlans(planOf([res('lb', { subnets: ['s0', 's1'] })]), planOf([res('lb', { subnets: ['s0', 's1', 's2'], internal: false })]));
    expect(d.changed[0]!.changes).toEqual([
      { path: 'internal', after: false },
      { path: 'subnets[2]', after: 's2' },
    ]);
    expect(renderPlanDiff(d)).toEqual(['  ~ aws:x:Thing  lb', '      internal: (unset) → false', '      subnets[2]: (unset) → "s2"']);
  });

  it('treats a value that changes shape as one change of the whole value', () => {
    const d = diffPlans(planOf([res('a', { v: 'x' })]), planOf([res('a', { v: { x: 1 } })]));
    expect(d.changed[0]!.changes).toEqual([{ path: 'v', before: 'x', after: { x: 1 } }]);
  });

  it('compares secrets by value but never shows them, and ignores unset keys', () => {
    const secret = (value: unknown) => ({ '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270', value });
    expect(normalise({ b: secret('{"k":1}'), a: undefined })).toEqual({ b: secret({ k: 1 }) });
    expect(diffPlans(planOf([res('a', { pw: secret('p'), gone: undefined })]), planOf([res('a', { pw: secret('p') })])).changed).toEqual([]);
    const d = diffPlans(
      planOf([res('a', { pw: secret('hunter2'), other: 'x' })], { token: secret('t1') }),
      planOf([res('a', { pw: secret('hunter3'), other: secret('x') })], { token: secret('t2') }),
    );
    // A value that became secret without changing is no change; a changed secret is one, masked.
    expect(d.changed[0]!.changes).toEqual([{ path: 'pw', before: '[secret]', after: '[secret]' }]);
    expect(d.outputs).toEqual([{ path: 'token', before: '[secret]', after: '[secret]' }]);
    expect(renderPlanDiff(d)).toEqual(['  ~ aws:x:Thing  a', '      pw: [secret] → [secret]', '  ~ outputs', '      token: [secret] → [secret]']);
    // Added on one side only: still masked.
    expect(diffPlans(planOf([res('a', {})]), planOf([res('a', { pw: secret('hunter2') })])).changed[0]!.changes).toEqual([{ path: 'pw', after: '[secret]' }]);
  });

  it('reports a changed dependency and a changed parent by resource name', () => {
    const before = res('svc', {}, { parent: urn('dev', 'slipway:x:Slot', 'blue'), dependencies: [urn('dev', 'aws:x:Thing', 'listener')] });
    const after = res('svc', {}, { parent: urn('dev', 'slipway:x:Slot', 'green'), dependencies: [urn('dev', 'aws:x:Thing', 'listener'), urn('dev', 'aws:x:Thing', 'role')] });
    expect(diffPlans(planOf([before]), planOf([after])).changed[0]!.changes).toEqual([
      { path: '[parent]', before: 'blue', after: 'green' },
      { path: '[dependencies]', before: ['listener'], after: ['listener', 'role'] },
    ]);
  });

  it('diffs the stack outputs, leaving out the ones asked to', () => {
    const d = diffPlans(planOf([], { testUrl: 'http://x:8443', configHash: 'a' }), planOf([], { testUrl: 'http://x:9443', configHash: 'b' }), { ignoreOutputs: ['configHash'] });
    expect(d.outputs).toEqual([{ path: 'testUrl', before: 'http://x:8443', after: 'http://x:9443' }]);
  });

  it('matches resources and strings through a custom sameString (how parity ignores stack names)', () => {
    const sameUpToStack = (a: string, b: string) => a.replaceAll('staging', 'prod') === b;
    const before = planOf([res('vpc', { name: 'shop-staging' }, {}, 'staging')], {}, 'staging');
    const after = planOf([res('vpc', { name: 'shop-prod' }, {}, 'prod')], {}, 'prod');
    expect(diffPlans(before, after)).toMatchObject({ added: [{ name: 'vpc' }], removed: [{ name: 'vpc' }] });
    expect(diffPlans(before, after, { sameString: sameUpToStack })).toEqual({ added: [], removed: [], changed: [], outputs: [] });
  });

  it('shows long strings from just before where they differ', () => {
    const common = 'x'.repeat(200);
    const line = showChange({ path: 'command[6]', before: `${common}-old-tail`, after: `${common}-new-tail` });
    expect(line).toBe(`command[6]: "…${'x'.repeat(19)}-old-tail" → "…${'x'.repeat(19)}-new-tail"`);
  });
});

describe('diffTrees', () => {
  const plan = (stack: string, names: string[]) => ({ ok: true as const, plan: planOf(names.map((n) => res(n, {}, {}, stack)), {}, stack) });

  it('reports stacks on one side only as whole environments added or removed', () => {
    const base = { stacks: ['dev', 'old'], plans: { dev: plan('dev', ['a']), old: plan('old', ['a', 'b']) } };
    const work = { stacks: ['dev', 'qa'], plans: { dev: plan('dev', ['a']), qa: plan('qa', ['a', 'b', 'c']) } };
    const stacks = diffTrees(base, work);
    expect(stacks.map((s) => [s.stack, s.status])).toEqual([
      ['dev', 'unchanged'],
      ['old', 'removed'],
      ['qa', 'added'],
    ]);
    expect(stacks[2]!.diff!.added.map((r) => r.name)).toEqual(['a', 'b', 'c']);
    const text = renderRefDiff({ base: 'main', commit: 'abcdef1234567890', stacks }).join('\n');
    expect(text).toContain('Plan diff: working tree against main (abcdef123456)');
    expect(text).toContain('dev: no changes');
    expect(text).toContain('old: environment removed (2 resources)');
    expect(text).toContain('qa: new environment (3 resources)');
  });

  it('reports a stack a side cannot plan with that side\'s errors', () => {
    const base = { stacks: ['dev'], plans: { dev: plan('dev', ['a']) } };
    const work = { stacks: ['dev'], plans: { dev: { ok: false as const, errors: ['stacks/Pulumi.dev.yaml: slipway:capacity.cpu: 300 is not a Fargate CPU value'] } } };
    const [dev] = diffTrees(base, work);
    expect(dev).toEqual({ stack: 'dev', status: 'invalid', errors: [{ side: 'working tree', lines: work.plans.dev.errors }] });
    expect(renderRefDiff({ base: 'main', commit: 'abc', stacks: [dev!] })).toContain('  working tree: stacks/Pulumi.dev.yaml: slipway:capacity.cpu: 300 is not a Fargate CPU value');
  });
});

describe('slipway plan --diff against a real git repository', () => {
  let repo: string;
  const git = (...args: string[]) => execa('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd: repo });

  beforeAll(async () => {
    // A copy of the project's program, planner and stacks (as they are in this working tree), as its own repository.
    repo = mkdtempSync(join(tmpdir(), 'slipway-plandiff-'));
    for (const f of ['.gitignore', 'Pulumi.yaml', 'package.json', 'tsconfig.json', 'index.ts', 'stacks', 'components', 'pipeline']) {
      cpSync(join(ROOT, f), join(repo, f), { recursive: true });
    }
    await git('init', '-q');
    await git('add', '.');
    await git('commit', '-q', '-m', 'base');
    // After the commit: .gitignore's `node_modules/` does not match a symlink.
    symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'), 'dir');
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it('shows what a knob change in the working tree does to one stack', async () => {
    const file = join(repo, 'stacks', 'Pulumi.staging.yaml');
    const text = readFileSync(file, 'utf8');
    const edited = text.replace('azCount: 2', 'azCount: 3').replace('retentionDays: 30', 'retentionDays: 90');
    expect(edited).not.toBe(text);
    writeFileSync(file, edited);

    const output = memorySink();
    const result = await planDiff({ ...commandContext({ cwd: repo, output }), base: 'HEAD', stack: 'staging', json: true });
    expect(JSON.parse(output.stdout)).toEqual(JSON.parse(JSON.stringify(result)));
    expect(result.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(result.stacks.map((s) => [s.stack, s.status])).toEqual([['staging', 'changed']]);
    const d = result.stacks[0]!.diff!;
    expect(d.removed).toEqual([]);
    // A third AZ: a public and a private subnet, each with its route table association.
    expect(d.added.map((r) => r.name).sort()).toEqual(['shop-network-private-2', 'shop-network-private-2-rt', 'shop-network-public-2', 'shop-network-public-2-rt']);
    const changed = (name: string) => d.changed.find((r) => r.name === name)?.changes;
    expect(changed('shop-blue-logs')).toEqual([{ path: 'retentionInDays', before: 30, after: 90 }]);
    // Six subnets instead of four: every subnet's block shrinks.
    expect(changed('shop-network-public-1')).toContainEqual({ path: 'cidrBlock', before: '10.20.64.0/18', after: '10.20.32.0/19' });
    // The load balancer also waits for its access-log bucket, encrypted, with the policy that lets it write.
    const LOGS = ['shop-access-logs-bucket', 'shop-access-logs-encryption', 'shop-access-logs-policy'];
    expect(changed('shop-access-logs-lifecycle')).toEqual([{ path: 'rules[0].expiration.days', before: 30, after: 90 }]);
    expect(changed('shop-lb-alb')).toEqual([
      { path: 'subnets[2]', after: '<computed:shop-network-public-2.id>' },
      { path: '[dependencies]', before: [...LOGS, 'shop-firewall-alb', 'shop-network-public-0', 'shop-network-public-1'], after: [...LOGS, 'shop-firewall-alb', 'shop-network-public-0', 'shop-network-public-1', 'shop-network-public-2'] },
    ]);

    const human = renderRefDiff(result);
    expect(human).toContain('staging: 4 added, 0 removed, 8 changed, 1 output changed');
    expect(human.join('\n')).toContain('  ~ aws:cloudwatch/logGroup:LogGroup  shop-blue-logs\n      retentionInDays: 30 → 90');
    expect(human).toContain('      [dependencies]: +shop-network-public-2');
  }, 60000);

  it('sees a resource added only in index.ts, and prints none of its secrets', async () => {
    const index = join(repo, 'index.ts');
    const shipped = readFileSync(index, 'utf8');
    writeFileSync(index, indexWithExtra());
    try {
      const output = memorySink();
      const result = await planDiff({ ...commandContext({ cwd: repo, output }), base: 'HEAD', stack: 'local', json: true });
      const d = result.stacks[0]!.diff!;
      expect(d.added.map((r) => [r.type, r.name])).toEqual([['test:index:Extra', 'extra']]);
      expect(d.outputs).toEqual([{ path: 'extraToken', after: '[secret]' }]);
      const human = renderRefDiff(result);
      expect(human.slice(2)).toEqual(['local: 1 added, 0 removed, 0 changed, 1 output changed', '  + test:index:Extra  extra', '  ~ outputs', '      extraToken: (unset) → [secret]']);
      expect(output.stdout + human.join('\n')).not.toMatch(/hunter2|s3cr3t/);
    } finally {
      writeFileSync(index, shipped);
    }
  }, 60000);

  it('removes its temporary trees when interrupted (SIGINT), exit 130', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'slipway-sigint-'));
    try {
      const ours = () => readdirSync(tmp).filter((f) => f.startsWith('slipway-'));
      const child = execa(process.execPath, [join(ROOT, 'bin', 'slipway.mjs'), 'plan', '--diff', 'HEAD', '--stack', 'local'], { cwd: repo, env: { TMPDIR: tmp }, reject: false });
      // Interrupted once the ref's tree is extracted and the planner is running.
      const deadline = Date.now() + 30000;
      while (!ours().some((f) => f.startsWith('slipway-plans-')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(ours().length).toBeGreaterThan(0);
      child.kill('SIGINT');
      const r = await child;
      expect(r.exitCode).toBe(130);
      expect(ours()).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60000);

  it('refuses a ref that names no commit, in one line', async () => {
    const err = await planDiff({ ...commandContext({ cwd: repo }), base: 'no-such-branch' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).problems).toEqual(['--diff: "no-such-branch" is not a commit, branch or tag of this repository']);
  });

  it('refuses a directory outside any git repository', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-nogit-'));
    try {
      const err = await planDiff({ ...commandContext({ cwd: dir }), base: 'HEAD' }).catch((e: unknown) => e);
      expect((err as UserError).problems).toEqual([`--diff: ${dir} is not inside a git repository`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
