// Pull-request previews, running: `slipway preview` against the engine double, and the GitHub workflows
// that run it, read as YAML.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { run } from '../pipeline/cli/main';
import { previewCommand, registerPreview } from '../pipeline/cli/commands/preview';
import type { PreviewResult } from '../pipeline/engine/port';
import { CheckFailed, EXIT, exitCodeFor, LockHeld } from '../pipeline/cli/errors';
import { memorySink } from '../pipeline/cli/output';
import { PREVIEW_MARKER, type PreviewSummary } from '../pipeline/review/preview';
import { listStacks } from '../stacks/load';
import { EngineDouble } from './support/engineDouble';
import { ROOT } from './mocks';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'pulumi');

const SG = 'aws:ec2/securityGroup:SecurityGroup';
const devPreview: PreviewResult = {
  changes: { create: 1, replace: 1, update: 1, same: 40 },
  steps: [
    { op: 'create-replacement', urn: `urn:pulumi:dev::slipway::${SG}::shop-dev-alb-sg`, type: SG, diff: { name: 'update-replace' }, replaceReasons: ['name'] },
    { op: 'replace', urn: `urn:pulumi:dev::slipway::${SG}::shop-dev-alb-sg`, type: SG, diff: { name: 'update-replace' }, replaceReasons: ['name'] },
    { op: 'create', urn: 'urn:pulumi:dev::slipway::aws:cloudwatch/metricAlarm:MetricAlarm::shop-dev-green-5xx', type: 'aws:cloudwatch/metricAlarm:MetricAlarm', diff: {} },
    { op: 'update', urn: 'urn:pulumi:dev::slipway::aws:ecs/service:Service::shop-dev-blue-svc', type: 'aws:ecs/service:Service', diff: { desiredCount: 'update' } },
    { op: 'delete-replaced', urn: `urn:pulumi:dev::slipway::${SG}::shop-dev-alb-sg`, type: SG, diff: { name: 'update-replace' }, replaceReasons: ['name'] },
  ],
};

describe('slipway preview (engine double)', () => {
  let cwd: string;
  let engine: EngineDouble;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'slipway-preview-'));
    cpSync(join(ROOT, 'stacks'), join(cwd, 'stacks'), { recursive: true });
    engine = new EngineDouble();
    return () => rmSync(cwd, { recursive: true, force: true });
  });
  const opts = (extra: Partial<Parameters<typeof previewCommand>[0]> = {}) => ({ cwd, output: memorySink(), env: {}, verbose: false, engine, ...extra });

  it('previews several stacks into one comment; a failing one is reported without losing the others', async () => {
    engine.seed('dev').previewResult = devPreview;
    const staging = engine.seed('staging');
    staging.previewEvents = [{ kind: 'diagnostic', severity: 'error', message: 'error: unable to validate AWS credentials', urn: 'urn:pulumi:staging::slipway::pulumi:pulumi:Stack::slipway-staging' }];
    staging.failPreview = new Error('code: 255\n stdout: \n stderr: error: preview failed: unable to validate AWS credentials');
    engine.seed('prod').previewResult = { changes: { same: 57 }, steps: [] };
    const o = opts({ stacks: ['dev', 'staging', 'prod'], markdown: 'preview.md' });

    const err = await previewCommand(o).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckFailed);
    expect(exitCodeFor(err)).toBe(EXIT.failure);
    expect((err as CheckFailed).problems).toEqual(['preview of staging failed: code: 255']);

    const md = readFileSync(join(cwd, 'preview.md'), 'utf8');
    expect(md.startsWith(PREVIEW_MARKER)).toBe(true);
    expect(md).toContain('| `dev` | 1 | 1 | 1 | 0 | 40 |');
    expect(md).toMatch(/\| `staging` \| – \| – \| – \| – \| – \| ❌ preview failed/);
    expect(md).toContain('| `prod` | 0 | 0 | 0 | 0 | 57 | no changes |');
    expect(md).toContain('unable to validate AWS credentials');
    // the replacement triple is one replacement, flagged
    expect(md.match(/shop-dev-alb-sg/g)!.length).toBe(2); // attention table + full list
    expect(md).toContain('carries traffic');
    expect(md).toContain('No changes (57 resources unchanged).');
    // each stack previewed once, in order; stdout has one line per stack
    expect([engine.stacks.get('dev')!.previews, staging.previews, engine.stacks.get('prod')!.previews]).toEqual([1, 1, 1]);
    const out = (o.output as ReturnType<typeof memorySink>).stdout.trim().split('\n');
    expect(out).toEqual([
      'dev: 1 to replace, 1 to create, 1 to update, 40 unchanged (1 risky)',
      expect.stringMatching(/^staging: preview failed: code: 255/),
      'prod: no changes (57 unchanged)',
    ]);
  });

  it('reports a held stack lock as that stack\'s failure', async () => {
    engine.seed('dev').failPreview = new LockHeld('stack dev is locked by another update in progress');
    engine.seed('prod').previewResult = devPreview;
    const o = opts({ stacks: ['dev', 'prod'], json: true });
    await expect(previewCommand(o)).rejects.toThrow(/preview of dev failed: stack dev is locked/);
    const summary = JSON.parse((o.output as ReturnType<typeof memorySink>).stdout) as PreviewSummary;
    expect(summary.stacks.map((s) => [s.stack, s.error !== undefined, s.changes.length])).toEqual([
      ['dev', true, 0],
      ['prod', false, 3],
    ]);
  });

  it('previews every stack in stacks/ when none is named, and prints Markdown by default', async () => {
    const o = opts();
    const summary = await previewCommand(o);
    expect(summary.stacks.map((s) => s.stack)).toEqual(listStacks(cwd));
    expect(summary.stacks.length).toBeGreaterThan(1);
    expect((o.output as ReturnType<typeof memorySink>).stdout.startsWith(PREVIEW_MARKER)).toBe(true);
  });

  it('refuses an unknown stack before previewing anything', async () => {
    await expect(previewCommand(opts({ stacks: ['dev', 'qa'] }))).rejects.toThrow(`--stack: "qa" has no stack file (stacks: ${listStacks(cwd).join(', ')})`);
    expect(engine.selects).toBe(0);
  });

  it('reports an invalid stack file as that stack\'s failure and previews the rest', async () => {
    const file = join(cwd, 'stacks', 'Pulumi.staging.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('cpu: 512', 'cpu: 300'));
    const o = opts({ stacks: ['staging', 'dev'], json: true });
    await expect(previewCommand(o)).rejects.toThrow(/preview of staging failed: .*slipway:capacity\.cpu/);
    expect(engine.stacks.get('dev')!.previews).toBe(1);
    expect(engine.stacks.get('staging')).toBeUndefined();
  });

  it('--from renders saved documents without an engine, naming stacks from their URNs', async () => {
    const o = opts({ engine: undefined, from: [join(FIXTURES, 'events-preview-replacements.jsonl'), join(FIXTURES, 'preview-aws-cascading-updates.json')], markdown: 'out.md' });
    const summary = await previewCommand(o);
    expect(summary.stacks.map((s) => s.stack)).toEqual(['dev', 'test-d67e0b53']);
    expect(readFileSync(join(cwd, 'out.md'), 'utf8')).toContain('shop-dev-db');
  });

  it('through the CLI: --stack repeats, --from with --stack names the stack, bad files exit 1', async () => {
    const out = memorySink();
    const code = await run(['preview', '--from', join(FIXTURES, 'preview-slipway-replace-delete.json'), '--stack', 'pr-42', '--json'], { cwd, output: out, env: {}, commands: [registerPreview] });
    expect(code).toBe(EXIT.ok);
    expect((JSON.parse(out.stdout) as PreviewSummary).stacks[0]!.stack).toBe('pr-42');

    const bad = memorySink();
    writeFileSync(join(cwd, 'bad.json'), '{"nope": true}');
    expect(await run(['preview', '--from', 'bad.json'], { cwd, output: bad, env: {}, commands: [registerPreview] })).toBe(EXIT.failure);
    expect(bad.stderr).toMatch(/^bad\.json: not a `pulumi preview --json` document/);
    expect(await run(['preview', '--from', 'missing.json'], { cwd, output: memorySink(), env: {}, commands: [registerPreview] })).toBe(EXIT.failure);
  });
});

// ---------------------------------------------------------------------------------------------------
// The workflows

type Workflow = {
  on: Record<string, any>;
  permissions?: Record<string, string>;
  concurrency?: Record<string, unknown>;
  jobs: Record<string, { 'runs-on': string; needs?: string | string[]; environment?: string | { name: string }; permissions?: Record<string, string>; concurrency?: { group: string; 'cancel-in-progress'?: boolean }; steps: { uses?: string; run?: string; with?: Record<string, unknown>; if?: string; id?: string }[] }>;
};
const workflow = (name: string) => parseYaml(readFileSync(join(ROOT, '.github', 'workflows', name), 'utf8')) as Workflow;
const runs = (steps: Workflow['jobs'][string]['steps']) => steps.map((s) => s.run ?? '').join('\n');
const uses = (steps: Workflow['jobs'][string]['steps'], action: string) => steps.find((s) => s.uses?.startsWith(`${action}@`));

describe('.github/workflows/preview.yml', () => {
  const wf = workflow('preview.yml');
  const job = Object.values(wf.jobs)[0]!;

  it('runs on pull requests with just the permissions it needs', () => {
    expect(wf.on).toHaveProperty('pull_request');
    expect(wf.permissions).toEqual({ contents: 'read', 'pull-requests': 'write', 'id-token': 'write' });
  });

  it('checks out, sets up Node 20 with the npm cache, installs, validates and diffs offline, then previews', () => {
    expect(uses(job.steps, 'actions/checkout')).toBeDefined();
    expect(uses(job.steps, 'actions/setup-node')!.with).toMatchObject({ 'node-version': 20, cache: 'npm' });
    const script = runs(job.steps);
    const order = ['npm ci', 'npx slipway validate', 'npx slipway plan --diff origin/${{ github.base_ref }}', 'npx slipway preview'];
    const at = order.map((s) => script.indexOf(s));
    expect(at.every((i) => i >= 0), JSON.stringify(at)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(script).toContain('--markdown preview.md');
  });

  it('gets cloud credentials through OIDC only when they are configured', () => {
    const aws = uses(job.steps, 'aws-actions/configure-aws-credentials')!;
    expect(aws.with).toHaveProperty('role-to-assume');
    expect(aws.if).toMatch(/vars\./);
  });

  it('posts or updates one sticky comment found by the marker', () => {
    const step = uses(job.steps, 'actions/github-script')!;
    const script = String(step.with?.script);
    expect(script).toContain(PREVIEW_MARKER);
    expect(script).toContain('updateComment');
    expect(script).toContain('createComment');
  });
});

describe('.github/workflows/deploy.yml', () => {
  const wf = workflow('deploy.yml');

  it('runs on pushes to main', () => {
    expect(wf.on.push.branches).toEqual(['main']);
  });

  it('builds once and hands the same artifact to dev, then staging', () => {
    const build = wf.jobs.build!;
    expect(runs(build.steps)).toContain('npx slipway build app --json');
    expect(wf.jobs.dev!.needs).toEqual(expect.arrayContaining(['build']));
    expect(runs(wf.jobs.dev!.steps)).toMatch(/npx slipway deploy --stack dev --artifact "?\$\{\{ needs\.build\.outputs\.artifact \}\}/);
    expect(([] as string[]).concat(wf.jobs.staging!.needs ?? [])).toEqual(expect.arrayContaining(['build', 'dev']));
    expect(runs(wf.jobs.staging!.steps)).toMatch(/npx slipway deploy --stack staging --artifact "?\$\{\{ needs\.build\.outputs\.artifact \}\}/);
    expect(runs(wf.jobs.staging!.steps)).not.toContain('slipway build');
  });

  it('promotes the exact digest to prod behind the production environment', () => {
    const prod = wf.jobs.prod!;
    expect(([] as string[]).concat(prod.needs ?? [])).toContain('staging');
    expect(typeof prod.environment === 'string' ? prod.environment : prod.environment?.name).toBe('production');
    expect(runs(prod.steps)).toContain('npx slipway promote --from staging --to prod');
    expect(runs(prod.steps)).not.toContain('slipway build');
  });

  it('never lets two runs touch one stack at once', () => {
    for (const stack of ['dev', 'staging', 'prod']) {
      const c = wf.jobs[stack]!.concurrency!;
      expect(c.group, stack).toContain(stack);
      expect(c['cancel-in-progress'], stack).toBe(false);
    }
    const groups = ['dev', 'staging', 'prod'].map((s) => wf.jobs[s]!.concurrency!.group);
    expect(new Set(groups).size).toBe(3);
  });

  it('keeps a backup of each shared stack after every deployment, as an artifact that expires', () => {
    for (const stack of ['dev', 'staging', 'prod']) {
      const steps = wf.jobs[stack]!.steps;
      const script = runs(steps);
      expect(script, stack).toContain(`npx slipway backup --stack ${stack} --out "$RUNNER_TEMP/backup/${stack}.json"`);
      expect(script.indexOf('npx slipway backup'), stack).toBeGreaterThan(script.indexOf(stack === 'prod' ? 'npx slipway promote' : 'npx slipway deploy'));
      const upload = uses(steps, 'actions/upload-artifact')!;
      expect(upload.with, stack).toMatchObject({ path: `\${{ runner.temp }}/backup/${stack}.json`, 'retention-days': 90 });
    }
  });

  it('asks for OIDC tokens and nothing broader than it uses', () => {
    expect(wf.permissions).toMatchObject({ contents: 'read', 'id-token': 'write' });
  });
});
